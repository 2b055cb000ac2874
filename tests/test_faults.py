"""Fault injection (issue 18): kills, corruption and concurrency against the index file.

Sized for CI (well under a minute together); ``REPOINTEL_FAULT_ROUNDS=N`` multiplies every loop
for a longer run (each test prints its outcome counts with ``-s``)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from repointel import Repo
from repointel.errors import RepointelError
from repointel.store import TABLES, IndexStore

from .conftest import make_git_repo, make_indexed_repo, run_cli

ROUNDS = max(1, int(os.environ.get("REPOINTEL_FAULT_ROUNDS", "1")))
COMPARED = [t for t in TABLES if t not in ("history", "cochange")]


def _files(n: int, tag: str = "") -> dict[str, str | bytes]:
    return {f"pkg/mod{i}.py": f"class K{i}{tag}:\n    def run(self):\n        return {i}\n" * 30 for i in range(n)}


def _state(db: str) -> dict[str, list[tuple[object, ...]]]:
    store = IndexStore(db, read_only=True)
    try:
        return {t: store.table(t) for t in COMPARED}
    finally:
        store.close()


def _symbols(root: Path) -> int:
    with Repo.open(root) as repo:
        return int(repo.query("SELECT count(*) FROM symbols")["rows"][0][0])


def _index_proc(root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "repointel", "index", str(root), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_readers_during_a_long_index_get_the_last_committed_state(tmp_path: Path) -> None:
    """Without a daemon, readers in other processes and in this one are served the index as the
    last run committed it while a long run writes: never an error, never a half-written state."""
    root = make_indexed_repo(tmp_path / "r", _files(300 * ROUNDS))
    before = _symbols(root)
    for i in range(0, 300 * ROUNDS, 2):
        (root / f"pkg/mod{i}.py").write_text(f"def changed{i}():\n    return {i}\n" * 40)
    proc = _index_proc(root)
    seen: list[int] = []
    cli_ok = 0
    while proc.poll() is None:
        with Repo.open(root) as repo:
            seen.append(int(repo.query("SELECT count(*) FROM symbols")["rows"][0][0]))
            if len(seen) % 10 == 1:
                assert repo.map(budget=256).entries
        if len(seen) == 3:
            cli_ok += "files" in run_cli("status", "--repo", str(root)).stdout
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    after = _symbols(root)
    assert after != before
    assert set(seen) <= {before, after}
    assert seen.count(before) >= 3 and cli_ok == 1, (seen, cli_ok)
    print(f"\nreaders during one index run: {len(seen)} API calls + {cli_ok} CLI calls, all answered")


def test_kill_index_at_random_moments(tmp_path: Path) -> None:
    """``kill -9`` of a run at any moment: the index is the old state or the new one, readers that
    had it open keep reading, and the next run removes the killed run's copy."""
    root = make_indexed_repo(tmp_path / "r", _files(200))
    db = str(root / ".repointel" / "index.duckdb")
    before = _state(db)
    saved = tmp_path / "before.duckdb"
    shutil.copy(db, saved)
    for i in range(0, 200, 2):
        (root / f"pkg/mod{i}.py").write_text(f"def changed{i}():\n    return {i}\n" * 30)
    t0 = time.perf_counter()
    full = _index_proc(root)
    full.wait()
    run_s = time.perf_counter() - t0
    after = _state(db)
    rng = random.Random(18)
    outcomes = {"before": 0, "after": 0}
    for _ in range(3 * ROUNDS):
        shutil.copy(saved, db)  # the pre-change index again
        reader = IndexStore(db, read_only=True)  # open across the kill
        proc = _index_proc(root)
        time.sleep(rng.uniform(0.05, run_s + 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert reader.table("symbols") == before["symbols"]
        reader.close()
        state = _state(db)
        assert state in (before, after)
        outcomes["before" if state == before else "after"] += 1
        with Repo.open(root) as repo:
            repo.index(workers=1)
        assert _state(db) == after
        assert not list(Path(db).parent.glob("index.duckdb.writing-*"))
    print(f"\nkills: {outcomes}")


def test_corruption_at_random_places(tmp_path: Path) -> None:
    """Random bytes written into, or a cut anywhere in, the index: every reader call either answers
    right or raises a one-line RepointelError, and ``index --verify`` restores the same index."""
    root = make_indexed_repo(tmp_path / "r", _files(60))
    db = Path(root / ".repointel" / "index.duckdb")
    good = _state(str(db))
    saved = tmp_path / "good.duckdb"
    shutil.copy(db, saved)
    rng = random.Random(6)
    outcomes = {"answered": 0, "refused": 0, "rebuilt": 0}
    for _ in range(4 * ROUNDS):
        for p in db.parent.glob("index.duckdb*"):
            if p.is_file():
                p.unlink()
        shutil.copy(saved, db)
        size = db.stat().st_size
        if rng.random() < 0.3:
            os.truncate(db, rng.randrange(0, size))
        else:
            with open(db, "r+b") as fh:
                for _ in range(rng.randint(1, 4)):
                    fh.seek(rng.randrange(0, size))
                    fh.write(os.urandom(rng.choice([8, 512, 4096, 65536])))
        try:
            with Repo.open(root) as repo:
                repo.status()
                repo.symbols(name="K3")
                repo.map(budget=256)
            outcomes["answered"] += 1
        except RepointelError as exc:
            assert "\n" not in str(exc)
            outcomes["refused"] += 1
        with Repo.open(root) as repo:
            stats = repo.index(workers=1, verify=True)
        outcomes["rebuilt"] += stats.notice is not None
        assert _state(str(db)) == good
    print(f"\ncorruptions: {outcomes}")


def test_concurrent_index_runs(tmp_path: Path) -> None:
    """Runs started together: each one finishes or says in one line that another run writes; the
    result equals a fresh index."""
    root = make_git_repo(tmp_path / "r", _files(150))
    outcomes = {"ran": 0, "locked": 0}
    for round_ in range(ROUNDS):
        for i in range(0, 150, 3):
            (root / f"pkg/mod{i}.py").write_text(f"def round{round_}_{i}():\n    return {i}\n" * 20)
        procs = [_index_proc(root) for _ in range(3)]
        for proc in procs:
            proc.wait()
            err = (proc.stderr.read() if proc.stderr else b"").decode().strip()
            if proc.returncode == 0:
                outcomes["ran"] += 1
            else:
                assert "IndexLockedError" in err and "\n" not in err, err
                outcomes["locked"] += 1
        run_cli("index", str(root))
        fresh = tmp_path / f"fresh{round_}"
        shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".repointel"))
        json.loads(run_cli("index", str(fresh), "--json").stdout)
        assert _strip(_state(str(root / ".repointel/index.duckdb"))) == _strip(
            _state(str(fresh / ".repointel/index.duckdb")))
    assert outcomes["ran"] >= ROUNDS
    print(f"\nconcurrent runs: {outcomes}")


def _strip(tables: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    keep = [i for i, (c, _) in enumerate(TABLES["files"]) if c not in ("mtime_ns", "ctime_ns", "inode")]
    return {t: ([tuple(r[i] for i in keep) for r in rows] if t == "files" else rows) for t, rows in tables.items()}
