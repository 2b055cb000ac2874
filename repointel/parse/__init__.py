"""Parse layer: grammars and tree-sitter parsing."""

from .languages import (
    EXTENSIONS,
    HEADER_SNIFF_BYTES,
    LANGUAGES,
    SHEBANGS,
    get_language,
    get_parser,
    language_for_file,
    language_for_path,
    may_be_script,
    parse,
    parse_reusing,
)

__all__ = ["EXTENSIONS", "HEADER_SNIFF_BYTES", "LANGUAGES", "SHEBANGS", "get_language", "get_parser", "language_for_file",
           "language_for_path", "may_be_script", "parse", "parse_reusing"]
