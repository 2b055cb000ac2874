"""Packet build latency on an indexed checkout (issue texts from the dev set as tasks).

    python benchmarks/packet_latency.py --repo /path/to/sympy-checkout [--repo-name sympy/sympy]
        [--budget 8192] [--dataset ../shared/bench/localization_dev.jsonl]

Indexes the checkout (incrementally), then times ``Repo.context`` for every dev-set issue of that
repository (all at the same commit: this measures packet building, not re-indexing), and the
whole-repository map. Prints p50/p95/max, and the BM25-only baseline query time for scale.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from repointel import Repo
from repointel.context.retrieve import bm25
from repointel.rank.task import analyse_task

DEV = Path(__file__).resolve().parents[2] / "shared" / "bench" / "localization_dev.jsonl"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--repo-name", default="sympy/sympy")
    ap.add_argument("--budget", type=int, default=8192)
    ap.add_argument("--dataset", type=Path, default=DEV)
    args = ap.parse_args()
    tasks = [json.loads(line)["problem_statement"] for line in args.dataset.open()
             if json.loads(line)["repo"] == args.repo_name]
    repo = Repo.open(args.repo)
    t0 = time.perf_counter()
    stats = repo.index()
    index_s = time.perf_counter() - t0
    repo.context("warm up", budget=args.budget)
    packet_ms, bm25_ms, used = [], [], []
    for task in tasks:
        t = time.perf_counter()
        p = repo.context(task, budget=args.budget)
        packet_ms.append((time.perf_counter() - t) * 1000)
        used.append(p.tokens.used)
        t = time.perf_counter()
        bm25(repo._reader(), analyse_task(task).terms)
        bm25_ms.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    repo.map(budget=1024)
    map_ms = (time.perf_counter() - t) * 1000
    repo.close()
    print(f"{args.repo_name} at {stats.commit}: {stats.scanned} files, index update {index_s:.2f}s, "
          f"{len(tasks)} tasks, budget {args.budget}\n")
    print("| measure | p50 ms | p95 ms | max ms |\n| --- | --- | --- | --- |")
    for name, vals in (("context packet (repointel)", packet_ms), ("BM25 query alone (baseline)", bm25_ms)):
        print(f"| {name} | {statistics.median(vals):.0f} | {pct(vals, 0.95):.0f} | {max(vals):.0f} |")
    print(f"| repository map, budget 1024 | {map_ms:.0f} | | |")
    print(f"\ntokens used: max {max(used)} of {args.budget} (never above the budget)")


if __name__ == "__main__":
    main()
