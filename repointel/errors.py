"""The repointel error hierarchy.

Every error the library raises on purpose derives from :class:`RepointelError`; its message is
one line, and its family's ``exit_code`` is what the ``repointel`` command exits with (click's
conventions: 1 a failure, 2 bad usage)::

    RepointelError               exit 1  a failure that is none of the below
    ├── MissingExtraError        exit 1  an optional part is not installed (names the pip command)
    ├── InvalidInputError        exit 2  an argument the caller must correct
    │   ├── PathOutsideRepoError         a path escapes the repository root
    │   ├── QueryError                   read-only SQL was malformed or tried to write
    │   │   └── QueryTimeoutError        ... or ran past its time limit and was interrupted
    │   ├── BudgetError                  a token budget that cannot be honoured
    │   └── TokenizerError               an unknown tokenizer name
    ├── NotFoundError            exit 3  something the caller named does not exist
    │   ├── RepoNotFoundError            the path is not a directory we can index
    │   ├── PathNotIndexedError          a path or symbol the index does not know
    │   └── IndexMissingError            no index yet: run ``repointel index`` first
    ├── IndexLockedError         exit 4  another process holds the index read-write
    ├── StorageError             exit 5  a file or the index cannot be read or written
    │   ├── IndexReadOnlyError           the index cannot be updated here (read-only file or folder)
    │   ├── IndexCorruptError            the index file is damaged or not a repointel index
    │   └── SchemaVersionError           the index was written by an incompatible version
    └── InternalError            exit 70 a bug (sysexits' EX_SOFTWARE): please report it

Bad *input files* are never errors: they are recorded in the file map with
a skip reason and indexing goes on.
"""

from __future__ import annotations

__all__ = [
    "BudgetError",
    "ExtraMissingError",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexMissingError",
    "IndexReadOnlyError",
    "InternalError",
    "InvalidInputError",
    "MissingExtraError",
    "NotFoundError",
    "PathNotIndexedError",
    "PathOutsideRepoError",
    "QueryError",
    "QueryTimeoutError",
    "RepoNotFoundError",
    "RepointelError",
    "SchemaVersionError",
    "StorageError",
    "TokenizerError",
]


class RepointelError(Exception):
    """Base class of every error repointel raises on purpose."""

    #: What ``repointel`` exits with on this error (1: click's code for a failed command).
    exit_code = 1


class MissingExtraError(RepointelError, ImportError):
    """An optional dependency is missing; the message names the ``pip install`` that adds it
    (an ImportError too, as httpx raises for its extras)."""

    @classmethod
    def extra(cls, extra: str, needed_by: str) -> MissingExtraError:
        """The error for ``needed_by`` (``repointel mcp``) when the extra ``extra`` is missing."""
        return cls(f"{needed_by} needs the optional '{extra}' extra; install it with: "
                   f"pip install 'repointel[{extra}]'")


class InvalidInputError(RepointelError):
    """An argument out of its bounds or of the wrong form: the caller must change it."""

    #: click's code for bad usage.
    exit_code = 2


class PathOutsideRepoError(InvalidInputError):
    """A path resolves outside the repository root and is refused."""


class QueryError(InvalidInputError):
    """Read-only SQL was malformed or attempted a write."""


class QueryTimeoutError(QueryError):
    """Read-only SQL ran past its time limit (or its client went away) and was interrupted: the
    caller must narrow the query (a usage error, exit 2, like every query error)."""


class BudgetError(InvalidInputError):
    """A token budget was out of the accepted range."""


class TokenizerError(InvalidInputError):
    """The tokenizer name is not one we ship."""


class NotFoundError(RepointelError):
    """Something the caller named (a folder, a file, a symbol, the index) does not exist."""

    #: The first code click leaves free: scripts tell "not there" from "malformed".
    exit_code = 3


class RepoNotFoundError(NotFoundError):
    """The given path is not an existing directory."""


class PathNotIndexedError(NotFoundError):
    """The path or symbol is not in the index."""


class IndexMissingError(NotFoundError):
    """The repository has no index yet."""


class IndexLockedError(RepointelError):
    """Another process holds the DuckDB file read-write."""

    #: Its own code: the one failure worth retrying as it is.
    exit_code = 4


class StorageError(RepointelError):
    """A file or the index could not be read or written (permissions, a read-only or full disk,
    a ``.repointel`` that is not a folder)."""

    #: Its own code: the environment, not the request, must change.
    exit_code = 5


class IndexReadOnlyError(StorageError):
    """The index file or its folder is not writable: it can be read, not updated."""


class IndexCorruptError(StorageError):
    """The index file is damaged (truncated, bad blocks, missing tables or columns) or is not a
    repointel index; ``repointel index`` moves it aside and rebuilds."""


class SchemaVersionError(StorageError):
    """The index was written by a newer, incompatible schema."""


class InternalError(RepointelError):
    """An unexpected failure inside repointel (a bug), reported in one line."""

    #: sysexits.h EX_SOFTWARE: an internal software error.
    exit_code = 70


#: The fleet's name for :class:`MissingExtraError` (``repointel[fleet]`` not installed): one class.
ExtraMissingError = MissingExtraError
