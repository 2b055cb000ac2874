"""The packet's view of the repository's files: index rows and definitions loaded in batches,
each file's bytes read once and checked against the index, files holding secrets withheld.

Shared by the packer (:mod:`repointel.context.builder`) and the test plan
(:mod:`repointel.context.testplan`)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from ..cache import SharedCache
from ..store import IndexReader
from ..tokens import Tokenizer

__all__ = ["MAX_CHARS_PER_TOKEN", "NOT_OUTLINED", "WHOLE_FILE_TOKENS", "Def", "PacketFiles", "Source"]

#: No real source text averages this many characters a token (code runs 3-4): a text longer than
#: this many times the free tokens is rejected without counting it (counting costs ~1 ms per 4 KB).
MAX_CHARS_PER_TOKEN = 12
#: Characters an outline line adds to its signature (line number, indent, newline).
OUTLINE_LINE_CHARS = 12
#: Files whose whole text is at most this many tokens go in whole: cutting them saves little.
WHOLE_FILE_TOKENS = 1200
#: Bytes a token above which a file is not counted for the whole-file rule: source code runs 3-4
#: bytes a token, so 8 is far beyond any real file that few tokens long.
WHOLE_FILE_BYTES_PER_TOKEN = 8
#: Files whose definitions stay cached for the next packet on the same index state (hub files
#: recur across tasks); a few MB at most.
SHARED_DEF_FILES = 256


@dataclass
class Source:
    """A file's current bytes and lines, read once per packet."""

    path: str
    data: bytes
    lines: list[bytes]
    fresh: bool


Def = tuple[str, str, str, int, int, str, str | None]  # name, qualname, kind, start, end, sig, parent
NOT_OUTLINED = ("variable", "field")  # kinds an outline leaves out


class _IndexState:
    """What packets built on one index state share: outline sizes and recently used definitions."""

    def __init__(self, store: IndexReader) -> None:
        self.outline_chars: dict[str, int] = dict(store.rows(
            f"SELECT path, sum(length(coalesce(signature, name)) + {OUTLINE_LINE_CHARS})::BIGINT "
            f"FROM symbols WHERE kind NOT IN {NOT_OUTLINED} GROUP BY path"))
        self.defs: dict[str, list[Def]] = {}

    def keep(self, paths: list[str], defs: dict[str, list[Def]]) -> None:
        """Remember the definitions of ``paths`` (the oldest are dropped beyond SHARED_DEF_FILES)."""
        for p in paths:
            self.defs.pop(p, None)
            self.defs[p] = defs[p]
        while len(self.defs) > SHARED_DEF_FILES:
            self.defs.pop(next(iter(self.defs)))


#: One index state at a time: an older one is never read again.
_STATES: SharedCache[_IndexState] = SharedCache(1)


def _state(store: IndexReader) -> _IndexState:
    return _STATES.get_or_build((store.db_path, store.meta().get("indexed_at", "")), lambda: _IndexState(store))


class PacketFiles:
    """The packet's view of files: index rows and definitions loaded in batches (one query per
    batch, not per file), each file's bytes read once, secret files withheld."""

    def __init__(self, root: str, store: IndexReader) -> None:
        self.root, self.store = root, store
        self.rows: dict[str, tuple[bytes, str | None, bool]] = {}  # path → (raw path, sha, secret)
        self.defs: dict[str, list[Def]] = {}
        self.state = _state(store)
        self.sources: dict[str, Source | None] = {}
        self.token_counts: dict[str, int] = {}
        self.import_rows: dict[str, list[tuple[int, list[str]]]] = {}
        #: Files whose imports are fetched together on the first ask (the files bodies come from).
        self.import_wanted: set[str] = set()

    def preload(self, paths: list[str]) -> None:
        """Fetch the index rows of ``paths`` not loaded yet, with the size of their outlines."""
        todo = sorted({p for p in paths if p not in self.rows})
        if not todo:
            return
        for path, raw, sha, secret in self.store.rows(
            "SELECT f.path, f.raw_path, f.sha256, f.path IN (SELECT path FROM risks WHERE tag = 'secrets' "
            "AND path IN (SELECT unnest(?))) FROM files f WHERE f.path IN (SELECT unnest(?))", [todo, todo]
        ):
            self.rows[path] = (raw, sha, bool(secret))

    def load_defs(self, paths: list[str]) -> None:
        """Fetch the definitions of ``paths`` not loaded yet, in one query (whole lists are shared
        by packets built on the same index state)."""
        shared = {p: self.state.defs.get(p) for p in paths}  # another thread may drop one meanwhile
        self.defs.update((p, d) for p, d in shared.items() if d is not None)
        todo = sorted({p for p in paths if p not in self.defs})
        if not todo:
            return
        for p in todo:
            self.defs[p] = []
        for row in self.store.rows(
            "SELECT path, name, qualname, kind, start_line, end_line, signature, parent FROM symbols "
            "WHERE path IN (SELECT unnest(?)) ORDER BY path, start_line", [todo],
        ):
            self.defs[row[0]].append(tuple(row[1:]))
        self.state.keep(todo, self.defs)

    def fits(self, path: str, room: int) -> bool:
        """Whether the outline of ``path`` could fit in ``room`` tokens (see MAX_CHARS_PER_TOKEN)."""
        return self.state.outline_chars.get(path, 0) <= MAX_CHARS_PER_TOKEN * room

    def definitions(self, path: str) -> list[Def]:
        """The file's definitions in line order (fetched on first use)."""
        self.load_defs([path])
        return self.defs[path]

    def data(self, path: str) -> bytes | None:
        """The file's current bytes (see :meth:`source`): what ranking reads definitions from."""
        src = self.source(path)
        return src.data if src is not None else None

    def small(self, path: str, tok: Tokenizer, limit: int = WHOLE_FILE_TOKENS) -> bool:
        """Whether the file is at most ``limit`` tokens (and not empty): small enough to show whole."""
        src = self.source(path)
        if src is None or not src.lines or len(src.data) > WHOLE_FILE_BYTES_PER_TOKEN * limit:
            return False  # too many bytes to be that few tokens: not worth counting
        if path not in self.token_counts:
            self.token_counts[path] = tok.count(src.data.decode("utf-8", "replace"))
        return self.token_counts[path] <= limit

    def imports(self, path: str) -> list[tuple[int, list[str]]]:
        """(line, names it binds) of each import statement of the file: the names imported, or
        the module's first part for a plain ``import a.b`` (fetched with the other preloaded
        files' on first use: one query)."""
        if path not in self.import_rows:
            todo = sorted({path} | {p for p in self.import_wanted if p not in self.import_rows})
            for p in todo:
                self.import_rows[p] = []
            for p, line, module, names in self.store.rows(
                    "SELECT path, line, module, names FROM imports WHERE path IN (SELECT unnest(?)) "
                    "AND line IS NOT NULL", [todo]):
                self.import_rows[p].append((int(line), list(names or []) or [str(module or "").split(".")[0]]))
        return self.import_rows[path]

    def source(self, path: str) -> Source | None:
        """The file's current bytes, or None when unreadable, unknown or holding a secret."""
        if path not in self.sources:
            self.preload([path])
            self.sources[path] = self._read(path)
        return self.sources[path]

    def _read(self, path: str) -> Source | None:
        row = self.rows.get(path)
        if row is None:
            return None
        raw, sha, secret = row
        try:
            with open(os.path.join(os.fsencode(self.root), raw), "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        fresh = hashlib.sha256(data).hexdigest() == sha
        # the index's verdict holds for the bytes it saw; changed bytes are scanned now
        if secret or _is_secret_name(path) or (not fresh and _has_secret(data)):
            return None  # a file holding a secret never enters a packet, not even in part
        return Source(path, data, data.splitlines(keepends=True), fresh)


def _is_secret_name(path: str) -> bool:
    from ..extract.risk import is_secret_file

    return is_secret_file(path)


def _has_secret(data: bytes) -> bool:
    from ..extract.risk import find_secret_spans

    return bool(find_secret_spans(data.decode("utf-8", "replace")))
