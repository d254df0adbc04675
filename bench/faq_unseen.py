"""FAQ quality on the sets the matcher's authors have never seen (bench/faq_sets/README.md).

`bench.faq_loo` scores its five sets (fintech, travel, marketplace, hosting, demo). This
script scores the unseen sets with the same functions, two ways:

1. "tuned": with the model fitted on those five sets, the configuration the matcher was
   tuned with;
2. "loo":   leave-one-out over the five sets plus the unseen ones scored here, each unseen
   set scored with the model fitted on all the others.

Besides the columns of `bench.faq_loo`, it prints the in-scope questions answered with a
WRONG entry, those that got nothing, and the figures by kind.

Run:   .venv/bin/python -m bench.faq_unseen [--sets edtech,insurance]
`telecom` is a reserve nobody has run anything on: leave it out until it is needed.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter

from bench import faq_loo
from bot.services.faq_matching import Model

DEFAULT_SETS = "edtech,insurance"


def _load(names: tuple[str, ...]) -> list[faq_loo.FaqSet]:
    saved = faq_loo.NEW_SETS
    faq_loo.NEW_SETS = names  # type: ignore[assignment]
    try:
        return [s for s in faq_loo.load_sets() if s.name != "demo"]
    finally:
        faq_loo.NEW_SETS = saved


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
        f"{label:<7}{faq_set.name:<11}{len(faq_set.matcher.entries):>8}{n_in:>5}"
        f"{len(faq_set.questions) - n_in:>5}{figures.right:>8.3f}{figures.silent:>8.3f}"
        f"{figures.one_tap:>9.3f}{figures.offered:>9.3f}{half:>8.3f}{figures.quiet:>7.3f}"
        f"{wrong:>7}{nothing:>9}   {model.answer:.2f}/{model.suggest:.2f}"
    )
    kinds = sorted(figures.by_kind.items())
    print("         right by kind: " + ", ".join(f"{k} {a}/{t}" for k, (a, t) in kinds))
    print("         silent by kind: " + ", ".join(f"{k} {silent[k]}/{total[k]}" for k in total))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default=DEFAULT_SETS, help="comma-separated folders")
    args = parser.parse_args()
    names = tuple(n.strip() for n in args.sets.split(",") if n.strip())
    known = faq_loo.load_sets()
    unseen = _load(names)
    for faq_set in known + unseen:
        faq_set.prepare()
    print(
        f"{'model':<7}{'set':<11}{'entries':>8}{'in':>5}{'out':>5}{'right':>8}{'silent':>8}"
        f"{'one tap':>9}{'offered':>9}{'taught':>8}{'quiet':>7}{'wrong':>7}{'nothing':>9}"
        "   thresholds (answer/options)"
    )
    tuned = faq_loo.fit(known)
    for faq_set in unseen:
        _report("tuned", faq_set, tuned)
    for faq_set in unseen:
        others = [s for s in known + unseen if s is not faq_set]
        _report("loo", faq_set, faq_loo.fit(others))


if __name__ == "__main__":
    main()
