"""Store layer: the DuckDB index. The only module that imports duckdb.

Schema (documented in docs/index-schema.md; version in ``meta.schema_version``):

- ``meta(key, value)``: schema_version, root, commit, dirty, indexed_at, last_event.
- ``files``: the file map, one row per listed file (indexed or skipped with a reason).
- ``symbols``: definitions; ``refs``: identifier references per file with counts.
- ``risks``: risk tags per file (from its path and bytes, found while the file is examined).
- ``imports``: raw import statements per file, with what they resolve to.
- ``file_edges``: file → file dependency edges (kind ``import`` or ``reference``, weighted).
- ``test_links``, ``owners``, ``history``, ``cochange``, ``builds``, ``conventions``:
  repository-wide maps, recomputed from the per-file tables in the same transaction.

Every index run writes in ONE transaction: a crash leaves the previous committed index.
Without a daemon, a run writes a private copy of the index and renames it over the file
(:class:`SnapshotWriter`), so readers keep reading the last committed file meanwhile. Readers
open the file through a fresh in-memory database with the file ATTACHed read-only: DuckDB
shares one database instance per path inside a process, which would keep serving a file that
was renamed away. The index folder and files are used only when no symbolic link leads out
(:func:`check_index_location`), and a damaged or foreign file is detected on open
(:class:`~repointel.errors.IndexCorruptError`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import os
import re
import shutil
import stat
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, ParamSpec, Protocol, TypeVar

import duckdb
import pyarrow as pa

from .config import DEFAULT_QUERY_ROWS, DEFAULT_QUERY_SECONDS, SCHEMA_VERSION
from .errors import (
    IndexCorruptError,
    IndexLockedError,
    IndexMissingError,
    IndexReadOnlyError,
    PathOutsideRepoError,
    QueryError,
    QueryTimeoutError,
    SchemaVersionError,
    StorageError,
)

__all__ = ["TABLES", "DatabaseError", "FileState", "IndexReader", "IndexStore", "ShardStore", "SnapshotWriter",
           "check_index_location", "move_aside", "sql_code", "write_sorted_parquet", "writer_lock"]

#: Every error DuckDB raises: the API turns one that escapes into a one-line StorageError.
DatabaseError = duckdb.Error

#: Column definitions of every table, in insertion order.
TABLES: dict[str, list[tuple[str, str]]] = {
    "files": [
        ("path", "VARCHAR"), ("raw_path", "BLOB"), ("language", "VARCHAR"), ("size", "BIGINT"),
        ("sha256", "VARCHAR"), ("mtime_ns", "BIGINT"), ("lines", "INTEGER"),
        ("is_test", "BOOLEAN"), ("is_generated", "BOOLEAN"), ("is_vendored", "BOOLEAN"),
        ("is_binary", "BOOLEAN"), ("status", "VARCHAR"), ("skip_reason", "VARCHAR"),
        ("parse_errors", "BOOLEAN"),
        # schema 2: the change time and inode seen with size/mtime (a restored mtime is caught)
        ("ctime_ns", "BIGINT"), ("inode", "BIGINT"),
    ],
    "symbols": [
        ("path", "VARCHAR"), ("name", "VARCHAR"), ("qualname", "VARCHAR"), ("kind", "VARCHAR"),
        ("start_line", "INTEGER"), ("end_line", "INTEGER"), ("start_byte", "BIGINT"),
        ("end_byte", "BIGINT"), ("signature", "VARCHAR"), ("doc", "VARCHAR"), ("parent", "VARCHAR"),
    ],
    "refs": [("path", "VARCHAR"), ("name", "VARCHAR"), ("count", "INTEGER")],
    "terms": [("path", "VARCHAR"), ("term", "VARCHAR"), ("tf", "INTEGER")],
    "imports": [
        ("path", "VARCHAR"), ("module", "VARCHAR"), ("names", "VARCHAR[]"), ("line", "INTEGER"),
        ("level", "INTEGER"), ("kind", "VARCHAR"), ("resolved", "VARCHAR"), ("external", "VARCHAR"),
    ],
    "doclen": [("path", "VARCHAR"), ("len", "INTEGER")],
    "file_edges": [("src", "VARCHAR"), ("dst", "VARCHAR"), ("kind", "VARCHAR"), ("weight", "DOUBLE")],
    "test_links": [
        ("test_path", "VARCHAR"), ("source_path", "VARCHAR"), ("test_name", "VARCHAR"),
        ("reason", "VARCHAR"), ("confidence", "DOUBLE"), ("command", "VARCHAR"),
    ],
    "owners": [
        ("path", "VARCHAR"), ("owners", "VARCHAR[]"), ("rule", "VARCHAR"), ("source", "VARCHAR"),
        ("line", "INTEGER"),
    ],
    "history": [
        ("path", "VARCHAR"), ("commits", "INTEGER"), ("last_change", "VARCHAR"),
        ("authors", "VARCHAR[]"),
    ],
    "cochange": [("path", "VARCHAR"), ("partner", "VARCHAR"), ("count", "INTEGER")],
    "builds": [
        ("tool", "VARCHAR"), ("manifest", "VARCHAR"), ("modules", "VARCHAR[]"),
        ("unit_command", "VARCHAR"), ("full_command", "VARCHAR"), ("entry_points", "VARCHAR[]"),
    ],
    "risks": [("path", "VARCHAR"), ("tag", "VARCHAR"), ("rule", "VARCHAR")],
    "conventions": [("path", "VARCHAR"), ("kind", "VARCHAR"), ("governs", "VARCHAR")],
}
#: path → (size, mtime_ns, sha256, status, skip_reason, ctime_ns, inode) of a recorded file.
FileState = tuple[int, int, str | None, str, str | None, int | None, int | None]
#: Tables keyed by a file path: rows for a changed or removed file are replaced.
PER_FILE_TABLES = ("files", "symbols", "refs", "terms", "imports", "risks")
#: Tables rebuilt whole from the per-file ones whenever anything changed.
DERIVED_TABLES = ("doclen", "file_edges", "test_links", "owners", "history", "cochange", "builds",
                  "conventions")
#: Up to this many paths are deleted with a list parameter; more go through a registered Arrow table.
_SMALL_DELETE = 64
#: Columns schema 2 added (an index of schema 1 lacks them until a writer migrates it).
_ADDED_IN_2 = frozenset({"ctime_ns", "inode"})
#: A string literal ('' doubles a quote), a quoted identifier, a -- comment (to the end of the
#: line: CR or LF, as DuckDB ends it) or a /* */ comment (not nested: the first */ ends it).
#: Where DuckDB and this reading could differ, this one sees more code, never less: E'' escapes
#: and $$ strings read as code, so a hidden statement is refused, not run.
_SQL_NOT_CODE = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\r\n]*|/\*[\s\S]*?\*/")


def sql_code(sql: str) -> str:
    """``sql`` with the insides of its string literals and quoted identifiers, and its comments,
    blanked to spaces (same length; the quotes stay): what is left is the statement's code."""
    return _SQL_NOT_CODE.sub(_blank, sql)


def _blank(m: re.Match[str]) -> str:
    text = m.group()
    return text[0] + " " * (len(text) - 2) + text[-1] if text[0] in "'\"" else " " * len(text)


#: Statement keywords that write or reach outside the index: a second line of defence after
#: DuckDB's parser has said the statement is a SELECT (``replace(...)`` is a string function, and
#: ``CREATE OR REPLACE`` is a CREATE statement, so ``replace`` is not on the list).
_WRITE_SQL = re.compile(
    r"\b(insert|update|delete|create|drop|alter|attach|detach|copy|export|import|install|load|"
    r"pragma|set|checkpoint|vacuum|call|truncate)\b",
    re.IGNORECASE,
)


def _arrow_type(sql_type: str) -> pa.DataType:
    return {
        "VARCHAR": pa.string(), "BLOB": pa.binary(), "BIGINT": pa.int64(), "INTEGER": pa.int32(),
        "BOOLEAN": pa.bool_(), "DOUBLE": pa.float64(), "VARCHAR[]": pa.list_(pa.string()),
    }[sql_type]


#: Substrings of DuckDB's messages that mean the file itself is damaged or is no database (a lock
#: held by another process is an IOException too, told apart by its own words).
_DAMAGE_WORDS = ("corrupt", "checksum", "not a valid duckdb database", "could not read enough bytes",
                 "database file size")
_LOCK_WORDS = ("lock", "resource temporarily unavailable")
_T = TypeVar("_T")
_P = ParamSpec("_P")


def _damage(exc: BaseException, *, internal: bool = True) -> bool:
    """Whether a DuckDB error says the file is damaged (rather than locked or a bad query); with
    ``internal``, an internal or deserialisation error counts too (our own reads of a sound index
    never raise those, while a user's odd SQL may)."""
    text = str(exc).lower()
    if isinstance(exc, duckdb.IOException) and any(w in text for w in _LOCK_WORDS):
        return False
    return (internal and isinstance(exc, (duckdb.InternalException, duckdb.SerializationException))) or any(
        w in text for w in _DAMAGE_WORDS)


def _damaged(db_path: str, exc: BaseException) -> IndexCorruptError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    first = first.replace(os.path.abspath(db_path), os.path.basename(db_path))  # no home directory shown
    return IndexCorruptError(
        f"the index file {os.path.basename(db_path)} is damaged ({first[:160]}): run `repointel index "
        "--verify` to move it aside and rebuild it")


class IndexReader(Protocol):
    """What every reader of an index offers: :class:`IndexStore` (a local file) and
    :class:`~repointel.store_client.RemoteStore` (a daemon's socket) alike. Writes are not part of
    it: only an :class:`IndexStore` opened read-write can write."""

    db_path: str
    read_only: bool
    #: Whether whole tables may be read in bulk cheaply (:meth:`arrow` over a local file).
    bulk_reads: bool

    def close(self) -> None:
        """Let go of the index (idempotent)."""

    def meta(self) -> dict[str, str]:
        """Every key/value of the meta table."""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a trusted internal SELECT."""

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Rows of a trusted internal SELECT as an Arrow table."""

    def dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a trusted internal SELECT as dicts."""

    def table(self, name: str) -> list[tuple[Any, ...]]:
        """Every row of a known table, in a stable order."""

    def file_states(self, paths: Collection[str] | None = None) -> dict[str, FileState]:
        """path → (size, mtime_ns, sha256, status, skip_reason, ctime_ns, inode)."""

    def user_query(self, sql: str, limit: int = DEFAULT_QUERY_ROWS, timeout: float = DEFAULT_QUERY_SECONDS
                   ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Untrusted read-only SQL, row-capped and time-limited."""


def _guarded(fn: Callable[_P, _T]) -> Callable[_P, _T]:
    """A read method whose DuckDB damage errors become :class:`IndexCorruptError` (one line that
    names the fix), never a traceback from deep inside a packet build."""

    @functools.wraps(fn)
    def read(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return fn(*args, **kwargs)
        except duckdb.Error as exc:
            if _damage(exc):
                raise _damaged(str(getattr(args[0], "db_path", "index")), exc) from exc
            raise

    return read


def _attach_read_only(db_path: str) -> duckdb.DuckDBPyConnection:
    """A read connection to ``db_path``: a private in-memory database with the file ATTACHed
    read-only as the default catalog, then no file, URL or extension access for the untrusted SQL
    it answers. (``duckdb.connect(path)`` would hand back the database instance another connection
    of this process holds for that path, even when the file was renamed over since.)"""
    con = duckdb.connect(":memory:")
    try:
        quoted = os.path.abspath(db_path).replace("'", "''")
        con.execute(f"ATTACH '{quoted}' AS idx (READ_ONLY)")
        con.execute("USE idx")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


class IndexStore:
    """A connection to one index file, read-only or read-write (implements :class:`IndexReader`)."""

    #: Whole tables can be read in bulk (:meth:`arrow`) cheaply: the file is local.
    bulk_reads = True

    def __init__(self, db_path: str, read_only: bool = False) -> None:
        self.db_path = db_path
        #: The index this store holds: ``db_path``, except for a writing run's private copy, which
        #: names the file it will replace (per-index memos key on it, valid across the copies).
        self.index_path = db_path
        self.read_only = read_only
        self._meta: dict[str, str] | None = None
        if read_only and not os.path.exists(db_path):
            raise IndexMissingError(f"no index at {db_path}: run `repointel index` first")
        try:
            self.con = _attach_read_only(db_path) if read_only else duckdb.connect(db_path)
        except duckdb.Error as exc:
            if _damage(exc):
                raise _damaged(db_path, exc) from exc
            if isinstance(exc, duckdb.IOException):
                raise IndexLockedError(f"index {db_path} is locked by another process: "
                                       f"{str(exc).splitlines()[0]}") from exc
            raise
        try:
            if read_only:
                self._check_version()
            else:
                self._migrate()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with contextlib.suppress(duckdb.Error, AttributeError):
            self.con.close()

    # -- schema -----------------------------------------------------------------
    @_guarded
    def _columns(self) -> dict[str, list[str]]:
        """table → its column names, as the file holds them."""
        rows = self.con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' ORDER BY table_name, column_index").fetchall()
        out: dict[str, list[str]] = {}
        for table, column in rows:
            out.setdefault(str(table), []).append(str(column))
        return out

    def _check_schema(self, columns: dict[str, list[str]], version: int) -> None:
        """Every table and column of this schema version is there: a dropped table or column is
        damage found on open, not a confusing error (or an empty answer) later."""
        name = os.path.basename(self.db_path)
        for table, cols in TABLES.items():
            if table not in columns:
                raise IndexCorruptError(f"the index file {name} is damaged (table {table} is missing): "
                                        "run `repointel index` to move it aside and rebuild it")
            want = [c for c, _ in cols if version >= 2 or c not in _ADDED_IN_2]
            gone = [c for c in want if c not in columns[table]]
            if gone:
                raise IndexCorruptError(f"the index file {name} is damaged (column {table}.{gone[0]} is "
                                        "missing): run `repointel index` to move it aside and rebuild it")

    def _version(self, columns: dict[str, list[str]]) -> int | None:
        """The schema version in meta; None for a file without any table (a new file). A file
        with tables but no repointel meta is someone else's database: refused, never written."""
        name = os.path.basename(self.db_path)
        if "meta" not in columns:
            if columns:
                raise IndexCorruptError(
                    f"{name} is a DuckDB database but not a repointel index (it has tables "
                    f"{', '.join(sorted(columns)[:3])}): run `repointel index` to move it aside and build "
                    "the index")
            return None
        version = self.meta().get("schema_version", "")
        if not version.isdigit():
            raise IndexCorruptError(f"the index file {name} is damaged (no schema version): run "
                                    "`repointel index` to move it aside and rebuild it")
        if int(version) > SCHEMA_VERSION:
            raise SchemaVersionError(f"index schema {version} is newer than {SCHEMA_VERSION}")
        return int(version)

    def _check_version(self) -> None:
        columns = self._columns()
        version = self._version(columns)
        if version is None:
            raise IndexMissingError(f"{self.db_path} holds no repointel index: run `repointel index` first")
        self._check_schema(columns, version)
        if version < SCHEMA_VERSION:
            raise SchemaVersionError(f"index schema {version} is older than {SCHEMA_VERSION}: run "
                                     "`repointel index` to upgrade it")

    def _migrate(self) -> None:
        columns = self._columns()
        version = self._version(columns)
        if version is not None and version >= 1:
            self._check_schema(columns, version)
        if version == SCHEMA_VERSION:
            return
        self.con.begin()
        for table, cols in TABLES.items():
            if version is not None and version >= 1:  # 1 → 2: add the new columns (NULL: re-checked once)
                for name, typ in cols:
                    if name not in columns[table]:
                        self.con.execute(f"ALTER TABLE {table} ADD COLUMN {name} {typ}")
                continue
            if version is not None:
                self.con.execute(f"DROP TABLE IF EXISTS {table}")  # v0 → v1: rebuild
            body = ", ".join(f"{name} {typ}" for name, typ in cols)
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
        self.con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        self._set_meta({"schema_version": str(SCHEMA_VERSION)})
        self.con.commit()

    # -- meta -------------------------------------------------------------------
    @_guarded
    def meta(self) -> dict[str, str]:
        """Every key/value of the meta table. A read-only store reads it once: the file it holds
        never changes (writers write a copy and rename it over; the daemon serves its own reads),
        and every per-state cache keys on it."""
        if self._meta is not None:
            return dict(self._meta)
        try:
            rows = self.con.execute("SELECT key, value FROM meta").fetchall()
        except duckdb.CatalogException:
            return {}
        meta = {str(k): str(v) for k, v in rows}
        if self.read_only:
            self._meta = meta
        return dict(meta)

    def _set_meta(self, values: dict[str, str | None]) -> None:
        self.con.execute("DELETE FROM meta WHERE list_contains(?, key)", [list(values)])
        kept = [(k, v) for k, v in values.items() if v is not None]
        if kept:
            self.con.execute("INSERT INTO meta SELECT unnest(?), unnest(?)", [[k for k, _ in kept], [v for _, v in kept]])

    # -- writes -----------------------------------------------------------------
    def _insert(self, table: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._insert_columns(table, [[r[i] for r in rows] for i in range(len(TABLES[table]))])

    def _insert_columns(self, table: str, columns: Sequence[Sequence[Any]]) -> None:
        cols = TABLES[table]
        if not columns or not columns[0]:
            return
        arrays = [pa.array(values, type=_arrow_type(typ)) for values, (_, typ) in zip(columns, cols)]
        # A relation over the Arrow table, not a registered view: registering and unregistering
        # cost more than a one-file insert itself.
        self.con.from_arrow(pa.Table.from_arrays(arrays, names=[c for c, _ in cols])).insert_into(table)

    def _delete_paths(self, paths: Iterable[str], returning: dict[str, str]
                      ) -> dict[str, list[tuple[Any, ...]]]:
        keys = sorted(set(paths))
        gone: dict[str, list[tuple[Any, ...]]] = {t: [] for t in returning}
        if not keys:
            return gone
        small = len(keys) <= _SMALL_DELETE  # a parameter list: no Arrow registration for a few paths
        if not small:
            self.con.register("_gone", pa.table({"path": pa.array(keys, type=pa.string())}))
        try:
            for table in PER_FILE_TABLES:
                where = "list_contains(?, path)" if small else "path IN (SELECT path FROM _gone)"
                ret = f" RETURNING {returning[table]}" if table in returning else ""
                cur = self.con.execute(f"DELETE FROM {table} WHERE {where}{ret}", [keys] if small else [])
                if ret:
                    gone[table] = cur.fetchall()
        finally:
            if not small:
                self.con.unregister("_gone")
        return gone

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write: everything inside commits together or not at all."""
        self.con.begin()
        try:
            yield
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise

    def replace_files(self, *, remove: Iterable[str], columns: dict[str, list[list[Any]]],
                      touch: list[tuple[str, int, int, int]], returning: dict[str, str] | None = None
                      ) -> dict[str, list[tuple[Any, ...]]]:
        """Per-file tables: drop removed/changed paths, insert new rows (given column by column,
        in :data:`TABLES` order), update touched files' (mtime, ctime, inode). ``returning`` maps a table to the
        expressions (SQL) to return of each row deleted from it: the state being replaced."""
        gone = self._delete_paths(remove, returning or {})
        for table in PER_FILE_TABLES:
            if table in columns:
                self._insert_columns(table, columns[table])
        if touch:
            self._touch(touch)
        return gone

    def replace_table(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Replace every row of a repository-wide table."""
        self.con.execute(f"DELETE FROM {table}")
        self._insert(table, rows)

    def replace_rows(self, table: str, paths: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Replace the rows of ``paths`` in a path-keyed table."""
        self.con.execute(f"DELETE FROM {table} WHERE path IN (SELECT unnest(?))", [list(paths)])
        self._insert(table, rows)

    def insert(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Append rows to a table in one bulk write."""
        self._insert(table, rows)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> None:
        """Run one trusted internal statement (used for set-based derived maps); ``params`` are
        positional, or named (``$name``) when a dict."""
        self.con.execute(sql, params if isinstance(params, dict) else list(params))

    def set_meta(self, values: dict[str, str | None]) -> None:
        """Set (or with None, delete) meta keys."""
        self._set_meta(values)

    def _touch(self, touch: list[tuple[str, int, int, int]]) -> None:
        batch = pa.table({name: pa.array([t[i] for t in touch], pa.string() if i == 0 else pa.int64())
                          for i, name in enumerate(("p", "m", "c", "i"))})
        self.con.register("_touch", batch)
        try:
            self.con.execute("UPDATE files SET mtime_ns = t.m, ctime_ns = t.c, inode = t.i FROM _touch t "
                             "WHERE files.path = t.p")
        finally:
            self.con.unregister("_touch")

    # -- reads ------------------------------------------------------------------
    @_guarded
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a trusted internal SELECT and return its rows."""
        return self.con.execute(sql, list(params)).fetchall()

    @_guarded
    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run a trusted internal SELECT and return its rows as an Arrow table (for bulk reads)."""
        rel = self.con.sql(sql, params=list(params))
        fetch = getattr(rel, "to_arrow_table", None) or rel.arrow  # duckdb 2.x / 1.x
        table: pa.Table = fetch()
        return table

    @_guarded
    def dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a trusted internal SELECT and return its rows as dicts."""
        cur = self.con.execute(sql, list(params))
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    @_guarded
    def table(self, name: str) -> list[tuple[Any, ...]]:
        """Every row of a known table, in a stable order (for differential tests)."""
        if name not in TABLES:
            raise QueryError(f"unknown table {name!r}")
        cols = ", ".join(c for c, _ in TABLES[name])
        return self.con.execute(f"SELECT {cols} FROM {name} ORDER BY ALL").fetchall()

    @_guarded
    def file_states(self, paths: Collection[str] | None = None) -> dict[str, FileState]:
        """path → (size, mtime_ns, sha256, status, skip_reason, ctime_ns, inode) for every recorded
        file (or for those of ``paths`` that are recorded)."""
        rows = self.con.execute(
            "SELECT path, size, mtime_ns, sha256, status, skip_reason, ctime_ns, inode FROM files"
            + ("" if paths is None else " WHERE list_contains(?, path)"),
            [] if paths is None else [sorted(paths)],
        ).fetchall()
        return {r[0]: (r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows}

    def _one_select(self, sql: str) -> str:
        """The one SELECT statement ``sql`` holds (a ``;`` or ``--`` inside a string literal or a
        comment is fine), as DuckDB's own parser splits it; anything else is a QueryError. The
        write-keyword check then runs on the statement's code alone (literals and comments blanked)."""
        try:
            statements = self.con.extract_statements(sql)
        except duckdb.Error as exc:
            raise QueryError(str(exc).splitlines()[0]) from exc
        if not statements:
            raise QueryError("only read-only SELECT queries are allowed")
        if len(statements) > 1:
            raise QueryError("only a single read-only SELECT statement is allowed")
        text = statements[0].query.strip()
        code = sql_code(text)
        if statements[0].type != duckdb.StatementType.SELECT or not re.match(
                r"^\s*(select|with|from|describe|show|summarize|values|\()", code, re.IGNORECASE):
            raise QueryError("only read-only SELECT queries are allowed")
        if _WRITE_SQL.search(code):
            raise QueryError("only a single read-only SELECT statement is allowed")
        return text.rstrip().removesuffix(";") if code.rstrip().endswith(";") else text

    @_guarded
    def verify_blocks(self) -> None:
        """Read every column of every table once: DuckDB checks each block's checksum as it reads,
        so a damaged block anywhere raises :class:`IndexCorruptError` (~0.3 s per 40 MB)."""
        for table in ("meta", *TABLES):
            self.con.execute(f"SELECT count(*), sum(hash(t)) FROM {table} t").fetchall()

    @_guarded
    def user_query(self, sql: str, limit: int = DEFAULT_QUERY_ROWS, timeout: float = DEFAULT_QUERY_SECONDS,
                   cancelled: Callable[[], bool] | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run untrusted read-only SQL: one SELECT/WITH statement, at most ``limit`` rows, interrupted
        (DuckDB's ``interrupt``) after ``timeout`` seconds, or as soon as ``cancelled()`` says that
        its client went away (polled every 50 ms)."""
        text = self._one_select(sql)
        watch = _Watchdog(self.con, timeout, cancelled)
        try:
            with watch:
                cur = self.con.execute(text)
                names = [d[0] for d in cur.description or []]
                return names, cur.fetchmany(max(0, int(limit)))
        except duckdb.InterruptException as exc:
            if not watch.fired:  # not our watchdog: the connection was closed under it
                raise QueryTimeoutError("query interrupted: its connection was closed (the server stopped)") from exc
            why = "its client went away" if watch.cancelled else f"it ran past its {timeout:g} s time limit"
            raise QueryTimeoutError(f"query interrupted: {why} (allow longer with --timeout)") from exc
        except duckdb.Error as exc:
            if _damage(exc, internal=False):
                raise
            raise QueryError((str(exc).strip().splitlines() or [type(exc).__name__])[0]) from exc


#: How often a running query checks whether its client went away: a disconnect costs at most
#: this much more CPU, and the check (a poll of one socket) is ~10 µs.
_CANCEL_POLL_SECONDS = 0.05


class _Watchdog:
    """Interrupts a connection's running statement once ``timeout`` passed or ``cancelled()``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, timeout: float,
                 cancelled: Callable[[], bool] | None) -> None:
        self.con, self.timeout, self.poll = con, timeout, cancelled
        self.done = threading.Event()
        self.cancelled = False
        self.fired = False  # the watchdog interrupted the statement (time limit or client gone)
        self.thread = threading.Thread(target=self._run, name="repointel-query-watchdog", daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + self.timeout
        while not self.done.wait(max(0.0, min(_CANCEL_POLL_SECONDS, deadline - time.monotonic()))):
            if self.poll is not None and self.poll():
                self.cancelled = True
            elif time.monotonic() < deadline:
                continue
            self.fired = True
            with contextlib.suppress(duckdb.Error):
                self.con.interrupt()
            return

    def __enter__(self) -> _Watchdog:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()

# -- where the index lives, and how a run replaces it ------------------------------------------
#: Names under the index folder that repointel writes (or DuckDB writes beside the index file):
#: a repository can commit any of them as a symbolic link, so each is checked before use.
_OWN_NAMES = (".gitignore", "daemon.pid", "daemon.log", "daemon.sock")
_BESIDE_INDEX = ("", ".wal", ".tmp", ".lock")


def _refuse_link(path: str, shown: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise PathOutsideRepoError(
            f"{shown} is a symbolic link: refusing to read or write the index through it (a repository "
            "cannot choose where its index is written); remove the link")


def check_index_location(root: str, db_path: str, *, user_given: bool = False) -> None:
    """Refuse an index location a repository could point elsewhere: the default folder
    (``.repointel``) and every file repointel or DuckDB opens in it must not be symbolic links (a
    committed ``.repointel`` link, or ``index.duckdb`` linked to a database elsewhere or to a path
    that does not exist yet). A location the user gave (``index_path``) is theirs: only the files
    beside it are checked."""
    folder = os.path.dirname(os.path.abspath(db_path))
    shown = os.path.relpath(db_path, root) if not user_given else db_path
    if not user_given:
        _refuse_link(folder, os.path.relpath(folder, root))
        if os.path.lexists(folder) and not os.path.isdir(folder):
            raise StorageError(f"{os.path.relpath(folder, root)} exists and is not a folder: move it away, "
                               "then index again")
        for name in _OWN_NAMES:
            _refuse_link(os.path.join(folder, name), os.path.join(os.path.relpath(folder, root), name))
    for suffix in _BESIDE_INDEX[1:] if user_given else _BESIDE_INDEX:
        _refuse_link(db_path + suffix, shown + suffix)
    if os.path.exists(db_path) and not os.path.isfile(db_path):
        raise StorageError(f"{shown} exists and is not a regular file: move it away, then index again")


def create_private(path: str, data: bytes, mode: int = 0o644) -> None:
    """Write a new file at ``path`` that did not exist, never through a link (``O_EXCL`` and
    ``O_NOFOLLOW``: a link or a file planted there makes it fail instead)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


@contextlib.contextmanager
def writer_lock(db_path: str) -> Iterator[None]:
    """Hold the writers' lock of the index (``<index>.lock``): one writer at a time (an index
    run, or a daemon for its lifetime); readers never take it."""
    try:
        fd = os.open(db_path + ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise _unwritable(db_path, exc) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexLockedError("another process is writing this index (a `repointel index` run or a "
                                   "`repointel watch` starting): try again when it is done") from exc
        yield
    finally:
        os.close(fd)


def _unwritable(db_path: str, exc: OSError) -> Exception:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return IndexReadOnlyError(f"the index {os.path.basename(db_path)} cannot be updated here "
                                  f"({exc.strerror}): it is served read-only as it is")
    if exc.errno == errno.ELOOP:
        return PathOutsideRepoError(f"{os.path.basename(db_path)}.lock is a symbolic link: remove it")
    return exc


def check_writable(db_path: str) -> None:
    """Raise :class:`IndexReadOnlyError` when the index file or its folder cannot be written
    (``chmod a-w``, a read-only mount): such an index is read as it is, never replaced."""
    folder = os.path.dirname(os.path.abspath(db_path))
    for path in (db_path, folder):
        # no write bit at all is a read-only index even for root (whom access() lets write anything)
        if os.path.exists(path) and (not os.access(path, os.W_OK) or not os.stat(path).st_mode & 0o222):
            raise IndexReadOnlyError(f"the index {os.path.basename(db_path)} is read-only "
                                     f"({'file' if path == db_path else 'folder'} not writable): it is "
                                     "served as it is, not updated")


def move_aside(db_path: str) -> str:
    """Rename a damaged index file (and its WAL) out of the way; returns the new name."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    aside = f"{db_path}.damaged-{stamp}-{uuid.uuid4().hex[:6]}"
    os.replace(db_path, aside)
    if os.path.lexists(db_path + ".wal"):
        os.replace(db_path + ".wal", aside + ".wal")
    return aside


#: Infix of a run's private copy: ``index.duckdb.writing-<pid>-<random>``.
_WRITING = ".writing-"


class SnapshotWriter:
    """One run's private copy of the index, published by renaming it over the index file.

    Readers keep the file they opened (a rename never changes an open file), so during a long
    run every reader sees the last committed index; a crash leaves the index as it was and a
    stray copy the next writer removes. Call under :func:`writer_lock`."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.tmp = f"{db_path}{_WRITING}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.store: IndexStore | None = None

    def open(self, *, fresh: bool = False) -> IndexStore:
        """A read-write store on a copy of the current index (an empty one when ``fresh`` or when
        there is none yet). A WAL that a killed daemon left is copied too, and replayed."""
        _remove_stale_copies(self.db_path)
        if not fresh and os.path.exists(self.db_path):
            _copy(self.db_path, self.tmp)
            if os.path.exists(self.db_path + ".wal"):
                _copy(self.db_path + ".wal", self.tmp + ".wal")
        self.store = IndexStore(self.tmp, read_only=False)
        self.store.index_path = self.db_path
        return self.store

    def publish(self) -> None:
        """Make the copy the index: checkpoint (no WAL left), fsync, rename over the index file."""
        assert self.store is not None
        self.store.execute("CHECKPOINT")
        self.store.close()
        self.store = None
        fd = os.open(self.tmp, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if os.path.lexists(self.db_path + ".wal"):  # folded into the copy (see :meth:`open`)
            os.unlink(self.db_path + ".wal")
        os.replace(self.tmp, self.db_path)
        _fsync_dir(os.path.dirname(os.path.abspath(self.db_path)))

    def discard(self) -> None:
        """Drop the copy (a failed or interrupted run)."""
        if self.store is not None:
            self.store.close()
            self.store = None
        _remove(self.tmp)


def _copy(src: str, dst: str) -> None:
    """Copy ``src`` to the new file ``dst`` (never through a link), in-kernel where it can."""
    out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        with open(src, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            done = 0
            try:
                while done < size:
                    n = os.copy_file_range(fh.fileno(), out, size - done)
                    if n == 0:
                        break
                    done += n
            except OSError:  # no in-kernel copy between these file systems: copy through memory
                fh.seek(done)
                os.lseek(out, done, os.SEEK_SET)
                with os.fdopen(os.dup(out), "wb") as sink:
                    shutil.copyfileobj(fh, sink, 1 << 20)
    finally:
        os.close(out)


def _fsync_dir(folder: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove(path: str) -> None:
    """Remove a copy and what DuckDB put beside it (its WAL, its temp folder), never following a link."""
    for p in (path, path + ".wal", path + ".tmp"):
        with contextlib.suppress(FileNotFoundError):
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.unlink(p)


def _remove_stale_copies(db_path: str) -> None:
    """Copies left by killed runs (we hold the writers' lock: none of them is in use)."""
    folder, base = os.path.split(os.path.abspath(db_path))
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            if name.startswith(base + _WRITING) and not name.endswith((".wal", ".tmp")):
                _remove(os.path.join(folder, name))


# -- fleet shards (owner: repointel/fleet/, docs/fleet.md) ---------------------------------------
class ShardStore(IndexStore):
    """Read-only DuckDB over a fleet's Parquet shards (``DIR/<repo-id>/<commit>/<table>.parquet``).

    Every table of :data:`TABLES` is a view over that table's shard of every repository, led by a
    ``repo`` column; ``repos`` lists the repositories. The connection is an in-memory database that
    may read exactly the listed shard files: untrusted SQL (:meth:`user_query`) reaches no other
    file, no URL and no setting."""

    def __init__(self, shards: Mapping[str, Sequence[str]], repos: pa.Table,
                 extra: Mapping[str, tuple[str, Sequence[str]]] | None = None,
                 tables: Collection[str] | None = None) -> None:
        """``shards``: table → its shard files; ``extra``: more views, name → (the table whose
        columns they have, their files), e.g. a fleet's sorted symbol directory; ``tables``: the
        tables to make views of (default: all; making one over 10,000 shards costs ~0.2 s).

        The connection may read the folders holding the listed files (a shard folder holds
        nothing but shards: one entry per repository instead of one per file, 0.6 s for 40,000)."""
        self.db_path = ":memory:"
        self.read_only = True
        self._meta = {}
        self.con = duckdb.connect(":memory:")
        extra = extra or {}
        files = {f for listed in [*shards.values(), *(f for _, f in extra.values())] for f in listed}
        folders = sorted({os.path.dirname(f) + os.sep for f in files})
        self.con.execute("SET enable_progress_bar = false")  # a long scan must not draw on the terminal
        # a shard never changes once renamed into place (a new commit is a new folder): footers
        # read once serve every later query of this process (-30% on 10,000 shards)
        self.con.execute("SET parquet_metadata_cache = true")
        self.con.execute("SET allowed_directories = ?", [folders])
        self.con.execute("SET enable_external_access = false")
        for table, cols in TABLES.items():
            if tables is None or table in tables:
                self.con.execute(f"CREATE VIEW {table} AS {_shard_select(shards.get(table) or (), cols)}")
        for view, (table, listed) in extra.items():
            self.con.execute(f"CREATE VIEW {view} AS {_shard_select(listed, TABLES[table])}")
        self.con.register("_repos", repos)
        self.con.execute("CREATE VIEW repos AS SELECT * FROM _repos")
        self.con.execute("SET lock_configuration = true")


def _shard_select(files: Sequence[str], cols: list[tuple[str, str]]) -> str:
    """A SELECT over the Parquet ``files`` (all of one schema version: their columns are not
    reconciled by name, which would read every footer when the view is made: 18 s for 10,000
    shards), or an empty typed SELECT when there are none."""
    if not files:
        typed = ", ".join(f"NULL::{typ} AS {name}" for name, typ in [("repo", "VARCHAR"), *cols])
        return f"SELECT {typed} WHERE false"
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    names = ", ".join(["repo", *(name for name, _ in cols)])
    return f"SELECT {names} FROM read_parquet([{listed}])"


def write_sorted_parquet(files: Sequence[str], table: str, order: str, dest: str, row_group_rows: int) -> int:
    """Concatenate the Parquet shards ``files`` of ``table`` into ``dest``, sorted by ``order``
    (trusted column names) in row groups of ``row_group_rows``: a lookup by the leading sort column
    reads the few row groups whose min/max hold the value. Returns the rows written."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET temp_directory = ?", [os.path.dirname(dest) or "."])  # a big sort spills there
        select = _shard_select(files, TABLES[table])
        target = dest.replace("'", "''")
        con.execute(f"COPY ({select} ORDER BY {order}) TO '{target}' "
                    f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {int(row_group_rows)})")
        rows = con.execute("SELECT count(*) FROM read_parquet(?)", [dest]).fetchall()[0][0]
        return int(rows)
    finally:
        con.close()
# -- end fleet shards ----------------------------------------------------------------------------
