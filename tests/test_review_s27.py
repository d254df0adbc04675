"""Session 27's independent testers' findings (S: an operator on VK, CSV and content; T:
partners' trust and privacy), each a test seen failing before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.vk.emulator import CHAT_PEER_BASE, VkApiEmulator
from tests.harness import DEMO_CONTENT, running_bot
from tests.test_journey_notices import linked

VK_MANAGERS_CHAT = CHAT_PEER_BASE + 27


async def test_tickets_answered_in_a_vk_chat_name_no_topic(tmp_path: Path) -> None:
    """VK has no forum topics: a manager told to answer «в теме обращения» in a VK
    managers' chat looked for what is not there (session 27's tester S)."""
    vk = VkApiEmulator()
    vk.add_chat(VK_MANAGERS_CHAT, "Менеджеры")
    try:
        async with running_bot(
            tmp_path, vk=vk, vk_managers_peer_id=VK_MANAGERS_CHAT, managers="tg:900001,vk:1461"
        ) as harness:
            vera = harness.vk_user(1462, "Вера")
            await vera.onboard()
            await vera.send("/support")
            await vera.send("Не пришла выплата")
            boss = harness.vk_user(1461)
            await boss.send("/start")
            said = (await boss.send("/tickets"))[-1].text
            assert "Отвечают на обращения в чате менеджеров (ВКонтакте)" in said, said
            assert "ответом на сообщение обращения" in said, said
            assert "теме" not in said, said
    finally:
        await vk.stop()


async def test_a_csv_import_names_the_affiliate_ids_no_partner_is_linked_to(
    tmp_path: Path,
) -> None:
    """Sales of an id nobody has linked yet are kept (they count once a partner links it),
    but a typo in the id column («aff-1O» for «aff-10») went unnoticed: the import now
    names such ids, with their rows (tester S)."""
    sheet = tmp_path / "sales.csv"
    rows = ["partner,conversion_id,status,amount"]
    rows += [f"aff-10,c{n},approved,100" for n in range(3)]
    rows += ["aff-1O,t1,approved,100", "nobody,n1,approved,5", "nobody,n2,approved,5"]
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    async with running_bot(tmp_path) as harness:
        await linked(harness, 2701, "Анна", "aff-10")
        report = await harness.services.sales.import_csv(sheet)
    assert report.inserted == 6
    assert report.unlinked == {"nobody": 2, "aff-1O": 1}
    assert list(report.unlinked) == ["nobody", "aff-1O"]  # the most rows first


def test_the_import_command_says_which_ids_no_partner_is_linked_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/csv.db")
    monkeypatch.setenv("CONTENT_DIR", str(DEMO_CONTENT))
    sheet = tmp_path / "sales.csv"
    sheet.write_text(
        "partner,conversion_id,status,amount\naff-1O,t1,approved,100\nnobody,t2,approved,1\n",
        encoding="utf-8",
    )
    assert main(["sales", "import", str(sheet)]) == 0  # kept: not an error
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "inserted 2, updated 0, unchanged 0, rejected 0",
        "no partner is linked to 2 affiliate ids yet (their sales count once one is): "
        "aff-1O (1 row), nobody (1 row)",
    ]
