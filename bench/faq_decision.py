"""The FAQ's answer decision, leave-one-out: where the right entry is ranked first but not
answered, and where an out-of-scope question is answered or close to it (issue 13,
session 9).

For each set of `bench.faq_loo` (scored with the model fitted on the others, as there,
without the slow "taught" column): right / silent / one tap, and with `--verbose` the
in-scope questions whose right entry is first but under the answer threshold ("unsure"),
the out-of-scope ones answered ("ANSWERED") or within 0.25 of it ("close"), each with
the first candidate's top-model features.

Run:   .venv/bin/python -m bench.faq_decision [--verbose]
"""

from __future__ import annotations

import argparse

from bench import faq_loo
from bot.services.faq_model import TOP_FEATURES


def report(sets: list[faq_loo.FaqSet], verbose: bool) -> dict[str, faq_loo.Figures]:
    out = {}
    for faq_set in sets:
        model = faq_loo.fit([s for s in sets if s is not faq_set])
        figures = faq_loo.score(faq_set, model)
        out[faq_set.name] = figures
        print(
            f"{faq_set.name:<12} right {figures.right:.3f} silent {figures.silent:.3f} "
            f"one tap {figures.one_tap:.3f}   answer {model.answer:.2f}"
        )
        if not verbose:
            continue
        rescored = faq_loo._rescored(faq_set, model)
        for question, ranked in zip(faq_set.questions, rescored, strict=True):
            if not ranked:
                continue
            confidence = model.confidence(ranked)
            answered = confidence >= model.answer
            if question.id is not None:
                if answered or ranked[0].entry_id != question.id:
                    continue
                label = "unsure"
            elif answered:
                label = "ANSWERED"
            elif confidence >= model.answer - 0.25:
                label = "close"
            else:
                continue
            values = faq_loo.top_features(ranked)
            shown = " ".join(
                f"{name[:8]}={value:.2f}"
                for name, value in zip(TOP_FEATURES, values, strict=False)
                if not name.startswith("learned_")
            )
            print(
                f"  {label:<8} {confidence:.2f} {question.kind:<12} {question.q!r} → "
                f"{ranked[0].entry_id}\n           {shown}"
            )
    worst_right = min(f.right for name, f in out.items() if name != "demo")
    worst_silent = min(f.silent for name, f in out.items() if name != "demo")
    mean_right = sum(f.right for name, f in out.items() if name != "demo") / (len(out) - 1)
    print(
        f"worst right {worst_right:.3f}, worst silent {worst_silent:.3f}, "
        f"mean right {mean_right:.3f}"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    sets = faq_loo.load_sets()
    for faq_set in sets:
        faq_set.prepare()
    report(sets, args.verbose)


if __name__ == "__main__":
    main()
