"""What the FAQ's matching costs everyone else: the event loop's lag while partners ask.

A bot is one event loop: whatever a handler computes without awaiting holds up every other
update, button and delivery of that worker. The FAQ's match (words, then USE's and e5's
sentence vectors: ~20 ms a question, a few hundred for a long one) ran on the loop until
session 25; now it runs in the FAQ's own thread (`bot/services/faq_thread.py`).

Here, side by side in one process: the same questions (the evaluation sets' long ones and
as many short ones, against the demo FAQ) asked one after another by a "partner" task,
while a "ticker" task asks the loop to wake it every 5 ms and records how late it woke
(the lag another update would wait). Baseline: the match called on the loop, as before;
now: `beside_loop(matcher.match, …)`. Reported: the ticker's lag p50 / p95 / max, and the
questions' time per question (the thread adds a hand-over, the work is the same).

`--reload`: the same ticker while the content is loaded (`/reload`: read, validate, build
the FAQ's index, its new texts encoded) on the loop and beside it, each round a copy of
the demo folder whose FAQ
texts are all new (a word added to each: nothing from the encoders' caches, as a new FAQ),
then the same copy again (warm: what a reload that changed nothing costs).

Run: .venv/bin/python -m bench.faq_loop_lag [--rounds 3] [--reload]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import yaml

from bot.content.loader import load_content
from bot.content.store import ContentStore
from bot.services.faq_matching import FaqMatcher, lexicon
from bot.services.faq_thread import beside_loop

ROOT = Path(__file__).resolve().parent.parent
TICK = 0.005


def questions(count: int = 60) -> list[str]:
    long_ones: list[str] = []
    short_ones: list[str] = []
    for path in sorted((ROOT / "bench" / "faq_sets").glob("*/questions.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line:
                case = json.loads(line)
                (long_ones if case.get("kind") == "long" else short_ones).append(case["q"])
    half = count // 2
    return long_ones[:half] + short_ones[:: max(1, len(short_ones) // half)][:half]


async def run(ask: Callable[[str], object], asked: list[str]) -> tuple[list[float], float]:
    """The ticker's lags (ms) while `asked` is asked; the time per question (ms)."""
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            start = time.perf_counter()
            await asyncio.sleep(TICK)
            lags.append((time.perf_counter() - start - TICK) * 1000)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(TICK * 2)
    start = time.perf_counter()
    for question in asked:
        result = ask(question)
        if asyncio.iscoroutine(result):
            await result
        else:
            await asyncio.sleep(0)  # a handler awaits something between questions
    per_question = (time.perf_counter() - start) * 1000 / len(asked)
    done.set()
    await ticking
    return lags, per_question


def _summary(lags: list[float]) -> tuple[float, float, float]:
    ordered = sorted(lags)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return statistics.median(ordered), p95, ordered[-1]


def _new_faq(folder: Path, marker: str) -> None:
    """The demo content in `folder`, every FAQ text with a word of its own added."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(ROOT / "content", folder)
    if not marker:
        return
    path = folder / "faq.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = data["faq"] if isinstance(data, dict) else data
    for entry in entries:
        entry["question"] = f"{entry['question']} {marker}"
        entry["alt"] = [f"{alt} {marker}" for alt in entry.get("alt", [])]
        entry["answer"] = f"{entry['answer']} {marker}"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


async def reloads(rounds: int) -> None:
    results: dict[str, list[tuple[list[float], float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(rounds):
            for way in ("on the loop", "beside"):
                folder = Path(tmp) / f"{way[:2]}{number}"
                _new_faq(folder, "")  # the store starts on the demo's texts
                store = ContentStore(folder)
                # then they all change (a word never seen: not in the cache folder either)
                _new_faq(folder, f"вариант{uuid.uuid4().hex[:8]}")
                for state in ("new FAQ", "warm"):

                    def load(_: str, store: ContentStore = store) -> object:
                        return store.load()  # the index built, its new texts encoded

                    async def load_beside(_: str, store: ContentStore = store) -> None:
                        await beside_loop(load, "")

                    ask = load if way == "on the loop" else load_beside
                    results.setdefault(f"{state}, {way}", []).append(await run(ask, ["x"]))
    print(f"content loads (the demo folder), {rounds} rounds")
    print(f"{'':<24}{'lag p50':>9}{'p95':>9}{'max':>9}{'ms a load':>11}")
    for name in sorted(results):
        lags = [lag for round_lags, _ in results[name] for lag in round_lags]
        p50, p95, top = _summary(lags)
        per = statistics.median(per for _, per in results[name])
        print(f"{name:<24}{p50:>9.2f}{p95:>9.2f}{top:>9.2f}{per:>11.0f}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()
    if args.reload:
        await reloads(args.rounds)
        return
    content = load_content(ROOT / "content")
    matcher = FaqMatcher(content.faq, lexicon(content.lexicon))
    asked = questions()
    for question in asked[:5]:  # the encoders loaded, the content's vectors read
        matcher.match(question)

    async def in_thread(question: str) -> None:
        await beside_loop(matcher.match, question)

    results: dict[str, list[tuple[list[float], float]]] = {"on the loop": [], "beside": []}
    for _ in range(args.rounds):  # interleaved: the machine is shared
        results["on the loop"].append(await run(matcher.match, asked))
        results["beside"].append(await run(in_thread, asked))
    print(f"{len(asked)} questions a round ({len(asked) // 2} long), {args.rounds} rounds")
    print(f"{'':<14}{'lag p50':>9}{'p95':>9}{'max':>9}{'ms/question':>13}")
    for name, rounds in results.items():
        lags = [lag for round_lags, _ in rounds for lag in round_lags]
        p50, p95, top = _summary(lags)
        per = statistics.median(per for _, per in rounds)
        print(f"{name:<14}{p50:>9.2f}{p95:>9.2f}{top:>9.2f}{per:>13.2f}")


if __name__ == "__main__":
    asyncio.run(main())
