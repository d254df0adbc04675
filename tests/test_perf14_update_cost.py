"""Session 14, task perf14: what one update costs the bot's process. The work each change
saves is done once, with the same result: a word's stems and typos read once (then
remembered), a question's text read once per update (TypedWords, then the question
handler), and pydantic's models of the Bot API's answers kept, not built again."""

from __future__ import annotations

import gc
import itertools
import json
import weakref
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiogram import Bot, Router
from aiogram.methods import GetUpdates, SendMessage

from bot import typed_labels
from bot.i18n import Translator
from bot.services import label_reading, own_intents, small_talk
from bot.telegram.session import JsonSession
from tests.harness import Harness

ROOT = Path(__file__).resolve().parent.parent


def _reference_read(words: list[str]) -> own_intents.Intent | None:
    """`own_intents.read` as it was before its words were remembered (session 13), with
    session 25's word of stopping alone («стоп», «хватит»)."""
    o = own_intents
    if not words or len(words) > 10:
        return None
    unsubscribe = stop = negated = receive = fewer = sent = False
    mine = figures = rank = contests = see = seen = cabinet = False
    elsewhere = False
    lone_stop = all(o._matches(word, o._ALONE_STOP) for word in words)
    for word in words:
        known = for_me = False
        if word in o._MINE:
            mine = known = for_me = True
        if word in o._FILLER:
            known = for_me = True
        if word in o._SEE:
            see = known = for_me = True
        if o._matches(word, o._SEEN):
            seen = known = for_me = True
        if word in o._CABINET:
            cabinet = known = for_me = True
        if o._matches(word, o._UNSUBSCRIBE):
            unsubscribe = known = True
        if o._matches(word, o._STOP):
            stop = known = True
        if word in o._NOT:
            negated = known = True
        if word in o._RECEIVE:
            receive = known = True
        if word in o._FEWER:
            fewer = known = True
        if o._matches(word, o._SENT):
            sent = known = True
        if o._matches(word, o._FIGURES):
            figures = known = for_me = True
        if o._matches(word, o._RANK):
            rank = known = True
        if o._matches(word, o._CONTESTS):
            contests = known = True
        if not known:
            return None
        elsewhere |= not for_me
    if cabinet and (elsewhere or not (seen and (mine or see))):
        return None
    if unsubscribe or lone_stop or (sent and (stop or (negated and receive) or fewer)):
        return o.Intent("unsubscribe")
    if see and seen and not elsewhere:
        return o.Intent("menu", "me")
    if not mine:
        return None
    if contests:
        return o.Intent("menu", "contests")
    if rank:
        return o.Intent("menu", "top")
    if figures:
        return o.Intent("menu", "me")
    return None


def _texts() -> list[str]:
    cases = yaml.safe_load((ROOT / "bench" / "faq_eval.yaml").read_text(encoding="utf-8"))
    questions = [case["q"] for case in cases["in_scope"] + cases["out_of_scope"]]
    return [
        *questions,
        "где моя статистика", "моя статистка", "как отписаться от рассылки", "не присылайте "
        "уведомления", "слишком много сообщений", "мое место в рейтинге", "мои конкурсы",
        "где посмотреть продажи в личном кабинете", "описания конкурентов", "мечта места",
        "my stats please", "stop sending messages", "unsubscribe", "сколько я заработал",
        "расылки отключить", "где мой баланс", "конкурентов моих посмотреть",
    ]  # fmt: skip


def test_a_message_reads_as_it_did_before_its_words_were_remembered() -> None:
    own_intents._word.cache_clear()
    phrases = [small_talk._normal(text).split() for text in _texts()]
    checked = 0
    for words in phrases:
        # the whole text and every run of up to four of its words (typed_label's parts)
        runs = [words] + [
            words[i:j] for i, j in itertools.combinations(range(len(words) + 1), 2) if j - i <= 4
        ]
        for run in runs:
            assert own_intents.read(run) == _reference_read(run), run
            checked += 1
    assert checked > 1000


def test_a_words_stems_and_typos_are_matched_once(monkeypatch: pytest.MonkeyPatch) -> None:
    own_intents._word.cache_clear()
    calls: list[str] = []
    matches = own_intents._matches

    def counted(word: str, patterns: tuple[str, ...]) -> bool:
        calls.append(word)
        return matches(word, patterns)

    monkeypatch.setattr(own_intents, "_matches", counted)
    assert own_intents.read(["где", "моя", "статистка"]) == own_intents.Intent("menu", "me")
    first = len(calls)
    assert first > 0
    assert own_intents.read(["моя", "статистка"]) == own_intents.Intent("menu", "me")
    assert own_intents.read(["где", "статистка", "моя"]) == own_intents.Intent("menu", "me")
    assert len(calls) == first  # every word known already: nothing matched again


def test_the_small_talk_around_a_label_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """typed_label reads the first and last words of a text as small talk («спасибо,
    помогло»); each such part is read once, then remembered (a pure reading)."""
    label_reading._frame.cache_clear()
    table = label_reading.label_table([Translator().get("ru")])
    parts: list[str] = []
    read = small_talk.read

    def counted(text: str, content: Any = None) -> Any:
        parts.append(text)
        return read(text, content)

    monkeypatch.setattr(small_talk, "read", counted)
    thanks = own_intents.Intent("say", "helped")
    assert label_reading.typed_label("Спасибо, помогло!", table) == thanks
    assert label_reading.typed_label("Когда будут выплаты по заказам?", table) is None
    assert parts
    parts.clear()
    assert label_reading.typed_label("спасибо помогло", table) == thanks
    assert label_reading.typed_label("когда будут выплаты по заказам", table) is None
    assert parts == []


async def test_a_question_is_read_once_per_update(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TypedWords reads a partner's text (small talk, a menu word, a label typed); the
    question handler takes that reading instead of reading the text again."""
    anna = harness.user()
    await anna.onboard()
    question = "Когда приходят выплаты за продажи?"
    reads: list[str] = []
    labels: list[str] = []
    read, read_labels = small_talk.read, typed_labels.read

    def counted_read(text: str, content: Any = None) -> Any:
        reads.append(text)
        return read(text, content)

    def counted_label(text: str, content: Any, translator: Any) -> Any:
        labels.append(text)
        return read_labels(text, content, translator)

    monkeypatch.setattr(small_talk, "read", counted_read)
    monkeypatch.setattr(typed_labels, "read", counted_label)
    replies = await anna.send(question)
    assert "10 и 25" in replies[-1].plain  # the FAQ's answer
    assert reads.count(question) == 1
    assert labels.count(question) == 1
    # small talk is still answered as such, read once too
    replies = await anna.send("Спасибо большое")
    assert [m.plain for m in replies] == [Translator().get("ru")("small-talk-thanks")]
    assert reads.count("Спасибо большое") == 1


def test_the_models_of_answers_are_kept_between_garbage_collections() -> None:
    """pydantic keeps `Response[T]` weakly: without a reference of ours, a collection took
    `Response[list[Update]]` and the next answer built it again (several ms)."""
    session = JsonSession()
    bot = Bot("123:abc", session=session)
    answers: list[tuple[Any, str]] = [
        (GetUpdates(), json.dumps({"ok": True, "result": []})),
        (
            SendMessage(chat_id=1, text="x"),
            json.dumps(
                {
                    "ok": True,
                    "result": {
                        "message_id": 1,
                        "date": 0,
                        "chat": {"id": 1, "type": "private"},
                        "text": "x",
                    },
                }
            ),
        ),
    ]
    models = []
    for method, body in answers:
        response = session.check_response(bot, method, 200, body)
        models.append(weakref.ref(type(response)))
        del response
    gc.collect()
    assert all(model() is not None for model in models)
    updates = session.check_response(bot, GetUpdates(), 200, answers[0][1])
    assert type(updates) is models[0]()  # the same model, not one built again
    assert updates.result == []


async def test_an_update_enters_only_routers_that_act_on_its_type(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiogram walks an update into router after router; a button press no longer enters
    the ~15 routers in its way that handle only messages (nor a message the press-only
    ones), and is answered as before."""
    entered: list[tuple[str, str]] = []
    walk = Router._propagate_event

    async def counted(self: Router, observer: Any, update_type: str, **kwargs: Any) -> Any:
        entered.append((update_type, self.name))
        return await walk(self, observer, update_type, **kwargs)

    anna = harness.user()
    await anna.onboard()
    monkeypatch.setattr(Router, "_propagate_event", counted)
    menu = next(m for m in reversed(anna.messages) if "🎓 Обучение" in m.button_labels)
    await anna.press("🎓 Обучение", menu)
    assert "Обучение" in anna.last.plain or anna.last.buttons  # the lessons screen
    presses = [name for kind, name in entered if kind == "callback_query"]
    assert "handlers.partner.lessons" in presses
    assert "handlers.partner.faq.questions" not in presses  # a message-only router
    assert len(presses) <= 8, presses  # the dispatcher and the routers on the way
    entered.clear()
    replies = await anna.send("Когда приходят выплаты за продажи?")
    assert "10 и 25" in replies[-1].plain
    assert [name for _, name in entered if name.startswith("handlers.manager")] == []
