"""Findings of the independent review of 2026-12-04 (engineer fixb's part), each
reproduced as a journey or a service test first."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bot.app import create_services
from bot.cli import main
from bot.clock import FakeClock
from bot.db.tables import audit_log
from bot.http import create_http_app, start_http
from bot.services.sales import ConversionIn
from tests.harness import DEMO_CONTENT, Client, Harness, VkClient, make_settings, running_bot
from tests.test_contests import START, category, contest, partner, sale
from tests.test_faq_learning import UNSURE, _content_with, _learned, _pick_and_confirm


@pytest.fixture
async def vk_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, vk=True) as running:
        yield running


async def _one_person_on_tg_and_vk(
    harness: Harness, affiliate: str, tg_id: int, vk_id: int
) -> tuple[Client, Client, VkClient]:
    manager = harness.manager()
    await manager.send("/start")
    harness.vk_manager()
    anna = harness.user(tg_id, "Анна")
    await anna.onboard()
    vera = harness.vk_user(vk_id, "Анна")
    await vera.onboard()
    await anna.send(f"/link {affiliate}")
    await manager.press("✅ Подтвердить")
    await vera.send(f"link {affiliate}")
    await manager.press("✅ Подтвердить")
    return manager, anna, vera


async def _announce(harness: Harness, manager: Client, text: str) -> str:
    """Send an announcement to everyone; the preview's text."""
    await manager.send("/announce")
    await manager.send(text)
    await manager.press("👥 Всем партнёрам")
    await manager.press("Сейчас")
    preview = "\n".join(m.plain for m in manager.messages[-3:])
    await manager.press("✅ Отправить")
    await harness.deliver()
    return preview


# --- review 2 and 20: the chat chosen for automated messages goes away ---


async def test_forgetting_the_chosen_chat_sends_everything_to_the_remaining_ones(
    vk_harness: Harness,
) -> None:
    manager, anna, vera = await _one_person_on_tg_and_vk(vk_harness, "aff-72", 7201, 7202)
    await vera.send("/settings")
    await vera.press("Рассылки: во всех ваших чатах с ботом")
    assert "Рассылки: только во ВКонтакте" in vera.last.button_labels
    # the preview does not count the Telegram chat: the person gets it on VK
    preview = await _announce(vk_harness, manager, "Только во ВКонтакте")
    assert "не получит" not in preview
    assert vera.last.text == "Только во ВКонтакте"

    await vera.send("forget")
    await vera.press("Удалить только в этом чате")  # linked: asked where (session 27)
    assert await vk_harness.services.partners.by_user("vk", 7202) is None
    # the remaining chat gets everything again, and its /settings says so
    await anna.send("/settings")
    assert not [b for b in anna.last.button_labels if b.startswith("Рассылки: только")]
    preview = await _announce(vk_harness, manager, "После забвения")
    assert "не получит" not in preview
    assert anna.last.plain == "После забвения"
    item = ConversionIn("aff-72", "o-72", "approved", Decimal(1000), "RUB", vk_harness.clock.now())
    await vk_harness.services.sales.record(item, "postback")
    await vk_harness.deliver()
    assert any(m.plain.startswith("✅ Продажа подтверждена.") for m in anna.messages[-3:])


async def test_a_blocked_chosen_chat_sends_everything_to_the_other_ones(
    vk_harness: Harness,
) -> None:
    vk = vk_harness.vk
    assert vk is not None
    manager, anna, vera = await _one_person_on_tg_and_vk(vk_harness, "aff-73", 7301, 7302)
    await vera.send("/settings")
    await vera.press("Рассылки: во всех ваших чатах с ботом")
    await vk.wait_processed(vk.allow(7302, allowed=False))  # VK: messages denied
    preview = await _announce(vk_harness, manager, "Бот заблокирован во ВКонтакте")
    assert anna.last.plain == "Бот заблокирован во ВКонтакте"
    assert "не получит" not in preview


# --- review 3: one person's linked chats are one partner for FAQ auto-approval ---


async def _link(harness: Harness, platform: str, user_id: int, affiliate: str) -> None:
    partners = harness.services.partners
    partner = await partners.by_user(platform, user_id)
    assert partner is not None
    await partners.approve_link(await partners.request_link(partner, affiliate))


async def test_one_persons_linked_chats_confirm_a_phrasing_once(tmp_path: Path) -> None:
    content = _content_with(tmp_path, 2)
    async with running_bot(tmp_path, vk=True, content_dir=content) as harness:
        anna, vera, boris = harness.user(7311), harness.vk_user(7312), harness.user(7313)
        for person in (anna, vera, boris):
            await person.onboard()
        await _link(harness, "tg", 7311, "aff-731")
        await _link(harness, "vk", 7312, "aff-731")
        for person in (anna, vera):
            await person.send(UNSURE)
            await person.press("Когда выплаты?")
            await person.press("👍 Помогло")
        (row,) = await _learned(harness)
        assert row.status == "pending"
        pending = await harness.services.faq.learning.pending()
        assert [item.votes for item in pending] == [1]
        await _pick_and_confirm(boris)
        (row,) = await _learned(harness)
        assert row.status == "approved"


# --- review 4: a referral between one person's own chats is not a recruit ---


async def test_inviting_ones_own_other_chat_is_not_a_referral(harness: Harness) -> None:
    anna = harness.user(7401, "Анна")
    await anna.onboard()
    mine = await harness.services.partners.by_user("tg", 7401)
    assert mine is not None
    second = harness.user(7402, "Анна")  # the same person's second account
    await second.send(f"/start ref_{mine.partner_code}")
    await second.onboard()
    await harness.user(7403, "Борис").send(f"/start ref_{mine.partner_code}")
    await _link(harness, "tg", 7401, "aff-74")
    await _link(harness, "tg", 7402, "aff-74")
    assert "Приглашено: 1 партнёр" in (await anna.send("/me"))[-1].plain
    assert "Приглашено: 1 партнёр" in (await second.send("/me"))[-1].plain


async def test_most_referrals_counts_people_never_oneself(tmp_path: Path) -> None:
    built = await create_services(make_settings(tmp_path), FakeClock(START - timedelta(days=10)))
    try:
        boss = await partner(built, 1, "boss")
        boss_vk = await partner(built, 2, "boss", referrer=boss)  # the boss's other chat
        await partner(built, 3, "r1", referrer=boss_vk)
        await partner(built, 4, "r1", referrer=boss)  # the recruit's other chat
        await partner(built, 5, "r2", referrer=boss_vk)
        for number, affiliate in enumerate(("boss", "r1", "r2")):
            await sale(built, affiliate, f"s{number}", 1 + number)
        referrals = category("most_referrals")
        standings = await built.contests.standings(contest(referrals), referrals)
        assert [(e.key, e.value) for e in standings] == [("boss", Decimal(2))]
        assert standings[0].reached_at == START + timedelta(hours=3)
        assert await built.partners.referrals_count(boss) == 2
    finally:
        await built.close()


# --- review 16: /stats counts people; /top names a person by the chat they use ---


async def test_stats_count_people_and_top_shows_the_current_name(vk_harness: Harness) -> None:
    manager, anna, vera = await _one_person_on_tg_and_vk(vk_harness, "aff-76", 7601, 7602)
    boris = vk_harness.user(7603, "Борис")
    await boris.onboard()
    stats = (await manager.send("/stats"))[0].plain
    assert "Партнёров: 2 " in stats  # Анна (Telegram + VK) and Борис
    assert "заходили в этом месяце: 2 " in stats

    item = ConversionIn("aff-76", "o-76", "approved", Decimal(1000), "RUB", vk_harness.clock.now())
    await vk_harness.services.sales.record(item, "postback")
    vk_harness.clock.advance(600)
    await vera.send("/top")  # VK used last: its name speaks for the person
    assert "1. Анна Смирнова — 1" in vera.last.text
    vk_harness.clock.advance(60)
    vk_harness.emulator.users[7601].first_name = "Анна-Мария"  # renamed on Telegram
    await anna.send("/top")
    assert "1. Анна-Мария — 1" in anna.last.plain
    # staying anonymous is the person's choice, from any chat
    await anna.send("/settings")
    await anna.press("Имя в рейтингах: имя")  # → nickname
    await anna.press("Имя в рейтингах: ник")  # → anonymous
    chats = await vk_harness.services.partners.linked_to(["aff-76"])
    assert {chat.public_name for chat in chats["aff-76"]} == {"anonymous"}
    assert "1. Партнёр " in (await vera.send("/top"))[-1].text


# --- review 7: an entry leaving faq.yaml sends its wordings to review at /reload ---


def _without_entry(text: str, entry_id: str) -> str:
    """faq.yaml with the entry `entry_id` cut out."""
    start = text.index(f"- id: {entry_id}\n")
    end = text.find("\n- id: ", start)
    return text[:start] + (text[end + 1 :] if end != -1 else "")


async def test_an_entry_leaving_and_coming_back_at_reload(tmp_path: Path) -> None:
    content = _content_with(tmp_path, 2)
    faq_file = content / "faq.yaml"
    original = faq_file.read_text(encoding="utf-8")
    async with running_bot(tmp_path, content_dir=content) as harness:
        learning = harness.services.faq.learning
        await learning.learn("traffic-allowed", "трафик", "link")
        manager = harness.manager()
        await manager.send("/start")
        faq_file.write_text(_without_entry(original, "traffic-allowed"), encoding="utf-8")
        await manager.send("/reload")
        # at once, before any partner asks anything
        shown = (await manager.send("/faq_learned"))[-1].plain
        assert "«трафик»" in shown
        assert "Этого вопроса больше нет в faq.yaml" in shown
        faq_file.write_text(original, encoding="utf-8")
        await manager.send("/reload")
        assert (
            "Новых формулировок на проверке нет" in (await manager.send("/faq_learned"))[-1].plain
        )
        (row,) = await _learned(harness)
        assert (row.status, row.note) == ("approved", None)


async def test_an_entry_gone_at_start_up_sends_its_wordings_to_review(tmp_path: Path) -> None:
    content = _content_with(tmp_path, 2)
    faq_file = content / "faq.yaml"
    original = faq_file.read_text(encoding="utf-8")
    async with running_bot(tmp_path, content_dir=content) as harness:
        await harness.services.faq.learning.learn("traffic-allowed", "трафик", "link")
    faq_file.write_text(_without_entry(original, "traffic-allowed"), encoding="utf-8")
    async with running_bot(tmp_path, content_dir=content) as harness:
        (row,) = await _learned(harness)
        assert (row.status, row.note) == ("pending", "entry-gone")
    faq_file.write_text(original, encoding="utf-8")
    async with running_bot(tmp_path, content_dir=content) as harness:
        (row,) = await _learned(harness)
        assert (row.status, row.note) == ("approved", None)


# --- review 5 and 15: the FAQ-teaching commands are manager commands like the others ---


async def _refused(harness: Harness) -> list[tuple[str, str]]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.action)
            .where(audit_log.c.allowed.is_(False))
            .order_by(audit_log.c.id)
        )
        return [(row.actor, row.action) for row in rows]


async def test_faq_teaching_by_a_partner_is_refused_and_audited(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    anna = harness.user(7501)
    await anna.onboard()
    await anna.send("/faq_learned")
    assert "Такой команды я не знаю" in "\n".join(m.plain for m in anna.messages[-2:])
    await anna.send("/faq_link subid")
    menu = anna.last
    for data in ("fl:ok:1:", "fl:mv:1:hold-period", "fl:no:1:", "fk:1:subid", "fp:pick:1:"):
        await anna.press_data(menu, data)
    assert await _refused(harness) == [
        ("tg:7501", "faq_learned"),
        ("tg:7501", "faq_link"),
        ("tg:7501", "faq_review"),
        ("tg:7501", "faq_review"),
        ("tg:7501", "faq_review"),
        ("tg:7501", "faq_link"),
        ("tg:7501", "faq_gap"),
    ]
    assert "refused manager command faq_review from tg:7501" in caplog.text


async def test_a_manager_is_told_where_faq_link_works_and_help_lists_it(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    shown = (await manager.send("/help"))[-1].plain
    assert "/faq_learned" in shown
    assert "/faq_link" in shown
    hint = (await manager.send("/faq_link subidd"))[-1].plain
    assert "ответьте на сообщение обращения" in hint
    assert "/faq_link" in hint
    assert await _refused(harness) == []


# --- review 9: faq teach: one wording answers one entry; a typo'd id gets a hint ---


def test_teach_refuses_a_wording_learned_for_another_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taught = tmp_path / "taught.jsonl"
    lines = [
        {"q": "ставка", "id": "commission-rate"},
        {"q": "Ставка", "id": "tier-levels"},
        {"q": "ставка", "id": "commission-rate"},
        {"q": "когда бабки", "id": "payout-datez"},
    ]
    taught.write_text(
        "\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        code = main(["faq", "teach", str(taught), "--content", str(DEMO_CONTENT)])
        out = capsys.readouterr().out
        assert code == 1
        assert f"{taught}:2: already learned for 'commission-rate'" in out
        assert f"{taught}:4: unknown FAQ id 'payout-datez' (closest: payout-dates" in out
        assert "learned 1, already known 1, refused 2" in out
        assert main(["faq", "match", "ставка", "--content", str(DEMO_CONTENT), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["id"] == "commission-rate"


# --- review 18: postback amounts are plain decimals ---


@pytest.mark.parametrize(
    "amount", ["1_000", "１２", "1E+2", "1e3", "+5", "5.", ".5", "1 000", "1.000,5", "0x10", "٣"]
)
async def test_a_postback_amount_that_is_no_plain_decimal_is_refused(
    tmp_path: Path, amount: str
) -> None:
    settings = make_settings(tmp_path, postback_secret="s3cret")
    services = await create_services(settings, FakeClock())
    runner = await start_http(create_http_app(settings, services.sales), "127.0.0.1", 0)
    params = {"partner": "aff-1", "conversion_id": "c-1", "status": "approved"}
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{runner.addresses[0][1]}/postback"
            query = params | {"amount": amount, "secret": "s3cret"}
            async with session.get(url, params=query) as response:
                body = await response.json()
                assert (response.status, body["field"]) == (400, "amount")
                assert body["error"].startswith("amount: ")
            for fine, stored in (("1990,5", "1990.50"), ("12", "12.00"), ("0.99", "0.99")):
                query = params | {"amount": fine, "secret": "s3cret"}
                async with session.get(url, params=query) as response:
                    assert response.status == 200
                assert services.sales.parse(query).amount == Decimal(stored)
    finally:
        await runner.cleanup()
        await services.close()


# --- review 19: the weekly digest reaches partners who arrive within its day ---


async def test_the_digest_reaches_partners_onboarded_after_start_up(harness: Harness) -> None:
    from datetime import UTC, datetime

    from tests.test_journey_schedule import at, texts, tick

    at(harness, datetime(2026, 12, 4, 14, 0, tzinfo=UTC))  # Friday 17:00 Moscow, after noon
    await tick(harness)  # the tick at start-up: nobody yet
    anna = harness.user(7901)
    await anna.onboard()
    mark = len(anna.messages)
    at(harness, datetime(2026, 12, 4, 14, 51, tzinfo=UTC))
    await tick(harness)  # a regular tick, no restart
    assert len([t for t in texts(anna, mark) if t.startswith("🗞")]) == 1
    await tick(harness)
    boris = harness.user(7902)
    await boris.onboard()
    mark_boris = len(boris.messages)
    at(harness, datetime(2026, 12, 4, 14, 52, tzinfo=UTC))
    await tick(harness)
    assert len([t for t in texts(anna, mark) if t.startswith("🗞")]) == 1  # never twice
    assert len([t for t in texts(boris, mark_boris) if t.startswith("🗞")]) == 1
    at(harness, datetime(2026, 12, 5, 9, 1, tzinfo=UTC))  # Saturday noon: past its day
    clara = harness.user(7903)
    await clara.onboard()
    mark_clara = len(clara.messages)
    await tick(harness)
    assert not [t for t in texts(clara, mark_clara) if t.startswith("🗞")]


# --- review 17: /stats's unanswered questions: partners' only, labels on one line, whole words


async def test_stats_gaps_are_partners_questions_on_one_line_cut_at_a_word(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(7701)
    await anna.onboard()
    await anna.send("привет \nещё вопросик")
    giraffe = "зачем жирафу длинная шея и почему зебры полосатые вообще"
    await anna.send(giraffe)
    await manager.send("2")  # a manager trying the bot is no partner's question
    screen = next(m for m in (await manager.send("/stats")) if m.reply_markup is not None)
    assert "Чаще всего без прямого ответа" in screen.plain
    labels = screen.button_labels
    assert len(labels) == 2
    assert all("\n" not in label for label in labels)
    assert "🔗 1. привет ещё вопросик" in labels or "🔗 2. привет ещё вопросик" in labels
    long = next(label for label in labels if "жирафу" in label)
    assert long.endswith("…")
    words = giraffe.split(" ")
    assert (
        long.removeprefix("🔗 1. ").removeprefix("🔗 2. ").removesuffix("…").split()
        == (words[: len(long.split()) - 2])
    )
    listing = screen.plain.split("Чаще всего без прямого ответа")[1]
    assert ". 2 (" not in listing


# --- review 10: `faq learned` does not create a missing SQLite file ---


@pytest.mark.parametrize("export", [True, False])
def test_faq_learned_reads_a_missing_database_as_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], export: bool
) -> None:
    missing = tmp_path / "nonexist.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{missing}")
        patch.setenv("CONTENT_DIR", str(DEMO_CONTENT))
        assert main(["faq", "learned", *(["--export"] if export else [])]) == 0
    assert not missing.exists()
    assert capsys.readouterr().out == ("" if export else "nothing learned yet\n")


async def test_migration_0011_drops_choices_that_cannot_be_honoured(tmp_path: Path) -> None:
    from bot.db.engine import Database
    from bot.db.migrate import upgrade
    from bot.db.tables import partners
    from tests.databases import database_url

    db = Database.from_url(database_url(tmp_path, "m.sqlite", empty=True))
    try:
        await upgrade(db, "0010")
        now = FakeClock().now()
        rows = [  # (user, platform, affiliate, status, unreachable, preferred)
            (1, "tg", "gone", "linked", False, "max"),  # its MAX chat was forgotten
            (2, "tg", "kept", "linked", False, "vk"),
            (2, "vk", "kept", "linked", False, "vk"),  # honoured: stays
            (3, "tg", "blocked", "linked", False, "vk"),
            (3, "vk", "blocked", "linked", True, "vk"),  # the chosen chat blocked the bot
        ]
        async with db.write() as conn:
            for number, (user, platform, affiliate, status, unreachable, preferred) in enumerate(
                rows
            ):
                await conn.execute(
                    partners.insert().values(
                        platform=platform, user_id=user, chat_id=user, first_name="P",
                        language="ru", answers={}, subscriptions={}, partner_code=f"C{number}",
                        affiliate_id=affiliate, affiliate_status=status, unreachable=unreachable,
                        preferred_platform=preferred, created_at=now, last_seen_at=now,
                    )
                )  # fmt: skip
        await upgrade(db, "0011")
        async with db.read() as conn:
            found = {
                (row.affiliate_id, row.platform): row.preferred_platform
                for row in await conn.execute(  # the columns 0011 has (later ones come later)
                    sa.select(
                        partners.c.affiliate_id, partners.c.platform, partners.c.preferred_platform
                    )
                )
            }
        assert found == {
            ("gone", "tg"): None,
            ("kept", "tg"): "vk",
            ("kept", "vk"): "vk",
            ("blocked", "tg"): None,
            ("blocked", "vk"): None,
        }
    finally:
        await db.close()
