"""Seed scores: which files a task points at directly (paths, frames, symbol names)."""

from __future__ import annotations

import math
import posixpath
from collections import defaultdict
from collections.abc import Iterable

from ..store import IndexReader
from .task import TaskTerms, is_identifier_like

__all__ = ["exclusive_definers", "named_paths", "task_seed_parts", "task_seeds"]

#: A path or stack frame naming the file is the strongest evidence there is.
PATH_MENTION = 8.0
#: Share of a stack frame's weight given to the outermost frame; deeper frames get more.
FRAME_BASE = 0.4
#: Leading parts of a dotted name tried as a module path (the dev set's longest name has 5): each
#: shorter prefix is joined and looked up, so a pasted ``a.a.a…`` of 100,000 parts cost a minute.
MAX_DOTTED_PARTS = 16
#: A file name (stem) mentioned alone, e.g. "the `urls.py` module".
STEM_MENTION = 3.0
#: A dotted name a.b.c that maps onto a module path a/b/c.py.
DOTTED_MODULE = 4.0
#: A dotted API name a.b.name resolved to the file defining ``name`` (through re-exports).
DOTTED_SYMBOL = 5.0
#: A symbol defined in a file and named in the task (divided among its definers).
SYMBOL_MENTION = 2.0
#: A plain lower-case word that happens to name a symbol ("polyval fails") is weak evidence.
PLAIN_WORD_FACTOR = 0.3
#: An issue's title names its subject more reliably than its body.
TITLE_BOOST = 2.0
#: A plain word counts as a symbol mention only when at most this many files define it.
WEAK_MAX_DEFINERS = 2
#: Plain-word matches add at most this much to a file: many weak hits must not beat one strong.
WEAK_CAP = SYMBOL_MENTION * 0.5
#: Symbol names mentioned inside code spans or blocks are likelier to be the subject.
CODE_SPAN_BOOST = 1.5
#: A name defined (top-level class or function) by more files than this is too common to point
#: at its definers (``__init__``-like helpers, ``copy``); see :func:`exclusive_definers`.
EXCL_MAX_DEFINERS = 3


def _path_matches(paths: list[str], mention: str) -> list[str]:
    mention = mention.replace("\\", "/").lstrip("./")
    hits = [p for p in paths if p == mention or p.endswith("/" + mention)]
    if hits:
        return hits
    parts = mention.split("/")  # absolute paths from tracebacks: match the longest suffix
    for k in range(len(parts) - 1, 0, -1):
        suffix = "/".join(parts[-k:])
        hits = [p for p in paths if p == suffix or p.endswith("/" + suffix)]
        if hits:
            return hits if len(hits) <= 3 else []
    return []


def _mention_seeds(paths: list[str], terms: TaskTerms, out: dict[str, float]) -> None:
    for p, strength in named_paths(paths, terms).items():
        out[p] += strength
    n = len(terms.frames)
    for i, (frame_path, _line, _func) in enumerate(terms.frames):
        hits = _path_matches(paths, frame_path)
        depth = FRAME_BASE + (1 - FRAME_BASE) * (i + 1) / n  # the deepest frame counts fully
        for p in hits:
            out[p] += PATH_MENTION * depth / len(hits)


def named_paths(paths: list[str], terms: TaskTerms, unless: list[str] | None = None) -> dict[str, float]:
    """The files of ``paths`` that the task names by path or file name (not by a stack frame),
    with the strength a path mention gives (see :func:`task_seed_parts`); a mention that also
    names one of ``unless`` names none of ``paths``."""
    out: dict[str, float] = defaultdict(float)
    for mention in terms.paths:
        hits = _path_matches(paths, mention)
        if hits and unless and _path_matches(unless, mention):
            continue
        for p in hits:
            out[p] += PATH_MENTION / len(hits)
    return dict(out)


#: Per-path-list lookups (module suffixes, base names), kept for the last list seen: packets on
#: one index state share the graph's node list (~15 ms a packet on sympy). The list itself is
#: held, so its identity cannot be reused by another list.
_PATH_TABLES: list[tuple[list[str], dict[str, list[str]], dict[str, str]]] = []


def _path_tables(paths: list[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """(module suffixes, base name → path) of ``paths``, cached for the last list."""
    tables = _PATH_TABLES[0] if _PATH_TABLES else None  # one read: another thread may replace it
    if tables is None or tables[0] is not paths:
        tables = (paths, _module_suffixes(paths), {posixpath.basename(p): p for p in paths})
        _PATH_TABLES[:] = [tables]
    return tables[1], tables[2]


def _module_suffixes(paths: list[str]) -> dict[str, list[str]]:
    """'a/b/c' (every trailing run of a module path, no extension) → the files it names."""
    out: dict[str, list[str]] = defaultdict(list)
    for p in paths:
        if not p.endswith(".py"):
            continue
        stem = p[:-3]
        if stem.endswith("/__init__"):
            stem = stem[: -len("/__init__")]
        parts = stem.split("/")
        for k in range(1, len(parts) + 1):
            out["/".join(parts[-k:])].append(p)
    return out


def _dotted_seeds(store: IndexReader, paths: list[str], terms: TaskTerms, out: dict[str, float]) -> None:
    """a.b.c → module a/b/c.py; a.b.name → where a/b defines ``name`` or imports it from."""
    if not terms.dotted:
        return
    modules = _path_tables(paths)[0]
    for dotted in terms.dotted:
        parts = dotted.split(".")[:MAX_DOTTED_PARTS]
        share = terms.dotted_weight.get(dotted, 1.0)
        for k in range(len(parts), 0, -1):
            files = modules.get("/".join(parts[:k]), [])
            if not files or len(files) > 3:
                continue
            rest = parts[k:]
            for f in files:
                out[f] += share * (DOTTED_MODULE if not rest else DOTTED_MODULE / 2) / len(files)
                if rest:
                    for target in _defining_files(store, f, rest[0]):
                        out[target] += share * DOTTED_SYMBOL / len(files)
            break


def _defining_files(store: IndexReader, module_file: str, name: str) -> list[str]:
    """The file that defines ``name`` as seen from ``module_file``: itself, or what it imports."""
    if store.rows("SELECT 1 FROM symbols WHERE path = ? AND name = ? AND parent IS NULL LIMIT 1",
                  [module_file, name]):
        return [module_file]
    rows = store.rows(
        "SELECT DISTINCT resolved FROM imports WHERE path = ? AND resolved IS NOT NULL "
        "AND (list_contains(names, ?) OR module LIKE '%.' || ?)", [module_file, name, name])
    return [r[0] for r in rows][:2]


def _strong_names(terms: TaskTerms) -> set[str]:
    """Names that look like code: identifiers, code spans, dotted parts, frame functions."""
    names = {n for n in terms.identifiers if is_identifier_like(n)} | set(terms.code_identifiers)
    for dotted in terms.dotted:
        names.update(dotted.split("."))
    for _path, _line, func in terms.frames:
        if func:
            names.update(func.split("."))
    return {n for n in names if len(n) >= 3}


def project_names(paths: list[str]) -> set[str]:
    """The repository's own top-level package names (``pkg/__init__.py``, ``src/pkg/__init__.py``),
    lower-cased: an issue names its project everywhere, so they say nothing about where."""
    out = set()
    for p in paths:
        parts = p.split("/")
        if parts[-1] == "__init__.py" and (len(parts) == 2 or (len(parts) == 3 and parts[0] == "src")):
            out.add(parts[-2].lower().lstrip("_"))
    return out


def _symbol_seeds(store: IndexReader, terms: TaskTerms, out: dict[str, float],
                  weak_out: dict[str, float], own: set[str]) -> None:
    strong = {n for n in _strong_names(terms) if n.lower().lstrip("_") not in own}
    weak = ({n for n in terms.identifiers if len(n) >= 3} | set(terms.words)) - strong
    weak = {n for n in weak if n.lower().lstrip("_") not in own}
    if not strong and not weak:
        return
    rows = store.rows(
        "SELECT name, list(DISTINCT path) FROM symbols WHERE name IN (SELECT unnest(?)) GROUP BY name",
        [sorted(strong | weak)],
    )
    weak_sum: dict[str, float] = defaultdict(float)
    for name, files in rows:
        if name in weak and len(files) > WEAK_MAX_DEFINERS:
            continue  # an English word that many files define ("index", "Warning") says nothing
        weight = SYMBOL_MENTION / math.sqrt(len(files))
        if name.lower() in terms.title_terms:
            weight *= TITLE_BOOST
        if name in terms.code_identifiers:
            weight *= CODE_SPAN_BOOST
        for p in files:
            if name in weak:
                weak_sum[p] += weight * PLAIN_WORD_FACTOR
            else:
                out[p] += weight
    for p, v in weak_sum.items():
        weak_out[p] += min(v, WEAK_CAP)


def task_seed_parts(store: IndexReader, paths: list[str], terms: TaskTerms) -> dict[str, dict[str, float]]:
    """Files the task points at, per kind of evidence: ``path`` (paths, frames, file names),
    ``dotted`` (dotted names), ``symbol`` (names that look like code), ``weak`` (plain words)."""
    parts: dict[str, dict[str, float]] = {}
    path: dict[str, float] = defaultdict(float)
    _mention_seeds(paths, terms, path)
    stems = _path_tables(paths)[1]
    for mention in terms.paths:
        base = posixpath.basename(mention)
        if base in stems and stems[base] not in path:
            path[stems[base]] += STEM_MENTION
    parts["path"] = dict(path)
    dotted: dict[str, float] = defaultdict(float)
    _dotted_seeds(store, paths, terms, dotted)
    parts["dotted"] = dict(dotted)
    strong: dict[str, float] = defaultdict(float)
    weak: dict[str, float] = defaultdict(float)
    _symbol_seeds(store, terms, strong, weak, project_names(paths))
    parts["symbol"] = dict(strong)
    parts["weak"] = dict(weak)
    return parts


def task_seeds(store: IndexReader, paths: list[str], terms: TaskTerms) -> dict[str, float]:
    """Files the task points at, with a strength per file."""
    out: dict[str, float] = defaultdict(float)
    for part in task_seed_parts(store, paths, terms).values():
        for p, v in part.items():
            out[p] += v
    return dict(out)


def exclusive_definers(store: IndexReader, names: Iterable[str]) -> dict[str, float]:
    """Per file, the sum over the ``names`` it defines at top level (class or function) of
    1 / (number of files defining that name), for names with at most EXCL_MAX_DEFINERS definers.

    A task that writes ``Rational('0.5', '100')`` is about ``class Rational``: BM25 favours a short
    file using the name often over the big file defining it, a name few files define does not."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    definers: dict[str, set[str]] = defaultdict(set)
    for name, path in store.rows(
        "SELECT DISTINCT name, path FROM symbols WHERE name IN (SELECT unnest(?)) "
        "AND parent IS NULL AND kind IN ('class', 'function')", [wanted]):
        definers[name].add(path)
    out: dict[str, float] = defaultdict(float)
    for files in definers.values():
        if len(files) <= EXCL_MAX_DEFINERS:
            for p in files:
                out[p] += 1.0 / len(files)
    return dict(out)
