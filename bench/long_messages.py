"""What a long message costs the FAQ, by its shape: before and after session 26.

Tester Q (session 26) sent 4,000 «я» in one message: the onboarding's first question took
11.7 s, as an FAQ question 27 s, 20,000 over a MAX webhook 347 s. Two causes: `fold`'s
look-alike rule looked ahead from every letter of a word (a word of n letters, n² steps),
and the sentence encoders read a wall of letters as a token a character (e5: 405 tokens
of its 400 characters, where 400 characters of words are ~100). Now `fold` reads each word
once, e5 reads at most `TOKENS` tokens and USE `PIECES` pieces.

The same kind of pattern was then found in four more places by trying every pattern of the
code on such texts: a postback's multipart header of spaces (before the secret is checked),
«%» after a run of digits, contact details in a run of letters (`has_contacts`), amounts in
an onboarding answer (`matching_option`).

Side by side in one run: each checkout given (the baseline first) in its own process, on
the demo FAQ: `fold`, `has_contacts`, `matching_option` (the onboarding's experience
question), a multipart postback whose part has a header of that many spaces, and
`FaqMatcher.match`, for texts of each shape at 1,000 / 2,000 / 4,000 characters (and words,
for scale). Reported: seconds per call (the median of
`--repeat`), and each length's ratio to the 1,000 one (linear: 2 and 4).

Run: .venv/bin/python -m bench.long_messages --baseline /path/to/old/checkout [--repeat 3]
(make the old checkout with `git worktree add --detach /tmp/old 863ad15`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHAPES = {
    "я": "я",
    "я1": "я1",
    "яa": "яa",
    "a1": "a1",
    "1": "1",
    "a-": "a-",
    "words": "когда будут выплаты ",
}
LENGTHS = (1000, 2000, 4000)


def measure(repeat: int) -> dict[str, dict[str, float]]:
    """In this process (the checkout on sys.path): seconds per call, by shape and length."""
    from bot.content.loader import load_content
    from bot.form_data import form_fields
    from bot.services.faq_matching import FaqMatcher, lexicon
    from bot.services.faq_text import fold
    from bot.services.faq_wordings import has_contacts
    from bot.services.onboarding import matching_option

    def header(text: str) -> object:
        """A postback's multipart part with a header of the text's length in spaces."""
        head = b"X-Note: a" + b" " * len(text) + b"b"
        body = b'--B\r\nContent-Disposition: form-data; name="a"\r\n' + head
        return form_fields("B", body + b"\r\n\r\nv\r\n--B--\r\n")

    options = ["Только начинаю", "До года", "Больше года"]
    calls = {
        "fold": fold,
        "contacts": has_contacts,
        "option": lambda t: matching_option(t, options),
        "postback": header,
    }

    content = load_content(ROOT / "content")
    matcher = FaqMatcher(content.faq, lexicon(content.lexicon))
    matcher.match("когда выплаты", "")  # the encoders loaded
    out: dict[str, dict[str, float]] = {}
    for name, shape in SHAPES.items():
        for length in LENGTHS:
            text = (shape * length)[:length]
            for what, call in [*calls.items(), ("match", lambda t: matcher.match(t, ""))]:
                if what == "postback" and name != "я":
                    continue  # its text is spaces whatever the shape
                times = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    call(text)
                    times.append(time.perf_counter() - start)
                out.setdefault(f"{what} {name}", {})[str(length)] = statistics.median(times)
    return out


def run_in(tree: Path, repeat: int) -> dict[str, dict[str, float]]:
    """This script's `measure` with `tree`'s code (its folder first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    code = (
        f"import sys, json, runpy; sys.path.insert(0, {str(tree)!r}); "
        f"measure = runpy.run_path({__file__!r})['measure']; "
        f"print(json.dumps(measure({repeat})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="an older checkout to run beside this one")
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    trees = ([arguments.baseline.resolve()] if arguments.baseline else []) + [ROOT]
    results = {str(tree): run_in(tree, arguments.repeat) for tree in trees}
    print(
        "| checkout | call | " + " | ".join(f"{n:,} chars" for n in LENGTHS) + " | ×4,000/1,000 |"
    )
    print("|---|---|" + "---|" * (len(LENGTHS) + 1))
    for tree, rows in results.items():
        for call, by_length in rows.items():
            cells = " | ".join(f"{by_length[str(n)]:.4f} s" for n in LENGTHS)
            ratio = by_length[str(LENGTHS[-1])] / max(by_length[str(LENGTHS[0])], 1e-9)
            print(f"| {Path(tree).name} | {call} | {cells} | {ratio:.1f} |")


if __name__ == "__main__":
    main()
