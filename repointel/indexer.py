"""The indexing pipeline: scan → examine (parse + extract, in worker processes) → store,
then rebuild the repository-wide maps in the same transaction.

Incremental by construction: a stat check first, the sha256 to confirm, renames detected by
content hash, and only changed files are parsed. Repository-wide maps (resolved imports, file
edges, test links, owners, build/risk/convention facts) are recomputed from the stored
per-file facts, so an incremental run always equals a fresh one.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import gc
import hashlib
import json
import multiprocessing
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import repeat
from typing import Any

from .config import (
    DERIVE_VERSION,
    EXTRACTOR_VERSION,
    LANGUAGE_VERSIONS,
    LANGUAGES_BEFORE_VERSIONS,
    PARALLEL_MIN_BYTES,
)
from .derive import Change, rebuild_derived
from .extract.filemap import FileFacts, examine
from .models import IndexStats
from .parse import SHEBANGS, language_for_path, may_be_script
from .scan import Entry, ScanResult, scan, start_git_head
from .store import PER_FILE_TABLES, TABLES, FileState, IndexStore

__all__ = ["FLUSH_ROWS", "RACY_NS", "Listing", "Progress", "check_index", "is_racy", "run_index",
           "stale_languages"]

#: Progress callback: (phase, done, total). The phases come in order: ``scan`` (0/0 when it
#: starts, n/n with the files listed), ``parse`` (files examined of those to parse), ``derive``
#: and ``commit`` (0/0 when they start); a run with nothing to write stops after ``scan``.
Progress = Callable[[str, int, int], None]
#: Files per task sent to a worker: big enough to amortise pickling, small enough to balance.
_CHUNK_FILES = 48

_FILE_COLS = [c for c, _ in TABLES["files"]]


#: A file whose recorded ctime or mtime is no older than this before the listing that recorded
#: it may have changed again within the same timestamp tick after it was read (the kernel stamps
#: files from a coarse clock: 1-4 ms on Linux), so its stat facts prove nothing: it is hashed
#: again on the next run, as git re-checks its "racily clean" entries. 50 ms covers the tick and
#: the gap between reading the clock and listing the files, and only files edited around an index
#: run are affected.
RACY_NS = 50_000_000
#: Files larger than this are not hashed to confirm an unchanged stat (64 MiB: a few of those
#: would cost more than re-examining them; every indexed file is far smaller).
_HASH_MAX_BYTES = 64 << 20


@dataclass
class _Plan:
    """What one run must do, decided from the scan and the stored file states."""

    parse: list[Entry] = field(default_factory=list)
    static: list[FileFacts] = field(default_factory=list)  # skipped at scan time
    touch: list[tuple[str, int, int, int]] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    remove: set[str] = field(default_factory=set)
    unchanged: int = 0
    verified: int = 0  # files hashed although their stat facts were unchanged
    repaired: int = 0  # ... whose bytes no longer matched the recorded sha256


def is_racy(state: FileState, racy_since: int) -> bool:
    """Whether a recorded file's stat facts were taken too close to its last change to prove
    anything (see :data:`RACY_NS`); ``racy_since`` is the recording listing's start minus it."""
    return (state[5] or 0) >= racy_since or state[1] >= racy_since


def _same_stat(prev: FileState, e: Entry) -> bool:
    return (prev[0], prev[1], prev[5], prev[6]) == (e.size, e.mtime_ns, e.ctime_ns, e.inode)


def _scan_skip_facts(e: Entry) -> FileFacts:
    from .extract.risk import tag_risks

    return {
        "risks": [(t.tag, t.rule) for t in tag_risks([e.path])],  # path rules only: bytes unread
        "path": e.path, "language": None, "size": 0, "sha256": None, "mtime_ns": 0, "lines": 0,
        "is_test": False, "is_generated": False, "is_vendored": False, "is_binary": False,
        "status": "skipped", "skip_reason": e.skip_reason, "parse_errors": False,
    }


def _sha_of(root: str, e: Entry) -> str | None:
    try:
        with open(os.path.join(root, os.fsdecode(e.raw)), "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def _plan(root: str, entries: list[Entry], old: dict[str, FileState], racy_since: int,
          verify: bool = False) -> _Plan:
    """Sort the listing into unchanged, touched (same bytes, new stat facts), parsed, removed and
    renamed files. Unchanged means size, mtime, ctime and inode as recorded and not racy; anything
    else is hashed; ``verify`` hashes every file and re-examines those whose bytes moved."""
    plan = _Plan()
    seen = {e.path for e in entries}
    plan.remove = {p for p in old if p not in seen}
    gone_by_sha = {old[p][2]: p for p in plan.remove if old[p][2] and old[p][3] == "indexed"}
    for e in entries:
        prev = old.get(e.path)
        if e.skip_reason is not None:
            if prev is not None and prev[3] == "skipped" and prev[4] == e.skip_reason:
                plan.unchanged += 1
            else:
                plan.remove.add(e.path)
                plan.static.append(_scan_skip_facts(e))
            continue
        same = prev is not None and _same_stat(prev, e)
        if prev is not None and same and not verify and not is_racy(prev, racy_since):
            plan.unchanged += 1
            continue
        if prev is not None and prev[2] is not None and e.size <= _HASH_MAX_BYTES:
            plan.verified += same
            if _sha_of(root, e) == prev[2]:
                if not same:
                    plan.touch.append((e.path, e.mtime_ns, e.ctime_ns, e.inode))
                plan.unchanged += 1
                continue
            plan.repaired += same
        if prev is None and gone_by_sha:
            sha = _sha_of(root, e)
            if sha in gone_by_sha:  # a rename: re-examined all the same, as terms include the path
                plan.renames[gone_by_sha.pop(sha)] = e.path
        if prev is not None:
            plan.remove.add(e.path)
        plan.parse.append(e)
    return plan


def _examine_chunk(root: str, chunk: list[tuple[str, bytes, int, int]],
                   keep_trees: bool = False) -> list[tuple[FileFacts, Any]]:
    return [examine(root, p, raw, size, mtime, keep_tree=keep_trees) for p, raw, size, mtime in chunk]


def _worker_init() -> None:
    """A pool worker collects cyclic garbage once per chunk, not every 700 allocations: parsing
    allocates millions of short-lived objects that reference counting frees (3% of examine time)."""
    gc.freeze()  # what the worker imported lives as long as it does: never scanned again
    gc.disable()


def _examine_worker_chunk(root: str, chunk: list[tuple[str, bytes, int, int]]) -> list[tuple[FileFacts, Any]]:
    try:
        return _examine_chunk(root, chunk)
    finally:
        gc.collect()


def _chunks(entries: Sequence[Entry]) -> Iterator[list[tuple[str, bytes, int, int]]]:
    ordered = sorted(entries, key=lambda e: -e.size)  # big files first: better load balance
    for i in range(0, len(ordered), _CHUNK_FILES):
        yield [(e.path, e.raw, e.size, e.mtime_ns) for e in ordered[i : i + _CHUNK_FILES]]


def _pool(workers: int) -> cf.ProcessPoolExecutor:
    ctx = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    if os.name == "posix":
        ctx.set_forkserver_preload(["repointel.extract.filemap", "repointel.extract.symbols"])
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)


def _examine_all(root: str, entries: list[Entry], workers: int | None,
                 progress: Progress | None) -> Iterator[tuple[FileFacts, Any]]:
    total_bytes = sum(e.size for e in entries)
    n = workers if workers is not None else (os.cpu_count() or 1)
    done = 0
    if n <= 1 or total_bytes < PARALLEL_MIN_BYTES:
        for chunk in _chunks(entries):  # in this process: a few files, maybe edited again soon
            for item in _examine_chunk(root, chunk, keep_trees=True):
                done += 1
                yield item
            if progress:
                progress("parse", done, len(entries))
        return
    with _pool(n) as pool:
        # no name holds the futures: as_completed lets go of each one it yields, so a chunk's
        # results are freed once consumed instead of living until the last chunk is done
        for fut in cf.as_completed([pool.submit(_examine_worker_chunk, root, c) for c in _chunks(entries)]):
            for item in fut.result():
                done += 1
                yield item
            if progress:
                progress("parse", done, len(entries))


#: Buffered per-file rows (symbols, references, terms and the rest) at which a run writes them
#: into its open transaction. It bounds a big run's memory to one batch (~60 MB of Python rows)
#: instead of the whole tree (~5 MB per MB parsed); the stdlib writes in ~3 batches.
FLUSH_ROWS = 300_000


class _Columns:
    """Per-file rows of one run, held column by column until :meth:`flush` writes them: the big
    tables (terms, refs) are appended as whole dict key/value runs, and the store turns each column
    into one Arrow array. Single rows (files, symbols, risks) wait as tuples and are turned into
    columns in one ``zip`` when the columns are read (a per-value append cost 0.6 s on the
    stdlib's 90k symbols).

    Beside the rows, it keeps what the run's :class:`Change` needs after the rows are written:
    the files written, document lengths, skip reasons, the imports (stored once resolved) and, for
    a run that is not rebuilding everything, the definitions written (``after``)."""

    def __init__(self, keep_after: bool) -> None:
        self._cols: dict[str, list[list[Any]]] = {t: [[] for _ in TABLES[t]] for t in _STREAMED}
        self._pending: dict[str, list[tuple[Any, ...]]] = {t: [] for t in _STREAMED}
        self.buffered = 0
        self.flushed = False
        self.written: list[tuple[str, str | None, str]] = []
        self.skipped: Counter[str] = Counter()
        self.doclen: dict[str, int] = {}
        self.imports: list[tuple[Any, ...]] = []
        self.after: list[tuple[str, str, str, bool]] | None = [] if keep_after else None

    @property
    def cols(self) -> dict[str, list[list[Any]]]:
        """Every streamed table's columns, with the rows added since the last flush."""
        for table, pending in self._pending.items():
            if pending:
                for col, values in zip(self._cols[table], zip(*pending)):
                    col.extend(values)
                pending.clear()
        return self._cols

    def row(self, table: str, values: tuple[Any, ...]) -> None:
        self._pending[table].append(values)
        self.buffered += 1

    def rows(self, table: str, values: list[tuple[Any, ...]]) -> None:
        """Many rows at once."""
        self._pending[table].extend(values)
        self.buffered += len(values)

    def keyed(self, table: str, path: str, counts: dict[str, int]) -> None:
        """(path, key, count) rows for every item of ``counts``."""
        paths, keys, values = self._cols[table]
        paths.extend(repeat(path, len(counts)))
        keys.extend(map(sys.intern, counts))  # each file's unpickled copy would be kept otherwise
        values.extend(counts.values())
        self.buffered += len(counts)

    def flush(self, store: IndexStore) -> None:
        """Write the buffered rows into the store's open transaction and let go of them."""
        store.replace_files(remove=(), columns=self.cols, touch=[])
        self._cols = {t: [[] for _ in TABLES[t]] for t in _STREAMED}
        self.buffered = 0
        self.flushed = True


#: The per-file tables a run writes as it goes; imports wait to be stored resolved.
_STREAMED = tuple(t for t in PER_FILE_TABLES if t != "imports")
#: Where a definition row's name, kind and parent sit.
_SYM_NAME, _SYM_KIND, _SYM_PARENT = (
    [c for c, _ in TABLES["symbols"]].index(c) for c in ("name", "kind", "parent"))


def _rows_for(facts: FileFacts, parsed: dict[str, Any] | None, entry: Entry | None, rows: _Columns) -> None:
    path = facts["path"]
    rec = dict(facts, raw_path=entry.raw if entry else os.fsencode(path),
               ctime_ns=entry.ctime_ns if entry else None, inode=entry.inode if entry else None)
    rows.row("files", tuple(rec[c] for c in _FILE_COLS))
    rows.written.append((path, facts["language"], facts["status"]))
    if facts["status"] == "skipped":
        rows.skipped[facts["skip_reason"]] += 1
    for tag, rule in facts["risks"]:
        rows.row("risks", (path, tag, rule))
    if parsed is None:
        return
    rows.keyed("terms", path, parsed["terms"])
    if parsed["terms"]:
        rows.doclen[path] = sum(parsed["terms"].values())
    if "definitions" not in parsed:
        return
    symbols = [(path, *d) for d in parsed["definitions"]]
    rows.rows("symbols", symbols)
    if rows.after is not None:
        rows.after.extend((path, s[_SYM_NAME], s[_SYM_KIND], s[_SYM_PARENT] is None) for s in symbols)
    rows.keyed("refs", path, parsed["references"])
    rows.imports.extend((path, *imp) for imp in parsed["imports"])


#: What a run reads of the rows it replaces: the touched files' definitions and resolved imports.
_BEFORE = {"symbols": "path, name, kind, parent IS NULL", "imports": "path, resolved"}


def _change(plan: _Plan, rows: _Columns, old: dict[str, tuple[Any, ...]], everything: bool,
            gone: dict[str, list[tuple[Any, ...]]]) -> Change:
    """The change this run makes: the touched paths, whether the file set moved, and the names
    whose defining files moved (from the touched files' definitions before, ``gone``, and after).

    A run that changes the file set needs no names (and a run that rebuilds everything keeps no
    ``rows.after``): every file's edges and links are rebuilt. The references are left out when
    rows were written already (``rows.flushed``): the caller reads them back once all are."""
    written_paths = {p for p, _, _ in rows.written}
    touched = set(plan.remove) | written_paths
    now_indexed = {p for p, _, status in rows.written if status == "indexed"}
    was_indexed = {p for p in touched if p in old and old[p][3] == "indexed"}
    set_changed = everything or now_indexed != was_indexed  # the resolver's file set moved
    after = rows.after if rows.after is not None and not set_changed else None
    change = Change.between(touched, set_changed, gone["symbols"] if after is not None else [], after or [])
    change.listed_moved = {p for p in touched if (p in old) != (p in written_paths)}
    change.old_targets = Counter((p, r) for p, r in gone["imports"] if r is not None)
    change.doclen = rows.doclen
    change.written = rows.written
    change.new_imports = rows.imports  # stored by rebuild_derived, resolved
    if not rows.flushed:
        change.new_refs = list(zip(*rows.cols["refs"]))
    return change


GitAnswer = Callable[[], "tuple[str | None, bool]"]


@dataclass
class Listing:
    """What a read-only check (:func:`check_index`) found out that the writing run reuses: the
    listing, and git's answer (HEAD and the dirty flag; its processes may still be running)."""

    scanned: ScanResult
    git_answer: GitAnswer


def run_index(root: str, store: IndexStore, *, workers: int | None = None,
              progress: Progress | None = None, force_derived: bool = False,
              scanned: ScanResult | Listing | None = None, flush_rows: int = FLUSH_ROWS,
              verify: bool = False) -> IndexStats:
    """Bring the index up to date with the work tree in one atomic transaction.

    ``scanned`` injects a listing made earlier (tests use it to delete files mid-scan; a
    :class:`Listing` from :func:`check_index` brings git's answer too);
    ``flush_rows``: buffered rows at which the run writes them into its transaction;
    ``verify``: hash every file, and re-examine those whose bytes no longer match their row.
    """
    out = _run(root, store, workers=workers, progress=progress, force_derived=force_derived,
               scanned=scanned, flush_rows=flush_rows, verify=verify, write=True)
    assert isinstance(out, IndexStats)
    return out


def check_index(root: str, store: IndexStore, *, verify: bool = False,
                progress: Progress | None = None) -> IndexStats | Listing:
    """What :func:`run_index` would do, without writing: its stats when the index is up to date
    (nothing to write), else what the writing run reuses (``scanned=``). ``progress`` sees the
    ``scan`` phase here (the writing run goes on from ``parse``)."""
    return _run(root, store, progress=progress, verify=verify, write=False)


def _run(root: str, store: IndexStore, *, workers: int | None = None, progress: Progress | None = None,
         force_derived: bool = False, scanned: ScanResult | Listing | None = None, flush_rows: int = FLUSH_ROWS,
         verify: bool = False, write: bool = True) -> IndexStats | Listing:
    t0 = time.perf_counter()
    if isinstance(scanned, Listing):  # listed (and its scan phase shown) by this run's check_index
        git_answer, result = scanned.git_answer, scanned.scanned
    else:
        if progress:
            progress("scan", 0, 0)
        git_answer = functools.cache(start_git_head(root))  # runs while the files are examined
        result = scanned if scanned is not None else scan(root)
        if progress:
            progress("scan", len(result.entries), len(result.entries))
    meta = store.meta()
    upgrade = meta.get("extractor_version", EXTRACTOR_VERSION) != EXTRACTOR_VERSION
    stale = stale_languages(meta)
    if "indexed_at" in meta and meta.get("derive_version") != DERIVE_VERSION:
        force_derived = True  # derive builds more (or otherwise) than when this index was written
    only = None if upgrade or stale or force_derived or verify else result.changed  # a rescan: only these can differ
    old = store.file_states(only)
    if upgrade or stale:
        force_derived = True  # other extractors wrote these rows: re-examine those files
        old = {p: (-1, -1, None, *st[3:]) if upgrade or _reparsed(p, stale) else st for p, st in old.items()}
    entries = result.entries if only is None else [e for e in result.entries if e.path in only]
    plan = _plan(root, entries, old, int(meta.get("scan_ns", "0") or 0) - RACY_NS, verify)
    plan.unchanged += len(result.entries) - len(entries)
    everything = force_derived or "indexed_at" not in meta
    rows = _Columns(keep_after=not everything)
    changed = bool(plan.parse or plan.static or plan.remove or plan.renames)
    if not changed:
        commit, dirty = git_answer()
        unchanged_meta = meta.get("dirty") == str(dirty).lower() and meta.get("commit") == (commit or "")
        if not plan.touch and unchanged_meta and "indexed_at" in meta and not force_derived:
            return _stats(result, plan, rows, t0, commit, dirty)  # nothing to write
    if not write:
        return Listing(result, git_answer)  # git's processes keep running: the writing run collects them
    with store.transaction():
        gone = store.replace_files(remove=plan.remove, columns={}, touch=plan.touch, returning=_BEFORE)
        _examine_into(root, plan, workers, progress, rows, store, flush_rows)
        commit, dirty = git_answer()
        head_moved = meta.get("commit") != (commit or "")
        streamed = rows.flushed
        change = _change(plan, rows, old, everything, gone)
        rows.flush(store)
        if streamed and not change.set_changed:  # the touched files' references, all written now
            change.new_refs = store.rows("SELECT path, name, count FROM refs WHERE list_contains(?, path)",
                                         [sorted(p for p, _, _ in rows.written)])
        change.previous_run, change.run_id, change.meta = meta.get("run_id"), uuid.uuid4().hex, meta
        derived = changed or force_derived or head_moved or "indexed_at" not in meta
        if derived:
            if progress:
                progress("derive", 0, 0)
            rebuild_derived(root, store, change, history=head_moved or force_derived)
        store.set_meta({
            "root": os.path.realpath(root), "commit": commit or "", "dirty": str(dirty).lower(),
            "indexed_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "extractor_version": EXTRACTOR_VERSION, "derive_version": DERIVE_VERSION,
            "language_versions": json.dumps(LANGUAGE_VERSIONS, sort_keys=True),
            "scan_ns": str(result.started_ns or time.time_ns()),  # files changed since are racy (RACY_NS)
            # a new id only when derived inputs moved: a touch (same bytes, new mtime) or a
            # dirty-flag flip keeps a process's memo of them valid
            "run_id": change.run_id if derived else meta.get("run_id"),
        })
        if progress:
            progress("commit", 0, 0)
    return _stats(result, plan, rows, t0, commit, dirty)


def _reparsed(path: str, stale: set[str]) -> bool:
    """Whether ``path`` may be a file of a ``stale`` language: by its extension, or, without
    one, by the ``#!`` line its bytes may hold, or, for a ``.h`` header, by its Objective-C
    declarations (read only when it is parsed again)."""
    lang = language_for_path(path)
    return (lang in stale or (may_be_script(path) and bool(stale & set(SHEBANGS.values())))
            or (lang == "c" and path.endswith(".h") and "objc" in stale))  # a header may be Objective-C


def stale_languages(meta: dict[str, str]) -> set[str]:
    """The languages whose extraction changed since the index in ``meta`` was written (none for
    a new index): their files are parsed again, the others' rows kept."""
    if "indexed_at" not in meta:
        return set()
    try:
        stored = json.loads(meta["language_versions"]) if "language_versions" in meta else {
            lang: "1" for lang in LANGUAGES_BEFORE_VERSIONS}
    except ValueError:
        stored = {}
    if not isinstance(stored, dict):
        stored = {}
    return {lang for lang, version in LANGUAGE_VERSIONS.items() if stored.get(lang) != version}


def _examine_into(root: str, plan: _Plan, workers: int | None, progress: Progress | None,
                  rows: _Columns, store: IndexStore, flush_rows: int) -> None:
    """Examine the plan's files into ``rows``, writing them to the store every ``flush_rows``."""
    for facts in plan.static:
        _rows_for(facts, None, None, rows)
    entry_of = {e.path: e for e in plan.parse}
    for facts, parsed in _examine_all(root, plan.parse, workers, progress):
        _rows_for(facts, parsed, entry_of[facts["path"]], rows)
        if rows.buffered >= flush_rows:
            rows.flush(store)


def _stats(result: ScanResult, plan: _Plan, rows: _Columns, t0: float, commit: str | None,
           dirty: bool) -> IndexStats:
    parsed = {e.path for e in plan.parse}
    return IndexStats(
        scanned=len(result.entries), parsed=len(plan.parse), unchanged=plan.unchanged,
        removed=len(plan.remove - parsed - {f["path"] for f in plan.static} - set(plan.renames)),
        renamed=len(plan.renames), skipped=dict(rows.skipped), seconds=round(time.perf_counter() - t0, 4),
        commit=commit, dirty=dirty, verified=plan.verified, repaired=plan.repaired,
    )
