"""How long the FAQ gaps of /stats take: `FaqService.gaps()` over many distinct unanswered
questions (SQLite), and what re-reading the listed gaps' wordings with the matcher costs.

    .venv/bin/python -m bench.faq_gaps [--rows 4000] [--runs 5]

Run the same command in a checkout of the base commit for the baseline (the re-check line
is then absent)."""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import timedelta

from bot.clock import FakeClock
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.tables import faq_questions
from bot.services import faq_gaps as faq_module
from bot.services.faq import FaqService
from tests.harness import DEMO_CONTENT

WORDS = [
    "доставка",
    "казахстан",
    "погода",
    "корпоратив",
    "скидка",
    "диван",
    "кресло",
    "шкаф",
    "цвет",
    "размер",
    "гарантия",
    "возврат",
    "курьер",
    "сборка",
    "ткань",
    "матрас",
    "подушка",
    "кухня",
    "стол",
    "стул",
    "лампа",
    "ковер",
    "зеркало",
    "склад",
    "регион",
    "москва",
    "сибирь",
    "пятница",
    "суббота",
    "отпуск",
    "офис",
    "телефон",
    "почта",
    "адрес",
]


def _question(rng: random.Random) -> str:
    return "а " + " ".join(rng.sample(WORDS, rng.randint(3, 6))) + "?"


async def _gaps(rows_wanted: int, runs: int) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.from_url(f"sqlite+aiosqlite:///{tmp}/gaps.db")
        await upgrade(db)
        clock = FakeClock()
        faq = FaqService(db, ContentStore(DEMO_CONTENT), clock)
        rows: list[dict[str, object]] = []
        seen: set[str] = set()
        while len(rows) < rows_wanted:
            question = _question(rng)
            if question in seen:
                continue
            seen.add(question)
            for _ in range(1 + (len(rows) % 7 == 0) * rng.randint(1, 5)):
                rows.append(
                    {
                        "partner_id": None,
                        "question": question,
                        "entry_id": None,
                        "score": 0.1,
                        "outcome": "missed",
                        "feedback": None,
                        "created_at": clock.now() - timedelta(days=1),
                    }
                )
        async with db.write() as conn:
            await conn.execute(faq_questions.insert(), rows)
        await faq.gaps(limit=5)  # warm: the index, the morphology caches
        for limit in (5, 10_000):  # /stats and the digest; a 🔗 press (gap_of)
            took = []
            for _ in range(runs):
                start = time.perf_counter()
                await faq.gaps(limit=limit)
                took.append(time.perf_counter() - start)
            print(
                f"gaps(limit={limit}), {len(seen)} distinct questions ({len(rows)} rows): "
                f"median {statistics.median(took) * 1000:.0f} ms, min {min(took) * 1000:.0f} ms"
            )
        await db.close()


def _recheck(runs: int) -> None:
    budget = getattr(faq_module, "GAP_RECHECK", None)
    if budget is None:
        return
    rng = random.Random(3)
    matcher = ContentStore(DEMO_CONTENT).live.matcher
    for _ in range(budget):
        matcher.match(_question(rng))  # warm
    questions = [_question(rng) for _ in range(budget)]
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        for question in questions:
            matcher.match(question)
        took.append(time.perf_counter() - start)
    print(
        f"re-reading {budget} wordings: median {statistics.median(took) * 1000:.1f} ms, "
        f"min {min(took) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(_gaps(args.rows, args.runs))
    _recheck(args.runs)


if __name__ == "__main__":
    main()
