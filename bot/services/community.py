"""The partners' group: when the bot speaks up with an FAQ answer, and when it stays quiet."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.clock import Clock
from bot.content.models import FaqEntry
from bot.content.store import ContentStore
from bot.services import small_talk
from bot.services.faq_matching import FaqMatcher, words
from bot.services.faq_thread import beside_loop

GROUP_THRESHOLD = 0.9  # a calibrated confidence, well above the private threshold: a wrong
# answer in public costs more
# an unsure question spoken to the bot: the group hears what it most likely asks about
# from this confidence on («какая ставка 7»: 0.5 on the demo), under it (chit-chat with a
# word of an entry, «как дела у всех»: 0.04) only the offer to go private — the options a
# partner gets in private are a long shot there, and in public they read as nonsense
GROUP_MAYBE = 0.3
REPEAT_WINDOW = timedelta(minutes=10)
QUESTION_WORDS = frozenset(
    """
    как когда где куда откуда почему зачем сколько какой какая какое какие каким чей кто что
    можно нужно ли подскажите скажите есть how when where why what which who can is are do
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_ADMIN_CALL = re.compile(r"(^|\s)@admins?\b", re.IGNORECASE)


@dataclass(frozen=True)
class GroupReply:
    kind: Literal["answer", "offer", "own", "talk", "silent"]
    entry: FaqEntry | None = None
    # "own": unsubscribe or the partner command; "talk": the small talk; "offer": "person"
    # when a manager was asked for (else the FAQ had no sure answer)
    about: str = ""
    # "offer" for an unsure question: the entry it most likely asks about (the first
    # "did you mean" option a partner would get in private; one every segment sees)
    maybe: FaqEntry | None = None


def looks_like_question(text: str) -> bool:
    if "?" in text:
        return True
    tokens = words(text)
    return bool(tokens) and tokens[0] in QUESTION_WORDS


def calls_admin(text: str) -> bool:
    return bool(_ADMIN_CALL.search(text))


class CommunityService:
    def __init__(
        self,
        store: ContentStore,
        clock: Clock,
        matcher: Callable[[], Awaitable[FaqMatcher]] | None = None,
    ) -> None:
        """`matcher`: the FAQ's matcher with what it learned (FaqService.matcher); the
        content's own without it."""
        self._store = store
        self._clock = clock
        self._matcher = matcher
        self._answered: dict[tuple[int, int | None, str], float] = {}

    async def reply_to(
        self, chat_id: int, thread_id: int | None, text: str, *, addressed: bool
    ) -> GroupReply:
        """An FAQ answer for a question with high confidence (not repeated in the same chat
        within 10 minutes); when the bot was mentioned or replied to and has no answer, an
        offer to continue in private ("own" for a question about the bot itself: where in
        private it is answered; "talk" for small talk); otherwise silence."""
        if not addressed and not looks_like_question(text):
            return GroupReply("silent")
        about_the_bot = small_talk.read(text, self._store.content)
        if about_the_bot is not None and about_the_bot.kind in ("menu", "unsubscribe"):
            # «как отписаться от рассылки?», «где моя статистика?»: the partner's own
            # settings and figures, in the private chat; never an FAQ answer in public
            if not addressed:
                return GroupReply("silent")
            about = about_the_bot.command or about_the_bot.kind  # a command, or unsubscribe
            return GroupReply("own", about=about)
        if about_the_bot is not None and about_the_bot.kind == "person":
            # «@бот позовите менеджера»: a person is asked for, not the FAQ
            return GroupReply("offer", about="person") if addressed else GroupReply("silent")
        if about_the_bot is not None and about_the_bot.kind in small_talk.SMALL_TALK:
            # «@bot ты бот?», «@bot спасибо»: a word back when spoken to, never an FAQ search
            return (
                GroupReply("talk", about=about_the_bot.kind) if addressed else GroupReply("silent")
            )
        matcher = await self._matcher() if self._matcher else self._store.live.matcher
        match = await beside_loop(matcher.match, text)
        entry = self._store.content.faq_entry(match.entry_id) if match.entry_id else None
        confident = (
            entry is not None
            and not entry.segments
            and (addressed or match.score >= GROUP_THRESHOLD)
        )
        if confident and entry is not None:
            key = (chat_id, thread_id, entry.id)
            now = self._clock.monotonic()
            last = self._answered.get(key)
            if last is not None and now - last < REPEAT_WINDOW.total_seconds():
                return GroupReply("silent")
            self._answered[key] = now
            if len(self._answered) > 10_000:
                self._answered.clear()
            return GroupReply("answer", entry)
        if not addressed:
            return GroupReply("silent")
        likely = match.outcome == "suggest" and match.suggestions and match.score >= GROUP_MAYBE
        maybe = self._store.content.faq_entry(match.suggestions[0].entry_id) if likely else None
        if maybe is not None and maybe.segments:  # not every partner in the group sees it
            maybe = None
        return GroupReply("offer", maybe=maybe)

    @property
    def rules(self) -> str:
        return self._store.content.program.rules.strip()
