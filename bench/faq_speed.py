"""Matching cost: p50/p95 per question with 500 FAQ entries, beside the demo FAQ (31) and a
naive baseline (rapidfuzz WRatio against every question variant, no morphology).

The 500 entries are the demo entries plus synthetic ones built from a pool of Russian
partner-program words, so the vocabulary and the index are realistically large.

Run: .venv/bin/python -m bench.faq_speed
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.content.loader import load_content
from bot.content.models import FaqEntry
from bot.services.faq_matching import FaqMatcher

ROOT = Path(__file__).resolve().parent.parent
WORDS = (
    "выплата",
    "ссылка",
    "трафик",
    "баннер",
    "лендинг",
    "конкурс",
    "приз",
    "уровень",
    "договор",
    "налог",
    "кабинет",
    "пароль",
    "реквизиты",
    "карта",
    "счет",
    "кука",
    "холд",
    "заказ",
    "продажа",
    "покупатель",
    "возврат",
    "доставка",
    "сборка",
    "диван",
    "шкаф",
    "кровать",
    "кухня",
    "матрас",
    "комод",
    "кресло",
    "стол",
    "стул",
    "скидка",
    "промокод",
    "купон",
    "фид",
    "каталог",
    "товар",
    "цена",
    "отчет",
    "статистика",
    "клик",
    "конверсия",
    "постбек",
    "трекер",
    "метка",
    "источник",
    "реклама",
    "контекст",
    "таргет",
    "рассылка",
    "письмо",
    "блог",
    "канал",
    "видео",
    "обзор",
    "статья",
    "подборка",
    "сайт",
    "домен",
    "партнер",
    "реферал",
    "бонус",
    "ставка",
    "комиссия",
    "процент",
    "порог",
    "минимум",
    "вывод",
    "перевод",
    "банк",
    "документ",
    "акт",
    "самозанятый",
    "ип",
    "ооо",
    "оферта",
    "подпись",
    "аккаунт",
    "профиль",
    "настройка",
    "уведомление",
)
STARTS = ["Как", "Когда", "Где", "Почему", "Можно ли", "Сколько", "Что делать если", "Зачем"]


def synthetic(count: int, seed: int = 7) -> list[FaqEntry]:
    rng = random.Random(seed)
    entries = []
    for number in range(count):

        def phrase() -> str:
            return f"{rng.choice(STARTS)} {' '.join(rng.sample(WORDS, rng.randint(2, 4)))}?"

        entries.append(
            FaqEntry(
                id=f"synthetic-{number}",
                topic=f"Тема {number % 12}",
                question=phrase(),
                answer="…",
                alt=[phrase(), phrase(), phrase()],
                keywords=rng.sample(WORDS, 3),
            )
        )
    return entries


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def timed(match: object, questions: list[str], rounds: int = 5) -> list[float]:
    samples = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            match(question)  # type: ignore[operator]
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    demo = load_content(ROOT / "content").faq
    big = demo + synthetic(500 - len(demo))
    cases = yaml.safe_load((ROOT / "bench" / "faq_eval.yaml").read_text(encoding="utf-8"))
    questions = [case["q"] for case in cases["in_scope"] + cases["out_of_scope"]]

    rows = []
    for label, entries in ((f"demo FAQ ({len(demo)} entries)", demo), ("500 entries", big)):
        started = time.perf_counter()
        matcher = FaqMatcher(entries)
        build = (time.perf_counter() - started) * 1000
        # the first pass fills the lemma and typo caches, as a running bot's would be
        _cold_p50, cold_p95 = percentiles(timed(matcher.match, questions, rounds=1))
        p50, p95 = percentiles(timed(matcher.match, questions))
        rows.append(
            (
                f"partnerbot, {label}",
                p50,
                p95,
                f"cold p95 {cold_p95:.2f} ms, index built in {build:.0f} ms",
            )
        )

        variants = [v for entry in entries for v in (entry.question, *entry.alt)]

        def naive(question: str, variants: list[str] = variants) -> object:
            return process.extractOne(question, variants, scorer=fuzz.WRatio)

        p50, p95 = percentiles(timed(naive, questions))
        rows.append((f"naive WRatio, {label}", p50, p95, ""))

    print(f"{len(questions)} questions × 5 rounds, milliseconds per question")
    for label, p50, p95, note in rows:
        print(f"{label:38} p50 {p50:6.3f}  p95 {p95:6.3f}  {note}")


if __name__ == "__main__":
    main()
