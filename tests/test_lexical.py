"""The in-memory BM25 equals the SQL definition over the index's tables, at every index state."""

from __future__ import annotations

import shutil
from pathlib import Path

from repointel import Repo
from repointel.rank.lexical import BM25_B, BM25_K1, MAX_QUERY_TF, bm25_scores
from repointel.store import IndexStore

from .conftest import FIXTURES

_SQL = f"""
WITH q AS (SELECT unnest(?) AS term, unnest(?) AS qtf),
stats AS (SELECT count(*) AS n, avg(len) AS avgdl FROM doclen),
df AS (SELECT term, count(*) AS df FROM terms WHERE term IN (SELECT term FROM q) GROUP BY term)
SELECT t.path, sum(q.qtf * ln(1 + (stats.n - df.df + 0.5) / (df.df + 0.5))
       * t.tf * ({BM25_K1} + 1) / (t.tf + {BM25_K1} * (1 - {BM25_B} + {BM25_B} * d.len / stats.avgdl)))
FROM terms t JOIN q ON t.term = q.term JOIN df ON t.term = df.term JOIN doclen d ON d.path = t.path, stats
GROUP BY t.path
"""

_QUERIES = [
    {"parse": 1, "module": 2}, {"import": 5, "resolve": 1, "zzz_absent": 3}, {"class": 1},
    {"def": 2, "return": 2, "self": 1, "test": 4}, {},
]


def _sql_bm25(store: IndexStore, terms: dict[str, int]) -> dict[str, float]:
    if not terms:
        return {}
    q = sorted(terms)
    rows = store.rows(_SQL, [q, [min(terms[t], MAX_QUERY_TF) for t in q]])
    return {p: float(s) for p, s in rows}


def _same(a: dict[str, float], b: dict[str, float]) -> bool:
    return set(a) == set(b) and all(abs(a[k] - b[k]) <= 1e-9 * max(1.0, abs(a[k])) for k in a)


def test_in_memory_bm25_equals_sql_and_follows_index_state(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "deps", root)
    with Repo.open(root) as repo:
        repo.index(workers=1)
        store = repo._reader()
        for terms in _QUERIES:
            assert _same(bm25_scores(store, terms), _sql_bm25(store, terms)), terms
        first = next(p for p in sorted(root.rglob("*.py")))
        first.write_text(first.read_text() + "\ndef parse_module_import_class():\n    return 1\n")
        repo.index(workers=1)
        store = repo._reader()
        for terms in _QUERIES:  # a new index state: the cached postings must not be reused
            assert _same(bm25_scores(store, terms), _sql_bm25(store, terms)), terms
        store.bulk_reads = False  # as through a daemon's socket: the set-based SQL path
        for terms in _QUERIES:
            assert _same(bm25_scores(store, terms), _sql_bm25(store, terms)), terms
