"""Session 19: the sandbox's managers' chat; what the session's independent testers found."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.db.tables import audit_log
from tests.harness import Harness, announce_demo_contest, chats_emulator, running_bot

# --- the sandbox's managers' chat: `/chat managers` ---


async def test_the_sandbox_has_a_managers_chat_where_tickets_arrive(tmp_path: Path) -> None:
    from bot.sandbox.group import MANAGERS_ID, add_groups
    from bot.sandbox.terminal import MANAGER_ID, PARTNER_ID, TerminalChat

    async with chats_emulator() as emulator:
        add_groups(emulator)
        async with running_bot(
            tmp_path,
            emulator=emulator,
            tg_managers_chat_id=MANAGERS_ID,
            managers=f"tg:{MANAGER_ID}",
        ) as harness:
            lines: list[str] = []
            chat = TerminalChat(harness.emulator, lines.append)
            anna = harness.user(PARTNER_ID, "Анна")
            await anna.onboard()

            async def typed(line: str) -> None:
                assert chat.handle(line)
                await harness.emulator.wait_processed(harness.emulator.last_update_id)

            await typed("/support")
            await typed("Не пришла выплата за октябрь")
            said = "\n".join(lines)
            # the ticket's card in its topic, marked as the managers' chat's
            assert "(managers › #1 " in said, said
            await typed("/as manager")
            await typed("/chat managers")
            assert lines[-1].startswith("   you now write in the managers' chat"), lines[-1]
            await typed("/reply Проверим сегодня")
            to_anna = harness.emulator.chat_messages(PARTNER_ID)
            assert "Проверим сегодня" in to_anna[-1].plain, to_anna[-1].plain
            await typed("/tickets")  # the general topic: the manager's commands work
            assert "🤖 (managers) Открытые обращения" in "\n".join(lines[-3:]), lines[-3:]
            # a partner in the managers' chat is no manager there
            await typed("/as partner")
            await typed("/reply я тоже менеджер")
            assert "я тоже менеджер" not in harness.emulator.chat_messages(PARTNER_ID)[-1].plain
            async with harness.services.db.read() as conn:
                refused = (
                    (
                        await conn.execute(
                            sa.select(audit_log.c.action).where(
                                audit_log.c.actor == f"tg:{PARTNER_ID}",
                                audit_log.c.allowed.is_(False),
                            )
                        )
                    )
                    .scalars()
                    .all()
                )
            assert "reply" in refused, refused
            still = "   (still in the managers' chat: /chat private for your chat with the bot)"
            assert lines[-1] == still, lines[-1]
            await typed("/as manager")
            await typed("/reply #7 нет такого")
            assert lines[-1].startswith("   no ticket #7 here"), lines[-1]
            await typed("/reply #1 По №1: ответ")
            assert "По №1: ответ" in harness.emulator.chat_messages(PARTNER_ID)[-1].plain
            await typed("/chat private")
            assert lines[-1] == "   you now write in your private chat"
            await typed("/chat nowhere")
            assert lines[-1].startswith("   usage: /chat group | /chat managers | /chat private")


# --- a morning's held sale notices to one partner go as one ---


async def test_a_mornings_held_sale_notices_go_as_one_naming_every_sale_that_counts(
    harness: Harness,
) -> None:
    """Three sales of Анна approved at 23:00 (Moscow), the second refunded at 02:00: at
    09:00 one notice tells of the two that count (it was two identical «✅ Продажа
    подтверждена.»); the other rows are cancelled naming the one that told them, never
    sent later, and a sale after the morning is told on its own."""
    from datetime import UTC, datetime

    from bot.db.tables import conversions, outbox
    from bot.services.outbox_refresh import MERGED
    from bot.services.outbox_sales import sales_subject
    from tests.test_journey_notices import linked
    from tests.test_review_s9_lefta import _postback, _to

    anna = await linked(harness, 9901, "Анна", "merge-1")
    mark = len(anna.messages)
    await _to(harness, datetime(2026, 11, 2, 20, 0, tzinfo=UTC))  # 23:00 in Moscow
    for n in range(3):
        await _postback(harness, "merge-1", f"m{n}", "approved")
        await harness.deliver()
    assert anna.messages[mark:] == []
    await _to(harness, datetime(2026, 11, 2, 23, 0, tzinfo=UTC))  # 02:00: a refund
    await _postback(harness, "merge-1", "m1", "declined")
    await _to(harness, datetime(2026, 11, 3, 6, 0, tzinfo=UTC))  # 09:00
    await harness.deliver()
    await harness.deliver()
    said = [m.plain for m in anna.messages[mark:]]
    assert [t for t in said if t.startswith("✅")] == [
        "✅ Подтверждены 2 продажи.\nВы №1 в зачёте «Рейтинг месяца»."
    ], said
    async with harness.services.db.read() as conn:
        ids = dict(
            (
                await conn.execute(
                    sa.select(conversions.c.conversion_id, conversions.c.id).where(
                        conversions.c.affiliate_id == "merge-1"
                    )
                )
            ).all()
        )
        rows = (
            await conn.execute(
                sa.select(outbox.c.id, outbox.c.status, outbox.c.subject, outbox.c.error)
                .where(outbox.c.subject.like("sales:%"), outbox.c.chat_id == 9901)
                .order_by(outbox.c.id)
            )
        ).all()
    sent = [row for row in rows if row.status == "sent"]
    assert len(sent) == 1, rows
    assert sent[0].subject == sales_subject([ids["m0"], ids["m2"]])
    others = [row for row in rows if row.status != "sent"]
    assert others, rows
    assert all(row.status == "cancelled" for row in others), rows
    assert MERGED.format(into=sent[0].id) in {row.error for row in others}, rows
    harness.clock.advance(3600)
    await _postback(harness, "merge-1", "m3", "approved")
    await harness.deliver()
    assert anna.messages[-1].plain.startswith("✅ Продажа подтверждена."), anna.messages[-1]
    assert sum(m.plain.startswith("✅") for m in anna.messages[mark:]) == 2


# --- a contest's announcement held past its start goes as the start, once ---


async def test_an_announcement_held_past_the_start_goes_as_the_start_with_the_card(
    harness: Harness,
) -> None:
    """Saved at 23:30 (Moscow) for a start at 08:00: Борис's announcement waits for the end
    of the quiet hours (09:00), after the start. She gets one message: «начался!» with the
    rules and prizes — not «Новый конкурс! … Старт уже 08:00» a moment before «начался!».
    Анна, who onboarded after the save (told of it then), gets the start alone."""
    from datetime import UTC, datetime

    from tests.test_journey_schedule import at, tick

    boris = harness.user(9911, "Борис")
    await boris.onboard()
    manager = harness.manager()
    await manager.send("/start")
    at(harness, datetime(2026, 11, 2, 20, 30, tzinfo=UTC))  # 23:30 in Moscow
    await manager.send("/contest_new")
    for text in ("Утренний", "Правила утреннего.", "03.11.2026 08:00"):
        await manager.send(text)
    await manager.press("Всё равно эту дату", manager.messages[-1])
    for text in ("10.11.2026", "все", "first_sales: Бонус 1000 ₽", "0"):
        await manager.send(text)
    await manager.press("✅ Сохранить", (await manager.send("-"))[-1])
    anna = harness.user(9912, "Анна")
    await anna.onboard()  # after the save: told of it at the end of onboarding
    mark_anna, mark_boris = len(anna.messages), len(boris.messages)
    await harness.deliver()
    assert [m.plain for m in boris.messages[mark_boris:]] == []  # held for 09:00
    at(harness, datetime(2026, 11, 3, 5, 0, tzinfo=UTC))  # 08:00: it starts
    await tick(harness)
    at(harness, datetime(2026, 11, 3, 6, 0, tzinfo=UTC))  # 09:00
    await tick(harness)
    told = [m.plain for m in boris.messages[mark_boris:] if "Утренний" in m.plain]
    assert len(told) == 1, told
    assert told[0].startswith("🚀 Конкурс «Утренний» начался!"), told
    assert "Бонус 1000 ₽" in told[0], told  # the card the announcement would have told
    assert "Правила утреннего." in told[0], told
    said = [m.plain for m in anna.messages[mark_anna:] if "Утренний" in m.plain]
    assert len(said) == 1, said
    assert said[0].startswith("🚀 Конкурс «Утренний» начался!"), said


# --- a running contest's card in /contests_admin shows who leads ---


async def test_a_running_contests_card_shows_who_leads_now_with_their_ids(
    harness: Harness,
) -> None:
    """A manager opening a running contest in /contests_admin sees each category's leaders
    as they would be handed prizes (name, chats, affiliate id, value, prize) — the card had
    no standings until it ended."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from bot.services.conversions import ConversionIn
    from tests.test_journey_notices import linked

    await linked(harness, 9921, "Анна", "lead-1")
    await linked(harness, 9922, "<b>Ева</b> & Co", "lead-<2>")
    running = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)
    harness.clock.advance((running - harness.clock.now()).total_seconds())
    for affiliate, count in (("lead-1", 3), ("lead-<2>", 1)):
        for n in range(count):
            sale = ConversionIn(
                affiliate, f"{affiliate}-{n}", "approved", Decimal(20000), "RUB", running
            )
            await harness.services.sales.record(sale, "csv")
    manager = harness.manager()
    await manager.send("/start")
    listing = (await manager.send("/contests_admin"))[-1]
    await manager.press(next(b for b in listing.button_labels if "Зимний марафон" in b), listing)
    card = manager.messages[-1].plain
    assert "📊 Сейчас лидируют" in card, card
    assert "1. Анна (@user9921, tg:9921), ID lead-1 — 3 — Ставка 15% на январь" in card, card
    assert "2. <b>Ева</b> & Co (@user9922, tg:9922), ID lead-<2> — 1 — Бонус 1 500 ₽" in card, card


# --- tester B, 1. what is no regular file in the content folder is refused, never read ---


@pytest.mark.timeout(60)
async def test_a_fifo_or_a_device_in_the_content_folder_is_refused_and_never_read(
    tmp_path: Path,
) -> None:
    """A FIFO (its open() waits for a writer forever) and a symlink to /dev/zero (endless
    bytes) that no item names: /reload hung the bot, or filled its memory. Both are
    refused with their names, the old content stays live and the bot keeps answering; a
    creative naming a folder says it is a folder."""
    import os
    import shutil

    from tests.harness import DEMO_CONTENT

    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    async with running_bot(tmp_path, content_dir=content) as harness:
        manager = harness.manager()
        os.mkfifo(content / "files" / "pipe")
        (content / "files" / "zero").symlink_to("/dev/zero")
        (content / "files" / "dir").mkdir()
        creatives = content / "creatives.yaml"
        text = creatives.read_text(encoding="utf-8")
        first_file = next(line for line in text.splitlines() if "file:" in line)
        creatives.write_text(
            text.replace(first_file, first_file.split("file:")[0] + "file: files/dir", 1),
            encoding="utf-8",
        )
        said = (await manager.send("/reload"))[-1].plain
        assert "Контент не обновлён" in said, said
        assert "files/pipe:1: not a regular file" in said, said
        assert "files/zero:1: not a regular file" in said, said
        assert "files/dir: a folder, not a file" in said, said
        anna = harness.user(9931)
        await anna.onboard()
        assert "10 и 25 числа" in (await anna.send("когда выплаты"))[-1].plain


@pytest.mark.timeout(60)
def test_a_content_file_that_is_a_fifo_is_a_problem_not_a_wait(tmp_path: Path) -> None:
    """program.yaml itself a FIFO: `content check` names it instead of waiting forever."""
    import os
    import shutil

    from bot.content.loader import ContentInvalid, load_content
    from tests.harness import DEMO_CONTENT

    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    (content / "program.yaml").unlink()
    os.mkfifo(content / "program.yaml")
    with pytest.raises(ContentInvalid) as caught:
        load_content(content)
    said = [f"{p.file}:{p.line}: {p.message}" for p in caught.value.problems]
    assert any(p.startswith("program.yaml:1: not a regular file") for p in said), said


# --- tester B, 2. contact details are never learned with a wording ---


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (
            "я Иван ivan.petrov+1@mail.ru +7 (916) 123-45-67 на какую карту капают деньжата",
            "я Иван на какую карту капают деньжата",
        ),
        ("карта 4276 1234 5678 9012 когда выплаты", "карта когда выплаты"),
        ("пишите в @ivan_petrov или t.me/ivanp когда выплаты", "пишите в или когда выплаты"),
        ("куда выводят бабки https://mysite.example/ref?id=7 89161234567", "куда выводят бабки"),
        ("когда выплаты за 10 000 продаж", "когда выплаты за 10 000 продаж"),  # no contact
    ],
)
async def test_a_learned_wording_keeps_no_email_phone_card_or_handle(
    harness: Harness, typed: str, stored: str
) -> None:
    """Tester B: «я Иван Петров ivan@mail.ru +79161234567 …», picked and 👍 (the demo
    approves at one vote), was an approved learned wording with the email and the phone —
    kept after /forget, exported, shown to managers. Contact details carry nothing a
    question is matched by: they are left out of what is learned."""
    anna = harness.user(9941)
    await anna.onboard()
    partner = await harness.services.partners.by_user("tg", 9941)
    assert partner is not None
    learning = harness.services.faq.learning
    # a manager's /faq_link learns it without them; since session 20 a partner's "Helped"
    # learns nothing of a wording with contact details (what is left reads as garbage)
    learned = await learning.learn("payout-methods", typed, "link")
    assert learned is not None
    assert learned.phrasing == stored
    await learning.unlearn(stored)
    proposed = await learning.propose("payout-methods", typed, partner.id)
    assert (proposed.learned is None) == (typed != stored), proposed


_PIECES = st.sampled_from(
    ["когда", "выплаты", "карта", "+7", "916", "123-45-67", "@", "ivan", "mail.ru", ".", "/",
     "t.me", "https://", "10", "000", " ", "(", ")", "-", "№", "5", "🙏", "&", "<b>"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_PIECES, max_size=14), noise=st.text(max_size=20))
def test_a_folded_wording_has_no_contact_left_and_folds_to_itself(
    parts: list[str], noise: str
) -> None:
    """Whatever is typed: no e-mail address, @handle or run of seven digits is left in
    what is learned, and folding what was stored again changes nothing (an export taught
    back is the same wording)."""
    import re

    from bot.services.faq_learned import folded_wording

    folded = folded_wording("".join(parts) + noise)
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w-]+", folded), folded
    assert not re.search(r"(?<![\w@])@\w{2,}", folded), folded
    assert not re.search(r"\d(?:[\s().-]*\d){6,}", folded), folded
    assert folded_wording(folded) == folded


# --- tester B, 3. an announcement's length is what the partner reads ---


async def test_an_announcements_length_is_counted_as_read_not_as_escaped(
    harness: Harness,
) -> None:
    """3,000 characters of «A & B < C > D. » were refused as 4 999 (the HTML the bot keeps,
    each & < > five characters): Telegram counts what it shows. 5,004 such characters are
    refused as 5 004, not 21 674."""
    anna = harness.user(9951)
    await anna.onboard()
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    said = (await manager.send("A & B < C > D. " * 200))[-1].plain
    assert "Слишком длинно" not in said, said
    await manager.press("👥 Всем партнёрам", manager.messages[-1])
    await manager.press("Сейчас", manager.messages[-1])
    await manager.press("✅ Отправить", manager.messages[-1])
    before = len(anna.messages)
    await harness.deliver()
    # one message, as typed (the emulator parses its HTML and counts as Telegram does)
    assert [m.plain for m in anna.messages[before:]] == ["A & B < C > D. " * 200]
    await manager.send("/announce")
    said = (await manager.send(("A & B < C > D. " * 334)[:5004]))[-1].plain
    assert said.startswith("Слишком длинно: 5\xa0004 символа"), said


# --- tester B, 4. nothing visible is no answer: a contest title, an onboarding answer ---


async def test_a_contest_title_or_an_onboarding_answer_of_nothing_visible_is_refused(
    harness: Harness,
) -> None:
    """«\\u200b\\u202e\\u200b» as a contest's title was saved: an invisible title in the
    announcement, /contests and the list's button (content refuses it already); as the
    onboarding's free answer it left «Кратко: кто ваша аудитория:» empty on the card."""
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/contest_new")
    said = (await manager.send("\u200b\u202e\u200b"))[-1].plain
    assert said.startswith("⚠️ Пустой ответ."), said
    anna = harness.user(9961)
    await anna.send("/start")
    await anna.press(anna.last.button_labels[0])
    for _ in range(2):  # the two questions with options
        await anna.press(anna.last.button_labels[0])
    said = (await anna.send("\u200b\u200b"))[-1].plain
    assert said.startswith("Ответ пустой"), said
    assert "Кратко: кто ваша аудитория?" in said, said
    said = (await anna.send("Мамы в декрете"))[-1].plain
    assert said.startswith("Присылать вам новости"), said


async def test_a_refused_link_id_is_quoted_without_bidi_controls(harness: Harness) -> None:
    """Tester B: «/link aff\\u202e1» echoed the override inside «…»: the rest of the line
    showed reversed."""
    anna = harness.user(9971)
    await anna.onboard()
    said = (await anna.send("/link aff\u202e1xyz"))[-1].plain
    assert said.startswith("«aff1xyz» не похоже на ID"), said
    assert "\u202e" not in said


async def test_an_unknown_command_before_start_asks_for_start_not_the_menu(
    harness: Harness,
) -> None:
    """Tester B: before /start an unknown command (a manager's too) got «Такой команды я не
    знаю» and the whole menu, whose buttons then only said to /start; /me got /start's
    invitation. Now both do; the manager's command is still in the audit log."""
    stranger = harness.user(9982)
    for text in ("/zzz", "/reload"):
        said = [m.plain for m in await stranger.send(text)]
        assert len(said) == 1, said
        assert said[0].startswith("Здравствуйте! Чтобы начать, отправьте /start"), said
    async with harness.services.db.read() as conn:
        refused = (
            (
                await conn.execute(
                    sa.select(audit_log.c.action).where(audit_log.c.actor == "tg:9982")
                )
            )
            .scalars()
            .all()
        )
    assert refused == ["reload"], refused
    await stranger.onboard()
    said = [m.plain for m in await stranger.send("/zzz")]
    assert said[0].startswith("Такой команды я не знаю"), said


# --- tester A, 1. a bare /link's id is taken while a ticket is open ---


async def test_the_id_after_a_bare_link_is_taken_while_a_ticket_is_open(
    harness: Harness,
) -> None:
    """With ticket №1 open, /link then «OFFICE-22»: the id went to the ticket as words —
    no link request, no answer — though the bot had asked for it. Words after a bare /link
    still go to the ticket."""
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(9991, "Анна")
    await anna.onboard()
    await anna.send("/support")
    await anna.send("Не пришла выплата")
    said = (await anna.send("/link"))[-1].plain
    assert said.startswith("Использование: /link ID"), said
    said = (await anna.send("OFFICE-22"))[-1].plain
    assert said.startswith("Запрос на привязку ID OFFICE-22 отправлен менеджеру"), said
    partner = await harness.services.partners.by_user("tg", 9991)
    assert partner is not None
    assert partner.requested_id == "OFFICE-22" or partner.affiliate_id == "OFFICE-22"
    await anna.send("/link")
    await anna.send("и ещё вопрос по выплате")  # not an id: to the ticket, as before
    assert manager.messages[-1].plain == "и ещё вопрос по выплате", manager.messages[-1]


# --- tester A, 3. a private-only command in the managers' chat says where it works ---


async def test_a_private_only_command_in_the_managers_chat_says_where_it_works(
    tmp_path: Path,
) -> None:
    """/schedule, /announce, /reload, /help by a manager in the managers' chat got no answer,
    and the log said «refused manager command» as for a stranger. Now: where they work,
    and no refusal in the audit log; /tickets still works there."""
    from tests.harness import MANAGER_ID

    forum = -1001700000099
    async with chats_emulator() as emulator:
        emulator.add_group(forum, "Менеджеры", forum=True)
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(tmp_path, emulator=emulator, tg_managers_chat_id=forum) as harness:
            for command in ("/schedule", "/announce", "/reload", "/help"):
                update = harness.emulator.user_message(MANAGER_ID, command, chat_id=forum)
                await harness.emulator.wait_processed(update)
                said = harness.emulator.chat_messages(forum)[-1].plain
                assert said == (
                    f"Команда {command} работает в личном чате с ботом — напишите ему в личку."
                ), said
            update = harness.emulator.user_message(MANAGER_ID, "/tickets", chat_id=forum)
            await harness.emulator.wait_processed(update)
            assert "обращени" in harness.emulator.chat_messages(forum)[-1].plain.lower()
            async with harness.services.db.read() as conn:
                refused = (
                    (
                        await conn.execute(
                            sa.select(audit_log.c.action).where(audit_log.c.allowed.is_(False))
                        )
                    )
                    .scalars()
                    .all()
                )
            assert refused == [], refused


def test_one_sale_left_to_the_next_tier_is_said_in_the_singular() -> None:
    """«До уровня «Капучино» осталось 1 продажа» (tester A): «осталась 1 продажа»; 21 —
    «осталась 21 продажа», 2 — «осталось 2 продажи»."""
    from bot.i18n import Translator

    l10n = Translator().get("ru")
    said = {n: l10n("me-tier-next", tier="Серебро", remaining=n) for n in (1, 2, 5, 21)}
    assert said[1] == "До уровня «Серебро» осталась 1 продажа в этом месяце", said
    assert said[21] == "До уровня «Серебро» осталась 21 продажа в этом месяце", said
    assert said[2] == "До уровня «Серебро» осталось 2 продажи в этом месяце", said
    assert said[5] == "До уровня «Серебро» осталось 5 продаж в этом месяце", said


async def test_a_rating_stays_in_the_chat_and_a_thumbs_down_says_what_next(
    harness: Harness,
) -> None:
    """Tester A: after 👎 the message still said «Оцените, пожалуйста, помощь:» with no
    buttons and no sign of the choice, and nothing told the partner what now."""
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(9992, "Анна")
    await anna.onboard()
    await anna.send("/support Не пришла выплата")
    await anna.press("✅ Вопрос решён, закрыть")
    rate = anna.last
    assert rate.plain.startswith("Обращение №1 закрыто. Оцените"), rate.plain
    await anna.press("👎 Не помогли", rate)
    assert rate.plain == (
        "Обращение №1 закрыто. Ваша оценка: 👎 Не помогли — жаль. Если вопрос не решён, "
        "напишите /support: менеджер продолжит."
    ), rate.plain
    assert rate.buttons == []


async def test_a_sale_notice_in_a_running_contest_names_the_contest(harness: Harness) -> None:
    """Tester A: «Вы №1 в зачёте «Больше всего продаж».» came before the partner had heard
    the contest started — which contest? It is named now. And the place is told on the
    first board that places the partner: one sale is under «Больше всего продаж»'s
    threshold (from 3), so the place in «Первые продажи» (it named none)."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from bot.services.conversions import ConversionIn
    from tests.test_journey_notices import linked

    anna = await linked(harness, 9993, "Анна", "named-1")
    await announce_demo_contest(harness)  # partners see a contest once it was announced
    running = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)  # 12:00 in Moscow, the demo contest
    harness.clock.advance((running - harness.clock.now()).total_seconds())
    await harness.services.sales.submit(
        ConversionIn("named-1", "nm-1", "approved", Decimal(20000), "RUB", running)
    )
    await harness.deliver()
    for n in (2, 3):
        harness.clock.advance(60)
        await harness.services.sales.submit(
            ConversionIn("named-1", f"nm-{n}", "approved", Decimal(20000), "RUB", running)
        )
        await harness.deliver()
    said = [m.plain for m in anna.messages if m.plain.startswith("✅")]
    assert said == [
        "✅ Продажа подтверждена.\n"
        "Вы №1 в зачёте «Первые продажи» конкурса «Зимний марафон диванов».",
        "✅ Продажа подтверждена.\n"
        "Вы №1 в зачёте «Первые продажи» конкурса «Зимний марафон диванов».",
        "✅ Продажа подтверждена.\n"
        "Вы №1 в зачёте «Больше всего продаж» конкурса «Зимний марафон диванов».",
    ], said


# --- tester A, 4. new dates reach whoever was told, at the weekly cap too ---


async def test_a_partner_at_the_weekly_cap_hears_of_new_dates(harness: Harness) -> None:
    """Tester A: a contest's new dates (✏️ Даты) were held back by the weekly cap — a
    partner leading it would go by the old dates. A correction, as a cancel (session 18)."""
    from datetime import UTC, datetime

    from tests.test_journey_every_screen import saved_contest
    from tests.test_journey_notices import linked
    from tests.test_review_contests14 import _card, _to
    from tests.test_review_s18 import at_the_weekly_cap

    manager = harness.manager()
    await manager.send("/start")
    anna = await linked(harness, 9995, "Анна", "aff-9995")
    _to(harness, datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # 12:00 in Moscow
    await saved_contest(manager, "Январский", ("20.01.2027 10:00", "25.01.2027"))
    await harness.deliver()
    assert any(m.plain.startswith("📣 Новый конкурс!") for m in anna.messages)
    await at_the_weekly_cap(harness, 9995)
    await _card(manager, "Январский")
    await manager.press("✏️ Даты")
    await manager.send("21.01.2027 10:00 — 26.01.2027 18:00")
    said = (await manager.press("✅ Сохранить и сообщить", manager.messages[-1]))[-1].plain
    assert "недельный лимит исправлению не помеха" in said, said
    await harness.deliver()
    moved = [m.plain for m in anna.messages if m.plain.startswith("🗓 Конкурс «Январский»")]
    assert len(moved) == 1, [m.plain[:60] for m in anna.messages[-4:]]


# --- tester A, 5. «последний день» in the day, not at 23:59 the night before ---


async def test_the_last_day_and_reminders_are_told_when_the_quiet_hours_end(
    harness: Harness,
) -> None:
    """The demo contest ends 28.12 23:59: «последний день» was planned for 27.12 23:59 —
    held for private chats, but posted in the partners' group at midnight. Now 28.12 09:00
    (the quiet hours' end); one ending 28.12 at 08:00 is told 27.12 at 09:00, one ending at
    15:00 a day before, at 15:00."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    moscow = ZoneInfo("Europe/Moscow")
    contest = await harness.services.contests.contest("winter-sofas")
    assert contest is not None
    planner = harness.services.planner
    (last,) = [at for at, name, _tag in planner.contest_moments(contest) if name == "last_day"]
    assert last.astimezone(moscow) == datetime(2026, 12, 28, 9, 0, tzinfo=moscow)
    # its reminders (at 00:00, as the start) too: tester C saw them for the group at midnight
    reminders = [
        at.astimezone(moscow)
        for at, name, _tag in planner.contest_moments(contest)
        if name == "reminder"
    ]
    assert reminders == [
        datetime(2026, 12, 11, 9, 0, tzinfo=moscow),
        datetime(2026, 12, 13, 9, 0, tzinfo=moscow),
    ], reminders
    for end, told in ((8, datetime(2026, 12, 27, 9, 0, tzinfo=moscow)), (15, None)):
        other = contest.model_copy(
            update={"ends_at": datetime(2026, 12, 28, end, 0, tzinfo=moscow)}
        )
        moments = planner.contest_moments(other)
        (last,) = [at for at, name, _tag in moments if name == "last_day"]
        assert last == (told or other.ends_at - timedelta(days=1))


def test_a_contests_segments_are_read_in_their_own_words_as_onboarding_reads_them() -> None:
    """Tester A: «блогеры, телеграм каналы» refused in /contest_new, though onboarding took
    «телеграм канал»: a segment typed in the words of its title (stems, either alphabet)."""
    from bot.content.loader import load_content
    from bot.services.contest_drafts import read_segments
    from tests.harness import DEMO_CONTENT

    program = load_content(DEMO_CONTENT).program
    assert program is not None
    ids = {segment.title.split(" (")[0]: segment.id for segment in program.segments}
    chosen = read_segments("телеграм блогер, дизайнеры", program)
    assert chosen == [ids["Блогер"], ids["Дизайнер интерьеров"]], chosen


async def test_a_first_number_typed_in_the_sandboxs_managers_chat_presses_its_button(
    tmp_path: Path,
) -> None:
    """Tester C: a link request's card in the managers' chat, then /as manager, /chat
    managers, «1»: nothing — the join's service message (the first line written there)
    came between the card and the number, so «1» went as text."""
    from bot.sandbox.group import MANAGERS_ID, add_groups
    from bot.sandbox.terminal import MANAGER_ID, PARTNER_ID, TerminalChat

    async with chats_emulator() as emulator:
        add_groups(emulator)
        async with running_bot(
            tmp_path, emulator=emulator, tg_managers_chat_id=MANAGERS_ID,
            managers=f"tg:{MANAGER_ID}",
        ) as harness:  # fmt: skip
            lines: list[str] = []
            chat = TerminalChat(harness.emulator, lines.append)
            anna = harness.user(PARTNER_ID, "Анна")
            await anna.onboard()
            await anna.send("/link aff-19")
            for line in ("/as manager", "/chat managers", "1"):
                assert chat.handle(line)
                await harness.emulator.wait_processed(harness.emulator.last_update_id)
            partner = await harness.services.partners.by_user("tg", PARTNER_ID)
            assert partner is not None
            assert (partner.affiliate_id, partner.affiliate_status) == ("aff-19", "linked")


async def test_a_partners_own_command_in_the_group_says_where_it_works(tmp_path: Path) -> None:
    """Tester C: /me and /support typed in the partners' group got no answer at all."""
    from tests.test_journey_community import COMMUNITY, say

    async with chats_emulator() as emulator:
        emulator.add_group(COMMUNITY, "Партнёры МебельДом")
        async with running_bot(
            tmp_path, emulator=emulator, tg_community_chat_id=COMMUNITY
        ) as chat:
            for command in ("/me", "/support"):
                (said,) = await say(chat, 9997, command)
                assert said == (
                    f"Команда {command} работает в личке с ботом — откройте его кнопкой ниже."
                ), said
                button = chat.emulator.chat_messages(COMMUNITY)[-1].buttons[0][0]
                assert button["url"].startswith("https://t.me/"), button
            (rules,) = await say(chat, 9997, "/rules")  # the group's own commands as before
            assert rules.startswith("Правила чата")


async def test_a_cancel_told_to_the_group_says_so_to_the_manager(tmp_path: Path) -> None:
    """Tester C: «Об отмене узнают 0 партнёров», while the partners' group got the cancel:
    the manager is told the group hears it too."""
    from datetime import UTC, datetime

    from tests.test_journey_community import COMMUNITY
    from tests.test_review_contests14 import _card, _to

    async with chats_emulator() as emulator:
        emulator.add_group(COMMUNITY, "Партнёры МебельДом")
        group = {"tg_community_chat_id": COMMUNITY}
        async with running_bot(tmp_path, emulator=emulator, **group) as harness:
            manager = harness.manager()
            await manager.send("/start")
            _to(harness, datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
            await _card(manager, "Зимний марафон")
            await manager.press("📣 Объявить")
            await harness.deliver()
            posts = harness.emulator.chat_messages(COMMUNITY)
            assert posts[-1].plain.startswith("📣 Новый конкурс!"), posts[-1].plain
            await _card(manager, "Зимний марафон")
            await manager.press("❌ Отменить конкурс")
            await manager.press(manager.last.button_labels[0])
            said = manager.last.plain
            assert "И в чат партнёров — ему о конкурсе сообщали." in said, said
            await harness.deliver()
            cancel = harness.emulator.chat_messages(COMMUNITY)[-1].plain
            assert cancel.startswith("❌ Конкурс «Зимний марафон"), cancel


async def test_a_long_template_is_sent_and_shown_back_in_the_ticket_shortened(
    tmp_path: Path,
) -> None:
    """The echo of `/t KEY` (session 19) fits one message however long the template: the
    partner gets it whole, the ticket its start (a text put into a locale's message is
    bounded there, `bot.i18n`)."""
    from tests.content_copy import demo_copy
    from tests.harness import MANAGER_ID

    content = demo_copy(tmp_path)
    long = "Длинный ответ. " * 272  # 4,080 characters: with the echo's words, over 4,096
    with (content / "templates.yaml").open("a", encoding="utf-8") as file:
        file.write(f'- key: long\n  text: "{long.strip()}"\n')
    forum = -1001700000098
    async with chats_emulator() as emulator:
        emulator.add_group(forum, "Менеджеры", forum=True)
        emulator.add_user(MANAGER_ID, "Михаил")
        settings = {"tg_managers_chat_id": forum, "content_dir": content}
        async with running_bot(tmp_path, emulator=emulator, **settings) as harness:
            anna = harness.user(9998, "Анна")
            await anna.onboard()
            await anna.send("/support вопрос")
            card = harness.emulator.chat_messages(forum)[0]
            update = harness.emulator.user_message(
                MANAGER_ID, "/t long", chat_id=forum, thread_id=card.thread_id
            )
            await harness.emulator.wait_processed(update)
            assert anna.last.plain == long.strip()
            echo = harness.emulator.chat_messages(forum)[-1].plain
            assert echo.startswith("📤 Партнёру ушёл шаблон «long»:"), echo[:80]
            assert echo.endswith("…"), echo[-20:]


async def test_a_one_segment_contests_card_in_the_group_says_who_takes_part(
    tmp_path: Path,
) -> None:
    """Tester C: «Флэш-неделя» (bloggers only) was announced to the whole group with no
    word of who takes part: webmasters read it as theirs."""
    from tests.test_journey_community import COMMUNITY

    async with chats_emulator() as emulator:
        emulator.add_group(COMMUNITY, "Партнёры МебельДом")
        group = {"tg_community_chat_id": COMMUNITY}
        async with running_bot(tmp_path, emulator=emulator, **group) as harness:
            manager = harness.manager()
            await manager.send("/start")
            await manager.send("/contest_new")
            for text in ("Флэш-неделя", "Правила.", "20.12.2026 10:00", "27.12.2026",
                         "блогеры", "first_sales: 1000 ₽", "0"):  # fmt: skip
                await manager.send(text)
            await manager.press("✅ Сохранить", (await manager.send("-"))[-1])
            await harness.deliver()
            post = harness.emulator.chat_messages(COMMUNITY)[-1].plain
            assert "Флэш-неделя" in post, post
            assert "Участвуют: Блогер\n" in post, post
