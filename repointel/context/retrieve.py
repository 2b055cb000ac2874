"""Candidate files for a task: BM25 over our own term tables, task seeds (paths, frames,
symbols), and personalised PageRank over the file graph, fused into one score."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..extract.terms import split_identifier
from ..rank.graph import load_graph, pagerank
from ..rank.lexical import bm25_scores
from ..rank.seeds import task_seeds
from ..rank.task import TaskTerms
from ..store import IndexStore

__all__ = ["Candidate", "rank_files"]

#: Weight of the normalised BM25 score (0..1): lexical overlap is the most reliable single
#: signal on the dev set (grid search in benchmarks/tune_weights.py).
W_BM25 = 1.5
#: Weight of direct task seeds (path, frame, symbol mentions), normalised to 0..1.
W_SEED = 1.0
#: Weight of personalised PageRank (normalised to 0..1): neighbours of strong candidates.
W_GRAPH = 0.6
#: Weight of the share of a file's path the task names (normalised to 0..1).
W_PATH = 0.8
#: Path parts named in the title count this much more.
TITLE_PATH_BOOST = 2.0
#: Files seeding PageRank beyond the direct seeds: the top BM25 hits.
PAGERANK_BM25_SEEDS = 10
#: Test files are kept out of the production ranking (they are pulled in by the test map).
TEST_PENALTY = 0.0
#: Files under docs/ examples/ benchmarks/ are rarely what must change.
AUX_DIR_FACTOR = 0.4
_AUX_DIRS = ("doc/", "docs/", "example/", "examples/", "benchmarks/", "bench/", "scripts/")


@dataclass
class Candidate:
    """A file's fused score and the reasons behind it."""

    path: str
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)


def bm25(store: IndexStore, terms: Mapping[str, int]) -> dict[str, float]:
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


def _eligible(store: IndexStore) -> tuple[set[str], set[str]]:
    rows = store.rows(
        "SELECT path, is_test FROM files WHERE status = 'indexed' AND language IS NOT NULL "
        "AND NOT is_vendored AND NOT is_generated")
    return {p for p, t in rows if not t}, {p for p, t in rows if t}


#: The fused features and their weights, in one place (tuned on the dev set only).
WEIGHTS: dict[str, float] = {"bm25": W_BM25, "mentioned": W_SEED, "graph": W_GRAPH, "pathmatch": W_PATH}


def rank_files(store: IndexStore, terms: TaskTerms,
               weights: dict[str, float] | None = None) -> list[Candidate]:
    """Production source files ranked for the task, best first."""
    w = weights or WEIGHTS
    prod, tests = _eligible(store)
    lexical = _normalise({p: s for p, s in bm25(store, terms.terms).items() if p in prod})
    graph = load_graph(store)
    seeds_raw = {p: s for p, s in task_seeds(store, graph.nodes, terms).items() if p in prod}
    seeds = _normalise({p: math.log1p(s) for p, s in seeds_raw.items()})
    pers = dict(seeds)
    for p, s in sorted(lexical.items(), key=lambda kv: -kv[1])[:PAGERANK_BM25_SEEDS]:
        pers[p] = pers.get(p, 0.0) + s
    ranks = _normalise({p: s for p, s in pagerank(graph, pers or None).items() if p in prod})
    out: dict[str, Candidate] = {}
    paths = _normalise(path_match(prod, terms))
    for name, part in (("bm25", lexical), ("mentioned", seeds), ("graph", ranks), ("pathmatch", paths)):
        for p, s in part.items():
            c = out.setdefault(p, Candidate(p))
            c.features[name] = s
            c.score += w[name] * s
            if s >= 0.2:
                c.reasons.append(f"{name}:{s:.2f}")
    for c in out.values():
        if c.path.startswith(_AUX_DIRS) or "/examples/" in c.path:
            c.score *= AUX_DIR_FACTOR
            c.features["aux"] = 1.0
    return sorted(out.values(), key=lambda c: (-c.score, c.path))
