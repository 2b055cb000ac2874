"""Store layer, remote side: read an index that a running ``repointel watch`` daemon holds.

DuckDB lets one process hold a database file read-write and then no other process may open it
at all. While the daemon runs, readers reach the index through its Unix socket instead:
:class:`RemoteStore` exposes the same read methods as :class:`~repointel.store.IndexStore`
(``rows``, ``dicts``, ``meta``, ``table``, ``user_query``, ``file_states``, ``close``) and
speaks newline-delimited JSON. Values survive the trip: lists, None, bool, float, big ints,
bytes (base64), dates/times, decimals and maps are tagged (see :func:`encode`).

If the daemon goes away mid-session, a RemoteStore falls back to opening the file read-only.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import errno
import hashlib
import json
import os
import socket
import uuid
from collections.abc import Collection, Sequence
from typing import Any

import pyarrow as pa

from . import errors
from .config import DEFAULT_QUERY_ROWS, DEFAULT_QUERY_SECONDS
from .errors import RepointelError
from .models import IndexStats
from .store import FileState, IndexReader, IndexStore

__all__ = [
    "ERRORS",
    "RemoteStore",
    "connect_daemon",
    "daemon_pid",
    "decode",
    "encode",
    "pid_path",
    "pid_alive",
    "socket_path",
]

#: Seconds a read may wait for the daemon's answer (reads never wait for a batch to finish).
READ_TIMEOUT = 120.0
#: Seconds a sync (an index run inside the daemon) may take.
SYNC_TIMEOUT = 3600.0
#: Seconds a query's answer may take beyond its own time limit (the daemon's interrupt, the trip).
_QUERY_SLACK_SECONDS = 5.0
#: AF_UNIX paths longer than this (the kernel limit is 108 bytes) move to the temp directory.
_MAX_SOCKET_PATH = 100


# -- where the daemon lives -----------------------------------------------------------
def socket_path(db_path: str) -> str:
    """The daemon's socket for the index at ``db_path`` (next to it, unless that path is too long)."""
    here = os.path.join(os.path.dirname(os.path.abspath(db_path)), "daemon.sock")
    if len(os.fsencode(here)) <= _MAX_SOCKET_PATH:
        return here
    digest = hashlib.sha256(os.fsencode(os.path.abspath(db_path))).hexdigest()[:20]
    return os.path.join("/tmp", f"repointel-{digest}.sock")


def pid_path(db_path: str) -> str:
    """The daemon's pid file for the index at ``db_path``."""
    return os.path.join(os.path.dirname(os.path.abspath(db_path)), "daemon.pid")


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (zombies of our own children count as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().split(b") ", 1)[1][:1] != b"Z"
    except (OSError, IndexError):
        return True


def daemon_pid(db_path: str) -> int | None:
    """The pid in the pid file if that process is alive, else None."""
    try:
        with open(pid_path(db_path)) as fh:
            pid = int(fh.read().strip() or 0)
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


# -- values -----------------------------------------------------------------------------
def encode(value: Any) -> Any:
    """A JSON-safe form of a DuckDB value; tagged one-key dicts carry non-JSON types."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else {"$f": repr(value)}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {"$m": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$t": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$td": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, decimal.Decimal):
        return {"$dec": str(value)}
    if isinstance(value, uuid.UUID):
        return {"$u": str(value)}
    return str(value)


_DECODERS: dict[str, Any] = {
    "$f": float,
    "$b": lambda v: base64.b64decode(v),
    "$dt": dt.datetime.fromisoformat,
    "$d": dt.date.fromisoformat,
    "$t": dt.time.fromisoformat,
    "$td": lambda v: dt.timedelta(days=v[0], seconds=v[1], microseconds=v[2]),
    "$dec": decimal.Decimal,
    "$u": uuid.UUID,
}


def decode(value: Any) -> Any:
    """The inverse of :func:`encode`."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        (tag, body), = value.items()
        if tag == "$m":
            return {decode(k): decode(v) for k, v in body}
        if tag in _DECODERS:
            return _DECODERS[tag](body)
    return value


def _row(value: Any) -> tuple[Any, ...]:
    return tuple(decode(v) for v in value)


# -- the client ------------------------------------------------------------------------------
class _Connection:
    """One socket to the daemon, newline-delimited JSON both ways."""

    def __init__(self, path: str, timeout: float) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise
        self.reader = self.sock.makefile("rb")

    def call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        self.sock.settimeout(timeout)
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        line = self.reader.readline()
        if not line:
            raise ConnectionError("the daemon closed the connection")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        try:
            self.reader.close()
            self.sock.close()
        except OSError:
            pass


#: Every error class of :mod:`repointel.errors` by name: the daemon sends the name of what it
#: raised and the client raises the same class (``except BudgetError`` catches a daemon's too).
ERRORS: dict[str, type[RepointelError]] = {
    name: cls for name in errors.__all__
    if isinstance(cls := getattr(errors, name), type) and issubclass(cls, RepointelError)
}


def raise_answer(answer: dict[str, Any]) -> None:
    """Raise the error a daemon's answer carries (the same class it raised, by name)."""
    kind = ERRORS.get(str(answer.get("error")), RepointelError)
    raise kind(str(answer.get("message")))


class RemoteStore:
    """The :class:`~repointel.store.IndexReader` of an index a daemon holds: every read is
    answered over its socket (no write method: the daemon is the only writer).

    ``daemon`` holds the daemon's status from the last answer: ``freshness``
    (current/stale/unknown), ``pending`` (events not applied yet), ``last_event``, ``pid``,
    ``observer`` (inotify or polling) and ``batches``.
    """

    #: Whole-table reads cross a socket here: callers prefer set-based queries.
    bulk_reads = False
    db_path: str
    read_only: bool

    def __init__(self, db_path: str, *, timeout: float = READ_TIMEOUT) -> None:  # noqa: D107
        # Deliberately no IndexStore.__init__: this process must not open the DuckDB file.
        self.db_path = db_path
        self.read_only = True
        self.timeout = timeout
        self.daemon: dict[str, Any] = {}
        self._local: IndexStore | None = None
        self._conn: _Connection | None = _Connection(socket_path(db_path), timeout)
        self._call("ping")

    # -- transport ---------------------------------------------------------------------
    def _call(self, op: str, timeout: float | None = None, **args: Any) -> Any:
        request = {"op": op, **{k: encode(v) for k, v in args.items()}}
        answer: dict[str, Any] | None
        try:
            if self._conn is None:
                raise ConnectionError("not connected")
            answer = self._conn.call(request, timeout or self.timeout)
        except (OSError, ValueError):
            answer = self._retry(request, timeout)
        if answer is None:
            raise ConnectionError("the daemon went away")
        self.daemon = answer.get("daemon", self.daemon)
        if not answer.get("ok"):
            raise_answer(answer)
        return answer.get("result")

    def _retry(self, request: dict[str, Any], timeout: float | None) -> dict[str, Any] | None:
        """Reconnect once (a restarted daemon); None when no daemon serves the index any more."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if daemon_pid(self.db_path) is None:
            return None
        try:
            self._conn = _Connection(socket_path(self.db_path), self.timeout)
            return self._conn.call(request, timeout or self.timeout)
        except (OSError, ValueError):
            return None

    def _fallback(self) -> IndexStore:
        """The daemon is gone: read the file directly from now on."""
        if self._local is None:
            self._local = IndexStore(self.db_path, read_only=True)
            self.daemon = {}
        return self._local

    def _read(self, op: str, *, wait: float | None = None, **args: Any) -> Any:
        """The daemon's answer to ``op`` (waiting up to ``wait`` seconds), or ``_LOCAL`` once the
        daemon is gone (the caller reads the file itself)."""
        if self._local is None:
            try:
                return self._call(op, timeout=wait, **args)
            except ConnectionError:
                self._fallback()
        return _LOCAL

    # -- the reader protocol ------------------------------------------------------------------
    def close(self) -> None:
        """Close the socket (and a fallback connection)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._local is not None:
            self._local.close()
            self._local = None

    def meta(self) -> dict[str, str]:
        """Every key/value of the meta table (with the daemon's live freshness keys)."""
        out = self._read("meta")
        if out is _LOCAL:
            return self._fallback().meta()
        return {str(k): str(v) for k, v in out.items()}

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a trusted internal SELECT and return its rows."""
        out = self._read("rows", sql=sql, params=list(params))
        return self._fallback().rows(sql, params) if out is _LOCAL else [_row(r) for r in out]

    def dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a trusted internal SELECT and return its rows as dicts."""
        out = self._read("dicts", sql=sql, params=list(params))
        if out is _LOCAL:
            return self._fallback().dicts(sql, params)
        names, rows = out
        return [dict(zip(names, _row(r))) for r in rows]

    def table(self, name: str) -> list[tuple[Any, ...]]:
        """Every row of a known table, in a stable order."""
        out = self._read("table", name=name)
        return self._fallback().table(name) if out is _LOCAL else [_row(r) for r in out]

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run a trusted internal SELECT and return its rows as an Arrow table."""
        out = self._read("dicts", sql=sql, params=list(params))
        if out is _LOCAL:
            return self._fallback().arrow(sql, params)
        names, rows = out
        decoded = [_row(r) for r in rows]
        return pa.table({n: [r[i] for r in decoded] for i, n in enumerate(names)})

    def file_states(self, paths: Collection[str] | None = None) -> dict[str, FileState]:
        """path → (size, mtime_ns, sha256, status, skip_reason, ctime_ns, inode) for every recorded
        file (or for those of ``paths`` that are recorded)."""
        out = self._read("file_states")
        if out is _LOCAL:
            return self._fallback().file_states(paths)
        wanted = None if paths is None else set(paths)
        return {str(p): (s[0], s[1], s[2], s[3], s[4], s[5], s[6]) for p, s in out
                if wanted is None or p in wanted}

    def built(self, op: str, **args: Any) -> dict[str, Any] | None:
        """A map or packet (``op`` "map"/"context") built inside the daemon, next to its caches, as
        JSON; None when the daemon is gone (the caller builds it from the fallback store)."""
        out = self._read(op, **args)
        return None if out is _LOCAL else dict(out)

    def user_query(self, sql: str, limit: int = DEFAULT_QUERY_ROWS, timeout: float = DEFAULT_QUERY_SECONDS
                   ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run untrusted read-only SQL (checked and run by the daemon on a rolled-back cursor,
        interrupted there after ``timeout`` seconds or when this connection goes away)."""
        out = self._read("user_query", sql=sql, limit=limit, seconds=timeout,
                         wait=timeout + _QUERY_SLACK_SECONDS)
        if out is _LOCAL:
            return self._fallback().user_query(sql, limit, timeout)
        names, rows = out
        return [str(n) for n in names], [_row(r) for r in rows]

    # -- daemon operations -------------------------------------------------------------------
    def sync(self, workers: int | None = None) -> IndexStats:
        """Ask the daemon to bring the index up to date now (a full ``run_index``)."""
        result = self._call("sync", timeout=SYNC_TIMEOUT, workers=workers)
        return IndexStats(**result)

    def status(self) -> dict[str, Any]:
        """The daemon's live status (freshness, pending events, observer kind, pid)."""
        self._call("ping")
        return dict(self.daemon)

    def stop(self) -> None:
        """Ask the daemon to shut down cleanly."""
        self._call("stop")


#: Marker: the daemon is gone, answer from the local read-only fallback.
_LOCAL: Any = object()


def connect_daemon(db_path: str) -> RemoteStore | None:
    """A RemoteStore if a live daemon serves ``db_path`` (pid alive, socket answers), else None."""
    if daemon_pid(db_path) is None or not os.path.exists(socket_path(db_path)):
        return None
    try:
        return RemoteStore(db_path)
    except (OSError, ValueError, RepointelError):
        return None


def _is_reader(store: RemoteStore) -> IndexReader:
    """Checked by mypy: RemoteStore implements the reader protocol."""
    return store
