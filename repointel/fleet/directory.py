"""The fleet's symbol directory: every repository's definitions in one Parquet file sorted by name.

Opening a Parquet file costs the same whether it holds a match or not, so asking 10,000 symbol
shards for one name costs 10,000 file opens (3–6 s on the shared 2-core machine). After each
``fleet index`` run the driver concatenates the symbol shards into
``DIR/_fleet/symbols-<run>.parquet``, sorted by name in small row groups: a name's rows lie in
one or two row groups, found from the footer's min/max. ``directory.json`` records which shard of
each repository it was built from; a reader uses its rows only for repositories whose manifest
still names that shard, and reads the symbol shards of the others (new or re-indexed since) —
so the answer is always the shards' answer.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import datetime, timezone
from typing import Any

from .task import _fsync_replace, read_json, write_json_atomic

__all__ = ["DIRECTORY", "ROW_GROUP_ROWS", "build_directory", "read_directory"]

#: The store's folder for fleet-wide files (a repository id never starts with '_').
DIRECTORY = "_fleet"
#: Rows per row group: a name's rows sit in one or two groups of ~0.5 MB, and 10,000
#: repositories' 15M definitions make ~900 groups whose min/max the footer holds (~0.2 MB).
ROW_GROUP_ROWS = 16_384
#: What the directory's file may be called (it is read only under that name).
_FILE = re.compile(r"symbols-[0-9a-f]{32}\.parquet")


def read_directory(store: str) -> dict[str, Any] | None:
    """``directory.json`` of ``store`` if it names an existing directory file."""
    info = read_json(os.path.join(store, DIRECTORY, "directory.json"))
    if not info or not _FILE.fullmatch(str(info.get("file", ""))) or not isinstance(info.get("built_from"), dict):
        return None
    return info if os.path.isfile(os.path.join(store, DIRECTORY, str(info["file"]))) else None


def build_directory(store: str, manifests: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """(Re)build the directory from the symbol shards ``manifests`` name, unless it was built from
    exactly these shards; None when there is no shard."""
    from ..store import write_sorted_parquet

    built_from = {repo: str(m["shard"]) for repo, m in sorted(manifests.items()) if "symbols" in m.get("tables", {})}
    previous = read_directory(store)
    if previous is not None and previous["built_from"] == built_from:
        return previous
    if not built_from:
        return None
    folder = os.path.join(store, DIRECTORY)
    os.makedirs(folder, exist_ok=True)
    name = f"symbols-{uuid.uuid4().hex}.parquet"
    tmp = os.path.join(folder, f".{name}.tmp-{uuid.uuid4().hex[:8]}")
    files = [os.path.join(store, shard, "symbols.parquet") for shard in built_from.values()]
    try:
        rows = write_sorted_parquet(files, "symbols", "name, repo, path, start_byte", tmp, ROW_GROUP_ROWS)
        _fsync_replace(tmp, os.path.join(folder, name))
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    info = {"file": name, "built_from": built_from, "rows": rows,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds")}
    write_json_atomic(os.path.join(folder, "directory.json"), info)
    keep = {name, str((previous or {}).get("file"))}  # a reader of the previous one keeps its file
    for old in os.listdir(folder):
        if old not in keep and (_FILE.fullmatch(old) or ".tmp-" in old):
            os.remove(os.path.join(folder, old))
    return info
