"""Packet build time for hostile or absurd task texts, against an ordinary task in the same run.

    python benchmarks/adversarial_tasks.py --repo /path/to/checkout [--budget 4000]

Task text is untrusted (an issue body, a pasted log): whatever it holds, a packet must come back
in bounded time, within budget. Prints one row per task kind: its size, seconds to build the
packet, items and tokens used. The first row is an ordinary issue-sized task for scale.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from repointel import Repo

ORDINARY = ("Rational('0.5', '100') gives 1/100100 instead of 1/200. Rational(0.5, 100) "
            "gives 1/200 as expected.\n\n```python\n>>> from sympy import Rational\n"
            ">>> Rational('0.5', '100')\n1/100100\n```\n")


def tasks(seed: int = 1) -> dict[str, str]:
    """Task kinds by name: each stresses one part of task analysis or packing."""
    rng = random.Random(seed)
    words = [w for w in Path(random.__file__).read_text().split() if w.isidentifier()]
    return {
        "ordinary issue": ORDINARY,
        "2 MB of prose": " ".join(rng.choice(words) for _ in range(300_000)),
        "200 KB of binary junk": bytes(rng.randrange(256) for _ in range(200_000)).decode("latin-1"),
        "10,000 stack frames": "Traceback (most recent call last):\n" + "\n".join(
            f'  File "pkg/mod{i}.py", line {i}, in func{i}' for i in range(10_000)),
        "20,000 dotted names": " ".join(f"pkg.core.numbers.Name{i}.method{i}" for i in range(20_000)),
        "20,000 identifiers": " ".join(f"make_thing_{i}()" for i in range(20_000)),
        "one 500k-character word": "x" * 500_000,
        "control and bidi characters": "\u202e\u2066\x00\x1b[31m" * 20_000,
        "200k-character dotted run": "a." * 100_000,
        "200k-character path-like run": "github.com/a.b" * 14_000,
        "50,000 unclosed HTML comments": "<!--" * 50_000,
        "one long line of 'at x(' frames": "at x( ) in " * 18_000,
        "Java, .NET, Go, Ruby traces": "\n".join(
            f"\tat com.acme.m{i}.Cls.run(Cls.java:{i})\n   at Acme.M{i}.Run() in /src/M{i}.cs:line {i}\n"
            f"github.com/acme/m{i}.(*T).Run(...)\n\t/src/m{i}/t.go:{i}\n/app/lib/m{i}.rb:{i}:in `run'"
            for i in range(2_000)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, required=True)
    ap.add_argument("--budget", type=int, default=4000)
    args = ap.parse_args()
    with Repo.open(args.repo) as repo:
        repo.index()
        repo.context(ORDINARY, budget=args.budget)  # warm: tokenizer and index state loaded once
        print(f"{args.repo.name}, budget {args.budget}\n")
        print("| task | characters | seconds | items | tokens used |")
        print("| --- | --- | --- | --- | --- |")
        for name, task in tasks().items():
            t0 = time.perf_counter()
            packet = repo.context(task, budget=args.budget)
            secs = time.perf_counter() - t0
            print(f"| {name} | {len(task):,} | {secs:.2f} | {len(packet.items)} | {packet.tokens.used} |")


if __name__ == "__main__":
    main()
