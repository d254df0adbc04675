"""/forget finds the partner's name in what a post shows, never in its HTML: a partner
named «amp», «lt», «quot» or «x27» is not in the escapes of other words (`&amp;`, `&lt;`,
`&quot;`, `&#x27;`), nor one named «href», «strong» or «<b>» in a tag or an attribute
(`<a href="…">`, `<strong>`, `<b>`). A post whose HTML only has such a piece of markup
keeps its text and stays valid; a post that shows the name is blanked as before, however
the name is written (`&`, `<b>`, an emoji, RTL marks)."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.names import Naming
from bot.services.outbox_enqueue import COMMUNITY, OutMessage
from bot.telegram.emulator import RateLimits
from bot.telegram.html import parse_html
from tests.harness import MANAGER_ID, Harness, chats_emulator, running_bot
from tests.test_forget_whole_names import GROUP, _forget, _partner, _sent_posts, _texts


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with chats_emulator(RateLimits(chat_burst=1000, global_per_second=1000)) as emulator:
        emulator.add_group(GROUP, "Партнёры МебельДом")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(tmp_path, emulator=emulator, tg_community_chat_id=GROUP) as running:
            yield running


# posts in the partners' group whose HTML has a piece of markup (an entity, a tag, an
# attribute) that is a word of its own there, and names none of the partners below
MARKUP: dict[str, str] = {
    "amp": "🏆 Лидеры недели\n1. Tom &amp; Jerry — 3\n2. Борис — 1",
    "lt": "Счёт &lt;3&gt; — лучший на этой неделе",
    "quot": "Конкурс &quot;Весна&quot; начался!",
    "x27": "1. Д&#x27;Артаньян — 2",
    "num": "1. Д&#39;Артаньян — 2",
    "bold": "<b>Итоги недели</b>\n1. Борис — 3",
    "strong": "<strong>Итоги</strong> конкурса",
    "link": '<a href="https://t.me/partners?start=amp">Правила</a> конкурса',
}

# (the name typed, how a post that names them writes it, the posts above it must not
# blank: its name is only in their markup)
NAMES: list[tuple[str, str, set[str]]] = [
    ("amp", "Поздравляем: amp!", {"amp", "link"}),
    ("lt", "1. lt — 4", {"lt"}),
    ("gt", "1. gt — 4", {"lt"}),
    ("quot", "1. quot — 4", {"quot"}),
    ("x27", "1. x27 — 4", {"x27"}),
    ("#39", "1. #39 — 4", {"num"}),
    ("href", "1. href — 4", {"link"}),
    ("strong", "<b>strong</b> — 4", {"strong"}),
    ("https", "1. https — 4", {"link"}),
    ("<b>", "1. &lt;b&gt; — 4", {"bold"}),
    ("&amp;", "1. &amp;amp; — 4", {"amp"}),
    ("amp 🌸", "1. amp 🌸 — 4", set()),
    ("\u200flt\u200f", "1. \u200flt — 4", {"lt"}),
    ("Tom & Jerry", "1. Tom &amp; Jerry — 4", set()),
]


@pytest.mark.parametrize(
    ("typed", "naming_post", "markup_only"),
    NAMES,
    ids=[
        "amp", "lt", "gt", "quot", "x27", "num39", "href", "strong", "https", "tag",
        "entity-typed", "emoji", "rtl", "ampersand",
    ],
)  # fmt: skip
async def test_forget_does_not_find_a_name_in_the_html_markup_of_a_post(
    harness: Harness, typed: str, naming_post: str, markup_only: set[str]
) -> None:
    client = await _partner(harness, 2451, typed)
    await _sent_posts(harness, {**MARKUP, "named": naming_post})
    await _forget(client)
    texts = await _texts(harness)
    blanked = {key for key, text in texts.items() if text == ""}
    if typed == "Tom & Jerry":  # «Tom & Jerry» is shown by the first post: it names them
        assert blanked == {"named", "amp"}, texts
    else:
        assert blanked == {"named"}, (markup_only, texts)
    for key in MARKUP.keys() - blanked:
        assert texts[key] == MARKUP[key]
        parse_html(texts[key])  # still valid Telegram HTML


async def test_a_waiting_post_with_the_name_only_in_its_markup_does_not_name_them(
    harness: Harness,
) -> None:
    """The posts still waiting are searched the same way (`Outbox.posts_naming`)."""
    await _partner(harness, 2461, "amp")
    partner = await harness.services.partners.by_user("tg", 2461)
    assert partner is not None
    posts = {**MARKUP, "named": "1. amp — 4"}
    await harness.services.outbox.enqueue(
        [
            OutMessage(key=f"test:{key}", kind=COMMUNITY, platform="tg", chat_id=GROUP, text=text)
            for key, text in posts.items()
        ]
    )
    naming = await harness.services.privacy.naming(partner)
    found = await harness.services.outbox.posts_naming(naming)
    assert [post.key for post in found] == ["test:named"]


@pytest.mark.parametrize(
    ("forms", "text", "named"),
    [
        (("amp",), "Tom &amp; Jerry", False),
        (("amp",), "Tom &amp; amp", True),
        (("lt", "gt"), "&lt;3&gt;", False),
        (("quot",), "&quot;Весна&quot;", False),
        (("x27", "39"), "Д&#x27;Артаньян, Д&#39;Артаньян", False),
        (("href", "https", "example"), '<a href="https://example.com">Акция</a>', False),
        (("Акция",), '<a href="https://example.com">Акция</a>', True),
        (("<b>",), "<b>Итоги</b>", False),
        (("<b>",), "Итоги: &lt;b&gt;", True),
        (("Зульфия & <Ко>",), "1. Зульфия &amp; &lt;Ко&gt; — 3", True),
        (("Зульфия & <Ко>",), "1. Зульфия &amp; Ко — 3", False),
        (("Д'Артаньян",), "1. Д&#x27;Артаньян — 3", True),
        (("Д'Артаньян",), "1. Д&#39;Артаньяном — 3", False),
        (("&amp;",), "Tom &amp; Jerry", False),
        (("&amp;",), "1. &amp;amp; — 3", True),
    ],
)
def test_a_name_is_read_in_the_text_a_post_shows(
    forms: tuple[str, ...], text: str, named: bool
) -> None:
    assert Naming(forms).in_text(text) is named
    if named:  # the database narrows the rows to those with a form as their HTML has it
        assert any(written in text for written in Naming(forms).written), text


def test_the_forms_as_the_html_has_them() -> None:
    naming = Naming(("Д'Артаньян & <Ко>", "@dart"))
    assert set(naming.written) >= {
        "Д'Артаньян & <Ко>",
        html.escape("Д'Артаньян & <Ко>"),
        html.escape("Д'Артаньян & <Ко>", quote=False),
        "@dart",
    }
