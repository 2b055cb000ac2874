"""Which tree-sitter grammar parses which file, loaded lazily from the official wheels."""

from __future__ import annotations

import importlib
import os
from functools import cache

from tree_sitter import Language, Parser, Tree

__all__ = ["EXTENSIONS", "LANGUAGES", "get_language", "get_parser", "language_for_path", "parse"]

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
}

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
}

#: Every language we parse.
LANGUAGES = tuple(_GRAMMARS)


def language_for_path(path: str) -> str | None:
    """The language of ``path`` by its extension, or None when we do not parse it."""
    return EXTENSIONS.get(os.path.splitext(path)[1].lower())


@cache
def get_language(lang: str) -> Language:
    """The tree-sitter :class:`Language` for ``lang`` (imported on first use)."""
    module, attr = _GRAMMARS[lang]
    return Language(getattr(importlib.import_module(module), attr)())


@cache
def get_parser(lang: str) -> Parser:
    """A cached parser for ``lang`` (one per process)."""
    return Parser(get_language(lang))


def parse(lang: str, data: bytes, old_tree: Tree | None = None) -> Tree:
    """Parse ``data`` as ``lang``; pass ``old_tree`` (already ``edit``-ed) to reparse incrementally."""
    parser = get_parser(lang)
    return parser.parse(data, old_tree) if old_tree is not None else parser.parse(data)
