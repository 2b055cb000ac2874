"""Packet build latency on an indexed checkout (issue texts from the dev set as tasks).

    python benchmarks/packet_latency.py --repo /path/to/sympy-checkout [--repo-name sympy/sympy]
        [--budget 8192] [--dataset ../shared/bench/localization_dev.jsonl]

Indexes the checkout (incrementally), then times ``Repo.context`` for every dev-set issue of that
repository (all at the same commit: this measures packet building, not re-indexing), and the
whole-repository map. Prints p50/p95/max, and the BM25-only baseline query time for scale.

Then the agent loop (``--edit-loop N`` times, default 20): edit the top-ranked file of a task (a
comment line appended), ``Repo.index()``, then the packet: every packet is built on a new index
state, so per-state caches are cold. The edited files are restored afterwards.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from repointel import Repo
from repointel.rank.files import bm25
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
    ap.add_argument("--edit-loop", type=int, default=20, help="edit → index → packet rounds")
    args = ap.parse_args()
    tasks = [json.loads(line)["problem_statement"] for line in args.dataset.open()
             if json.loads(line)["repo"] == args.repo_name]
    repo = Repo.open(args.repo)
    t0 = time.perf_counter()
    stats = repo.index()
    index_s = time.perf_counter() - t0
    repo.context("warm up", budget=args.budget)
    packet_ms, bm25_ms, used, top = [], [], [], []
    for task in tasks:
        t = time.perf_counter()
        p = repo.context(task, budget=args.budget)
        packet_ms.append((time.perf_counter() - t) * 1000)
        used.append(p.tokens.used)
        top.append(p.ranked_files[0] if p.ranked_files else None)
        t = time.perf_counter()
        bm25(repo._reader(), analyse_task(task).terms)
        bm25_ms.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    repo.map(budget=1024)
    map_ms = (time.perf_counter() - t) * 1000
    loop_index_ms, loop_packet_ms = edit_loop(repo, Path(args.repo), list(zip(tasks, top))[: args.edit_loop],
                                              args.budget, used)
    repo.close()
    print(f"{args.repo_name} at {stats.commit}: {stats.scanned} files, index update {index_s:.2f}s, "
          f"{len(tasks)} tasks, budget {args.budget}\n")
    print("| measure | p50 ms | p95 ms | max ms |\n| --- | --- | --- | --- |")
    for name, vals in (("context packet (repointel)", packet_ms), ("BM25 query alone (baseline)", bm25_ms)):
        print(f"| {name} | {statistics.median(vals):.0f} | {pct(vals, 0.95):.0f} | {max(vals):.0f} |")
    print(f"| repository map, budget 1024 | {map_ms:.0f} | | |")
    for name, vals in (("agent loop: index after a one-file edit", loop_index_ms),
                       ("agent loop: packet on the new index state", loop_packet_ms)):
        if vals:
            print(f"| {name} | {statistics.median(vals):.0f} | {pct(vals, 0.95):.0f} | {max(vals):.0f} |")
    print(f"\ntokens used: max {max(used)} of {args.budget} (never above the budget)")


def edit_loop(repo: Repo, root: Path, rounds: list[tuple[str, str | None]], budget: int,
              used: list[int]) -> tuple[list[float], list[float]]:
    """(index ms, packet ms) per round of: edit the task's top file, index, build the packet."""
    saved: dict[Path, bytes] = {}
    index_ms, packet_ms = [], []
    try:
        for i, (task, path) in enumerate(rounds):
            if path is None:
                continue
            target = root / path
            saved.setdefault(target, target.read_bytes())
            target.write_bytes(saved[target] + f"\n# agent edit {i}\n".encode())
            t = time.perf_counter()
            repo.index()
            index_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            used.append(repo.context(task, budget=budget).tokens.used)
            packet_ms.append((time.perf_counter() - t) * 1000)
    finally:
        for target, data in saved.items():
            target.write_bytes(data)
        repo.index()
    return index_ms, packet_ms


if __name__ == "__main__":
    main()
