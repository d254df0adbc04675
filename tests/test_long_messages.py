"""A message as long as the platform allows, of one letter again and again («яяя…»), or
letters and digits in turn («я1я1…»), costs what any message of its length costs: no step
reads it in time that grows with its square (tester Q, session 26: 4,000 «я» held the bot
11.7 s at the onboarding's first question and 27 s as an FAQ question, 20,000 over a MAX
webhook six minutes; every other partner of the worker waited).

The journeys below send such messages at each step that reads free text; before the fix
each took seconds to minutes, past the harness's wait for an answer. The sentence
encoders read at most a bounded start of any text (e5: TOKENS tokens, USE: PIECES pieces),
asserted on what reaches them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services import faq_backend, faq_e5
from bot.services.faq_text import fold
from tests.harness import Harness, running_bot

TELEGRAM_LONGEST = 4096
MAX_LONGEST = 4000


def hostile(shape: str, length: int) -> str:
    return (shape * length)[:length]


SHAPES = ["я", "я1", "яa", "a1", "Ж "]


def test_fold_reads_a_long_word_once() -> None:
    """«кoгдa» with Latin look-alikes is «когда» (a lookahead from every letter of a word
    made 20,000 «я» cost minutes)."""
    assert fold("кoгдa") == "когда"
    assert fold("iPhoneа") == "iPhoneа"
    assert fold("я" * 50_000) == "я" * 50_000
    assert fold("яa" * 25_000) == "яа" * 25_000  # a look-alike: all Cyrillic
    assert fold("яb" * 25_000) == "яb" * 25_000  # «b» has no Cyrillic twin: as typed


@pytest.mark.parametrize("shape", SHAPES)
async def test_a_new_partner_typing_a_wall_of_letters_is_answered(
    harness: Harness, shape: str
) -> None:
    anna = harness.user(701)
    await anna.send("/start")
    said = await anna.send(hostile(shape, TELEGRAM_LONGEST))  # at «Кто вы?»
    assert said, "no answer at the segment question"
    await anna.press("Блогер (соцсети, YouTube, Telegram)")
    said = await anna.send(hostile(shape, TELEGRAM_LONGEST))  # at «Откуда у вас трафик?»
    assert said, "no answer at the first question"
    assert "Откуда у вас трафик?" in anna.last.plain or "Выберите" in anna.last.plain


@pytest.mark.parametrize("shape", SHAPES)
async def test_a_wall_of_letters_as_a_question_then_a_real_one(
    harness: Harness, shape: str
) -> None:
    boris = harness.user(702, "Борис")
    await boris.onboard()
    assert await boris.send(hostile(shape, TELEGRAM_LONGEST))
    said = await boris.send("когда выплаты?")
    assert "Выплаты два раза в месяц" in said[0].plain


async def test_a_manager_announcing_a_wall_of_letters_gets_the_limit(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    said = await manager.send(hostile("я1", TELEGRAM_LONGEST))
    assert "до 4\xa0000" in said[-1].plain


async def test_on_max_a_wall_of_letters_at_each_step(tmp_path: Path) -> None:
    async with running_bot(tmp_path, maxbot=True) as harness:
        maria = harness.max_user(703)
        await maria.open()
        assert await maria.send(hostile("я", MAX_LONGEST))
        await maria.onboard()
        assert await maria.send(hostile("я1", MAX_LONGEST))
        said = await maria.send("когда выплаты?")
        assert "Выплаты два раза в месяц" in said[0].plain


def test_e5_reads_at_most_its_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """What reaches e5's model: a start of the text of at most TOKENS tokens; a text of
    words under 400 characters (every FAQ text measured: ≤ 121 tokens) whole."""
    model = faq_e5.e5()
    if model is None:
        pytest.skip("e5 is not available here")
    seen: list[str] = []
    inner = model._model
    encode = inner.encode
    monkeypatch.setattr(
        inner,
        "encode",
        lambda texts, is_query=False: seen.extend(texts) or encode(texts, is_query),
    )
    words = "Когда придут выплаты за прошлый месяц, если продажи подтвердили вчера? " * 5
    for text in [hostile("я1", 4000), hostile("я", 4000), words[:399]]:
        model.encode([text], question=True, keep=False)
    assert [inner.token_count(text, True) <= faq_e5.TOKENS for text in seen] == [True] * 3
    assert seen[2] == words[:399]
    assert len(seen[0]) > faq_e5.TOKENS // 2  # a start of it, not nothing


def test_use_reads_at_most_its_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.services import faq_semantic

    encoder = faq_semantic.encoder()
    if encoder is None:
        pytest.skip("the sentence encoder is not available here")
    backend = encoder._backend
    lengths: list[int] = []
    batch = backend._batch

    def counted(group: list[list[int]], out: object) -> None:
        lengths.extend(len(ids) for ids in group)
        batch(group, out)

    monkeypatch.setattr(backend, "_batch", counted)
    encoder.encode([hostile("я1", 4000), "когда выплаты"], keep=False)
    assert max(lengths) == faq_backend.PIECES + 2  # BOS and EOS around at most PIECES
    assert min(lengths) < 10


def test_contacts_and_percents_read_a_long_run_once() -> None:
    """The contact details left out of a learned wording and «%» read as a word: each
    starts where its run of letters or digits does (from every letter of «a-a-a-…» or
    digit of «1111…x%» the search read to the end: seconds for 4,000)."""
    from bot.services.faq_text import spoken
    from bot.services.faq_wordings import has_contacts, without_contacts

    assert has_contacts("пишите на site.ru/ref или t.me/anna")
    assert has_contacts("почта anna.petrova+1@mail.ru")
    assert without_contacts("вопрос, пишите anna@mail.ru, спасибо") == "вопрос, пишите , спасибо"
    for text in [hostile("a-", 40_000), hostile("a.", 40_000), hostile("a", 40_000)]:
        assert not has_contacts(text)
    assert spoken("какой % и 10,5%") == "какой процент и 10,5 процентов"
    assert spoken(hostile("1", 40_000) + "x%").endswith("x percent")  # no Cyrillic: English
    assert spoken(" " * 40_000 + "я%") == "я процент"


@pytest.mark.parametrize("shape", ["1", "1 ", "1,"])
async def test_digits_at_the_onboarding_questions(harness: Harness, shape: str) -> None:
    """Amounts and spans are read in a short answer («15к», «лет 5»), not in 4,000 digits
    (its patterns read a run of digits from each of them to the end)."""
    anna = harness.user(704)
    await anna.send("/start")
    await anna.press("Блогер (соцсети, YouTube, Telegram)")
    await anna.press("Соцсети")
    said = await anna.send(hostile(shape, TELEGRAM_LONGEST))  # «Сколько вы уже …?»
    assert said, "no answer at the second question"
    assert "Сколько вы уже в партнёрском маркетинге?" in anna.last.plain
    said = await anna.send("лет 5 уже")
    assert "Больше года" in said[0].plain
