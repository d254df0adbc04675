"""Third review of session 7 (task fixh): blank-looking characters are nothing visible in
names and content texts; `faq teach` refuses duplicate keys, reads line by line (a bad
line is that line's problem, a BOM is fine); a lone letter is no question."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.content.loader import ContentInvalid, load_content
from bot.names import BLANK_LOOKING, display_name, greeting_name
from tests.harness import DEMO_CONTENT

# --- 1. blank-looking characters are nothing visible ---

BLANKS = (
    "\u3164\u2800\u115f\u1160\uffa0\u034f\u180e"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u205f\u3000\u00a0\u00ad"
)


def test_the_blank_looking_set_holds_the_reviewed_characters() -> None:
    assert set(BLANKS) <= set(BLANK_LOOKING)


@pytest.mark.parametrize("blank", list(BLANKS))
def test_one_blank_looking_character_is_no_name(blank: str) -> None:
    assert display_name(blank) == "—"
    assert greeting_name(blank) == ""


@given(st.text(alphabet=BLANKS + " \u200b\u202e", min_size=1))
def test_blank_looking_characters_alone_are_no_name(name: str) -> None:
    assert display_name(name) == "—"
    assert greeting_name(name) == ""


@given(st.text(alphabet=BLANKS), st.text(alphabet=BLANKS))
def test_blank_looking_characters_inside_a_name_stay(left: str, right: str) -> None:
    name = f"А{left}н{right}на"
    assert display_name(name) == name
    assert greeting_name(name) == name


@pytest.mark.parametrize("blank", ["\u3164", "\u2800", "\u00ad\u034f", "\u3000\u00a0"])
def test_a_content_title_of_blank_looking_characters_is_empty(tmp_path: Path, blank: str) -> None:
    root = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, root)
    path = root / "creatives.yaml"
    text = path.read_text(encoding="utf-8")
    old = 'title: "Баннер «Диваны −20%» 728×90"'
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, f'title: "{blank}"', 1), encoding="utf-8")
    with pytest.raises(ContentInvalid) as caught:
        load_content(root)
    assert [str(p) for p in caught.value.problems] == [
        f"creatives.yaml:{line}: title: must not be empty"
    ]
