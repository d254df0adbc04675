"""The FAQ's gaps: the questions of the last days the bot still cannot answer, grouped by
what they ask (similar wordings together), most asked first (/stats, its 🔗 buttons, the
weekly digest).

A gap counts **people**: the different people who asked any of its wordings, a person's
chats linked to one affiliate id once (docs/one-person.md); a question whose partner is
unknown counts as one. /stats, the 🔗 picker and the digest show that one number. A gap
also keeps its askers' segments: whether it is "answered now" is judged per segment (an
entry a blogger cannot see does not answer a blogger), and the picker offers entries
they can see.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.tables import faq_questions, partners
from bot.services import small_talk_phrases
from bot.services.faq_matching import FaqMatcher
from bot.services.faq_text import has_a_word
from bot.services.faq_wordings import phrasing_key
from bot.services.partner import person_column

GAP_SIMILARITY: Final = 0.5  # Jaccard of two questions' meaningful forms
# wordings of the gaps shown that the matcher re-reads (is it answered now?) per listing
GAP_RECHECK: Final = 60
# the most asked distinct wordings a listing groups
GAP_WORDINGS: Final = 2000
UNKNOWN: Final = None  # the segment of an asker whose chat is not known (no filter)


@dataclass(frozen=True)
class Gap:
    """Unanswered questions that ask the same thing: the most asked wording stands for
    them (its question id goes into a button)."""

    question_id: int
    question: str
    people: int  # different people who asked (a person's linked chats once)
    wordings: tuple[str, ...]
    # the known askers' segments ("" for a partner without one); empty: none known
    segments: frozenset[str] = frozenset()


@dataclass
class Wording:
    question: str
    last_id: int
    times: int = 0
    people: set[str] = field(default_factory=set)
    segments: set[str | None] = field(default_factory=set)


def not_managers(managers: Sequence[str]) -> Any:
    """SQL over faq_questions joined (outer) with partners: a question asked by no manager
    (MANAGERS, platform:id); one whose partner is unknown counts."""
    ids = [(platform, int(user)) for platform, _, user in (m.partition(":") for m in managers)]
    if not ids:
        return sa.true()
    theirs = sa.or_(
        *(
            sa.and_(partners.c.platform == platform, partners.c.user_id == user)
            for platform, user in ids
        )
    )
    return sa.or_(partners.c.id.is_(None), sa.not_(theirs))


def not_commands(commands: Collection[str]) -> Any:
    """SQL: a question that is not one of the bot's commands typed as words, with or
    without the slash: the name alone or with one word after it («announce», «reload x»,
    «/tickets@bot»). A longer question that starts with such a word («link не работает
    у меня») stays a gap."""
    if not commands:
        return sa.true()
    text = sa.func.lower(sa.func.trim(sa.func.ltrim(faq_questions.c.question, " \t\n/")))
    starts = [
        sa.and_(
            text.startswith(f"{name}{after}", autoescape=True),
            sa.not_(sa.func.substr(text, len(name) + 2).contains(" ", autoescape=True)),
        )
        for name in sorted({name.lower() for name in commands})
        for after in (" ", "@")
    ]
    return sa.not_(sa.or_(text.in_(sorted({name.lower() for name in commands})), *starts))


async def wordings(
    conn: AsyncConnection,
    since: datetime,
    managers: Sequence[str],
    commands: Collection[str] = (),
) -> list[Wording]:
    """The unanswered wordings asked since `since` (at most GAP_WORDINGS, asked by the most
    people first), with who asked them and from which segments."""
    # constants inline (not bound parameters): PostgreSQL groups by this expression only
    # when the GROUP BY repeats it exactly
    person = sa.case(
        (
            partners.c.id.is_(None),
            sa.literal_column("'question:'", sa.String) + sa.cast(faq_questions.c.id, sa.String),
        ),
        else_=person_column(),
    )
    asked = faq_questions.outerjoin(partners, partners.c.id == faq_questions.c.partner_id)
    where = (
        faq_questions.c.outcome.in_(("missed", "suggested")),
        faq_questions.c.created_at >= since,
        not_managers(managers),
        not_commands(commands),
    )
    top = (
        sa.select(faq_questions.c.question)
        .select_from(asked)
        .where(*where)
        .group_by(faq_questions.c.question)
        .order_by(
            sa.func.count(sa.distinct(person)).desc(),
            sa.func.count().desc(),
            faq_questions.c.question,
        )
        .limit(GAP_WORDINGS)
    )
    query = (
        sa.select(
            faq_questions.c.question,
            person.label("person"),
            partners.c.id.label("partner_id"),
            partners.c.segment,
            sa.func.count().label("times"),
            sa.func.max(faq_questions.c.id).label("last_id"),
        )
        .select_from(asked)
        .where(*where, faq_questions.c.question.in_(top.scalar_subquery()))
        .group_by(faq_questions.c.question, person, partners.c.id, partners.c.segment)
    )
    found: dict[str, Wording] = {}
    for row in await conn.execute(query):
        question = str(row.question)
        wording = found.setdefault(question, Wording(question, int(row.last_id)))
        wording.last_id = max(wording.last_id, int(row.last_id))
        wording.times += int(row.times)
        wording.people.add(str(row.person))
        wording.segments.add(UNKNOWN if row.partner_id is None else (row.segment or ""))
    return sorted(found.values(), key=lambda w: (-len(w.people), -w.times, w.question))


def answered_now(matcher: FaqMatcher, wording: Wording) -> bool:
    """The matcher now answers the wording for every segment that asked it."""
    return all(
        matcher.match(wording.question, segment).outcome == "answer"
        for segment in wording.segments or {UNKNOWN}
    )


def group(matcher: FaqMatcher, found: list[Wording], learned: set[str], limit: int) -> list[Gap]:
    """The gaps: similar wordings together, the learned ones and those with no word out,
    the listed ones re-read (at most GAP_RECHECK wordings), by the people who asked, most
    first."""
    groups: list[tuple[frozenset[str], list[Wording]]] = []
    for wording in found:
        if not has_a_word(wording.question) or small_talk_phrases.kind(wording.question):
            # «1», «?!», 👍, «ы», «спасибо, всё понятно», «как дела» (stored by an older
            # bot): no question, no gap
            continue
        forms = frozenset(form for unit in matcher.read(wording.question) for form in unit.forms)
        key = forms or frozenset({wording.question.strip().lower()})
        for own, members in groups:
            if len(key & own) / len(key | own) >= GAP_SIMILARITY:
                members.append(wording)
                break
        else:
            groups.append((key, [wording]))
    kept_groups = [
        kept
        for _key, members in groups
        if (kept := [m for m in members if phrasing_key(m.question) not in learned])
    ]
    kept_groups.sort(key=lambda members: (-len(_people(members)), members[0].question))
    gaps: list[Gap] = []
    budget = GAP_RECHECK
    for members in kept_groups:
        if len(gaps) >= limit:
            break
        still: list[Wording] = []
        for member in members:
            if budget > 0:
                budget -= 1
                if answered_now(matcher, member):
                    continue  # answered now: no longer a gap
            still.append(member)
        if still:
            gaps.append(gap_of_wordings(still))
    gaps.sort(key=lambda gap: (-gap.people, gap.question))
    return gaps[:limit]


def gap_of_wordings(members: list[Wording]) -> Gap:
    """A gap of these wordings (the first one stands for them)."""
    segments = {segment for member in members for segment in member.segments}
    return Gap(
        question_id=members[0].last_id,
        question=members[0].question,
        people=len(_people(members)),
        wordings=tuple(member.question for member in members),
        segments=frozenset(segment for segment in segments if segment is not None),
    )


def _people(members: list[Wording]) -> set[str]:
    return {person for member in members for person in member.people}
