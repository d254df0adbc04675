"""Session 14 (task fix14d): one person on several platforms, audiences, small wording.

1. A «no» to newsletters in one chat does not silently outweigh a newer «yes»: the most
   recent explicit choice of the person counts, the partner is told in the other chats,
   the manager's card says why, and a forgotten chat's choice does not outlive it.
2. The segment of a person is the one of the chat they used last, the joining chat
   included, and the partner is told which segment they have now.
3. «Участникам конкурса…» in /announce: the partners the contest is open to (its
   segments), for contests limited to a segment too, upcoming ones included.
4. Small: «узнает 1 партнёр, которому»; other scripts' digits refused in dates and hold
   days as in thresholds, saying so; a typed onboarding answer is capped, with the limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Translator
from bot.services.contest_drafts import DraftError, read_future, read_hold_days
from bot.services.onboarding import ANSWER_LIMIT
from bot.services.partner import Partner
from tests.harness import Harness, MaxPerson, VkClient, running_bot


@pytest.fixture
async def people(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, vk=True, maxbot=True) as running:
        running.vk_manager()  # link requests reach the managers on every platform
        running.max_manager()
        yield running


async def _chat(harness: Harness, platform: str, user_id: int) -> Partner:
    found = await harness.services.partners.by_user(platform, user_id)
    assert found is not None
    return found


async def _onboard_saying_no(chat: MaxPerson | VkClient, segment: str = "Вебмастер") -> None:
    if isinstance(chat, MaxPerson):
        await chat.open()
    else:
        await chat.send("Начать")
    await chat.press(next(b for b in chat.last.button_labels if b.startswith(segment)))
    await chat.press("Сайт")
    await chat.press("До года")
    await chat.send("Владельцы квартир в новостройках")
    await chat.press("Нет, только ответы на мои вопросы")


# --- 1. consent across chats ---


async def test_a_newer_no_in_another_chat_is_told_and_does_not_outlive_that_chat(
    people: Harness,
) -> None:
    manager = people.manager()
    await manager.send("/start")
    on_vk, on_max = people.vk_user(1401, "Вера"), people.max_user(1401, "Вера")
    await on_vk.onboard()
    await on_vk.send("/link aff-r14")
    await manager.send("/approve_link vk:1401")
    await _onboard_saying_no(on_max)
    await on_max.send("/link aff-r14")
    before = len(on_vk.messages)
    await manager.send("/approve_link max:1401")
    # the newer «no» (MAX) is the person's choice now, and the VK chat is told so
    assert not (await _chat(people, "vk", 1401)).subscribed("news")
    told = [m.text for m in on_vk.messages[before:]]
    assert any("MAX" in text and "/settings" in text for text in told), told
    card = (await manager.send("/partner vk:1401"))[-1].plain
    assert "/stop" not in card, card
    assert "MAX" in card, card  # why: the «no» given in onboarding on MAX

    await on_max.send("/forget")
    await on_max.press("Удалить только в этом чате")  # linked: asked where (session 27)
    # the MAX chat is gone, and so is its «no»: VK's own «yes» again, and VK is told
    assert (await _chat(people, "vk", 1401)).subscribed("news")
    assert "снова" in on_vk.last.text, on_vk.last.text
    start = await on_vk.send("/start")
    assert not any("Рассылок вам не приходит" in m.text for m in start), start


async def test_a_newer_yes_in_the_joining_chat_outweighs_an_older_no(people: Harness) -> None:
    manager = people.manager()
    await manager.send("/start")
    on_vk, on_max = people.vk_user(1402, "Вера"), people.max_user(1402, "Вера")
    await _onboard_saying_no(on_vk)
    await on_vk.send("/link aff-r14b")
    await manager.send("/approve_link vk:1402")
    await on_max.onboard()  # «✅ Да, присылайте», later than VK's «no»
    await on_max.send("/link aff-r14b")
    await manager.send("/approve_link max:1402")
    assert (await _chat(people, "vk", 1402)).subscribed("news")
    assert (await _chat(people, "max", 1402)).subscribed("news")


async def test_stop_is_named_on_the_card_only_when_it_was_sent(people: Harness) -> None:
    manager = people.manager()
    await manager.send("/start")
    on_vk = people.vk_user(1403, "Вера")
    await on_vk.onboard()
    await on_vk.send("/stop")
    assert "/stop" in (await manager.send("/partner vk:1403"))[-1].plain


async def test_a_choice_made_after_linking_is_everyones_and_stays(people: Harness) -> None:
    """Once the person chooses again (a topic in /settings), that is every chat's own
    choice: forgetting the chat whose «no» had stood in changes nothing; a chat linked to
    another id takes its own choice back."""
    manager = people.manager()
    await manager.send("/start")
    on_vk, on_max = people.vk_user(1405, "Вера"), people.max_user(1405, "Вера")
    on_tg = people.user(1405, "Вера")
    for chat in (on_vk, on_tg):
        await chat.onboard()
        await chat.send("/link aff-later")
        await manager.send(f"/approve_link {'vk' if chat is on_vk else 'tg'}:1405")
    await _onboard_saying_no(on_max)
    await on_max.send("/link aff-later")
    await manager.send("/approve_link max:1405")
    assert not (await _chat(people, "tg", 1405)).subscribed("news")
    await on_tg.send("/link aff-other")
    assert not (await _chat(people, "tg", 1405)).consent  # linked till a manager approves
    await manager.send("/approve_link tg:1405")  # Telegram leaves the person: its own «yes» back
    assert (await _chat(people, "tg", 1405)).consent
    assert not (await _chat(people, "vk", 1405)).subscribed("news")
    await on_vk.send("/settings")
    await on_vk.press("❌ Конкурсы")  # the person chooses again: only contests
    await on_max.send("/forget")
    await on_max.press("Удалить только в этом чате")  # linked: asked where (session 27)
    vk = await _chat(people, "vk", 1405)
    assert vk.subscribed("contests")
    assert not vk.subscribed("news")
    assert vk.own_choice is None


# --- 2. the segment of the chat used last ---


async def test_the_joining_chat_used_last_keeps_its_segment_and_is_told(
    people: Harness,
) -> None:
    manager = people.manager()
    await manager.send("/start")
    on_tg, on_vk = people.user(1404, "Вера"), people.vk_user(1404, "Вера")
    await on_tg.onboard()  # Вебмастер
    await on_tg.send("/link aff-seg")
    await manager.send("/approve_link tg:1404")
    people.clock.advance(3600)
    await on_vk.onboard("Блогер")
    await on_vk.send("/link aff-seg")
    await manager.send("/approve_link vk:1404")
    assert "Сегмент: Блогер" in on_vk.last.text, on_vk.last.text
    assert (await _chat(people, "tg", 1404)).segment == (await _chat(people, "vk", 1404)).segment
    me = await on_vk.send("/me")
    assert any("Блогер" in m.text for m in me), [m.text for m in me]
    assert "Блогер" in on_tg.last.text, on_tg.last.text  # the other chat is told too


# --- 3. contest participants as an /announce audience ---


async def test_a_contest_of_one_segment_is_an_audience_of_its_partners(harness: Harness) -> None:
    demo = await harness.services.contests.contest("winter-sofas")
    assert demo is not None
    sprint = demo.model_copy(update={"id": "sprint", "title": "Спринт", "segments": ["webmaster"]})
    await harness.services.contests.create(sprint, by="tg:1")
    await harness.services.contests.mark_announced(sprint)
    webmaster, blogger = harness.user(1411, "Анна"), harness.user(1412, "Борис")
    await webmaster.onboard()
    await blogger.onboard("Блогер")
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    await manager.send("Для участников спринта")
    await manager.press("Участникам конкурса…")
    assert "Спринт" in manager.last.button_labels, manager.last.button_labels
    picked = await manager.press("Спринт")
    assert not any("никого нет" in m.plain for m in picked), [m.plain for m in picked]
    preview = "\n".join(m.plain for m in await manager.press("Сейчас"))
    assert "участники конкурса «Спринт» — 1 получатель" in preview, preview
    await manager.press("✅ Отправить")
    await harness.deliver()
    assert any(m.plain.startswith("Для участников спринта") for m in webmaster.messages)
    assert not any(m.plain.startswith("Для участников спринта") for m in blogger.messages)


# --- 4. small: plurals, digits, a long onboarding answer ---


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (1, "Об отмене узнает 1 партнёр, которому о нём сообщали."),
        (2, "Об отмене узнают 2 партнёра, которым о нём сообщали."),
        (5, "Об отмене узнают 5 партнёров, которым о нём сообщали."),
        (21, "Об отмене узнает 21 партнёр, которому о нём сообщали."),
    ],
)
def test_the_cancellation_count_agrees_with_its_words(count: int, said: str) -> None:
    l10n = Translator().get("ru")
    assert said in l10n("contests-admin-cancelled-now", title="Спринт", count=count)


@pytest.mark.parametrize(
    "typed", ["٢٠.١٢.٢٠٢٦ ١٠:٠٠", "２０.１２.２０２６ １０:００", "20.12.2026 １0:00"]
)
def test_other_scripts_digits_are_refused_in_dates_saying_so(typed: str) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(DraftError) as refused:
        read_future(typed, ZoneInfo("Europe/Moscow"), now)
    assert refused.value.key == "draft-error-digits"
    assert "0–9" in Translator().get("ru")(refused.value.key)


def test_other_scripts_digits_are_refused_in_hold_days_saying_so() -> None:
    with pytest.raises(DraftError) as refused:
        read_hold_days("١٤")
    assert refused.value.key == "draft-error-digits"
    assert read_hold_days("14") == 14


async def test_a_long_typed_onboarding_answer_is_refused_with_the_limit(
    harness: Harness,
) -> None:
    anna = harness.user(1421, "Анна")
    await anna.send("/start")
    await anna.press(next(b for b in anna.last.button_labels if b.startswith("Вебмастер")))
    await anna.press("Сайт")
    await anna.press("До года")
    assert f"до {ANSWER_LIMIT} символов" in anna.last.plain
    refused = await anna.send("Очень длинный ответ " * 15 + "!")  # 301 characters
    assert f"Слишком длинно: 301 символ, можно до {ANSWER_LIMIT}" in refused[-1].plain
    assert "кто ваша аудитория" in refused[-1].plain.lower()
    await anna.send("Владельцы квартир в новостройках")
    await anna.press("✅ Да, присылайте")
    partner = await harness.services.partners.by_user("tg", 1421)
    assert partner is not None
    assert partner.answers["audience"] == "Владельцы квартир в новостройках"
