"""Session 20: what was left alone in session 19, and what the session's testers found."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.content.loader import load_content
from bot.content.models import FaqEntry, LexiconItem
from bot.content.source import ContentInvalid
from bot.db.tables import audit_log, faq_learned_votes
from bot.services import faq_semantic, faq_space
from bot.services.conversions import ConversionIn
from bot.services.faq_matching import FaqMatcher, lexicon
from bot.services.faq_own_words import OwnWords
from bot.telegram.emulator import BotApiEmulator, RateLimits
from tests.databases import PG_URL, database_url
from tests.faq_teach import run_teach
from tests.harness import (
    DEMO_CONTENT,
    MANAGER_ID,
    Harness,
    chats_emulator,
    running_bot,
    sales_told,
)
from tests.processes import Running, bot_env, free_port
from tests.test_faq_learning import _learned, _pick_and_confirm, group, reviewed
from tests.test_journey_community import COMMUNITY, chat, say
from tests.test_journey_faq import _answer_anything
from tests.test_journey_notices import linked, postback
from tests.test_journey_schedule import COMMUNITY as GROUP
from tests.test_journey_schedule import partner_with_sales, posts, tick
from tests.test_journey_schedule_held import at, schedule
from tests.test_journey_support import GROUP as SUPPORT_GROUP
from tests.test_journey_support import in_chat
from tests.test_review_s14_flood import _line

MANAGERS_CHAT = -1001700000020
__all__ = ["chat", "group", "reviewed"]  # the partners' group; two partners approve a wording


async def test_asking_the_bot_for_a_manager_in_the_group_is_no_faq_miss(chat: Harness) -> None:
    """«@бот позовите менеджера» asked for a person, not a question the FAQ failed."""
    (offer,) = await say(chat, 821, "@partnerbot_sandbox_bot позовите менеджера")
    assert not offer.startswith("Не нашёл ответа"), offer
    assert offer.startswith("Менеджер ответит вам в личке"), offer
    (button,) = chat.emulator.chat_messages(COMMUNITY)[-1].buttons[0]
    assert button["url"] == "https://t.me/partnerbot_sandbox_bot?start=support"
    # not said to the bot: the group's own business
    assert await say(chat, 821, "позовите менеджера кто-нибудь") == []


async def test_schedule_counts_a_nights_sale_notices_as_the_one_that_will_go(
    tmp_path: Path,
) -> None:
    """Three sales approved in the quiet hours go in the morning as one notice
    («Подтверждены 3 продажи»): /schedule said «(3 сообщения)»."""
    async with running_bot(tmp_path, timezone="America/Sao_Paulo") as harness:
        anna = await partner_with_sales(harness, 953, "held-3", "Анна")
        manager = harness.manager()
        await manager.send("/start")
        at(harness, datetime(2026, 12, 5, 4, 0, tzinfo=UTC))  # 01:00 in São Paulo
        for n in range(3):
            await harness.services.sales.record(
                ConversionIn("held-3", f"n-{n}", "approved", Decimal(20000), "RUB",
                             datetime(2026, 12, 5, 3, 0, tzinfo=UTC)),
                "postback",
            )  # fmt: skip
        await harness.deliver()
        lines = await schedule(manager)
        (line,) = [line for line in lines if "уведомления о продажах" in line]
        # the notice and the first sale's congratulation
        assert line == "05.12 09:00 — уведомления о продажах — 1 получатель (2 сообщения)", lines
        mark = len(anna.messages)
        at(harness, datetime(2026, 12, 5, 12, 1, tzinfo=UTC))
        await harness.deliver()
        told = [m.plain for m in anna.messages[mark:]]
        assert len([t for t in told if t.startswith("✅ Подтверждены 3 продажи")]) == 1, told


async def test_a_contest_starting_at_midnight_starts_in_the_group_in_the_morning(
    tmp_path: Path,
) -> None:
    """The demo contest starts 14.12 00:00 Moscow: «начался!» was posted in the partners'
    group at midnight (and its first weekly standings at 00:00 a week later)."""
    async with chats_emulator(RateLimits(chat_burst=1000, global_per_second=1000)) as emulator:
        emulator.add_group(GROUP, "Партнёры МебельДом")
        async with running_bot(tmp_path, emulator=emulator, tg_community_chat_id=GROUP) as bot:
            await partner_with_sales(bot, 954, "night-1", "Анна")
            await tick(bot)  # announced
            manager = bot.manager()
            await manager.send("/start")
            at(bot, datetime(2026, 12, 12, 9, 0, tzinfo=UTC))
            lines = await schedule(manager)
            assert any(line.startswith("14.12 09:00 — старт конкурса") for line in lines), lines
            assert not any(line.startswith("14.12 00:00") for line in lines), lines
            at(bot, datetime(2026, 12, 13, 21, 5, tzinfo=UTC))  # 00:05 Moscow, it runs
            mark = len(posts(bot, 0))
            await tick(bot)
            assert not any("начался" in text for text in posts(bot, mark))
            at(bot, datetime(2026, 12, 14, 6, 1, tzinfo=UTC))  # 09:01
            await tick(bot)
            assert any("начался!" in text for text in posts(bot, mark)), posts(bot, mark)
            at(bot, datetime(2026, 12, 20, 21, 5, tzinfo=UTC))  # a week in, 00:05
            mark = len(posts(bot, 0))
            await tick(bot)
            assert posts(bot, mark) == []
            at(bot, datetime(2026, 12, 21, 6, 1, tzinfo=UTC))  # 09:01: the standings
            await tick(bot)
            assert any(text.startswith("🏆 Зимний марафон диванов") for text in posts(bot, mark))
            # the Monday leaderboard at 10:00 would post the same boards again: not that day
            mark = len(posts(bot, 0))
            at(bot, datetime(2026, 12, 21, 7, 5, tzinfo=UTC))
            await tick(bot)
            assert posts(bot, mark) == [], posts(bot, mark)
            lines = await schedule(manager)
            assert not any(line.startswith("28.12 10:00 — рейтинг недели") for line in lines)


# --- a program's own words reach the sentence vectors too ---

PARTS_FAQ = [
    ("payout-methods", "Куда можно выводить деньги?", ["Можно ли получать на карту?"]),
    ("commission", "Сколько я зарабатываю с одного заказа?", ["Какая у вас ставка?"]),
    ("hold", "Сколько длится холд?", ["Когда заказ подтвердят?"]),
    ("returns", "Что будет, если покупатель вернёт запчасть?", []),
    ("ref-link", "Где взять партнёрскую ссылку?", ["Как сделать ссылку на конкретную запчасть?"]),
    ("contract", "Нужно ли заключать договор?", ["Какие документы нужны для работы?"]),
    ("catalog", "Какие запчасти продаются на ДетальМаркет?", ["Есть ли шины и масла?"]),
    ("delivery", "Как покупатель получит заказ?", ["Сколько идёт доставка до клиента?"]),
]


def test_a_programs_own_slang_is_read_by_meaning_as_the_word_it_means() -> None:
    """«зч» in lexicon.yaml means «деталь»: the words matched, but the sentence encoder
    read «зч на гранту есть?» as close to no entry — the catalog was not even offered
    (the tester of session 20: «запчасти на гранту есть?» was answered)."""
    entries = [
        FaqEntry(id=id_, topic="Т", question=question, answer="Ответ.", alt=alt)
        for id_, question, alt in PARTS_FAQ
    ]
    own = [LexiconItem(words=["зч", "з/ч", "запчастя", "запчасти"], means="деталь")]
    if faq_semantic.encoder() is None:
        pytest.skip("the sentence encoder is off")
    matcher = FaqMatcher(entries, lexicon(own), use_keywords=False)
    meant = matcher.match("деталь на гранту есть?")
    for question in ("зч на гранту есть?", "з/ч на гранту есть?", "запчастя на гранту есть?"):
        found = matcher.match(question)
        # read as the word it means, by the words and by the vectors alike
        assert (found.outcome, found.entry_id) == (meant.outcome, meant.entry_id), question
        offered = [c.entry_id for c in found.suggestions]
        first = found.entry_id or (offered[0] if offered else None)
        assert "catalog" in [first, *offered], (question, found)  # one tap away at least
        if not faq_space.Space([]).paired:  # USE alone: the catalog first (session 20)
            assert first == "catalog", (question, found)
    # a word the encoder knows is read as typed
    known = matcher.match("запчасти на гранту есть?")
    assert "catalog" in [known.entry_id, *(c.entry_id for c in known.suggestions)]


def test_own_words_spelled_out_only_where_no_dictionary_word() -> None:
    spelled = OwnWords(
        [
            LexiconItem(words=["зч", "з/ч", "запчасти"], means="деталь"),
            LexiconItem(words=["дтл маркет"], means="магазин"),
        ]
    )
    assert spelled("Зч на ГРАНТУ есть?") == "деталь на ГРАНТУ есть?"
    assert spelled("з/ч и запчасти") == "деталь и запчасти"  # «запчасти» is a word
    assert spelled("в дтл  маркет") == "в магазин"  # a phrase, any spacing
    assert spelled("зчк, азч") == "зчк, азч"  # whole words only
    assert OwnWords([])("зч") == "зч"


async def test_forget_removes_a_rejected_wording_only_the_partner_wrote(
    reviewed: Harness,
) -> None:
    """docs/privacy.md: /forget removes the unapproved wordings the partner wrote — a
    rejected one stayed (the tester of session 20 saw it in `faq learned`)."""
    anna, boris = reviewed.user(731), reviewed.user(732)
    await anna.onboard()
    await boris.onboard()
    await _pick_and_confirm(anna)
    (row,) = await _learned(reviewed)
    assert await reviewed.services.faq.learning.reject(row.id) is not None
    await anna.send("/forget")
    await anna.press("Да, удалить")
    assert await _learned(reviewed) == []
    async with reviewed.services.db.read() as conn:
        assert (await conn.execute(sa.select(faq_learned_votes))).all() == []


@pytest.mark.slow
def test_the_cli_piped_into_head_ends_without_a_traceback(tmp_path: Path) -> None:
    """`partnerbot faq match --json < file | head -1` printed a BrokenPipeError traceback."""
    questions = "\n".join(["когда выплаты?"] * 3000) + "\n"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "FAQ_VECTORS": "off",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "faq", "match", "--json", "--content",
         str(DEMO_CONTENT)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        cwd=tmp_path,
    )  # fmt: skip
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(questions.encode())
    process.stdin.close()
    assert process.stdout.readline().startswith(b"{")
    process.stdout.close()  # `head -1` is done
    assert process.stderr is not None
    err = process.stderr.read()
    process.wait(timeout=120)
    assert b"Traceback" not in err, err.decode()[-2000:]
    assert b"BrokenPipeError" not in err


async def test_a_managers_command_typed_without_the_slash_gets_the_slash(
    tmp_path: Path,
) -> None:
    """On Telegram and MAX «tickets» from a manager was an FAQ question («Пока не знаю
    ответа… Спросить менеджера») and a gap in /stats (the tester of session 20)."""
    async with running_bot(tmp_path) as harness:
        manager = harness.manager()
        await manager.send("/start")
        (hint,) = await manager.send("tickets")
        assert hint.plain == "Команды пишутся со слэшем: /tickets"
        (hint,) = await manager.send("Approve_link max:700001")
        assert hint.plain == "Команды пишутся со слэшем: /approve_link max:700001"
        stats = "\n".join(m.plain for m in await manager.send("/stats"))
        assert "tickets" not in stats, stats
        # a partner typing it: an unknown command, as before
        anna = harness.user(741, "Анна")
        await anna.onboard()
        assert (await anna.send("tickets"))[0].plain.startswith("Такой команды я не знаю")


async def test_the_flood_notice_speaks_the_partners_language(tmp_path: Path) -> None:
    """A partner who chose English got «Слишком много сообщений…» when their app said
    Russian: the notice read the app's language, every answer the partner's."""
    async with running_bot(tmp_path) as harness:
        anna = harness.user(1421, "Anna")
        await anna.onboard()
        partner = await harness.services.partners.by_user("tg", 1421)
        assert partner is not None
        await harness.services.partners.set_language(partner, "en")  # their choice
        harness.clock.advance(60)
        before = len(anna.messages)
        lines = [_line(1421, 9100 + index) for index in range(30)]  # the app says «ru»
        await asyncio.gather(*(harness.dp.feed_update(harness.bot, line) for line in lines))
        texts = [m.plain for m in anna.messages[before:]]
        assert any(text.startswith("Too many messages") for text in texts), texts
        assert not any(text.startswith("Слишком много") for text in texts), texts


async def test_back_from_the_segments_in_settings_says_nothing_was_saved(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as harness:
        anna = harness.user(1431, "Анна")
        await anna.onboard()
        await anna.send("/settings")
        await anna.press(next(b for b in anna.last.button_labels if b.startswith("Сегмент")))
        await anna.press("← Назад")
        assert anna.callback_answers()[-1].get("text") in (None, ""), anna.callback_answers()
        assert "Сегмент" in "".join(anna.last.button_labels)  # the settings again


async def test_done_pressed_twice_sends_the_next_lesson_once(tmp_path: Path) -> None:
    """A double tap on «✅ Готово, дальше» sent «Урок 2 из …» twice (on the last lesson,
    «Курс пройден» twice), on every platform."""
    async with running_bot(tmp_path) as harness:
        anna = harness.user(1441, "Анна")
        await anna.onboard("Вебмастер")
        await anna.send("/lessons")
        lesson = (await anna.press("▫️ С чего начать: кабинет, ссылка, первые шаги"))[-1]
        (button,) = [b for row in lesson.buttons for b in row if b["text"] == "✅ Готово, дальше"]
        mark = len(anna.messages)
        await anna.press_data(lesson, button["callback_data"])
        await anna.press_data(lesson, button["callback_data"])  # the second tap
        texts = [m.plain for m in anna.messages[mark:]]
        assert sum(text.startswith("Урок 2 из 4") for text in texts) == 1, texts
        assert anna.callback_answers()[-1]["text"] == "Урок пройден!"


def test_an_faq_answer_that_max_would_split_is_refused(tmp_path: Path) -> None:
    """4,010 characters passed `content check` and went to MAX as two messages."""
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    faq = (folder / "faq.yaml").read_text(encoding="utf-8")
    long = "Выплаты приходят по графику. " * 138  # ~4,000 characters
    faq += (
        "\n- id: long-one\n  topic: Выплаты\n  question: Расскажите всё про выплаты\n"
        f"  answer: {json.dumps(long.strip(), ensure_ascii=False)}\n"
    )
    (folder / "faq.yaml").write_text(faq, encoding="utf-8")
    with pytest.raises(ContentInvalid) as refused:
        load_content(folder)
    assert "does not fit one message with its question on MAX" in str(refused.value)
    assert "faq.yaml:" in str(refused.value)


async def test_a_topic_of_many_questions_turns_pages_on_vk(tmp_path: Path) -> None:
    """45 questions in one topic: VK's keyboard (40 buttons) lost the last five and
    «← Назад»; now 20 a screen with «Дальше →» / «← Предыдущие» on every platform."""
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    with (folder / "faq.yaml").open("a", encoding="utf-8") as faq:
        for n in range(45):
            faq.write(
                f'\n- id: many-{n}\n  topic: "Разное"\n  question: "Вопрос номер {n}?"\n'
                f'  answer: "Ответ {n}."\n'
            )
    async with running_bot(tmp_path, vk=True, content_dir=folder) as harness:
        vera = harness.vk_user(211)
        await vera.onboard("Вебмастер")
        await vera.send("/faq")
        await vera.press("Разное")
        labels = vera.last.button_labels
        assert labels[:2] == ["Вопрос номер 0?", "Вопрос номер 1?"]
        assert labels[-2:] == ["Дальше →", "← Назад"], labels
        await vera.press("Дальше →")
        labels = vera.last.button_labels
        assert labels[0] == "Вопрос номер 20?"
        assert labels[-3:] == ["← Предыдущие", "Дальше →", "← Назад"], labels
        await vera.press("Дальше →")
        labels = vera.last.button_labels
        assert labels == [*(f"Вопрос номер {n}?" for n in range(40, 45)), "← Предыдущие",
                          "← Назад"]  # fmt: skip
        await vera.press("Вопрос номер 44?")
        assert "Ответ 44." in vera.last.text
        await vera.press("← Назад")
        labels = vera.last.button_labels  # the page it came from
        assert labels[0] == "Вопрос номер 40?", labels


async def test_tickets_on_vk_say_where_tickets_are_answered(tmp_path: Path) -> None:
    """A VK manager saw the open tickets in /tickets but not where to answer them (the
    cards go to the Telegram managers' chat; `/reply` in VK found no ticket message)."""
    async with chats_emulator() as emulator:
        emulator.add_group(MANAGERS_CHAT, "Менеджеры", forum=True)
        async with running_bot(
            tmp_path,
            emulator=emulator,
            vk=True,
            tg_managers_chat_id=MANAGERS_CHAT,
            managers="tg:900001,vk:1451",
        ) as harness:
            anna = harness.user(1452, "Анна")
            await anna.onboard()
            await anna.send("/support")
            await anna.send("Не пришла выплата")
            boss = harness.vk_user(1451)
            await boss.send("/start")
            said = (await boss.send("/tickets"))[-1].text
            assert "№1 · Анна" in said, said
            assert "Отвечают на обращения в чате менеджеров (Telegram)" in said, said
            assert "в теме обращения или ответом на его сообщение" in said, said  # a forum
            manager = harness.manager()  # in private on Telegram: the list, and the same line
            await manager.send("/start")
            said = (await manager.send("/tickets"))[-1].plain
            assert "№1 · Анна" in said


async def test_the_sandbox_refuses_a_line_the_terminal_cut(tmp_path: Path) -> None:
    """A 4,000-character line pasted inside ``` reached partners cut, ending in «�»."""
    from bot.sandbox.stdin import utf8_lines
    from bot.sandbox.terminal import TerminalChat

    async with running_bot(tmp_path) as harness:
        lines: list[str] = []
        chat = TerminalChat(harness.emulator, lines.append)
        cut = ("я" * 2047).encode() + "я".encode()[:1] + b"\n"  # 4,095 bytes, then the cut
        (typed,) = list(utf8_lines([cut]))
        before = harness.emulator.last_update_id
        assert chat.handle("```\n")
        assert chat.handle(typed)
        assert chat.handle("```\n")
        assert "cut by the terminal" in "\n".join(lines), lines
        assert harness.emulator.last_update_id == before  # nothing reached the bot


def _problems_of(folder: Path) -> list[str]:
    try:
        load_content(folder)
    except ContentInvalid as refused:
        return [str(problem) for problem in refused.problems]
    return []


def test_what_content_check_let_pass_unread_is_named(tmp_path: Path) -> None:
    """The tester of session 20: a lesson in a subfolder, `06-UP.MD`, `05-notes.txt`, a
    word with two meanings in lexicon.yaml, an FAQ question «?» and a misspelt segment
    all passed `content check` without a word."""
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    lesson = (folder / "lessons/01-start.md").read_text(encoding="utf-8")
    (folder / "lessons/sub").mkdir()
    (folder / "lessons/sub/nested.md").write_text(lesson, encoding="utf-8")
    (folder / "lessons/06-UP.MD").write_text(lesson, encoding="utf-8")
    (folder / "lessons/05-notes.txt").write_text("заметки", encoding="utf-8")
    (folder / "lessons/.DS_Store").write_bytes(b"\0")  # hidden: left alone
    (folder / "lexicon.yaml").write_text(
        "- {words: [кэшбек, кешбэк], means: вознаграждение}\n"
        "- {words: [кэшбек], means: доставка}\n"
        "- {words: [Кешбэк], means: Вознаграждение}\n",  # the same meaning again: fine
        encoding="utf-8",
    )
    with (folder / "faq.yaml").open("a", encoding="utf-8") as faq:
        faq.write('\n- id: empty-q\n  topic: "Разное"\n  question: "?"\n  answer: "Да."\n'
                  '  alt: ["Что это?", "!!!"]\n  segments: [webmastr]\n')  # fmt: skip
    problems = _problems_of(folder)
    assert any(p.startswith("lessons/sub:1: a folder in lessons/ is not read") for p in problems)
    assert any(p.startswith("lessons/06-UP.MD:1: not a lesson") and "rename it 06-UP.md" in p
               for p in problems), problems  # fmt: skip
    assert any(p.startswith("lessons/05-notes.txt:1: not a lesson") for p in problems)
    assert not any(".DS_Store" in p for p in problems)
    assert "lexicon.yaml:2: 'кэшбек' already means 'вознаграждение' (line 1): a word has one" \
        " meaning" in problems, problems  # fmt: skip
    assert not any(p.startswith("lexicon.yaml:3") for p in problems)
    assert any("question: '?' has no word" in p for p in problems), problems
    assert any("alt: '!!!' has no word" in p for p in problems), problems
    assert any("unknown segment 'webmastr' (did you mean 'webmaster'?)" in p for p in problems)


async def test_faq_link_to_an_entry_the_partner_does_not_see_learns_nothing(
    group: Harness,
) -> None:
    """A blogger's ticket linked to the webmasters' entry: «Формулировка запомнена», yet
    what it learned never answered the blogger; an unknown id offered that entry too. The
    answer still goes (the manager named it: session 9), the wording is not learned, and
    the note says why."""
    anna = group.user(1461, "Анна")
    await anna.onboard("Блогер")
    await anna.send("/support")
    await anna.send("есть ли у вас фид товаров для моего канала")
    card = group.emulator.chat_messages(SUPPORT_GROUP)[-2].message_id
    await in_chat(group, SUPPORT_GROUP, "/faq_link product-feed", reply_to=card)
    note = group.emulator.chat_messages(SUPPORT_GROUP)[-1].plain
    assert note.startswith("Партнёр получил ответ «product-feed». Формулировка не запомнена:"
                           " статья только для сегментов Вебмастер"), note  # fmt: skip
    assert "YML-фид" in anna.last.plain
    assert await _learned(group) == []
    await in_chat(group, SUPPORT_GROUP, "/faq_link product-fed", reply_to=card)
    note = group.emulator.chat_messages(SUPPORT_GROUP)[-1].plain
    assert "product-feed" not in note, note


async def test_a_pick_under_not_it_after_an_answer_counts_as_answered(tmp_path: Path) -> None:
    """/stats counted a question the bot answered at once as «вы имели в виду» once the
    partner tapped another entry under «Не то?» (managers.md: by what the bot did)."""
    async with running_bot(tmp_path) as harness:
        _answer_anything(harness.services.content_store)
        anna = harness.user(1471, "Анна")
        await anna.onboard()
        answer = (await anna.send("вопрос про деньги"))[-1]
        assert "Не то?" in answer.plain
        await anna.press(next(b for b in answer.button_labels if b.startswith("↪ ")))
        manager = harness.manager()
        await manager.send("/start")
        stats = "\n".join(m.plain for m in await manager.send("/stats"))
        assert "Вопросы в этом месяце: ответ 1 · «вы имели в виду» 0 · без ответа 0" in stats
        await anna.press("👍 Помогло")  # helped under the picked one: still proposed
        assert anna.callback_answers()[-1]["text"].startswith("Спасибо! Запомним")


async def test_a_restart_on_a_broken_folder_serves_the_last_valid_content(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SPEC §4: an invalid folder is refused and the old content stays live. A restart on
    a folder with empty answers exited («the content folder … is invalid»): partners got
    nothing until someone fixed the files (the tester of session 20)."""
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    async with running_bot(tmp_path, content_dir=folder) as harness:
        anna = harness.user(1481, "Анна")
        await anna.onboard()
    faq = folder / "faq.yaml"
    faq.write_text(faq.read_text(encoding="utf-8").replace("10 и 25 числа", "ПО ЧЕТВЕРГАМ")
                   + "\n- id: broken\n  topic: Т\n  question: Вопрос?\n  answer: ''\n",
                   encoding="utf-8")  # fmt: skip
    with caplog.at_level(logging.ERROR):
        async with running_bot(tmp_path, content_dir=folder) as harness:
            anna = harness.user(1481, "Анна")
            assert "10 и 25 числа" in (await anna.send("когда выплаты?"))[-1].plain
            assert "serving the last valid content" in caplog.text
            assert "faq.yaml:" in caplog.text  # the problems, by line
            manager = harness.manager()
            await harness.deliver()  # the managers hear it (it was only in the log)
            told = [m.plain for m in manager.messages]
            assert any(
                text.startswith("⚠️ Бот запущен, но папка контента") and "faq.yaml:" in text
                for text in told
            ), told
            await manager.send("/start")
            said = (await manager.send("/reload"))[-1].plain  # still broken: refused
            assert "faq.yaml:" in said, said
            assert "10 и 25 числа" in (await anna.send("когда выплаты?"))[-1].plain
            faq.write_text(faq.read_text(encoding="utf-8").replace("answer: ''", "answer: Да."),
                           encoding="utf-8")  # fmt: skip
            said = (await manager.send("/reload"))[-1].plain
            assert said.startswith("Контент обновлён"), said
            assert "ПО ЧЕТВЕРГАМ" in (await anna.send("когда выплаты?"))[-1].plain


async def test_a_first_start_on_a_broken_folder_is_still_refused(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    (folder / "faq.yaml").write_text("- id: x\n", encoding="utf-8")
    with pytest.raises(ContentInvalid):
        async with running_bot(tmp_path, content_dir=folder):
            pass


async def test_a_reaction_to_a_broadcast_never_received_is_refused(tmp_path: Path) -> None:
    """A partner who sent /stop before broadcast №1 went pressed «rx:1:down»: thanked, and
    the report counted 👎 1 (the tester of session 20)."""
    async with running_bot(tmp_path) as harness:
        anna, boris = harness.user(1491, "Анна"), harness.user(1492, "Борис")
        await anna.onboard()
        await boris.onboard()
        await boris.send("/stop")
        manager = harness.manager()
        await manager.send("/start")
        await manager.send("/announce")
        await manager.send("Вебинар завтра")
        await manager.press("👥 Всем партнёрам", manager.messages[-1])
        await manager.press("Сейчас", manager.messages[-1])
        await manager.press("✅ Отправить", manager.messages[-1])
        await harness.deliver()
        got = anna.messages[-1]
        assert got.plain.startswith("Вебинар завтра")
        (up, _down) = got.buttons[0]
        await boris.press_data(boris.last, up["callback_data"].replace(":up", ":down"))
        assert "больше недоступен" in boris.callback_answers()[-1]["text"]
        await anna.press("👍", got)
        assert anna.callback_answers()[-1]["text"].startswith("Спасибо")
        report = (await manager.send("/announcements"))[-1].plain
        assert "👍 1" in report, report
        assert "👎" not in report or "👎 0" in report, report


async def test_a_managers_command_from_a_partner_in_the_group_is_audited(chat: Harness) -> None:
    """/stats, /reload… typed by a partner in the partners' group: silence (fine), but no
    audit row, while the same in private and in the managers' chat are kept as refused."""
    assert await say(chat, 1501, "/stats") == []
    assert await say(chat, 1501, "/approve_link tg:1501") == []
    assert await say(chat, MANAGER_ID, "/stats") == []  # a manager there: nothing either
    async with chat.services.db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.allowed)
            )
        ).all()
    refused = [(row.action, bool(row.allowed)) for row in rows if row.actor == "tg:1501"]
    assert refused == [("stats", False), ("approve_link", False)], rows


async def test_partner_card_shows_questions_without_bidi_controls(tmp_path: Path) -> None:
    """/partner showed a question with U+202E intact (the ticket card strips it)."""
    async with running_bot(tmp_path) as harness:
        anna = harness.user(1511, "Анна")
        await anna.onboard()
        await anna.send("когда \u202eыталпыв\u202c выплаты?")
        manager = harness.manager()
        await manager.send("/start")
        said = (await manager.send("/partner tg:1511"))[-1].plain
        assert "ыталпыв" in said, said
        assert "\u202e" not in said


async def test_forget_with_an_open_ticket_tells_the_managers(group: Harness) -> None:
    """/forget closed the open ticket silently: the managers answered on into its topic
    (the tester of session 20)."""
    anna = group.user(1521, "Анна")
    await anna.onboard()
    await anna.send("/support")
    await anna.send("Где мои деньги за ноябрь")
    await anna.send("/forget")
    await anna.press("Да, удалить")
    note = group.emulator.chat_messages(SUPPORT_GROUP)[-1].plain
    assert note.startswith("🗑 Партнёр удалил свои данные (/forget): обращение №1 закрыто"), note


async def test_a_burst_of_postbacks_is_told_in_few_notices(tmp_path: Path) -> None:
    """300 sales in 11 s brought the partner ~37 messages in a minute («Подтверждено 9
    продаж», «11 продаж»…): a chat's sale notices claimed together now go as one."""
    async with running_bot(tmp_path) as harness:
        anna = await linked(harness, 1531, "Анна", "burst-1")
        mark = len(anna.messages)
        for n in range(30):
            await postback(harness, "burst-1", f"burst-{n}")
        await harness.deliver()
        said = [m.plain for m in anna.messages[mark:]]
        notices = [text for text in said if text.startswith("✅")]
        assert len(notices) == 1, said
        assert sales_told(notices) == 30
        assert notices[0].startswith("✅ Подтверждено 30 продаж.\nВы №1"), notices
        # the congratulations are the listeners' (unchanged): «10 продаж» may be jumped
        # over when the burst is written before they run (PostgreSQL's group commit)
        assert sales_told([t for t in said if t.startswith("✅")]) == 30


async def test_schedule_lists_the_next_nudge_to_inactive_partners(tmp_path: Path) -> None:
    """SPEC §10: /schedule lists every automated send ahead; the daily nudge to inactive
    partners was not listed (a partner got one at 11:00 that /schedule never showed)."""
    async with running_bot(tmp_path) as harness:
        anna = harness.user(1541, "Анна")
        await anna.onboard()
        manager = harness.manager()
        await manager.send("/start")
        harness.clock.advance(31 * 86400)  # 30 days in the program without a sale
        at(harness, datetime(2026, 12, 4, 6, 0, tzinfo=UTC))  # 09:00 in Moscow
        lines = await schedule(manager)
        assert "04.12 11:00 — напоминание неактивным партнёрам — 1 получатель" in lines, lines
        at(harness, datetime(2026, 12, 4, 8, 1, tzinfo=UTC))  # 11:01: it goes
        mark = len(anna.messages)
        await harness.services.planner.tick()
        await harness.deliver()
        assert len(anna.messages) > mark  # the nudge
        lines = await schedule(manager)  # nudged this period: not again tomorrow
        assert not any("напоминание неактивным" in line for line in lines), lines


async def test_a_broadcast_recipient_who_used_forget_is_counted_as_not_getting_it(
    tmp_path: Path,
) -> None:
    """Sent «Сейчас» at night to one partner, who then used /forget: /announcements showed
    «Доставлено 0, в очереди 0» and nothing else — the person vanished from the counts."""
    async with running_bot(tmp_path) as harness:
        anna = harness.user(1551, "Анна")
        await anna.onboard()
        manager = harness.manager()
        await manager.send("/start")
        at(harness, datetime(2026, 11, 3, 20, 0, tzinfo=UTC))  # 23:00 in Moscow
        await manager.send("/announce")
        await manager.send("Вебинар утром")
        await manager.press("👥 Всем партнёрам", manager.messages[-1])
        await manager.press("Сейчас", manager.messages[-1])
        await manager.press("✅ Отправить", manager.messages[-1])
        await harness.deliver()
        await anna.send("/forget")
        await anna.press("Да, удалить")
        said = (await manager.send("/announcements"))[-1].plain
        assert "Уже не получат: 1" in said, said


async def test_a_segment_longer_than_a_vk_button_is_spelled_out(tmp_path: Path) -> None:
    """VK cuts a button at 40 characters: «Репетитор / детский сад / админ…» — the partner
    picked a segment without seeing its name. The question lists them in full then."""
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    program = folder / "program.yaml"
    long = "Дизайнер интерьеров и декоратор (квартиры, дома, офисы)"
    program.write_text(
        program.read_text(encoding="utf-8").replace('"Дизайнер интерьеров"', f'"{long}"'),
        encoding="utf-8",
    )
    async with running_bot(tmp_path, vk=True, content_dir=folder) as harness:
        vera = harness.vk_user(1561)
        replies = await vera.send("Начать")
        assert f"• {long}" in replies[-1].text, replies[-1].text
        assert "• Блогер (соцсети, YouTube, Telegram)" in replies[-1].text
    (tmp_path / "demo").mkdir()
    async with running_bot(tmp_path / "demo") as harness:  # every title fits: no list
        anna = harness.user(1562)
        replies = await anna.send("/start")
        assert "• Блогер" not in replies[-1].plain


def test_an_empty_value_is_called_empty_not_unquoted(tmp_path: Path) -> None:
    """`text:` with nothing after it said «must be text (put it in quotes)»."""
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    (folder / "templates.yaml").write_text("- key: hi\n  text:\n", encoding="utf-8")
    problems = _problems_of(folder)
    assert "templates.yaml:2: text: must not be empty" in problems, problems


@pytest.mark.slow
@pytest.mark.skipif(PG_URL is None, reason="several workers need PostgreSQL")
async def test_workers_on_a_folder_that_will_not_load_stop_instead_of_restarting(
    tmp_path: Path,
) -> None:
    """`run --workers 2` on a broken folder with no kept copy (a first start) started a
    worker again every ~5 s, forever (the tester of session 20): now it stops, exit 2."""
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    (folder / "faq.yaml").write_text("- id: x\n", encoding="utf-8")
    emulator = BotApiEmulator()
    await emulator.start()
    try:
        env = bot_env(
            emulator,
            database_url(tmp_path),
            free_port(),
            CONTENT_DIR=str(folder),
            CONTENT_KEPT_DIR=str(tmp_path / "kept"),
        )
        running = await Running.start(env, "--workers", "2")
        code = await asyncio.wait_for(running.process.wait(), 120)
        await running.stop()
        assert code == 2, running.log()[-3000:]
        assert "starting it again" not in running.log()
        assert "is invalid" in running.log()
    finally:
        await emulator.stop()


async def test_a_database_outage_is_logged_once_not_every_second(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL away for 55 s: each worker logged a ~50-line traceback every second
    (13,000 lines in a minute; the tester of session 20). Once, then once when it works."""
    async with running_bot(tmp_path) as harness:
        sync = harness.services.content_sync
        calls = 0

        async def refresh() -> bool:
            nonlocal calls
            calls += 1
            if calls <= 5:
                raise OSError("connection refused")
            return False

        async def sleep(_seconds: float) -> None:
            if calls >= 7:
                raise asyncio.CancelledError

        monkeypatch.setattr(sync, "refresh", refresh)
        with caplog.at_level(logging.INFO), pytest.raises(asyncio.CancelledError):
            await sync.run(sleep)
        assert caplog.text.count("could not check for a reload elsewhere") == 1, caplog.text
        assert caplog.text.count("works again") == 1


def test_faq_teach_refuses_a_line_with_contact_details(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """«пишите мне на ivan@example.com» was learned as «пишите мне на», and then answered
    «пишите мне на» at 1.00 (the tester of session 20)."""
    code, said, taught = run_teach(
        tmp_path,
        [
            {"q": "пишите мне на ivan@example.com", "id": "hold-period"},
            {"q": "скока холд держите", "id": "hold-period"},
        ],
        capsys,
    )
    assert code == 1
    assert f"{taught}:1: contact details in it" in said, said
    assert "learned 1, already known 0, refused 1" in said


def test_content_check_given_a_file_names_the_folder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`content check path/to/faq.yaml` said «content folder not found» of a path that is
    there."""
    from bot.cli import main

    assert main(["content", "check", str(DEMO_CONTENT / "faq.yaml")]) == 1
    said = capsys.readouterr().err
    assert (
        f"{DEMO_CONTENT / 'faq.yaml'} is a file: give the content folder ({DEMO_CONTENT})" in said
    )


def test_db_upgrade_says_what_it_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """«database is up to date» came right after applying every migration."""
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    assert main(["db", "upgrade"]) == 0
    first = capsys.readouterr().out.strip().splitlines()[-1]
    assert first.startswith("database upgraded: new → "), first
    assert main(["db", "upgrade"]) == 0
    again = capsys.readouterr().out.strip().splitlines()[-1]
    assert (
        again == f"database is up to date: {first.split('→ ')[1].split(' ')[0]} (sqlite+aiosqlite)"
    )


async def test_a_managers_slashless_command_with_markup_is_echoed_as_typed(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as harness:
        manager = harness.manager()
        await manager.send("/start")
        (hint,) = await manager.send("partner <b>x</b> & y")
        assert hint.plain == "Команды пишутся со слэшем: /partner <b>x</b> & y"


HOSTILE = ["<", "&amp;", "</b><i>", "\u202eevil", "x" * 5000, "<a href='javascript:x'>a</a>"]


async def test_hostile_words_after_a_managers_slashless_command_never_break_it(
    tmp_path: Path,
) -> None:
    """Whatever follows «tickets» or «partner» typed without the slash, the answer goes
    (the harness fails a test on any request Telegram would refuse)."""
    async with running_bot(tmp_path) as harness:
        manager = harness.manager()
        await manager.send("/start")
        for word in ("tickets", "partner", "faq_link"):
            for hostile in HOSTILE:
                (hint,) = await manager.send(f"{word} {hostile}")
                assert hint.plain.startswith(f"Команды пишутся со слэшем: /{word} "), hint.plain


async def test_the_kept_content_notice_cuts_a_long_problem_before_escaping(
    tmp_path: Path,
) -> None:
    """A problem cut after it was escaped could end in half an entity («&am»): HTML
    Telegram refuses (the harness fails a test on such a request)."""
    async with running_bot(tmp_path) as harness:
        manager = harness.manager()
        problem = "faq.yaml:9: " + "x" * 286 + "&&&&&&&&"  # the cut falls among the «&»
        await harness.services.notices.content_kept("content", [problem], 7)
        await harness.deliver()
        assert manager.messages[-1].plain.startswith("⚠️ Бот запущен")
        assert "x&&" in manager.messages[-1].plain
