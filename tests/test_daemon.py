"""``repointel watch``: real file-system events in tmp git repositories, real daemon processes.

Every test waits for conditions with timeouts (never asserts timings): the daemon's index must
converge to what a fresh full index of a copy of the work tree holds.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from repointel import Repo
from repointel.daemon import classify_event
from repointel.store import TABLES, IndexStore
from repointel.store_client import RemoteStore, connect_daemon, daemon_pid, decode, encode

from .conftest import git, make_git_repo, run_cli

COMPARED = [t for t in TABLES if t not in ("history", "cochange")]
TIMEOUT = 180.0


# -- helpers -----------------------------------------------------------------------------------------
def _strip(tables: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """The tables without the files' stat facts (mtime, ctime, inode differ between a copy and its source)."""
    keep = [i for i, (c, _) in enumerate(TABLES["files"]) if c not in ("mtime_ns", "ctime_ns", "inode")]
    return {t: ([tuple(r[i] for i in keep) for r in rows] if t == "files" else rows) for t, rows in tables.items()}


def _snapshot(store: IndexStore) -> dict[str, list[tuple[Any, ...]]]:
    return _strip({t: store.table(t) for t in COMPARED})


def _fresh(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    copy = root.parent / f"fresh-{random.random()}"
    shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(".repointel"))
    try:
        with Repo.open(copy) as repo:
            repo.index(workers=1)
            store = IndexStore(repo.db_path, read_only=True)
            try:
                return _snapshot(store)
            finally:
                store.close()
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def _db(root: Path) -> str:
    return str(root / ".repointel" / "index.duckdb")


def _wait(cond: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _daemon_snapshot(root: Path) -> dict[str, list[tuple[Any, ...]]] | None:
    remote = connect_daemon(_db(root))
    if remote is None:
        return None
    try:
        return _snapshot(remote)
    finally:
        remote.close()


def _converges(root: Path, what: str) -> None:
    """Once quiet, the daemon's index equals a fresh full index of the work tree."""
    want = _fresh(root)
    last: list[Any] = [None]

    def same() -> bool:
        last[0] = _daemon_snapshot(root)
        return bool(last[0] == want)

    try:
        _wait(same, what)
    except AssertionError:
        got = last[0] or {}
        diff = {t: (sorted(set(got.get(t, [])) ^ set(want[t])))[:5] for t in want if got.get(t) != want[t]}
        raise AssertionError(f"{what}: daemon index differs from a fresh one: {diff}") from None


def _status(root: Path) -> dict[str, Any]:
    remote = connect_daemon(_db(root))
    assert remote is not None, "no daemon"
    try:
        return remote.status()
    finally:
        remote.close()


def _quiet(root: Path, what: str) -> dict[str, Any]:
    """Wait until the daemon has applied every event it saw; its status then."""
    last: dict[str, Any] = {}

    def done() -> bool:
        last.update(_status(root))
        return bool(last["pending"] == 0 and not last["applying"] and last["freshness"] == "current")

    _wait(done, what)
    return last


def _commit(root: Path) -> str | None:
    with Repo.open(root) as repo:
        return repo.status().commit


def _start(root: Path, *extra: str) -> subprocess.Popen[bytes]:
    log = open(root.parent / f"daemon-{root.name}.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "repointel", "watch", str(root), "--workers", "1", *extra],
                            stdout=log, stderr=log)
    _wait(lambda: connect_daemon(_db(root)) is not None or proc.poll() is not None, "the daemon to listen")
    assert proc.poll() is None, (root.parent / f"daemon-{root.name}.log").read_text()
    _wait(lambda: _status(root)["batches"] >= 1, "the catch-up batch")
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def watched(small_repo: Path) -> Iterator[Path]:
    """The small repository with a daemon watching it."""
    proc = _start(small_repo)
    try:
        yield small_repo
    finally:
        _stop(proc)


def _symbols(root: Path, path: str) -> list[str]:
    with Repo.open(root) as repo:
        return [d.name for d in repo.symbols(path=path)]


# -- unit pieces -------------------------------------------------------------------------------------
def test_values_survive_the_wire() -> None:
    import datetime as dt
    import decimal

    values = [None, True, False, 1, 2**70, 1.5, float("inf"), "x", b"\x00\xffraw", ["a", None],
              {"k": [1, 2]}, dt.datetime(2026, 1, 2, 3, 4, 5), dt.date(2026, 1, 2),
              decimal.Decimal("1.25"), dt.timedelta(days=1, seconds=3)]
    assert decode(json.loads(json.dumps(encode(values)))) == values


def test_event_classes() -> None:
    assert classify_event(".repointel/index.duckdb.wal") == "ignore"
    assert classify_event(".git/objects/ab/cdef") == "ignore"
    assert classify_event(".git/index.lock") == "git"
    assert classify_event(".git/HEAD.lock") == "ignore"
    assert classify_event(".git/HEAD") == "full"
    assert classify_event(".git/refs/heads/main") == "full"
    assert classify_event("sub/.gitignore") == "full"
    assert classify_event("pkg/a.py") == "path"


# -- editor saves, deletes, renames ---------------------------------------------------------------
def test_atomic_and_vim_saves(watched: Path) -> None:
    target = watched / "pkg/money.py"
    tmp = watched / "pkg/.money.py.tmp.4242"  # atomic save: temp file renamed over the target
    tmp.write_text("class Money:\n    pass\n\n\ndef atomic_saved():\n    return 1\n")
    os.replace(tmp, target)
    _wait(lambda: "atomic_saved" in _symbols(watched, "pkg/money.py"), "the atomic save")
    # vim: writability probe 4913, backup file~, swap file, new file written, backup removed
    probe = watched / "pkg/4913"
    probe.write_text("")
    probe.unlink()
    swap = watched / "pkg/.money.py.swp"
    swap.write_bytes(b"b0VIM 9.0\x00" * 10)
    os.rename(target, watched / "pkg/money.py~")
    target.write_text("class Money:\n    pass\n\n\ndef vim_saved():\n    return 2\n")
    (watched / "pkg/money.py~").unlink()
    swap.unlink()
    _wait(lambda: "vim_saved" in _symbols(watched, "pkg/money.py"), "the vim save")
    # vim with backupcopy=yes: the original copied to file~, the target rewritten in place
    shutil.copy2(target, watched / "pkg/money.py~")
    with open(target, "r+") as fh:
        fh.truncate(0)
        fh.write("class Money:\n    pass\n\n\ndef vim_in_place():\n    return 3\n")
    _wait(lambda: "vim_in_place" in _symbols(watched, "pkg/money.py"), "the in-place vim save")
    _converges(watched, "editor saves (with a backup file~ left behind)")
    (watched / "pkg/money.py~").unlink()
    _converges(watched, "editor saves")
    with Repo.open(watched) as repo:  # Repo.index() asks the daemon instead of opening the file
        assert repo.index().scanned == 5
        assert repo.status().freshness in ("current", "stale")


def test_delete_rename_file_and_directories(watched: Path) -> None:
    (watched / "README.md").unlink()
    _converges(watched, "a deletion")
    os.rename(watched / "pkg/money.py", watched / "pkg/cash.py")
    _converges(watched, "a file rename")
    os.rename(watched / "pkg", watched / "billing")
    _wait(lambda: "Money" in _symbols(watched, "billing/cash.py"), "the directory rename")
    _converges(watched, "a directory rename")
    (watched / "new/deep/er").mkdir(parents=True)
    (watched / "new/deep/er/mod.py").write_text("def in_new_dir():\n    return 1\n")
    (watched / "new/top.py").write_text("def top():\n    return 1\n")
    _converges(watched, "new directories")
    shutil.rmtree(watched / "new")
    _converges(watched, "a directory deletion")


def test_gitignore_changes_what_is_indexed(watched: Path) -> None:
    (watched / "build").mkdir()
    (watched / "build/gen.py").write_text("def generated():\n    return 1\n")
    _wait(lambda: _symbols(watched, "build/gen.py") == ["generated"], "the untracked file")
    (watched / ".gitignore").write_text("build/\n")
    _wait(lambda: _symbols(watched, "build/gen.py") == [], "the ignored directory to leave")
    _converges(watched, "a .gitignore change")
    (watched / ".gitignore").write_text("# nothing ignored\n")
    _wait(lambda: _symbols(watched, "build/gen.py") == ["generated"], "the directory to return")
    _converges(watched, "a .gitignore change back")


def _storm_repo(root: Path, n: int) -> Path:
    files: dict[str, str | bytes] = {f"mod{i // 100}/m{i}.py": f"def base_{i}():\n    return {i}\n"
                                     for i in range(n)}
    return make_git_repo(root, files)


def test_checkout_storm_is_one_batch(tmp_path: Path) -> None:
    """``git checkout`` between commits 1,700 files apart: one batch each way, then fresh."""
    root = _storm_repo(tmp_path / "storm", 1600)
    git(root, "checkout", "-q", "-b", "other")
    for i in range(1600):
        if i % 17 == 0:
            (root / f"mod{i // 100}/m{i}.py").unlink()
        else:
            (root / f"mod{i // 100}/m{i}.py").write_text(f"def other_{i}():\n    return -{i}\n")
    for i in range(120):
        (root / f"added/a{i}.py").parent.mkdir(exist_ok=True)
        (root / f"added/a{i}.py").write_text(f"def added_{i}():\n    return {i}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "other")
    git(root, "checkout", "-q", "main")
    proc = _start(root)
    try:
        for branch in ("other", "main", "other"):
            before = _quiet(root, "quiet before the checkout")["batches"]
            git(root, "checkout", "-q", branch)
            head = git(root, "rev-parse", "HEAD").strip()
            _wait(lambda h=head: _commit(root) == h, "the new commit in meta")  # type: ignore[misc]
            _converges(root, f"checkout {branch}")
            time.sleep(0.5)  # room for a second batch, which would be a failure
            assert _quiet(root, "quiet after the checkout")["batches"] == before + 1
    finally:
        _stop(proc)


def test_linked_worktree_commits_and_checkouts(tmp_path: Path) -> None:
    """In a linked worktree (``git worktree add``) HEAD, the index lock and refs live outside the
    work tree: a commit there still moves the index's commit, and a checkout is one batch."""
    main = _storm_repo(tmp_path / "main", 400)
    root = tmp_path / "wt"
    git(main, "worktree", "add", "-q", "-b", "feature", str(root))
    git(root, "checkout", "-q", "-b", "wide")
    for i in range(0, 400, 2):
        (root / f"mod{i // 100}/m{i}.py").write_text(f"def wide_{i}():\n    return -{i}\n")
    git(root, "commit", "-q", "-am", "wide")
    git(root, "checkout", "-q", "feature")
    proc = _start(root)
    try:
        (root / "mod0/m1.py").write_text("def edited():\n    return 1\n")
        _wait(lambda: "edited" in _symbols(root, "mod0/m1.py"), "the edit")
        git(root, "commit", "-q", "-am", "edit in the worktree")  # touches no work-tree file
        head = git(root, "rev-parse", "HEAD").strip()
        _wait(lambda: _commit(root) == head, "the worktree's new commit in meta")
        before = _quiet(root, "quiet before the checkout")["batches"]
        git(root, "checkout", "-q", "wide")
        head = git(root, "rev-parse", "HEAD").strip()
        _wait(lambda h=head: _commit(root) == h, "the checked-out commit in meta")  # type: ignore[misc]
        _converges(root, "a checkout in a worktree")
        time.sleep(0.5)  # room for a second batch, which would be a failure
        assert _quiet(root, "quiet after the checkout")["batches"] == before + 1
    finally:
        _stop(proc)


def test_rebase_storm(tmp_path: Path) -> None:
    """``git rebase`` replaying 3 commits of 400 files each onto a moved main: fresh after."""
    root = _storm_repo(tmp_path / "rebase", 1200)
    git(root, "checkout", "-q", "-b", "topic")
    for c in range(3):
        for i in range(c * 400, (c + 1) * 400):
            (root / f"mod{i // 100}/m{i}.py").write_text(f"def topic_{c}_{i}():\n    return {i}\n")
        git(root, "commit", "-q", "-am", f"topic {c}")
    git(root, "checkout", "-q", "main")
    (root / "main_only.py").write_text("def on_main():\n    return 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "main moves")
    git(root, "checkout", "-q", "topic")
    proc = _start(root)
    try:
        before = _quiet(root, "quiet before the rebase")["batches"]
        git(root, "rebase", "-q", "main")
        head = git(root, "rev-parse", "HEAD").strip()
        _wait(lambda: _commit(root) == head, "the rebased commit in meta")
        _converges(root, "a rebase")
        time.sleep(0.5)
        batches = _quiet(root, "quiet after the rebase")["batches"] - before
        assert batches == 1, f"a rebase of 3 commits took {batches} batches"
    finally:
        _stop(proc)


# -- a random storm ------------------------------------------------------------------------------
def _storm(root: Path, rng: random.Random, ops: int) -> None:
    live = [p.relative_to(root).as_posix() for p in root.rglob("*.py") if ".repointel" not in p.parts]
    for n in range(ops):
        op = rng.random()
        if op < 0.35 and live:
            p = rng.choice(live)
            (root / p).write_text(f"def edited_{n}():\n    return {n}\n\n\nclass K{n}:\n    pass\n")
        elif op < 0.6 or not live:
            p = f"d{rng.randrange(12)}/s{rng.randrange(3)}/n{n}.py"
            (root / p).parent.mkdir(parents=True, exist_ok=True)
            (root / p).write_text(f"from d0 import x\n\n\ndef created_{n}():\n    return {n}\n")
            live.append(p)
        elif op < 0.8:
            p = live.pop(rng.randrange(len(live)))
            (root / p).unlink()
        elif op < 0.97:
            p = live.pop(rng.randrange(len(live)))
            q = f"d{rng.randrange(12)}/r{n}.py"
            (root / q).parent.mkdir(parents=True, exist_ok=True)
            os.rename(root / p, root / q)
            live.append(q)
        else:  # rename a whole directory
            d = f"d{rng.randrange(12)}"
            if (root / d).is_dir():
                os.rename(root / d, root / f"{d}-{n}")
                live = [f"{d}-{n}/{p[len(d) + 1:]}" if p.startswith(d + "/") else p for p in live]


def test_random_storm_equals_fresh_index(small_repo: Path) -> None:
    proc = _start(small_repo)
    try:
        _storm(small_repo, random.Random(7), 1200)
        _converges(small_repo, "a random storm of 1,200 operations")
        # a late batch (events of a file already applied) may still be pending: once it is
        # applied the status is current and the index still equals a fresh one
        assert _quiet(small_repo, "quiet after the storm")["freshness"] == "current"
        _converges(small_repo, "the storm, once quiet")
    finally:
        _stop(proc)


# -- readers in other processes -----------------------------------------------------------------------
_READER = r"""
import json, sys, time
from repointel import Repo
root, out, stop = sys.argv[1], sys.argv[2], sys.argv[3]
seen, errors = [], []
import os
while not os.path.exists(stop):
    try:
        with Repo.open(root) as repo:
            r = repo.query("SELECT (SELECT count(*) FROM files WHERE path LIKE 'gen/%'), "
                           "(SELECT list(name ORDER BY name) FROM symbols WHERE path LIKE 'gen/%')")
            names = sorted(d.name for d in repo.symbols(path="gen"))
        seen.append([r["rows"][0][0], r["rows"][0][1] or [], names])
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
json.dump({"seen": seen, "errors": errors}, open(out, "w"))
"""


def test_readers_in_other_processes_never_fail(small_repo: Path, tmp_path: Path) -> None:
    proc = _start(small_repo)
    script = tmp_path / "reader.py"
    script.write_text(_READER)
    stop, out = tmp_path / "stop", tmp_path / "seen.json"
    reader = subprocess.Popen([sys.executable, str(script), str(small_repo), str(out), str(stop)])
    try:
        (small_repo / "gen").mkdir()
        for i in range(100):
            before = _status(small_repo)["batches"]
            (small_repo / f"gen/f{i:03d}.py").write_text(f"def f{i:03d}():\n    return {i}\n")
            _wait(lambda b=before: _status(small_repo)["batches"] > b  # type: ignore[misc]
                  and _status(small_repo)["pending"] == 0, f"batch {i}")
        stop.write_text("")
        reader.wait(TIMEOUT)
    finally:
        stop.write_text("")
        _stop(proc)
    result = json.loads(out.read_text())
    print(f"reader: {len(result['seen'])} reads across 100 batches, {len(result['errors'])} errors")
    assert result["errors"] == []
    assert len(result["seen"]) >= 20
    valid = [[f"f{i:03d}" for i in range(n)] for n in range(101)]
    for count, names, api_names in result["seen"]:
        assert names == valid[count], (count, names)  # one statement: exactly one applied batch
        assert api_names in valid
    assert _daemon_snapshot(small_repo) is None  # stopped cleanly
    assert daemon_pid(_db(small_repo)) is None


def test_cli_and_mcp_readers_while_the_daemon_runs(watched: Path) -> None:
    """`repointel map/context/impact/query` and the MCP server in other processes: no lock errors."""
    from .test_mcp import _ok, _session

    (watched / "pkg/money.py").write_text("class Money:\n    pass\n\n\ndef via_cli():\n    return 1\n")
    _wait(lambda: "via_cli" in _symbols(watched, "pkg/money.py"), "the change")
    out = json.loads(run_cli("query", "SELECT name FROM symbols WHERE path = 'pkg/money.py' ORDER BY name",
                             "--repo", str(watched), "--json").stdout)
    assert out["rows"] == [["Money"], ["via_cli"]]
    assert "pkg/money.py" in run_cli("map", "--repo", str(watched), "--budget", "512").stdout
    assert "pkg/money.py" in run_cli("context", "via_cli is wrong", "--repo", str(watched)).stdout
    assert "pkg/billing.py" in run_cli("impact", "pkg/money.py", "--repo", str(watched)).stdout

    async def body(session: Any) -> None:
        found = (await _ok(session, "find_symbol", {"name": "via_cli"}))["result"]
        assert [d["path"] for d in found] == ["pkg/money.py"]
        (watched / "pkg/refunds.py").write_text("def refund(invoice):\n    return invoice\n")
        found = (await _ok(session, "find_symbol", {"name": "refund"}))["result"]  # synced by the daemon
        assert [d["path"] for d in found] == ["pkg/refunds.py"]
        status = await _ok(session, "index_status")
        assert status["files"] == 6

    _session(watched, body)
    assert _status(watched)["pid"] == daemon_pid(_db(watched))  # the daemon kept the index throughout


def test_maps_and_packets_built_in_the_daemon_equal_local_ones(small_repo: Path) -> None:
    """Repo.map/context are built inside a running daemon (its caches stay warm): same result."""
    task = "Invoice total is wrong when discount is zero"
    with Repo.open(small_repo) as repo:
        repo.index(workers=1)
        local_map, local_packet = repo.map(task, budget=400), repo.context(task, budget=2000, fmt="json")
    proc = _start(small_repo)
    try:
        with Repo.open(small_repo) as repo:
            assert isinstance(repo._reader(), RemoteStore)
            assert repo.map(task, budget=400) == local_map
            remote = repo.context(task, budget=2000, fmt="json")
        assert remote == local_packet
    finally:
        _stop(proc)


def test_concurrent_packets_equal_serial_ones(small_repo: Path) -> None:
    """The daemon builds packets on several threads that share the ranking caches (graphs,
    postings, idf, definitions): packets fired at once, for different tasks and budgets, equal
    the same packets built one by one."""
    tasks = ["Invoice total is wrong when discount is zero", "customer discount rounding",
             "add a tax rate to invoices", "total() of an empty invoice raises"]
    jobs = [(t, b) for t in tasks for b in (600, 1500, 3000)]
    with Repo.open(small_repo) as repo:
        repo.index(workers=1)
        serial = {job: repo.context(job[0], budget=job[1], fmt="json") for job in jobs}
    proc = _start(small_repo)
    try:
        def build(job: tuple[str, int]) -> Any:
            with Repo.open(small_repo) as repo:
                assert isinstance(repo._reader(), RemoteStore)
                return repo.context(job[0], budget=job[1], fmt="json")

        for _ in range(3):
            with ThreadPoolExecutor(max_workers=8) as pool:
                remote = list(pool.map(build, jobs * 2))
            assert remote == [serial[job] for job in jobs * 2]
    finally:
        _stop(proc)


# -- crashes -------------------------------------------------------------------------------------------
def test_kill_9_mid_batch_then_restart(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {f"pkg/mod{i}.py": f"class K{i}:\n    def run(self):\n        return {i}\n" * 30
                                     for i in range(300)}
    root = make_git_repo(tmp_path / "crash", files)
    rng = random.Random(3)
    killed_mid_batch = 0
    for round_ in range(3):
        proc = _start(root)
        before = _quiet(root, "the catch-up batch")["batches"]
        lock = root / ".git/index.lock"  # held by "git": the daemon waits, so the 150 saves make one batch
        lock.write_text("")  # even when a loaded machine spreads them wider than the quiet window
        for i in range(round_ % 2, 300, 2):
            (root / f"pkg/mod{i}.py").write_text(f"def changed_{round_}_{i}():\n    return {i}\n" * 20)
        _wait(lambda: _status(root)["pending"] >= 150, "the saves to arrive")
        lock.unlink()
        _wait(lambda: _status(root)["applying"], "the batch to start")
        time.sleep(rng.uniform(0.0, 0.3))
        st = _status(root)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed_mid_batch += st["applying"] and st["batches"] == before
        store = IndexStore(_db(root), read_only=True)  # the file opens: a whole previous batch or this one
        changed = store.rows("SELECT count(DISTINCT path) FROM symbols WHERE name LIKE ?", [f"changed_{round_}_%"])
        assert store.rows("SELECT count(*) FROM files")[0][0] == 300
        assert changed[0][0] in (0, 150), "a batch is applied whole or not at all"
        store.close()
        with Repo.open(root) as repo:  # stale pid file and socket: readers open the file directly
            assert repo.status().files == 300
    assert killed_mid_batch >= 1, "no kill landed while a batch was being applied"
    proc = _start(root)
    try:
        _converges(root, "a restart after kill -9")
    finally:
        _stop(proc)


# -- freshness: never silently old ------------------------------------------------------------------
def test_readers_see_stale_while_a_batch_is_held(watched: Path) -> None:
    """While git holds its index lock the batch waits: readers are told their files are stale."""
    lock = watched / ".git/index.lock"
    lock.write_text("")
    try:
        (watched / "pkg/money.py").write_text("class Money:\n    pass\n\n\ndef held_back():\n    return 1\n")
        _wait(lambda: _status(watched)["pending"] > 0, "the event to arrive")
        with Repo.open(watched) as repo:
            status = repo.status()
            assert status.freshness == "stale" and status.stale_paths == ["pkg/money.py"]
            assert "held_back" not in _symbols(watched, "pkg/money.py")
            packet = repo.context("Money in pkg/money.py is wrong", budget=4096)
            items = [i for i in packet.items if i.path == "pkg/money.py"]
            assert items and all(i.freshness == "stale" for i in items)
        assert "freshness stale" in run_cli("status", "--repo", str(watched)).stdout
    finally:
        lock.unlink()
    _wait(lambda: "held_back" in _symbols(watched, "pkg/money.py"), "the held batch")
    st = _quiet(watched, "freshness current")
    with Repo.open(watched) as repo:
        assert repo.status().freshness == "current"
        packet = repo.context("Money in pkg/money.py is wrong", budget=4096)
        assert all(i.freshness == "current" for i in packet.items)
    out = json.loads(run_cli("query", "SELECT key, value FROM meta WHERE key IN ('last_event', 'freshness')"
                             " ORDER BY key", "--repo", str(watched), "--json").stdout)
    assert out["rows"] == [["freshness", "current"], ["last_event", st["last_event"]]]


# -- inotify queue overflow and watch limits: real kernel limits ------------------------------------------
def test_inotify_overflow_rescans(watched: Path) -> None:
    """The daemon stopped while >max_queued_events events happen: the kernel drops events."""
    queued = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    pid = _status(watched)["pid"]
    lock = watched / ".git/index.lock"  # holds the rescan so that 'unknown' can be observed
    target = watched / "pkg/money.py"
    os.kill(pid, signal.SIGSTOP)
    try:
        lock.write_text("")
        for i in range(queued + 100):  # open, modify, close_write: 3 events each
            target.write_text(f"def overflowed_{i}():\n    return {i}\n")
    finally:
        os.kill(pid, signal.SIGCONT)
    try:
        _wait(lambda: _status(watched)["overflows"] >= 1, "the overflow to be noticed")
        assert _status(watched)["freshness"] == "unknown"
        with Repo.open(watched) as repo:
            assert repo.status().freshness == "unknown"
    finally:
        lock.unlink()
    _wait(lambda: _symbols(watched, "pkg/money.py") == [f"overflowed_{queued + 99}"], "the rescan")
    _quiet(watched, "freshness current after the rescan")
    _converges(watched, "a rescan after an overflow")


def _start_limited(root: Path, watches: int) -> subprocess.Popen[bytes]:
    """The daemon in a user namespace allowed only ``watches`` inotify watches (a real limit)."""
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "sh", "-c",
                            "echo 1 > /proc/sys/user/max_inotify_watches"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no user namespaces to lower the inotify limit in: {probe.stderr.decode()[:200]}")
    cmd = f"echo {watches} > /proc/sys/user/max_inotify_watches && exec \"$@\""
    log = open(root.parent / f"daemon-{root.name}.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(["unshare", "--user", "--map-root-user", "sh", "-c", cmd, "sh", sys.executable,
                             "-m", "repointel", "watch", str(root), "--workers", "1"], stdout=log, stderr=log)
    _wait(lambda: connect_daemon(_db(root)) is not None or proc.poll() is not None, "the daemon to listen")
    assert proc.poll() is None, (root.parent / f"daemon-{root.name}.log").read_text()
    _wait(lambda: _status(root)["batches"] >= 1, "the catch-up batch")
    return proc


def _dirs(root: Path) -> int:
    return 1 + sum(1 for p in root.rglob("*") if p.is_dir() and not p.is_symlink())


def test_watch_limit_at_start_falls_back_to_polling(small_repo: Path) -> None:
    proc = _start_limited(small_repo, 3)
    try:
        observer = _status(small_repo)["observer"]
        # either watchdog's first walk raised, or it skipped what did not fit (counted as "3 of N")
        assert observer.startswith("polling (inotify watch limit reached: "), observer
        assert "polling (inotify watch limit reached" in run_cli("status", "--repo", str(small_repo)).stdout
        (small_repo / "pkg/money.py").write_text("def polled():\n    return 1\n")
        _wait(lambda: _symbols(small_repo, "pkg/money.py") == ["polled"], "the polled change")
        _converges(small_repo, "polling")
    finally:
        _stop(proc)


def test_watch_limit_while_running_falls_back_to_polling(small_repo: Path) -> None:
    run_cli("index", str(small_repo))  # .repointel/ exists: it is watched too
    proc = _start_limited(small_repo, _dirs(small_repo) + 2)
    try:
        assert _status(small_repo)["observer"] == "inotify"
        for i in range(6):
            (small_repo / f"more{i}/deep").mkdir(parents=True)
            (small_repo / f"more{i}/deep/m.py").write_text(f"def more_{i}():\n    return {i}\n")
        _wait(lambda: _status(small_repo)["observer"].startswith("polling (inotify watch limit"), "the fallback")
        (small_repo / "more5/deep/late.py").write_text("def late():\n    return 1\n")
        _wait(lambda: _symbols(small_repo, "more5/deep/late.py") == ["late"], "a change in an unwatched directory")
        _converges(small_repo, "a fallback to polling while running")
    finally:
        _stop(proc)


def test_cli_detach_status_stop(small_repo: Path) -> None:
    out = run_cli("watch", str(small_repo), "--detach").stdout
    assert "watching" in out
    try:
        _wait(lambda: "freshness current" in run_cli("status", "--repo", str(small_repo)).stdout, "fresh")
        assert "daemon: pid" in run_cli("status", "--repo", str(small_repo)).stdout
        assert run_cli("watch", str(small_repo), check=False).returncode != 0  # one daemon per index
    finally:
        run_cli("watch", str(small_repo), "--stop")
    assert "not running" in run_cli("status", "--repo", str(small_repo)).stdout


def test_a_malformed_request_gets_an_error_and_the_connection_goes_on(watched: Path) -> None:
    """A reader that sends garbage, a JSON list or JSON nested past the parser's depth gets an
    error answer on that line; the same connection then answers a good request."""
    from repointel.store_client import socket_path

    _wait(lambda: os.path.exists(socket_path(_db(watched))), "the daemon's socket")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(TIMEOUT)
        sock.connect(socket_path(_db(watched)))
        reader = sock.makefile("rb")
        for bad in (b"not json", b"[1, 2]", b"[" * 100_000):
            sock.sendall(bad + b"\n")
            answer = json.loads(reader.readline())
            assert answer["ok"] is False and answer["error"] == "QueryError"
        sock.sendall(json.dumps({"op": "ping"}).encode() + b"\n")
        assert json.loads(reader.readline())["ok"] is True


def test_same_size_edit_with_restored_mtime_reaches_the_index(watched: Path) -> None:
    """An edit that keeps the size and restores the mtime (``cp -p``, ``rsync -a``, ``tar x``) is
    applied: the batch compares ctime and inode too."""
    _quiet(watched, "the catch-up batch")
    path = watched / "pkg" / "money.py"
    st = os.stat(path)
    text = path.read_text()
    edited = text.replace("Money", "Mxney", 1)
    assert len(edited) == len(text)
    time.sleep(0.06)  # past the racy window: the stat facts alone must tell
    path.write_text(edited)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    _wait(lambda: bool(_daemon_snapshot(watched) and any(
        r[1] == "Mxney" for r in (_daemon_snapshot(watched) or {}).get("symbols", []))), "the edit to be applied")
    _quiet(watched, "the edit")
    with Repo.open(watched) as repo:
        assert repo.status().freshness == "current"
    _converges(watched, "restored-mtime edit")
