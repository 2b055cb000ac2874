"""The repository map: ranked files with the signatures of their key definitions, within an
exact token budget."""

from __future__ import annotations

from collections import defaultdict

from ..models import MapEntry, RepoMap, TokenAccount
from ..store import IndexStore
from ..tokens import get_tokenizer
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


def _production(store: IndexStore, paths: list[str]) -> set[str]:
    """``paths`` less tests, generated files, docs, examples, playgrounds and bundled copies: a
    map shows the code an edit lands in (vite's map opened with a playground's ``log``)."""
    rows = store.rows("SELECT path, is_test OR is_generated OR is_vendored FROM files "
                      "WHERE path IN (SELECT unnest(?))", [paths])
    packages = python_packages(p for p, _ in rows)
    return {p for p, other in rows if not other and not is_auxiliary(p, packages)}


def _ranked(store: IndexStore, task: str | None) -> list[tuple[str, float]]:
    graph = load_graph(store)
    pers = None
    if task:
        pers = task_seeds(store, graph.nodes, analyse_task(task)) or None
    scores = pagerank(graph, pers)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    keep = _production(store, [p for p, _ in ranked])
    return [(p, s) for p, s in ranked if p in keep][:MAX_CANDIDATES] or ranked[:MAX_CANDIDATES]


def _definitions(store: IndexStore, paths: list[str]) -> dict[str, list[str]]:
    rows = store.rows(
        "SELECT path, start_line, signature, parent, name FROM symbols "
        "WHERE path IN (SELECT unnest(?)) AND kind IN (SELECT unnest(?)) ORDER BY path, start_line",
        [paths, list(MAP_KINDS)],
    )
    out: dict[str, list[str]] = defaultdict(list)
    for path, line, sig, parent, name in rows:
        if len(out[path]) >= MAX_DEFS_PER_FILE or (name.startswith("_") and not name.startswith("__init")):
            continue
        indent = "    " if parent else ""
        out[path].append(f"{line:>5}│{indent}{sig.strip() or name}")
    return out


def build_map(store: IndexStore, task: str | None, budget: int, tokenizer: str) -> RepoMap:
    """A ranked map that never exceeds ``budget`` tokens of ``tokenizer``."""
    tok = get_tokenizer(tokenizer)
    commit = store.meta().get("commit") or None
    ranked = _ranked(store, task)
    defs = _definitions(store, [p for p, _ in ranked])
    blocks = [(p, s, f"{p}:\n" + "".join(d + "\n" for d in defs.get(p, [])) + "\n") for p, s in ranked]
    counts = tok.count_many([b for _, _, b in blocks])
    chosen: list[tuple[str, float, str]] = []
    used = 0
    for (path, score, block), n in zip(blocks, counts):
        if used + n <= budget:
            chosen.append((path, score, block))
            used += n
    text = "".join(b for _, _, b in chosen)
    while chosen and tok.count(text) > budget:  # token merges across block seams
        chosen.pop()
        text = "".join(b for _, _, b in chosen)
    entries = [MapEntry(path=p, rank=round(s, 8), definitions=defs.get(p, [])) for p, s, _ in chosen]
    return RepoMap(commit=commit, entries=entries, text=text,
                   tokens=TokenAccount(tokenizer=tokenizer, budget=budget, used=tok.count(text)))
