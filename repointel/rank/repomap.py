"""The repository map: ranked files with the signatures of their key definitions, within an
exact token budget."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from typing import NamedTuple

from ..models import MapEntry, RepoMap, TokenAccount
from ..store import IndexReader
from ..tokens import get_tokenizer
from ..untrusted import escape_line
from .files import map_lead
from .graph import load_graph, pagerank
from .paths import is_auxiliary, python_packages
from .seeds import task_seeds
from .task import analyse_task

__all__ = ["build_map"]

#: Kinds worth showing in a map (fields and locals are noise at this zoom level).
MAP_KINDS = ("class", "interface", "struct", "enum", "trait", "function", "method", "type",
             "module", "namespace", "macro", "constant")
#: At most this many definitions per file: a map shows shape, not every line.
MAX_DEFS_PER_FILE = 40
#: Files considered for a map: far more than any budget fits, few enough to stay fast.
MAX_CANDIDATES = 400


def _production(store: IndexReader, paths: list[str]) -> set[str]:
    """``paths`` less tests, generated files, docs, examples, playgrounds and bundled copies: a
    map shows the code an edit lands in (vite's map opened with a playground's ``log``)."""
    rows = store.rows("SELECT path, is_test OR is_generated OR is_vendored FROM files "
                      "WHERE path IN (SELECT unnest(?))", [paths])
    packages = python_packages(p for p, _ in rows)
    return {p for p, other in rows if not other and not is_auxiliary(p, packages)}


def _ranked(store: IndexReader, task: str | None, lead: list[str]) -> list[tuple[str, float]]:
    """(file, rank) best first: the ``lead`` files first (ranks above 1, in their order), then the
    others by PageRank personalised by the task's seeds, as a share of the top file's (≤ 1)."""
    graph = load_graph(store)
    pers = None
    if task:
        pers = task_seeds(store, graph.nodes, analyse_task(task)) or None
    scores = pagerank(graph, pers)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    keep = _production(store, [p for p, _ in ranked])
    ranked = [(p, s) for p, s in ranked if p in keep][:MAX_CANDIDATES] or ranked[:MAX_CANDIDATES]
    top = ranked[0][1] if ranked and ranked[0][1] > 0 else 1.0
    first = [(p, 1.0 + (len(lead) - i) / len(lead)) for i, p in enumerate(dict.fromkeys(lead))]
    led = set(lead)
    return first + [(p, s / top) for p, s in ranked if p not in led]


class _Def(NamedTuple):
    """A definition as the map shows it: its line, and what orders it within its file."""

    line: int
    text: str
    qualname: str
    #: Index of its enclosing definition in the file's list (None at top level, or when that one
    #: is not shown: private, or of a kind a map leaves out).
    parent: int | None
    importance: float
    #: Its place in the file's order: 0 top-level classes and functions, 1 members, 2 constants.
    tier: int


def _definitions(store: IndexReader, paths: list[str]) -> dict[str, list[_Def]]:
    """The map-worthy definitions of ``paths`` in line order (public names, MAP_KINDS)."""
    every = store.rows(
        "SELECT path, start_line, signature, parent, name, qualname, kind FROM symbols "
        "WHERE path IN (SELECT unnest(?)) AND kind IN (SELECT unnest(?)) ORDER BY path, start_line",
        [paths, list(MAP_KINDS)],
    )
    kind_of = {(r[0], r[5]): r[6] for r in every}
    rows = [r for r in every if (not r[4].startswith("_") or r[4].startswith("__init"))
            and kind_of.get((r[0], r[3])) not in _BODY_KINDS]  # a function's inner helpers are not its API
    importance = _importance(store, sorted({r[4] for r in rows}))
    out: dict[str, list[_Def]] = defaultdict(list)
    index: dict[tuple[str, str], int] = {}  # (path, qualname) → place in out[path]
    for path, line, sig, parent, name, qual, kind in rows:
        if len(out[path]) < MAX_DEFS_PER_FILE:
            text = f"{line:>5}│{'    ' if parent else ''}{sig.strip() or name}"
            tier = 2 if kind == "constant" else 1 if parent else 0
            used = 0.0 if _file_local(path, sig) else importance.get(name, 0.0)
            index[(path, qual)] = len(out[path])
            up = None if parent is None else index.get((path, parent))
            out[path].append(_Def(line, text, qual, up, used, tier))
    return out


#: C and C++ source files (not headers): there a ``static`` definition is private to the file.
#: A header's ``static inline`` functions are compiled into every file including it.
_C_SOURCES = (".c", ".cc", ".cpp", ".cxx")


def _file_local(path: str, signature: str | None) -> bool:
    """A ``static`` definition in a C/C++ source file: no other file can use it, whatever other
    files call their own ``error`` or ``ok`` (redis's map showed a test's static ``error``)."""
    return path.endswith(_C_SOURCES) and (signature or "").lstrip().startswith("static ")


#: Definitions nested in these are a body's helpers, left out of a map.
_BODY_KINDS = ("function", "method")


def _importance(store: IndexReader, names: list[str]) -> dict[str, float]:
    """How much of the repository uses each name: the files referencing it per file defining it
    (a name twenty files define says little about any one of them), log-damped."""
    if not names:
        return {}
    users = dict(store.rows("SELECT name, count(DISTINCT path) FROM refs WHERE name IN (SELECT unnest(?)) "
                            "GROUP BY name", [names]))
    definers = dict(store.rows("SELECT name, count(DISTINCT path) FROM symbols WHERE name IN (SELECT unnest(?)) "
                               "GROUP BY name", [names]))
    return {n: math.log1p(users.get(n, 0) / max(definers.get(n, 1), 1)) for n in names}


#: A file's k-th definition (0-based; top-level ones first, each group most used first) weighs
#: its file's rank times 1 / (1 + k)^DEF_DECAY:
#: the top file shows its most used definitions before a file ranked half as high shows its first,
#: and the budget buys breadth (many files, their key definitions) before depth.
DEF_DECAY = 1.0


def _pairs(ranked: list[tuple[str, float]], defs: dict[str, list[_Def]]) -> list[tuple[str, int | None]]:
    """(file, index into its definitions, or None for a file that has none) in the order the map
    takes them: by file rank times the definition's within-file weight."""
    scored: list[tuple[float, int, int, str, int | None]] = []  # (-weight, file order, k, path, index)
    for order, (path, score) in enumerate(ranked):
        rows = defs.get(path, [])
        if not rows:
            scored.append((-score, order, 0, path, None))
            continue
        # the file's shape first (its top-level definitions), then members, then constants;
        # most used first within each
        by_use = sorted(range(len(rows)), key=lambda i: (rows[i].tier, -rows[i].importance, rows[i].line))
        for k, i in enumerate(by_use):
            scored.append((-score / (1 + k) ** DEF_DECAY, order, k, path, i))
    scored.sort()
    return [(path, i) for _, _, _, path, i in scored]


def _render(ranked: list[tuple[str, float]], defs: dict[str, list[_Def]],
            chosen: list[tuple[str, int | None]]) -> list[tuple[str, float, list[str]]]:
    """(path, rank, lines) of the files ``chosen`` reaches, in rank order; a method shown brings
    its class's line (the map shows where it lives)."""
    picked: dict[str, set[int]] = defaultdict(set)
    for path, i in chosen:
        picked[path]  # noqa: B018 (a file without definitions is shown by its path)
        if i is None:
            continue
        up: int | None = i
        while up is not None:  # the definition and its enclosing ones
            picked[path].add(up)
            up = defs[path][up].parent
    return [(p, s, [defs[p][i].text for i in sorted(picked[p])]) for p, s in ranked if p in picked]


def _text(blocks: list[tuple[str, float, list[str]]]) -> str:
    """The map's text; paths and signatures (repository text) escaped to stay on their lines."""
    return "".join(f"{escape_line(p)}:\n" + "".join(escape_line(line) + "\n" for line in lines) + "\n"
                   for p, _, lines in blocks)


def build_map(store: IndexReader, task: str | None, budget: int, tokenizer: str) -> RepoMap:
    """A ranked map that never exceeds ``budget`` tokens of ``tokenizer``: the files in rank
    order, each with the definitions the budget reaches, most used first (see :func:`_pairs`).
    A task's map opens with the task's best files (:func:`repointel.rank.files.map_lead`)."""
    tok = get_tokenizer(tokenizer)
    commit = store.meta().get("commit") or None
    ranked = _ranked(store, task, map_lead(store, task) if task else [])
    defs = _definitions(store, [p for p, _ in ranked])
    pairs = _pairs(ranked, defs)
    n = _most_that_fit(pairs, lambda k: tok.count(_text(_render(ranked, defs, pairs[:k]))), budget)
    blocks = _render(ranked, defs, pairs[:n])
    text = _text(blocks)
    entries = [MapEntry(path=p, rank=round(s, 8), definitions=lines) for p, s, lines in blocks]
    return RepoMap(commit=commit, entries=entries, text=text,
                   tokens=TokenAccount(tokenizer=tokenizer, budget=budget, used=tok.count(text)))


def _most_that_fit(pairs: list[tuple[str, int | None]], cost: Callable[[int], int], budget: int) -> int:
    """The largest k with ``cost(k) <= budget`` (cost grows with k), by binary search: ~15 exact
    counts of the rendered text, not one per definition."""
    lo, hi = 0, len(pairs)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if cost(mid) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo
