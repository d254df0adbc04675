"""Matching cost: p50/p95 per question with 500 FAQ entries and 5,000 learned phrasings,
beside the demo FAQ (31) and a naive baseline (rapidfuzz WRatio against every question
variant, no morphology), the time to build the index (cold: the first in a process, with
the vocabulary and the morphology dictionary; rebuild: what a worker does when the learned
phrasings changed) and the memory the matcher adds to the process (RSS, measured in a
fresh process: after the imports, then after building and using the 500 + 5,000 index).

The sentence vectors (bot/services/faq_semantic.py) on and off side by side, each in a
fresh process of its own (`--vectors on|off`), 500 entries + 5,000 learned: p50/p95 per new
question (the encoder's text cache forgets each question before it is asked again), the
index built cold (the first in a process: vocabulary, read from the cache folder,
morphology, the model mapped from its cache folder, and the content's vectors: encoded at
a first start with this content, "first", read from the cache folder at a restart, "on")
and rebuilt (one more learned wording; the content reloaded), and what the matcher adds
to the process: RSS, and of it anonymous memory and file-backed pages (RssAnon, RssFile
in /proc/self/status; file pages are shared by the workers and the kernel can drop
them). The table above runs with the vectors as set in the environment (on unless
FAQ_VECTORS=off).

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


def rss_kinds() -> dict[str, float]:
    """RSS, RssAnon and RssFile in MB (/proc/self/status)."""
    kinds = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in {"VmRSS", "RssAnon", "RssFile"}:
                kinds[name] = int(value.split()[0]) / 1024
    return kinds


def vectors(mode: str) -> None:
    """In a fresh process with FAQ_VECTORS=on|off: the semantic layer's cost (JSON); mode
    "first": on, as the first start with this content (its vectors not read from disk)."""
    from bot.services import faq_e5, faq_semantic, faq_vector_cache

    read = faq_vector_cache._read
    if mode == "first":  # encoded (and written) as at a first start: nothing read
        setattr(faq_vector_cache, "_read", lambda *_args: None)  # noqa: B010

    demo = load_content(ROOT / "content").faq
    big = demo + synthetic(500 - len(demo))
    learned = learned_phrasings(big, 5000)
    questions = _questions()
    gc.collect()
    before = rss_kinds()
    started = time.perf_counter()
    matcher = FaqMatcher(big).with_learned(learned)
    cold = (time.perf_counter() - started) * 1000
    model = faq_semantic.encoder()
    assert (model is None) == (mode == "off"), "FAQ_VECTORS not applied"
    paired = faq_e5.e5()
    assert (paired is None) == (mode in ("off", "use")), "FAQ_ENCODER not applied"
    setattr(faq_vector_cache, "_read", read)  # noqa: B010
    more = {key: [*value] for key, value in learned.items()}
    more[big[0].id].append("как поменять реквизиты для выплаты на карту")
    started = time.perf_counter()
    matcher.with_learned(more)
    rebuild = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    matcher = FaqMatcher(big).with_learned(learned)
    reload = (time.perf_counter() - started) * 1000
    for question in questions:  # the lemma and typo caches, as a running bot's
        matcher.match(question)

    def new_question(question: str) -> object:
        if model is not None:
            model._lru.pop(question, None)
        return matcher.match(question)

    p50, p95 = percentiles(timed(new_question, questions))
    cpu_p95 = percentiles(CPU)[1]
    encode_p50 = encode_p95 = e5_p50 = e5_p95 = 0.0
    if model is not None:
        one = timed(lambda q: model._backend.encode([q]), questions, rounds=2)
        encode_p50, encode_p95 = percentiles(one)
    if paired is not None:
        one = timed(lambda q: paired.encode([q], question=True, keep=False), questions, rounds=2)
        e5_p50, e5_p95 = percentiles(one)
    gc.collect()
    after = rss_kinds()
    print(
        json.dumps(
            {
                "p50": p50,
                "p95": p95,
                "cpu_p95": cpu_p95,
                "cold": cold,
                "rebuild": rebuild,
                "reload": reload,
                "encode_p50": encode_p50,
                "encode_p95": encode_p95,
                "e5_p50": e5_p50,
                "e5_p95": e5_p95,
                "cache": str(model.cache) if model is not None else None,
                "before": before,
                "after": after,
            }
        )
    )


def vectors_report() -> None:
    from bot.services import faq_semantic

    faq_semantic.encoder()  # the cache folder exists before the timed processes start
    lexicon()  # and the vocabulary's file in it (a first start with a new one: ~0.5 s more)
    runs = {}
    modes = ("off", "use", "first", "on")
    for mode in modes:
        measured = subprocess.run(
            [sys.executable, "-m", "bench.faq_speed", "--vectors", mode],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={
                **os.environ,
                "FAQ_VECTORS": "off" if mode == "off" else "on",
                "FAQ_ENCODER": "use" if mode == "use" else "use+e5",
            },
        )
        runs[mode] = json.loads(measured.stdout.strip().splitlines()[-1])
    print(
        "sentence vectors off | USE alone (FAQ_ENCODER=use), restart | USE + e5, first start "
        "(content encoded) | USE + e5, restart (content's vectors read from disk); 500 "
        f"entries + 5,000 learned, {len(_questions())} new questions × 5 rounds, milliseconds:"
    )
    rows = (
        ("p50 per question", "p50", ".2f"),
        ("p95 per question", "p95", ".2f"),
        ("CPU p95 per question", "cpu_p95", ".2f"),
        ("index built cold (first in a process)", "cold", ".0f"),
        ("rebuilt: one more learned wording", "rebuild", ".0f"),
        ("rebuilt: content reloaded", "reload", ".0f"),
    )
    for label, key, form in rows:
        print(f"  {label:40} " + " | ".join(f"{runs[m][key]:8{form}}" for m in modes))
    print(
        f"  one question through USE alone: p50 {runs['on']['encode_p50']:.2f}, "
        f"p95 {runs['on']['encode_p95']:.2f}; through e5 alone: p50 {runs['on']['e5_p50']:.2f}, "
        f"p95 {runs['on']['e5_p95']:.2f} (cache {runs['on']['cache']})"
    )
    print("  memory the matcher adds, MB (after building and using the index − after imports):")
    for name, label in (("VmRSS", "RSS"), ("RssAnon", "anonymous"), ("RssFile", "file-backed")):
        added = [runs[m]["after"][name] - runs[m]["before"][name] for m in modes]
        print(f"  {label:40} " + " | ".join(f"{a:8.0f}" for a in added))


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
    if "--vectors" in sys.argv:
        vectors(sys.argv[sys.argv.index("--vectors") + 1])
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
    vectors_report()


if __name__ == "__main__":
    main()
