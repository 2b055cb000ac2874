"""``repointel watch``: a daemon that keeps the index fresh while agents read it.

DuckDB lets one process hold the file read-write and then no other process may open it, so
the daemon is both the only writer and the server of every read (design: docs/daemon.md):

- a watchdog observer (inotify; a polling observer when the watch limit is hit) reports file
  events; they are debounced into batches and each batch is applied by the same
  :func:`~repointel.indexer.run_index` an ordinary ``repointel index`` uses (atomic, so a
  reader or a crash only ever sees whole batches);
- readers connect to ``.repointel/daemon.sock`` (newline-delimited JSON, see
  :mod:`repointel.store_client`); each connection reads through its own DuckDB cursor, and
  MVCC lets those reads proceed while a batch writes;
- freshness (``current``/``stale``/``unknown``), the pending event count and the last event
  applied travel with every answer and are recorded in ``meta`` after each batch.

The library never prints: pass ``log`` to see what the daemon does.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import gc
import json
import logging
import os
import signal
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .bounds import MAX_QUERY_ROWS, MAX_QUERY_SECONDS
from .config import DEFAULT_QUERY_ROWS, DEFAULT_QUERY_SECONDS, INDEX_DIRNAME
from .derive import warm as warm_derived
from .errors import IndexCorruptError, RepointelError
from .indexer import run_index
from .models import IndexStats
from .scan import ScanResult, git_dirs, rescan_paths, scan
from .store import IndexStore, create_private, move_aside, writer_lock
from .store_client import decode, encode, pid_path, socket_path

__all__ = ["Daemon", "DaemonStatus", "classify_event", "error_answer"]

#: A batch is applied once no event arrived for this long: an editor's save (write a temp file,
#: rename it over the target; vim's backup dance) arrives within ~1 ms, and a save split over two
#: batches is still indexed right, so a short window buys latency at no cost in correctness.
QUIET_SECONDS = 0.005
#: ... or once its first event is this old, quiet or not (bounded latency under steady edits).
MAX_BATCH_SECONDS = 0.25
#: Events in one batch from which it is a storm (checkout, rebase): wait for a longer quiet.
STORM_EVENTS = 200
STORM_QUIET_SECONDS = 0.2
#: The cyclic garbage collector never runs a full collection on its own in the daemon: one over
#: its caches takes 15-60 ms and landed inside batches (6 in 230 one-file batches, measured). The
#: young generations collect as usual; everything is collected once idle this long after a batch,
#: and at least every FULL_GC_SECONDS (readers allocate too, edits or not).
IDLE_GC_SECONDS = 2.0
FULL_GC_SECONDS = 60.0
#: A full collection's own trigger, out of reach (collections of generation 1 between two full ones).
_NO_AUTOMATIC_FULL_GC = 1 << 30
#: While git holds .git/index.lock (checkout, rebase, merge), hold the batch, up to this long.
GIT_BUSY_MAX_SECONDS = 30.0
#: git directories that exist while a multi-step operation runs (rebase, cherry-pick, revert, am).
GIT_SEQUENCER_DIRS = ("rebase-merge", "rebase-apply", "sequencer")
#: ... between two of its steps git releases index.lock: hold while it touched it this recently
#: (a rebase stopped on a conflict holds edits at most this long). One step of a 400-file commit
#: can take over a second on a loaded 2-core machine, so 1 s split rebases into two batches.
GIT_STEP_GAP_SECONDS = 3.0
#: Seconds between retries when a batch failed.
RETRY_SECONDS = 1.0
#: Polling interval of the fallback observer when inotify watches run out.
POLL_SECONDS = 0.5

Log = Callable[[str], None]


def _utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def classify_event(rel: str) -> str:
    """What an event on repo-relative posix path ``rel`` means: 'ignore', 'path', 'full' or 'git'.

    'full' marks what changes *which* files are indexed or the commit (ignore files,
    ``.git/HEAD``, refs); those need the full listing (every batch takes it today). 'git' is
    git taking or releasing its index lock: no change by itself, but a sign git is at work.
    """
    parts = rel.split("/")
    if not rel or rel == "." or parts[0] == INDEX_DIRNAME:
        return "ignore"
    if parts[0] == ".git":
        inner = "/".join(parts[1:])
        if inner == "index.lock":
            return "git"
        if inner in ("HEAD", "packed-refs", "info/exclude") or inner.startswith("refs/"):
            return "ignore" if inner.endswith(".lock") else "full"
        return "ignore"
    if parts[-1] in (".gitignore", ".repointelignore"):
        return "full"
    return "path"


@dataclass
class DaemonStatus:
    """The daemon's live state, sent with every answer and written to ``meta`` per batch."""

    pid: int = field(default_factory=os.getpid)
    freshness: str = "unknown"
    pending: int = 0
    last_event: str | None = None
    observer: str = "inotify"
    batches: int = 0
    last_batch_seconds: float = 0.0
    #: UTC time the last batch committed (from then on every reader sees it).
    last_batch_at: str | None = None
    #: Seconds from the batch's first event to the start of its index run (debounce, git holds).
    last_batch_wait_seconds: float = 0.0
    #: True while a batch is being applied (a reader still sees the previous one).
    applying: bool = False
    #: Inotify queue overflows seen (each one forces a full rescan).
    overflows: int = 0
    last_error: str | None = None
    started_at: str = field(default_factory=_utcnow)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe copy."""
        return dict(self.__dict__)


@dataclass
class _Pending:
    """Events collected since the last batch started."""

    count: int = 0
    full: bool = False
    overflow: bool = False
    first: float = 0.0
    last: float = 0.0
    newest: str | None = None
    new_dirs: bool = False  # a directory appeared: inotify needs a watch for it
    paths: set[str] = field(default_factory=set)  # repository-relative paths the events named
    waiters: list[_Waiter] = field(default_factory=list)


@dataclass
class _Waiter:
    """A sync request waiting for the next batch to finish."""

    done: threading.Event = field(default_factory=threading.Event)
    stats: IndexStats | None = None
    error: str | None = None


class _OverflowLog(logging.Handler):
    """watchdog reports an inotify queue overflow only as a log record: turn it into a rescan."""

    def __init__(self, on_overflow: Callable[[], None]) -> None:
        super().__init__(logging.WARNING)
        self.on_overflow = on_overflow

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.on_overflow()


class Daemon:
    """Watch ``root``, apply event batches to the index at ``db_path``, serve reads."""

    def __init__(self, root: str, db_path: str, *, workers: int | None = None,
                 log: Log | None = None, polling: bool = False) -> None:
        self.root = os.path.realpath(root)
        self.db_path = db_path
        self.workers = workers
        self.log: Log = log or (lambda _msg: None)
        self.polling = polling
        self.status = DaemonStatus()
        self._cond = threading.Condition()
        self._pending = _Pending()
        self._listing: ScanResult | None = None  # the file listing the last applied batch used
        self._stopping = threading.Event()
        self._store: IndexStore | None = None
        self._observer: Any = None
        self._server: _Server | None = None
        self._overflow_log = _OverflowLog(self.on_overflow)
        self._git_seen = float("-inf")  # when git last took or released .git/index.lock
        dirs = git_dirs(self.root)
        #: Where git keeps HEAD and index.lock, and refs: ``.git`` here, elsewhere in a linked
        #: worktree or a submodule (those are watched too, see :meth:`_git_watches`).
        self._git_dir, self._common_dir = dirs or (os.path.join(self.root, ".git"),) * 2
        self._gc_due = False  # a batch ran since the last full collection
        self._gc_last = time.monotonic()  # when the last full collection ran

    # -- events ------------------------------------------------------------------------
    def note(self, path: str | bytes, *, full: bool = False, new_dir: bool = False) -> None:
        """Record one file-system event on absolute ``path`` (``new_dir``: a directory appeared)."""
        rel = self._relative(os.fsdecode(path))
        if rel is None:
            return
        kind = classify_event(rel)
        if kind == "git":
            self._git_seen = time.monotonic()
        if kind in ("ignore", "git"):
            return
        self._add(full=full or kind == "full", new_dir=new_dir, path=rel)

    def _relative(self, path: str) -> str | None:
        """The repository-relative posix path of an event, with git's own directories, wherever
        they are, seen as ``.git/...``; None for anything else outside the root."""
        for base in (self._git_dir, self._common_dir):
            if not _inside(base, self.root) and _inside(path, base):
                return ".git/" + os.path.relpath(path, base).replace(os.sep, "/")
        rel = os.path.relpath(path, self.root).replace(os.sep, "/")
        return None if rel.startswith("../") else rel

    def _git_watches(self) -> list[tuple[str, bool]]:
        """(directory, recursive) to watch beside the root: git's directories when they lie
        outside it (HEAD, index.lock, rebase state; refs, packed-refs and info/exclude)."""
        out: list[tuple[str, bool]] = []
        if not _inside(self._git_dir, self.root):
            out.append((self._git_dir, False))
        if not _inside(self._common_dir, self.root):
            if self._common_dir != self._git_dir:
                out.append((self._common_dir, False))
            out += [(os.path.join(self._common_dir, d), d == "refs") for d in ("refs", "info")]
        return [(d, rec) for d, rec in out if os.path.isdir(d)]

    def on_overflow(self) -> None:
        """Events were lost: freshness is unknown until a full rescan finishes."""
        with self._cond:
            first = not self._pending.overflow  # watchdog logs one overflow more than once
            self.status.overflows += first
        if first:
            self.log("inotify queue overflowed: events were lost; freshness unknown until a full rescan")
        self._add(full=True, overflow=True)

    def _add(self, *, full: bool = False, overflow: bool = False, new_dir: bool = False,
             path: str | None = None) -> None:
        with self._cond:
            p = self._pending
            now = time.monotonic()
            if p.count == 0 and not p.waiters:
                p.first = now
            p.count += 1
            if path is not None:
                p.paths.add(path)
            p.last = now
            p.full |= full
            p.overflow |= overflow
            p.new_dirs |= new_dir
            p.newest = _utcnow()
            self.status.pending = p.count
            if overflow:
                self.status.freshness = "unknown"
            elif self.status.freshness == "current":
                self.status.freshness = "stale"
            self._cond.notify_all()

    def request_sync(self) -> _Waiter:
        """Ask for a batch now; the returned waiter is set once it is applied."""
        waiter = _Waiter()
        with self._cond:
            if self._pending.count == 0 and not self._pending.waiters:
                self._pending.first = self._pending.last = time.monotonic()
            self._pending.waiters.append(waiter)
            self._cond.notify_all()
        return waiter

    # -- batching ----------------------------------------------------------------------
    def _git_busy(self) -> bool:
        """git is checking out, merging or between two steps of a rebase: hold the batch."""
        if os.path.exists(os.path.join(self._git_dir, "index.lock")):
            return True
        if time.monotonic() - self._git_seen > GIT_STEP_GAP_SECONDS:
            return False
        return any(os.path.isdir(os.path.join(self._git_dir, d)) for d in GIT_SEQUENCER_DIRS)

    def _wait_for_batch(self) -> _Pending | None:
        """Block until a debounced batch is ready; take it (None when stopping)."""
        with self._cond:
            while not self._stopping.is_set():
                p = self._pending
                if p.waiters and p.count == 0:
                    break
                if p.count:
                    delay = self._delay(p, time.monotonic())
                    if delay <= 0:
                        break
                    self._cond.wait(delay)
                elif self._gc_due or time.monotonic() - self._gc_last > FULL_GC_SECONDS:
                    if not self._cond.wait(IDLE_GC_SECONDS):  # idle since the last batch
                        self._collect_garbage()
                else:
                    self._cond.wait(1.0)
            else:
                return None
            taken, self._pending = self._pending, _Pending()
            return taken

    def _collect_garbage(self) -> None:
        """A full collection while idle (called holding ``_cond``: released meanwhile, so events
        keep arriving)."""
        self._cond.release()
        try:
            gc.collect()
        finally:
            self._cond.acquire()
        self._gc_due = False
        self._gc_last = time.monotonic()

    def _delay(self, p: _Pending, now: float) -> float:
        """Seconds to keep collecting ``p`` (<= 0: apply it now)."""
        storm = p.count >= STORM_EVENTS or p.full
        quiet = STORM_QUIET_SECONDS if storm else QUIET_SECONDS
        if self._git_busy() and now - p.first < GIT_BUSY_MAX_SECONDS:
            return 0.02
        if p.waiters:
            return 0.0
        cap = GIT_BUSY_MAX_SECONDS if storm else MAX_BATCH_SECONDS
        return min(quiet - (now - p.last), cap - (now - p.first))

    def _apply(self, batch: _Pending) -> None:
        """Run one batch through ``run_index`` and record what it reflects."""
        assert self._store is not None
        t0 = time.perf_counter()
        with self._cond:
            self.status.applying = True
            self.status.last_batch_wait_seconds = round(max(0.0, time.monotonic() - batch.first), 4)
        try:
            listing = self._listing_for(batch)
            stats = run_index(self.root, self._store, workers=self.workers, scanned=listing)
            self._listing = listing
        except Exception as exc:  # a failed batch must not kill the daemon: retry it
            self._listing = None
            self._failed(batch, exc)
            return
        with self._cond:
            st = self.status
            st.applying = False
            st.batches += 1
            st.last_batch_seconds = round(time.perf_counter() - t0, 4)
            st.last_batch_at = _utcnow()
            st.last_event = batch.newest or st.last_event
            st.last_error = None
            st.pending = self._pending.count
            st.freshness = "current" if not self._pending.count else (
                "unknown" if self._pending.overflow else "stale")
        self._record_meta()
        for w in batch.waiters:
            w.stats = stats
            w.done.set()
        self.log(f"batch {st.batches}: {batch.count} events, parsed {stats.parsed}, removed "
                 f"{stats.removed} in {st.last_batch_seconds:.3f}s")

    def _listing_for(self, batch: _Pending) -> ScanResult:
        """The file listing for a batch: the last one with just the event paths looked at again
        (an edit or save of known files: no full walk), else a full scan."""
        if self._listing is not None and batch.paths and not (batch.full or batch.overflow or batch.new_dirs):
            listing = rescan_paths(self.root, self._listing, batch.paths)
            if listing is not None:
                return listing
        return scan(self.root)

    def _failed(self, batch: _Pending, exc: BaseException) -> None:
        self.log(f"batch failed: {type(exc).__name__}: {exc}")
        with self._cond:
            self.status.applying = False
            self.status.last_error = f"{type(exc).__name__}: {exc}"
            self.status.freshness = "unknown"
            self._pending.count += max(batch.count, 1)
            self._pending.full |= batch.full
            self._pending.first = self._pending.last = time.monotonic() + RETRY_SECONDS
            self._pending.newest = self._pending.newest or batch.newest
            self.status.pending = self._pending.count
        for w in batch.waiters:
            w.error = f"{type(exc).__name__}: {exc}"
            w.done.set()

    def _record_meta(self) -> None:
        assert self._store is not None
        st = self.status
        try:
            with self._store.transaction():
                self._store.set_meta({"last_event": st.last_event, "pending": str(st.pending),
                                      "freshness": st.freshness})
        except Exception as exc:  # meta is informative: never fatal
            self.log(f"could not record freshness: {exc}")

    # -- lifecycle ---------------------------------------------------------------------------
    def run(self) -> None:
        """Serve until :meth:`stop` (or SIGTERM/SIGINT when run in the main thread)."""
        with writer_lock(self.db_path):  # the only writer for its lifetime
            self._run()

    def _run(self) -> None:
        self._store = self._open_store()
        thresholds = gc.get_threshold()
        gc.set_threshold(thresholds[0], thresholds[1], _NO_AUTOMATIC_FULL_GC)  # see IDLE_GC_SECONDS
        try:
            self._start_server()
            self._start_observer()
            self._write_pid()
            self.log(f"watching {self.root} ({self.status.observer}); socket {socket_path(self.db_path)}")
            try:  # what one-file batches reuse, read before the catch-up (which keeps it if no-op)
                warm_derived(self.root, self._store)
            except Exception as exc:  # only a head start: batches read it themselves
                self.log(f"could not prepare the derive memo: {exc}")
            self._add(full=True, overflow=True)  # catch up with what changed while nobody watched
            while True:
                batch = self._wait_for_batch()
                if batch is None:
                    break
                self._apply(batch)
                self._gc_due = True
                if batch.new_dirs and self._check_watches():
                    self._add(full=True, overflow=True)  # events in unwatched directories were lost
        finally:
            self._shutdown()
            gc.set_threshold(*thresholds)

    def _open_store(self) -> IndexStore:
        """The index read-write; a damaged or foreign file is moved aside and rebuilt."""
        try:
            return _open_writer(self.db_path)
        except IndexCorruptError as exc:
            aside = move_aside(self.db_path)
            self.log(f"{exc}; moved it aside to {os.path.basename(aside)}: rebuilding the index")
            return _open_writer(self.db_path)

    def stop(self) -> None:
        """Ask :meth:`run` to return (thread-safe)."""
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT stop the daemon cleanly (call from the main thread)."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())

    def _start_observer(self) -> None:
        logging.getLogger("watchdog.observers.inotify_c").addHandler(self._overflow_log)
        logging.getLogger("watchdog.observers.inotify").addHandler(self._overflow_log)
        if self.polling:
            self.status.observer = "polling"
            self._schedule(polling=True)
            return
        try:
            self._schedule(polling=False)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EMFILE):
                raise
            # watchdog raises ENOSPC itself when its first walk meets the watch limit (it skips
            # directories silently when the limit comes later: see _check_watches)
            kind = "watch" if exc.errno == errno.ENOSPC else "instance"
            self._fall_back(f"inotify {kind} limit reached: {exc.strerror}")
            return
        self._check_watches()

    def _schedule(self, *, polling: bool) -> None:
        from watchdog import events as ev

        self._observer = self._make_observer(polling=polling)
        # Only what can change a file's bytes, mode or place. Opens and read-only closes (git
        # status, agents reading, our own packets) would wake the watcher thread dozens of times
        # per batch for nothing: the inotify mask leaves them in the kernel. A directory's own
        # modification is left out too: its entries report themselves.
        wanted = [ev.FileCreatedEvent, ev.FileDeletedEvent, ev.FileModifiedEvent, ev.FileAttribEvent,
                  ev.FileMovedEvent, ev.FileClosedEvent, ev.DirCreatedEvent, ev.DirDeletedEvent,
                  ev.DirMovedEvent, ev.DirAttribEvent]
        handler = _Handler(self)
        self._observer.schedule(handler, self.root, recursive=True, event_filter=wanted)
        for directory, recursive in self._git_watches():
            self._observer.schedule(handler, directory, recursive=recursive, event_filter=wanted)
        self._observer.start()

    def _check_watches(self) -> bool:
        """Whether inotify failed to watch some directory (watchdog skips those silently)."""
        if self.status.observer != "inotify":
            return False
        short = _watch_shortfall(self.root)
        if short is None:
            return False
        self._fall_back(f"inotify watch limit reached: {short[0]} of {short[1]} directories watched")
        return True

    def _fall_back(self, why: str) -> None:
        """Replace the inotify observer with a polling one, and say so in the status."""
        self.log(f"{why}; falling back to polling every {POLL_SECONDS}s")
        if self._observer is not None:
            with contextlib.suppress(Exception):
                self._observer.stop()
                self._observer.join(timeout=5)
        with self._cond:
            self.status.observer = f"polling ({why})"
        self._schedule(polling=True)

    def _make_observer(self, *, polling: bool) -> Any:
        """A watchdog observer (tests override this to simulate exhausted inotify watches)."""
        if polling:
            from watchdog.observers.polling import PollingObserver

            return PollingObserver(timeout=POLL_SECONDS)
        from watchdog.observers import Observer

        return Observer()

    def _start_server(self) -> None:
        path = socket_path(self.db_path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # we hold the index read-write: no other daemon serves it
        self._server = _Server(path, self)
        threading.Thread(target=self._server.serve_forever, name="repointel-serve", daemon=True).start()

    def _write_pid(self) -> None:
        path = pid_path(self.db_path)
        tmp = f"{path}.{os.getpid()}.tmp"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)  # a stale one, or a link planted there: removed, never followed
        create_private(tmp, f"{os.getpid()}\n".encode())
        os.replace(tmp, path)

    def _shutdown(self) -> None:
        for logger in ("watchdog.observers.inotify_c", "watchdog.observers.inotify"):
            logging.getLogger(logger).removeHandler(self._overflow_log)
        if self._observer is not None:
            with contextlib.suppress(Exception):
                self._observer.stop()
                self._observer.join(timeout=5)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(socket_path(self.db_path))
        with contextlib.suppress(OSError, ValueError):
            with open(pid_path(self.db_path)) as fh:
                if int(fh.read().strip()) == os.getpid():
                    os.unlink(pid_path(self.db_path))
        with self._cond:
            for w in self._pending.waiters:
                w.error = "the daemon stopped"
                w.done.set()
        if self._store is not None:
            self._store.close()
        self.log("stopped")

    # -- reads -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def reader(self) -> Iterator[IndexStore]:
        """A store answering reads through its own cursor (one per connection thread)."""
        assert self._store is not None
        store = copy.copy(self._store)
        store.con = self._store.con.cursor()
        try:
            yield store
        finally:
            store.close()

    def live_status(self) -> dict[str, Any]:
        """The status sent with every answer."""
        with self._cond:
            return self.status.as_dict()


def _inotify_watches() -> int | None:
    """Inotify watches this process holds, from ``/proc/self/fdinfo`` (None: not Linux)."""
    try:
        fds = os.listdir("/proc/self/fdinfo")
    except OSError:
        return None
    n = 0
    for fd in fds:
        with contextlib.suppress(OSError), open(f"/proc/self/fdinfo/{fd}") as fh:
            n += sum(line.startswith("inotify wd:") for line in fh)
    return n


def _watchable_dirs(root: str) -> int:
    """Directories a recursive watch of ``root`` needs (symbolic links are not followed)."""
    n = 1
    for top, dirs, _files in os.walk(root):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(top, d))]
        n += len(dirs)
    return n


def _watch_shortfall(root: str) -> tuple[int, int] | None:
    """(watched, needed) when fewer directories are watched than exist, twice in a row."""
    short: tuple[int, int] | None = None
    for attempt in range(2):
        if attempt:
            time.sleep(0.2)  # a directory created a moment ago may not be watched yet
        watches = _inotify_watches()
        needed = _watchable_dirs(root)
        if watches is None or watches >= needed:
            return None
        short = (watches, needed)
    return short


def _open_writer(db_path: str) -> IndexStore:
    """Open the index read-write with no file access for the SQL readers send."""
    os.makedirs(os.path.dirname(os.path.abspath(db_path)), exist_ok=True)
    store = IndexStore(db_path, read_only=False)
    store.execute("SET enable_external_access = false")
    return store


class _Handler:
    """watchdog callback: every event becomes :meth:`Daemon.note` calls."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    def dispatch(self, event: Any) -> None:
        """Called by watchdog for every event the observer's filter lets through (opens,
        read-only closes and directory modifications never reach here: see ``_schedule``)."""
        new_dir = event.is_directory and event.event_type in ("created", "moved")
        self.daemon.note(event.src_path, new_dir=new_dir and event.event_type == "created")
        dest = getattr(event, "dest_path", "")
        if dest:
            self.daemon.note(dest, new_dir=new_dir)


# -- the socket server ----------------------------------------------------------------------------
class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    allow_reuse_address = True
    #: Connections waiting to be accepted. socketserver's default of 5 refused the sixth of eight
    #: readers connecting at once, which then opened the file itself and met the daemon's lock.
    request_queue_size = 128

    def __init__(self, path: str, owner: Daemon) -> None:
        self.owner = owner
        super().__init__(path, _Connection)
        os.chmod(path, 0o600)


class _Connection(socketserver.StreamRequestHandler):
    """One reader: newline-delimited JSON requests, each answered on one line."""

    server: _Server

    def handle(self) -> None:
        daemon = self.server.owner
        with daemon.reader() as store:
            for line in self.rfile:
                request: Any = None
                try:
                    request = json.loads(line)
                    answer = {"ok": True, "result": _dispatch(daemon, store, request, self._gone)}
                except Exception as exc:  # noqa: BLE001 (every failure is an answer; the reader raises it)
                    answer = error_answer(exc)
                answer["daemon"] = daemon.live_status()
                self.wfile.write(json.dumps(answer).encode() + b"\n")
                self.wfile.flush()
                if isinstance(request, dict) and request.get("op") == "stop":
                    daemon.stop()

    def _gone(self) -> bool:
        """Whether the client closed its end (polled while its query runs: nothing is consumed)."""
        try:
            return bool(self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"")
        except BlockingIOError:
            return False
        except OSError:
            return True


def error_answer(exc: BaseException) -> dict[str, Any]:
    """The answer carrying an error: a repointel error by its class name (the client raises the same
    class, :func:`~repointel.store_client.raise_answer`), anything else (bad SQL from a trusted
    caller, a malformed request) as a QueryError naming what it was."""
    if isinstance(exc, RepointelError):
        return {"ok": False, "error": type(exc).__name__, "message": str(exc)}
    return {"ok": False, "error": "QueryError", "message": f"{type(exc).__name__}: {exc}"}


def _dispatch(daemon: Daemon, store: IndexStore, req: dict[str, Any],
              gone: Callable[[], bool] = lambda: False) -> Any:
    op = req.get("op")
    if op in ("ping", "stop"):
        return None
    if op == "meta":
        st = daemon.live_status()
        live = {"freshness": st["freshness"], "pending": str(st["pending"]),
                "last_event": st["last_event"], "daemon_pid": str(st["pid"])}
        return {**store.meta(), **{k: v for k, v in live.items() if v is not None}}
    if op == "rows":
        return encode(store.rows(req["sql"], decode(req.get("params", []))))
    if op == "dicts":
        rows = store.dicts(req["sql"], decode(req.get("params", [])))
        return [list(rows[0]) if rows else [], [encode(list(r.values())) for r in rows]]
    if op == "table":
        return encode(store.table(req["name"]))
    if op == "file_states":
        return [[p, encode(list(s))] for p, s in store.file_states().items()]
    if op == "user_query":  # the API's bounds hold here too, whoever speaks to the socket
        # (+1: the API asks for one row past its limit, to tell a capped answer from a full one)
        limit = min(max(1, int(req.get("limit", DEFAULT_QUERY_ROWS))), MAX_QUERY_ROWS + 1)
        seconds = min(max(0.001, float(req.get("seconds", DEFAULT_QUERY_SECONDS))), MAX_QUERY_SECONDS)
        return _user_query(store, req["sql"], limit, seconds, gone)
    if op == "sync":
        return _sync(daemon)
    if op in ("map", "context", "rank"):
        return _build(daemon, store, op, req)
    raise RepointelError(f"unknown request {op!r}")


def _build(daemon: Daemon, store: IndexStore, op: str, req: dict[str, Any]) -> Any:
    """A map or packet built here: the graph, postings and definitions stay cached in this process
    across index states, where a client would pull whole tables through the socket each time."""
    if op == "map":
        from .rank.repomap import build_map

        return build_map(store, req.get("task"), int(req["budget"]), str(req["tokenizer"])).model_dump(mode="json")
    if op == "rank":
        from .context.ranking import rank_task

        return rank_task(daemon.root, store, str(req["task"]), int(req["files"]),
                         int(req["definitions"])).model_dump(mode="json")
    from .context.builder import build_packet

    return build_packet(daemon.root, store, str(req["task"]), int(req["budget"]), str(req["tokenizer"]),
                        str(req["fmt"])).model_dump(mode="json")


def _user_query(store: IndexStore, sql: str, limit: int, seconds: float, gone: Callable[[], bool]) -> Any:
    """Untrusted SQL on a cursor of a read-write database: inside a transaction rolled back,
    interrupted after ``seconds`` or once its client went away."""
    store.con.begin()
    try:
        names, rows = store.user_query(sql, limit, seconds, cancelled=gone)
    finally:
        store.con.rollback()
    return [names, encode(rows)]


def _sync(daemon: Daemon) -> Any:
    waiter = daemon.request_sync()
    waiter.done.wait()
    if waiter.stats is None:
        raise RepointelError(waiter.error or "sync failed")
    return waiter.stats.model_dump(mode="json")
