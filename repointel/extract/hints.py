"""Which literals may occur in a text, answered from the text's distinct words: the cheap
prefilter the risk rules and the secret scan ask ~100 questions of every file through."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from .terms import WORD

__all__ = ["Probe", "TextHints", "probes"]


class TextHints:
    """Which literals may occur in one text, answered from the text's distinct words.

    A literal of word characters occurs only inside one word, so it is looked for in the
    distinct words joined by newlines (a sixth of the text's size on code). A literal with
    punctuation is first looked for by its word pieces, each bounded by the newline that stands
    for the punctuation around it, and only then in the text. The answers are exact; the point is
    that most literals are absent and an absent one costs a search of the words, not the text.
    Lower-cased literals are looked for in the lower-cased words; that is exact unless the text
    holds one of the two characters whose lower case holds an ASCII letter (U+0130, U+212A), and
    such a text is searched directly. The secret scan and the risk rules ask ~100 such questions
    of every file."""

    __slots__ = ("_blob", "_lower", "_lower_blob", "_text")

    def __init__(self, text: str, words: Iterable[str] | None = None) -> None:
        """``words``: the text's distinct words (:data:`~repointel.extract.terms.WORD` matches),
        when the caller has them already."""
        self._text = text
        self._lower: str | None = None
        self._blob = "\n" + "\n".join(set(WORD.findall(text)) if words is None else words) + "\n"
        self._lower_blob: str | None = None
        if text.isascii() or not _LOWERS_TO_ASCII.search(text):
            self._lower_blob = self._blob.lower()

    @property
    def lower(self) -> str:
        """The text, lower-cased (once)."""
        if self._lower is None:
            self._lower = self._text.lower()
        return self._lower

    def may_contain(self, literal: str, lowered: bool = False) -> bool:
        """Whether ``literal`` is in the text (in its lower-cased form if ``lowered``)."""
        return self.any_of(probes((literal,), lowered))

    def any_of(self, probes: tuple[Probe, ...]) -> bool:
        """Whether any probe's literal is in the text (see :func:`probes`)."""
        return bool(self.present(probes, first=True))

    def present(self, probes: tuple[Probe, ...], first: bool = False) -> set[str]:
        """The literals of ``probes`` that are in the text (only the first found, if ``first``).
        One loop, no call per probe: a file's ~100 questions cost microseconds each."""
        out: set[str] = set()
        for literal, lowered, pieces in probes:
            blob = self._lower_blob if lowered else self._blob
            if blob is None:
                found = literal in self.lower
            elif pieces is None:  # word characters only: in the words exactly when in the text
                found = literal in blob
            else:  # the pieces are a cheap necessary condition; the text decides
                found = all(piece in blob for piece in pieces) and literal in (
                    self.lower if lowered else self._text)
            if found:
                out.add(literal)
                if first:
                    break
        return out


#: The non-ASCII characters whose lower case holds an ASCII letter (İ and the Kelvin sign).
_LOWERS_TO_ASCII = re.compile("[\u0130\u212a]")

#: (literal, look in the lower-cased text, the word pieces to find first or None when the literal
#: is all word characters).
Probe = tuple[str, bool, tuple[str, ...] | None]


@cache
def probes(literals: tuple[str, ...], lowered: bool | None = None) -> tuple[Probe, ...]:
    """Probes for ``literals``, each looked for in the lower-cased text when ``lowered`` (when
    None: when the literal itself is lower case)."""
    out: list[Probe] = []
    for literal in literals:
        low = literal.islower() if lowered is None else lowered
        if WORD.fullmatch(literal):
            out.append((literal, low, None))
            continue
        pieces = tuple(("\n" if m.start() > 0 else "") + m.group() + ("\n" if m.end() < len(literal) else "")
                       for m in WORD.finditer(literal))
        out.append((literal, low, pieces))
    return tuple(out)
