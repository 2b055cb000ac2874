"""Fleets: index many repositories on Ray into Parquet shards, and ask them questions together.

- :func:`index_fleet` (``repointel fleet index``): one Ray task per repository of a manifest
  (:mod:`repointel.fleet.manifest`), each reusing the incremental indexer and exporting its tables
  as ``DIR/<repo-id>/<commit>/<table>.parquet`` (:mod:`repointel.fleet.task`).
- :class:`Fleet` (``repointel fleet query|find|dependents|owners|context``): read-only DuckDB over
  the shards (:mod:`repointel.fleet.search`).

Indexing needs the optional extra ``pip install 'repointel[fleet]'`` (Ray); reading does not.
See docs/fleet.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .run import index_fleet
    from .search import Fleet

__all__ = ["Fleet", "index_fleet"]


def __getattr__(name: str) -> Any:
    if name == "Fleet":
        from .search import Fleet

        return Fleet
    if name == "index_fleet":
        from .run import index_fleet

        return index_fleet
    raise AttributeError(f"module 'repointel.fleet' has no attribute {name!r}")
