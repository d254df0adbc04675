"""Matching cost: p50/p95 per question with 500 FAQ entries and 5,000 learned phrasings,
beside the demo FAQ (31) and a naive baseline (rapidfuzz WRatio against every question
variant, no morphology), the time to build the index (cold: the first in a process, with
the vocabulary and the morphology dictionary; rebuild: what a worker does when the learned
phrasings changed) and the memory the matcher adds to the process (RSS, measured in a
fresh process: after the imports, then after building and using the 500 + 5,000 index).

The 500 entries are the demo entries plus synthetic ones built from a pool of Russian
partner-program words, so the vocabulary and the index are realistically large; the
learned phrasings are synthetic questions of the same kind spread over the entries.

Run: .venv/bin/python -m bench.faq_speed
"""

from __future__ import annotations

import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.content.loader import load_content
from bot.content.models import FaqEntry
from bot.services.faq_matching import FaqMatcher, lemma, lexicon

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


CPU: list[float] = []  # the CPU time of the last timed() run, per question


def timed(match: object, questions: list[str], rounds: int = 5) -> list[float]:
    """Wall-clock milliseconds per question; CPU milliseconds go to CPU (on a shared
    machine the wall clock also counts other processes' turns)."""
    samples = []
    CPU.clear()
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            cpu = time.thread_time()
            match(question)  # type: ignore[operator]
            CPU.append((time.thread_time() - cpu) * 1000)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def learned_phrasings(entries: list[FaqEntry], count: int, seed: int = 11) -> dict[str, list[str]]:
    rng = random.Random(seed)
    learned: dict[str, list[str]] = {}
    for _ in range(count):
        entry = rng.choice(entries)
        words = " ".join(rng.sample(WORDS, rng.randint(2, 5)))
        learned.setdefault(entry.id, []).append(f"{rng.choice(STARTS).lower()} {words}")
    return learned


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory() -> None:
    """In a fresh process: RSS after the imports, after building and using the index."""
    demo = load_content(ROOT / "content").faq
    big = demo + synthetic(500 - len(demo))
    learned = learned_phrasings(big, 5000)
    questions = _questions()
    gc.collect()
    before = rss_mb()
    lemma("проверка")  # the morphology dictionary (the old matcher loaded it too)
    gc.collect()
    morphology = rss_mb()
    lexicon()
    gc.collect()
    vocabulary = rss_mb()
    matcher = FaqMatcher(big).with_learned(learned)
    for question in questions:
        matcher.match(question)
    gc.collect()
    print(
        json.dumps(
            {
                "before": before,
                "morphology": morphology,
                "vocabulary": vocabulary,
                "after": rss_mb(),
            }
        )
    )


def _questions() -> list[str]:
    cases = yaml.safe_load((ROOT / "bench" / "faq_eval.yaml").read_text(encoding="utf-8"))
    questions = [case["q"] for case in cases["in_scope"] + cases["out_of_scope"]]
    for name in ("fintech", "travel", "marketplace", "hosting"):
        path = ROOT / "bench" / "faq_sets" / name / "questions.jsonl"
        questions += [json.loads(line)["q"] for line in path.read_text().splitlines() if line]
    return questions


def main() -> None:
    if "--memory" in sys.argv:
        memory()
        return
    started = time.perf_counter()
    demo = load_content(ROOT / "content").faq
    big = demo + synthetic(500 - len(demo))
    learned = learned_phrasings(big, 5000)
    questions = _questions()
    first = FaqMatcher(demo)
    cold = (time.perf_counter() - started) * 1000

    rows = []
    for label, entries, phrasings in (
        (f"demo FAQ ({len(demo)} entries)", demo, {}),
        ("500 entries", big, {}),
        ("500 entries + 5,000 learned", big, learned),
    ):
        started = time.perf_counter()
        matcher = FaqMatcher(entries)
        if phrasings:
            base = time.perf_counter()
            matcher = matcher.with_learned(phrasings)
            rebuild = f", learned rebuilt in {(time.perf_counter() - base) * 1000:.0f} ms"
        else:
            rebuild = ""
        build = (time.perf_counter() - started) * 1000
        # the first pass fills the lemma and typo caches, as a running bot's would be
        _cold_p50, cold_p95 = percentiles(timed(matcher.match, questions, rounds=1))
        p50, p95 = percentiles(timed(matcher.match, questions))
        cpu_p95 = percentiles(CPU)[1]
        rows.append(
            (
                f"partnerbot, {label}",
                p50,
                p95,
                f"CPU p95 {cpu_p95:.2f}, cold p95 {cold_p95:.2f} ms, "
                f"index built in {build:.0f} ms{rebuild}",
            )
        )

        variants = [v for entry in entries for v in (entry.question, *entry.alt)]

        def naive(question: str, variants: list[str] = variants) -> object:
            return process.extractOne(question, variants, scorer=fuzz.WRatio)

        p50, p95 = percentiles(timed(naive, questions))
        rows.append((f"naive WRatio, {label}", p50, p95, f"CPU p95 {percentiles(CPU)[1]:.2f}"))

    del first
    print(f"{len(questions)} questions × 5 rounds, milliseconds per question")
    for label, p50, p95, note in rows:
        print(f"{label:38} p50 {p50:6.3f}  p95 {p95:6.3f}  {note}")
    print(f"first index in a process (vocabulary, morphology, demo FAQ): {cold:.0f} ms")
    measured = subprocess.run(
        [sys.executable, "-m", "bench.faq_speed", "--memory"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rss = json.loads(measured.stdout.strip().splitlines()[-1])
    print(
        f"memory: RSS {rss['before']:.0f} MB after the imports; the morphology dictionary "
        f"+{rss['morphology'] - rss['before']:.0f} MB, the vocabulary "
        f"+{rss['vocabulary'] - rss['morphology']:.0f} MB, the 500 + 5,000 index built and "
        f"used +{rss['after'] - rss['vocabulary']:.0f} MB: the matcher adds "
        f"{rss['after'] - rss['before']:.0f} MB in all"
    )


if __name__ == "__main__":
    main()
