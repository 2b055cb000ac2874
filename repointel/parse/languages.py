"""Which tree-sitter grammar parses which file, loaded lazily from the official wheels."""

from __future__ import annotations

import ctypes
import importlib
import os
import re
from collections import OrderedDict
from functools import cache

from tree_sitter import Language, Parser, Tree

__all__ = ["EXTENSIONS", "HEADER_SNIFF_BYTES", "LANGUAGES", "SHEBANGS", "get_language", "get_parser", "language_for_file",
           "language_for_path", "may_be_script", "parse", "parse_reusing"]

#: File extension → language name.
EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
    ".rs": "rust",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".rb": "ruby",
    ".cs": "csharp",
    ".kt": "kotlin", ".kts": "kotlin",
    ".swift": "swift",
    ".php": "php",
    ".sh": "bash", ".bash": "bash", ".bats": "bash",
    ".scala": "scala", ".sc": "scala",
    ".lua": "lua",
    ".ex": "elixir", ".exs": "elixir",
    ".dart": "dart",
    ".hs": "haskell",
    ".ml": "ocaml", ".mli": "ocaml_interface",
    ".zig": "zig",
    ".jl": "julia",
    ".pl": "perl", ".pm": "perl",
    ".m": "objc", ".mm": "objc",
}
#: Perl's test scripts are ``.t`` files in a t/ (or xt/) folder; elsewhere .t is something else
#: (a dune cram test is a .t file of shell transcripts).
_PERL_TEST = re.compile(r"(^|/)x?t/(.*/)?[^/]+\.t$")
#: Interpreters named on a ``#!`` line → language, for scripts without an extension (bin/tool).
SHEBANGS: dict[str, str] = {"bash": "bash", "sh": "bash", "dash": "bash", "ksh": "bash"}
_SHEBANG = re.compile(rb"#![ \t]*(?:/usr)?(?:/local)?/bin/(?:env[ \t]+(?:-\S+[ \t]+)*)?(\w+)")

# language → (module, attribute holding the language() function)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "java": ("tree_sitter_java", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "csharp": ("tree_sitter_c_sharp", "language"),
    "kotlin": ("tree_sitter_kotlin", "language"),
    "swift": ("tree_sitter_swift", "language"),
    "php": ("tree_sitter_php", "language_php"),  # PHP inside HTML: a .php file may hold both
    "bash": ("tree_sitter_bash", "language"),
    "scala": ("tree_sitter_scala", "language"),
    "lua": ("tree_sitter_lua", "language"),
    "elixir": ("tree_sitter_elixir", "language"),
    "dart": ("tree_sitter_dart", "language"),
    "haskell": ("tree_sitter_haskell", "language"),
    "ocaml": ("tree_sitter_ocaml", "language_ocaml"),
    "ocaml_interface": ("tree_sitter_ocaml", "language_ocaml_interface"),
    "zig": ("tree_sitter_zig", "language"),
    "julia": ("tree_sitter_julia", "language"),
    "perl": ("tree_sitter_perl", "language"),
    "objc": ("tree_sitter_objc", "language"),
}

#: Every language we parse.
LANGUAGES = tuple(_GRAMMARS)


def language_for_path(path: str) -> str | None:
    """The language of ``path`` by its extension, or None when we do not parse it."""
    lang = EXTENSIONS.get(os.path.splitext(path)[1].lower())
    if lang is None and path.endswith(".t") and _PERL_TEST.search(path):
        return "perl"
    return lang


def may_be_script(path: str) -> bool:
    """Whether ``path`` has no extension, so its ``#!`` line may give its language."""
    return "." not in os.path.basename(path)


#: Bytes of a ``.h`` file read to tell an Objective-C header from a C one.
HEADER_SNIFF_BYTES = 8192
_OBJC_HEADER = re.compile(rb"^\s*(?:@interface|@protocol|@class|#import)\b", re.MULTILINE)


def language_for_file(path: str, head: bytes) -> str | None:
    """The language of ``path`` by its extension, else, for a file without one, by the
    interpreter its first line (``head``) names: ``#!/usr/bin/env bash`` is Bash. A ``.h`` file
    whose first :data:`HEADER_SNIFF_BYTES` declare an ``@interface``, ``@protocol`` or
    ``@class``, or ``#import`` a header, is Objective-C."""
    lang = language_for_path(path)
    if lang == "c" and path.endswith(".h") and _OBJC_HEADER.search(head[:HEADER_SNIFF_BYTES]):
        return "objc"
    if lang is not None or not may_be_script(path):
        return lang
    m = _SHEBANG.match(head)
    return SHEBANGS.get(m.group(1).decode("ascii")) if m else None


@cache
def get_language(lang: str) -> Language:
    """The tree-sitter :class:`Language` for ``lang`` (imported on first use)."""
    module, attr = _GRAMMARS[lang]
    handle = getattr(importlib.import_module(module), attr)()
    if isinstance(handle, int):  # an older wheel's bare pointer (tree-sitter-perl 2.0): tree-sitter
        handle = _capsule(handle)  # deprecates ints, so it is wrapped as the capsule newer wheels return
    return Language(handle)


def _capsule(pointer: int) -> object:
    """``pointer`` (a ``TSLanguage *``) as the PyCapsule tree-sitter's Language takes."""
    new = ctypes.pythonapi.PyCapsule_New
    new.restype = ctypes.py_object
    new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    capsule: object = new(pointer, b"tree_sitter.Language", None)
    return capsule


@cache
def get_parser(lang: str) -> Parser:
    """A cached parser for ``lang`` (one per process)."""
    return Parser(get_language(lang))


def parse(lang: str, data: bytes, old_tree: Tree | None = None) -> Tree:
    """Parse ``data`` as ``lang``; pass ``old_tree`` (already ``edit``-ed) to reparse incrementally."""
    parser = get_parser(lang)
    return parser.parse(data, old_tree) if old_tree is not None else parser.parse(data)


#: Trees kept for incremental reparsing (a daemon re-indexing a file being edited), newest last.
KEEP_TREES = 16
#: ... and at most this much source behind them: a tree costs ~19 bytes of memory per byte of
#: source (measured on the stdlib), so the kept trees stay under ~80 MB even for large files.
KEEP_MAX_SOURCE_BYTES = 4 * 1024 * 1024
#: Smaller files are not kept: their full parse takes under ~2 ms (11 MB/s on one core here).
KEEP_MIN_BYTES = 16 * 1024
_KEPT: OrderedDict[str, tuple[str, bytes, Tree]] = OrderedDict()


def parse_reusing(lang: str, data: bytes, key: str) -> Tree:
    """Parse ``data`` as ``lang``, reparsing incrementally (``Tree.edit``) from the tree kept for
    ``key`` (a file's absolute path) when there is one; keep the result for next time.

    A kept tree with syntax errors is not reused, and an incremental result with errors is
    parsed again from scratch: error recovery may differ between the two, and the index must
    equal a fresh one."""
    kept = _KEPT.pop(key, None)
    tree = None
    if kept is not None and kept[0] == lang and not kept[2].root_node.has_error:
        old_data, old_tree = kept[1], kept[2]
        _apply_edit(old_tree, old_data, data)
        tree = parse(lang, data, old_tree)
        if tree.root_node.has_error:
            tree = None
    if tree is None:
        tree = parse(lang, data)
    if KEEP_MIN_BYTES <= len(data) <= KEEP_MAX_SOURCE_BYTES:
        _KEPT[key] = (lang, data, tree)
        while len(_KEPT) > KEEP_TREES or sum(len(k[1]) for k in _KEPT.values()) > KEEP_MAX_SOURCE_BYTES:
            _KEPT.popitem(last=False)
    return tree


def _common_prefix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the longest common prefix of ``a`` and ``b`` (at most ``limit``): a binary
    search over slice comparisons, each one memcmp in C."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _point(data: bytes, offset: int) -> tuple[int, int]:
    """(row, column in bytes) of ``offset``."""
    return data.count(b"\n", 0, offset), offset - (data.rfind(b"\n", 0, offset) + 1)


def _apply_edit(tree: Tree, old: bytes, new: bytes) -> None:
    """Tell ``tree`` (parsed from ``old``) that its text became ``new``: one edit spanning
    everything between the common prefix and the common suffix."""
    start = _common_prefix(old, new, min(len(old), len(new)))
    tail = _common_prefix(old[start:][::-1], new[start:][::-1], min(len(old), len(new)) - start)
    old_end, new_end = len(old) - tail, len(new) - tail
    tree.edit(start_byte=start, old_end_byte=old_end, new_end_byte=new_end,
              start_point=_point(old, start), old_end_point=_point(old, old_end),
              new_end_point=_point(new, new_end))
