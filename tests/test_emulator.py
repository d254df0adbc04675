"""The Bot API emulator checks requests the way the real server does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.telegram.emulator import IN_FLIGHT_GRACE, BotApiEmulator, RateLimits


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wall() -> Clock:
    """The real seconds a request may still be on its way after a 429, moved by hand: a
    loaded machine's pauses are not the test's."""
    return Clock()


@pytest.fixture
async def api(
    clock: Clock, wall: Clock
) -> AsyncIterator[tuple[BotApiEmulator, aiohttp.ClientSession]]:
    emulator = BotApiEmulator(limits=RateLimits(chat_burst=2), monotonic=clock, wall=wall)
    await emulator.start()
    emulator.add_user(1, "Анна")
    async with aiohttp.ClientSession() as session:
        yield emulator, session
    await emulator.stop()


async def _call(
    api: tuple[BotApiEmulator, aiohttp.ClientSession], method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    emulator, session = api
    url = f"{emulator.base_url}/bot{emulator.token}/{method}"
    async with session.post(url, json=params) as response:
        return response.status, await response.json()


async def test_send_message_round_trip(api: tuple[BotApiEmulator, aiohttp.ClientSession]) -> None:
    status, body = await _call(
        api, "sendMessage", chat_id=1, text="<b>Привет</b>", parse_mode="HTML"
    )
    assert status == 200
    # Telegram gives a message back as it shows it: the HTML read into text
    assert body["result"]["text"] == "Привет"
    assert api[0].chat_messages(1)[0].plain == "Привет"
    status, body = await _call(
        api, "sendMessage", chat_id=1, text="a &amp; &lt;b&gt; <i>c</i>", parse_mode="HTML"
    )
    assert body["result"]["text"] == "a & <b> c"


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"chat_id": 1, "text": "x" * 4097}, "Bad Request: text is too long"),
        ({"chat_id": 1, "text": ""}, "Bad Request: text is empty"),
        ({"chat_id": 1}, "Bad Request: parameter text is required"),
        ({"chat_id": 2, "text": "hi"}, "Bad Request: chat not found"),
        ({"chat_id": 1, "text": "a < b & c", "parse_mode": "HTML"}, "can't parse entities"),
        ({"chat_id": 1, "text": "<b>open", "parse_mode": "HTML"}, "can't parse entities"),
        ({"chat_id": 1, "text": "hi", "colour": "red"}, "unknown parameter colour"),
        (
            {
                "chat_id": 1,
                "text": "hi",
                "reply_markup": json.dumps(
                    {"inline_keyboard": [[{"text": "x", "callback_data": "y" * 65}]]}
                ),
            },
            "BUTTON_DATA_INVALID",
        ),
    ],
)
async def test_bad_requests_are_refused(
    api: tuple[BotApiEmulator, aiohttp.ClientSession], params: dict[str, Any], description: str
) -> None:
    status, body = await _call(api, "sendMessage", **params)
    assert status == 400
    assert description in body["description"]
    assert api[0].chat_messages(1) == []


async def test_caption_limit(api: tuple[BotApiEmulator, aiohttp.ClientSession]) -> None:
    status, body = await _call(
        api, "sendDocument", chat_id=1, document="https://x.example/a.pdf", caption="c" * 1025
    )
    assert (status, body["description"]) == (400, "Bad Request: caption is too long")


async def test_unknown_method(api: tuple[BotApiEmulator, aiohttp.ClientSession]) -> None:
    status, _body = await _call(api, "sendTelepathy", chat_id=1)
    assert status == 404


async def test_rate_limit_answers_429_with_retry_after(
    api: tuple[BotApiEmulator, aiohttp.ClientSession], clock: Clock
) -> None:
    for _ in range(2):  # the burst
        assert (await _call(api, "sendMessage", chat_id=1, text="hi"))[0] == 200
    status, body = await _call(api, "sendMessage", chat_id=1, text="hi")
    assert status == 429
    assert body["parameters"]["retry_after"] >= 1
    clock.now += 0.5  # still inside the window: refused again
    assert (await _call(api, "sendMessage", chat_id=1, text="hi"))[0] == 429
    clock.now += body["parameters"]["retry_after"]
    assert (await _call(api, "sendMessage", chat_id=1, text="hi"))[0] == 200


async def test_blocked_user_gives_403(api: tuple[BotApiEmulator, aiohttp.ClientSession]) -> None:
    api[0].block_bot(1)
    status, body = await _call(api, "sendMessage", chat_id=1, text="hi")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")


async def test_edit_not_modified(api: tuple[BotApiEmulator, aiohttp.ClientSession]) -> None:
    _status, body = await _call(api, "sendMessage", chat_id=1, text="same")
    message_id = body["result"]["message_id"]
    status, body = await _call(
        api, "editMessageText", chat_id=1, message_id=message_id, text="same"
    )
    assert status == 400
    assert "message is not modified" in body["description"]


async def test_forum_topics(api: tuple[BotApiEmulator, aiohttp.ClientSession]) -> None:
    emulator = api[0]
    emulator.add_group(-100500, "Менеджеры", forum=True)
    status, body = await _call(api, "createForumTopic", chat_id=-100500, name="#1 · Анна")
    assert status == 200
    thread = body["result"]["message_thread_id"]
    status, _ = await _call(
        api, "sendMessage", chat_id=-100500, message_thread_id=thread, text="card"
    )
    assert status == 200
    await _call(api, "deleteForumTopic", chat_id=-100500, message_thread_id=thread)
    status, body = await _call(
        api, "sendMessage", chat_id=-100500, message_thread_id=thread, text="x"
    )
    assert (status, body["description"]) == (400, "Bad Request: message thread not found")


async def test_edit_forum_topic_as_the_bot_api_describes_it(
    api: tuple[BotApiEmulator, aiohttp.ClientSession],
) -> None:
    """editForumTopic: the topic's creator (the bot) or an administrator with
    can_manage_topics; a name of 0-128 characters (none or empty keeps the name); an edit
    that changes nothing refused, as Telegram refuses it."""
    emulator = api[0]
    emulator.add_group(-100500, "Менеджеры", forum=True)
    _, body = await _call(api, "createForumTopic", chat_id=-100500, name="#1 · Анна")
    thread = body["result"]["message_thread_id"]
    status, body = await _call(
        api, "editForumTopic", chat_id=-100500, message_thread_id=thread, name="#1 · Аня"
    )
    assert (status, body["result"]) == (200, True)
    assert emulator.topics[(-100500, thread)] == "#1 · Аня"
    for name in ("#1 · Аня", ""):
        status, body = await _call(
            api, "editForumTopic", chat_id=-100500, message_thread_id=thread, name=name
        )
        assert (status, body["description"]) == (400, "Bad Request: TOPIC_NOT_MODIFIED")
    status, body = await _call(
        api, "editForumTopic", chat_id=-100500, message_thread_id=thread, name="x" * 129
    )
    assert (status, body["description"]) == (400, "Bad Request: TOPIC_NAME_INVALID")
    status, body = await _call(
        api, "editForumTopic", chat_id=-100500, message_thread_id=thread + 100, name="y"
    )
    assert (status, body["description"]) == (400, "Bad Request: message thread not found")
    # a topic somebody else made: only with can_manage_topics
    emulator.topics[(-100500, 77)] = "Болталка"
    emulator.chats[-100500].can_manage_topics = False
    status, body = await _call(
        api, "editForumTopic", chat_id=-100500, message_thread_id=77, name="Флуд"
    )
    assert (status, body["description"]) == (400, "Bad Request: CHAT_ADMIN_REQUIRED")
    status, _ = await _call(
        api, "editForumTopic", chat_id=-100500, message_thread_id=thread, name="#1 · Ая"
    )
    assert status == 200  # its own topic: no right needed


async def test_get_updates_long_poll_and_confirmation(
    api: tuple[BotApiEmulator, aiohttp.ClientSession],
) -> None:
    emulator = api[0]
    first = emulator.user_message(1, "/start")
    status, body = await _call(api, "getUpdates", timeout=1)
    assert status == 200
    assert [u["update_id"] for u in body["result"]] == [first]
    assert body["result"][0]["message"]["entities"][0]["type"] == "bot_command"
    _status, body = await _call(api, "getUpdates", offset=first + 1, timeout=0)
    assert body["result"] == []
    await emulator.wait_processed(first, within=1)


async def test_answer_callback_query_needs_a_live_query(
    api: tuple[BotApiEmulator, aiohttp.ClientSession],
) -> None:
    status, _ = await _call(api, "answerCallbackQuery", callback_query_id="nope")
    assert status == 400


def test_spec_cross_check_catches_what_the_official_description_forbids() -> None:
    from bot.telegram.emulator import Request
    from tests.harness import SPEC_FILE, spec_problems

    if not SPEC_FILE.exists():
        pytest.skip("../shared/specs is not here")
    good = Request("sendMessage", {"chat_id": 1, "text": "hi", "parse_mode": "HTML"})
    bad = [
        Request("sendMessage", {"chat_id": 1, "txt": "hi"}),
        Request("sendTelepathy", {}),
    ]
    assert spec_problems([good]) == []
    assert spec_problems(bad) == [
        "sendMessage: required field text missing",
        "sendMessage: unknown field txt",
        "sendTelepathy: not a Bot API method",
    ]


def test_every_emulated_method_is_in_the_official_description() -> None:
    from bot.telegram.emulator.methods import METHODS
    from tests.harness import SPEC_FILE

    if not SPEC_FILE.exists():
        pytest.skip("../shared/specs is not here")
    official = json.loads(SPEC_FILE.read_text(encoding="utf-8"))["methods"]
    for method, fields in METHODS.items():
        assert method in official, method
        names = {field["name"] for field in official[method].get("fields", [])}
        assert set(fields) <= names, (method, set(fields) - names)
        required = {f["name"] for f in official[method].get("fields", []) if f["required"]}
        ours = {name for name, (_kind, needed) in fields.items() if needed}
        assert required <= set(fields), (method, required - set(fields))
        assert ours <= required | {"text"}, (method, ours - required)


async def test_media_group_copy_delete_and_chat_info(
    api: tuple[BotApiEmulator, aiohttp.ClientSession],
) -> None:
    emulator = api[0]
    media = [
        {"type": "photo", "media": "https://x.example/1.png", "caption": "one"},
        {"type": "photo", "media": "https://x.example/2.png"},
    ]
    status, body = await _call(api, "sendMediaGroup", chat_id=1, media=json.dumps(media))
    assert status == 200
    assert len({m["media_group_id"] for m in body["result"]}) == 1
    status, body = await _call(api, "sendMediaGroup", chat_id=1, media=json.dumps(media[:1]))
    assert (status, body["description"]) == (
        400,
        "Bad Request: wrong number of media in the album",
    )

    emulator.add_group(-500, "Менеджеры", admin=True)
    first = emulator.chat_messages(1)[0]
    status, body = await _call(
        api, "copyMessage", chat_id=-500, from_chat_id=1, message_id=first.message_id
    )
    assert status == 200
    copied = emulator.chat_messages(-500)[0]
    assert (copied.kind, copied.caption) == ("photo", "one")

    assert (await _call(api, "deleteMessage", chat_id=-500, message_id=copied.message_id))[
        0
    ] == 200
    assert emulator.chat_messages(-500) == []

    status, body = await _call(api, "getChatMember", chat_id=-500, user_id=emulator.bot_id)
    assert body["result"]["status"] == "administrator"
    status, body = await _call(api, "getChat", chat_id=-500)
    assert (body["result"]["type"], body["result"]["title"]) == ("group", "Менеджеры")
    status, body = await _call(api, "getChat", chat_id=-999)
    assert (status, body["description"]) == (400, "Bad Request: chat not found")


async def test_a_wrong_token_is_unauthorized(
    api: tuple[BotApiEmulator, aiohttp.ClientSession],
) -> None:
    emulator, session = api
    async with session.post(f"{emulator.base_url}/bot1:wrong/getMe") as response:
        assert response.status == 401


@pytest.mark.parametrize(
    "text",
    [
        "Tom & Jerry", "a < b", "<b>", "<b>bold</i>", "</b>", "<div>x</div>", "<b>x",
        "x <tag", "&nbsp;", "& ", "&#xZZ;", "<a>link</a>", '<span class="x">s</span>',
        "<b>a</b></b>", "<b><i>x</b></i>", "< b>x</b>", "<1>", "half \ud83d pair",
        "<b>  </b>", "&lt;&gt;", "",
    ],
)  # fmt: skip
async def test_html_that_telegram_refuses_is_refused(
    api: tuple[BotApiEmulator, aiohttp.ClientSession], text: str
) -> None:
    if text == "&lt;&gt;":
        status, _body = await _call(api, "sendMessage", chat_id=1, text=text, parse_mode="HTML")
        assert status == 200  # the control: escaped text is fine
        return
    status, body = await _call(api, "sendMessage", chat_id=1, text=text, parse_mode="HTML")
    assert status == 400, text
    assert (
        "entities" in body["description"]
        or "empty" in body["description"]
        or ("UTF-8" in body["description"])
    )


@pytest.mark.parametrize(
    "text",
    [
        "<b>bold</b> <i>it</i> <u>u</u> <s>s</s> <code>c</code>", "<pre>x &lt; y</pre>",
        '<a href="https://example.com/?a=1&amp;b=2">link</a>', "&#128512; &#x1F600; &quot;",
        '<span class="tg-spoiler">s</span> <tg-spoiler>t</tg-spoiler>',
        "<blockquote>q</blockquote> <B>upper</B>", "x > y", "🙂\u200f RTL \u202emark",
    ],
)  # fmt: skip
async def test_html_that_telegram_accepts_is_accepted(
    api: tuple[BotApiEmulator, aiohttp.ClientSession], text: str
) -> None:
    status, body = await _call(api, "sendMessage", chat_id=1, text=text, parse_mode="HTML")
    assert status == 200, body


async def test_length_is_counted_in_utf16_after_entity_parsing(
    api: tuple[BotApiEmulator, aiohttp.ClientSession],
) -> None:
    chats = iter(range(11, 20))

    def send(text: str) -> Any:
        chat = next(chats)
        api[0].add_user(chat, "Анна")
        return _call(api, "sendMessage", chat_id=chat, text=text, parse_mode="HTML")

    assert (await send("&amp;" * 4096))[0] == 200  # 4096 characters once parsed
    assert (await send("<b>" + "я" * 4096 + "</b>"))[0] == 200
    assert (await send("🙂" * 2048))[0] == 200  # 4096 UTF-16 units
    status, body = await send("🙂" * 2048 + "x")
    assert status == 400
    assert "too long" in body["description"]


async def test_edits_count_against_the_chat_and_a_window_is_recorded(
    api: tuple[BotApiEmulator, aiohttp.ClientSession], clock: Clock, wall: Clock
) -> None:
    emulator = api[0]
    _status, body = await _call(api, "sendMessage", chat_id=1, text="один")
    message_id = body["result"]["message_id"]
    status, _ = await _call(api, "editMessageText", chat_id=1, message_id=message_id, text="2")
    assert status == 200  # the burst of 2: a send and an edit
    status, body = await _call(api, "editMessageText", chat_id=1, message_id=message_id, text="3")
    assert (status, body["parameters"]["retry_after"]) == (429, 1)
    clock.now += 0.5  # inside the announced second
    # another request right away: it may have been on its way already
    status, _ = await _call(api, "sendMessage", chat_id=1, text="в пути")
    assert (status, emulator.window_violations) == (429, 0)
    # the refused request again at once: made inside the window
    await _call(api, "editMessageText", chat_id=1, message_id=message_id, text="3")
    assert emulator.window_violations == 1
    wall.now += IN_FLIGHT_GRACE  # anything later was sent knowing of the window
    status, _ = await _call(api, "sendMessage", chat_id=1, text="рано")
    assert (status, emulator.window_violations) == (429, 2)
    clock.now += 1
    status, _ = await _call(api, "sendMessage", chat_id=1, text="после окна")
    assert status == 200
    assert emulator.window_violations == 2


WITH_BUTTON = {"inline_keyboard": [[{"text": "Да", "callback_data": "y"}]]}


async def test_a_screen_sent_twice_for_one_action_is_a_duplicate(
    api: tuple[BotApiEmulator, aiohttp.ClientSession], clock: Clock
) -> None:
    emulator = api[0]
    emulator.limits.enabled = False
    emulator.user_message(1, "/start")
    await _call(api, "sendMessage", chat_id=1, text="Вопрос?", reply_markup=WITH_BUTTON)
    # two presses, two equal screens: not a duplicate
    question = emulator.chat_messages(1)[-1]
    emulator.press(1, question, "Да")
    emulator.press(1, question, "Да")
    await _call(api, "sendMessage", chat_id=1, text="Ещё?", reply_markup=WITH_BUTTON)
    await _call(api, "sendMessage", chat_id=1, text="Ещё?", reply_markup=WITH_BUTTON)
    # equal plain texts (notices) repeat by design
    await _call(api, "sendMessage", chat_id=1, text="✅ Продажа подтверждена.")
    await _call(api, "sendMessage", chat_id=1, text="✅ Продажа подтверждена.")
    assert emulator.duplicates == []
    # one action, the same screen twice: a retry that raced
    emulator.user_message(1, "/start")
    await _call(api, "sendMessage", chat_id=1, text="Вопрос?", reply_markup=WITH_BUTTON)
    await _call(api, "sendMessage", chat_id=1, text="Вопрос?", reply_markup=WITH_BUTTON)
    assert emulator.duplicates == [(1, "Вопрос?")]


async def test_presses_answered_out_of_turn_are_not_duplicates(
    api: tuple[BotApiEmulator, aiohttp.ClientSession],
) -> None:
    """Three quick presses (A, B, B) answered A, B, B: no duplicate; one more B: one."""
    emulator = api[0]
    emulator.limits.enabled = False
    emulator.user_message(1, "/start")
    await _call(api, "sendMessage", chat_id=1, text="Меню", reply_markup=WITH_BUTTON)
    menu = emulator.chat_messages(1)[-1]
    for _ in range(3):
        emulator.press(1, menu, "Да")
    await _call(api, "sendMessage", chat_id=1, text="Мои данные")  # a plain answer
    await _call(api, "sendMessage", chat_id=1, text="Уроки", reply_markup=WITH_BUTTON)
    await _call(api, "sendMessage", chat_id=1, text="Уроки", reply_markup=WITH_BUTTON)
    assert emulator.duplicates == []
    await _call(api, "sendMessage", chat_id=1, text="Уроки", reply_markup=WITH_BUTTON)
    assert emulator.duplicates == [(1, "Уроки")]
