"""What a caller may ask for, checked in one place: the API, the CLI and the MCP server call
these checks, so the same request gets the same one-line error on every surface.

Each ``check_*`` returns the value to use (normalised) or raises
:class:`~repointel.errors.InvalidInputError` naming the argument, its bounds and what was sent.
"""

from __future__ import annotations

import re

from .errors import BudgetError, InvalidInputError, QueryError, TokenizerError

__all__ = [
    "MAX_BUDGET",
    "MAX_DEPTH",
    "MAX_LIST_ROWS",
    "MAX_NAME_CHARS",
    "MAX_QUERY_ROWS",
    "MAX_QUERY_SECONDS",
    "MAX_SQL_CHARS",
    "MAX_TASK_INPUT_CHARS",
    "MAX_WORKERS",
    "SYMBOL_KINDS",
    "TOKENIZERS",
    "check_budget",
    "check_depth",
    "check_kind",
    "check_limit",
    "check_name",
    "check_query_limit",
    "check_query_seconds",
    "check_sql",
    "check_task",
    "check_tokenizer",
    "check_workers",
]

#: Budgets above ~1M tokens exceed every model's context window: refuse them as mistakes.
MAX_BUDGET = 2_000_000
#: Tasks longer than this are refused (a 1 MB paste is a log, not a task); up to it, only the
#: first ``rank.task.MAX_TASK_CHARS`` are analysed.
MAX_TASK_INPUT_CHARS = 1_000_000
#: Most rows ``query`` returns: 10k rows is already more than any agent reads.
MAX_QUERY_ROWS = 10_000
#: Longest time limit a ``query`` may ask for: an hour is past any interactive use (the default,
#: ``config.DEFAULT_QUERY_SECONDS``, is 10 s).
MAX_QUERY_SECONDS = 3600.0
#: Longest SQL text accepted: hand-written queries are far shorter; longer is a paste or an attack.
MAX_SQL_CHARS = 20_000
#: Longest path or symbol name accepted (PATH_MAX on Linux).
MAX_NAME_CHARS = 4096
#: Most hops ``impact`` follows: past 10 a dependency chain reaches nearly every file.
MAX_DEPTH = 10
#: Most rows a listing command (files, symbols) returns: the file map of a 100k-file monorepo.
MAX_LIST_ROWS = 100_000
#: Most parser processes: far above any core count we meet, low enough to catch a typo.
MAX_WORKERS = 256
#: The tokenizers shipped (counted offline).
TOKENIZERS = ("cl100k_base", "o200k_base")
#: Every kind of definition the extractors record (tests/test_cli.py checks this against them).
SYMBOL_KINDS = ("class", "constant", "enum", "function", "interface", "macro", "method", "module",
                "namespace", "struct", "trait", "type", "variable")


#: DuckDB table functions that read files or URLs: user SQL may only read the index (the read
#: connection also has external access off; this names the mistake before it runs).
_FILE_FUNCTIONS = re.compile(
    r"\b(read_\w+|\w+_scan|glob|sniff_csv|parquet_\w+|iceberg_\w+|delta_\w+|"
    r"load_\w+|http\w*|s3\w*)\s*\(|\bfrom\s+'",
    re.IGNORECASE,
)


def _integer(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{what} must be an integer, got {value!r}")
    return value


def check_budget(budget: object) -> int:
    """A token budget in 1..MAX_BUDGET."""
    if isinstance(budget, bool) or not isinstance(budget, int) or not 1 <= budget <= MAX_BUDGET:
        raise BudgetError(f"budget must be an integer between 1 and {MAX_BUDGET}, got {budget!r}")
    return budget


def check_tokenizer(name: object) -> str:
    """One of :data:`TOKENIZERS`."""
    if name not in TOKENIZERS:
        raise TokenizerError(f"unknown tokenizer {name!r}: use one of {', '.join(TOKENIZERS)}")
    return str(name)


def check_task(task: object, *, required: bool = True) -> str | None:
    """The task text, or None for an optional task left empty; a required task must hold more
    than whitespace (a blank task built a packet about nothing), and none may be longer than
    MAX_TASK_INPUT_CHARS."""
    if not isinstance(task, str):
        raise InvalidInputError(f"task must be text, got {type(task).__name__}")
    if len(task) > MAX_TASK_INPUT_CHARS:
        raise InvalidInputError(f"task is {len(task):,} characters; the limit is {MAX_TASK_INPUT_CHARS:,}: "
                                "send the relevant part")
    if not task.strip():
        if required:
            raise InvalidInputError("task is empty: give the issue text, request or stack trace")
        return None
    return task


def check_name(value: object, what: str = "name") -> str:
    """A non-empty path or symbol name of at most MAX_NAME_CHARS characters, without NUL."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{what} is empty")
    if len(value) > MAX_NAME_CHARS:
        raise InvalidInputError(f"{what} is {len(value):,} characters; the limit is {MAX_NAME_CHARS:,}")
    if "\x00" in value:
        raise InvalidInputError(f"{what} holds a NUL byte, which no file or symbol name holds")
    return value


def check_depth(depth: object) -> int:
    """Hops of dependents, 0..MAX_DEPTH."""
    n = _integer(depth, "depth")
    if not 0 <= n <= MAX_DEPTH:
        raise InvalidInputError(f"depth must be between 0 and {MAX_DEPTH}, got {n}")
    return n


def check_limit(limit: object, most: int, what: str = "limit", least: int = 1) -> int:
    """A row limit (or another count called ``what``), least..most."""
    n = _integer(limit, what)
    if not least <= n <= most:
        raise InvalidInputError(f"{what} must be between {least} and {most:,}, got {n}")
    return n


def check_workers(workers: object) -> int | None:
    """Parser processes, 1..MAX_WORKERS, or None for the default (the CPU count)."""
    if workers is None:
        return None
    n = _integer(workers, "workers")
    if not 1 <= n <= MAX_WORKERS:
        raise InvalidInputError(f"workers must be between 1 and {MAX_WORKERS}, got {n}")
    return n


def check_kind(kind: object) -> str | None:
    """One of :data:`SYMBOL_KINDS`, or None for every kind."""
    if kind is None:
        return None
    if kind not in SYMBOL_KINDS:
        raise InvalidInputError(f"unknown kind {kind!r}: use one of {', '.join(SYMBOL_KINDS)}")
    return str(kind)


def check_sql(sql: object) -> str:
    """Non-empty SQL of at most MAX_SQL_CHARS characters that calls no file or URL reader (that it
    only reads is the store's check)."""
    if not isinstance(sql, str) or not sql.strip():
        raise QueryError("SQL is empty")
    if len(sql) > MAX_SQL_CHARS:
        raise QueryError(f"SQL is {len(sql):,} characters; the limit is {MAX_SQL_CHARS:,}")
    if _FILE_FUNCTIONS.search(re.sub(r"'[^']*'", "''", sql)):
        raise QueryError("only the index tables may be queried (no file or URL readers)")
    return sql


def check_query_limit(limit: object) -> int:
    """Rows a query returns, 1..MAX_QUERY_ROWS: :func:`check_limit`'s message, as a
    :class:`QueryError` (every mistake in a query request is one)."""
    try:
        return check_limit(limit, MAX_QUERY_ROWS)
    except InvalidInputError as exc:
        raise QueryError(str(exc)) from None


def check_query_seconds(seconds: object) -> float:
    """A query's time limit in seconds, more than 0 and at most MAX_QUERY_SECONDS."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= MAX_QUERY_SECONDS:
        raise QueryError(f"timeout must be a number of seconds in (0, {MAX_QUERY_SECONDS:g}], got {seconds!r}")
    return float(seconds)
