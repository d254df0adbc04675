"""The sentence encoder alone (bot/services/faq_semantic.py): one question at a time, as the
matcher asks (`encoder().encode([q], keep=False)`: never from the text cache), over the
benchmark questions (bench/faq_eval.yaml and bench/faq_sets/*/questions.jsonl), in a fresh
process: the first round (every question new to the process: the tokens' rows are
computed as they come) and three more rounds (tokens seen before), wall clock and CPU,
p50/p95 in milliseconds; the same split by question length; and a cProfile of one round
(the ten costliest functions, by own CPU time).

`--against DIR` runs the same measurement, alternately, in fresh processes importing
`bot` from another checkout (a worktree of main: the baseline, in the same run), twice
each, and prints this checkout's figures over the other's first.

Run: .venv/bin/python -m bench.faq_encoder [--against /path/to/main/worktree]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
LONG = 120  # characters: a question this long or longer is "long"


def questions() -> list[str]:
    import yaml

    cases = yaml.safe_load((ROOT / "bench" / "faq_eval.yaml").read_text(encoding="utf-8"))
    texts = [case["q"] for case in cases["in_scope"] + cases["out_of_scope"]]
    for path in sorted((ROOT / "bench" / "faq_sets").glob("*/questions.jsonl")):
        texts += [json.loads(line)["q"] for line in path.read_text().splitlines() if line]
    return texts


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": statistics.median(ordered), "p95": ordered[int(len(ordered) * 0.95) - 1]}


def measure(rounds: int = 4, token_rows: int | None = None) -> dict[str, object]:
    """In this process: the figures as a dict (printed as JSON by --child)."""
    from bot.services import faq_backend, faq_semantic

    if token_rows is not None and hasattr(faq_backend, "TOKEN_ROWS"):
        faq_backend.TOKEN_ROWS = token_rows

    texts = questions()
    started = time.perf_counter()
    model = faq_semantic.encoder()
    assert model is not None, "FAQ_VECTORS is off or the package is missing"
    load = (time.perf_counter() - started) * 1000
    wall: list[list[float]] = []
    cpu: list[list[float]] = []
    for _ in range(rounds):
        wall.append([])
        cpu.append([])
        for text in texts:
            began, used = time.perf_counter(), time.thread_time()
            model.encode([text], keep=False)
            cpu[-1].append((time.thread_time() - used) * 1000)
            wall[-1].append((time.perf_counter() - began) * 1000)
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    for text in texts:
        model.encode([text], keep=False)
    profile.disable()
    report = io.StringIO()
    pstats.Stats(profile, stream=report).sort_stats("tottime").print_stats(10)
    later_wall = [x for round_ in wall[1:] for x in round_]
    later_cpu = [x for round_ in cpu[1:] for x in round_]
    long = [n for n, text in enumerate(texts) if len(text) >= LONG]
    short = [n for n, text in enumerate(texts) if len(text) < LONG]
    return {
        "questions": len(texts),
        "long": len(long),
        "load": load,
        "first": _percentiles(wall[0]),
        "first_cpu": _percentiles(cpu[0]),
        "later": _percentiles(later_wall),
        "later_cpu": _percentiles(later_cpu),
        "short_cpu": _percentiles([r[n] for r in cpu[1:] for n in short]),
        "long_cpu": _percentiles([r[n] for r in cpu[1:] for n in long]),
        "profile": report.getvalue(),
    }


def _child(checkout: Path, token_rows: int | None) -> dict[str, object]:
    env = {**os.environ, "FAQ_VECTORS": "on", "PYTHONPATH": str(checkout)}
    code = (
        f"import sys; sys.path.insert(0, {str(checkout)!r}); import runpy; "
        f"runpy.run_path({str(HERE)!r}, run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "--child"]
        + ([f"--token-rows={token_rows}"] if token_rows else []),
        capture_output=True,
        text=True,
        check=True,
        cwd=checkout,
        env=env,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, help="another checkout: the baseline")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help="print the profiles too")
    parser.add_argument(
        "--token-rows", type=int, help="faq_backend.TOKEN_ROWS for this checkout's runs"
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(token_rows=args.token_rows)))
        return
    checkouts = [ROOT] + ([args.against.resolve()] if args.against else [])
    runs: dict[Path, list[dict[str, object]]] = {checkout: [] for checkout in checkouts}
    for _ in range(2):
        for checkout in checkouts:
            runs[checkout].append(_child(checkout, args.token_rows if checkout == ROOT else None))
    first = runs[ROOT][0]
    print(
        f"the encoder alone, one question at a time: {first['questions']} questions "
        f"({first['long']} of {LONG}+ characters), milliseconds, two fresh processes each"
    )
    rows = (
        ("first round (every token new), wall", "first"),
        ("first round, CPU", "first_cpu"),
        ("rounds 2-4 (tokens seen), wall", "later"),
        ("rounds 2-4, CPU", "later_cpu"),
        ("  short questions, CPU", "short_cpu"),
        ("  long questions, CPU", "long_cpu"),
    )
    for label, key in rows:
        for stat in ("p50", "p95"):
            cells = []
            for checkout in checkouts:
                values = [float(run[key][stat]) for run in runs[checkout]]  # type: ignore[index]
                cells.append(" / ".join(f"{value:6.2f}" for value in values))
            ratio = ""
            if args.against:
                ours = statistics.mean(float(r[key][stat]) for r in runs[ROOT])  # type: ignore[index]
                theirs = statistics.mean(
                    float(r[key][stat])  # type: ignore[index]
                    for r in runs[checkouts[1]]
                )
                ratio = f"  ×{ours / theirs:.2f}"
            print(f"  {label:38} {stat}  {' | '.join(cells)}{ratio}")
    print(
        "  loading the encoder: "
        + " | ".join(" / ".join(f"{float(run['load']):.0f}" for run in runs[c]) for c in checkouts)
    )
    if args.profile:
        for checkout in checkouts:
            print(f"--- {checkout}\n{runs[checkout][-1]['profile']}")


if __name__ == "__main__":
    main()
