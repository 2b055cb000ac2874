"""Repository-wide maps rebuilt from the stored per-file facts, inside the index transaction.

Each ``_build_*`` function is one provider: it reads what it depends on from the store and
replaces one table. They run in dependency order (imports before edges before test links).
"""

from __future__ import annotations

import os
from typing import Any

from .store import IndexStore

__all__ = ["rebuild_derived"]

#: Reference edges ignore names defined in more files than this: such names say nothing about where.
MAX_DEFINERS = 8
#: Reference edges ignore names shorter than this (i, x, fn … are everywhere).
MIN_REF_NAME = 3

_REFERENCE_EDGES_SQL = f"""
INSERT INTO file_edges
WITH defs AS (
    SELECT DISTINCT name, path FROM symbols
    WHERE kind NOT IN ('variable', 'field') AND length(name) >= {MIN_REF_NAME}
), definers AS (
    SELECT name, count(*) AS n FROM defs GROUP BY name HAVING count(*) <= {MAX_DEFINERS}
)
SELECT r.path, d.path, 'reference', sum(sqrt(r.count) / dn.n)
FROM refs r JOIN definers dn ON r.name = dn.name JOIN defs d ON r.name = d.name
WHERE r.path <> d.path
GROUP BY r.path, d.path
"""

_IMPORT_EDGES_SQL = """
INSERT INTO file_edges
SELECT path, resolved, 'import', count(*)::DOUBLE FROM imports
WHERE resolved IS NOT NULL AND resolved <> path GROUP BY path, resolved
"""


def _reader(root: str) -> Any:
    def read_text(rel: str) -> str | None:
        full = os.path.join(root, rel)
        try:
            with open(full, "rb") as fh:
                return fh.read(1_000_000).decode("utf-8", "replace")
        except OSError:
            return None

    return read_text


def _indexed_files(store: IndexStore) -> list[tuple[str, str | None]]:
    return [(r[0], r[1]) for r in store.rows(
        "SELECT path, language FROM files WHERE status = 'indexed' ORDER BY path")]


def _build_imports(root: str, store: IndexStore, files: list[tuple[str, str | None]]) -> None:
    from .extract.deps import ImportResolver
    from .models import ImportRecord

    lang_of = dict(files)
    resolver = ImportResolver([p for p, _ in files], _reader(root))
    out: list[tuple[Any, ...]] = []
    for path, module, names, line, level, kind in store.rows(
        "SELECT path, module, names, line, level, kind FROM imports"
    ):
        rec = ImportRecord(path=path, module=module, names=list(names or []), line=line,
                           level=level, kind=kind)
        lang = lang_of.get(path)
        res = resolver.resolve(path, lang, rec) if lang else rec
        out.append((path, module, names, line, level, kind, res.resolved, res.external))
    store.replace_table("imports", out)


def _build_edges(store: IndexStore) -> None:
    store.execute("DELETE FROM file_edges")
    store.execute(_IMPORT_EDGES_SQL)
    store.execute(_REFERENCE_EDGES_SQL)


def _build_doclen(store: IndexStore) -> None:
    store.execute("DELETE FROM doclen")
    store.execute("INSERT INTO doclen SELECT path, sum(tf)::INTEGER FROM terms GROUP BY path")


def rebuild_derived(root: str, store: IndexStore, *, history: bool) -> None:
    """Recompute every repository-wide map from the per-file tables."""
    files = _indexed_files(store)
    _build_doclen(store)
    _build_imports(root, store, files)
    _build_edges(store)
