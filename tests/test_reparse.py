"""Incremental reparsing (``Tree.edit``) of kept trees gives exactly what a fresh parse gives."""

from __future__ import annotations

import random

import pytest

from repointel.extract.filemap import extract_parsed
from repointel.parse import languages

_PY_UNIT = '''
class Widget{n}:
    """A widget, number {n}."""

    def render(self, scale: int = {n}) -> str:
        return "w" * scale


def compute_{n}(x, y=None):
    # add them up
    return [x, y, Widget{n}().render()]
'''
_JS_UNIT = '''
export class Widget{n} {{
  render(scale = {n}) {{ return "w".repeat(scale); }}
}}

export function compute{n}(x, y) {{
  // add them up
  return [x, y, new Widget{n}().render()];
}}
'''
_GO_UNIT = '''
type Widget{n} struct {{ scale int }}

func (w Widget{n}) Render() string {{ return "w" }}

func Compute{n}(x int, y int) []int {{
	return []int{{x, y, {n}}}
}}
'''
_CASES = [("python", "", _PY_UNIT), ("javascript", "", _JS_UNIT), ("go", "package big\n", _GO_UNIT)]


_STARTS = ("class ", "def ", "export ", "type ", "func ")


def _edit(rng: random.Random, text: str, unit: str, step: int, valid: bool) -> str:
    """A random edit: anywhere (``valid`` False: may break the syntax, as typing does) or of whole
    top-level definitions (the file still parses)."""
    lines = text.replace(" (((", "").split("\n")  # the last step's syntax error is fixed again
    starts = [i for i, line in enumerate(lines) if line.startswith(_STARTS)]
    at = rng.choice(starts) if valid else rng.randrange(len(lines))
    kind = rng.choice(["insert", "delete", "rename", "append"] + ([] if valid else ["break"]))
    if kind == "insert":
        lines[at:at] = unit.format(n=1000 + step).split("\n")
    elif kind == "delete":
        end = min([i for i in starts if i > at] or [at + rng.randint(1, 6)]) if valid else at + rng.randint(1, 6)
        del lines[at:end]
    elif kind == "rename":
        lines[at] = lines[at].replace("compute", "calc").replace("Compute", "Calc")
    elif kind == "append":
        lines.append(unit.format(n=2000 + step))
    else:  # a syntax error: the kept tree then has errors and must not be reused as-is
        lines[at] = lines[at] + " ((("
    return "\n".join(lines)


@pytest.mark.parametrize("valid", [True, False], ids=["whole-definitions", "anywhere"])
@pytest.mark.parametrize(("lang", "head", "unit"), _CASES, ids=[c[0] for c in _CASES])
def test_kept_tree_reparse_equals_fresh_parse(lang: str, head: str, unit: str, valid: bool) -> None:
    rng = random.Random(5)
    text = head + "".join(unit.format(n=i) for i in range(120))  # well over KEEP_MIN_BYTES
    assert len(text) > languages.KEEP_MIN_BYTES
    key = f"/virtual/big-{valid}.{lang}"
    reused = 0
    for step in range(40):
        data = text.encode()
        kept = languages._KEPT.get(key)
        reused += kept is not None and not kept[2].root_node.has_error
        assert extract_parsed(lang, data, keep_as=key) == extract_parsed(lang, data), f"step {step}"
        assert key in languages._KEPT  # kept for the next edit
        text = _edit(rng, text, unit, step, valid)
    if valid:
        assert reused == 39  # every step after the first reparsed incrementally


def test_small_files_are_not_kept() -> None:
    extract_parsed("python", b"def f():\n    return 1\n", keep_as="/virtual/small.py")
    assert "/virtual/small.py" not in languages._KEPT


def test_at_most_keep_trees_are_kept() -> None:
    big = ("def f():\n    return 1\n" * 1200).encode()
    for i in range(languages.KEEP_TREES + 5):
        extract_parsed("python", big, keep_as=f"/virtual/many{i}.py")
    assert len(languages._KEPT) <= languages.KEEP_TREES
    assert f"/virtual/many{languages.KEEP_TREES + 4}.py" in languages._KEPT


def test_kept_source_stays_within_its_byte_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(languages, "KEEP_MAX_SOURCE_BYTES", 100_000)  # a budget, not behaviour
    big = ("def f():\n    return 1\n" * 1500).encode()  # ~34 KB
    for i in range(6):
        extract_parsed("python", big, keep_as=f"/virtual/budget{i}.py")
    assert sum(len(k[1]) for k in languages._KEPT.values()) <= 100_000
    assert "/virtual/budget5.py" in languages._KEPT
    huge = big * 4  # over the whole budget: not kept at all
    extract_parsed("python", huge, keep_as="/virtual/huge.py")
    assert "/virtual/huge.py" not in languages._KEPT
