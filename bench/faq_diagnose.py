"""Where the FAQ's one-tap misses come from, leave-one-out (issue 13, session 7).

For each set of `bench.faq_loo` (scored with the model fitted on the others, as there):

- top1 / top3 / pool: the right entry is first, among the first three, among the
  candidates the model scores (`CANDIDATES` of the entries that share a word with the
  question, by a first rough score);
- pool30: among the first 30 of those (how much a larger pool could find);
- one-tap misses (in-scope questions neither answered right nor offered the right entry),
  by cause: `none` no candidate at all; `pool` the right entry not among the candidates;
  `rank` among them but ranked 4th or lower (a ranking problem); `wrong` in the
  top 3 but another entry answered confidently (a decision problem); `low` in the top 3
  but below the options threshold.

Run:   .venv/bin/python -m bench.faq_diagnose
"""

from __future__ import annotations

from collections import Counter

from bench import faq_loo
from bot.services import faq_matching


def pool_recall(faq_set: faq_loo.FaqSet, size: int) -> float:
    """Share of in-scope questions whose right entry is in a candidate pool of `size`."""
    saved = faq_matching.CANDIDATES
    faq_matching.CANDIDATES = size
    try:
        found = total = 0
        for question in faq_set.questions:
            if question.id is None:
                continue
            total += 1
            ranked = faq_set.matcher.rank(question.q, limit=size)
            found += question.id in [c.entry_id for c in ranked]
        return found / max(total, 1)
    finally:
        faq_matching.CANDIDATES = saved


def main() -> None:
    sets = faq_loo.load_sets()
    for faq_set in sets:
        faq_set.prepare()
    print(
        f"{'left out':<12}{'in':>5}{'top1':>7}{'top3':>7}{'pool':>7}{'pool30':>8}"
        f"{'one tap':>9}   misses: none pool rank wrong low  (wrong: right entry 2nd / 3rd)"
    )
    totals: Counter[str] = Counter()
    for faq_set in sets:
        model = faq_loo.fit([s for s in sets if s is not faq_set])
        causes: Counter[str] = Counter()
        first = three = eight = n_in = taps = 0
        for question, ranked in zip(
            faq_set.questions, faq_loo._rescored(faq_set, model), strict=True
        ):
            if question.id is None:
                continue
            n_in += 1
            ids = [c.entry_id for c in ranked]
            first += ids[:1] == [question.id]
            three += question.id in ids[:3]
            eight += question.id in ids
            answer, options = faq_loo.decide(ranked, model)
            if answer == question.id or question.id in options:
                taps += 1
                continue
            if not ranked:
                causes["none"] += 1
            elif question.id not in ids:
                causes["pool"] += 1
            elif question.id not in ids[:3]:
                causes["rank"] += 1
            elif answer is not None:
                causes["wrong"] += 1
                causes[f"wrong{ids.index(question.id) + 1}"] += 1
            else:
                causes["low"] += 1
        totals.update(causes)
        print(
            f"{faq_set.name:<12}{n_in:>5}{first / n_in:>7.3f}{three / n_in:>7.3f}"
            f"{eight / n_in:>7.3f}{pool_recall(faq_set, 30):>8.3f}{taps / n_in:>9.3f}"
            f"   {causes['none']:>12}{causes['pool']:>5}{causes['rank']:>5}"
            f"{causes['wrong']:>6}{causes['low']:>4}  ({causes['wrong2']} / {causes['wrong3']})"
        )
    print(
        "all: " + ", ".join(f"{k} {totals[k]}" for k in ("none", "pool", "rank", "wrong", "low"))
    )


if __name__ == "__main__":
    main()
