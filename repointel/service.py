"""The requests the CLI and the MCP server answer, in one place: each function takes an open
:class:`~repointel.api.Repo` and the caller's arguments, checks them (:mod:`repointel.bounds`),
and returns an :class:`Answer`: the result model (what ``--json`` prints and what an MCP tool
returns as structured content), its text (what the CLI prints and the tool's text content), and
notes (on stderr, in the tool's text) when the answer is capped, empty or partial.

So ``repointel symbols X --json`` and the ``find_symbol`` tool give the same answer, and a bad
argument the same one-line error, on both surfaces.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from .api import Repo
from .bounds import (
    MAX_LIST_ROWS,
    MAX_QUERY_ROWS,
    check_limit,
    check_name,
    check_task,
)
from .config import DEFAULT_QUERY_ROWS, DEFAULT_QUERY_SECONDS
from .errors import PathNotIndexedError
from .models import (
    ContextPacket,
    DepsReport,
    FileList,
    ImpactReport,
    IndexStatus,
    OwnerRecord,
    QueryResult,
    Ranking,
    RepoMap,
    SymbolCardList,
    SymbolList,
    TestLinkList,
)
from .rank.task import MAX_TASK_CHARS
from .untrusted import escape_line

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "Answer",
    "check_event_log",
    "context_packet",
    "dependencies",
    "files",
    "find_symbols",
    "impact",
    "index_status",
    "owners",
    "query",
    "rank",
    "repo_map",
    "symbol_cards",
    "tests_for",
]

#: Rows a listing returns unless asked for more: flask's 1,758 definitions fit; a larger answer
#: says it was capped and how to get the rest.
DEFAULT_LIST_LIMIT = 1000

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Answer(Generic[M]):
    """A result model, its text rendering, and the notes that say what it leaves out."""

    result: M
    text: str
    notes: list[str]


def _shown(value: Any) -> Any:
    """``value`` (a result model, or what it holds) with every string escaped to stay on its line:
    paths, names, signatures and commands are repository text, and a newline, carriage return or
    bidi control in one must not forge lines or hide text in a plain listing. JSON needs none of
    this (its strings are escaped); a packet or map escapes its own headings and keeps code as is."""
    if isinstance(value, str):
        return escape_line(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_shown(v) for v in value)
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, BaseModel):
        return value.model_copy(update={k: _shown(getattr(value, k)) for k in type(value).model_fields})
    return value


def _task_notes(task: str | None) -> list[str]:
    if task is not None and len(task) > MAX_TASK_CHARS:
        return [f"the task is {len(task):,} characters; only the first {MAX_TASK_CHARS:,} were analysed"]
    return []


def _capped(count: int, limit: int, what: str) -> str:
    return f"showing the first {limit:,} {what}; more matched: raise the limit (at most {MAX_LIST_ROWS:,})" \
        if count > limit else ""


# -- maps and packets ----------------------------------------------------------------------------
def repo_map(repo: Repo, task: str | None, budget: int, tokenizer: str) -> Answer[RepoMap]:
    """A ranked map of the repository within ``budget`` tokens, personalised by ``task``."""
    task = check_task(task, required=False) if task is not None else None
    m = repo.map(task, budget=budget, tokenizer=tokenizer)
    notes = _task_notes(task)
    if not m.entries:
        notes.append("the map is empty: the index holds no source file with definitions")
    if m.stale_paths:
        notes.append("stale: changed on disk since indexing (run `repointel index`): " + ", ".join(m.stale_paths))
    return Answer(m, m.text, notes)


def context_packet(repo: Repo, task: str, budget: int, tokenizer: str, fmt: str,
                   event_log: str | None = None) -> Answer[ContextPacket]:
    """A context packet for ``task`` whose rendering in ``fmt`` fits ``budget`` tokens."""
    from .context.render import render

    task = str(check_task(task))
    if event_log is not None:
        check_event_log(event_log)
    packet = repo.context(task, budget=budget, tokenizer=tokenizer, fmt=fmt, event_log=event_log)
    return Answer(packet, render(packet, fmt), _task_notes(task))


def check_event_log(path: str) -> None:
    """An event log we can append to: its folder exists and we may write there (a packet built
    for nothing, then a traceback, was the old answer)."""
    from .errors import StorageError

    folder = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.isdir(path):
        raise StorageError(f"cannot append events to {path}: it is a folder")
    if not os.path.isdir(folder):
        raise StorageError(f"cannot append events to {path}: no folder {folder}")
    if not os.access(path if os.path.exists(path) else folder, os.W_OK):
        raise StorageError(f"cannot append events to {path}: permission denied")


def rank(repo: Repo, task: str, files: int = 20, definitions: int = 50) -> Answer[Ranking]:
    """The files and definitions ``task`` points at, best first; the text shows each score as a
    share of the best one's in its list (one scale, 1.00 at the top)."""
    task = str(check_task(task))
    ranking = repo.rank(task, files=check_limit(files, MAX_RANKED, "files"),
                        definitions=check_limit(definitions, MAX_RANKED, "definitions", least=0))
    notes = _task_notes(task) + ([] if ranking.files else ["nothing in the index matches the task"])
    return Answer(ranking, _rank_text(_shown(ranking)), notes)


#: Most files or definitions ``rank`` lists: a ranking read by a person or an agent, not a dump.
MAX_RANKED = 1000


def _rank_text(ranking: Ranking) -> str:
    top_file = max((f.score for f in ranking.files), default=0.0) or 1.0
    top_def = max((d.score for d in ranking.definitions), default=0.0) or 1.0
    lines = ["files:"] + [f"  {f.score / top_file:4.2f}  {f.path}" + (f"  ({', '.join(f.reasons)})" if f.reasons else "")
                          for f in ranking.files]
    if ranking.definitions:
        lines += ["definitions:"] + [
            f"  {d.score / top_def:4.2f}  {d.path}:{d.line_range}  {d.kind}  {d.qualname}"
            + (f"  ({', '.join(d.reasons)})" if d.reasons else "") for d in ranking.definitions]
    return "".join(line + "\n" for line in lines)


# -- listings ----------------------------------------------------------------------------------------
def find_symbols(repo: Repo, name: str | None, kind: str | None = None, path: str | None = None,
                 limit: int = DEFAULT_LIST_LIMIT) -> Answer[SymbolList]:
    """Definitions named ``name`` (a dotted name matches the qualified name, ``Class.method``),
    of ``kind``, under ``path``; all of them when ``name`` is None."""
    limit = check_limit(limit, MAX_LIST_ROWS)
    if name is not None:
        check_name(name)
    _known_prefix(repo, path)
    dotted = name is not None and "." in name.strip(".")
    found = repo.symbols(name=None if dotted else name, qualname=name if dotted else None, kind=kind,
                         path=path, limit=limit + 1)
    where = "".join([f" of kind {kind}" if kind else "", f" under {path}" if path else ""])
    note = _capped(len(found), limit, "definitions") or (
        "" if found else f"no definition{f' named {name!r}' if name else ''}{where} in the index")
    out = SymbolList(result=found[:limit], truncated=len(found) > limit, note=note or None)
    return Answer(out, _symbols_text(_shown(out)), [note] if note else [])


def _known_prefix(repo: Repo, path: str | None) -> None:
    """``path`` (a file or folder filter) names something the index holds."""
    if path is not None:
        rel = repo.safe_path(path)
        if rel and not repo.files(path=rel, limit=1):
            raise PathNotIndexedError(f"not in the index: {path}")


def files(repo: Repo, path: str | None = None, language: str | None = None, status: str | None = None,
          limit: int = MAX_LIST_ROWS) -> Answer[FileList]:
    """Rows of the file map under ``path`` (a file, a folder or a glob)."""
    limit = check_limit(limit, MAX_LIST_ROWS)
    rows = repo.files(path=path, language=language, status=status, limit=limit + 1)
    filters = ", ".join(f"{k} {v}" for k, v in (("under", path), ("language", language), ("status", status)) if v)
    note = _capped(len(rows), limit, "files") or (
        "" if rows else "no file in the index" + (f" matches {filters}" if filters else ""))
    out = FileList(result=rows[:limit], truncated=len(rows) > limit, note=note or None)
    return Answer(out, _files_text(_shown(out)), [note] if note else [])


def tests_for(repo: Repo, path: str) -> Answer[TestLinkList]:
    """Tests that exercise ``path`` (or the sources a test file exercises)."""
    links = repo.tests_for(path)
    note = "" if links else f"no test is linked to {path} (by name, import or reference)"
    out = TestLinkList(result=links, note=note or None)
    return Answer(out, _tests_text(_shown(out)), [note] if note else [])


def symbol_cards(repo: Repo, name: str, path: str | None = None) -> Answer[SymbolCardList]:
    """Cards of the definitions named ``name`` (or ``Class.method``) under ``path``."""
    out = SymbolCardList(result=repo.symbol_cards(name, path=path))
    return Answer(out, _cards_text(_shown(out)), [])


def query(repo: Repo, sql: str, limit: int = DEFAULT_QUERY_ROWS,
          timeout: float = DEFAULT_QUERY_SECONDS) -> Answer[QueryResult]:
    """Read-only SQL over the index, at most ``limit`` rows, interrupted after ``timeout`` seconds
    (:class:`~repointel.errors.QueryTimeoutError`)."""
    raw = repo.query(sql, limit=limit, timeout=timeout)
    rows = _jsonable(raw["rows"])
    notes = []
    if raw["truncated"]:
        notes.append(f"showing the first {limit:,} rows; more matched: add LIMIT/OFFSET or raise the limit "
                     f"(at most {MAX_QUERY_ROWS:,})")
    elif not rows:
        notes.append("the query returned no rows")
    index = raw["index"]
    if index["freshness"] != "current":
        stale = index["stale_paths"]
        notes.append(f"the index is {index['freshness']}" + (
            f"; changed on disk since indexing: {', '.join(stale[:5])}"
            + (f" and {len(stale) - 5} more" if len(stale) > 5 else "") if stale else ""))
    out = QueryResult(columns=[str(c) for c in raw["columns"]], rows=rows, index=index,
                      truncated=raw["truncated"], note="; ".join(notes) or None)
    return Answer(out, _query_text(_shown(out)), notes)


def _jsonable(value: list[list[Any]]) -> list[list[Any]]:
    """JSON-safe copies of SQL rows (bytes → text, tuples → lists, others → str)."""
    def one(v: object) -> object:
        if v is None or isinstance(v, bool | int | float | str):
            return v
        if isinstance(v, bytes):
            return v.decode("utf-8", "replace")
        if isinstance(v, list | tuple):
            return [one(x) for x in v]
        if isinstance(v, dict):
            return {str(k): one(x) for k, x in v.items()}
        return str(v)

    return [[one(v) for v in row] for row in value]


# -- one-file reports ------------------------------------------------------------------------------
def dependencies(repo: Repo, path: str) -> Answer[DepsReport]:
    """What ``path`` imports and which files import it."""
    report = repo.deps(path)
    return Answer(report, _deps_text(_shown(report)), [])


def impact(repo: Repo, target: str, depth: int = 3) -> Answer[ImpactReport]:
    """Transitive dependents of a file or symbol, with tests, owners and risks."""
    report = repo.impact(target, depth=depth)
    notes = [] if report.dependents else [f"nothing in the index depends on {target} (within {depth} hops)"]
    return Answer(report, _impact_text(_shown(report)), notes)


def owners(repo: Repo, path: str) -> Answer[OwnerRecord]:
    """CODEOWNERS owners of ``path``, and its recent authors by the git history."""
    rec = repo.owners(path)
    shown = _shown(rec)
    text = (f"{shown.path}: {' '.join(shown.owners) or '(no CODEOWNERS rule)'}"
            + (f"  [{shown.source}:{shown.line} {shown.rule}]" if shown.rule else "") + "\n")
    if shown.history_authors:
        text += f"recent authors (git history, not declared): {', '.join(shown.history_authors)}\n"
    notes = [] if rec.owners or rec.history_authors else [
        f"no CODEOWNERS rule names an owner of {rec.path}, and no recent commit touched it"]
    return Answer(rec, text, notes)


def index_status(repo: Repo) -> Answer[IndexStatus]:
    """What the index reflects: commit, dirty flag, counts, stale files."""
    st = repo.status()
    return Answer(st, _status_text(_shown(st)), [])


# -- text renderings (what the CLI prints; the MCP tools' text content) ---------------------------
def _symbols_text(out: SymbolList) -> str:
    return "".join(f"{d.path}:{d.start_line}-{d.end_line}\t{d.kind}\t{d.qualname}\n" for d in out.result)


def _files_text(out: FileList) -> str:
    return "".join(
        f"{f.path}\t{f'skipped:{f.skip_reason}' if f.status == 'skipped' else (f.language or '-')}\t{f.lines} lines\n"
        for f in out.result)


def _tests_text(out: TestLinkList) -> str:
    return "".join(f"{t.test_path} -> {t.source_path} ({t.reason}, {t.confidence:.2f})"
                   + (f"  $ {t.command}" if t.command else "") + "\n" for t in out.result)


def _cards_text(out: SymbolCardList) -> str:
    lines = []
    for card in out.result:
        lines.append(f"{card.file}:{card.line_range}\t{card.kind}\t{card.symbol}"
                     + ("" if card.freshness == "current" else f"  [{card.freshness}: file changed since indexing]"))
        lines += [f"  uses {d.name} ({d.uses}x, {d.via}): {', '.join(d.defined_in)}" for d in card.depends_on]
        lines += [f"  test {t.path} ({t.reason})" + (f"  $ {t.command}" if t.command else "") for t in card.tests]
    return "".join(line + "\n" for line in lines)


def _query_text(out: QueryResult) -> str:
    lines = ["\t".join(out.columns)] + ["\t".join("" if v is None else str(v) for v in row) for row in out.rows]
    return "".join(line + "\n" for line in lines)


def _deps_text(report: DepsReport) -> str:
    lines = [f"{report.path} imports:"]
    lines += [f"  {i.line:>5}  {i.module or '.'} -> {i.resolved or f'(external: {i.external})'}"
              for i in report.imports]
    lines.append("imported by:")
    lines += [f"  {i.path}:{i.line}" for i in report.importers]
    return "".join(line + "\n" for line in lines)


def _impact_text(report: ImpactReport) -> str:
    lines = [f"{report.target}: {', '.join(report.files)}"]
    lines += [f"  {'  ' * (hop - 1)}{path} (hop {hop})" for path, hop in report.dependents]
    lines += [f"test: {t.test_path} ({t.reason}, {t.confidence:.2f})" + (f"  $ {t.command}" if t.command else "")
              for t in report.tests]
    lines += [f"owners: {o.path}: {' '.join(o.owners) or '(unowned)'}" for o in report.owners]
    lines += [f"risk: {r.path}: {r.tag} ({r.rule})" for r in report.risks]
    return "".join(line + "\n" for line in lines)


def _status_text(st: IndexStatus) -> str:
    lines = [f"commit {st.commit or 'none'}{' (dirty)' if st.dirty else ''}; {st.files} files, "
             f"{st.symbols} symbols; indexed at {st.indexed_at}; freshness {st.freshness}"
             + (f" ({len(st.stale_paths)} stale)" if st.stale_paths else "")]
    if st.language_stack:
        lines.append(f"stack: {', '.join(st.language_stack)}")
    if st.languages:
        lines.append("parsed: " + ", ".join(f"{lang} {n}" for lang, n in st.languages.items())
                     + (f" ({st.parse_errors} with syntax errors)" if st.parse_errors else ""))
    if st.skipped:
        lines.append("skipped: " + ", ".join(f"{reason} {n}" for reason, n in st.skipped.items()))
    return "".join(line + "\n" for line in lines)
