"""Golden tests of the symbol map: every definition with the right kind, qualified name and span.

Regenerate after a deliberate change with ``UPDATE_GOLDEN=1 pytest tests/test_symbols_golden.py``
and review the diff by hand.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from repointel.extract.symbols import extract_symbols
from repointel.parse import language_for_path, parse

from .conftest import FIXTURES

SAMPLES = sorted((FIXTURES / "languages").iterdir())
GOLDEN = FIXTURES / "golden" / "symbols"


def _extract(path: Path) -> list[dict[str, object]]:
    lang = language_for_path(path.name)
    assert lang is not None
    data = path.read_bytes()
    defs, _refs = extract_symbols(lang, parse(lang, data), data)
    return [{"qualname": d.qualname, "kind": d.kind, "lines": [d.start_line, d.end_line],
             "parent": d.parent, "doc": d.doc} for d in defs]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_definitions_match_golden(sample: Path) -> None:
    got = _extract(sample)
    golden = GOLDEN / f"{sample.name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(got, indent=1) + "\n")
    assert got == json.loads(golden.read_text())


def test_every_language_has_a_sample() -> None:
    from repointel.parse import LANGUAGES

    covered = {language_for_path(p.name) for p in SAMPLES}
    assert covered == set(LANGUAGES)


def test_python_details() -> None:
    defs = {d["qualname"]: d for d in _extract(FIXTURES / "languages" / "sample.py")}
    assert defs["Invoice.total"]["kind"] == "method"
    assert defs["Invoice.total"]["lines"] == [15, 18]  # the decorator starts the span
    assert defs["Invoice.Line.amount"]["parent"] == "Invoice.Line"
    assert defs["Invoice"]["doc"] == "An invoice."
    data = (FIXTURES / "languages" / "sample.py").read_bytes()
    sig = {d.qualname: d.signature for d in extract_symbols("python", parse("python", data), data)[0]}
    assert sig["helper"] == "def helper(x: int, y: int) -> int"


@pytest.mark.parametrize("data", [b"", b"def broken(:\n  return (\nclass X\n", b"def f():\n  return '\xff\xfe'\n"])
def test_bad_sources_never_crash(data: bytes) -> None:
    defs, refs = extract_symbols("python", parse("python", data), data)
    assert isinstance(defs, list) and isinstance(refs, dict)


def test_references_count_uses_not_definitions() -> None:
    data = b"def f(x):\n    return g(x) + g(1)\n"
    _defs, refs = extract_symbols("python", parse("python", data), data)
    assert refs["g"] == 2 and "f" not in refs


@pytest.mark.parametrize(("lang", "source", "expected"), [
    ("c", b"struct client;\nvoid free_client(struct client *c, enum state s);\n"
          b"struct conn { int fd; };\ntypedef struct buf buf_t;\ntypedef struct sds { int len; } sds_t;\n",
     [("conn", "struct"), ("buf_t", "type"), ("sds_t", "type"), ("sds", "struct")]),
    ("cpp", b"class Engine;\nclass Car { Engine *e; };\nnamespace n { struct Wheel {}; }\n",
     [("Car", "class"), ("n", "namespace"), ("n.Wheel", "struct")]),
    ("rust", b"mod std;\npub mod task;\nmod inline { fn run() {} }\n",
     [("inline", "module"), ("inline.run", "function")]),
])
def test_uses_and_declarations_are_not_definitions(lang: str, source: bytes,
                                                   expected: list[tuple[str, str]]) -> None:
    """A struct named in a parameter, a forward declaration or ``mod x;`` names something
    defined elsewhere; a typedef does not scope the struct it defines."""
    defs, _refs = extract_symbols(lang, parse(lang, source), source)
    assert [(d.qualname, d.kind) for d in defs] == expected


def test_plain_rows_mirror_the_model() -> None:
    """Workers build ``DefRow`` tuples; the API returns ``Definition`` models: same fields."""
    from repointel.extract.symbols import DefRow
    from repointel.models import Definition

    assert DefRow._fields == tuple(f for f in Definition.model_fields if f != "path")


@pytest.mark.parametrize(("lang", "source", "expected"), [
    ("go", b"package x\ntype ResponseWriter interface {\n\tStatus() int\n}\ntype Chain []Handler\n",
     {"ResponseWriter": "ResponseWriter interface { … }", "Chain": "Chain []Handler"}),
    ("c", b"typedef struct {\n  int x;\n} point_t;\nstruct s { int y; };\n",
     {"point_t": "typedef struct { … } point_t;", "s": "struct s"}),
    ("typescript", b"type Props = {\n  a: string\n};\ninterface I { x: number }\n",
     {"Props": "type Props = { … };", "I": "interface I"}),
])
def test_signatures_stop_at_the_body(lang: str, source: bytes, expected: dict[str, str]) -> None:
    """A type whose braces are not a ``body`` field shows them as ``{ … }``, not its members
    run together (gin's map showed a whole interface on one line)."""
    defs, _refs = extract_symbols(lang, parse(lang, source), source)
    assert {d.qualname: d.signature for d in defs} == expected


def test_ruby_signature_is_the_header_line() -> None:
    source = (b"module Shop # A poor man's store.\n  # Implements carts.\n  class Cart < Base\n"
              b"    def total(prices,\n              discount = 0)\n      0\n    end\n  end\nend\n")
    defs, _refs = extract_symbols("ruby", parse("ruby", source), source)
    assert {d.qualname: d.signature for d in defs} == {
        "Shop": "module Shop", "Shop.Cart": "class Cart < Base",
        "Shop.Cart.total": "def total(prices, discount = 0)"}


@pytest.mark.parametrize(("lang", "source", "signature"), [
    ("python", b"class A:\n    def invoke(  # type: ignore\n        self, ctx,  # the context\n    ) -> int:  # x\n"
               b"        pass\n", "def invoke(self, ctx,) -> int"),
    ("c", b"int /* a */ f(int x /* x */, // y\n  int z) { return 0; }\n", "int f(int x, int z)"),
    ("rust", b"pub fn f(a: i32, // c\n b: i32) -> i32 { 0 }\n", "pub fn f(a: i32, b: i32) -> i32"),
    ("ruby", b"def f(a, # c\n b)\n 1\nend\n", "def f(a, b)"),
])
def test_comments_are_not_part_of_signatures(lang: str, source: bytes, signature: str) -> None:
    """flask's map showed ``def invoke( # type: ignore self, …``: a comment in the header."""
    defs, _ = extract_symbols(lang, parse(lang, source), source)
    assert signature in [d.signature for d in defs]
