"""Killing ``repointel index`` at random moments always leaves an index that opens and equals
either the previous state or the new one."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from repointel import Repo
from repointel.store import TABLES, IndexStore

from .conftest import make_git_repo

KILLS = 24


def _state(db: str) -> dict[str, list[tuple[object, ...]]]:
    store = IndexStore(db, read_only=True)
    try:
        return {t: store.table(t) for t in TABLES if t not in ("history", "cochange")}
    finally:
        store.close()


def _restore(saved: Path, db: Path) -> None:
    for suffix in ("", ".wal"):
        p = Path(str(db) + suffix)
        if p.exists():
            p.unlink()
    shutil.copy(saved, db)


def test_kill_index_at_random_moments(tmp_path: Path) -> None:
    files = {f"pkg/mod{i}.py": f"class K{i}:\n    def run(self):\n        return {i}\n" * 40
             for i in range(400)}
    root = make_git_repo(tmp_path / "r", files)
    with Repo.open(root) as repo:
        repo.index(workers=1)
        db = Path(repo.db_path)
    before = _state(str(db))
    saved = tmp_path / "before.duckdb"
    shutil.copy(db, saved)
    for i in range(0, 400, 2):  # the change the killed runs are applying
        (root / f"pkg/mod{i}.py").write_text(f"def changed{i}():\n    return {i}\n" * 30)
    t0 = time.perf_counter()
    with Repo.open(root) as repo:
        repo.index(workers=1)
    full_run = time.perf_counter() - t0
    after = _state(str(db))
    assert before != after
    rng = random.Random(11)
    outcomes = {"before": 0, "after": 0}
    for i in range(KILLS):
        _restore(saved, db)
        streamed = ["--flush-rows", "300"] if i % 2 else []  # half the runs write as they go
        proc = subprocess.Popen([sys.executable, "-m", "repointel", "index", str(root),
                                 "--workers", "1", "--json", *streamed],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, full_run + 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        state = _state(str(db))
        assert state in (before, after)
        outcomes["before" if state == before else "after"] += 1
    assert outcomes["before"] > 0  # we did interrupt some runs mid-flight
