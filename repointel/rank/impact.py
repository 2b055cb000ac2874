"""Impact analysis: the transitive dependents of files, over import and reference edges."""

from __future__ import annotations

from ..cache import SharedCache
from ..store import IndexReader

__all__ = ["dependents"]

#: Package facades (``__init__.py``, ``index.js``/``index.ts``, ``mod.rs``) re-export everything;
#: they are reported as dependents but not expanded through, or every file would depend on all.
FACADES = ("__init__.py", "index.js", "index.ts", "mod.rs", "lib.rs")
#: Reference edges weaker than this are guesses too loose to call a dependency.
MIN_REFERENCE_WEIGHT = 0.5


#: Reverse adjacency kept for this many index states: warm impact queries skip the edge load.
_CACHE_SIZE = 4
_CACHE: SharedCache[dict[str, set[str]]] = SharedCache(_CACHE_SIZE)


def _reverse_edges(store: IndexReader) -> dict[str, set[str]]:
    return _CACHE.get_or_build((store.db_path, store.meta().get("indexed_at", "")), lambda: _load_reverse(store))


def _load_reverse(store: IndexReader) -> dict[str, set[str]]:
    rev: dict[str, set[str]] = {}
    for src, dst in store.rows(
        "SELECT src, dst FROM file_edges WHERE kind = 'import' OR weight >= ?", [MIN_REFERENCE_WEIGHT]
    ):
        rev.setdefault(dst, set()).add(src)
    return rev


def dependents(store: IndexReader, roots: list[str], depth: int) -> list[tuple[str, int]]:
    """Files that (transitively, up to ``depth`` hops) depend on ``roots``, with their distance."""
    rev = _reverse_edges(store)
    seen = {r: 0 for r in roots}
    frontier = list(roots)
    for hop in range(1, depth + 1):
        nxt = []
        for node in frontier:
            if hop > 1 and node.rsplit("/", 1)[-1] in FACADES:
                continue
            for dep in rev.get(node, ()):
                if dep not in seen:
                    seen[dep] = hop
                    nxt.append(dep)
        frontier = nxt
    return sorted(((p, d) for p, d in seen.items() if d > 0), key=lambda x: (x[1], x[0]))
