"""Fit the ranking weights on the localization DEV set only.

    python benchmarks/tune_weights.py dump --mirrors /work/mirrors.json --out /tmp/features.jsonl
    python benchmarks/tune_weights.py fit --features /tmp/features.jsonl

``dump`` walks the dev set like benchmarks/localization.py (one clone per repository, moved from
commit to commit, indexed incrementally) and saves every candidate's feature values; ``fit``
grid-searches the fusion weights offline and prints the best settings by Acc@5 then Acc@1.
The chosen values go, by hand and with a reason, into repointel/context/retrieve.py.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import localization as L  # noqa: E402

TOP_CANDIDATES = 300


def dump(args: argparse.Namespace) -> None:
    from repointel import Repo
    from repointel.context.retrieve import rank_files
    from repointel.rank.task import analyse_task

    mirrors = json.loads(args.mirrors.read_text())
    instances = L.load_instances(L.DEV_SET, None, args.limit)
    with args.out.open("w") as out:
        for inst in instances:
            clone = L.ensure_clone(mirrors[inst.repo], args.workdir, inst.repo)
            L.checkout(clone, inst.base_commit)
            repo = Repo.open(clone)
            repo.index()
            ranked = rank_files(repo._reader(), analyse_task(inst.problem_statement))
            repo.close()
            feats = [{"file": c.path, **c.features} for c in ranked[:TOP_CANDIDATES]]
            out.write(json.dumps({"id": inst.instance_id, "repo": inst.repo,
                                  "gold": inst.gold_files, "cands": feats}) + "\n")
            out.flush()
            print(inst.instance_id, file=sys.stderr)


def score(rows: list[dict], w: dict[str, float], aux: float) -> tuple[float, float]:
    acc1 = acc5 = 0
    for row in rows:
        scored = sorted(row["cands"], key=lambda c: -sum(w[k] * c.get(k, 0.0) for k in w)
                        * (aux if c.get("aux") else 1.0))
        top = [c["file"] for c in scored]
        acc1 += set(row["gold"]) <= set(top[:1])
        acc5 += set(row["gold"]) <= set(top[:5])
    return 100 * acc5 / len(rows), 100 * acc1 / len(rows)


def fit(args: argparse.Namespace) -> None:
    rows = [json.loads(line) for line in args.features.open()]
    grid = {"bm25": [0.5, 1.0, 1.5], "mentioned": [0.6, 1.0, 1.5, 2.0, 3.0],
            "graph": [0.0, 0.15, 0.3, 0.6], "pathmatch": [0.0, 0.2, 0.4, 0.8, 1.2]}
    results = []
    for values in itertools.product(*grid.values()):
        w = dict(zip(grid, values))
        for aux in (0.3, 0.5, 1.0):
            results.append((*score(rows, w, aux), w, aux))
    results.sort(key=lambda r: (-r[0], -r[1]))
    for acc5, acc1, w, aux in results[:15]:
        print(f"Acc@5 {acc5:.1f} Acc@1 {acc1:.1f} weights {w} aux {aux}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--mirrors", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--workdir", type=Path, default=Path("/work/bench-tune"))
    d.add_argument("--limit", type=int, default=None)
    f = sub.add_parser("fit")
    f.add_argument("--features", type=Path, required=True)
    args = ap.parse_args()
    dump(args) if args.cmd == "dump" else fit(args)


if __name__ == "__main__":
    main()
