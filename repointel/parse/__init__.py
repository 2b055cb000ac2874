"""Parse layer: grammars and tree-sitter parsing."""

from .languages import EXTENSIONS, LANGUAGES, get_language, get_parser, language_for_path, parse

__all__ = ["EXTENSIONS", "LANGUAGES", "get_language", "get_parser", "language_for_path", "parse"]
