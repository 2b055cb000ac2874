"""The in-memory BM25 equals its SQL definition over the index's tables, at every index state."""

from __future__ import annotations

import shutil
from pathlib import Path

from repointel import Repo
from repointel.rank.lexical import bm25_scores
from repointel.store import IndexStore

from .conftest import FIXTURES

_QUERIES = [
    {"parse": 1, "module": 2}, {"import": 5, "resolve": 1, "zzz_absent": 3}, {"class": 1},
    {"def": 2, "return": 2, "self": 1, "test": 4}, {},
]


def _sql_bm25(store: IndexStore, terms: dict[str, int]) -> dict[str, float]:
    """The set-based SQL definition (the path a daemon's socket takes), as the reference."""
    store.bulk_reads = False
    try:
        return bm25_scores(store, terms)
    finally:
        store.bulk_reads = True


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
