"""Symbol cards: a definition with its file, the repository definitions its body uses, and the
tests that cover it (the indexer record the reference designs show).

The index keeps references per file, not per definition, so a card re-reads the definition's
file, checks its bytes against the indexed sha256 and counts the identifiers inside the
definition's span with the same tree-sitter query the indexer uses
(:func:`~repointel.extract.symbols.references_in`). A file that changed since indexing gives a
``stale`` card without dependencies: its byte offsets no longer hold.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Literal

from ..derive import MAX_DEFINERS, MIN_REF_NAME, carries_edges
from ..extract.symbols import references_in
from ..extract.testmap import focused_test_command
from ..models import CoveringTest, SymbolCard, SymbolDependency
from ..parse import parse
from ..store import IndexReader

__all__ = ["MAX_CARDS", "MAX_DEPENDENCIES", "MAX_LIMIT", "MAX_TESTS", "symbol_cards"]

#: Definitions answered for one name by default: a common name (``__init__``, ``run``) has hundreds.
MAX_CARDS = 20
#: The most cards one call may ask for: each re-parses its file (~15 ms on the stdlib).
MAX_LIMIT = 100
#: Dependencies listed per card, surest first (see ``SymbolDependency.via``), then fewest
#: definers, then most uses.
MAX_DEPENDENCIES = 40
#: Covering tests listed per card.
MAX_TESTS = 20

Via = Literal["same_file", "import", "name"]

_DEF_SQL = """
SELECT s.path, s.name, s.qualname, s.kind, s.start_line, s.end_line, s.start_byte, s.end_byte,
       s.signature, s.doc, f.language, f.sha256, f.raw_path
FROM symbols s JOIN files f ON f.path = s.path
WHERE (s.name = ? OR s.qualname = ?) {under}
ORDER BY s.path, s.start_byte LIMIT ?
"""


def symbol_cards(root: str, store: IndexReader, name: str, path: str | None = None,
                 limit: int = MAX_CARDS) -> list[SymbolCard]:
    """Cards of the definitions named ``name`` (a name or a qualified name such as
    ``Invoice.total``), optionally only under ``path`` (a file or folder), in path order."""
    under = "" if path is None else "AND (s.path = ? OR s.path LIKE ? || '/%')"
    params: list[Any] = [name, name, *([] if path is None else [path, path]), max(1, min(int(limit), MAX_LIMIT))]
    rows = store.dicts(_DEF_SQL.format(under=under), params)
    commit = store.meta().get("commit") or None
    trees: dict[str, tuple[bytes, Any] | None] = {}
    cards = []
    for row in rows:
        if row["path"] not in trees:
            trees[row["path"]] = _current(root, row)
        current = trees[row["path"]]
        uses = {} if current is None else references_in(
            row["language"], current[1], current[0], row["start_byte"], row["end_byte"])
        lines = b"" if current is None else b"".join(
            current[0].splitlines(keepends=True)[row["start_line"] - 1 : row["end_line"]])
        cards.append(SymbolCard(
            symbol=row["qualname"], name=row["name"], kind=row["kind"], file=row["path"],
            line_range=f"{row['start_line']}-{row['end_line']}", signature=row["signature"],
            doc=row["doc"], commit=commit, freshness="current" if current is not None else "stale",
            sha256=hashlib.sha256(lines).hexdigest() if current is not None else None,
            depends_on=_dependencies(store, row, uses),
            tests=_covering_tests(store, row["path"], row["name"]),
        ))
    return cards


def _current(root: str, row: dict[str, Any]) -> tuple[bytes, Any] | None:
    """(bytes, tree) of the definition's file when its bytes are the indexed ones, else None."""
    if row["language"] is None or row["sha256"] is None:
        return None
    try:
        with open(os.path.join(os.fsencode(root), row["raw_path"]), "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != row["sha256"]:
        return None
    return data, parse(row["language"], data)


def _dependencies(store: IndexReader, row: dict[str, Any], uses: dict[str, int]) -> list[SymbolDependency]:
    """The names the body uses that some indexed file defines (kinds that carry reference edges,
    at most ``MAX_DEFINERS`` definers: a name defined everywhere says nothing), the definition's
    own nested definitions left out. A name resolved only by name must have a top-level
    production definer: a parameter ``s`` or ``end`` would otherwise point at any method so named."""
    if not uses:
        return []
    lo, hi = row["start_byte"], row["end_byte"]
    definers: dict[str, set[str]] = {}
    loose: dict[str, set[str]] = {}  # top-level production definers: what a bare name can mean
    for name, path, kind, start, end, top, test in store.rows(
        "SELECT s.name, s.path, s.kind, s.start_byte, s.end_byte, s.parent IS NULL, f.is_test "
        "FROM symbols s JOIN files f ON f.path = s.path WHERE s.name IN (SELECT unnest(?))",
        [sorted(n for n in uses if len(n) >= MIN_REF_NAME)],
    ):
        inside = path == row["path"] and lo <= start and end <= hi
        if carries_edges(kind, path) and not inside:
            definers.setdefault(name, set()).add(path)
            if top and not test:
                loose.setdefault(name, set()).add(path)
    imported = {r for r, in store.rows(
        "SELECT DISTINCT resolved FROM imports WHERE path = ? AND resolved IS NOT NULL", [row["path"]])}
    deps = []
    for n, paths in definers.items():
        if len(paths) > MAX_DEFINERS:
            continue
        via: Via = "same_file" if row["path"] in paths else "import" if paths & imported else "name"
        if via == "name" and n not in loose:
            continue  # a method or a test's helper elsewhere: most likely a local of the same name
        if via == "import":
            paths = paths & imported  # the file imports these: the name means one of them
        deps.append(SymbolDependency(name=n, uses=uses[n], defined_in=sorted(paths), via=via))
    deps.sort(key=lambda d: (_VIA_ORDER.index(d.via), len(d.defined_in), -d.uses, d.name))
    return deps[:MAX_DEPENDENCIES]


#: How sure a dependency is, surest first: defined beside the symbol, defined in a file the
#: symbol's file imports, or only a name some file defines (a local variable may share it).
_VIA_ORDER: tuple[Via, ...] = ("same_file", "import", "name")


def _covering_tests(store: IndexReader, path: str, name: str) -> list[CoveringTest]:
    """Tests that use the name and are linked to its file first, then tests linked to the file,
    then other tests that use the name (when few files define it: else the use may be another's)."""
    linked = {t: (reason, command) for t, reason, command in store.rows(
        "SELECT test_path, reason, command FROM test_links WHERE source_path = ? "
        "ORDER BY confidence DESC, test_path", [path])}
    definers = store.rows("SELECT count(DISTINCT path) FROM symbols WHERE name = ?", [name])[0][0]
    users = [t for t, in store.rows(
        "SELECT DISTINCT r.path FROM refs r JOIN files f ON f.path = r.path "
        "WHERE r.name = ? AND f.is_test ORDER BY r.path", [name])]
    out = [CoveringTest(path=t, reason=f"uses {name}; {linked[t][0]}", command=linked[t][1])
           for t in users if t in linked]
    out += [CoveringTest(path=t, reason=reason, command=command)
            for t, (reason, command) in linked.items() if t not in users]
    if definers <= MAX_DEFINERS:
        out += [CoveringTest(path=t, reason=f"uses {name}", command=focused_test_command(t))
                for t in users if t not in linked]
    return out[:MAX_TESTS]
