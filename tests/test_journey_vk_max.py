"""Journeys VK and MAX go through the same way, once for each: a partner linked in every
chat (one set of numbers, automated messages where they choose), and a ticket in the
platform's managers' chat in reply mode. What differs is in `Side`: how a person is
made, where the managers' chat is, how a manager replies there."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.max.emulator import MaxApiEmulator
from bot.services.sales import ConversionIn
from bot.vk.emulator import VkApiEmulator
from tests.harness import (
    MANAGER_ID,
    VK_MANAGER_ID,
    Harness,
    MaxPerson,
    VkClient,
    chats_emulator,
    running_bot,
    sales_told,
)

VK_CHAT = 2_000_000_001
MAX_CHAT = -70_000_000_001
FORUM = -1001234567890

Person = VkClient | MaxPerson
TOPIC_NAMES = [
    "Новости",
    "Конкурсы",
    "Еженедельный дайджест",
    "Уведомления о продажах",
    "Новые уроки",
]


@dataclass(frozen=True)
class Side:
    """One platform of the pair, as the journeys need it."""

    platform: str
    only_here: str  # the /settings label for automated messages only on this platform

    @contextlib.asynccontextmanager
    async def running(
        self, tmp_path: Path, *, managers_chat: bool = False, **settings: Any
    ) -> AsyncIterator[Harness]:
        """The bot with Telegram, VK and MAX (`managers_chat`: the managers' chat on this
        platform)."""
        vk, maxbot = VkApiEmulator(), MaxApiEmulator(rate=10_000)
        await maxbot.start()
        if managers_chat and self.platform == "vk":
            vk.add_chat(VK_CHAT, "Менеджеры")
            settings["vk_managers_peer_id"] = VK_CHAT
        if managers_chat and self.platform == "max":
            maxbot.add_chat(MAX_CHAT, "Менеджеры")
            settings["max_managers_chat_id"] = MAX_CHAT
        try:
            async with running_bot(tmp_path, vk=vk, maxbot=maxbot, **settings) as harness:
                yield harness
        finally:
            await vk.stop()
            await maxbot.stop()

    def person(self, harness: Harness, user_id: int, name: str) -> Person:
        if self.platform == "vk":
            return harness.vk_user(user_id, name)
        return harness.max_user(user_id, name)

    async def send_photo(self, harness: Harness, user_id: int, caption: str) -> None:
        """The person sends a photo with a caption."""
        if self.platform == "vk":
            assert harness.vk is not None
            photo = {"type": "photo", "photo": {"id": 5, "owner_id": user_id}}
            ts = harness.vk.user_message(user_id, caption, attachments=[photo])
            await harness.vk.wait_processed(ts)
            return
        assert harness.max is not None
        photo = harness.max.attach("image", "screen.png", b"\x89PNG screenshot")
        await harness.max.wait_processed(harness.max.user_message(user_id, caption, files=[photo]))

    def uploads(self, harness: Harness) -> list[bytes]:
        """The files the bot uploaded to this platform."""
        emulator = harness.vk if self.platform == "vk" else harness.max
        assert emulator is not None
        return [data for _name, data in emulator.uploads.values()]

    def managers_chat(self, harness: Harness) -> list[str]:
        """What is in the managers' chat, as people read it."""
        if self.platform == "vk":
            assert harness.vk is not None
            return [m.plain for m in harness.vk.chat_messages(VK_CHAT)]
        assert harness.max is not None
        return [m.plain for m in harness.max.chat_messages(MAX_CHAT)]

    async def manager_replies(self, harness: Harness, text: str, to_nth: int) -> None:
        """A manager replies in the managers' chat to its `to_nth` message."""
        if self.platform == "vk":
            assert harness.vk is not None
            relayed = harness.vk.chat_messages(VK_CHAT)[to_nth]
            ts = harness.vk.user_message(VK_MANAGER_ID, text, peer_id=VK_CHAT, reply_to=relayed)
            await harness.vk.wait_processed(ts)
            return
        assert harness.max is not None
        relayed = harness.max.chat_messages(MAX_CHAT)[to_nth]
        await harness.max_manager().send(text, reply_to=relayed, chat=MAX_CHAT)


SIDES = [
    pytest.param(Side("vk", "Рассылки: только во ВКонтакте"), id="vk"),
    pytest.param(Side("max", "Рассылки: только в MAX"), id="max"),
]


@pytest.mark.parametrize("side", SIDES)
async def test_one_person_in_every_chat_one_set_of_numbers(side: Side, tmp_path: Path) -> None:
    """Linked to one affiliate id on Telegram, VK and MAX: the same numbers everywhere,
    one place on the board, and automated messages where the person chooses (chosen in
    `side`'s chat, seen in the others)."""
    async with side.running(tmp_path) as harness:
        manager = harness.manager()
        await manager.send("/start")
        harness.vk_manager()
        await harness.max_manager().open()
        anna = harness.user(710, "Анна")
        vera = harness.vk_user(260, "Анна")
        maria = harness.max_user(360, "Анна")
        rival = harness.user(711, "Борис")
        for person in (anna, vera, maria, rival):
            await person.onboard()
        for person, command in (
            (anna, "/link aff-88"),
            (vera, "link aff-88"),  # VK: typed without the slash
            (maria, "/link aff-88"),
            (rival, "/link aff-99"),
        ):
            await person.send(command)
            await manager.press("✅ Подтвердить")
        assert maria.last.plain.startswith("✅ ID aff-88 привязан")
        assert vera.last.plain.startswith("✅ ID aff-88 привязан")

        now = harness.clock.now()
        for number in range(3):
            item = ConversionIn("aff-88", f"o-{number}", "approved", Decimal(1000), "RUB", now)
            await harness.services.sales.record(item, "postback")
        item = ConversionIn("aff-99", "r-1", "approved", Decimal(500), "RUB", now)
        await harness.services.sales.record(item, "postback")
        await harness.services.sales.settle()
        for person in (anna, vera, maria):
            card = (await person.send("/me"))[-1].plain
            assert "Продажи в этом месяце: 3 продажи" in card
            assert "Место в рейтинге месяца: №1 из 2 (/top)" in card  # /top's place
        for person in (anna, maria):
            board = (await person.send("/top"))[-1].plain
            assert board.count("Анна") == 1  # one place for the person, not three
            assert board.index("Анна") < board.index("Борис")

        async def announce(text: str) -> None:
            await manager.send("/announce")
            await manager.send(text)
            await manager.press("👥 Всем партнёрам")
            await manager.press("Сейчас")
            await manager.press("✅ Отправить")
            await harness.deliver()

        await announce("Первая новость")  # queued after the sale notices: it comes after them
        for person in (anna, vera, maria):
            texts = [m.plain for m in person.messages]
            assert texts[-1] == "Первая новость"
            assert sales_told(texts) == 3, texts
        chosen = vera if side.platform == "vk" else maria
        await chosen.send("/settings")
        await chosen.press("Рассылки: во всех ваших чатах с ботом")
        assert side.only_here in chosen.last.button_labels
        await announce("Вторая новость")
        assert chosen.last.plain == "Вторая новость"
        others = [p for p in (anna, vera, maria) if p is not chosen]
        assert [p.last.plain for p in others] == ["Первая новость"] * 2
        await anna.send("/settings")  # the choice is shown in every chat
        assert side.only_here in anna.last.button_labels


@pytest.mark.parametrize("side", SIDES)
async def test_a_ticket_in_the_platforms_managers_chat(side: Side, tmp_path: Path) -> None:
    """No forum topics on VK or MAX: the managers' chat works in reply mode (a card and a
    copy of each message; a reply to one goes to the partner, "!" stays inside)."""
    async with side.running(tmp_path, managers_chat=True) as harness:
        harness.vk_manager()
        harness.max_manager()
        partner = side.person(harness, 310, "Вера")
        await partner.onboard()
        await partner.send("/support")
        replies = await partner.send("Где мой промокод?")
        assert replies[-1].plain.startswith("Обращение №1 открыто")
        card, relayed = side.managers_chat(harness)
        assert "Обращение №1" in card
        assert "ответьте" in card.lower()
        assert f"{side.platform}:310" in card
        assert relayed == "Где мой промокод?"

        harness.clock.advance(1)
        await side.manager_replies(harness, "Промокод в <письме>", to_nth=1)
        assert partner.last.plain == "Промокод в <письме>"
        await side.manager_replies(harness, "!проверить позже", to_nth=1)  # a note
        assert partner.last.plain == "Промокод в <письме>"
        await partner.send("Спасибо, нашла")
        assert side.managers_chat(harness)[-1] == "Спасибо, нашла"


@pytest.mark.parametrize("side", SIDES)
async def test_a_ticket_answered_from_a_telegram_forum_and_back(
    side: Side, tmp_path: Path
) -> None:
    """Managers in a Telegram forum: the partner's ticket is a topic there, a photo
    crosses as its caption and a line about it, the answer in the topic reaches the
    partner on their platform, and the rating comes back."""
    async with chats_emulator() as telegram:
        telegram.add_group(FORUM, "Менеджеры", forum=True)
        telegram.add_user(MANAGER_ID, "Михаил")
        async with side.running(tmp_path, emulator=telegram, tg_managers_chat_id=FORUM) as harness:
            partner = side.person(harness, 312, "Вера")
            await partner.onboard("Блогер")
            await partner.send("/support")
            replies = await partner.send("Не пришла выплата за октябрь")
            assert replies[-1].plain.startswith("Обращение №1 открыто")
            assert replies[-1].button_labels == ["✅ Вопрос решён, закрыть"]
            (thread,) = [t for (chat, t) in telegram.topics if chat == FORUM]
            card, relayed = telegram.chat_messages(FORUM)
            assert f"{side.platform}:312" in card.plain
            assert relayed.plain == "Не пришла выплата за октябрь"
            assert relayed.thread_id == thread

            harness.clock.advance(1)
            await side.send_photo(harness, 312, "скриншот")
            crossed = telegram.chat_messages(FORUM)[-1].plain
            assert crossed.startswith("скриншот")
            assert "фото" in crossed

            harness.clock.advance(1)
            update = telegram.user_message(
                MANAGER_ID, "Выплата <ушла> вчера", chat_id=FORUM, thread_id=thread
            )
            await telegram.wait_processed(update)
            assert partner.last.plain == "Выплата <ушла> вчера"
            await partner.send("Пришла, спасибо")
            assert telegram.chat_messages(FORUM)[-1].plain == "Пришла, спасибо"

            harness.clock.advance(1)
            update = telegram.user_message(MANAGER_ID, "/close", chat_id=FORUM, thread_id=thread)
            await telegram.wait_processed(update)
            assert partner.last.plain.startswith("Обращение №1 закрыто")
            await partner.press("👍 Помогли")
            assert "Оценка по обращению №1: 👍" in telegram.chat_messages(FORUM)[-1].plain


@pytest.mark.parametrize("side", SIDES)
async def test_a_telegram_announcement_with_a_photo_arrives_with_it(
    side: Side, tmp_path: Path
) -> None:
    """A Telegram manager's photo: fetched from Telegram once, uploaded to the platform,
    sent with the text to its partners."""
    async with side.running(tmp_path) as harness:
        partner = side.person(harness, 390, "Вера")
        await partner.onboard()
        manager = harness.manager()
        await manager.send("/start")
        await manager.send("/announce")
        await manager.send("Новые баннеры", kind="photo")
        await manager.press("👥 Всем партнёрам")
        await manager.press("Сейчас")
        await manager.press("✅ Отправить")
        await harness.deliver()
        assert partner.last.plain == "Новые баннеры"
        if isinstance(partner, VkClient):
            assert partner.last.attachments[0].startswith("photo-777_")
        else:
            assert partner.last.files[0]["type"] == "image"
        (upload,) = side.uploads(harness)
        assert upload.startswith(b"partnerbot sandbox file")


async def onboard_quietly(person: Person) -> None:
    """Onboarding with «no newsletters, only answers to my questions» at the end."""
    if isinstance(person, VkClient):
        await person.send("Начать")
    else:
        await person.open()
    await person.press(next(b for b in person.last.button_labels if b.startswith("Вебмастер")))
    await person.press("Сайт")
    await person.press("До года")
    await person.send("Владельцы квартир в новостройках")
    await person.press("Нет, только ответы на мои вопросы")


@pytest.mark.parametrize("side", SIDES)
async def test_start_after_stop_keeps_topics_refused_in_onboarding_off(
    side: Side, tmp_path: Path
) -> None:
    """Session 7 review: «no newsletters» in onboarding, /stop, /start: still none, and
    the reply says so (it used to list every topic as on again)."""
    async with side.running(tmp_path) as harness:
        vera = side.person(harness, 330, "Вера")
        await onboard_quietly(vera)
        await vera.send("/settings")
        topics = [label for label in vera.last.button_labels if label[2:] in TOPIC_NAMES]
        assert topics == [f"❌ {topic}" for topic in TOPIC_NAMES]
        await vera.send("/stop")
        greeting = (await vera.send("/start"))[0].plain
        assert greeting.startswith("С возвращением, Вера")
        assert "снова включены" not in greeting
        assert "все темы у вас выключены — включите нужные в /settings" in greeting
        await vera.send("/settings")
        topics = [label for label in vera.last.button_labels if label[2:] in TOPIC_NAMES]
        assert topics == [f"❌ {topic}" for topic in TOPIC_NAMES]
        assert await harness.services.partners.audience("news") == []


@pytest.mark.parametrize("side", SIDES)
async def test_a_name_of_nothing_but_an_override_is_left_out_of_greetings(
    side: Side, tmp_path: Path
) -> None:
    """Session 7 review: «/name» set to a right-to-left override alone gave «Здравствуйте,
    —!» and «С возвращением, —!»; the greetings go without the name instead."""
    async with side.running(tmp_path) as harness:
        person: Person
        if side.platform == "vk":
            assert harness.vk is not None
            harness.vk.add_user(340, "\u202e", "")
            person = VkClient(harness, 340)
            hello = (await person.send("Начать"))[0].plain
        else:
            assert harness.max is not None
            harness.max.add_user(340, "\u202e", "", username="max340")
            person = MaxPerson(harness, 340)
            hello = (await person.open())[0].plain
        assert hello.startswith("Здравствуйте! Это бот партнёров «Партнёрская программа")
        await person.press(next(b for b in person.last.button_labels if b.startswith("Блогер")))
        await person.press("Сайт")
        await person.press("До года")
        await person.send("Мамы в декрете")
        await person.press("✅ Да, присылайте")
        assert (await person.send("/start"))[0].plain == "С возвращением!"


@pytest.mark.parametrize("side", SIDES)
async def test_a_contest_title_reaches_the_platform_without_bidi_controls(
    side: Side, tmp_path: Path
) -> None:
    """Session 7 review: an override typed into a contest's title stayed in the partners'
    announcement and /contests; it goes, the words and the escaping stay."""
    bidi = set("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    async with side.running(tmp_path) as harness:
        vera = side.person(harness, 350, "Вера")
        await vera.onboard()
        manager = harness.manager()
        await manager.send("/start")
        for text in (
            "/contest_new",
            '<b>Турнир</b> & "кавычки" \u202eevil',
            "Правила \u202eконкурса.",
            "12.11.2026 10:00",
            "30.11.2026",
            "все",
            "больше продаж: Бонус \u202e10 000 ₽",
            "0",
        ):
            await manager.send(text)
        await manager.press("✅ Сохранить", (await manager.send("-"))[-1])
        await harness.deliver()
        shown = '<b>Турнир</b> & "кавычки" evil'
        announced = vera.last.plain
        listed = "\n".join(m.plain for m in await vera.send("/contests"))
        for text in (announced, listed):
            assert shown in text
            assert "Правила конкурса." in text
            assert not set(text) & bidi
