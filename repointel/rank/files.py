"""Task → files: candidate files for a task: BM25 over our own term tables, task seeds (paths, frames,
symbols), and personalised PageRank over the file graph, fused into one score."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..cache import SharedCache
from ..extract.terms import split_identifier, term_counts
from ..store import IndexReader
from .graph import FileGraph, load_graph, pagerank
from .lexical import BM25_B, BM25_K1, MAX_QUERY_TF, bm25_scores, document_frequencies
from .paths import is_auxiliary, python_packages
from .seeds import exclusive_definers, named_paths, task_seed_parts
from .task import TaskTerms, analyse_task

__all__ = ["MAP_LEAD_FILES", "Candidate", "idf_of", "map_lead", "rank_files"]

# Fusion: a candidate's score is the weighted sum of the features below (each normalised to
# 0..1 per task, or a 0/1 flag). The weights come from a listwise logistic fit (softmax over a
# task's candidates, gold files as targets) on the dev set only: benchmarks/tune_weights.py fit;
# leave-one-repository-out keeps most of the gain, so they are not per-repository artefacts.
#: Okapi BM25 of the whole task text against each file: broad lexical overlap.
W_BM25 = 1.55
#: Direct task seeds (paths, frames, dotted names, symbol names), log-damped: explicit pointers.
#: Refitted to ~0 once ``excl`` came in (0.02): the definers of the names cover its symbol part,
#: the title seeds (``tseed``) and ``pathmatch`` its paths, and the seeds still steer PageRank.
W_SEED = 0.0
#: Personalised PageRank from the seeds and top BM25 hits: neighbours of strong candidates.
W_GRAPH = 0.85
#: Share of a file's path (rare parts weighing more) the task names: issues name their module.
W_PATH = 2.05
#: BM25 of the issue title alone: the title states the subject, the body adds noise.
W_TITLE = 2.2
#: BM25 of the task's code spans and blocks alone: the code a reporter ran names the API.
W_CODE = 1.45
#: BM25 of the file's best single definition (name, signature, docstring): a focused match
#: beats terms scattered over a big file.
W_DEF = 2.55
#: Uniform PageRank (how central a file is), subtracted: hubs match every task a little.
W_HUB = -1.2
#: Dotted-name seeds again, subtracted: ``pkg.mod`` names a package's ``__init__``/entry point
#: more often than the file to change, so they count less than other seeds.
W_DOTTED = -0.95
#: Plain words naming a symbol defined in at most two files: weak, but it adds to the seeds.
W_WEAK = 0.5
#: A package ``__init__.py``: re-exports match many names but rarely hold the fix.
W_INIT = -0.4
#: A file outside the repository's main language that the task never names (bundled JS).
W_MINOR = -1.8
#: A Python file outside any package (setup.py, release scripts, conf.py): rarely the fix.
W_LOOSE = -1.4
#: Files under docs/ examples/ samples/ demos/ playgrounds/ benchmarks/ scripts/ or bundled copies:
#: rarely what must change.
W_AUX = -2.0
#: Seeds (paths, dotted names, symbols) found in the issue title alone, again: the title names
#: the subject, the body also names what was tried and what is around it.
W_TITLE_SEED = 0.85
#: Files defining (top-level class or function) a name the task writes, by how few files define
#: it: ``Rational('0.5', '100')`` points at ``class Rational``'s file, not at a short file using it.
W_EXCL = 1.1
#: Path parts named in the title count this much more.
TITLE_PATH_BOOST = 2.0
#: Files seeding PageRank beyond the direct seeds: the top BM25 hits.
PAGERANK_BM25_SEEDS = 10
#: Definition-level BM25 is computed for this many best candidates (it reads their symbols):
#: the rest cannot climb into the ranks that matter (150 and 80 give the same dev-set top 10s).
DEF_CANDIDATES = 80


@dataclass
class Candidate:
    """A file's fused score and the reasons behind it."""

    path: str
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)


def bm25(store: IndexReader, terms: Mapping[str, int]) -> dict[str, float]:
    """Okapi BM25 of every file containing at least one query term (see :mod:`repointel.rank.lexical`)."""
    return bm25_scores(store, terms)


def _normalise(scores: Mapping[str, float]) -> dict[str, float]:
    top = max(scores.values(), default=0.0)
    return {k: v / top for k, v in scores.items()} if top > 0 else {}


def path_match(prod: set[str], terms: TaskTerms) -> dict[str, float]:
    """How much of a file's path (folders and file name, rare parts weighing more) the task names."""
    comps = {p: {t for part in p.rsplit(".", 1)[0].split("/") for t in split_identifier(part)}
             for p in prod}
    df: dict[str, int] = {}
    for cs in comps.values():
        for c in cs:
            df[c] = df.get(c, 0) + 1
    n = max(len(prod), 1)
    out = {}
    for p, cs in comps.items():
        idf = {c: math.log(n / df[c]) for c in cs}
        total = sum(idf.values())
        hit = sum(v * (TITLE_PATH_BOOST if c in terms.title_terms else 1.0)
                  for c, v in idf.items() if c in terms.terms)
        if total > 0 and hit > 0:
            out[p] = hit / total
    return out


def _eligible(store: IndexReader, terms: TaskTerms) -> tuple[set[str], dict[str, str], dict[str, float]]:
    """(production files to rank, their languages, the vendored or generated files the task names
    by path with their path-mention strength). Vendored and generated files are never parsed
    nor ranked on their text, but a task that names one (``deps/lua/src/lua_bit.c``) gets it,
    unless the same words name a file of the project too (``context.go`` is gin's, not a
    vendored copy's)."""
    rows = store.rows(
        "SELECT path, is_test, language, is_vendored OR is_generated FROM files "
        "WHERE status = 'indexed' AND language IS NOT NULL")
    prod = {p for p, t, _, outside in rows if not t and not outside}
    named: dict[str, float] = {}
    if terms.paths:
        outside = {p for p, t, _, out in rows if out and not t}
        named = named_paths(sorted(outside), terms, unless=sorted(p for p, *_ in rows if p not in outside))
    return prod, {p: lang for p, _, lang, _ in rows}, named


def minor_language_files(prod: set[str], langs: Mapping[str, str], terms: TaskTerms) -> set[str]:
    """Production files not in the repository's main language whose extension the task never
    names (a Python project's bundled JavaScript, say)."""
    counts: dict[str, int] = {}
    for p in prod:
        counts[langs[p]] = counts.get(langs[p], 0) + 1
    if not counts:
        return set()
    main = max(counts, key=lambda k: (counts[k], k))
    named = {m.rsplit(".", 1)[-1].lower() for m in terms.paths}
    return {p for p in prod if langs[p] != main and p.rsplit(".", 1)[-1].lower() not in named}


#: The fused features and their weights, in one place (tuned on the dev set only).
WEIGHTS: dict[str, float] = {
    "bm25": W_BM25, "mentioned": W_SEED, "graph": W_GRAPH, "pathmatch": W_PATH, "title": W_TITLE,
    "code": W_CODE, "defmax": W_DEF, "hub": W_HUB, "dotted": W_DOTTED, "weak": W_WEAK,
    "init": W_INIT, "minor": W_MINOR, "loose": W_LOOSE, "aux": W_AUX, "tseed": W_TITLE_SEED,
    "excl": W_EXCL,
}


#: The last idf answer, by (index file, index state, query terms): a packet asks it twice (the
#: definition scores, then its snippets), and each document-frequency read counts toward
#: ``lexical.QUERIES_BEFORE_LOAD`` (a fifth query on one state loads every posting, ~80 ms).
#: The daemon builds packets on several threads: the cache is read and written under a lock.
_LAST_IDF: dict[tuple[str, str, frozenset[str]], dict[str, float]] = {}
#: idf answers kept: a packet asks for the whole task's, its title's and its code spans' terms.
_IDF_KEPT = 8
_IDF_LOCK = threading.Lock()


def idf_of(store: IndexReader, terms: Mapping[str, int]) -> dict[str, float]:
    """Okapi idf of each query term over the indexed files."""
    if not terms:
        return {}
    key = (store.db_path, store.meta().get("indexed_at", ""), frozenset(terms))
    with _IDF_LOCK:
        hit = _LAST_IDF.get(key)
    if hit is not None:
        return hit
    n, dfs = document_frequencies(store, terms)
    n = n or 1
    value = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in dfs.items()}
    with _IDF_LOCK:
        _LAST_IDF[key] = value
        while len(_LAST_IDF) > _IDF_KEPT:
            _LAST_IDF.pop(next(iter(_LAST_IDF)))
    return value


def definition_scores(store: IndexReader, paths: list[str], terms: Mapping[str, int]) -> dict[str, float]:
    """Per file, the BM25 of its best-matching definition (qualified name, signature, docstring)
    against the task: one focused definition beats terms scattered over a big file."""
    if not paths or not terms:
        return {}
    idf = idf_of(store, terms)
    docs = _definition_terms(store, paths)
    avg = sum(dl for _, _, dl in docs) / max(len(docs), 1) or 1.0
    out: dict[str, float] = {}
    for p, d, dl in docs:
        s = sum(min(terms[t], MAX_QUERY_TF) * idf[t] * d[t] * (BM25_K1 + 1)
                / (d[t] + BM25_K1 * (1 - BM25_B + BM25_B * dl / avg)) for t in d if t in idf)
        if s > out.get(p, 0.0):
            out[p] = s
    return out


#: Term counts of each file's definitions (qualified name, signature, docstring), per index file
#: and kept per file content (sha256): packets reuse them across index states, so an agent's
#: edit → index → packet loop recounts only the edited files (counting ~4.6k definitions took
#: ~0.11 s a packet on sympy).
_DEF_TERMS: dict[str, dict[str, tuple[str | None, list[tuple[dict[str, int], int]]]]] = {}
#: Index files whose definition terms are kept (a process working on several repositories).
_DEF_TERMS_FILES = 2


_DEF_TERMS_LOCK = threading.Lock()


def _definition_terms(store: IndexReader, paths: list[str]) -> list[tuple[str, dict[str, int], int]]:
    """(path, term counts, length) of every definition in ``paths`` (one thread at a time: the
    daemon's threads share the cache)."""
    with _DEF_TERMS_LOCK:
        return _definition_terms_locked(store, paths)


def _definition_terms_locked(store: IndexReader, paths: list[str]) -> list[tuple[str, dict[str, int], int]]:
    if store.db_path not in _DEF_TERMS:
        while len(_DEF_TERMS) >= _DEF_TERMS_FILES:
            _DEF_TERMS.pop(next(iter(_DEF_TERMS)))
        _DEF_TERMS[store.db_path] = {}
    cache = _DEF_TERMS[store.db_path]
    wanted = sorted(set(paths))
    sha = dict(store.rows("SELECT path, sha256 FROM files WHERE path IN (SELECT unnest(?))", [wanted]))
    todo = [p for p in wanted if p not in cache or cache[p][0] != sha.get(p)]
    for p in todo:
        cache[p] = (sha.get(p), [])
    if todo:
        for p, q, s, doc in store.rows(
            "SELECT path, qualname, signature, doc FROM symbols WHERE path IN (SELECT unnest(?))", [todo]
        ):
            counts = term_counts(f"{q} {s or ''} {doc or ''}")
            cache[p][1].append((counts, sum(counts.values())))
    return [(p, d, dl) for p in dict.fromkeys(paths) for d, dl in cache[p][1] if p in sha]


_GLOBAL_PR: SharedCache[dict[str, float]] = SharedCache(1)


def _global_pagerank(store: IndexReader, graph: FileGraph) -> dict[str, float]:
    """Uniform PageRank of the graph (how central each file is), cached per index state."""
    key = (store.db_path, store.meta().get("indexed_at", ""))
    return _GLOBAL_PR.get_or_build(key, lambda: pagerank(graph, None))


def _summed(parts: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in parts.values():
        for p, v in part.items():
            out[p] = out.get(p, 0.0) + v
    return out


def _in_prod(scores: Mapping[str, float], prod: set[str]) -> dict[str, float]:
    return _normalise({p: s for p, s in scores.items() if p in prod})


def task_names(terms: TaskTerms) -> set[str]:
    """Every name the task writes: identifiers, code-span names, plain words, dotted-name parts."""
    names = set(terms.identifiers) | set(terms.code_identifiers) | set(terms.words)
    for dotted in terms.dotted:
        names.update(part for part in dotted.split(".") if part)
    return names


#: A task's map opens with this many of the task's best files (the packet's ranking: the edited
#: file is among the top 10 for ~86% of the dev set, against PageRank from the task's names alone).
MAP_LEAD_FILES = 10


def map_lead(store: IndexReader, task: str) -> list[str]:
    """The files a map for ``task`` shows first: the task's best files, best first."""
    return [c.path for c in rank_files(store, analyse_task(task))[:MAP_LEAD_FILES]]


def rank_files(store: IndexReader, terms: TaskTerms,
               weights: dict[str, float] | None = None) -> list[Candidate]:
    """Production source files ranked for the task, best first."""
    w = weights or WEIGHTS
    prod, langs, named = _eligible(store, terms)
    lexical = _in_prod(bm25(store, terms.terms), prod)
    graph = load_graph(store)
    parts = task_seed_parts(store, graph.nodes, terms)
    seeds_raw = _summed(parts)
    seeds = _in_prod({p: math.log1p(s) for p, s in seeds_raw.items()}, prod)
    title_seeds = _summed(task_seed_parts(store, graph.nodes, analyse_task(terms.title, terms.aliases)))
    pers = dict(seeds)
    for p, s in sorted(lexical.items(), key=lambda kv: -kv[1])[:PAGERANK_BM25_SEEDS]:
        pers[p] = pers.get(p, 0.0) + s
    features = {
        "bm25": lexical, "mentioned": seeds,
        "graph": _in_prod(pagerank(graph, pers or None), prod),
        "pathmatch": _normalise(path_match(prod, terms)),
        "title": _in_prod(bm25(store, dict.fromkeys(terms.title_terms, 1)), prod),
        "code": _in_prod(bm25(store, terms.code_terms), prod),
        "dotted": _in_prod({p: math.log1p(v) for p, v in parts["dotted"].items()}, prod),
        "weak": _in_prod({p: math.log1p(v) for p, v in parts["weak"].items()}, prod),
        "tseed": _in_prod({p: math.log1p(v) for p, v in title_seeds.items()}, prod),
        "excl": _in_prod({p: math.log1p(v) for p, v in exclusive_definers(store, task_names(terms)).items()},
                         prod),
    }
    out: dict[str, Candidate] = {}
    for name, part in features.items():
        for p, s in part.items():
            c = out.setdefault(p, Candidate(p))
            c.features[name] = s
            if s >= 0.2 and name not in ("dotted", "weak", "tseed"):
                c.reasons.append(f"{name}:{s:.2f}")
    hub = _in_prod(_global_pagerank(store, graph), prod)
    minor = minor_language_files(prod, langs, terms)
    packages = python_packages(prod)
    for c in out.values():
        c.features["hub"] = hub.get(c.path, 0.0)
        c.features["init"] = float(c.path.endswith("__init__.py"))
        c.features["minor"] = float(c.path in minor)
        c.features["loose"] = float(c.path.endswith(".py") and (
            "/" not in c.path or c.path.rsplit("/", 1)[0] not in packages))
        c.features["aux"] = float(is_auxiliary(c.path, packages))
        c.score = sum(w.get(k, 0.0) * v for k, v in c.features.items())
    best = sorted(out.values(), key=lambda c: -c.score)[:DEF_CANDIDATES]
    defs = _normalise(definition_scores(store, [c.path for c in best], terms.terms))
    for c in best:
        c.features["defmax"] = defs.get(c.path, 0.0)
        c.score += w.get("defmax", 0.0) * c.features["defmax"]
        if c.features["defmax"] >= 0.2:
            c.reasons.append(f"definition:{c.features['defmax']:.2f}")
    return _named_first(sorted(out.values(), key=lambda c: (-c.score, c.path)), named)


def _named_first(ranked: list[Candidate], named: Mapping[str, float]) -> list[Candidate]:
    """``ranked`` after the vendored or generated files the task names by path, strongest mention
    first: nothing of theirs is indexed to score them by, so the task's own word decides. Each
    takes the top score, so a packet packs it among the files to edit."""
    top = ranked[0].score if ranked else 1.0
    first = [Candidate(p, top, ["named_in_task", "not_ranked:vendored_or_generated"], {"mentioned": 1.0})
             for p, _ in sorted(named.items(), key=lambda kv: (-kv[1], kv[0]))]
    return first + ranked
