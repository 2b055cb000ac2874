"""The Python API: :class:`Repo` opens a repository's index and answers every question.

The CLI, the daemon and the MCP server are thin wrappers over these methods.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Callable
from typing import Any, Literal, ParamSpec, TypeVar

from .bounds import (
    MAX_BUDGET,
    MAX_LIST_ROWS,
    check_budget,
    check_depth,
    check_kind,
    check_limit,
    check_name,
    check_query_limit,
    check_query_seconds,
    check_sql,
    check_task,
    check_tokenizer,
    check_workers,
)
from .config import (
    DEFAULT_BUDGET,
    DEFAULT_QUERY_ROWS,
    DEFAULT_QUERY_SECONDS,
    DEFAULT_TOKENIZER,
    INDEX_DIRNAME,
    INDEX_FILENAME,
    SCHEMA_VERSION,
)
from .errors import (
    BudgetError,
    IndexCorruptError,
    IndexLockedError,
    IndexMissingError,
    InvalidInputError,
    PathNotIndexedError,
    PathOutsideRepoError,
    RepointelError,
    RepoNotFoundError,
    SchemaVersionError,
    StorageError,
)
from .indexer import FLUSH_ROWS, RACY_NS, Listing, Progress, check_index, is_racy, run_index
from .models import (
    ContextPacket,
    Definition,
    DepsReport,
    FileRecord,
    ImpactReport,
    ImportRecord,
    IndexStats,
    IndexStatus,
    MapEntry,
    OwnerRecord,
    Ranking,
    RepoMap,
    RiskTag,
    SymbolCard,
    TestLink,
    TokenAccount,
)
from .store import (
    DatabaseError,
    FileState,
    IndexReader,
    IndexStore,
    SnapshotWriter,
    check_index_location,
    check_writable,
    create_private,
    move_aside,
    writer_lock,
)

__all__ = ["MAX_BUDGET", "Repo", "find_root"]

#: Recent authors ``owners`` names per file: the people to ask; further names rarely are.
HISTORY_AUTHORS = 3

P = ParamSpec("P")
R = TypeVar("R")


def find_root(path: str | os.PathLike[str] = ".") -> str:
    """The repository ``path`` is in, as git finds it: the nearest folder at or above ``path``
    holding ``.git`` (a folder, or a file in a worktree or submodule) or an index of ours;
    outside git, ``path`` itself. Running from ``src/flask`` indexed that folder as a second
    repository."""
    start = os.path.realpath(os.fspath(path))
    if not os.path.isdir(start):
        raise RepoNotFoundError(f"not a directory: {os.fspath(path)}")
    here = start
    while True:
        if os.path.exists(os.path.join(here, ".git")) or os.path.isfile(
                os.path.join(here, INDEX_DIRNAME, INDEX_FILENAME)):
            return here
        up = os.path.dirname(here)
        if up == here:
            return start
        here = up


def _os_message(exc: OSError) -> str:
    where = f" {exc.filename}" if exc.filename else ""
    return f"cannot access{where}: {exc.strerror or exc}"


def _storage_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """A file-system or database failure inside ``fn`` becomes a one-line StorageError."""
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except RepointelError:
            raise
        except OSError as exc:
            raise StorageError(_os_message(exc)) from exc
        except DatabaseError as exc:
            raise StorageError(f"the index could not be read or written: {str(exc).splitlines()[0]}") from exc

    return wrapper


def _append_event(path: str | os.PathLike[str], line: str) -> None:
    """Append one JSON line (compact JSON: no raw newline) to the event log at ``path`` (created,
    owner-only, if missing) with a single ``O_APPEND`` write: concurrent writers' lines do not
    interleave."""
    data = (line + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


class Repo:
    """A repository and its index (an embedded DuckDB file under ``.repointel/``)."""

    def __init__(self, root: str, db_path: str, *, user_index_path: bool = False) -> None:
        self.root = root
        self.db_path = db_path
        #: Whether the caller chose where the index lives (else it is ``.repointel/`` in the root,
        #: a place the repository's own content must not redirect through symbolic links).
        self.user_index_path = user_index_path
        self._store: IndexReader | None = None

    # -- lifecycle ----------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str] = ".", *, index_path: str | None = None) -> Repo:
        """Open the repository at ``path`` (the index is created on the first :meth:`index`)."""
        if "\0" in os.fspath(path):
            raise RepoNotFoundError(f"not a valid path (it holds a NUL byte): {os.fspath(path)!r}")
        root = os.path.realpath(os.fspath(path))
        if not os.path.isdir(root):
            raise RepoNotFoundError(f"not a directory: {path}")
        if index_path is not None:
            return cls(root, os.path.abspath(index_path), user_index_path=True)
        return cls(root, os.path.join(root, INDEX_DIRNAME, INDEX_FILENAME))

    def close(self) -> None:
        """Release the index file."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Repo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _reader(self) -> IndexReader:
        if self._store is None:
            check_index_location(self.root, self.db_path, user_given=self.user_index_path)
            # -- daemon hook (owner: repointel/store_client.py): a live `repointel watch` holds the
            # file read-write, so read through its socket (same read methods) instead.
            from .store_client import connect_daemon

            self._store = connect_daemon(self.db_path)
            # -- end daemon hook
            if self._store is None:
                self._store = IndexStore(self.db_path, read_only=True)
        return self._store

    def _ensure_index_dir(self) -> None:
        """Create the index folder (and, for ``.repointel``, its ``.gitignore``), refusing a
        location that symbolic links lead elsewhere (:func:`~repointel.store.check_index_location`)."""
        check_index_location(self.root, self.db_path, user_given=self.user_index_path)
        folder = os.path.dirname(self.db_path)
        try:
            if not self.user_index_path:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(folder)  # its parent is the root; never through a link (checked above)
                with contextlib.suppress(FileExistsError):
                    create_private(os.path.join(folder, ".gitignore"), b"# repointel index: never commit\n*\n")
            else:
                os.makedirs(folder, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise StorageError(f"{folder} exists and is not a folder: move it away, then index again") from exc
        except OSError as exc:
            raise StorageError(f"cannot create the index folder {folder}: {exc.strerror or exc}") from exc

    # -- indexing -----------------------------------------------------------------
    @_storage_errors
    def index(self, *, workers: int | None = None, progress: Progress | None = None,
              flush_rows: int | None = None, verify: bool = False) -> IndexStats:
        """Bring the index up to date (incremental; atomic). ``flush_rows``: rows held before
        they are written into the run's transaction (:data:`~repointel.indexer.FLUSH_ROWS`).
        ``verify``: check every block of the index file and re-hash every file, repairing rows
        whose bytes moved without their stat facts (``stats.repaired``).

        Without a daemon the run writes a copy of the index and renames it over the file, so
        readers meanwhile read the last committed index; a damaged or foreign index file is moved
        aside and rebuilt (``stats.notice`` says so). Raises :class:`IndexReadOnlyError` for a
        read-only index and :class:`IndexLockedError` while another run writes it."""
        workers = check_workers(workers)
        self.close()
        # -- daemon hook (owner: repointel/store_client.py): the daemon runs the batch.
        from .store_client import connect_daemon

        remote = connect_daemon(self.db_path)
        if remote is not None:
            try:
                if verify:
                    raise IndexLockedError("a `repointel watch` daemon holds this index: stop it "
                                           "(`repointel watch --stop`) to verify the index")
                return remote.sync(workers)
            finally:
                remote.close()
        # -- end daemon hook
        self._ensure_index_dir()
        check_writable(self.db_path)
        with writer_lock(self.db_path):
            return self._write_run(workers=workers, progress=progress, flush_rows=flush_rows or FLUSH_ROWS,
                                   verify=verify)

    def _write_run(self, *, workers: int | None, progress: Progress | None, flush_rows: int,
                   verify: bool) -> IndexStats:
        """Check the committed index read-only; when something must be written, write a copy and
        publish it. Damage found on the way moves the file aside and starts from scratch."""
        notice: str | None = None
        try:
            probe = self._probe(verify, progress)
        except IndexCorruptError:
            notice, probe = self._set_aside(), None
        if isinstance(probe, IndexStats):
            return probe
        kwargs: dict[str, Any] = {"workers": workers, "progress": progress, "flush_rows": flush_rows,
                                  "verify": verify}
        try:
            stats = self._write_copy(probe, **kwargs)
        except IndexCorruptError:  # damage in blocks only the writing run read
            notice = self._set_aside()
            stats = self._write_copy(None, **kwargs)
        return stats.model_copy(update={"notice": notice})

    def _write_copy(self, scanned: Listing | None, **kwargs: Any) -> IndexStats:
        """One run on a copy of the index (a new file when there is none), renamed over it."""
        writer = SnapshotWriter(self.db_path)
        try:
            store = writer.open(fresh=not os.path.exists(self.db_path))
            stats = run_index(self.root, store, scanned=scanned, **kwargs)
            writer.publish()
        except BaseException:
            writer.discard()
            raise
        return stats

    def _probe(self, verify: bool, progress: Progress | None = None) -> IndexStats | Listing | None:
        """The run's stats when the committed index is up to date, else the listing the writing run
        reuses (None: there is no usable index to check)."""
        if not os.path.exists(self.db_path):
            return None
        try:
            probe = IndexStore(self.db_path, read_only=True)
        except IndexMissingError:  # a DuckDB file with no table at all
            return None
        except SchemaVersionError as exc:
            if "older" in str(exc):
                return None  # the writing run migrates it
            raise
        try:
            if verify:
                probe.verify_blocks()
            return check_index(self.root, probe, verify=verify, progress=progress)
        finally:
            probe.close()

    def _set_aside(self) -> str:
        aside = move_aside(self.db_path)
        return (f"the index file was damaged or not a repointel index: moved it aside to "
                f"{os.path.basename(aside)} and rebuilt the index")

    @_storage_errors
    def status(self) -> IndexStatus:
        """What the index reflects, and which files changed on disk since."""
        store = self._reader()
        meta = store.meta()
        counts = store.rows("SELECT (SELECT count(*) FROM files), (SELECT count(*) FROM symbols), "
                            "(SELECT count(*) FROM files WHERE parse_errors)")[0]
        languages = store.rows("SELECT language, count(*) n FROM files WHERE status = 'indexed' AND language "
                               "IS NOT NULL GROUP BY language ORDER BY n DESC, language")
        skipped = store.rows("SELECT skip_reason, count(*) n FROM files WHERE status = 'skipped' "
                             "GROUP BY skip_reason ORDER BY n DESC, skip_reason")
        stale = self.stale_paths()
        freshness: Literal["current", "stale", "unknown"] = "stale" if stale else "current"
        if "indexed_at" not in meta:
            freshness = "unknown"  # no index run ever completed into this file
        # -- daemon hook (owner: repointel/daemon.py): the daemon knows of events not applied yet.
        if "daemon_pid" in meta and meta.get("freshness") in ("stale", "unknown"):
            freshness = "unknown" if meta["freshness"] == "unknown" else "stale"
        # -- end daemon hook
        return IndexStatus(
            root=self.root, commit=meta.get("commit") or None, dirty=meta.get("dirty") == "true",
            schema_version=int(meta.get("schema_version", SCHEMA_VERSION)),
            indexed_at=meta.get("indexed_at"), files=int(counts[0]), symbols=int(counts[1]),
            stale_paths=stale, freshness=freshness, language_stack=json.loads(meta.get("language_stack", "[]")),
            languages={lang: int(n) for lang, n in languages},
            skipped={str(reason): int(n) for reason, n in skipped}, parse_errors=int(counts[2]),
        )

    @_storage_errors
    def stale_paths(self, paths: list[str] | None = None) -> list[str]:
        """Indexed files that changed on disk since indexing (or vanished): size, mtime, ctime or
        inode differ (a restored mtime leaves a new ctime), or, for a file recorded within a
        timestamp tick of its last change, its bytes no longer match the recorded sha256."""
        store = self._reader()
        racy_since = int(store.meta().get("scan_ns", "0") or 0) - RACY_NS
        sql = ("SELECT path, raw_path, size, mtime_ns, sha256, ctime_ns, inode FROM files "
               "WHERE status = 'indexed'")
        rows = store.rows(sql) if paths is None else store.rows(
            sql + " AND path IN (SELECT unnest(?)) ORDER BY path", [sorted(set(paths))])
        return [path for path, raw, size, mtime, sha, ctime, inode in rows
                if self._changed_on_disk(raw, (size, mtime, sha, "indexed", None, ctime, inode), racy_since)]

    def _changed_on_disk(self, raw: bytes, state: FileState, racy_since: int) -> bool:
        full = os.path.join(os.fsencode(self.root), raw)
        try:
            st = os.stat(full)
        except OSError:
            return True
        size, mtime, sha, _, _, ctime, inode = state
        if (st.st_size, st.st_mtime_ns) != (size, mtime) or (ctime is not None and (
                st.st_ctime_ns, st.st_ino) != (ctime, inode)):
            return True
        if not is_racy(state, racy_since):
            return False
        try:
            with open(full, "rb") as fh:
                return bool(hashlib.sha256(fh.read()).hexdigest() != sha)
        except OSError:
            return True

    # -- maps ---------------------------------------------------------------------
    def safe_path(self, path: str) -> str:
        """The repo-relative posix form of ``path``; refuses paths that escape the root (and a
        NUL byte, which no file name holds)."""
        if "\0" in path:
            raise PathNotIndexedError(f"not a valid path (it holds a NUL byte): {path!r}")
        check_name(path, "path")
        full = os.path.realpath(os.path.join(self.root, path))
        if os.path.commonpath([self.root, full]) != self.root:
            raise PathOutsideRepoError(f"path escapes the repository: {path}")
        rel = os.path.relpath(full, self.root)
        return "" if rel == "." else rel.replace(os.sep, "/")

    @_storage_errors
    def files(self, *, path: str | None = None, language: str | None = None,
              status: str | None = None, is_test: bool | None = None, limit: int = 100_000) -> list[FileRecord]:
        """Rows of the file map, filtered (``path`` is a prefix or a glob with * and ?)."""
        limit = check_limit(limit, MAX_LIST_ROWS + 1)  # one more: callers tell a capped list
        where: list[str] = ["1=1"]
        params: list[Any] = []
        if path and not any(c in path for c in "*?["):
            path = self.safe_path(path)
        if path:
            where.append("path GLOB ?" if any(c in path for c in "*?[") else "(path = ? OR path LIKE ? || '/%')")
            params += [path] if any(c in path for c in "*?[") else [path, path]
        for col, val in (("language", language), ("status", status), ("is_test", is_test)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        cols = "path, language, size, sha256, mtime_ns, lines, is_test, is_generated, is_vendored, " \
               "is_binary, status, skip_reason, parse_errors"
        rows = self._reader().dicts(
            f"SELECT {cols} FROM files WHERE {' AND '.join(where)} ORDER BY path LIMIT {int(limit)}", params)
        return [FileRecord(**r) for r in rows]

    @_storage_errors
    def symbols(self, *, name: str | None = None, kind: str | None = None, path: str | None = None,
                qualname: str | None = None, limit: int = 1000) -> list[Definition]:
        """Definitions, filtered by exact name, kind, qualname, or file path prefix."""
        kind = check_kind(kind)
        limit = check_limit(limit, MAX_LIST_ROWS + 1)  # one more: callers tell a capped list
        if path is not None:
            path = self.safe_path(path) or None
        where, params = ["1=1"], []
        for col, val in (("name", name), ("kind", kind), ("qualname", qualname)):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        if path:
            where.append("(path = ? OR path LIKE ? || '/%')")
            params += [path, path]
        rows = self._reader().dicts(
            "SELECT path, name, qualname, kind, start_line, end_line, start_byte, end_byte, signature, "
            f"doc, parent FROM symbols WHERE {' AND '.join(where)} ORDER BY path, start_byte LIMIT {int(limit)}",
            params)
        return [Definition(**r) for r in rows]

    @_storage_errors
    def map(self, task: str | None = None, *, budget: int = DEFAULT_BUDGET,
            tokenizer: str = DEFAULT_TOKENIZER) -> RepoMap:
        """A ranked repository map within ``budget`` tokens (personalised by ``task``)."""
        from .rank.repomap import build_map

        task = check_task(task, required=False) if task is not None else None
        check_budget(budget)
        check_tokenizer(tokenizer)
        built = self._built("map", task=task, budget=budget, tokenizer=tokenizer)
        if built is not None:
            return self._with_freshness(self._shaped(RepoMap.model_validate(built), budget, tokenizer))
        return self._with_freshness(self._shaped(build_map(self._reader(), task, budget, tokenizer), budget,
                                                 tokenizer))

    @_storage_errors
    def rank(self, task: str, *, files: int = 20, definitions: int = 50) -> Ranking:
        """The ``files`` best files and ``definitions`` best definitions for ``task``: where a
        fix most likely goes, each with its score and reasons (what a packet is built from)."""
        from .context.ranking import rank_task

        task = str(check_task(task))
        if files < 1 or definitions < 0:
            raise BudgetError("files must be at least 1 and definitions at least 0")
        built = self._built("rank", task=task, files=files, definitions=definitions)
        if built is not None:
            return Ranking.model_validate(built)
        return rank_task(self.root, self._reader(), task, files, definitions)

    def _shaped(self, built: RepoMap, budget: int, tokenizer: str) -> RepoMap:
        """The ranking's map as callers read it: ranks on one scale (a share of the first file's:
        the files the task names first ranked above 1, PageRank shares below it, mixed two
        scales), each definition's kind and names from the symbol map, and the text rendered
        without bare headers, recounted and, if need be, cut to the budget from the bottom."""
        from .context.render import render_map
        from .tokens import get_tokenizer

        entries = [e.model_copy(deep=True) for e in built.entries]
        top = entries[0].rank if entries and entries[0].rank > 0 else 1.0
        for e in entries:
            e.rank = round(e.rank / top, 8)
        self._name_definitions(entries)
        tok = get_tokenizer(tokenizer)
        text = render_map(entries)
        while entries and tok.count(text) > budget:
            entries.pop()
            text = render_map(entries)
        return built.model_copy(update={"entries": entries, "text": text, "tokens": TokenAccount(
            tokenizer=tokenizer, budget=budget, used=tok.count(text))})

    def _name_definitions(self, entries: list[MapEntry]) -> None:
        """Fill each shown definition's kind, name, qualified name and signature from the symbol
        map (the definition at that line whose signature, or name, the map shows)."""
        rows = self._reader().rows(
            "SELECT path, start_line, kind, name, qualname, signature FROM symbols "
            "WHERE path IN (SELECT unnest(?))", [[e.path for e in entries]])
        at: dict[tuple[str, int], list[tuple[str, str, str, str]]] = {}
        for path, line, kind, name, qual, sig in rows:
            at.setdefault((path, int(line)), []).append((kind, name, qual, (sig or "").strip()))
        for e in entries:
            for d in e.definitions:
                found = at.get((e.path, d.line), [])
                match = [f for f in found if d.signature in (f[3], f[1])] or found
                if match:
                    d.kind, d.name, d.qualname, d.signature = match[0]

    def _with_freshness(self, built: RepoMap) -> RepoMap:
        """The map, saying which of the files it shows changed on disk since indexing."""
        stale = self.stale_paths([e.path for e in built.entries])
        return built.model_copy(update={"stale_paths": stale, "freshness": "stale" if stale else "current"})

    @_storage_errors
    def context(self, task: str, *, budget: int = 8192, tokenizer: str = DEFAULT_TOKENIZER,
                fmt: str = "markdown", event_log: str | os.PathLike[str] | None = None) -> ContextPacket:
        """A packet for ``task`` whose rendering in ``fmt`` ('markdown'/'json') fits ``budget``.

        ``event_log``: a file to append the packet's ``context_built`` event to, one JSON line
        (:meth:`ContextPacket.built_event`: items by path, lines and sha256, and the token count)."""
        from .context.builder import build_packet

        task = str(check_task(task))
        check_budget(budget)
        check_tokenizer(tokenizer)
        if fmt not in ("markdown", "json"):
            raise InvalidInputError(f"unknown format {fmt!r}: use markdown or json")
        built = self._built("context", task=task, budget=budget, tokenizer=tokenizer, fmt=fmt)
        packet = (ContextPacket.model_validate(built) if built is not None
                  else build_packet(self.root, self._reader(), task, budget, tokenizer, fmt))
        if event_log is not None:
            _append_event(event_log, packet.built_event(task, fmt).model_dump_json())
        return packet

    def _built(self, op: str, **args: Any) -> dict[str, Any] | None:
        """The result built by a running daemon (it keeps the caches warm), or None."""
        from .store_client import RemoteStore

        store = self._reader()
        return store.built(op, **args) if isinstance(store, RemoteStore) else None

    def _known_file(self, path: str) -> str:
        rel = self.safe_path(path)
        if not self._reader().rows("SELECT 1 FROM files WHERE path = ?", [rel]):
            raise PathNotIndexedError(f"not in the index: {path}")
        return rel

    @_storage_errors
    def deps(self, path: str) -> DepsReport:
        """What ``path`` imports (resolved or external) and which files import it."""
        rel = self._known_file(path)
        store = self._reader()
        cols = "path, module, names, line, level, kind, resolved, external"
        out = [ImportRecord(**r) for r in store.dicts(
            f"SELECT {cols} FROM imports WHERE path = ? ORDER BY line", [rel])]
        into = [ImportRecord(**r) for r in store.dicts(
            f"SELECT {cols} FROM imports WHERE resolved = ? ORDER BY path, line", [rel])]
        refs = store.rows("SELECT dst, weight FROM file_edges WHERE src = ? AND kind = 'reference' "
                          "ORDER BY weight DESC LIMIT 50", [rel])
        back = store.rows("SELECT src, weight FROM file_edges WHERE dst = ? AND kind = 'reference' "
                          "ORDER BY weight DESC LIMIT 50", [rel])
        return DepsReport(path=rel, imports=out, importers=into,
                          references_to=[(p, round(w, 4)) for p, w in refs],
                          referenced_by=[(p, round(w, 4)) for p, w in back])

    @_storage_errors
    def tests_for(self, path: str) -> list[TestLink]:
        """Tests that exercise ``path`` (or, for a test file, the sources it exercises)."""
        rel = self._known_file(path)
        from .context.testplan import narrowed_commands

        store = self._reader()
        rows = store.dicts(
            "SELECT * FROM test_links WHERE source_path = ? OR test_path = ? "
            "ORDER BY confidence DESC, test_path", [rel, rel])
        commands = narrowed_commands(store, [(r["test_path"], r["command"]) for r in rows])
        return [TestLink(**{**r, "command": c}) for r, c in zip(rows, commands)]

    @_storage_errors
    def symbol_cards(self, name: str, *, path: str | None = None, limit: int = 20) -> list[SymbolCard]:
        """Cards of the definitions named ``name`` (a name, or a qualified name such as
        ``Invoice.total``), optionally under the file or folder ``path``: file and lines, the
        repository definitions the body uses (``depends_on``) and the tests that cover it."""
        from .context.testplan import narrowed_commands
        from .rank.cards import symbol_cards

        check_name(name)
        rel = None if path is None else self.safe_path(path) or None
        store = self._reader()
        cards = symbol_cards(self.root, store, name, rel, limit)
        if not cards:
            where = f" under {rel}" if rel else ""
            raise PathNotIndexedError(f"no symbol named {name!r}{where}")
        # each test's command as this repository's build runs it (one read of the build map)
        commands = iter(narrowed_commands(store, [(t.path, t.command) for c in cards for t in c.tests]))
        for card in cards:
            card.tests = [t.model_copy(update={"command": next(commands)}) for t in card.tests]
        return cards

    @_storage_errors
    def owners(self, path: str) -> OwnerRecord:
        """CODEOWNERS owners of ``path`` (empty when unowned) and its main recent authors by the
        history map (labelled as such: ``history_authors``)."""
        rel = self._known_file(path)
        store = self._reader()
        rows = store.dicts("SELECT * FROM owners WHERE path = ?", [rel])
        rec = OwnerRecord(**rows[0]) if rows else OwnerRecord(path=rel)
        authors = store.rows("SELECT authors FROM history WHERE path = ?", [rel])
        rec.history_authors = list(authors[0][0] or [])[:HISTORY_AUTHORS] if authors else []
        return rec

    @_storage_errors
    def risks(self, path: str | None = None) -> list[RiskTag]:
        """Risk tags, of one file or of the whole repository."""
        if path is None:
            rows = self._reader().dicts("SELECT * FROM risks ORDER BY path, tag")
        else:
            rows = self._reader().dicts("SELECT * FROM risks WHERE path = ? ORDER BY tag",
                                        [self._known_file(path)])
        return [RiskTag(**r) for r in rows]

    @_storage_errors
    def impact(self, target: str, *, depth: int = 3) -> ImpactReport:
        """Transitive dependents of a file or a symbol name, with tests, owners and risks."""
        from .rank.impact import dependents

        check_name(target, "target")
        depth = check_depth(depth)
        store = self._reader()
        if store.rows("SELECT 1 FROM files WHERE path = ?", [self.safe_path(target)]):
            roots = [self.safe_path(target)]
        else:
            roots = [r[0] for r in store.rows(
                "SELECT DISTINCT path FROM symbols WHERE name = ? OR qualname = ? ORDER BY path",
                [target, target])]
            if not roots:
                raise PathNotIndexedError(f"no file or symbol named {target!r}")
        deps = dependents(store, roots, depth)
        touched = roots + [p for p, _ in deps]
        tests = [TestLink(**r) for r in store.dicts(
            "SELECT * FROM test_links WHERE source_path IN (SELECT unnest(?)) "
            "ORDER BY confidence DESC, test_path", [touched])]
        owners = [OwnerRecord(**r) for r in store.dicts(
            "SELECT * FROM owners WHERE path IN (SELECT unnest(?)) ORDER BY path", [touched])]
        risks = [RiskTag(**r) for r in store.dicts(
            "SELECT * FROM risks WHERE path IN (SELECT unnest(?)) ORDER BY path, tag", [touched])]
        return ImpactReport(target=target, files=roots, depth=depth, dependents=deps, tests=tests,
                            owners=owners, risks=risks)

    @_storage_errors
    def query(self, sql: str, *, limit: int = DEFAULT_QUERY_ROWS,
              timeout: float = DEFAULT_QUERY_SECONDS) -> dict[str, Any]:
        """Run read-only SQL over the documented schema: ``{"columns": [...], "rows": [...],
        "truncated": bool, "index": {...}}``, where ``truncated`` says more than ``limit`` rows
        matched and ``index`` says what the rows reflect (commit, dirty, indexed_at, freshness,
        and the indexed files changed on disk since: ``stale_paths``). Interrupted with
        :class:`~repointel.errors.QueryTimeoutError` after ``timeout`` seconds (a cross join or a
        runaway recursive CTE never ends on its own)."""
        check_sql(sql)
        limit = check_query_limit(limit)
        timeout = check_query_seconds(timeout)
        cols, rows = self._reader().user_query(sql, limit + 1, timeout)  # one more: was it capped?
        st = self.status()
        index = {"commit": st.commit, "dirty": st.dirty, "indexed_at": st.indexed_at,
                 "freshness": st.freshness, "stale_paths": st.stale_paths}
        return {"columns": cols, "rows": [list(r) for r in rows[:limit]], "truncated": len(rows) > limit,
                "index": index}

