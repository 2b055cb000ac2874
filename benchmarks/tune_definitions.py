"""Choose the definition-ranking weights (repointel/rank/definitions.py) on the dev set only.

``dump`` indexes every dev-set checkout, ranks its files and definitions for the issue and
writes each scored unit's features with a gold flag (the gold definitions of
``benchmarks/edit_coverage.py``); ``fit`` searches the weights, one at a time over a grid
(coordinate ascent, a few rounds), for the most instances with every gold definition in the
top 5 (ties: top 10, then top 1), and prints the figures in-sample and leave-one-repository-out.

    python benchmarks/tune_definitions.py dump --mirrors /work/mirrors.json --out /work/defs_dump.jsonl
    python benchmarks/tune_definitions.py fit --dump /work/defs_dump.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from edit_coverage import gold_definitions, index_definitions, parse_patch  # noqa: E402
from localization import DEV_SET, checkout, ensure_clone, load_instances, present_tree  # noqa: E402

GRID = (-1.0, -0.6, -0.4, -0.2, 0.0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3, 1.6, 2.0, 2.5, 3.0)
ROUNDS = 3


def dump(args: argparse.Namespace) -> int:
    import repointel
    from repointel.context.files import PacketFiles
    from repointel.rank.definitions import rank_definitions
    from repointel.rank.files import rank_files
    from repointel.rank.task import analyse_task

    mirrors = json.loads(args.mirrors.read_text())
    patches = {json.loads(ln)["instance_id"]: json.loads(ln)["patch"]
               for ln in DEV_SET.read_text().splitlines() if ln.strip()}
    insts = load_instances(DEV_SET, None, args.limit)
    with args.out.open("w") as out:
        for i, inst in enumerate(insts, 1):
            clone = ensure_clone(mirrors[inst.repo], args.workdir, inst.repo)
            checkout(clone, inst.base_commit)
            tree = present_tree(clone)
            hunks = [h for h in parse_patch(patches[inst.instance_id]) if h.path in tree]
            with repointel.Repo.open(clone) as repo:
                repo.index()
                gold = gold_definitions(hunks, index_definitions(repo, sorted({h.path for h in hunks})))
                store = repo._reader()
                terms = analyse_task(inst.problem_statement)
                ranked = rank_files(store, terms)
                defs = rank_definitions(store, terms, ranked, PacketFiles(str(clone), store).data)
            units = [{"key": d.key, "f": d.features, "lines": d.end_line - d.start_line + 1} for d in defs]
            files = [[c.path, round(c.score, 5)] for c in ranked[:30]]
            out.write(json.dumps({"id": inst.instance_id, "repo": inst.repo, "gold": sorted(gold),
                                  "gold_files": sorted({h.path for h in hunks}), "files": files,
                                  "units": units}) + "\n")
            print(f"[{i}/{len(insts)}] {inst.instance_id} units={len(units)} "
                  f"gold_found={len(gold & {u['key'] for u in units})}/{len(gold)}", file=sys.stderr, flush=True)
    return 0


def accuracy(rows: Sequence[Mapping[str, Any]], w: Mapping[str, float], k: int) -> float:
    """Share of instances with every gold definition in the top ``k`` under weights ``w``."""
    hits = 0
    for r in rows:
        scored = sorted(r["units"], key=lambda u: -sum(w.get(f, 0.0) * v for f, v in u["f"].items()))
        top = {u["key"] for u in scored[:k]}
        hits += bool(r["gold"]) and set(r["gold"]) <= top
    return hits / len(rows) if rows else 0.0


def _objective(rows: Sequence[Mapping[str, Any]], w: Mapping[str, float]) -> tuple[float, float, float]:
    return accuracy(rows, w, 5), accuracy(rows, w, 10), accuracy(rows, w, 1)


def fit_weights(rows: Sequence[Mapping[str, Any]], start: Mapping[str, float]) -> dict[str, float]:
    """Coordinate ascent over GRID, ROUNDS rounds, from ``start``."""
    w = dict(start)
    best = _objective(rows, w)
    for _ in range(ROUNDS):
        for name in sorted(w):
            for value in GRID:
                trial = {**w, name: value}
                score = _objective(rows, trial)
                if score > best:
                    best, w = score, trial
    return w


def fit(args: argparse.Namespace) -> int:
    from repointel.rank.definitions import WEIGHTS

    rows = [json.loads(ln) for ln in args.dump.read_text().splitlines() if ln.strip()]
    rows = [r for r in rows if r["gold"]]
    start = {**{f: 0.0 for r in rows[:1] for u in r["units"][:1] for f in u["f"]}, **WEIGHTS}
    print("current:", {k: round(100 * v, 1) for k, v in zip(("acc5", "acc10", "acc1"), _objective(rows, WEIGHTS))})
    w = fit_weights(rows, start)
    print("fitted weights:", w)
    print("in-sample:", {k: round(100 * v, 1) for k, v in zip(("acc5", "acc10", "acc1"), _objective(rows, w))})
    held = {"acc5": 0, "acc10": 0, "acc1": 0}
    for repo in sorted({r["repo"] for r in rows}):
        train = [r for r in rows if r["repo"] != repo]
        test = [r for r in rows if r["repo"] == repo]
        wr = fit_weights(train, start)
        for key, v in zip(("acc5", "acc10", "acc1"), _objective(test, wr)):
            held[key] += v * len(test)
    print("leave-one-repository-out:", {k: round(100 * v / len(rows), 1) for k, v in held.items()})
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--mirrors", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--workdir", type=Path, default=Path("/work/bench-tune"))
    d.add_argument("--limit", type=int, default=None)
    f = sub.add_parser("fit")
    f.add_argument("--dump", type=Path, required=True)
    args = ap.parse_args(argv)
    return dump(args) if args.cmd == "dump" else fit(args)


if __name__ == "__main__":
    raise SystemExit(main())
