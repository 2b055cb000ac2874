"""Index throughput and latency on CPython's standard library, against tree-sitter's own
single-core parse-only throughput measured in the same run.

    python benchmarks/index_speed.py [--lib PATH] [--workers N]

Prints one table: parse-only MB/s (one core, the physical limit per core), cold end-to-end
index MB/s, no-op and one-changed-file re-index seconds, map latency, peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from repointel import Repo
from repointel.config import MAX_FILE_BYTES
from repointel.parse import language_for_path, parse

SKIP_DIRS = {"site-packages", "__pycache__", "dist-packages"}


def copy_lib(src: Path, dst: Path) -> None:
    """Copy the stdlib without installed packages and caches."""
    shutil.copytree(src, dst, ignore=lambda d, names: [n for n in names if n in SKIP_DIRS])


def source_files(root: Path) -> list[Path]:
    """The parseable files the indexer will parse (same size cap)."""
    out = []
    for p in root.rglob("*"):
        if p.is_file() and not p.is_symlink() and language_for_path(p.name):
            if p.stat().st_size <= MAX_FILE_BYTES:
                out.append(p)
    return out


def parse_only(files: list[Path]) -> tuple[float, float]:
    """(MB parsed, seconds) parsing every file once on this core."""
    blobs = [(language_for_path(p.name) or "", p.read_bytes()) for p in files]
    t0 = time.perf_counter()
    for lang, data in blobs:
        parse(lang, data)
    return sum(len(d) for _, d in blobs) / 1e6, time.perf_counter() - t0


def timed(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lib", default=sysconfig.get_paths()["stdlib"])
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "Lib"
        copy_lib(Path(args.lib), lib)
        files = source_files(lib)
        mb, parse_s = parse_only(files)
        repo = Repo.open(lib)
        cold_s = timed(lambda: repo.index(workers=args.workers))
        noop = [timed(lambda: repo.index(workers=args.workers)) for _ in range(5)]
        target = lib / "json" / "encoder.py"
        one = []
        for i in range(5):
            target.write_text(target.read_text() + f"\n# edit {i}\n")
            one.append(timed(lambda: repo.index(workers=args.workers)))
        repo.close()
        maps = {b: [timed(lambda b=b: Repo.open(lib).map(budget=b)) for _ in range(3)] for b in (1024, 8192)}
        task = "json encoder fails on nested dict with sort_keys and indent in JSONEncoder.iterencode"
        tmap = [timed(lambda: Repo.open(lib).map(task, budget=1024)) for _ in range(3)]
        rows = [
            ("files parsed / MB", f"{len(files)} / {mb:.1f}", ""),
            ("parse-only, 1 core (baseline)", f"{mb / parse_s:.2f} MB/s", f"{parse_s:.2f} s"),
            ("cold index end-to-end", f"{mb / cold_s:.2f} MB/s", f"{cold_s:.2f} s  ({(mb / cold_s) / (mb / parse_s):.2f}x baseline; target >= 1.0x)"),
            ("no-op re-index (median of 5)", f"{statistics.median(noop):.3f} s", "target <= 0.5 s"),
            ("one changed file (median of 5)", f"{statistics.median(one):.3f} s", "target <= 0.3 s"),
            ("map --budget 1024, warm (median)", f"{statistics.median(maps[1024]):.3f} s", "target <= 1 s"),
            ("map --budget 8192, warm (median)", f"{statistics.median(maps[8192]):.3f} s", "target <= 1 s"),
            ("map with a task, 1024 (median)", f"{statistics.median(tmap):.3f} s", "target <= 1 s"),
            ("peak RSS (max of process, workers)", f"{peak_rss_mb():.0f} MB", "target <= 600 MB"),
        ]
    print(f"CPython {sys.version.split()[0]} stdlib, {os.cpu_count()} cores\n")
    print("| measure | value | notes |\n| --- | --- | --- |")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    main()
