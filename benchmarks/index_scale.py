"""How the index scales with the size of the tree: CPython's standard library copied 1 and N
times side by side, each tree indexed cold, re-indexed with nothing changed, mapped and asked
for a packet through the CLI (one fresh process per command, as an agent's shell would run it).

    python benchmarks/index_scale.py [--copies 10] [--lib PATH] [--keep DIR]

The one-copy tree is the baseline measured in the same run: the table shows each figure for
both trees and their ratio next to the ratio of their sizes, so linear scaling reads as equal
ratios and anything worse than linear stands out. Peak RSS is each command's own process
(the indexer's main process; its parse workers are smaller).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from index_speed import copy_lib, source_files

#: Runs one command and prints its wall seconds and peak RSS (KiB): a child of a fresh process,
#: so RUSAGE_CHILDREN holds that command alone.
_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
    "if p.returncode: sys.exit(p.stderr[-2000:])\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)
TASK = "json decoder raises on a trailing comma in an object; JSONDecodeError position is wrong"


def measure(cwd: Path, *args: str) -> tuple[float, float]:
    """(seconds, peak RSS MB) of ``repointel ARGS`` run in ``cwd``."""
    cmd = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "repointel", *args]
    out = subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1]) / 1024


def build_tree(lib: Path, dst: Path, copies: int) -> None:
    """``copies`` copies of ``lib`` side by side under ``dst``."""
    for i in range(copies):
        copy_lib(lib, dst / f"copy{i}")


def run_tree(root: Path) -> dict[str, tuple[float, float]]:
    """Each measured command on ``root``: (seconds, peak RSS MB)."""
    shutil.rmtree(root / ".repointel", ignore_errors=True)
    return {
        "cold index": measure(root, "index", "--json"),
        "no-op re-index": measure(root, "index", "--json"),
        "map --budget 1024": measure(root, "map", "--budget", "1024"),
        "context --budget 8000 (json)": measure(root, "context", TASK, "--budget", "8000", "--format", "json"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--lib", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    ap.add_argument("--keep", type=Path, help="build the trees here and keep them")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="repointel-scale-"))
    try:
        sizes, results = {}, {}
        for copies in (1, args.copies):
            root = base / f"x{copies}"
            if not root.exists():
                build_tree(args.lib, root, copies)
            files = source_files(root)
            sizes[copies] = (len(files), sum(p.stat().st_size for p in files) / 1e6)
            t0 = time.perf_counter()
            results[copies] = run_tree(root)
            print(f"x{copies}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        render(sizes, results, args.copies)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


def render(sizes: dict[int, tuple[int, float]], results: dict[int, dict[str, tuple[float, float]]], n: int) -> None:
    (f1, mb1), (fn, mbn) = sizes[1], sizes[n]
    print(f"trees: x1 = {f1} files / {mb1:.1f} MB to parse; x{n} = {fn} files / {mbn:.1f} MB "
          f"(size ratio {mbn / mb1:.1f}x)\n")
    print(f"| command | x1 s | x{n} s | time ratio | x1 peak MB | x{n} peak MB | memory ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, (s1, m1) in results[1].items():
        sn, mn = results[n][name]
        print(f"| {name} | {s1:.2f} | {sn:.2f} | {sn / s1:.1f}x | {m1:.0f} | {mn:.0f} | {mn / m1:.1f}x |")
    print()
    print(json.dumps({"sizes": sizes, "results": results}))


if __name__ == "__main__":
    main()
