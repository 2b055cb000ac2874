"""Names a program registers by string rather than defines: ``app.add_config_value('name', …)``,
``add_directive('toctree', …)``, ``register_role(…)``, and kebab-case names in option and
message tables (``("unused-import", …)``, ``{"max-line-length": …}``).

An issue that says "``napoleon_use_param`` is ignored" or "false positive ``unused-import``"
names such a string, not a Python identifier; recorded as definitions (kind ``registered``) they
lead the task to the file that registers them. Pure function of a parsed tree.
"""

from __future__ import annotations

import re
from functools import cache

from tree_sitter import Node, Query, QueryCursor, Tree

from ..parse import get_language

__all__ = ["MAX_REGISTERED", "registered_names"]

#: At most this many names per file: a generated table of thousands of strings is data, not API.
MAX_REGISTERED = 500

#: Callee names whose first string argument is a name being registered.
_REGISTER_CALL = re.compile(r"^(add_\w+|register\w*|\w+_register|define_\w+)$")
#: A registered name: an identifier or a kebab/dotted name, 3-80 characters.
_NAME = re.compile(r"^[A-Za-z_][\w.-]{2,79}$")
#: A kebab-case name in a table: two or more lower-case words joined by '-'.
_KEBAB = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)+$")
#: Cheap gate on the raw bytes: only files with a quoted kebab name or a registration call are walked.
_HINT = re.compile(rb"""['"][a-z][a-z0-9]*-[a-z]|(?:add_|register|define_)\w*\(\s*['"]""")
_STRING = re.compile(r"^[rRuU]?(\"\"\"|'''|\"|')(.*)\1$", re.S)

_PY_QUERY = """
(call function: [(identifier) @fn (attribute attribute: (identifier) @fn)]
      arguments: (argument_list . (string) @arg))
(tuple (string) @item)
(list (string) @item)
(pair key: (string) @item)
(pair value: (string) @item)
"""


@cache
def _query(lang: str) -> Query:
    return Query(get_language(lang), _PY_QUERY)


def _literal(node: Node) -> str | None:
    """The value of a plain string literal (no f-string, no bytes, no escapes), else None."""
    if any(c.type == "interpolation" for c in node.children):
        return None
    m = _STRING.match((node.text or b"").decode("utf-8", "replace"))
    if m is None or "\\" in m.group(2):
        return None
    return m.group(2)


def registered_names(lang: str, tree: Tree, data: bytes) -> list[tuple[str, int]]:
    """(name, 1-based line) of every name ``data`` registers by string, first occurrence each.

    Python only (other languages return ``[]``)."""
    if lang != "python" or not _HINT.search(data):
        return []
    found: dict[str, int] = {}
    for _pattern, caps in QueryCursor(_query(lang)).matches(tree.root_node):
        if "arg" in caps:
            fn = caps["fn"][0].text or b""
            if not _REGISTER_CALL.match(fn.decode("utf-8", "replace")):
                continue
            node, pattern = caps["arg"][0], _NAME
        else:
            node, pattern = caps["item"][0], _KEBAB
        value = _literal(node)
        if value is not None and pattern.match(value) and value not in found:
            found[value] = node.start_point[0] + 1
            if len(found) >= MAX_REGISTERED:
                break
    return sorted(found.items(), key=lambda kv: (kv[1], kv[0]))
