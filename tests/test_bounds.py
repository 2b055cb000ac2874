"""repointel.bounds: every check either returns a value inside its bounds or raises one
InvalidInputError naming the argument, in one line, whatever it is handed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repointel import bounds
from repointel.errors import InvalidInputError

ANYTHING = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=50),
                     st.binary(max_size=10), st.lists(st.integers(), max_size=3))

def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


CHECKS: list[tuple[str, Callable[[Any], Any], Callable[[Any], bool]]] = [
    ("budget", bounds.check_budget, lambda v: _int(v) and 1 <= v <= bounds.MAX_BUDGET),
    ("depth", bounds.check_depth, lambda v: _int(v) and 0 <= v <= bounds.MAX_DEPTH),
    ("limit", lambda v: bounds.check_limit(v, 1000), lambda v: _int(v) and 1 <= v <= 1000),
    ("workers", bounds.check_workers, lambda v: v is None or (_int(v) and 1 <= v <= bounds.MAX_WORKERS)),
    ("kind", bounds.check_kind, lambda v: v is None or v in bounds.SYMBOL_KINDS),
    ("tokenizer", bounds.check_tokenizer, lambda v: v in bounds.TOKENIZERS),
    ("task", bounds.check_task, lambda v: isinstance(v, str) and bool(v.strip())),
    ("name", bounds.check_name, lambda v: isinstance(v, str) and bool(v.strip()) and "\x00" not in v),
    ("sql", bounds.check_sql, lambda v: isinstance(v, str) and bool(v.strip())),
]


@pytest.mark.parametrize(("what", "check", "valid"), CHECKS, ids=[c[0] for c in CHECKS])
@given(value=st.one_of(ANYTHING, st.integers(min_value=-3, max_value=12), st.sampled_from(
    ["function", "cl100k_base", " ", "\x00", "SELECT 1", "read_text('x')"])))
def test_a_check_accepts_or_names_the_mistake(what: str, check: Callable[[Any], Any],
                                              valid: Callable[[Any], bool], value: Any) -> None:
    try:
        out = check(value)
    except InvalidInputError as exc:
        assert "\n" not in str(exc) and str(exc)
        assert not valid(value) or what == "sql", f"{value!r} refused: {exc}"  # sql: file readers refused
        return
    assert valid(value), f"{value!r} accepted"
    assert out == value or (what == "task" and out is value)


def test_symbol_kinds_are_the_extractors_kinds() -> None:
    """--kind's choices (and its --help) list exactly what the symbol extractor records."""
    from repointel.extract.symbols import _DEF_KINDS

    recorded = {k for kinds in _DEF_KINDS.values() for k in kinds.values()} | {"method", "constant", "variable"}
    assert set(bounds.SYMBOL_KINDS) == recorded
