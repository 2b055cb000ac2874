"""Results of the fleet commands: what a run did per repository, and what the shards answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models import ContextPacket, TokenAccount

__all__ = [
    "FleetDependent",
    "FleetOwner",
    "FleetPacket",
    "FleetRepo",
    "FleetReport",
    "FleetSymbol",
    "ManifestEntry",
    "ManifestIssue",
    "RepoCandidate",
    "RepoResult",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ManifestEntry(_Model):
    """One repository of a fleet manifest."""

    id: str
    source: str  # an absolute local path, or a git URL
    ref: str | None = None  # for a git URL: branch, tag or commit (None: the remote's HEAD)
    line: int = 0  # where the manifest lists it (1-based)

    @property
    def is_url(self) -> bool:
        return is_git_url(self.source)


def is_git_url(source: str) -> bool:
    """``https://…``, ``ssh://…``, ``file://…``, ``git://…`` or scp-like ``user@host:path``."""
    if "://" in source:
        return True
    head, sep, _ = source.partition(":")
    return bool(sep) and "@" in head and "/" not in head


class ManifestIssue(_Model):
    """A manifest line that could not be read: nothing was done for it."""

    line: int
    text: str
    error: str


class RepoResult(_Model):
    """What one fleet run did for one repository."""

    id: str
    source: str
    ref: str | None = None
    status: Literal["indexed", "skipped", "failed"]
    commit: str | None = None
    dirty: bool = False
    shard: str | None = None  # the shard folder, relative to the store: <repo-id>/<commit>
    files: int = 0
    parsed: int = 0
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU time of the task's process and its git subprocesses
    attempt: int = 1  # > 1: a worker died running it and Ray ran it again
    error: str | None = None


class FleetReport(_Model):
    """One ``fleet index`` run."""

    run_id: str
    store: str
    started_at: str
    seconds: float
    workers: int | None = None  # CPUs of the Ray cluster the run used
    repos: list[RepoResult] = Field(default_factory=list)
    manifest_issues: list[ManifestIssue] = Field(default_factory=list)
    directory_rows: int | None = None  # definitions in the symbol directory after the run
    directory_seconds: float = 0.0  # spent (re)building it
    directory_error: str | None = None  # why it could not be rebuilt (readers then scan the shards)

    def count(self, status: str) -> int:
        return sum(1 for r in self.repos if r.status == status)

    @property
    def ok(self) -> bool:
        return not self.manifest_issues and self.count("failed") == 0


class FleetRepo(_Model):
    """A repository of the store: its complete shard (if any) and its last failure (if any)."""

    id: str
    source: str
    ref: str | None = None
    commit: str | None = None
    dirty: bool = False
    shard: str | None = None
    indexed_at: str | None = None
    files: int = 0
    rows: int = 0
    bytes: int = 0
    error: str | None = None
    failed_at: str | None = None


class FleetSymbol(_Model):
    """A definition found in one repository of the fleet."""

    repo: str
    path: str
    name: str
    qualname: str
    kind: str
    start_line: int
    end_line: int
    signature: str | None = None


class FleetDependent(_Model):
    """A repository that imports an external package."""

    repo: str
    package: str  # the external package as the repository's dependency map names it
    files: int
    imports: int
    paths: list[str] = Field(default_factory=list)  # the first few importing files


class FleetOwner(_Model):
    """An owner (CODEOWNERS) and the files it owns in one repository."""

    repo: str
    owner: str
    files: int
    paths: list[str] = Field(default_factory=list)  # the first few owned files


class RepoCandidate(_Model):
    """A repository a task may concern, with the evidence."""

    repo: str
    score: float
    bm25: float = 0.0  # the sum of its best files' BM25 scores over the whole fleet
    symbols: list[str] = Field(default_factory=list)  # task names it defines
    files: list[str] = Field(default_factory=list)  # its best-matching files


class FleetPacket(_Model):
    """A context packet built from the repository the task most likely concerns."""

    repo: str
    source: str
    commit: str | None
    candidates: list[RepoCandidate]
    packet: ContextPacket
    text: str  # the fleet header and the rendered packet: what ``tokens`` counts
    tokens: TokenAccount
