"""Watch latency: from a file save to the daemon's index (and a map) reflecting it.

    python benchmarks/watch_latency.py [--lib PATH] [--saves 200] [--maps 20] [--checkouts 4]

On a git copy of CPython's ``Lib`` (minus site-packages): index once, start
``repointel watch``, then

- save N random Python files (atomic rename of a temp file, appending a new function) and time
  each until a reader sees the new symbol through the daemon; every ``--maps``-th save also
  times until a ``Repo.map`` built from that index (personalised by the new name) is returned;
- commit a change of 300 files and ``git checkout`` back and forth, timing each checkout until
  the index reflects the new commit with freshness ``current``.

Prints a table (p50/p95/max seconds). Target: save→index p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from repointel import Repo
from repointel.store_client import RemoteStore, connect_daemon

sys.path.insert(0, str(Path(__file__).resolve().parent))
from index_speed import copy_lib  # noqa: E402

_FOUND = "SELECT 1 FROM symbols WHERE path = ? AND name = ?"
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]


def _git(root: Path, *args: str) -> str:
    return subprocess.run([*GIT, "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def _poll(cond: object, timeout: float = 600.0) -> float:
    t0 = time.perf_counter()
    while not cond():  # type: ignore[operator]
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError("the daemon did not catch up")
        time.sleep(0.002)
    return time.perf_counter()


def _save(path: Path, name: str) -> None:
    text = path.read_text(encoding="utf-8", errors="replace") + f"\n\ndef {name}():\n    return 1\n"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p * (len(xs) - 1)))]


def _saves(root: Path, remote: RemoteStore, n: int, every_map: int) -> tuple[list[float], list[float]]:
    rng = random.Random(1)
    candidates = [r[0] for r in remote.rows(
        "SELECT path FROM files WHERE language = 'python' AND status = 'indexed' "
        "AND path NOT LIKE 'test/%' AND size < 60000 ORDER BY path")]
    index_lat, map_lat = [], []
    for i in range(n):
        rel = rng.choice(candidates)
        name = f"bench_saved_{i}_x"
        t0 = time.perf_counter()
        _save(root / rel, name)
        t1 = _poll(lambda r=rel, n=name: remote.rows(_FOUND, [r, n]))
        index_lat.append(t1 - t0)
        if every_map and i % every_map == 0:
            with Repo.open(root) as repo:
                repo.map(name, budget=2048)  # built from an index that already holds the save
                t2 = time.perf_counter()
            map_lat.append(t2 - t0)
        time.sleep(0.05)
    return index_lat, map_lat


def _checkouts(root: Path, remote: RemoteStore, n: int) -> list[float]:
    base = _git(root, "rev-parse", "HEAD")
    rng = random.Random(2)
    py = sorted(p for p in root.rglob("*.py") if ".git" not in p.parts and ".repointel" not in p.parts)
    for p in rng.sample(py, 300):
        p.write_text(p.read_text(encoding="utf-8", errors="replace") + "\n\ndef bench_branch():\n    pass\n",
                     encoding="utf-8")
    _git(root, "commit", "-qam", "modify 300 files")
    other = _git(root, "rev-parse", "HEAD")
    out = []
    for i in range(n):
        target = base if i % 2 == 0 else other
        t0 = time.perf_counter()
        _git(root, "checkout", "-q", target)

        def fresh(t: str = target) -> bool:
            meta = remote.meta()
            return meta.get("commit") == t and meta.get("freshness") == "current" and meta.get("pending") == "0"

        out.append(_poll(fresh) - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", default=sysconfig.get_paths()["stdlib"])
    ap.add_argument("--saves", type=int, default=200)
    ap.add_argument("--maps", type=int, default=10, help="time a map every N saves (0: never)")
    ap.add_argument("--checkouts", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "lib"
        copy_lib(Path(args.lib), root)
        _git(root, "init", "-q")
        _git(root, "add", "-A")
        _git(root, "commit", "-qm", "lib")
        t0 = time.perf_counter()
        Repo.open(root).index(workers=args.workers)
        cold = time.perf_counter() - t0
        proc = subprocess.Popen([sys.executable, "-m", "repointel", "watch", str(root),
                                 f"--workers={args.workers}"], stderr=subprocess.DEVNULL)
        try:
            _poll(lambda: connect_daemon(str(root / ".repointel/index.duckdb")) is not None, 120)
            remote = RemoteStore(str(root / ".repointel/index.duckdb"))
            _poll(lambda: remote.status()["freshness"] == "current")
            files = remote.rows("SELECT count(*) FROM files")[0][0]
            index_lat, map_lat = _saves(root, remote, args.saves, args.maps)
            batch = remote.status()["last_batch_seconds"]
            co = _checkouts(root, remote, args.checkouts)
            remote.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    print(f"tree: {files} files (CPython Lib copy), cold index {cold:.1f}s, last one-file batch {batch:.3f}s")
    print(f"{'measure':<34}{'n':>5}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    for label, xs in (("save -> index reflects it", index_lat), ("save -> map reflects it", map_lat),
                      ("checkout (300 files) -> fresh", co)):
        if xs:
            print(f"{label:<34}{len(xs):>5}{statistics.median(xs):>9.3f}{_pct(xs, 0.95):>9.3f}{max(xs):>9.3f}")


if __name__ == "__main__":
    main()
