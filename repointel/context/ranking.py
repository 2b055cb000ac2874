"""A task's ranking as an API result: the files and definitions a packet is built from, read
through the packet's view of files (so a file holding a secret is never scored nor named by
its definitions)."""

from __future__ import annotations

from ..models import RankedDefinition, RankedFile, Ranking
from ..rank.definitions import rank_definitions
from ..rank.files import rank_files
from ..rank.task import analyse_task
from ..store import IndexReader
from .files import PacketFiles

__all__ = ["rank_task"]


def rank_task(root: str, store: IndexReader, task: str, files: int, definitions: int) -> Ranking:
    """The ``files`` best files and ``definitions`` best definitions for ``task``."""
    terms = analyse_task(task)
    ranked = rank_files(store, terms)
    view = PacketFiles(root, store)
    defs = rank_definitions(store, terms, ranked, view.data)[:definitions]
    return Ranking(
        commit=store.meta().get("commit") or None,
        files=[RankedFile(path=c.path, score=round(c.score, 4), reasons=c.reasons) for c in ranked[:files]],
        definitions=[RankedDefinition(
            path=d.path, qualname=d.qualname, kind=d.kind, line_range=f"{d.start_line}-{d.end_line}",
            signature=d.signature, score=d.score, reasons=d.reasons, calls=d.calls, callers=d.callers)
            for d in defs],
    )
