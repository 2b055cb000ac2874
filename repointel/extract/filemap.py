"""The file map: classify a file's bytes (binary, too large, minified, undecodable) and flags
(test, generated, vendored), and run the per-file extractors on the ones we can parse.

:func:`examine` is what indexing workers run, one call per file; it never raises for a bad file.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any

from ..config import BINARY_SNIFF_BYTES, MAX_FILE_BYTES, MAX_LINE_BYTES
from ..parse import (
    HEADER_SNIFF_BYTES,
    language_for_file,
    language_for_path,
    may_be_script,
    parse,
    parse_reusing,
)
from .terms import terms_of_words, utf8_word_counts, word_counts
from .testmap import is_test_path

__all__ = ["SECRET_VALUE_RULE", "FileFacts", "examine", "is_generated_path", "is_test_path", "is_vendored_path"]

#: Risk rule recorded (tag ``secrets``) for a file whose text holds a secret value.
SECRET_VALUE_RULE = "secret_value"

# (path, size, mtime_ns, sha256, lines, language, status, skip_reason, flags..., parse_errors)
FileFacts = dict[str, Any]

#: Third-party code copied in: the usual folder names at any depth, and a top-level ``deps/``
#: (redis, Node.js and mix keep their dependencies' sources there).
_VENDORED = re.compile(r"(^|/)(vendor|vendored|third_party|third-party|thirdparty|node_modules|external|_vendor)/"
                       r"|^deps/")
_GENERATED_PATH = re.compile(
    r"(_pb2(_grpc)?\.pyi?$|\.pb\.go$|\.min\.(js|css)$|\.generated\.\w+$|\.g\.cs$|(^|/)generated/|"
    r"(^|/)(dist|build)/|\.designer\.cs$|_generated\.\w+$)"
)
_GENERATED_MARK = re.compile(
    rb"(@generated|Code generated .{0,80}DO NOT EDIT|auto-?generated|This file (is|was) generated)",
    re.IGNORECASE,
)
def is_vendored_path(path: str) -> bool:
    """True for third-party code copied into the repository."""
    return bool(_VENDORED.search(path))


def is_generated_path(path: str) -> bool:
    """True for paths that name generated output (protobuf, minified bundles, build dirs)."""
    return bool(_GENERATED_PATH.search(path))


def _facts(path: str, size: int, mtime_ns: int, lang: str | None) -> FileFacts:
    return {
        "path": path, "language": lang, "size": size, "sha256": None, "mtime_ns": mtime_ns,
        "lines": 0, "is_test": is_test_path(path), "is_generated": is_generated_path(path),
        "is_vendored": is_vendored_path(path), "is_binary": False, "status": "indexed",
        "skip_reason": None, "parse_errors": False,
    }


def _hash_stream(full: str) -> str:
    digest = hashlib.sha256()
    with open(full, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _decode(data: bytes, lang: str | None) -> tuple[str | None, str | None]:
    """(the text, None), or (None, the skip reason) for content we will not parse."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, "undecodable"  # UTF-16 with BOM: byte offsets would not match the file
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None, "binary"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "undecodable"
    if lang is not None and len(data) > MAX_LINE_BYTES:
        if max(map(len, data.split(b"\n"))) > MAX_LINE_BYTES:
            return None, "minified"
    return text, None


#: Bytes of a file's first line read for its ``#!`` interpreter.
SHEBANG_BYTES = 128

#: Non-code files whose words are worth searching (docs, configs); others are listed only.
_TEXT_DOC = re.compile(r"\.(md|rst|txt|toml|cfg|ini|ya?ml|json|html?|css|scss|xml|sql|sh|in)$|(^|/)(Makefile|Dockerfile|README|CODEOWNERS)$")


def _is_text_doc(path: str, lang: str | None) -> bool:
    return lang is not None or bool(_TEXT_DOC.search(path))


def _count_lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def examine(root: str, path: str, raw: bytes, size: int, mtime_ns: int,
            want_parse: bool = True, keep_tree: bool = False) -> tuple[FileFacts, dict[str, Any] | None]:
    """Read, hash, classify and (when parseable) parse one file into plain-data results.

    ``keep_tree``: reparse incrementally from this process's kept tree of the file, and keep the
    new one (a long-lived process re-examining files as they are edited).

    ``facts["risks"]`` holds the file's risk tags as (tag, rule): they depend only on the path
    and the bytes, so they are found here, in the worker, while the text is in memory. A secret
    value in the text (see :func:`~repointel.extract.secrets.find_secret_spans`) adds
    ``("secrets", SECRET_VALUE_RULE)``, and is redacted from everything stored for reading:
    signatures, docs and import strings get its marker, the terms index never sees its words."""
    from .hints import TextHints
    from .risk import tag_risks
    from .secrets import find_secret_spans

    facts, parsed, text, words = _examine(root, path, raw, size, mtime_ns, want_parse, keep_tree)
    hints = TextHints(text, words) if text else None
    risks = [(t.tag, t.rule) for t in tag_risks([path], read_text=lambda _: text, hints=hints)]
    spans = find_secret_spans(text, hints) if text else []
    if spans and not any(tag == "secrets" for tag, _ in risks):
        risks.append(("secrets", SECRET_VALUE_RULE))  # packets exclude the file without rescanning it
    if spans and text and parsed is not None:
        _redact_parsed(parsed, path, text, spans)
    facts["risks"] = risks
    return facts, parsed


def _redact_parsed(parsed: dict[str, Any], path: str, text: str, spans: list[tuple[int, int, str]]) -> None:
    """Take a file's secret values out of what its rows store: the marker in signatures, docs
    and import strings (:class:`~repointel.extract.secrets.Redactor`), no term from their words."""
    from .secrets import Redactor, blank_words

    clean = Redactor(text, spans)
    parsed["terms"] = terms_of_words(word_counts(path), word_counts(blank_words(text, spans)))
    if "definitions" in parsed:  # DefRow order: ..., end_byte (6), signature (7), doc (8), parent
        parsed["definitions"] = [d[:7] + (clean(d[7]), clean(d[8])) + d[9:] for d in parsed["definitions"]]
        parsed["imports"] = [(clean(m) if isinstance(m, str) else m, *rest) for m, *rest in parsed["imports"]]


#: What :func:`_examine` returns: the facts, the parsed results, the text, its word counts.
_Examined = tuple[FileFacts, dict[str, Any] | None, str | None, dict[str, int] | None]


def _examine(root: str, path: str, raw: bytes, size: int, mtime_ns: int, want_parse: bool,
             keep_tree: bool = False) -> _Examined:
    lang = language_for_path(path)
    facts = _facts(path, size, mtime_ns, lang)
    full = os.path.join(root, os.fsdecode(raw))
    try:
        if size > MAX_FILE_BYTES:
            facts.update(sha256=_hash_stream(full), status="skipped", skip_reason="too_large")
            return facts, None, None, None
        with open(full, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        facts.update(status="skipped", skip_reason="vanished")
        return facts, None, None, None
    except OSError:
        facts.update(status="skipped", skip_reason="unreadable")
        return facts, None, None, None
    facts.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data), lines=_count_lines(data))
    if lang is None and may_be_script(path):  # bin/tool: its #! line may name a language
        lang = facts["language"] = language_for_file(path, data[:SHEBANG_BYTES])
    elif lang == "c" and path.endswith(".h"):  # an Objective-C header?
        lang = facts["language"] = language_for_file(path, data[:HEADER_SNIFF_BYTES])
    text, problem = _decode(data, lang)
    if text is None:
        facts.update(status="skipped", skip_reason=problem, is_binary=problem == "binary")
        return facts, None, None if problem == "binary" else data.decode("utf-8", "replace"), None
    if not facts["is_generated"] and _GENERATED_MARK.search(data[:2048]):
        facts["is_generated"] = True
    if not want_parse or facts["is_vendored"] or not _is_text_doc(path, lang):
        return facts, None, text, None
    words = utf8_word_counts(data)  # data decoded as strict UTF-8 above: the same words
    terms = terms_of_words(word_counts(path), words)  # the path's words are searchable too
    if lang is None:
        return facts, {"terms": terms}, text, words
    parsed = extract_parsed(lang, data, full if keep_tree else None)
    parsed["terms"] = terms
    facts["parse_errors"] = parsed["parse_errors"]
    return facts, parsed, text, words


def extract_parsed(lang: str, data: bytes, keep_as: str | None = None) -> dict[str, Any]:
    """Parse ``data`` and run every per-file extractor; returns plain data for pickling.

    ``keep_as`` (the file's absolute path) reparses incrementally from the tree kept for it and
    keeps the new one (see :func:`~repointel.parse.languages.parse_reusing`)."""
    from .imports import extract_imports
    from .symbols import extract_symbol_rows

    tree = parse(lang, data) if keep_as is None else parse_reusing(lang, data, keep_as)
    defs, refs = extract_symbol_rows(lang, tree, data)
    imports = extract_imports(lang, tree, data)
    return {
        "definitions": [tuple(d) for d in defs],
        "references": refs,
        "imports": [(i.module, list(i.names), i.line, i.level, i.kind) for i in imports],
        "parse_errors": bool(tree.root_node.has_error),
    }
