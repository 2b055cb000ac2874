"""Where localization misses come from: the per-instance records of a localization run, cut
into slices by what the issue text names and by the gold files.

    python benchmarks/slices.py --mirrors /work/mirrors.json \
        [--results benchmarks/results/localization_instances.jsonl]

Slices: one gold file or several; a traceback in the text, code without a traceback, or prose
only; whether the text names a gold file or module (a path, or a dotted name containing a gold
file's module name); whether the gold files together fit in 13k tokens (cl100k_base, read from
the mirror at the base commit), so whole-file packing at 13k can hold them at all. Prints a
markdown table (Acc@1, Acc@5 and 13k All-recall per system) and a count of the misses at 5.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from repointel.rank.task import analyse_task  # noqa: E402
from repointel.tokens import get_tokenizer  # noqa: E402

DEV_SET = HERE.parents[1] / "shared" / "bench" / "localization_dev.jsonl"
#: The smallest file budget of the benchmark: gold files over it cannot all be packed.
SMALL_BUDGET = 13_000
ORDER = ("all", "gold: 1 file", "gold: 2+ files", "text: has a traceback", "text: code, no traceback",
         "text: prose only", "names a gold file or module", "names no gold file or module",
         "gold fits in 13k tokens", "gold over 13k tokens")


def gold_tokens(mirror: str, commit: str, gold: Sequence[str], tok: Any) -> int | None:
    """Total cl100k tokens of the gold files at ``commit`` (None if one is missing there)."""
    total = 0
    for path in gold:
        proc = subprocess.run(["git", "-C", mirror, "show", f"{commit}:{path}"], capture_output=True)
        if proc.returncode:
            return None
        total += tok.count(proc.stdout.decode("utf-8", "replace"))
    return total


def slices_of(inst: Mapping[str, Any], size: int | None) -> list[str]:
    """The slices one instance belongs to."""
    text, gold = inst["problem_statement"], inst["gold_files"]
    terms = analyse_task(text)
    modules = {g.rsplit("/", 1)[-1].rsplit(".", 1)[0] for g in gold}
    named = any(p == g or g.endswith("/" + p.lstrip("./")) or p.endswith("/" + g.rsplit("/", 1)[-1])
                for p in terms.paths for g in gold) or any(m in " ".join(terms.dotted) for m in modules)
    kind = ("text: has a traceback" if terms.frames else
            "text: code, no traceback" if "```" in text or ">>>" in text else "text: prose only")
    return ["all", "gold: 1 file" if len(gold) == 1 else "gold: 2+ files", kind,
            "names a gold file or module" if named else "names no gold file or module",
            "gold fits in 13k tokens" if size is not None and size <= SMALL_BUDGET else "gold over 13k tokens"]


def _pct(rows: list[tuple[Mapping[str, Any], list[str]]], hit: Callable[[Mapping[str, Any], list[str]], bool]) -> str:
    return f"{100 * sum(hit(s, g) for s, g in rows) / len(rows):.1f}"


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mirrors", type=Path, required=True, help="JSON map owner/name -> git dir")
    ap.add_argument("--results", type=Path, default=HERE / "results" / "localization_instances.jsonl")
    ap.add_argument("--dataset", type=Path, default=DEV_SET)
    args = ap.parse_args(argv)
    mirrors = json.loads(args.mirrors.read_text())
    dataset = {json.loads(line)["instance_id"]: json.loads(line) for line in args.dataset.open()}
    records = [json.loads(line) for line in args.results.open()]
    tok = get_tokenizer("cl100k_base")
    table: dict[str, dict[str, list[tuple[Mapping[str, Any], list[str]]]]] = defaultdict(lambda: defaultdict(list))
    for rec in records:
        inst = dataset[rec["instance_id"]]
        size = gold_tokens(mirrors[inst["repo"]], inst["base_commit"], inst["gold_files"], tok)
        for key in slices_of(inst, size):
            for name, s in rec["systems"].items():
                table[key][name].append((s, inst["gold_files"]))
    systems = list(records[0]["systems"])
    print("| slice | n | " + " | ".join(f"{n} Acc@1 | {n} Acc@5 | {n} 13k All" for n in systems) + " |")
    print("| --- " * (2 + 3 * len(systems)) + "|")
    for key in ORDER:
        cells = [key, str(len(table[key][systems[0]]))]
        for n in systems:
            rows = table[key][n]
            cells += [_pct(rows, lambda s, g: bool(s["acc"]["1"])), _pct(rows, lambda s, g: bool(s["acc"]["5"])),
                      _pct(rows, lambda s, g: set(s["budget_gold"][str(SMALL_BUDGET)]) >= set(g))]
        print("| " + " | ".join(cells) + " |")
    first = systems[0]
    miss = [rec["systems"][first] for rec in records if not rec["systems"][first]["acc"]["5"]]
    multi = [s for s in miss if len(s["hit_ranks"]) > 1]
    some = sum(any(v is not None and v <= 5 for v in s["hit_ranks"].values()) for s in multi)
    print(f"\n{first}: {len(miss)} misses at 5, {len(multi)} of them multi-file ({some} with some gold file in the top 5)")


if __name__ == "__main__":
    main()
