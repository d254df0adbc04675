"""FAQ quality on held-out sets: FAQs nobody fitted or tuned anything on.

`bench.faq_loo` fits and scores its sets leave-one-out, and its `--write` fits the shipped
model on all of them. The held-out sets listed in bench/faq_heldout/FRESH are in none of
that: this script scores them (by default) with the model fitted on every other set (what
`faq_loo --write` ships). `--sets NAME,...` scores those instead, each left out of the fit
(a set already trained on is then scored as leave-one-out would). Besides the columns of
`bench.faq_loo` it prints the in-scope questions answered with a WRONG entry, those that
got nothing, and the figures by kind.

Run:   .venv/bin/python -m bench.faq_unseen [--dir bench/faq_heldout] [--sets telecom]
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from pathlib import Path

from bench import faq_adapter, faq_loo, faq_scope
from bot.services.faq_matching import Model

HELD_OUT = faq_loo.HELD_OUT


def _report(label: str, faq_set: faq_loo.FaqSet, model: Model) -> None:
    figures = faq_loo.score(faq_set, model)
    half, _ = asyncio.run(faq_loo.taught(faq_set, model))
    n_in = sum(q.id is not None for q in faq_set.questions)
    wrong = nothing = 0
    silent: Counter[str] = Counter()
    total: Counter[str] = Counter()
    ranked_all = faq_loo._rescored(faq_set, model)
    for question, ranked in zip(faq_set.questions, ranked_all, strict=True):
        answer, options = faq_loo.decide(ranked, model)
        if question.id is None:
            total[question.kind] += 1
            silent[question.kind] += answer is None
        else:
            wrong += answer is not None and answer != question.id
            nothing += answer is None and not options
    print(
        f"{label:<8}{faq_set.name:<11}{len(faq_set.matcher.entries):>8}{n_in:>5}"
        f"{len(faq_set.questions) - n_in:>5}{figures.right:>8.3f}{figures.silent:>8.3f}"
        f"{figures.one_tap:>9.3f}{figures.offered:>9.3f}{half:>8.3f}{figures.quiet:>7.3f}"
        f"{wrong:>7}{nothing:>9}   {model.answer:.2f}/{model.suggest:.2f}"
    )
    kinds = sorted(figures.by_kind.items())
    print("         right by kind: " + ", ".join(f"{k} {a}/{t}" for k, (a, t) in kinds))
    print("         silent by kind: " + ", ".join(f"{k} {silent[k]}/{total[k]}" for k in total))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, default=HELD_OUT, help="folder of held-out sets")
    parser.add_argument("--sets", default="", help="comma-separated folders (default: all)")
    args = parser.parse_args()
    names = {n.strip() for n in args.sets.split(",") if n.strip()} or faq_loo.fresh()
    if not names:
        raise SystemExit(
            "no blind set left in bench/faq_heldout/FRESH: write new ones (README there) or "
            "name sets with --sets (each is then left out of the fit)"
        )
    known = [s for s in faq_loo.load_sets() if s.name not in names]
    unseen = [s for s in faq_loo.load_folder(args.dir) if s.name in names]
    faq_adapter.assign(known, unseen)  # the known sets' own leave-one-out, the unseen: all
    faq_scope.assign(known, unseen)
    for faq_set in known + unseen:
        faq_set.prepare()
    print(
        f"{'model':<8}{'set':<11}{'entries':>8}{'in':>5}{'out':>5}{'right':>8}{'silent':>8}"
        f"{'one tap':>9}{'offered':>9}{'taught':>8}{'quiet':>7}{'wrong':>7}{'nothing':>9}"
        "   thresholds (answer/options)"
    )
    shipped = faq_loo.fit(known)
    for faq_set in unseen:
        _report("shipped", faq_set, shipped)


if __name__ == "__main__":
    main()
