"""The in-memory BM25 equals its SQL definition over the index's tables, at every index state."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from repointel import Repo
from repointel.extract.terms import split_identifier, terms_of_words, utf8_word_counts, word_counts
from repointel.rank import lexical
from repointel.rank.lexical import QUERIES_BEFORE_LOAD, bm25_scores, document_frequencies
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
        selective = [bm25_scores(store, terms) for terms in _QUERIES]
        # one packet's worth of queries reads only their terms' postings: nothing loaded whole
        assert not any(key[0] == store.db_path for key in lexical._CACHE.keys())
        for _ in range(QUERIES_BEFORE_LOAD):
            document_frequencies(store, ["parse"])
        loaded = [bm25_scores(store, terms) for terms in _QUERIES]
        assert any(key[0] == store.db_path for key in lexical._CACHE.keys())
        assert selective == loaded  # the same arrays summed in the same order: equal to the bit
        for terms, got in zip(_QUERIES, loaded):
            assert _same(got, _sql_bm25(store, terms)), terms
        first = next(p for p in sorted(root.rglob("*.py")))
        first.write_text(first.read_text() + "\ndef parse_module_import_class():\n    return 1\n")
        repo.index(workers=1)
        store = repo._reader()
        for _ in range(2):  # a new index state: selective reads, then its own loaded postings
            for terms in _QUERIES:
                assert _same(bm25_scores(store, terms), _sql_bm25(store, terms)), terms
        assert bm25_scores(store, {"parse_module_import_class": 1})


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=80)
       | st.text(alphabet="aZ_9 .\t\n\u00e9\u0130\u212a\u4e2d\U0001f600-", max_size=80))
def test_utf8_word_counts_equal_word_counts(text: str) -> None:
    """Counting words from the UTF-8 bytes finds exactly the words the regex finds in the text:
    every byte of a non-ASCII character ends a word, as the character does."""
    assert utf8_word_counts(text.encode("utf-8")) == word_counts(text)


@given(words=st.dictionaries(st.from_regex(r"[A-Za-z0-9_]{1,12}", fullmatch=True) | st.sampled_from(
    ["the", "a", "http", "getHTTPResponse_code", "x", "io", "return", "abc2", "ABC", "snake_case"]),
    st.integers(min_value=1, max_value=5), max_size=30))
def test_terms_of_words_equal_splitting_every_word(words: dict[str, int]) -> None:
    """The lower-case fast path (a word that is its own only term) gives what splitting does."""
    want: dict[str, int] = {}
    for word, n in words.items():
        for term in () if word.isdigit() else split_identifier(word):
            want[term] = want.get(term, 0) + n
    assert dict(terms_of_words(words)) == want
