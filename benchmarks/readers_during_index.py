"""Readers without a daemon while ``repointel index`` rewrites a mid-size repository's index.

    python benchmarks/readers_during_index.py [--repo GIT_DIR_OR_URL] [--readers 36] [--baseline PATH]
                                              [--workers N]

Clones the repository into a temporary directory, indexes it, edits every Python file (a comment
appended: every file is re-examined, so the run is long), starts ``repointel index`` and, while it
runs, fires reader calls in other processes (``repointel query``, ``status``, ``map --no-index``,
round robin, one at a time). Prints one table: the run's length, the calls made during it, how many
answered and how many failed (by error), and the readers' latency. ``--baseline PATH`` runs the
same against another checkout of repointel (its root: ``PYTHONPATH=PATH``) first, in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READS = (["query", "SELECT count(*) FROM symbols"], ["status"], ["map", "--no-index", "--budget", "512"])


def _env(pythonpath: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # cwd: not this checkout (``-m`` puts the working directory first on sys.path, before PYTHONPATH)
    return subprocess.run([sys.executable, "-m", "repointel", *args], env=env, capture_output=True, text=True,
                          cwd=tempfile.gettempdir())


def measure(src: str, readers: int, pythonpath: str | None, workers: int | None) -> dict[str, object]:
    env = _env(pythonpath)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "-q", src, str(root)], check=True)
        _cli(env, "index", str(root))
        for path in root.rglob("*.py"):
            if ".git" not in path.parts:
                with open(path, "a") as fh:
                    fh.write("\n# touched by the benchmark\n")
        t0 = time.perf_counter()
        extra = [] if workers is None else ["--workers", str(workers)]
        run = subprocess.Popen([sys.executable, "-m", "repointel", "index", str(root), *extra], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp)
        latencies, failures = [], {}
        while run.poll() is None and len(latencies) + sum(failures.values()) < readers:
            args = READS[(len(latencies) + sum(failures.values())) % len(READS)]
            r0 = time.perf_counter()
            out = _cli(env, *args, "--repo", str(root))
            if out.returncode == 0:
                latencies.append(time.perf_counter() - r0)
            else:
                kind = (out.stderr.strip().split(":", 2)[1:2] or ["?"])[0].strip()
                failures[kind] = failures.get(kind, 0) + 1
        run.wait()
        run_s = time.perf_counter() - t0
        for path in root.rglob("*.py"):  # the same run again with no reader competing for the CPU
            if ".git" not in path.parts:
                with open(path, "a") as fh:
                    fh.write("# again\n")
        t1 = time.perf_counter()
        _cli(env, "index", str(root), *extra)
        return {"run_s": run_s, "alone_s": time.perf_counter() - t1, "calls": len(latencies) + sum(failures.values()),
                "ok": len(latencies), "failures": failures,
                "p50": statistics.median(latencies) if latencies else float("nan"),
                "max": max(latencies) if latencies else float("nan")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repo", default="/work/.mirror/pylint-dev+pylint/repo")
    ap.add_argument("--readers", type=int, default=36)
    ap.add_argument("--baseline", default=None, help="root of another repointel checkout to compare")
    ap.add_argument("--workers", type=int, default=None, help="parser processes of the index run")
    args = ap.parse_args()
    rows = []
    if args.baseline:
        rows.append(("baseline", measure(args.repo, args.readers, args.baseline, args.workers)))
    rows.append(("this checkout", measure(args.repo, args.readers, None, args.workers)))
    print(f"{args.repo}, {args.readers} reader calls at most, {os.cpu_count()} cores\n")
    print("| code | index run (with readers) | reader calls during it | answered | failed | reader p50 | "
          "reader max | the same run, no readers |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, m in rows:
        failed = ", ".join(f"{k} {v}" for k, v in m["failures"].items()) or "0"  # type: ignore[attr-defined]
        print(f"| {name} | {m['run_s']:.1f} s | {m['calls']} | {m['ok']} | {failed} | {m['p50']:.2f} s | "
              f"{m['max']:.2f} s | {m['alone_s']:.1f} s |")


if __name__ == "__main__":
    main()
