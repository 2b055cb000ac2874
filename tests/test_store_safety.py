"""The index file itself under attack or bad luck (issue 18, items 3, 5, 6 and the reader protocol):
writes never leave the repository through symbolic links, change detection cannot be fooled by a
restored mtime, a damaged or foreign index is detected and rebuilt, a read-only index is still
served, and every reader protocol method and error class is the same through a daemon."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repointel import Repo, errors
from repointel.errors import PathOutsideRepoError, RepointelError
from repointel.indexer import RACY_NS
from repointel.store import TABLES, IndexStore

from .conftest import SMALL_REPO_FILES, git, make_git_repo, run_cli


def _tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


#: Exit codes of the error families (repointel.errors): a path escaping the repository is bad
#: usage, no index is "not found", a damaged or read-only index a storage failure.
USAGE, NOT_FOUND, STORAGE = 2, 3, 5


def _one_line_error(proc: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    err = proc.stderr.strip()
    assert "\n" not in err and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


# -- 1. no write outside the repository through symbolic links ------------------------------------
@pytest.mark.parametrize("cmd", [["index"], ["map", "--repo"], ["status", "--repo"]])
def test_committed_index_folder_link_is_refused(tmp_path: Path, cmd: list[str]) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = make_git_repo(tmp_path / "r", dict(SMALL_REPO_FILES))
    os.symlink(outside, root / ".repointel")
    git(root, "add", "-f", ".repointel")
    git(root, "commit", "-q", "-m", "ship a link")
    proc = run_cli(*cmd, str(root), check=False)
    _one_line_error(proc, USAGE, "PathOutsideRepoError", ".repointel is a symbolic link")
    assert _tree(outside) == []


def test_index_file_linked_to_an_outside_database_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "outside" / "theirs.duckdb"
    other.parent.mkdir()
    with Repo.open(make_git_repo(tmp_path / "seed", {"a.py": "A = 1\n"})) as seed:
        seed.index(workers=1)
        shutil.copy(seed.db_path, other)  # an existing DuckDB file somewhere else
    before = other.read_bytes()
    root = make_git_repo(tmp_path / "r", dict(SMALL_REPO_FILES))
    (root / ".repointel").mkdir()
    os.symlink(other, root / ".repointel" / "index.duckdb")
    for cmd in (["index", str(root)], ["map", "--repo", str(root)], ["query", "SELECT 1", "--repo", str(root)]):
        _one_line_error(run_cli(*cmd, check=False), USAGE, ".repointel/index.duckdb is a symbolic link")
    assert other.read_bytes() == before
    assert _tree(other.parent) == ["theirs.duckdb"]


@pytest.mark.parametrize("name", ["index.duckdb", "index.duckdb.wal", ".gitignore", "index.duckdb.lock"])
def test_link_to_a_path_that_does_not_exist_yet_is_refused(tmp_path: Path, name: str) -> None:
    target = tmp_path / "outside" / "created-here"
    target.parent.mkdir()
    root = make_git_repo(tmp_path / "r", dict(SMALL_REPO_FILES))
    (root / ".repointel").mkdir()
    os.symlink(target, root / ".repointel" / name)
    _one_line_error(run_cli("index", str(root), check=False), USAGE, f".repointel/{name} is a symbolic link")
    assert _tree(target.parent) == []
    with pytest.raises(PathOutsideRepoError):
        Repo.open(root).index(workers=1)
    assert _tree(target.parent) == []


@pytest.mark.parametrize("name", ["daemon.log", "daemon.pid"])
def test_daemon_files_linked_outside_are_refused(tmp_path: Path, name: str) -> None:
    target = tmp_path / "outside" / "created-here"
    target.parent.mkdir()
    root = make_git_repo(tmp_path / "r", dict(SMALL_REPO_FILES))
    (root / ".repointel").mkdir()
    os.symlink(target, root / ".repointel" / name)
    _one_line_error(run_cli("watch", str(root), "--detach", check=False), USAGE, f".repointel/{name} is a symbolic link")
    assert _tree(target.parent) == []


def test_a_user_given_index_path_may_lie_anywhere(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path / "r", dict(SMALL_REPO_FILES))
    db = tmp_path / "elsewhere" / "my.duckdb"
    with Repo.open(root, index_path=str(db)) as repo:
        assert repo.index(workers=1).parsed == 5
        assert repo.symbols(name="Invoice")
    assert db.exists() and not (root / ".repointel").exists()


# -- 3. change detection: a restored mtime, an unfinished first run, --verify ----------------------
def test_same_size_edit_with_restored_mtime_is_seen(small_repo: Path) -> None:
    path = small_repo / "pkg" / "money.py"
    with Repo.open(small_repo) as repo:
        repo.index(workers=1)
        st = os.stat(path)
        text = path.read_text()
        edited = text.replace("Money", "Mxney", 1)
        assert len(edited) == len(text)
        time.sleep(0.06)  # past the racy window (RACY_NS): the stat facts alone must tell
        path.write_text(edited)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # cp -p / rsync -a / tar x
        assert os.stat(path).st_mtime_ns == st.st_mtime_ns and os.stat(path).st_size == st.st_size
        assert repo.status().stale_paths == ["pkg/money.py"]
        stats = repo.index(workers=1)
        assert stats.parsed == 1
        assert repo.symbols(name="Mxney") and repo.status().freshness == "current"


def test_restored_copy_of_an_older_file_is_seen(small_repo: Path, tmp_path: Path) -> None:
    """``cp -p`` of a saved copy over an edited file: bytes, size and mtime back to the indexed
    ones would be harmless; here the saved copy differs but has the indexed size and mtime."""
    path = small_repo / "pkg" / "money.py"
    with Repo.open(small_repo) as repo:
        repo.index(workers=1)
        saved = tmp_path / "money.py"
        saved.write_text(path.read_text().replace("Money", "Mxney", 1))
        st = os.stat(path)
        os.utime(saved, ns=(st.st_atime_ns, st.st_mtime_ns))
        time.sleep(0.06)
        subprocess.run(["cp", "-p", str(saved), str(path)], check=True)
        assert repo.index(workers=1).parsed == 1
        assert repo.symbols(name="Mxney")


def test_a_first_index_killed_early_never_says_current(tmp_path: Path) -> None:
    files = {f"pkg/m{i}.py": f"def f{i}():\n    return {i}\n" * 60 for i in range(300)}
    root = make_git_repo(tmp_path / "r", files)
    proc = subprocess.Popen([sys.executable, "-m", "repointel", "index", str(root), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list((root / ".repointel").glob("index.duckdb.writing-*")) and time.monotonic() < deadline:
        time.sleep(0.01)  # the run is writing its copy: kill it now
    proc.kill()
    proc.wait()
    out = run_cli("status", "--repo", str(root), check=False)
    assert "freshness current" not in out.stdout
    _one_line_error(out, NOT_FOUND, "IndexMissingError", "repointel index")
    stats = json.loads(run_cli("index", str(root), "--json").stdout)
    assert stats["parsed"] == 300
    assert not list((root / ".repointel").glob("index.duckdb.writing-*"))  # the stray copy is gone
    assert "freshness current" in run_cli("status", "--repo", str(root)).stdout


def _tables(db: str) -> dict[str, list[tuple[object, ...]]]:
    store = IndexStore(db, read_only=True)
    try:
        return {t: store.table(t) for t in TABLES if t not in ("history", "cochange")}
    finally:
        store.close()


def test_verify_repairs_rows_whose_sha256_no_longer_matches(small_repo: Path) -> None:
    # files written within RACY_NS of the index run are re-hashed on every run (their stat proves
    # nothing), which would re-parse the tampered row without --verify: let them age past it
    time.sleep(2 * RACY_NS / 1e9)
    with Repo.open(small_repo) as repo:
        repo.index(workers=1)
        db = repo.db_path
    good = _tables(db)
    store = IndexStore(db)  # a row that no longer matches its file: damage, or a bug
    with store.transaction():
        store.execute("UPDATE files SET sha256 = repeat('0', 64) WHERE path = 'pkg/money.py'")
        store.execute("DELETE FROM symbols WHERE path = 'pkg/money.py'")
    store.close()
    assert json.loads(run_cli("index", str(small_repo), "--json").stdout)["parsed"] == 0  # stat unchanged
    out = run_cli("index", str(small_repo), "--verify", "--json")
    stats = json.loads(out.stdout)
    assert (stats["verified"], stats["repaired"], stats["parsed"]) == (5, 1, 1)
    assert _tables(db) == good


# -- 4. damaged and foreign index files ---------------------------------------------------------------
def _truncate(db: Path) -> None:
    os.truncate(db, db.stat().st_size // 3)


def _random_blocks(db: Path) -> None:
    size = db.stat().st_size
    with open(db, "r+b") as fh:
        for off in range(4096 * 3, size, 65536):  # past DuckDB's headers: every data block hit
            fh.seek(off)
            fh.write(os.urandom(4096))


def _drop_table(db: Path) -> None:
    store = IndexStore(str(db))
    store.execute("DROP TABLE symbols")
    store.close()


def _drop_column(db: Path) -> None:
    store = IndexStore(str(db))
    store.execute("ALTER TABLE files DROP COLUMN sha256")
    store.close()


def _foreign(db: Path) -> None:
    db.unlink()
    with Repo.open(db.parent.parent, index_path=str(db.parent / "tmp.duckdb")) as other:
        other.index(workers=1)
    store = IndexStore(str(db.parent / "tmp.duckdb"))
    store.execute("DROP TABLE meta")
    store.execute("CREATE TABLE invoices (id INTEGER)")
    store.close()
    os.replace(db.parent / "tmp.duckdb", db)


def _garbage(db: Path) -> None:
    db.write_bytes(os.urandom(300_000))


DAMAGE = {"truncated": _truncate, "random-blocks": _random_blocks, "dropped-table": _drop_table,
          "dropped-column": _drop_column, "foreign-duckdb": _foreign, "not-duckdb": _garbage}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damaged_index_is_reported_in_one_line_and_rebuilt(small_repo: Path, kind: str) -> None:
    with Repo.open(small_repo) as repo:
        repo.index(workers=1)
        db = Path(repo.db_path)
    DAMAGE[kind](db)
    for cmd in (["status", "--repo"], ["map", "--no-index", "--repo"], ["symbols", "Invoice", "--repo"]):
        err = _one_line_error(run_cli(*cmd, str(small_repo), check=False), STORAGE, "repointel index")
        assert "IndexCorruptError" in err and "locked" not in err
    fix = "--verify" if kind == "random-blocks" else ""
    out = run_cli("index", str(small_repo), *([fix] if fix else []))
    assert "moved it aside to index.duckdb.damaged-" in out.stderr
    assert len(list(db.parent.glob("index.duckdb.damaged-*"))) == 1
    status = run_cli("status", "--repo", str(small_repo)).stdout
    assert "5 files" in status and "freshness current" in status


def test_damage_in_a_foreign_file_is_never_written_into(small_repo: Path) -> None:
    with Repo.open(small_repo) as repo:
        repo.index(workers=1)
        db = Path(repo.db_path)
    _foreign(db)
    with pytest.raises(errors.IndexCorruptError, match="not a repointel index"):
        IndexStore(str(db))  # read-write: refused, nothing created in it
    aside_bytes = db.read_bytes()
    run_cli("index", str(small_repo))
    (aside,) = db.parent.glob("index.duckdb.damaged-*")
    assert aside.read_bytes() == aside_bytes


def test_read_only_index_is_served_read_only(small_repo: Path) -> None:
    with Repo.open(small_repo) as repo:
        repo.index(workers=1)
        db = Path(repo.db_path)
    (small_repo / "pkg" / "money.py").write_text("class Money:\n    cents = 0\n")  # needs a refresh
    os.chmod(db, 0o444)
    os.chmod(db.parent, 0o555)
    try:
        out = run_cli("map", "--repo", str(small_repo))
        assert "pkg/billing.py" in out.stdout and "read-only" in out.stderr
        out = run_cli("context", "Invoice total is wrong", "--repo", str(small_repo))
        assert "pkg/billing.py" in out.stdout
        _one_line_error(run_cli("index", str(small_repo), check=False), STORAGE, "IndexReadOnlyError")
    finally:
        os.chmod(db.parent, 0o755)
        os.chmod(db, 0o644)


# -- 6. one reader protocol; every error class through the daemon ----------------------------------
def test_remote_store_is_a_reader_without_write_methods() -> None:
    from repointel.store import IndexReader
    from repointel.store_client import RemoteStore

    assert not issubclass(RemoteStore, IndexStore)
    readers = [m for m in dir(IndexReader) if not m.startswith("_")]
    for cls in (IndexStore, RemoteStore):
        assert all(callable(getattr(cls, m, None)) or m in cls.__annotations__ or hasattr(cls, m)
                   for m in readers), cls
    for write in ("transaction", "replace_files", "replace_table", "replace_rows", "insert", "execute",
                  "set_meta"):
        assert hasattr(IndexStore, write) and not hasattr(RemoteStore, write)


def test_every_error_class_survives_the_daemon_round_trip() -> None:
    from repointel.daemon import error_answer
    from repointel.store_client import ERRORS, raise_answer

    classes = [getattr(errors, n) for n in errors.__all__]
    assert set(ERRORS.values()) == set(classes)
    for cls in classes:
        wire = json.loads(json.dumps(error_answer(cls("what went wrong"))))
        with pytest.raises(cls) as info:
            raise_answer(wire)
        assert type(info.value) is cls and str(info.value) == "what went wrong"
    wire = json.loads(json.dumps(error_answer(ValueError("bad request"))))
    with pytest.raises(RepointelError, match="ValueError: bad request"):
        raise_answer(wire)


def test_a_daemons_errors_arrive_as_their_own_classes(small_repo: Path) -> None:
    from repointel.store_client import connect_daemon

    with Repo.open(small_repo) as repo:
        repo.index(workers=1)
        db = repo.db_path
    log = open(small_repo.parent / "daemon.log", "ab")  # noqa: SIM115
    daemon = subprocess.Popen([sys.executable, "-m", "repointel", "watch", str(small_repo), "--workers", "1"],
                              stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        remote = None
        while remote is None and time.monotonic() < deadline:
            remote = connect_daemon(db)
            time.sleep(0.05)
        assert remote is not None
        try:
            with pytest.raises(errors.TokenizerError):  # was RepointelError: only 3 classes crossed
                remote.built("map", task=None, budget=100, tokenizer="nope")
            with pytest.raises(errors.QueryTimeoutError):
                remote.user_query("SELECT count(*) FROM range(100000000) a, range(100000000) b", 10, 0.3)
            with pytest.raises(errors.QueryError):
                remote.table("nope")
        finally:
            remote.close()
    finally:
        daemon.terminate()
        daemon.wait(30)
