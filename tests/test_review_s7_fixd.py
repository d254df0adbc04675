"""Session 7 loose ends in wording (task fixd): a partner whose name has nothing visible
left is «Партнёр 1234», never «—»; /stop, /me and /start for a partner with no
newsletters; a question about the bot itself in the partners' group."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import Translator
from bot.names import display_name, greeting_name
from tests.harness import Client, Harness
from tests.test_journey_community import COMMUNITY, say
from tests.test_journey_partner_screens import sales
from tests.test_journey_support import FORUM, forum, forum_relay, in_chat, topic_of
from tests.test_review_s7_fixb import chat

__all__ = ["chat", "forum"]  # the fixtures, used by name

# --- 1. nobody is a «—» ---

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


@given(st.text(alphabet=ZERO_WIDTH + " \u202e\u2066\u2069\u200f"))
def test_zero_width_characters_alone_are_no_name(name: str) -> None:
    assert display_name(name) == "—"
    assert greeting_name(name) == ""


def test_zero_width_characters_inside_a_name_stay() -> None:
    assert display_name("👩\u200d💻 Анна") == "👩\u200d💻 Анна"
    assert greeting_name("\u200bАнна\u200b") == "\u200bАнна\u200b"


async def _code(harness: Harness, user_id: int) -> str:
    partner = await harness.services.partners.by_user("tg", user_id)
    assert partner is not None
    return partner.partner_code[-4:]


async def test_a_name_with_nothing_visible_is_partner_and_code_everywhere(
    forum: Harness,
) -> None:
    """The leaderboard (by name, as chosen), /me, the managers' link card and its
    outcome, the ticket card, its topic, /tickets, the overdue note and /partner."""
    shown: dict[int, str] = {}
    for user_id, name, affiliate in ((1601, "\u202e", "n-1"), (1602, "\u200b\u2060 ", "n-2")):
        person = forum.user(user_id, name)
        await person.onboard()
        shown[user_id] = label = f"Партнёр {await _code(forum, user_id)}"
        assert (await person.send("/me"))[-1].plain.splitlines()[0] == label

        await person.send(f"/link {affiliate}")
        card = forum.emulator.chat_messages(FORUM)[-1].plain
        assert f"Партнёр: {label} (@user{user_id}, tg:{user_id})" in card
        await in_chat(forum, FORUM, f"/approve_link tg:{user_id}")
        assert forum.emulator.chat_messages(FORUM)[-1].plain.endswith(f"партнёр: {label}.")

    await sales(forum, "n-1", 2)
    await sales(forum, "n-2", 1)
    nobody = Client(forum, 1601)
    board = (await nobody.send("/top"))[-1].plain.splitlines()
    assert board[1:3] == [f"1. {shown[1601]} — 2", f"2. {shown[1602]} — 1"]

    await nobody.send("/support Где выплата?")
    card = forum.emulator.chat_messages(FORUM)[-1].plain
    assert f"Партнёр: {shown[1601]} (@user1601, tg:1601)" in card
    assert forum.emulator.topics[(FORUM, topic_of(forum, 1))].startswith(f"#1 · {shown[1601]} · ")
    await nobody.send("/support И ещё вопрос")  # more words for the open ticket
    wrote, words = forum.emulator.chat_messages(FORUM)[-2:]
    assert wrote.plain == f"✉️ Обращение №1, {shown[1601]}:"
    assert words.plain == "И ещё вопрос"  # the words alone, as the partner's message

    await in_chat(forum, FORUM, "/tickets")
    listing = forum.emulator.chat_messages(FORUM)[-1].plain
    assert f"№1 · {shown[1601]} (tg:1601) · открыто" in listing

    forum.clock.advance(5 * 3600)
    await raise_overdue(forum)
    overdue = forum.emulator.chat_messages(FORUM)[-1].plain
    assert overdue.startswith(f"⏰ Обращение №1 ({shown[1601]}) ждёт ответа")

    await in_chat(forum, FORUM, "/partner tg:1602")
    partner_card = forum.emulator.chat_messages(FORUM)[-1].plain
    assert partner_card.startswith(f"👤 {shown[1602]} (@user1602, tg:1602)")


async def raise_overdue(harness: Harness) -> None:
    from scheduler.support import raise_overdue_tickets

    services = harness.services
    await raise_overdue_tickets(
        harness.bot, services.support, forum_relay(harness), services.partners
    )


# --- 2. /stop, /me, /start for a partner with no newsletters ---


async def _onboard(person: Client, english: bool, agree: bool) -> None:
    await person.send("/start")
    await person.press(person.last.button_labels[0])
    await person.press("Сайт")
    await person.press("До года")
    await person.send("Owners of new flats")
    if english:
        await person.press("✅ Yes, send them" if agree else "No, only answers to my questions")
    else:
        await person.press("✅ Да, присылайте" if agree else "Нет, только ответы на мои вопросы")


STOP_TEXTS = {
    # (english, has newsletters): /stop, /me's last line, what /start adds after the hello
    (False, True): (
        "Вы отписаны от всех рассылок, дайджестов, напоминаний и уведомлений о продажах. "
        "Ответы на ваши вопросы остаются. Подписаться снова: /start",
        "Рассылки выключены (/stop). Включить: /start",
        "Рассылки снова включены: Новости, Конкурсы, Еженедельный дайджест, "
        "Уведомления о продажах, Новые уроки.\nИзменить темы: /settings",
    ),
    (False, False): (
        "Рассылок вам и так не приходит: все темы выключены. Ответы на ваши вопросы "
        "остаются. Включить нужные темы: /settings",
        "Рассылки выключены, все темы тоже. Включить нужные: /settings",
        "Рассылок вам не приходит: все темы у вас выключены — включите нужные в /settings.",
    ),
    (True, True): (
        "You are unsubscribed from every newsletter, digest, reminder and sale notification. "
        "Answers to your questions stay. Subscribe again: /start",
        "Newsletters are off (/stop). Turn them on: /start",
        "Messages are on again: News, Contests, Weekly digest, Sale notifications, "
        "New lessons.\nChange topics: /settings",
    ),
    (True, False): (
        "You get no newsletters anyway: all topics are off. Answers to your questions stay. "
        "Turn on the topics you want: /settings",
        "Newsletters are off, and so are all topics. Turn on the ones you want: /settings",
        "You get no newsletters: all your topics are off — turn on the ones you want in "
        "/settings.",
    ),
}


async def test_stop_me_and_start_say_what_is_true_with_and_without_newsletters(
    harness: Harness,
) -> None:
    for number, ((english, agree), (stopped, me_line, resumed)) in enumerate(STOP_TEXTS.items()):
        user_id = 1610 + number
        person = harness.user(user_id, "John" if english else "Анна", "en" if english else "ru")
        await _onboard(person, english, agree)
        assert (await person.send("/stop"))[-1].plain == stopped
        assert (await person.send("/me"))[-1].plain.splitlines()[-1] == me_line
        settings = (await person.send("/settings"))[-1].plain
        assert ("/start" in settings) is agree, settings  # /start turns nothing on
        hello, _menu = await person.send("/start")
        assert hello.plain.split("\n\n", 1)[1] == resumed
        partner = await harness.services.partners.by_user("tg", user_id)
        assert partner is not None
        assert not partner.stopped
        assert partner.subscribed("news") is agree


# --- 3. a question about the bot itself, asked the bot in the partners' group ---

BOT = "@partnerbot_sandbox_bot"
ASKED_IN_THE_GROUP = {
    "как отписаться от рассылки?": "Рассылки настраиваются в личке со мной: /settings — "
    "выбрать темы, /stop — выключить все сразу.",
    "где моя статистика?": "Свои продажи и статистику лучше смотреть в личке со мной: /me",
    "мой рейтинг": "Своё место в рейтинге лучше смотреть в личке со мной: /top",
    "мои конкурсы?": "Свои места в конкурсах лучше смотреть в личке со мной: /contests",
    "креативы": "Это лучше посмотреть в личке со мной: /creatives",  # a menu word alone
}


async def test_a_question_about_the_bot_in_the_group_is_sent_where_it_is_answered(
    chat: Harness,
) -> None:
    for question, expected in ASKED_IN_THE_GROUP.items():
        assert await say(chat, 1620, f"{BOT} {question}") == [expected], question
        said = chat.emulator.chat_messages(COMMUNITY)[-1]
        assert said.button_labels == ["💬 Открыть бота"]
        assert await say(chat, 1620, question) == []  # not addressed: silence, as before
    (offer,) = await say(chat, 1620, f"{BOT} как дела у всех")  # no answer: the offer
    assert offer.startswith("Не нашёл ответа на это в FAQ")


def test_the_group_texts_about_the_bot_name_their_command_in_both_languages() -> None:
    for language in ("ru", "en"):
        l10n = Translator().get(language)
        for about, command in (
            ("unsubscribe", "/settings"),
            ("me", "/me"),
            ("top", "/top"),
            ("contests", "/contests"),
            ("lessons", "/lessons"),
            ("help", "/help"),
        ):
            text = l10n("community-own", about=about)
            assert command in text, (language, about)
            assert "FAQ" not in text, (language, about)
