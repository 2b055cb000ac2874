"""Names registered by string (repointel.extract.registered)."""

from __future__ import annotations

from repointel.extract.registered import MAX_REGISTERED, registered_names
from repointel.parse.languages import parse

SPHINX_LIKE = b'''
def setup(app):
    app.add_config_value('napoleon_use_param', True, 'env')
    app.add_directive("toctree", TocTree)
    app.add_event('autodoc-process-docstring')
    directives.register_directive('include', Include)
    app.connect('builder-inited', handler)
    app.add_node(Node)
    app.add_config_value(f"x_{name}", 1, 'env')
    app.add_role(name, Role)
'''

PYLINT_LIKE = b'''
MSGS = {
    "W0611": ("Unused %s", "unused-import", "Used when an imported module is never used."),
    "W0612": ("Unused variable %r", "unused-variable", "Used when a variable is never used."),
}

class Checker:
    options = (
        ("ignore-paths", {"type": "regexp_paths_csv", "default": []}),
        ("max-line-length", {"default": 100, "help": "Maximum number of characters on a line."}),
    )
    text = "well-known words in prose are not a table"
'''


def _names(src: bytes) -> dict[str, int]:
    return dict(registered_names("python", parse("python", src), src))


def test_registration_calls() -> None:
    names = _names(SPHINX_LIKE)
    assert names == {"napoleon_use_param": 3, "toctree": 4, "autodoc-process-docstring": 5, "include": 6}


def test_kebab_names_in_tables() -> None:
    names = _names(PYLINT_LIKE)
    assert {"unused-import", "unused-variable", "ignore-paths", "max-line-length"} <= set(names)
    assert names["unused-import"] == 3 and names["ignore-paths"] == 9
    assert "W0611" not in names and "regexp_paths_csv" not in names  # not kebab, not registered
    assert "well-known words in prose are not a table" not in names


def test_other_languages_and_limits() -> None:
    js = b"register('a-b-c'); const t = ['x-y'];"
    assert registered_names("javascript", parse("javascript", js), js) == []
    big = b"T = (" + b", ".join(b'"n-%d"' % i for i in range(10)) + b")\n"
    assert _names(big) == {}  # digits after '-' are not words
    many = b"T = (" + b", ".join(b'"na-%s"' % bytes(c) for c in _words(MAX_REGISTERED + 50)) + b")\n"
    assert len(_names(many)) == MAX_REGISTERED


def _words(n: int) -> list[bytes]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [(letters[i // 26 % 26] + letters[i % 26] + letters[i // 676 % 26]).encode() for i in range(n)]
