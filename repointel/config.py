"""Tunable limits and defaults, each with the reason for its value."""

from __future__ import annotations

__all__ = [
    "BINARY_SNIFF_BYTES",
    "DEFAULT_BUDGET",
    "DEFAULT_QUERY_ROWS",
    "DEFAULT_QUERY_SECONDS",
    "DEFAULT_TOKENIZER",
    "DERIVE_VERSION",
    "EXTRACTOR_VERSION",
    "IGNORE_FILENAME",
    "INDEX_DIRNAME",
    "INDEX_FILENAME",
    "LANGUAGES_BEFORE_VERSIONS",
    "LANGUAGE_VERSIONS",
    "MAX_FILE_BYTES",
    "MAX_LINE_BYTES",
    "PARALLEL_MIN_BYTES",
    "SCHEMA_VERSION",
]

#: Directory under the repository root that holds the index (it carries its own .gitignore).
INDEX_DIRNAME = ".repointel"
#: The embedded DuckDB file inside :data:`INDEX_DIRNAME`.
INDEX_FILENAME = "index.duckdb"
#: Extra ignore file read at every level, with .gitignore syntax.
IGNORE_FILENAME = ".repointelignore"
#: Files above 2 MiB are skipped: parsing a 50 MB minified file costs ~25 s and ~5 GiB.
MAX_FILE_BYTES = 2 * 1024 * 1024
#: A file whose longest line exceeds 20 KiB is minified or generated; parsing it buys nothing.
MAX_LINE_BYTES = 20_000
#: Bytes inspected for NUL to call a file binary (git uses the first 8000).
BINARY_SNIFF_BYTES = 8000
#: Below this many bytes to parse, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
#: Budget used by ``repointel map`` when none is given (Aider's default map size).
DEFAULT_BUDGET = 1024
#: Exact tokenizer used for budgets unless another is chosen.
DEFAULT_TOKENIZER = "cl100k_base"
#: Version of what the extractors produce; bumping it re-parses every file on the next run.
#: s4: every file row re-examined once so each has the redaction, the change facts of schema 2
#: (files.ctime_ns, files.inode) and the fourteen new languages' symbols together (the branches
#: that brought them wrote s2, s3 and r9 rows). s2: secret values redacted from signatures, docs,
#: imports, terms; comments inside a definition's header left out of its signature.
EXTRACTOR_VERSION = "2026.12.06-s4"
#: Version of each language's extraction (its grammar, definitions, imports): bumping one re-parses
#: only that language's files on the next run. A language that is new here is "bumped" from
#: nothing, so an index written before it was supported parses its files (``.kt`` files were
#: indexed as plain text until Kotlin was added). Indexes written before these versions existed
#: hold the first eleven languages at "1" (see :data:`LANGUAGES_BEFORE_VERSIONS`).
LANGUAGE_VERSIONS: dict[str, str] = {
    "python": "1", "javascript": "1", "typescript": "1", "tsx": "1", "go": "1", "java": "1",
    "rust": "1", "c": "1", "cpp": "1", "ruby": "1", "csharp": "1",
    "kotlin": "1", "swift": "1", "php": "1", "bash": "1", "scala": "1", "lua": "1",
    "elixir": "1", "dart": "1", "haskell": "1", "ocaml": "1", "ocaml_interface": "1",
    "zig": "1", "julia": "1", "perl": "1", "objc": "1",
}
#: The languages an index without a ``language_versions`` entry was written with, each at "1".
LANGUAGES_BEFORE_VERSIONS = ("python", "javascript", "typescript", "tsx", "go", "java", "rust", "c", "cpp",
                             "ruby", "csharp")
#: Version of what derive builds from the per-file rows (test links, builds, the project stack);
#: bumping it rebuilds the derived tables on the next run without re-parsing any file.
# d5: SwiftPM and Composer builds, Gradle test source sets are tests (d4: .editorconfig read per
# section; d3: samples only in the top three folders; d2: project stack; test support files)
DERIVE_VERSION = "d5"
#: Version of the DuckDB schema; bumped with a migration in ``store``.
SCHEMA_VERSION = 2  # 2: files.ctime_ns and files.inode (1 → 2 adds the columns, rows re-checked once)
#: Seconds an untrusted ``query`` may run before it is interrupted: the index tables answer any
#: sensible question (a join of symbols and refs over the stdlib) in well under a second, while a
#: cross join or a runaway recursive CTE never ends; 10 s leaves room for a slow, loaded machine.
DEFAULT_QUERY_SECONDS = 10.0
#: Most rows a ``query`` returns: more is never read by an agent (and costs memory to hold).
DEFAULT_QUERY_ROWS = 10_000
