"""The file graph (imports + references + co-change) and personalised PageRank over it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..cache import SharedCache
from ..store import IndexReader

__all__ = ["FileGraph", "load_graph", "pagerank"]

#: PageRank damping: the usual 0.85, i.e. a random surfer follows ~6 links before jumping.
DAMPING = 0.85
#: An import is a declared dependency: worth more than a by-name reference guess.
IMPORT_EDGE_WEIGHT = 2.0
#: A name reference is a weaker, guessed dependency.
REFERENCE_EDGE_WEIGHT = 1.0


class FileGraph:
    """A weighted directed graph over indexed file paths."""

    def __init__(self, nodes: list[str], edges: list[tuple[str, str, float]]) -> None:
        self.nodes = nodes
        self.index = {p: i for i, p in enumerate(nodes)}
        self.edges = [(self.index[s], self.index[d], w) for s, d, w in edges
                      if s in self.index and d in self.index]
        self._rx: Any = None  # the rustworkx graph, built on first use and kept with this graph

    def rx_graph(self) -> Any:
        """The graph as a ``rustworkx.PyDiGraph`` (node i is ``nodes[i]``), built once."""
        if self._rx is None:
            import rustworkx as rx

            g = rx.PyDiGraph(multigraph=False)
            g.add_nodes_from(self.nodes)
            g.add_edges_from(self.edges)
            self._rx = g
        return self._rx

    def neighbours(self, path: str) -> dict[str, float]:
        """Out- and in-neighbours of ``path`` with summed edge weights."""
        i = self.index.get(path)
        out: dict[str, float] = {}
        if i is None:
            return out
        for s, d, w in self.edges:
            if s == i:
                out[self.nodes[d]] = out.get(self.nodes[d], 0.0) + w
            elif d == i:
                out[self.nodes[s]] = out.get(self.nodes[s], 0.0) + w
        return out


#: Graphs kept per (index file, index state, tests included): packets reuse the loaded graph.
_CACHE_SIZE = 4
_CACHE: SharedCache[FileGraph] = SharedCache(_CACHE_SIZE)


def load_graph(store: IndexReader, *, include_tests: bool = True) -> FileGraph:
    """The file graph from the ``file_edges`` table (cached per index state)."""
    key = (store.db_path, store.meta().get("indexed_at", ""), include_tests)
    return _CACHE.get_or_build(key, lambda: _load_graph(store, include_tests))


def _load_graph(store: IndexReader, include_tests: bool) -> FileGraph:
    test_filter = "" if include_tests else "AND NOT is_test"
    nodes = [r[0] for r in store.rows(
        f"SELECT path FROM files WHERE status = 'indexed' AND language IS NOT NULL {test_filter} "
        "ORDER BY path")]
    sql = ("SELECT src, dst, sum(CASE kind WHEN 'import' THEN ? ELSE ? END * weight)::DOUBLE AS w "
           "FROM file_edges GROUP BY src, dst")
    params = [IMPORT_EDGE_WEIGHT, REFERENCE_EDGE_WEIGHT]
    if store.bulk_reads:  # paths mapped to node numbers column-wise: ~3x faster for ~100k edges
        import pyarrow as pa
        import pyarrow.compute as pc

        table = store.arrow(sql, params)
        names = pa.array(nodes, type=pa.string())
        src, dst = (pc.index_in(table.column(c), value_set=names) for c in ("src", "dst"))
        keep = pc.and_(pc.is_valid(src), pc.is_valid(dst))
        cols = [pc.filter(c, keep).to_pylist() for c in (src, dst, table.column("w"))]
        graph = FileGraph(nodes, [])
        graph.edges = list(zip(*cols))
        return graph
    return FileGraph(nodes, [(s, d, float(w)) for s, d, w in store.rows(sql, params)])


def pagerank(graph: FileGraph, personalization: Mapping[str, float] | None = None) -> dict[str, float]:
    """Personalised PageRank (rustworkx); uniform when no personalisation is given."""
    import rustworkx as rx

    if not graph.nodes:
        return {}
    g = graph.rx_graph()
    pers = None
    if personalization:
        pers = {graph.index[p]: w for p, w in personalization.items() if p in graph.index and w > 0}
        pers = pers or None
    scores = rx.pagerank(g, alpha=DAMPING, weight_fn=float,
                         personalization=pers, tol=1e-6, max_iter=100)
    return {graph.nodes[i]: float(scores[i]) for i in scores}
