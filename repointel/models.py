"""Pydantic models shared by every layer: the records of each map and the results we return."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "BuildInfo",
    "ContextItem",
    "ContextBuiltEvent",
    "ContextPacket",
    "Convention",
    "CoveringTest",
    "Definition",
    "DepsReport",
    "EventItem",
    "FileList",
    "FileRecord",
    "HistoryRecord",
    "ImpactReport",
    "ImportRecord",
    "IndexStats",
    "IndexStatus",
    "Listing",
    "MapDefinition",
    "MapEntry",
    "OwnerRecord",
    "ParsedFile",
    "QueryResult",
    "RepoMap",
    "RankedDefinition",
    "RankedFile",
    "Ranking",
    "RiskTag",
    "SymbolCard",
    "SymbolCardList",
    "SymbolDependency",
    "SymbolList",
    "TestLink",
    "TestLinkList",
    "TokenAccount",
]

SkipReason = Literal[
    "binary", "too_large", "minified", "unreadable", "undecodable", "outside_root",
    "symlink_loop", "vanished", "not_regular",
]
TrustLevel = Literal["trusted_repo_content", "untrusted_task_input", "tool_output", "policy"]
Freshness = Literal["current", "stale", "unknown"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid")


class FileRecord(_Model):
    """One row of the file map."""

    path: str
    language: str | None = None
    size: int = 0
    sha256: str | None = None
    mtime_ns: int = 0
    lines: int = 0
    is_test: bool = False
    is_generated: bool = False
    is_vendored: bool = False
    is_binary: bool = False
    status: Literal["indexed", "skipped"] = "indexed"
    skip_reason: str | None = None
    parse_errors: bool = False


class Definition(_Model):
    """A symbol definition found by tree-sitter (1-based inclusive lines, 0-based bytes)."""

    path: str = ""
    name: str
    qualname: str
    kind: str
    start_line: int
    end_line: int
    start_byte: int
    end_byte: int
    signature: str = ""
    doc: str = ""
    parent: str | None = None


class ImportRecord(_Model):
    """One import statement and where it resolves (``resolved`` is None when external)."""

    path: str = ""
    module: str
    names: list[str] = Field(default_factory=list)
    line: int = 0
    level: int = 0
    kind: str = "import"
    resolved: str | None = None
    external: str | None = None


class ParsedFile(_Model):
    """What a worker returns for one source file: the parts every map is built from."""

    definitions: list[Definition] = Field(default_factory=list)
    references: dict[str, int] = Field(default_factory=dict)
    imports: list[ImportRecord] = Field(default_factory=list)
    parse_errors: bool = False


class TestLink(_Model):
    """A test file (or test function) linked to the source file it exercises."""

    test_path: str
    source_path: str
    test_name: str | None = None
    reason: Literal["naming", "import", "reference"]
    confidence: float
    command: str | None = None


class OwnerRecord(_Model):
    """Who owns a file, from CODEOWNERS (``rule`` is the matching pattern), and who maintains it
    by the git history (``history_authors``: derived from commits, not declared by anyone)."""

    path: str
    owners: list[str] = Field(default_factory=list)
    rule: str | None = None
    source: str | None = None
    line: int | None = None
    #: The file's main recent authors, ``"name (commits)"`` most commits first, from the history
    #: map (the mined window of recent commits); empty outside git or with no commit touching it.
    history_authors: list[str] = Field(default_factory=list)


class HistoryRecord(_Model):
    """Per-file history from one ``git log`` pass."""

    path: str
    commits: int
    last_change: str | None = None
    authors: list[tuple[str, int]] = Field(default_factory=list)
    cochange: list[tuple[str, int]] = Field(default_factory=list)


class BuildInfo(_Model):
    """A detected build system and what it offers."""

    tool: str
    manifest: str
    modules: list[str] = Field(default_factory=list)
    unit_command: str | None = None
    full_command: str | None = None
    entry_points: list[str] = Field(default_factory=list)
    module_commands: dict[str, str] = Field(default_factory=dict)


class RiskTag(_Model):
    """A risk tag on a file and the rule that fired."""

    path: str
    tag: str
    rule: str


class Convention(_Model):
    """A lint/format/type-check config or a contributor document, and what it governs."""

    path: str
    kind: str
    governs: str


class IndexStats(_Model):
    """What one ``index`` run did."""

    scanned: int = 0
    parsed: int = 0
    unchanged: int = 0
    removed: int = 0
    renamed: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)
    seconds: float = 0.0
    commit: str | None = None
    dirty: bool = False
    #: Files hashed although their size, mtime, ctime and inode were as recorded (``--verify``,
    #: or files changed within a timestamp tick of the last run), and of those, files whose bytes
    #: no longer matched their recorded sha256 (re-examined: the index is repaired).
    verified: int = 0
    repaired: int = 0
    #: Set when the run had to do something the caller should hear of (a damaged index moved
    #: aside and rebuilt).
    notice: str | None = None


class IndexStatus(_Model):
    """What the index reflects right now."""

    root: str
    commit: str | None
    dirty: bool
    schema_version: int
    indexed_at: str | None
    files: int
    symbols: int
    stale_paths: list[str] = Field(default_factory=list)
    freshness: Freshness = "current"
    #: Languages, frameworks and build tools (the packet header's ``language_stack``).
    language_stack: list[str] = Field(default_factory=list)
    #: Indexed (parsed) files per tree-sitter language, most first.
    languages: dict[str, int] = Field(default_factory=dict)
    #: Files listed but not parsed, by reason (binary, too_large, minified, undecodable, …).
    skipped: dict[str, int] = Field(default_factory=dict)
    #: Files parsed with syntax errors (their definitions are kept as far as the parser recovered).
    parse_errors: int = 0


class MapDefinition(_Model):
    """One definition a map shows: where it starts, what it is, its signature (comments left out),
    and ``depth`` 1 for a member shown under its class."""

    line: int
    kind: str = ""
    name: str = ""
    qualname: str = ""
    signature: str = ""
    depth: int = 0

    @model_validator(mode="before")
    @classmethod
    def _from_map_line(cls, value: Any) -> Any:
        """The ranking hands over each definition as the line it renders (``   24│    def f(x)``):
        the line number, the indent and the signature; :meth:`repointel.api.Repo.map` adds the
        kind and the names from the symbol map."""
        if isinstance(value, str):
            number, _, shown = value.partition("\u2502")
            indent = len(shown) - len(shown.lstrip(" "))
            return {"line": int(number), "signature": shown.strip(), "depth": indent // 4}
        return value

    def text(self) -> str:
        """The definition as the map's text shows it."""
        return f"{self.line:>5}\u2502{'    ' * self.depth}{self.signature or self.name}"


class MapEntry(_Model):
    """One ranked file in a repository map."""

    path: str
    #: Relevance on one scale: the file's score as a share of the first file's (1.0), never
    #: rising down the map.
    rank: float
    definitions: list[MapDefinition] = Field(default_factory=list)

    def __init__(self, **data: Any) -> None:
        """``definitions`` may also be the lines the ranking renders (see MapDefinition)."""
        super().__init__(**data)


class TokenAccount(_Model):
    """How a budget was spent."""

    tokenizer: str
    budget: int
    used: int


class RepoMap(_Model):
    """A ranked, budgeted repository map. ``stale_paths``: files it shows that changed on disk
    since they were indexed (their lines may have moved); ``freshness`` is ``stale`` when any did."""

    commit: str | None
    entries: list[MapEntry]
    text: str
    tokens: TokenAccount
    freshness: Freshness = "current"
    stale_paths: list[str] = Field(default_factory=list)


class DepsReport(_Model):
    """What a file imports and what imports it, plus by-name reference edges."""

    path: str
    imports: list[ImportRecord] = Field(default_factory=list)
    importers: list[ImportRecord] = Field(default_factory=list)
    references_to: list[tuple[str, float]] = Field(default_factory=list)
    referenced_by: list[tuple[str, float]] = Field(default_factory=list)


class ImpactReport(_Model):
    """Transitive dependents of a file or symbol, their tests, owners and risks."""

    target: str
    files: list[str]
    depth: int = 3
    dependents: list[tuple[str, int]] = Field(default_factory=list)
    tests: list[TestLink] = Field(default_factory=list)
    owners: list[OwnerRecord] = Field(default_factory=list)
    risks: list[RiskTag] = Field(default_factory=list)


class SymbolDependency(_Model):
    """A repository definition that a symbol's body uses."""

    name: str
    #: Occurrences of the name inside the symbol's span.
    uses: int
    #: The indexed files defining the name (at most the reference graph's ``MAX_DEFINERS``).
    defined_in: list[str] = Field(default_factory=list)
    #: Why it resolves there: defined in the symbol's own file, in a file that file imports, or
    #: only by name (a local variable of the same name would match too).
    via: Literal["same_file", "import", "name"] = "name"


class CoveringTest(_Model):
    """A test file that covers a symbol, and why we think so."""

    path: str
    reason: str
    command: str | None = None


class SymbolCard(_Model):
    """A definition with its file, what its body depends on and the tests that cover it; the
    ``sha256`` is of the definition's lines (``line_range``) as they are on disk."""

    symbol: str
    name: str
    kind: str
    file: str
    line_range: str
    signature: str | None = None
    doc: str | None = None
    commit: str | None = None
    sha256: str | None = None
    freshness: Freshness = "current"
    depends_on: list[SymbolDependency] = Field(default_factory=list)
    tests: list[CoveringTest] = Field(default_factory=list)


class RankedFile(_Model):
    """A file ranked for a task: its fused score and the features behind it."""

    path: str
    score: float
    reasons: list[str] = Field(default_factory=list)


class RankedDefinition(_Model):
    """A definition (or a file's module-level block, ``<module>``) ranked for a task as the place
    a fix most likely edits: its span, score, reasons, and its callers and callees by
    ``path::qualname``."""

    path: str
    qualname: str
    kind: str
    line_range: str
    signature: str = ""
    score: float
    reasons: list[str] = Field(default_factory=list)
    calls: list[str] = Field(default_factory=list)
    callers: list[str] = Field(default_factory=list)


class Ranking(_Model):
    """What a task points at: files and definitions, best first (``Repo.rank``)."""

    commit: str | None
    files: list[RankedFile] = Field(default_factory=list)
    definitions: list[RankedDefinition] = Field(default_factory=list)


class ContextItem(_Model):
    """One piece of a context packet, with its provenance."""

    id: str
    type: Literal["source_snippet", "symbol_outline", "test", "doc", "config"]
    source: Literal["repository"] = "repository"
    path: str
    line_range: str
    content: str
    sha256: str
    commit: str | None
    trust_level: TrustLevel = "trusted_repo_content"
    freshness: Freshness = "current"
    score: float = 0.0
    reasons: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)


class EventItem(_Model):
    """One packet item as a ``context_built`` event records it: where it came from, by hash."""

    id: str
    type: str
    path: str
    line_range: str
    sha256: str
    freshness: Freshness = "current"


class ContextBuiltEvent(_Model):
    """The ``context_built`` event logged per packet (the reference designs' audit record): the
    items by provenance and hash, and the token count. The task is recorded by its sha256 and
    length only: it is untrusted text and may hold what a log should not."""

    event: Literal["context_built"] = "context_built"
    at: str
    repository: str
    commit: str | None
    dirty: bool
    index_version: int
    task_sha256: str
    task_chars: int
    format: str
    tokens: TokenAccount
    items: list[EventItem] = Field(default_factory=list)


class ContextPacket(_Model):
    """A task turned into a budgeted, provenance-labelled packet."""

    repository: str
    commit: str | None
    dirty: bool
    index_version: int
    task_trust_level: TrustLevel = "untrusted_task_input"
    language_stack: list[str] = Field(default_factory=list)
    modules: list[str] = Field(default_factory=list)
    likely_files: dict[str, list[str]] = Field(default_factory=dict)
    ranked_files: list[str] = Field(default_factory=list)
    build_commands: dict[str, str] = Field(default_factory=dict)
    owners: list[str] = Field(default_factory=list)
    risk_notes: list[str] = Field(default_factory=list)
    conventions: list[str] = Field(default_factory=list)
    items: list[ContextItem] = Field(default_factory=list)
    tokens: TokenAccount

    def built_event(self, task: str, fmt: str) -> ContextBuiltEvent:
        """The ``context_built`` event of this packet, built for ``task`` and rendered as ``fmt``."""
        import hashlib
        from datetime import datetime, timezone

        return ContextBuiltEvent(
            at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            repository=self.repository, commit=self.commit, dirty=self.dirty,
            index_version=self.index_version, task_sha256=hashlib.sha256(task.encode("utf-8")).hexdigest(),
            task_chars=len(task), format=fmt, tokens=self.tokens,
            items=[EventItem(id=i.id, type=i.type, path=i.path, line_range=i.line_range, sha256=i.sha256,
                             freshness=i.freshness) for i in self.items],
        )


# -- answers of the listing requests (the CLI's --json and the MCP tools' structured content) ----
class Listing(_Model):
    """Rows of a listing request, saying when they are not the whole answer."""

    #: More rows matched than the request's ``limit``: only the first ``limit`` are here.
    truncated: bool = False
    #: Why the answer is capped or empty, in one line (None when neither).
    note: str | None = None


class SymbolList(Listing):
    """Definitions found by name, kind or path."""

    result: list[Definition] = Field(default_factory=list)


class FileList(Listing):
    """Rows of the file map."""

    result: list[FileRecord] = Field(default_factory=list)


class TestLinkList(Listing):
    """The tests linked to a file (or the sources a test file exercises)."""

    result: list[TestLink] = Field(default_factory=list)


class SymbolCardList(Listing):
    """Cards of the definitions with one name."""

    result: list[SymbolCard] = Field(default_factory=list)


class QueryResult(Listing):
    """Read-only SQL over the index: columns, rows, and what the rows reflect (``index``: commit,
    dirty, indexed_at, freshness, stale_paths)."""

    columns: list[str] = Field(default_factory=list)
    rows: list[list[Any]] = Field(default_factory=list)
    index: dict[str, Any] = Field(default_factory=dict)
