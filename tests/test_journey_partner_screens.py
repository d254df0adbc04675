"""Partner screens as an independent tester found them from the README alone (session 7):
/start after /stop keeps what the partner refused, /me shows the month's place, a
greeting with no name left in it drops the name, and managers' contest texts carry no
bidi controls. The VK and MAX twins are in test_journey_vk_max.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bot.services.conversions import ConversionIn
from tests.harness import MANAGER_ID, Client, Harness, chats_emulator, running_bot

QUIET = "Нет, только ответы на мои вопросы"
TOPICS = ["Новости", "Конкурсы", "Еженедельный дайджест", "Уведомления о продажах", "Новые уроки"]


async def onboard_quietly(person: Client) -> None:
    """Onboarding with «no newsletters, only answers to my questions» at the end."""
    await person.send("/start")
    await person.press(next(b for b in person.last.button_labels if b.startswith("Вебмастер")))
    await person.press("Сайт")
    await person.press("До года")
    await person.send("Владельцы квартир в новостройках")
    await person.press(QUIET)


async def linked(harness: Harness, user_id: int, name: str, affiliate: str) -> Client:
    """An onboarded partner whose affiliate id a manager approved."""
    person = harness.user(user_id, name)
    await person.onboard()
    await person.send(f"/link {affiliate}")
    await harness.manager().press("✅ Подтвердить")
    return person


async def sales(harness: Harness, affiliate: str, count: int) -> None:
    for number in range(count):
        order = f"{affiliate}-{number}"
        item = ConversionIn(
            affiliate, order, "approved", Decimal(1000), "RUB", harness.clock.now()
        )
        await harness.services.sales.record(item, "postback")
    await harness.services.sales.settle()


def topic_marks(labels: list[str]) -> dict[str, str]:
    """/settings' topic buttons: topic → ✅ or ❌."""
    return {label[2:]: label[0] for label in labels if label[2:] in TOPICS}


async def test_start_after_stop_keeps_topics_refused_in_onboarding_off(harness: Harness) -> None:
    anna = harness.user(1401, "Анна")
    await onboard_quietly(anna)
    await anna.send("/settings")
    assert topic_marks(anna.last.button_labels) == dict.fromkeys(TOPICS, "❌")
    await anna.send("/stop")
    replies = await anna.send("/start")
    greeting = replies[0].plain
    assert greeting.startswith("С возвращением, Анна!")
    assert "снова включены" not in greeting
    assert "все темы у вас выключены — включите нужные в /settings" in greeting
    await anna.send("/settings")
    assert topic_marks(anna.last.button_labels) == dict.fromkeys(TOPICS, "❌")
    assert await harness.services.partners.audience("news") == []

    # one topic switched on afterwards: /stop and /start bring back exactly that one
    await anna.press("❌ Конкурсы")
    await anna.send("/stop")
    greeting = (await anna.send("/start"))[0].plain
    assert "Рассылки снова включены: Конкурсы." in greeting
    assert (
        "Выключены, как вы и настроили: Новости, Еженедельный дайджест, "
        "Уведомления о продажах, Новые уроки." in greeting
    )
    await anna.send("/settings")
    assert topic_marks(anna.last.button_labels) == {
        topic: "✅" if topic == "Конкурсы" else "❌" for topic in TOPICS
    }


async def test_me_shows_the_months_place_as_top_does(harness: Harness) -> None:
    """SPEC §5: /me has the rank; the same place as /top's «Вы: №…», this month."""
    await harness.manager().send("/start")
    anna = await linked(harness, 1411, "Анна", "aff-r1")
    boris = await linked(harness, 1412, "Борис", "aff-r2")
    john = await linked(harness, 1413, "John", "aff-r3")
    await john.send("/settings")
    await john.press(next(b for b in john.last.button_labels if b.startswith("Язык")))
    card = (await anna.send("/me"))[-1].plain
    assert "Место в рейтинге месяца: пока нет — первая подтверждённая продажа" in card
    card = (await john.send("/me"))[-1].plain
    assert "Place in this month's ranking: not yet — your first approved sale" in card

    await sales(harness, "aff-r2", 2)
    await sales(harness, "aff-r1", 1)
    card = (await anna.send("/me"))[-1].plain
    assert "Продажи в этом месяце: 1 продажа" in card
    assert "Место в рейтинге месяца: №2 из 2 (/top)" in card
    assert "Вы: №2 (1), до №1 — 1" in (await anna.send("/top"))[-1].plain
    assert "Место в рейтинге месяца: №1 из 2 (/top)" in (await boris.send("/me"))[-1].plain
    await sales(harness, "aff-r3", 3)
    card = (await john.send("/me"))[-1].plain
    assert "Place in this month's ranking: #1 of 3 (/top)" in card
    assert "№3 из 3" in (await anna.send("/me"))[-1].plain


RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: a name of nothing else is no name


async def test_a_name_of_nothing_but_bidi_controls_is_left_out_of_greetings(
    tmp_path: Path,
) -> None:
    """«Hello, —!» was the greeting of someone whose name was only an override: every
    greeting with a name (hello, welcome back, a manager's hello, the nudge, the welcome
    in the partners' chat) goes without it instead."""
    community = -1009876543210
    async with chats_emulator() as emulator:
        emulator.add_group(community, "Партнёры")
        async with running_bot(
            tmp_path, emulator=emulator, tg_community_chat_id=community
        ) as harness:
            nobody = harness.user(1421, RLO)
            hello = (await nobody.send("/start"))[0].plain
            assert hello.startswith("Здравствуйте! Это бот партнёров «Партнёрская программа")
            assert "—" not in hello.splitlines()[0]

            anna = harness.user(1422, "Анна")
            await anna.onboard()
            emulator.users[1422].first_name = RLO  # the sandbox's «/name RLO»
            emulator.chats[1422].first_name = RLO
            assert (await anna.send("/start"))[0].plain == "С возвращением!"
            await anna.send("/settings")
            await anna.press(next(b for b in anna.last.button_labels if b.startswith("Язык")))
            assert (await anna.send("/start"))[0].plain == "Welcome back!"

            vera = harness.user(1423, f" {RLO}\u2067 ")
            await vera.onboard()
            harness.clock.advance(timedelta(days=15).total_seconds())
            await harness.services.notices.nudges(14, 3)
            await harness.deliver()
            assert vera.last.plain.startswith("Давно не было продаж — давайте поможем!")

            manager = harness.user(MANAGER_ID, RLO)
            greeting = (await manager.send("/start"))[0].plain
            assert greeting.startswith("Здравствуйте! Вы менеджер программы")

            emulator.add_user(1424, RLO)
            await emulator.wait_processed(emulator.join(1424, community))
            welcome = emulator.chat_messages(community)[-1].plain
            assert welcome.startswith("Добро пожаловать! Это чат партнёров")


BIDI = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
TITLE = '<b>Турнир</b> & "кавычки" \u202eevil'


async def test_a_managers_contest_texts_lose_bidi_controls(tmp_path: Path) -> None:
    """A right-to-left override typed into a contest's title, description or prizes was
    escaped but kept: it turned lines around in /contests_admin, the partners' lists and
    /schedule. The controls go where the contest is read; letters of right-to-left
    scripts stay."""
    community = -1009876543210
    async with chats_emulator() as emulator:
        emulator.add_group(community, "Партнёры")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path, emulator=emulator, tg_community_chat_id=community
        ) as harness:
            manager = harness.manager()
            await manager.send("/start")
            anna = harness.user(1431, "Анна")
            await anna.onboard()
            await manager.send("/contest_new")
            refused = (await manager.send("\u202e\u2067"))[-1].plain
            assert "Шаг 1 из 8" in refused  # nothing but controls: no title
            assert "Шаг 2 из 8" in (await manager.send(TITLE))[-1].plain
            for text in (
                "Продавайте \u202eбольше\u202c всех. שלום \u200fעולם",
                "12.11.2026 10:00",
                "30.11.2026",
                "все",
                "больше продаж: Бонус \u202e10 000 ₽",
                "0",
            ):
                await manager.send(text)
            preview = (await manager.send("-"))[-1]
            await manager.press("✅ Сохранить", preview)
            await harness.deliver()
            shown = '<b>Турнир</b> & "кавычки" evil'
            screens = {
                "preview": preview.plain,
                "saved": manager.messages[-1].plain,
                "admin": (await manager.send("/contests_admin"))[-1].plain,
                "admin buttons": " ".join(manager.last.button_labels),
                "announced": anna.last.plain,
                "contests": "\n".join(m.plain for m in await anna.send("/contests")),
                "community": emulator.chat_messages(community)[-1].plain,
                "schedule": (await manager.send("/schedule"))[-1].plain,
            }
            for where, text in screens.items():
                assert shown in text, where
                assert not set(text) & set(BIDI), where
            assert "Продавайте больше всех. שלום עולם" in screens["contests"]
            assert "Бонус 10 000 ₽" in screens["contests"]


async def test_a_contest_stored_before_the_rule_loads_without_controls(harness: Harness) -> None:
    """A manager's contest saved with an override in it (before the dialog dropped them)
    is shown without it; a text of nothing but controls becomes «—» rather than failing
    to load."""
    from datetime import UTC, datetime

    from bot.content.models import Contest, PrizeCategory

    old = Contest.model_construct(  # as it was stored: no validation
        id="c261120-old1",
        title="Старый \u202eконкурс",
        description="\u202e\u2067",
        starts_at=datetime(2026, 11, 20, 7, tzinfo=UTC),
        ends_at=datetime(2026, 11, 30, 7, tzinfo=UTC),
        segments=[],
        restrictions="",
        prizes=[PrizeCategory.model_construct(category="most_sales", places=["\u202eПриз"])],
        hold_days=0,
        one_prize_per_partner=False,
    )
    await harness.services.contests.create(old, "tg:1")
    (loaded,) = [c for c in await harness.services.contests.active() if c.id == old.id]
    assert (loaded.title, loaded.description) == ("Старый конкурс", "—")
    assert loaded.prizes[0].places == ["Приз"]
    manager = harness.manager()
    await manager.send("/start")
    listing = (await manager.send("/contests_admin"))[-1]
    assert "Старый конкурс" in listing.plain
    assert not set(listing.plain + "".join(listing.button_labels)) & set(BIDI)


async def test_announcements_list_shows_a_preview_without_bidi_controls(harness: Harness) -> None:
    """/announcements quotes the start of each announcement: an override in it turned the
    rest of the line around (the closing quote); the controls go there, Arabic stays. The
    partners get the text as the manager wrote and previewed it."""
    anna = harness.user(1441, "Анна")
    await anna.onboard()
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    await manager.send("Скидки \u202eнедели\u202c: مرحبا \u200fبكم")
    await manager.press("👥 Всем партнёрам")
    await manager.press("Сейчас")
    await manager.press("✅ Отправить")
    await harness.deliver()
    assert anna.last.plain == "Скидки \u202eнедели\u202c: مرحبا \u200fبكم"
    listing = (await manager.send("/announcements"))[-1].plain
    assert "«Скидки недели: مرحبا بكم»" in listing
    assert not set(listing) & set(BIDI)
