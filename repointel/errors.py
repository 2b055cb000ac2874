"""The repointel error hierarchy.

Every error the library raises on purpose derives from :class:`RepointelError`::

    RepointelError
    ├── RepoNotFoundError        the path is not a directory we can index
    ├── PathOutsideRepoError     a path escapes the repository root
    ├── PathNotIndexedError      a path or symbol the index does not know
    ├── IndexMissingError        no index yet: run ``repointel index`` first
    ├── IndexLockedError         another process holds the index read-write
    ├── IndexReadOnlyError       the index cannot be updated here (read-only file or folder)
    ├── IndexCorruptError        the index file is damaged or not a repointel index
    ├── SchemaVersionError       the index was written by an incompatible version
    ├── QueryError               read-only SQL was malformed or tried to write
    │   └── QueryTimeoutError    ... or ran past its time limit and was interrupted
    ├── BudgetError              a token budget that cannot be honoured
    └── TokenizerError           an unknown tokenizer name

Bad *input files* are never errors: they are recorded in the file map with
a skip reason and indexing goes on.
"""

from __future__ import annotations

__all__ = [
    "BudgetError",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexMissingError",
    "IndexReadOnlyError",
    "PathNotIndexedError",
    "PathOutsideRepoError",
    "QueryError",
    "QueryTimeoutError",
    "RepoNotFoundError",
    "RepointelError",
    "SchemaVersionError",
    "TokenizerError",
]


class RepointelError(Exception):
    """Base class of every error repointel raises on purpose."""


class RepoNotFoundError(RepointelError):
    """The given path is not an existing directory."""


class PathOutsideRepoError(RepointelError):
    """A path resolves outside the repository root and is refused."""


class PathNotIndexedError(RepointelError):
    """The path or symbol is not in the index."""


class IndexMissingError(RepointelError):
    """The repository has no index yet."""


class IndexLockedError(RepointelError):
    """Another process holds the DuckDB file read-write."""


class IndexReadOnlyError(RepointelError):
    """The index file or its folder is not writable: it can be read, not updated."""


class IndexCorruptError(RepointelError):
    """The index file is damaged (truncated, bad blocks, missing tables or columns) or is not a
    repointel index; ``repointel index`` moves it aside and rebuilds."""


class SchemaVersionError(RepointelError):
    """The index was written by a newer, incompatible schema."""


class QueryError(RepointelError):
    """Read-only SQL was malformed or attempted a write."""


class QueryTimeoutError(QueryError):
    """Read-only SQL ran past its time limit (or its client went away) and was interrupted."""


class BudgetError(RepointelError):
    """A token budget was out of the accepted range."""


class TokenizerError(RepointelError):
    """The tokenizer name is not one we ship."""
