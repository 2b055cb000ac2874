"""Lexical terms of a text: identifiers split by camelCase and snake_case, lower-cased.

Shared by the index (per-file term frequencies for BM25) and by task analysis, so a query
and a document are tokenised the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache

__all__ = ["STOPWORDS", "WORD", "split_identifier", "term_counts", "terms_of", "terms_of_words", "utf8_word_counts",
           "word_counts"]

#: Word characters; runs of digits alone are dropped afterwards (cheaper than a regex alternation).
WORD = re.compile(r"[A-Za-z0-9_]+")
#: ``bytes.translate`` table keeping WORD's bytes and blanking every other byte: in UTF-8 every
#: byte of a non-ASCII character is >= 0x80, so the blanks fall exactly where WORD's runs end.
_WORD_BYTES = bytes(c if chr(c).isascii() and (chr(c).isalnum() or c == ord("_")) else 32 for c in range(256))
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
#: English and code filler words that carry no location signal.
STOPWORDS = frozenset(
    "the a an and or of to in is it be that this for on with as by at from are was were not no "
    "but if then else when which what who how why can could should would will shall may might "
    "do does did done have has had i we you he she they them our your my me us so such than too "
    "very just also there here these those into out up down over under about after before all any "
    "some each more most other only own same self true false none null def return import class "
    "get set use used using new one two like want need see seems way work works get got make".split()
)
_MIN_LEN = 2


@lru_cache(maxsize=200_000)
def split_identifier(word: str) -> tuple[str, ...]:
    """``getHTTPResponse_code`` → ('gethttpresponse_code', 'get', 'http', 'response', 'code')."""
    low = word.lower()
    parts = [p.lower() for chunk in word.split("_") for p in _CAMEL.findall(chunk)]
    out = [low] if len(low) >= _MIN_LEN else []
    if len(parts) > 1:
        out.extend(p for p in parts if len(p) >= _MIN_LEN and p != low)
    return tuple(t for t in out if t not in STOPWORDS)


def word_counts(text: str) -> Counter[str]:
    """Occurrences of each word of ``text`` (a run of ASCII letters, digits and underscores)."""
    return Counter(WORD.findall(text))


def utf8_word_counts(data: bytes) -> dict[str, int]:
    """:func:`word_counts` of ``data.decode("utf-8")`` for valid UTF-8 ``data``, from the bytes:
    a C-level translate and split instead of a regex match object per word (half the time)."""
    counts = Counter(data.translate(_WORD_BYTES).split())
    if not counts:
        return {}
    return dict(zip(b" ".join(counts).decode("ascii").split(" "), counts.values()))


def terms_of_words(*word_maps: Mapping[str, int]) -> Counter[str]:
    """Term frequencies of the texts whose :func:`word_counts` are given."""
    out: Counter[str] = Counter()
    get = out.get
    for words in word_maps:
        for word, n in words.items():
            if word.islower() and word.isalpha():  # most words: their own only term (no call)
                if len(word) >= _MIN_LEN and word not in STOPWORDS:
                    out[word] = get(word, 0) + n
                continue
            if word.isdigit():
                continue
            for term in split_identifier(word):
                out[term] = get(term, 0) + n
    return out


def term_counts(text: str) -> Counter[str]:
    """Term frequencies of ``text`` (identifiers and their sub-words)."""
    return terms_of_words(word_counts(text))


def terms_of(text: str) -> list[str]:
    """The distinct terms of ``text`` in first-seen order."""
    seen: dict[str, None] = {}
    for word in WORD.findall(text):
        if word.isdigit():
            continue
        for term in split_identifier(word):
            seen.setdefault(term, None)
    return list(seen)
