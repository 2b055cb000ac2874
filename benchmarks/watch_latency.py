"""Watch latency: from a file save to the daemon's index (and a map) reflecting it.

    python benchmarks/watch_latency.py [--lib PATH] [--saves 200] [--maps 20] [--checkouts 4]
        [--checkout-repo /work/.mirror/pallets+flask/repo --revs 0.12 3.0.0]

On a git copy of CPython's ``Lib`` (minus site-packages): index once, start
``repointel watch``, then

- save N random Python files (atomic rename of a temp file, appending a new function) and time
  each until the daemon commits it (its wall clock: from then on every reader sees it) and until
  a reader, asking the daemon's status every ``--poll-ms`` and then querying, sees the new
  symbol; every ``--maps``-th save also times until a ``Repo.map`` built from that index
  (personalised by the new name) is returned;
- save one large file (``--same-file``) ``--same-saves`` times in a row: after the first save the
  daemon reparses it incrementally from the tree it kept;
- commit a change of 300 files and ``git checkout`` back and forth, timing each checkout until
  the index reflects the new commit with freshness ``current``;
- with ``--checkout-repo``: clone that real repository into a temporary directory, index it at
  the first of ``--revs`` and time ``git checkout`` between the two revisions the same way.

Each save also records the daemon's own split: the wait from the first event to the start of
the index run (debounce) and the index run itself. Prints a table (p50/p95/max seconds).
Target: save→index p95 <= 100 ms.

The reader polls gently on purpose: a reader querying every 2 ms (the first version of this
script) costs the daemon ~15 ms per batch in GIL and DuckDB contention and measures the poller.
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
from datetime import datetime
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


def _committed_at(st: dict[str, object]) -> float:
    """The daemon's wall-clock time of its last commit (epoch seconds)."""
    return datetime.fromisoformat(str(st["last_batch_at"])).timestamp()


def _saves(root: Path, remote: RemoteStore, n: int, every_map: int,
           poll: float, fixed: str | None = None) -> dict[str, list[float]]:
    """Save ``n`` files; per save: until a reader (polling the daemon's status every ``poll``
    seconds, a cheap ping, then confirming with a query) sees the new symbol, and until the
    daemon's commit of it (its wall clock: what any reader can see from then on)."""
    rng = random.Random(1)
    candidates = [r[0] for r in remote.rows(
        "SELECT path FROM files WHERE language = 'python' AND status = 'indexed' "
        "AND path NOT LIKE 'test/%' AND size < 60000 ORDER BY path")]
    out: dict[str, list[float]] = {k: [] for k in ("seen", "commit", "wait", "run", "map")}
    for i in range(n):
        rel = fixed or rng.choice(candidates)
        name = f"bench_saved_{i}_{'f' if fixed else 'x'}"
        batches = remote.status()["batches"]
        wall0, t0 = time.time(), time.perf_counter()
        _save(root / rel, name)
        while True:
            st = remote.status()
            if st["batches"] > batches and not st["applying"]:
                if remote.rows(_FOUND, [rel, name]):
                    break
                batches = st["batches"]  # a batch that started before the save's last event
            if time.perf_counter() - t0 > 600:
                raise TimeoutError("the daemon did not catch up")
            time.sleep(poll)
        out["seen"].append(time.perf_counter() - t0)
        out["commit"].append(_committed_at(st) - wall0)
        out["wait"].append(float(st["last_batch_wait_seconds"]))
        out["run"].append(float(st["last_batch_seconds"]))
        if every_map and i % every_map == 0:
            with Repo.open(root) as repo:
                repo.map(name, budget=2048)  # built from an index that already holds the save
                t2 = time.perf_counter()
            out["map"].append(t2 - t0)
        time.sleep(0.05)
    return out


def _branch_300(root: Path) -> tuple[str, str]:
    """Commit a change of 300 Python files; (the commit before, the commit after)."""
    base = _git(root, "rev-parse", "HEAD")
    rng = random.Random(2)
    py = sorted(p for p in root.rglob("*.py") if ".git" not in p.parts and ".repointel" not in p.parts)
    for p in rng.sample(py, 300):
        p.write_text(p.read_text(encoding="utf-8", errors="replace") + "\n\ndef bench_branch():\n    pass\n",
                     encoding="utf-8")
    _git(root, "commit", "-qam", "modify 300 files")
    return base, _git(root, "rev-parse", "HEAD")


def _checkouts(root: Path, remote: RemoteStore, n: int, base: str, other: str) -> list[float]:
    """Seconds from ``git checkout`` (alternately ``other`` and ``base``) to a fresh index."""
    out = []
    for i in range(n):
        target = other if i % 2 == 0 else base
        t0 = time.perf_counter()
        _git(root, "checkout", "-q", target)

        def fresh(t: str = target) -> bool:
            meta = remote.meta()
            return meta.get("commit") == t and meta.get("freshness") == "current" and meta.get("pending") == "0"

        out.append(_poll(fresh) - t0)
    return out


def _daemon(root: Path, workers: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "repointel", "watch", str(root), f"--workers={workers}"],
                            stderr=subprocess.DEVNULL)
    _poll(lambda: connect_daemon(str(root / ".repointel/index.duckdb")) is not None, 120)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)


def _lib_run(args: argparse.Namespace, tmp: str) -> tuple[str, dict[str, list[float]]]:
    root = Path(tmp) / "lib"
    copy_lib(Path(args.lib), root)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "lib")
    t0 = time.perf_counter()
    Repo.open(root).index(workers=args.workers)
    cold = time.perf_counter() - t0
    proc = _daemon(root, args.workers)
    try:
        remote = RemoteStore(str(root / ".repointel/index.duckdb"))
        _poll(lambda: remote.status()["freshness"] == "current")
        files = remote.rows("SELECT count(*) FROM files")[0][0]
        saves = _saves(root, remote, args.saves, args.maps, args.poll_ms / 1000)
        same = _saves(root, remote, args.same_saves, 0, args.poll_ms / 1000, fixed=args.same_file)
        co = _checkouts(root, remote, args.checkouts, *_branch_300(root)) if args.checkouts else []
        remote.close()
    finally:
        _stop(proc)
    head = f"tree: {files} files (CPython Lib copy), cold index {cold:.1f}s"
    return head, {"save -> index commit (readers see it)": saves["commit"],
                  f"save -> a reader polling /{args.poll_ms:g} ms sees it": saves["seen"],
                  "  daemon: debounce wait": saves["wait"],
                  "  daemon: index run (run_index)": saves["run"], "save -> map reflects it": saves["map"],
                  f"same file again ({args.same_file}) -> commit": same["commit"][1:],
                  "  daemon: index run (tree kept, reparsed)": same["run"][1:],
                  "checkout (300 files) -> fresh": co}


def _real_checkouts(args: argparse.Namespace, tmp: str) -> tuple[str, dict[str, list[float]]]:
    root = Path(tmp) / "real"
    subprocess.run(["git", "clone", "-q", "--no-checkout", args.checkout_repo, str(root)], check=True)
    a, b = args.revs
    _git(root, "checkout", "-q", a)
    changed = len(_git(root, "diff", "--name-only", a, b).splitlines())
    Repo.open(root).index(workers=args.workers)
    proc = _daemon(root, args.workers)
    try:
        remote = RemoteStore(str(root / ".repointel/index.duckdb"))
        _poll(lambda: remote.status()["freshness"] == "current")
        files = remote.rows("SELECT count(*) FROM files")[0][0]
        co = _checkouts(root, remote, args.checkouts, _git(root, "rev-parse", a), _git(root, "rev-parse", b))
        remote.close()
    finally:
        _stop(proc)
    head = f"real repository {args.checkout_repo}: {a} <-> {b}, {changed} files differ ({files} indexed)"
    return head, {f"checkout {a}<->{b} -> fresh": co}


def _table(head: str, rows: dict[str, list[float]]) -> None:
    print(head)
    print(f"{'measure':<44}{'n':>5}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    for label, xs in rows.items():
        if xs:
            print(f"{label:<44}{len(xs):>5}{statistics.median(xs):>9.3f}{_pct(xs, 0.95):>9.3f}{max(xs):>9.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", default=sysconfig.get_paths()["stdlib"])
    ap.add_argument("--saves", type=int, default=200)
    ap.add_argument("--maps", type=int, default=10, help="time a map every N saves (0: never)")
    ap.add_argument("--checkouts", type=int, default=4)
    ap.add_argument("--same-file", default="_pydecimal.py",
                    help="a large file saved --same-saves times in a row (the daemon keeps its tree)")
    ap.add_argument("--same-saves", type=int, default=30)
    ap.add_argument("--poll-ms", type=float, default=5.0,
                    help="how often the reader asks the daemon's status while waiting for a save")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--checkout-repo", help="a real git repository (or mirror) to time checkouts in")
    ap.add_argument("--revs", nargs=2, default=["0.12", "3.0.0"], metavar=("A", "B"),
                    help="the two revisions of --checkout-repo to check out in turn")
    ap.add_argument("--skip-lib", action="store_true", help="only the --checkout-repo part")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_lib:
            _table(*_lib_run(args, tmp))
        if args.checkout_repo:
            _table(*_real_checkouts(args, tmp))


if __name__ == "__main__":
    main()
