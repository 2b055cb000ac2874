"""No-op and one-changed-file re-index on CPython's standard library, this checkout against another
one (``--baseline PATH``, the root of a repointel checkout), interleaved in one run so that both
see the same machine.

    python benchmarks/reindex_cost.py --baseline /path/to/other/repointel [--lib PATH] [--rounds 5]

Each code version indexes its own copy of the library once (cold, not reported), then the
rounds alternate: a no-op ``Repo.index()`` of each, then one edited file re-indexed by each.
Every measurement is a fresh process timing ``Repo.index()`` only (interpreter start excluded);
the warm column is one process re-indexing after each of ``rounds`` edits (two such processes
per version, alternating), as ``index_speed.py`` measures it.
Prints medians, and the index file's size (a writing run copies it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

_TIMER = """
import sys, time
from repointel import Repo
repo = Repo.open(sys.argv[1])
t0 = time.perf_counter()
repo.index()
print(time.perf_counter() - t0)
"""
#: One process editing a file and re-indexing ``rounds`` times (warm: the derive memo, the OS cache).
_WARM = """
import sys, time
from pathlib import Path
from repointel import Repo
repo = Repo.open(sys.argv[1])
repo.index()
target = Path(sys.argv[1]) / "json" / "encoder.py"
for i in range(int(sys.argv[2])):
    target.write_text(target.read_text() + f"\\n# warm edit {i}\\n")
    t0 = time.perf_counter()
    repo.index()
    print(time.perf_counter() - t0)
"""
SKIP_DIRS = {"site-packages", "__pycache__", "dist-packages"}


def _run(script: str, lib: Path, pythonpath: str | None, *args: str) -> list[float]:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    # cwd: not this checkout (``-c`` puts the working directory first on sys.path, before PYTHONPATH)
    out = subprocess.run([sys.executable, "-c", script, str(lib), *args], env=env, capture_output=True,
                         text=True, check=True, cwd=lib.parent)
    return [float(x) for x in out.stdout.split()]


def _time(lib: Path, pythonpath: str | None) -> float:
    return _run(_TIMER, lib, pythonpath)[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--lib", default=sysconfig.get_paths()["stdlib"])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    codes = {"baseline": args.baseline, "this checkout": None}
    with tempfile.TemporaryDirectory() as tmp:
        libs = {}
        for name in codes:
            libs[name] = Path(tmp) / name.replace(" ", "_") / "Lib"
            shutil.copytree(args.lib, libs[name], ignore=lambda d, n: [x for x in n if x in SKIP_DIRS])
            _time(libs[name], codes[name])  # cold
        noop: dict[str, list[float]] = {n: [] for n in codes}
        one: dict[str, list[float]] = {n: [] for n in codes}
        for i in range(args.rounds):
            for name, path in codes.items():
                noop[name].append(_time(libs[name], path))
            for name, path in codes.items():
                target = libs[name] / "json" / "encoder.py"
                target.write_text(target.read_text() + f"\n# edit {i}\n")
                one[name].append(_time(libs[name], path))
        warm: dict[str, list[float]] = {n: [] for n in codes}
        for _ in range(2):  # two processes each, alternating
            for name, path in codes.items():
                warm[name] += _run(_WARM, libs[name], path, str(args.rounds))
        sizes = {n: (libs[n] / ".repointel" / "index.duckdb").stat().st_size / 1e6 for n in codes}
    print(f"CPython {sys.version.split()[0]} stdlib, {os.cpu_count()} cores, {args.rounds} rounds, medians\n")
    print("| code | no-op re-index | one changed file | one changed file, warm process | index file |")
    print("| --- | --- | --- | --- | --- |")
    for name in codes:
        print(f"| {name} | {statistics.median(noop[name]):.3f} s | {statistics.median(one[name]):.3f} s | "
              f"{statistics.median(warm[name]):.3f} s | {sizes[name]:.0f} MB |")


if __name__ == "__main__":
    main()
