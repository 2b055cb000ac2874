"""The code tiers of a packet: the bodies of the definitions a fix most likely edits (from
:func:`repointel.rank.definitions.rank_definitions`), the lines that make them readable (the
enclosing class's header, the imports they use) and the signatures of their callers and callees.

Which definitions and in what order is the ranking's call; this module only cuts each one to
lines that fit its share of the budget."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..extract.terms import terms_of
from ..rank.definitions import CONTAINERS, MODULE, RankedDefinition
from ..rank.task import TaskTerms
from .files import Source

__all__ = ["body_spans", "term_window"]

#: Lines of a big definition's head always shown (its signature, docstring and first lines).
HEAD_LINES = 12
#: Lines of the window around the task's words shown of a definition too big for its share.
BODY_WINDOW_LINES = 40


def body_spans(d: RankedDefinition, src: Source, terms: TaskTerms,
               max_lines: int) -> list[tuple[int, int, str]]:
    """How ``d`` is shown: a function or method whole when it has at most ``max_lines`` lines,
    else its head and the window of its body holding most of the task's words; a class (or
    other container) as the lines it owns itself (header, docstring, attributes) up to its first
    member; the module block as its run of lines holding most of the task's words. Each span
    comes with the reason it is shown."""
    plan: list[tuple[int, int, str]] = []
    if d.qualname == MODULE:
        best = _best_segment(d.segments, src, terms)
        if best is not None:
            s, e = term_window(src, terms, best[0], best[1], min(max_lines, BODY_WINDOW_LINES))
            plan.append((s, e, f"module_lines:{s}-{e}"))
        return plan
    if d.kind in CONTAINERS:
        s, e = d.segments[0]
        plan.append((s, min(e, s + max_lines - 1), f"defines:{d.qualname}"))
        return plan
    start, end = d.start_line, min(d.end_line, len(src.lines))
    if end - start + 1 <= max_lines:
        plan.append((start, end, f"defines:{d.qualname}"))
        return plan
    head_end = start + HEAD_LINES - 1
    plan.append((start, head_end, f"defines:{d.qualname}"))
    ws, we = term_window(src, terms, head_end + 1, end, max(1, min(BODY_WINDOW_LINES, max_lines - HEAD_LINES)))
    plan.append((ws, we, f"window_of:{d.qualname}"))
    return plan


def _best_segment(segments: Sequence[tuple[int, int]], src: Source, terms: TaskTerms) -> tuple[int, int] | None:
    """The segment of the module block holding the most task-term weight (None if none holds any)."""
    scored = [(sum(_weights(src, terms, s, e)), s, e) for s, e in segments]
    best = max(scored, default=(0.0, 0, 0))
    return (best[1], best[2]) if best[0] > 0 else None


def _weights(src: Source, terms: TaskTerms, first: int, last: int) -> list[float]:
    """Per line first..last, the task's terms it holds, each weighing 1/(lines holding it)."""
    wanted = set(terms.terms)
    found = [wanted.intersection(terms_of(src.lines[i - 1].decode("utf-8", "replace")))
             for i in range(first, min(last, len(src.lines)) + 1)]
    lines_with = Counter(t for f in found for t in f)
    return [sum(1 / lines_with[t] for t in f) for f in found]


def term_window(src: Source, terms: TaskTerms, first: int, last: int, size: int) -> tuple[int, int]:
    """The ``size`` lines within first..last holding the most of the task's terms (a term
    weighing 1/(lines holding it), so a rare word outweighs a common one); from ``first`` when
    no line holds any. Returns (start, end), 1-based inclusive."""
    last = min(last, len(src.lines))
    weight = _weights(src, terms, first, last)
    best, best_start, acc = 0.0, first, 0.0
    for i, w in enumerate(weight):  # a sliding sum over the window ending at line first + i
        acc += w - (weight[i - size] if i >= size else 0.0)
        if acc > best + 1e-9:
            best, best_start = acc, max(first, first + i + 1 - size)
    return best_start, min(last, best_start + size - 1)
