"""The repointel error hierarchy.

Every error the library raises on purpose derives from :class:`RepointelError`::

    RepointelError
    ├── RepoNotFoundError        the path is not a directory we can index
    ├── PathOutsideRepoError     a path escapes the repository root
    ├── PathNotIndexedError      a path or symbol the index does not know
    ├── IndexMissingError        no index yet: run ``repointel index`` first
    ├── IndexLockedError         another process holds the index read-write
    ├── SchemaVersionError       the index was written by an incompatible version
    ├── QueryError               read-only SQL was malformed or tried to write
    ├── BudgetError              a token budget that cannot be honoured
    ├── TokenizerError           an unknown tokenizer name
    └── ExtraMissingError        an optional extra is not installed (the message names the pip command)

Bad *input files* are never errors: they are recorded in the file map with
a skip reason and indexing goes on.
"""

from __future__ import annotations

__all__ = [
    "BudgetError",
    "ExtraMissingError",
    "IndexLockedError",
    "IndexMissingError",
    "PathNotIndexedError",
    "PathOutsideRepoError",
    "QueryError",
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


class SchemaVersionError(RepointelError):
    """The index was written by a newer, incompatible schema."""


class QueryError(RepointelError):
    """Read-only SQL was malformed or attempted a write."""


class BudgetError(RepointelError):
    """A token budget was out of the accepted range."""


class TokenizerError(RepointelError):
    """The tokenizer name is not one we ship."""


class ExtraMissingError(RepointelError):
    """An optional extra (``repointel[fleet]``) is not installed; the message names the command."""
