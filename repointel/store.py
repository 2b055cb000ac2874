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
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from .config import SCHEMA_VERSION
from .errors import IndexLockedError, IndexMissingError, QueryError, SchemaVersionError

__all__ = ["TABLES", "DatabaseError", "IndexStore", "ShardStore", "sql_code", "write_sorted_parquet"]

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
#: Tables keyed by a file path: rows for a changed or removed file are replaced.
PER_FILE_TABLES = ("files", "symbols", "refs", "terms", "imports", "risks")
#: Tables rebuilt whole from the per-file ones whenever anything changed.
DERIVED_TABLES = ("doclen", "file_edges", "test_links", "owners", "history", "cochange", "builds",
                  "conventions")
#: Up to this many paths are deleted with a list parameter; more go through a registered Arrow table.
_SMALL_DELETE = 64
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


class IndexStore:
    """A connection to one index file, read-only or read-write."""

    #: Whole tables can be read in bulk (:meth:`arrow`) cheaply: the file is local.
    bulk_reads = True

    def __init__(self, db_path: str, read_only: bool = False) -> None:
        self.db_path = db_path
        self.read_only = read_only
        self._meta: dict[str, str] | None = None
        if read_only and not os.path.exists(db_path):
            raise IndexMissingError(f"no index at {db_path}: run `repointel index` first")
        # Readers answer untrusted SQL: no file, URL or extension access from a read connection.
        config: dict[str, Any] = {"enable_external_access": False} if read_only else {}
        try:
            self.con = duckdb.connect(db_path, read_only=read_only, config=config)
        except duckdb.IOException as exc:
            raise IndexLockedError(f"index {db_path} is locked by another process: {exc}") from exc
        if not read_only:
            self._migrate()
        else:
            self._check_version()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        try:
            self.con.close()
        except duckdb.Error:
            pass

    # -- schema -----------------------------------------------------------------
    def _check_version(self) -> None:
        version = self.meta().get("schema_version")
        if version is None:
            raise IndexMissingError(f"{self.db_path} holds no repointel index")
        if int(version) > SCHEMA_VERSION:
            raise SchemaVersionError(f"index schema {version} is newer than {SCHEMA_VERSION}")

    def _migrate(self) -> None:
        self.con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        version = self.meta().get("schema_version")
        if version is not None and int(version) > SCHEMA_VERSION:
            raise SchemaVersionError(f"index schema {version} is newer than {SCHEMA_VERSION}")
        if version is None or int(version) < SCHEMA_VERSION:
            self.con.begin()
            for table, cols in TABLES.items():
                if version is not None:
                    self.con.execute(f"DROP TABLE IF EXISTS {table}")  # v0 → v1: rebuild
                body = ", ".join(f"{name} {typ}" for name, typ in cols)
                self.con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
            self._set_meta({"schema_version": str(SCHEMA_VERSION)})
            self.con.commit()

    # -- meta -------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        """Every key/value of the meta table. A read-only store reads it once: while it holds the
        file no process can write it (DuckDB's lock), and every per-state cache keys on it."""
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
                      touch: list[tuple[str, int]], returning: dict[str, str] | None = None
                      ) -> dict[str, list[tuple[Any, ...]]]:
        """Per-file tables: drop removed/changed paths, insert new rows (given column by column,
        in :data:`TABLES` order), update touched mtimes. ``returning`` maps a table to the
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

    def _touch(self, touch: list[tuple[str, int]]) -> None:
        batch = pa.table({"p": [p for p, _ in touch], "m": pa.array([m for _, m in touch], pa.int64())})
        self.con.register("_touch", batch)
        try:
            self.con.execute("UPDATE files SET mtime_ns = t.m FROM _touch t WHERE files.path = t.p")
        finally:
            self.con.unregister("_touch")

    # -- reads ------------------------------------------------------------------
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a trusted internal SELECT and return its rows."""
        return self.con.execute(sql, list(params)).fetchall()

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run a trusted internal SELECT and return its rows as an Arrow table (for bulk reads)."""
        rel = self.con.sql(sql, params=list(params))
        fetch = getattr(rel, "to_arrow_table", None) or rel.arrow  # duckdb 2.x / 1.x
        table: pa.Table = fetch()
        return table

    def dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a trusted internal SELECT and return its rows as dicts."""
        cur = self.con.execute(sql, list(params))
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def table(self, name: str) -> list[tuple[Any, ...]]:
        """Every row of a known table, in a stable order (for differential tests)."""
        if name not in TABLES:
            raise QueryError(f"unknown table {name!r}")
        cols = ", ".join(c for c, _ in TABLES[name])
        return self.con.execute(f"SELECT {cols} FROM {name} ORDER BY ALL").fetchall()

    def file_states(self, paths: Collection[str] | None = None
                    ) -> dict[str, tuple[int, int, str | None, str, str | None]]:
        """path → (size, mtime_ns, sha256, status, skip_reason) for every recorded file (or for
        those of ``paths`` that are recorded)."""
        rows = self.con.execute(
            "SELECT path, size, mtime_ns, sha256, status, skip_reason FROM files"
            + ("" if paths is None else " WHERE list_contains(?, path)"),
            [] if paths is None else [sorted(paths)],
        ).fetchall()
        return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}

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

    def user_query(self, sql: str, limit: int = 10_000) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run untrusted read-only SQL: a single SELECT/WITH statement, rows capped at ``limit``."""
        text = self._one_select(sql)
        try:
            cur = self.con.execute(text)
            names = [d[0] for d in cur.description or []]
            return names, cur.fetchmany(limit)
        except duckdb.Error as exc:
            raise QueryError(str(exc).splitlines()[0]) from exc


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
