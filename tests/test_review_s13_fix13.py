"""Session 13 (task fix13): small defects a tester found in session 12.

1. A broadcast or a contest announcement saved in the quiet hours waits in the outbox until
   they end: /announcements and the contest's «saved» answer say when it goes, as the
   /announce preview and /schedule do.
2. `/faq_link` with no entry offers the 3 closest entries (SPEC §10), those with evidence
   first — also when one entry matches strongly and the others share no word with the
   question (the sentence vectors off: words alone).
3. A date and time typed by a manager with both wrong («99.99.9999 99:99») is refused
   naming both: what is wrong with the date (day, month), and the hours; hostile date
   strings never crash the readers.
4. On VK a manager's command typed without the slash («reload x», «tickets», «faq_link
   ID» in reply to a ticket's message) is that command, as partners' words are; a
   partner's «stats» stays words, and so does a manager's answer to a partner that
   starts with a command's word («close to …»). (Since fixr13a only in the manager's
   private chat: in the managers' chat a manager types the slash.)
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.i18n import Translator
from bot.services.contest_drafts import DraftError, read_dates, read_end, read_future
from tests.harness import (
    DEMO_CONTENT,
    MANAGER_ID,
    VK_MANAGER_ID,
    Client,
    Harness,
    chats_emulator,
    running_bot,
)
from tests.test_journey_announce import partners
from tests.test_journey_every_screen import saved_contest
from tests.test_journey_schedule_held import at, schedule
from tests.test_journey_support import GROUP, in_chat
from tests.test_journey_vk_max import SIDES, VK_CHAT

# --- 1. held sends said as held everywhere ---


async def test_a_broadcast_held_for_the_night_is_listed_with_when_it_goes(
    harness: Harness,
) -> None:
    anna, _boris = await partners(harness)
    manager = harness.manager()
    await manager.send("/start")
    at(harness, datetime(2026, 11, 2, 20, 30, tzinfo=UTC))  # 23:30 in Moscow
    await manager.send("/announce")
    await manager.send("Вебинар завтра")
    await manager.press("👥 Всем партнёрам", manager.messages[-1])
    await manager.press("Сейчас", manager.messages[-1])
    assert manager.messages[-2].plain.endswith(
        "отправка: Сейчас, но в личку — только 03.11.2026 09:00: у партнёров тихие часы."
    )
    await manager.press("✅ Отправить", manager.messages[-1])
    before = len(anna.messages)
    await harness.deliver()
    assert len(anna.messages) == before  # held
    listing = (await manager.send("/announcements"))[-1].plain
    first = listing.splitlines()[0]
    assert first == (
        "📣 Рассылка №1 — запланирована, 02.11.2026 23:30, "
        "но в личку — только 03.11.2026 09:00: у партнёров тихие часы"
    ), listing
    assert "03.11 09:00 — рассылка №1 — 2 получателя" in await schedule(manager)

    at(harness, datetime(2026, 11, 3, 6, 0, tzinfo=UTC))  # 09:00: it goes
    await harness.deliver()
    assert anna.last.plain == "Вебинар завтра"
    first = (await manager.send("/announcements"))[-1].plain.splitlines()[0]
    # when it really went, too (session 18's tester 2: the planned time alone misled)
    assert first == "📣 Рассылка №1 — отправлена, 02.11.2026 23:30, в личку ушла 03.11.2026 09:00"


async def test_a_broadcast_planned_inside_the_quiet_hours_is_listed_with_when_it_goes(
    harness: Harness,
) -> None:
    await partners(harness)
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    await manager.send("Ночная новость")
    await manager.press("👥 Всем партнёрам", manager.messages[-1])
    await manager.press("Да, пусть ждут до 09:00", (await manager.send("03.11.2026 23:30"))[-1])
    await manager.press("✅ Отправить", manager.messages[-1])
    first = (await manager.send("/announcements"))[-1].plain.splitlines()[0]
    assert first == (
        "📣 Рассылка №1 — запланирована, 03.11.2026 23:30, "
        "но в личку — только 04.11.2026 09:00: у партнёров тихие часы"
    ), first
    at(harness, datetime(2026, 11, 3, 21, 0, tzinfo=UTC))  # 00:00: its time, still held
    first = (await manager.send("/announcements"))[-1].plain.splitlines()[0]
    assert first.startswith("📣 Рассылка №1 — запланирована, 03.11.2026 23:30, но в личку")


async def contest_saved_at_night(harness: Harness, manager: Client) -> None:
    """At 23:30 in Moscow (the quiet hours), `manager` creates and saves a contest."""
    at(harness, datetime(2026, 11, 2, 20, 30, tzinfo=UTC))
    await saved_contest(manager, "Ночной конкурс", ("20.11.2026 10:00", "30.11.2026"))


async def test_a_contest_saved_at_night_says_when_its_announcement_goes(
    harness: Harness,
) -> None:
    anna = harness.user(931, "Анна")
    await anna.onboard()
    manager = harness.manager()
    await manager.send("/start")
    await contest_saved_at_night(harness, manager)
    saved = manager.messages[-1].plain
    assert saved.startswith("✅ Конкурс сохранён и объявлен. Анонс уходит: 1 партнёру"), saved
    assert "В личку — только 03.11.2026 09:00: у партнёров тихие часы." in saved, saved
    before = len(anna.messages)
    await harness.deliver()
    assert len(anna.messages) == before  # held, as said
    at(harness, datetime(2026, 11, 3, 6, 0, tzinfo=UTC))
    await harness.deliver()
    assert anna.last.plain.startswith("📣 Новый конкурс!")


async def test_a_contest_saved_in_the_day_says_nothing_of_quiet_hours(
    harness: Harness,
) -> None:
    anna = harness.user(932, "Анна")
    await anna.onboard()
    manager = harness.manager()
    await manager.send("/start")
    await saved_contest(manager, "Дневной конкурс", ("20.11.2026 10:00", "30.11.2026"))
    saved = manager.messages[-1].plain
    assert saved.startswith("✅ Конкурс сохранён и объявлен. Анонс уходит: 1 партнёру"), saved
    assert "В личку — только" not in saved, saved


# --- 2. /faq_link offers the 3 closest ---


@pytest.fixture
def _vectors_restored() -> Iterator[None]:
    """The sentence vectors as the process had them, after a bot that set them."""
    from bot.services import faq_semantic

    yield
    faq_semantic.configure()


async def _managers_chat(tmp_path: Path, **settings: str) -> AsyncIterator[Harness]:
    async with chats_emulator() as emulator:
        emulator.add_group(GROUP, "Менеджеры")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path, emulator=emulator, tg_managers_chat_id=GROUP, **settings
        ) as harness:
            yield harness


@pytest.fixture
async def words_alone(tmp_path: Path, _vectors_restored: None) -> AsyncIterator[Harness]:
    """The managers' chat, the FAQ matched by words alone (FAQ_VECTORS=off); the content
    copied, so its matcher is built anew (tests/conftest.py keeps one per folder)."""
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    async for harness in _managers_chat(tmp_path, content_dir=str(content), faq_vectors="off"):
        yield harness


@pytest.fixture
async def with_vectors(tmp_path: Path) -> AsyncIterator[Harness]:
    async for harness in _managers_chat(tmp_path):
        yield harness


async def _link_offer(harness: Harness, user_id: int, question: str) -> list[str]:
    partner = harness.user(user_id)
    await partner.onboard()
    await partner.send("/support")
    await partner.send(question)
    card = harness.emulator.chat_messages(GROUP)[-2]
    await in_chat(harness, GROUP, "/faq_link", reply_to=card.message_id)
    offer = harness.emulator.chat_messages(GROUP)[-1]
    assert offer.plain.startswith("К какому вопросу FAQ относится"), offer.plain
    assert offer.button_labels[-1] == "📋 Другая статья"
    return offer.button_labels[:-1]


async def test_faq_link_offers_three_entries_when_one_matches_strongly(
    words_alone: Harness,
) -> None:
    # only postback-setup shares a word with it (the others ranked by the matcher share
    # none but a question word); it stays first
    buttons = await _link_offer(words_alone, 1301, "как настроить постбэк")
    assert len(buttons) == 3, buttons
    assert buttons[0].startswith("postback-setup:"), buttons


async def test_faq_link_keeps_the_entries_with_evidence_first(words_alone: Harness) -> None:
    buttons = await _link_offer(words_alone, 1302, "как долго проверяют заказ после доставки")
    assert [label.partition(":")[0] for label in buttons] == [
        "hold-period", "sale-not-tracked", "cookie-lifetime",
    ]  # fmt: skip


async def test_faq_link_offers_three_entries_with_the_vectors_on(with_vectors: Harness) -> None:
    buttons = await _link_offer(with_vectors, 1303, "как настроить постбэк")
    assert len(buttons) == 3, buttons
    assert buttons[0].startswith("postback-setup:"), buttons


# --- 3. a date and a time both wrong: both named ---

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
TEXTS = Translator()


def _refused(text: str, language: str = "ru") -> str:
    with pytest.raises(DraftError) as error:
        read_future(text, MOSCOW, NOW)
    return TEXTS.get(language)(error.value.key, **error.value.args_)


def test_a_date_and_a_time_both_wrong_are_both_named() -> None:
    said = _refused("99.99.9999 99:99")
    assert said == (
        "Такой даты нет в календаре: месяц от 1 до 12, день от 1 до 31. "
        "И такого времени нет: часы от 0 до 23, минуты от 0 до 59."
    ), said
    assert _refused("99.99.9999 99:99", "en") == (
        "That date is not in the calendar: months are 1 to 12, days 1 to 31. "
        "Nor is that time: hours 0 to 23, minutes 0 to 59."
    )
    assert _refused("31.11.2026 10:00") == (
        "Такой даты нет в календаре: в этом месяце дни от 1 до 30."
    )
    assert _refused("29.02.2027 25:00") == (
        "Такой даты нет в календаре: в этом месяце дни от 1 до 28. "
        "И такого времени нет: часы от 0 до 23, минуты от 0 до 59."
    )
    assert _refused("10.13.2026") == "Такой даты нет в календаре: месяц от 1 до 12."
    assert _refused("00.00.0000 10:00") == (
        "Такой даты нет в календаре: месяц от 1 до 12, день от 1 до 31."
    )
    assert _refused("01.01.0000") == "Такой даты нет в календаре: год от 0001."
    # a good date with a bad time: the time alone, as before
    assert _refused("05.11.2026 25:00") == (
        "Такого времени нет: часы от 0 до 23, минуты от 0 до 59."
    )


async def test_the_announce_and_contest_dialogs_name_both(harness: Harness) -> None:
    await partners(harness)
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    await manager.send("Вебинар")
    await manager.press("👥 Всем партнёрам", manager.messages[-1])
    said = (await manager.send("99.99.9999 99:99"))[-1].plain
    assert said.startswith(
        "⚠️ Такой даты нет в календаре: месяц от 1 до 12, день от 1 до 31. "
        "И такого времени нет: часы от 0 до 23, минуты от 0 до 59."
    ), said
    assert "Сейчас" in manager.messages[-1].button_labels  # the same step again
    await manager.send("/cancel")
    for text in ("/contest_new", "Конкурс", "Правила."):
        await manager.send(text)
    said = (await manager.send("99.99.9999 99:99"))[-1].plain
    assert "месяц от 1 до 12, день от 1 до 31" in said, said
    assert "часы от 0 до 23" in said, said
    assert "Шаг 3 из 8" in said, said


DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=5)
SEPARATORS = st.sampled_from([".", ":", " ", "-", "/", "", "..", "\u00a0", "\u202e"])
moments = st.one_of(
    st.builds(
        lambda parts, seps: "".join(p + s for p, s in zip(parts, seps, strict=False)),
        st.lists(DIGITS, min_size=1, max_size=5),
        st.lists(SEPARATORS, min_size=5, max_size=5),
    ),
    st.text(alphabet="0123456789.: -—–٣١𝟗\n\u200b", max_size=40),
    st.text(max_size=40),
)


def _text_of(error: DraftError) -> str:
    return TEXTS.get("ru")(error.key, **error.args_)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=moments, zone=st.sampled_from(["Europe/Moscow", "America/Sao_Paulo", "Etc/GMT-14"]))
def test_hostile_date_strings_never_crash(text: str, zone: str) -> None:
    place = ZoneInfo(zone)
    start = datetime(2026, 12, 1, tzinfo=place)
    for read in (
        lambda: read_future(text, place, NOW),
        lambda: read_end(text, place, start),
        lambda: read_dates(f"{text} — {text}", place, NOW),
    ):
        refused: DraftError | None = None
        try:
            value = read()
        except DraftError as error:
            refused = error
        if refused is not None:  # a clear refusal, in words
            said = _text_of(refused)
            assert said, refused.key
            assert "{" not in said, said
            assert refused.key not in said, said
            continue
        for moment in value if isinstance(value, tuple) else (value,):
            assert moment.tzinfo is not None
            assert moment - NOW < timedelta(days=2 * 365)


# --- 4. VK: a manager's command typed without the slash ---

VK = SIDES[0].values[0]


def _usage(command: str) -> str:
    return f"Команда /{command} работает без параметров. Просто отправьте /{command}"


async def test_vk_manager_commands_typed_without_the_slash(tmp_path: Path) -> None:
    async with VK.running(tmp_path, managers_chat=True) as harness:
        assert harness.vk is not None
        partner = harness.vk_user(1401, "Вера")
        await partner.onboard()
        said = [m.plain for m in await partner.send("stats")]  # a partner's word: words
        assert not any("Команда /stats" in text or "Такой команды" in text for text in said)
        said = [m.plain for m in await partner.send("reload x")]
        assert not any("/reload" in text for text in said), said

        manager = harness.vk_manager()
        assert [m.plain for m in await manager.send("reload x")] == [_usage("reload")]
        assert [m.plain for m in await manager.send("Stats please")] == [_usage("stats")]
        assert (await manager.send("reload"))[-1].plain.startswith("Контент обновлён")
        said = [m.plain for m in await manager.send("partner nobody")]
        assert said == [m.plain for m in await manager.send("/partner nobody")], said

        await partner.send("/support Где статистика?")
        told = len(partner.messages)
        chat = harness.vk.chat_messages(VK_CHAT)
        card = next(m for m in chat if "Обращение №1" in m.plain)
        relayed = chat[-1]  # the partner's words

        async def reply(text: str, to: object) -> list[str]:
            assert harness.vk is not None
            before = len(harness.vk.chat_messages(VK_CHAT))
            ts = harness.vk.user_message(VK_MANAGER_ID, text, peer_id=VK_CHAT, reply_to=to)
            await harness.vk.wait_processed(ts)
            return [m.plain for m in harness.vk.chat_messages(VK_CHAT)[before:]]

        # an answer to the partner that starts with a command's word goes to the partner
        await reply("Close to the top right: «Статистика»", relayed)
        assert partner.messages[told:][-1].plain.endswith("Close to the top right: «Статистика»")
        # in the managers' chat a manager types the slash (session 13, fixr13a: talk there
        # is no command); «tickets», «faq_link ENTRY» in private: tests/test_review_s13_fixr13a
        assert await reply("tickets", None) == []
        listing = await reply("/tickets", None)
        assert listing[0].startswith("Открытые обращения"), listing
        await reply("/faq_link referral-link", relayed)
        assert "Инструменты → Ссылки" in partner.last.plain
        await reply("/close", card)
        assert partner.last.plain.startswith("Обращение №1 закрыто."), partner.last.plain
