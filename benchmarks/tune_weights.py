"""Fit the ranking weights on the localization DEV set only.

    python benchmarks/tune_weights.py dump --mirrors /work/mirrors.json --out /tmp/features.jsonl
    python benchmarks/tune_weights.py fit --features /tmp/features.jsonl

``dump`` walks the dev set like benchmarks/localization.py (one clone per repository, moved from
commit to commit, indexed incrementally) and saves every candidate's feature values (the
``Candidate.features`` of repointel/rank/files.py); ``fit`` fits the fusion weights
offline with a listwise logistic model (softmax over one task's candidates, the gold files as
targets, small L2), prints in-sample and leave-one-repository-out Acc@k, and the weights.
The chosen values go, rounded and with a reason, into repointel/rank/files.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import localization as L  # noqa: E402

TOP_CANDIDATES = 300
FEATURES = ("bm25", "mentioned", "graph", "pathmatch", "title", "code", "defmax", "hub", "dotted",
            "weak", "init", "minor", "loose", "aux", "tseed", "excl")


def dump(args: argparse.Namespace) -> None:
    from repointel import Repo
    from repointel.rank.files import rank_files
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
            gold = set(inst.gold_files)
            feats = [{"file": c.path, **c.features} for i, c in enumerate(ranked)
                     if i < TOP_CANDIDATES or c.path in gold]
            out.write(json.dumps({"id": inst.instance_id, "repo": inst.repo,
                                  "gold": inst.gold_files, "cands": feats}) + "\n")
            out.flush()
            print(inst.instance_id, file=sys.stderr)


def _matrices(rows: list[dict], feats: list[str]) -> list[tuple[Any, Any, dict]]:
    import numpy as np

    out = []
    for row in rows:
        y = np.array([1.0 if c["file"] in row["gold"] else 0.0 for c in row["cands"]])
        if y.sum():
            out.append((np.array([[c.get(k, 0.0) for k in feats] for c in row["cands"]]), y, row))
    return out


def train(ms: list[tuple[Any, Any, dict]], n_feats: int, l2: float, iters: int = 600) -> Any:
    """Listwise logistic weights (Adam on the mean -log softmax probability of the gold files)."""
    import numpy as np

    w, m, v = np.zeros(n_feats), np.zeros(n_feats), np.zeros(n_feats)
    for t in range(1, iters + 1):
        g = l2 * w * len(ms)
        for x, y, _ in ms:
            s = x @ w
            p = np.exp(s - s.max())
            g += x.T @ (p / p.sum()) - (x.T @ y) / y.sum()
        g /= len(ms)
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        w -= 0.05 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return w


def accuracy(w: Any, ms: list[tuple[Any, Any, dict]]) -> dict[int, int]:
    """How many tasks have all their gold files in the top k, for k in 1, 3, 5, 10."""
    import numpy as np

    hits = dict.fromkeys((1, 3, 5, 10), 0)
    for x, _y, row in ms:
        top = [row["cands"][i]["file"] for i in np.argsort(-(x @ w), kind="stable")]
        for k in hits:
            hits[k] += set(row["gold"]) <= set(top[:k])
    return hits


def fit(args: argparse.Namespace) -> None:
    rows = [json.loads(line) for line in args.features.open()]
    feats = args.feats.split(",")
    ms = _matrices(rows, feats)
    n = len(rows)
    w = train(ms, len(feats), args.l2)
    print("in-sample", {k: round(100 * v / n, 1) for k, v in accuracy(w, ms).items()})
    loro = dict.fromkeys((1, 3, 5, 10), 0)
    for repo in sorted({r["repo"] for r in rows}):
        wr = train([m for m in ms if m[2]["repo"] != repo], len(feats), args.l2, iters=300)
        for k, v in accuracy(wr, [m for m in ms if m[2]["repo"] == repo]).items():
            loro[k] += v
    print("leave-one-repository-out", {k: round(100 * v / n, 1) for k, v in loro.items()})
    print("weights", {k: round(float(x), 2) for k, x in zip(feats, w)})


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
    f.add_argument("--feats", default=",".join(FEATURES), help="comma-separated feature names")
    f.add_argument("--l2", type=float, default=0.001)
    args = ap.parse_args()
    dump(args) if args.cmd == "dump" else fit(args)


if __name__ == "__main__":
    main()
