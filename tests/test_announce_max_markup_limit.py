"""Session 28 (fix28d's loose end): an announcement is one message on every platform, so its
length is checked where it is longest. MAX counts a text with markup as written — tags and
escapes too («&» is «&amp;») — while a plain one goes as plain text. A near-limit text with
links or bold could fit Telegram and VK and still be cut on MAX, with the preview counting
one message a chat and 👍/👎 under the last part only. It is refused at once instead, saying
why and how much."""

from __future__ import annotations

from tests.harness import Harness

URL = "https://example.com/" + "promo/" * 40  # a long link, as in a real announcement


async def test_a_text_whose_markup_makes_it_too_long_for_max_is_refused(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    words = "Акция недели & скидки " * 178  # 3,916 characters as read
    text = words + "ссылка"
    link = [{"type": "text_link", "offset": len(words), "length": 6, "url": URL}]
    answer = (await manager.send(text, entities=link))[-1].plain
    assert answer.startswith("Для MAX слишком длинно"), answer
    assert "до 4\xa0000" in answer, answer
    # the dialog still asks for the text: a shorter one goes on
    await manager.send(
        "Акция недели & скидки", entities=[{"type": "bold", "offset": 0, "length": 12}]
    )
    assert "👥 Всем партнёрам" in manager.last.button_labels


async def test_a_plain_text_near_the_limit_with_ampersands_is_taken(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    await manager.send("Акция & скидки " * 266)  # 3,990 characters, no markup: plain on MAX
    assert "👥 Всем партнёрам" in manager.last.button_labels
