"""FAQ quality on the demo evaluation set: top-1 accuracy in scope, rejection out of scope,
with the shipped model (bot/faq_data/faq_model.json, fitted on all five sets: the
leave-one-out figures are bench/faq_loo.py's), with and without the demo's `keywords`.

Run: .venv/bin/python -m bench.faq_quality [--content content] [--verbose]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from bot.content.loader import load_content
from bot.services.faq_matching import FaqMatcher, lexicon

EVAL = Path(__file__).with_name("faq_eval.yaml")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    cases = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    for keywords in (True, False):
        print(f"--- {'with' if keywords else 'without'} the entries' keywords")
        content = load_content(args.content)
        report(
            FaqMatcher(content.faq, lexicon(content.lexicon), use_keywords=keywords),
            cases,
            args.verbose,
        )


def report(matcher: FaqMatcher, cases: dict[str, list[dict[str, str]]], verbose: bool) -> None:

    right = suggested = 0
    for case in cases["in_scope"]:
        match = matcher.match(case["q"])
        if match.outcome == "answer" and match.entry_id == case["expect"]:
            right += 1
        else:
            in_options = any(c.entry_id == case["expect"] for c in match.suggestions)
            suggested += in_options
            if verbose:
                top = matcher.rank(case["q"])[:3]
                print(
                    f"IN  {case['q']!r} want {case['expect']} got {match.outcome} "
                    f"{match.entry_id} {match.score:.2f} {[(c.entry_id, c.score) for c in top]}"
                )
    silent = 0
    for case in cases["out_of_scope"]:
        match = matcher.match(case["q"])
        if match.outcome != "answer":
            silent += 1
        elif verbose:
            print(f"OUT {case['q']!r} answered {match.entry_id} {match.score:.2f}")
    total_in, total_out = len(cases["in_scope"]), len(cases["out_of_scope"])
    print(
        f"in-scope top-1 accuracy: {right / total_in:.3f} ({right}/{total_in}); "
        f"of the misses, {suggested} had the right entry among 'did you mean' options"
    )
    print(f"out-of-scope left unanswered: {silent / total_out:.3f} ({silent}/{total_out})")


if __name__ == "__main__":
    main()
