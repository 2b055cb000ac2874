"""Okapi BM25 over the index's ``terms`` table, held in memory as postings arrays.

A query reads its terms' postings into term-sorted numpy arrays and scores them there (SQL
selects, numpy sums in a fixed order: DuckDB's threads would add a file's terms in any order).
A long-lived process (an agent runtime, the daemon's warm caches) asks many queries of one
index state, so after its first packet's worth it reads the whole ``terms`` table once and
answers later queries from memory (~1 ms); a one-shot process (the CLI, one packet per commit)
never pays that load (1.6 s and 600 MB on a 6M-posting index, where one selective read costs
~60 ms). Scores equal the SQL definition, either way:

    sum over query terms t in file f:  qtf(t) * idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(f) / avgdl))
    idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5)),  N and avgdl over ``doclen``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from ..cache import SharedCache
from ..store import IndexReader

__all__ = ["BM25_B", "BM25_K1", "MAX_QUERY_TF", "QUERIES_BEFORE_LOAD", "TermIndex", "bm25_scores",
           "document_frequencies", "load_term_index"]

#: BM25 term-frequency saturation: the usual 1.2 (a term's 3rd occurrence adds little).
BM25_K1 = 1.2
#: BM25 length normalisation: the usual 0.75 (long files are discounted, not ignored).
BM25_B = 0.75
#: A query term repeated in the task counts at most this often (stack traces repeat names).
MAX_QUERY_TF = 3
#: Queries of one index state answered by selective reads before its whole postings are loaded:
#: a packet asks four (three BM25 scorings and the document frequencies), so a process building
#: one packet per index state never loads them and a second packet on the same state does.
QUERIES_BEFORE_LOAD = 4


class TermIndex:
    """Postings of every term: file ids and term frequencies, grouped by term."""

    def __init__(self, postings: Any, docs: Any) -> None:
        """``postings``: Arrow table (term, path, tf) in any order; ``docs``: Arrow (path, len)."""
        import numpy as np

        self.paths: list[str] = docs.column("path").to_pylist()
        self.doc_len = docs.column("len").to_numpy().astype(np.float64)
        self.n = len(self.paths)
        self.avgdl = float(self.doc_len.mean()) if self.n else 0.0
        pid = {p: i for i, p in enumerate(self.paths)}
        path_codes = postings.column("path").combine_chunks().dictionary_encode()
        to_doc = np.array([pid.get(p, -1) for p in path_codes.dictionary.to_pylist()] + [-1], dtype=np.int64)
        term_codes = postings.column("term").combine_chunks().dictionary_encode()
        codes = term_codes.indices.to_numpy(zero_copy_only=False)
        order = np.argsort(codes, kind="stable")  # group postings by term (cheaper than SQL ORDER BY)
        codes = codes[order]
        self.ids = to_doc[path_codes.indices.to_numpy(zero_copy_only=False)][order]
        self.tfs = postings.column("tf").to_numpy().astype(np.float64)[order]
        starts = np.concatenate(([0], np.flatnonzero(np.diff(codes)) + 1)).astype(np.int64)
        ends = np.append(starts[1:], len(codes)).astype(np.int64)
        names = term_codes.dictionary.to_pylist()
        run_terms = [names[c] for c in codes[starts].tolist()] if len(codes) else []
        self.span: dict[str, tuple[int, int]] = dict(zip(run_terms, zip(starts.tolist(), ends.tolist())))

    def scores(self, terms: Mapping[str, int]) -> dict[str, float]:
        """BM25 of every file holding at least one of ``terms`` (term → count in the query)."""
        import numpy as np

        if not self.n:
            return {}
        acc = np.zeros(self.n, dtype=np.float64)
        hit = np.zeros(self.n, dtype=bool)
        for term, count in terms.items():
            span = self.span.get(term)
            if span is None:
                continue
            ids, tf = self.ids[span[0] : span[1]], self.tfs[span[0] : span[1]]
            keep = ids >= 0  # postings of files without a doclen row do not score (as in SQL)
            ids, tf = ids[keep], tf[keep]
            df = span[1] - span[0]
            idf = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
            norm = BM25_K1 * (1 - BM25_B + BM25_B * self.doc_len[ids] / self.avgdl)
            np.add.at(acc, ids, min(count, MAX_QUERY_TF) * idf * tf * (BM25_K1 + 1) / (tf + norm))
            hit[ids] = True
        return {self.paths[i]: float(acc[i]) for i in np.flatnonzero(hit)}


#: Term indexes kept per (index file, index state): packets reuse the loaded postings.
_CACHE_SIZE = 2
_CACHE: SharedCache[TermIndex] = SharedCache(_CACHE_SIZE)
#: Per index state: queries answered so far, and the doclen table the selective reads share.
_SEEN: SharedCache[tuple[int, Any]] = SharedCache(_CACHE_SIZE)


def _state(store: IndexReader) -> tuple[str, str]:
    return (store.db_path, store.meta().get("indexed_at", ""))


_DOCLEN_SQL = "SELECT path, len FROM doclen ORDER BY path"


def load_term_index(store: IndexReader) -> TermIndex:
    """The term index of ``store`` at its current state (loaded once, then cached)."""
    return _load(store, _state(store), None)


def _load(store: IndexReader, key: tuple[str, str], docs: Any) -> TermIndex:
    return _CACHE.get_or_build(key, lambda: TermIndex(store.arrow("SELECT term, path, tf FROM terms"),
                                                      store.arrow(_DOCLEN_SQL) if docs is None else docs))


def _index_for(store: IndexReader, terms: Iterable[str]) -> TermIndex:
    """The whole term index once this state has answered ``QUERIES_BEFORE_LOAD`` queries;
    before that, one holding only the postings of ``terms`` (the same scores for them)."""
    key = _state(store)
    whole = _CACHE.get(key)
    if whole is not None:
        return whole
    count, docs = _SEEN.pop(key) or (0, None)
    docs = store.arrow(_DOCLEN_SQL) if docs is None else docs
    if count >= QUERIES_BEFORE_LOAD:
        return _load(store, key, docs)
    _SEEN.put(key, (count + 1, docs))
    postings = store.arrow("SELECT term, path, tf FROM terms WHERE term IN (SELECT unnest(?))", [sorted(terms)])
    return TermIndex(postings, docs)


_SQL = f"""
WITH q AS (SELECT unnest(?) AS term, unnest(?) AS qtf),
stats AS (SELECT count(*) AS n, avg(len) AS avgdl FROM doclen),
df AS (SELECT term, count(*) AS df FROM terms WHERE term IN (SELECT term FROM q) GROUP BY term)
SELECT t.path, sum(q.qtf * ln(1 + (stats.n - df.df + 0.5) / (df.df + 0.5))
       * t.tf * ({BM25_K1} + 1) / (t.tf + {BM25_K1} * (1 - {BM25_B} + {BM25_B} * d.len / stats.avgdl)))
FROM terms t JOIN q ON t.term = q.term JOIN df ON t.term = df.term JOIN doclen d ON d.path = t.path, stats
GROUP BY t.path
"""


def bm25_scores(store: IndexReader, terms: Mapping[str, int]) -> dict[str, float]:
    """Okapi BM25 of every file containing at least one query term (term → count in the task).

    From postings read into memory when the store reads in bulk cheaply (see the module
    docstring); as one SQL query otherwise (a daemon's socket)."""
    if not terms:
        return {}
    if store.bulk_reads:
        return _index_for(store, terms).scores(terms)
    q = sorted(terms)
    rows = store.rows(_SQL, [q, [min(terms[t], MAX_QUERY_TF) for t in q]])
    return {p: float(s) for p, s in rows}


def document_frequencies(store: IndexReader, terms: Iterable[str]) -> tuple[int, dict[str, int]]:
    """(number of documents, {term: files holding it}) for the terms the index knows."""
    wanted = sorted(set(terms))
    if store.bulk_reads:
        index = _index_for(store, wanted)
        return index.n, {t: index.span[t][1] - index.span[t][0] for t in wanted if t in index.span}
    n = store.rows("SELECT count(*) FROM doclen")[0][0] or 0
    rows = store.rows("SELECT term, count(*) FROM terms WHERE term IN (SELECT unnest(?)) GROUP BY term", [wanted])
    return int(n), {str(t): int(df) for t, df in rows}
