"""One repository of a fleet, as one task: check out, index incrementally, export Parquet shards.

The task runs on a Ray worker (or in the caller's process) and never raises for a bad repository:
it returns a :class:`RepoResult` whose ``error`` says what went wrong, and leaves ``error.json``
beside the repository's previous shard, which stays readable. A worker killed mid-task leaves at
worst temporary files and a ``running.json`` marker: the shard a reader finds through
``manifest.json`` is always whole, because the manifest is renamed into place only after every
table file of its shard was.

Store layout (``DIR`` is the fleet store)::

    DIR/<repo-id>/manifest.json              the complete shard: commit, tables, rows, bytes
    DIR/<repo-id>/<commit>/<table>.parquet   one file per table, with a leading ``repo`` column
    DIR/<repo-id>/index.duckdb               the incremental index the next run starts from
    DIR/<repo-id>/running.json               while a task runs (run id, attempt, pid, host)
    DIR/<repo-id>/error.json                 the last failure, until a run succeeds
    DIR/_checkouts/<repo-id>/                clones of git URLs
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import socket
import subprocess
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from ..config import DERIVE_VERSION, EXTRACTOR_VERSION, SCHEMA_VERSION
from ..errors import RepointelError
from .models import ManifestEntry, RepoResult

__all__ = ["CHECKOUTS", "GIT_TIMEOUT", "MANIFEST_FORMAT", "MAX_REPO_FILES", "RepoFailure", "index_repository",
           "read_json", "write_json_atomic"]

#: Folder of the store holding the clones of git URLs (a repository id never starts with '_').
CHECKOUTS = "_checkouts"
#: A repository listing more files than this is refused as too large for one fleet task: the
#: biggest trees people index whole (the Linux kernel, ~90k files) fit three times over, while a
#: 400k-file monorepo needs more memory (~5 GB of index rows) than a one-CPU worker is given.
MAX_REPO_FILES = 300_000
#: A clone or fetch of one repository that takes longer is stuck (a dead remote), not slow.
GIT_TIMEOUT = 1800
#: Version of manifest.json's layout.
MANIFEST_FORMAT = 1


class RepoFailure(RepointelError):
    """A repository of the fleet could not be indexed (missing, corrupt, too large, unreachable)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def read_json(path: str) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None when it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _fsync_replace(tmp: str, final: str) -> None:
    """Make ``tmp`` durable, then rename it over ``final`` (atomic on POSIX)."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)


def write_json_atomic(path: str, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
    _fsync_replace(tmp, path)


# -- git ------------------------------------------------------------------------------------------
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}


def _git(*args: str, cwd: str | None = None, timeout: float = 120) -> str:
    """Run git; its stdout, or :class:`RepoFailure` with git's last error line."""
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env={**os.environ, **_GIT_ENV})
    except (OSError, subprocess.SubprocessError) as exc:
        raise RepoFailure(f"git {args[0]} failed: {exc}") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        raise RepoFailure(f"git {args[0]}: {lines[-1] if lines else f'exit {proc.returncode}'}")
    return proc.stdout.decode(errors="replace")


def _git_head(root: str) -> tuple[str | None, bool]:
    """(HEAD commit or None, dirty) of the work tree at ``root``; (None, False) outside git.
    A repository git cannot read (a broken ``.git``, missing objects) is a :class:`RepoFailure`."""
    try:
        _git("-C", root, "rev-parse", "--git-dir")
    except RepoFailure:
        if os.path.lexists(os.path.join(root, ".git")):
            raise RepoFailure(f"corrupt git repository at {root}: git cannot read its .git") from None
        return None, False
    head = None
    try:
        head = _git("-C", root, "rev-parse", "--verify", "-q", "HEAD^{commit}").strip() or None
    except RepoFailure:
        if _born(root):
            raise RepoFailure(f"corrupt git repository at {root}: HEAD names a missing commit") from None
    status = _git("-C", root, "--no-optional-locks", "status", "--porcelain", "--untracked-files=normal", "-z")
    return head, bool(status)


def _born(root: str) -> bool:
    """Whether HEAD's branch exists (False on a repository with no commit yet)."""
    try:
        ref = _git("-C", root, "symbolic-ref", "-q", "HEAD").strip()
    except RepoFailure:
        return True  # a detached HEAD always names a commit
    try:
        _git("-C", root, "show-ref", "--verify", "-q", ref)
    except RepoFailure:
        return False
    return True


def _checkout(entry: ManifestEntry, store: str) -> str:
    """The store's clone of ``entry``'s URL at its ref (cloned, or fetched and checked out)."""
    folder = os.path.join(store, CHECKOUTS)
    path = os.path.join(folder, entry.id)
    if os.path.isdir(os.path.join(path, ".git")):
        try:
            _git("-C", path, "remote", "set-url", "origin", entry.source)
            _git("-C", path, "fetch", "--quiet", "--tags", "--force", "origin", timeout=GIT_TIMEOUT)
            _check_out_ref(path, entry.ref)
            return path
        except RepoFailure:
            shutil.rmtree(path, ignore_errors=True)  # a clone broken by a kill: start again
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{entry.id}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        _git("clone", "--quiet", "--no-checkout", "--", entry.source, tmp, timeout=GIT_TIMEOUT)
        _check_out_ref(tmp, entry.ref)
        shutil.rmtree(path, ignore_errors=True)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def _check_out_ref(path: str, ref: str | None) -> None:
    for candidate in ([f"origin/{ref}", ref] if ref else ["origin/HEAD", "HEAD"]):
        try:
            commit = _git("-C", path, "rev-parse", "--verify", "-q", f"{candidate}^{{commit}}").strip()
        except RepoFailure:
            continue
        _git("-C", path, "checkout", "--quiet", "--force", "--detach", commit)
        _git("-C", path, "clean", "-ffdxq")
        return
    raise RepoFailure(f"ref {ref or 'HEAD'!r} not found in the repository")


def _count_files(root: str, limit: int) -> None:
    """:class:`RepoFailure` when git lists more than ``limit`` files under ``root``."""
    try:
        out = _git("-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", timeout=600)
    except RepoFailure:
        return  # outside git: the scan itself bounds what it reads
    count = out.count("\0")
    if count > limit:
        raise RepoFailure(f"too large: {count} files (the limit is {limit}; raise it with --max-files)")


# -- the task ---------------------------------------------------------------------------------------
def _begin(folder: str, run_id: str) -> int:
    """Mark the repository as running; the attempt number (> 1 after a killed worker)."""
    marker = os.path.join(folder, "running.json")
    previous = read_json(marker)
    attempt = int(previous.get("attempt", 0)) + 1 if previous and previous.get("run_id") == run_id else 1
    write_json_atomic(marker, {"run_id": run_id, "attempt": attempt, "pid": os.getpid(),
                               "host": socket.gethostname(), "started_at": _now()})
    return attempt


def index_repository(entry: ManifestEntry, store: str, run_id: str,
                     max_files: int = MAX_REPO_FILES) -> RepoResult:
    """Bring ``entry``'s shard in ``store`` up to date; never raises for a bad repository."""
    t0, cpu0 = time.perf_counter(), _cpu()
    folder = os.path.join(store, entry.id)
    os.makedirs(folder, exist_ok=True)
    attempt = _begin(folder, run_id)
    _drop_temporaries(folder)
    base: dict[str, Any] = {"id": entry.id, "source": entry.source, "ref": entry.ref, "attempt": attempt}
    try:
        result = _index(entry, store, folder, max_files, base)
        _remove(os.path.join(folder, "error.json"))
    except Exception as exc:  # a bad repository is a result: the fleet goes on
        message = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        write_json_atomic(os.path.join(folder, "error.json"),
                          {"run_id": run_id, "error": message, "failed_at": _now(), "source": entry.source})
        result = RepoResult(**base, status="failed", error=message)
    finally:
        _remove(os.path.join(folder, "running.json"))
    return result.model_copy(update={"seconds": round(time.perf_counter() - t0, 4),
                                     "cpu_seconds": round(_cpu() - cpu0, 4)})


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (git)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _index(entry: ManifestEntry, store: str, folder: str, max_files: int, base: dict[str, Any]) -> RepoResult:
    from ..api import Repo

    root = _checkout(entry, store) if entry.is_url else entry.source
    if not os.path.isdir(root):
        raise RepoFailure(f"missing: no directory at {root}")
    head, dirty = _git_head(root)
    previous = read_json(os.path.join(folder, "manifest.json"))
    if head and not dirty and _unchanged(previous, entry, head, store):
        assert previous is not None
        return RepoResult(**base, status="skipped", commit=head, shard=previous["shard"],
                          files=previous.get("files", 0), rows=previous.get("rows", 0),
                          bytes=previous.get("bytes", 0))
    _count_files(root, max_files)
    with Repo.open(root, index_path=os.path.join(folder, "index.duckdb")) as repo:
        stats = repo.index(workers=1)  # Ray runs one repository per CPU: no pool inside a task
    manifest = _export(entry, store, folder, os.path.realpath(root), stats.commit, stats.dirty)
    manifest["files"], manifest["parsed"] = stats.scanned, stats.parsed
    write_json_atomic(os.path.join(folder, "manifest.json"), manifest)
    _drop_old_shards(folder, manifest["shard"], previous)
    return RepoResult(**base, status="indexed", commit=stats.commit, dirty=stats.dirty, shard=manifest["shard"],
                      files=stats.scanned, parsed=stats.parsed, rows=manifest["rows"], bytes=manifest["bytes"])


def _unchanged(previous: dict[str, Any] | None, entry: ManifestEntry, head: str, store: str) -> bool:
    """Whether ``previous`` (a manifest) is a whole shard of this source at ``head``, written by
    the extractors and schema of this version."""
    if not previous or previous.get("commit") != head or previous.get("dirty"):
        return False
    same = {"source": entry.source, "schema_version": SCHEMA_VERSION, "extractor_version": EXTRACTOR_VERSION,
            "derive_version": DERIVE_VERSION, "format": MANIFEST_FORMAT}
    if any(previous.get(k) != v for k, v in same.items()):
        return False
    tables = previous.get("tables") or {}
    shard = os.path.join(store, str(previous.get("shard", "")))
    return set(tables) == set(_tables()) and all(
        os.path.isfile(os.path.join(shard, str(t.get("file")))) for t in tables.values())


def _tables() -> tuple[str, ...]:
    """Every table of the index is exported (docs/index-schema.md)."""
    from ..store import TABLES

    return tuple(TABLES)


def _shard_name(store_obj: Any, commit: str | None, dirty: bool) -> str:
    """The shard folder's name: the commit when the work tree is clean; otherwise a hash of every
    file's content joined to it (``<commit>-dirty-<hash>``, or ``worktree-<hash>`` outside git)."""
    if commit and not dirty:
        return commit
    digest = hashlib.sha256()
    for path, sha, status in store_obj.rows("SELECT path, sha256, status FROM files ORDER BY path"):
        digest.update(f"{path}\0{sha}\0{status}\n".encode("utf-8", "surrogateescape"))
    return f"{commit}-dirty-{digest.hexdigest()[:16]}" if commit else f"worktree-{digest.hexdigest()[:16]}"


def _export(entry: ManifestEntry, store: str, folder: str, root: str, commit: str | None,
            dirty: bool) -> dict[str, Any]:
    """Write every table of the repository's index as ``<commit>/<table>.parquet`` (each through a
    temporary name and a rename); the manifest describing them (not yet written)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..store import IndexStore

    index = IndexStore(os.path.join(folder, "index.duckdb"), read_only=True)
    try:
        name = _shard_name(index, commit, dirty)
        shard = os.path.join(folder, name)
        os.makedirs(shard, exist_ok=True)
        tables: dict[str, dict[str, Any]] = {}
        for table in _tables():
            data = index.arrow(f"SELECT * FROM {table} ORDER BY ALL")
            data = data.add_column(0, "repo", pa.array([entry.id] * data.num_rows, pa.string()))
            final = os.path.join(shard, f"{table}.parquet")
            tmp = os.path.join(shard, f".{table}.parquet.tmp-{uuid.uuid4().hex[:8]}")
            pq.write_table(data, tmp, compression="zstd")
            _fsync_replace(tmp, final)
            tables[table] = {"file": f"{table}.parquet", "rows": data.num_rows, "bytes": os.path.getsize(final)}
        meta = index.meta()
    finally:
        index.close()
    return {
        "format": MANIFEST_FORMAT, "repo": entry.id, "source": entry.source, "ref": entry.ref, "root": root,
        "commit": commit, "dirty": dirty, "shard": f"{entry.id}/{name}", "tables": tables,
        "rows": sum(t["rows"] for t in tables.values()), "bytes": sum(t["bytes"] for t in tables.values()),
        "indexed_at": meta.get("indexed_at"), "schema_version": SCHEMA_VERSION,
        "extractor_version": EXTRACTOR_VERSION, "derive_version": DERIVE_VERSION,
    }


def _drop_temporaries(folder: str) -> None:
    """Remove temporary files a killed attempt left in the repository's shard folders (no reader
    ever lists them: only ``manifest.json`` names shard files, and it names final names)."""
    for name in os.listdir(folder):
        full = os.path.join(folder, name)
        inside = os.listdir(full) if os.path.isdir(full) and not os.path.islink(full) else []
        for tmp in [os.path.join(full, n) for n in inside] + [full]:
            if ".tmp-" in os.path.basename(tmp) and os.path.isfile(tmp):
                _remove(tmp)


def _drop_old_shards(folder: str, current: str, previous: dict[str, Any] | None) -> None:
    """Remove shard folders other than the current and the previous one: a reader that listed the
    previous manifest a moment ago still finds its files (one generation of grace)."""
    keep = {current.rsplit("/", 1)[-1], str((previous or {}).get("shard", "")).rsplit("/", 1)[-1]}
    for name in os.listdir(folder):
        full = os.path.join(folder, name)
        if name not in keep and os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full, ignore_errors=True)
