"""repointel: a map of a repository for AI coding agents.

``import repointel`` stays light: heavy modules (tree-sitter, DuckDB, tiktoken) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    BudgetError,
    ExtraMissingError,
    IndexLockedError,
    IndexMissingError,
    PathNotIndexedError,
    PathOutsideRepoError,
    QueryError,
    RepointelError,
    RepoNotFoundError,
    SchemaVersionError,
    TokenizerError,
)

if TYPE_CHECKING:
    from .api import Repo

__version__ = "0.1.0"
__all__ = [
    "BudgetError",
    "ExtraMissingError",
    "IndexLockedError",
    "IndexMissingError",
    "PathNotIndexedError",
    "PathOutsideRepoError",
    "QueryError",
    "Repo",
    "RepoNotFoundError",
    "RepointelError",
    "SchemaVersionError",
    "TokenizerError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "Repo":
        from .api import Repo

        return Repo
    raise AttributeError(f"module 'repointel' has no attribute {name!r}")
