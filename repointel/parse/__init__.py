"""Parse layer: grammars and tree-sitter parsing."""

from .languages import (
    EXTENSIONS,
    LANGUAGES,
    get_language,
    get_parser,
    language_for_path,
    parse,
    parse_reusing,
)

__all__ = ["EXTENSIONS", "LANGUAGES", "get_language", "get_parser", "language_for_path", "parse",
           "parse_reusing"]
