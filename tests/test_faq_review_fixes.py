"""FAQ review fixes, part 2: hostile ids in buttons, case-insensitive id hints, wordings that
can never match, lexicon phrases, bidi controls shown to managers, CLI edges."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.content.loader import ContentInvalid, load_content
from bot.content.models import LEXICON_MAX_PHRASE
from bot.content.store import ContentStore
from bot.db.tables import audit_log, faq_learned, faq_learned_votes, tickets
from bot.names import BIDI_CONTROLS
from bot.services.faq_text import Lexicon, shipped_lexicon_items, words
from bot.services.faq_wordings import similar_ids
from tests.faq_teach import run_teach
from tests.harness import DEMO_CONTENT, MANAGER_ID, Harness, chats_emulator, running_bot
from tests.test_journey_support import GROUP, in_chat

# every prefix whose data carries a row id, with the rest of its fields (ID: the id)
MANAGER_DATA = [
    "fl:ok:ID:", "fl:no:ID:", "fl:show:ID:", "fl:mv:ID:", "fl:to:ID:hold-period",
    "fk:ID:subid", "fp:pick:ID:", "fp:to:ID:payout-dates", "lk:approve:ID", "lk:decline:ID",
    "tq:ID", "t:close:ID:",
]  # fmt: skip
PARTNER_DATA = [
    "a:pick:ID:payout-dates", "a:none:ID:", "a:helped:ID:payout-dates", "a:manager:ID:",
    "t:close:ID:", "t:rate:ID:up", "rx:ID:up",
]  # fmt: skip
ids = st.one_of(
    st.integers(min_value=2**31, max_value=10**40).map(str),  # past the row ids, past 64 bits
    st.integers(min_value=-(10**40), max_value=0).map(str),
    st.sampled_from(["", "1e3", "²", "٣", "0x10", "+5", " 5", "1.0", str(2**63), str(-(2**63))]),
    st.text(alphabet="0123456789-+eé ²", min_size=1, max_size=30),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(number=ids, data=st.lists(st.sampled_from(MANAGER_DATA + PARTNER_DATA), min_size=3))
async def test_hostile_ids_in_manager_and_partner_buttons_are_no_longer_available(
    harness: Harness, caplog: pytest.LogCaptureFixture, number: str, data: list[str]
) -> None:
    manager = harness.manager()
    if not manager.messages:
        await manager.send("/start")
    anna = harness.user(4601)
    if not anna.messages:
        await anna.onboard()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        for template in data:
            who = manager if template in MANAGER_DATA else anna
            await who.press_data(who.last, template.replace("ID", number))
            answer = who.callback_answers()[-1].get("text", "")
            assert "больше" in answer or "нет" in answer.lower(), (template, number, answer)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not any("Что-то пошло не так" in m.plain for m in manager.messages + anna.messages)
    async with harness.services.db.read() as conn:
        assert (
            await conn.execute(sa.select(sa.func.count()).select_from(faq_learned))
        ).scalar() == 0
        votes = sa.select(sa.func.count()).select_from(faq_learned_votes)
        assert (await conn.execute(votes)).scalar() == 0
        assert (await conn.execute(sa.select(sa.func.count()).select_from(tickets))).scalar() == 0
        allowed = sa.select(audit_log.c.action).where(audit_log.c.allowed.is_(True))
        assert [a for a in (await conn.execute(allowed)).scalars() if a.startswith("faq")] == []


# --- id hints in any letter case; wordings that can never match or are too broad ---


@pytest.fixture
async def group(tmp_path: Path) -> AsyncIterator[Harness]:
    async with chats_emulator() as emulator:
        emulator.add_group(GROUP, "Менеджеры")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(tmp_path, emulator=emulator, tg_managers_chat_id=GROUP) as harness:
            yield harness


async def _learned(harness: Harness) -> list[tuple[str, str]]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(sa.select(faq_learned.c.entry_id, faq_learned.c.phrasing))
        return [(row.entry_id, row.phrasing) for row in rows]


def test_id_hints_ignore_letter_case_and_spaces() -> None:
    ids = ["payout-delay", "payout-dates", "hold-period"]
    assert similar_ids("PAYOUT-DATES", ids)[0] == "payout-dates"
    assert similar_ids(" Payout-Dates ", ids)[0] == "payout-dates"
    assert similar_ids("Hold - Period", ids)[0] == "hold-period"


async def test_faq_link_in_the_wrong_case_is_the_entry_and_a_meaningless_one_is_not_learned(
    group: Harness,
) -> None:
    """Entry ids are lower case (content checks): «PAYOUT-DATES» can only be one, and is
    taken (session 22's tester: a hint naming the one id it could be was a step more)."""
    anna = group.user(7801)
    await anna.onboard()
    await anna.send("/support")
    await anna.send("привет")
    card = group.emulator.chat_messages(GROUP)[-2].message_id
    await in_chat(group, GROUP, "/faq_link PAYOUT-DATES", reply_to=card)
    reply = group.emulator.chat_messages(GROUP)[-1].plain
    assert reply.startswith("Партнёр получил ответ «payout-dates»"), reply
    assert "10 и 25 числа" in anna.last.plain  # the partner gets the answer
    assert await _learned(group) == []  # «привет» carries no meaning: not learned


async def test_helped_with_a_wording_of_question_words_only_is_not_learned(
    harness: Harness,
) -> None:
    learning = harness.services.faq.learning
    anna = harness.user(7802)
    await anna.onboard()
    partner = await harness.services.partners.by_user("tg", 7802)
    assert partner is not None
    for wording in ("когда?", "привет", "спасибо, подскажите пожалуйста"):
        assert (await learning.propose("payout-dates", wording, partner.id)).learned is None
        assert await learning.learn("payout-dates", wording, "link") is None
    assert await _learned(harness) == []
    proposed = await learning.propose("payout-dates", "когда бабки", partner.id)
    assert proposed.learned is not None
    assert await _learned(harness) == [("payout-dates", "когда бабки")]


def test_teach_hints_a_wrong_case_id_and_refuses_wordings_that_cannot_match(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"q": "когда бабки", "id": "PAYOUT-DATES"},
        {"q": "привет", "id": "payout-dates"},
        {"q": "когда", "id": "payout-dates"},
        {"q": "а где и как?", "id": "payout-dates"},
        {"q": "когда бабки", "id": "payout-dates"},
    ]
    code, out, taught = run_teach(tmp_path, lines, capsys)
    assert code == 1
    assert f"{taught}:1: unknown FAQ id 'PAYOUT-DATES' (closest: payout-dates" in out
    assert f"{taught}:2: no words that carry meaning" in out
    assert f"{taught}:3: only question words" in out
    assert f"{taught}:4: only question words" in out
    assert "learned 1, already known 0, refused 4" in out


# --- lexicon.yaml: a phrase of more than 3 words is a content error ---


def test_a_lexicon_phrase_of_more_than_three_words_is_a_content_error(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    (folder / "lexicon.yaml").write_text(
        "- {words: [зряплата], means: выплата}\n"
        "- words:\n"
        "  - зп\n"
        "  - где мои деньги ёпта\n"
        "  means: выплата\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentInvalid) as caught:
        load_content(folder)
    (problem,) = [str(problem) for problem in caught.value.problems]
    assert problem.startswith("lexicon.yaml:4:"), problem
    assert "4 words" in problem

    assert main(["content", "check", str(folder)]) == 1

    store = ContentStore(shutil.copytree(DEMO_CONTENT, tmp_path / "ok"))
    # /reload: refused, the old content stays live
    (store.root / "lexicon.yaml").write_text(
        "- {words: [где мои деньги ёпта], means: выплата}\n", encoding="utf-8"
    )
    assert any(str(problem).startswith("lexicon.yaml:1:") for problem in store.reload())
    assert store.live.content.lexicon == []
    (store.root / "lexicon.yaml").write_text(
        "- {words: [где мои деньги], means: выплата}\n", encoding="utf-8"
    )
    assert store.reload() == []


def test_the_shipped_vocabulary_has_no_phrase_longer_than_the_reader_uses() -> None:
    assert LEXICON_MAX_PHRASE == Lexicon.MAX_PHRASE
    items = shipped_lexicon_items()  # validated as a program's lexicon.yaml is
    too_long = [p for item in items for p in item.words if len(words(p)) > Lexicon.MAX_PHRASE]
    assert too_long == []


# --- bidi controls in a partner's text are not shown to managers (and stay stored) ---


async def test_bidi_controls_in_questions_are_not_shown_to_managers(tmp_path: Path) -> None:
    folder = shutil.copytree(DEMO_CONTENT, tmp_path / "content")
    program = folder / "program.yaml"
    text = program.read_text(encoding="utf-8").split("\nfaq:")[0]
    program.write_text(f"{text}\nfaq:\n  auto_approve_after: 2\n", encoding="utf-8")
    async with running_bot(tmp_path, content_dir=folder) as harness:
        manager = harness.manager()
        await manager.send("/start")
        anna = harness.user(7901)
        await anna.onboard()
        await anna.send("есть ли доставка \u202eв казахстан\u202c")
        await anna.send("/support \u2067Не пришла \u202eвыплата за май")
        partner = await harness.services.partners.by_user("tg", 7901)
        assert partner is not None
        learning = harness.services.faq.learning
        proposed = await learning.propose("payout-dates", "\u200fкогда \u202eбабки", partner.id)
        assert proposed.learned is not None
        assert proposed.learned.status == "pending"
        mark = len(manager.messages)
        await manager.send("/faq_learned")
        await manager.send("/stats")
        stats = next(m for m in reversed(manager.messages) if m.button_labels)
        assert "в казахстан" in stats.plain
        assert not BIDI_CONTROLS.search(stats.plain + "".join(stats.button_labels))
        await manager.press(stats.button_labels[0], stats)  # the first gap's 🔗: its picker
        shown = manager.messages
        assert "бабки" in "\n".join(m.plain for m in shown[mark:])
        assert "выплата за май" in "\n".join(m.plain for m in shown)  # the ticket card
        assert "в казахстан" in "\n".join(m.plain for m in shown[mark:])
        for message in shown:
            visible = [message.plain, *message.button_labels]
            assert not [t for t in visible if BIDI_CONTROLS.search(t)], visible
        async with harness.services.db.read() as conn:  # stored as the partner wrote it
            stored = (await conn.execute(sa.select(faq_learned.c.phrasing))).scalar_one()
        assert stored == "\u200fкогда \u202eбабки"
        ticket = await harness.services.support.get(1)
        assert ticket is not None
        assert "\u202e" in ticket.question


# --- CLI edges ---


def test_faq_cli_takes_content_everywhere_and_refuses_a_folder_or_an_unknown_segment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        patch.setenv("CONTENT_DIR", str(tmp_path / "no-content-here"))
        assert main(["faq", "learned", "--content", str(DEMO_CONTENT)]) == 0
        assert capsys.readouterr().out == "nothing learned yet\n"
        assert main(["faq", "learned", "--export", "--content", str(DEMO_CONTENT)]) == 0
        capsys.readouterr()

        assert main(["faq", "teach", str(tmp_path), "--content", str(DEMO_CONTENT)]) == 1
        assert capsys.readouterr().err == f"partnerbot: {tmp_path}: is a directory, not a file\n"
        assert main(["sales", "import", str(tmp_path)]) == 1
        assert "is a directory" in capsys.readouterr().err

        question = ["faq", "match", "когда выплаты", "--content", str(DEMO_CONTENT)]
        assert main([*question, "--segment", "nosuch"]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == (
            "partnerbot: --segment: unknown segment 'nosuch' "
            "(segments: webmaster, blogger, designer)\n"
        )
        assert main([*question, "--segment", "webmaster", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["id"] == "payout-dates"
