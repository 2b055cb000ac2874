"""Task → definitions: which functions, methods, classes and module-level blocks of the best
files a fix most likely edits, each scored with its reasons.

A file's lines are split among its *units*: every definition (function, method, class, …)
owns the lines of its span that no nested definition owns, and the *module block*
(``<module>``) owns the lines outside every definition (imports, constants, top-level code).
Each unit is a document (its own lines' identifiers and words, plus its qualified name), so a
method's text is not counted again for its class, and a task is matched against the code an
edit would touch. The features, each 0..1 per task:

- ``file``: where the unit's file stands in the file ranking (:func:`repointel.rank.files.rank_files`);
- ``body``, ``title``, ``code``: BM25 of the whole task, of its title and of its code spans against
  the unit's text (idf over the repository's files);
- ``named``: the task writes the unit's name (an identifier, a code span, a dotted path's last part);
- ``frame``: a stack frame of the task points into the unit (its line, or its function's name);
- ``near``: the unit calls or is called by a unit the task names or a frame points at.

The file's bytes come from a reader the caller passes (the packet's view of files: secret files
withheld, so they are never scored nor shown)."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..extract.terms import terms_of_words, utf8_word_counts, word_counts
from ..store import IndexReader
from .files import Candidate, idf_of
from .lexical import BM25_B, BM25_K1, MAX_QUERY_TF
from .task import TaskTerms

__all__ = ["MODULE", "RankedDefinition", "rank_definitions"]

#: The qualified name of a file's module-level block.
MODULE = "<module>"
#: Files whose units are scored: on the dev set every instance whose gold definitions reach the top
#: 5 or 10 of the definition ranking has them in the best 6 files (the same Acc@5/10 for 6, 8 and 12
#: files); 8 leaves room for a second file of a fix, at ~500 units a task instead of ~700.
DEFINITION_FILES = 8
#: Symbol kinds that own no lines of their own: their text stays with the unit that holds them.
NOT_UNITS = ("variable", "field", "constant")
#: Kinds whose span holds other definitions: packed as their own lines (header, docstring,
#: attributes), never as the whole span.
CONTAINERS = frozenset({"class", "module", "namespace", "interface", "struct", "enum", "trait", "impl"})

# Weights of the features (see the module docstring), each feature 0..1 per task. Fitted on the
# dev set only (benchmarks/tune_definitions.py: coordinate ascent over a grid for function-level
# Acc@5, then Acc@10 and Acc@1), rounded; each comment says what the fit found.
#: Where the file stands: 1 for the best file, 1/2 for the second, … (a rank, not a score: fused
#: file scores are on no fixed scale).
W_FILE = 0.8
#: The best file again: the edited definition sits in the best file for most issues.
W_TOP = 0.6
#: BM25 of the whole task against the unit's own text.
W_BODY = 1.0
#: BM25 of the title alone: the title states the subject, and counts more than the body.
W_TITLE = 1.3
#: BM25 of the task's code spans: the reporter's code calls the API, rarely the place to fix
#: (slightly negative: a unit matching only the example is its entry point).
W_CODE = -0.2
#: The task's exact identifiers the unit writes (idf-weighted).
W_IDENT = 1.0
#: The task writes the unit's name: a pointer, but tasks name the API they called as often as the
#: code that breaks.
W_NAMED = 0.45
#: A stack frame points into the unit: the strongest single pointer.
W_FRAME = 3.0
#: A caller or callee of the best-scoring units (a fix often spans both).
W_NEAR = 0.3
#: The unit's file changes together with the best file (history map): it says which file, not
#: which definition, and counts against scattered units of co-changing files.
W_COCHANGE = -0.4
#: The module block (imports, constants): fixes add an import or a constant as often as not.
W_MODULE = 0.45
#: ... the best file's, above all.
W_TOP_MODULE = 0.45
#: A plain word (not identifier-like) naming a unit counts this share of an identifier.
PLAIN_WORD_NAME = 0.5
#: Names shorter than this never count as named by the task (``x``, ``f``, ``id``).
MIN_NAME = 3
#: The best-scoring units whose callers and callees get the ``near`` feature.
NEAR_SEEDS = 3
#: Units whose callers and callees are listed: the ones a packet shows first.
NEIGHBOUR_DEFS = 8
#: Callers and callees listed per unit: a signature each, enough to see how it is used.
NEIGHBOURS = 6

#: Features worth naming in a definition's reasons (the others are where it stands, not why).
_REASONS = ("body", "title", "code", "ident", "named", "frame", "near")

WEIGHTS: dict[str, float] = {"file": W_FILE, "top": W_TOP, "body": W_BODY, "title": W_TITLE, "code": W_CODE,
                             "ident": W_IDENT, "named": W_NAMED, "frame": W_FRAME, "near": W_NEAR,
                             "cochange": W_COCHANGE, "module": W_MODULE, "top_module": W_TOP_MODULE}


@dataclass
class RankedDefinition:
    """A unit of a file the fix may edit: its span, the lines it owns, its score and reasons."""

    path: str
    qualname: str
    name: str
    kind: str
    start_line: int
    end_line: int
    parent: str | None
    #: (start, end) runs of the lines the unit owns (1-based inclusive), in order.
    segments: list[tuple[int, int]]
    signature: str = ""
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    #: Keys (``path::qualname``) of the scored units this one calls and of those calling it, best
    #: first (filled for the best NEIGHBOUR_DEFS units).
    calls: list[str] = field(default_factory=list)
    callers: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """``path::qualname``: how benchmarks name a definition."""
        return f"{self.path}::{self.qualname}"


@dataclass
class _Unit:
    """A unit with what scoring needs: its definition, term counts, length and words."""

    defn: RankedDefinition
    terms: dict[str, int]
    length: int
    words: frozenset[str]
    #: Names the unit's text calls (a name followed by ``(``): its callees, in any C-like syntax.
    called: frozenset[str]


#: Units of each file, by (index file, path) and kept while the file's sha256 is the same:
#: packets in an agent's edit → index → packet loop recount only the edited files.
_UNITS: dict[tuple[str, str], tuple[str | None, list[_Unit]]] = {}
#: Files whose units stay cached (a few MB at most).
_UNIT_FILES = 512
_LOCK = threading.Lock()

Reader = Callable[[str], bytes | None]
#: A call by name: ``name(`` or ``.name(`` (the receiver is not resolved: a name is a name).
_CALL = re.compile(rb"([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(")
_DefRow = tuple[str, str, str, int, int, str | None, str]  # name, qualname, kind, start, end, parent, signature


def rank_definitions(store: IndexReader, terms: TaskTerms, files: Sequence[Candidate], read: Reader,
                     weights: Mapping[str, float] | None = None) -> list[RankedDefinition]:
    """The units of the best DEFINITION_FILES files, best first (ties: file rank, then line)."""
    w = weights or WEIGHTS
    top = [c.path for c in files[:DEFINITION_FILES]]
    units = _units(store, top, read)
    if not units:
        return []
    file_rank = {p: i for i, p in enumerate(top)}
    feats = _features(store, terms, units, file_rank)
    weighted = [(k, v) for k, v in w.items() if v]
    base = [sum(v * f.get(k, 0.0) for k, v in weighted) for f in feats]
    near = _near(units, base)  # proximity to the strongest units, a second pass
    out = []
    for u, f, b, n in zip(units, feats, base, near):
        f["near"] = n
        # a fresh record per task: the cached units are shared by packets on other threads
        out.append(replace(u.defn, features=f, score=round(b + w.get("near", 0.0) * n, 6),
                           reasons=[f"{k}:{f[k]:.2f}" for k in _REASONS if f.get(k, 0.0) >= 0.2],
                           calls=[], callers=[]))
    order = sorted(range(len(units)), key=lambda i: (-out[i].score, file_rank[out[i].path], out[i].start_line))
    _link_neighbours([out[i] for i in order], [units[i].called for i in order])
    return [out[i] for i in order]


def _link_neighbours(defs: list[RankedDefinition], words: list[frozenset[str]]) -> None:
    """``calls`` and ``callers`` of the first NEIGHBOUR_DEFS definitions (``defs`` best first,
    ``words`` the names their texts call): the units they call by name, and those calling them."""
    for d, mine in zip(defs[:NEIGHBOUR_DEFS], words):
        if d.qualname == MODULE:
            continue
        for v, theirs in zip(defs, words):
            if v is d or v.qualname == MODULE or len(v.name) < MIN_NAME:
                continue
            if v.name in mine and len(d.calls) < NEIGHBOURS and v.kind not in CONTAINERS:
                d.calls.append(v.key)
            if d.name in theirs and len(d.callers) < NEIGHBOURS:
                d.callers.append(v.key)


def _features(store: IndexReader, terms: TaskTerms, units: list[_Unit],
              file_rank: Mapping[str, int]) -> list[dict[str, float]]:
    """Every feature of every unit (see the module docstring)."""
    avg = sum(u.length for u in units) / len(units) or 1.0
    body = _bm25(store, terms.terms, units, avg)
    title = _bm25(store, dict.fromkeys(terms.title_terms, 1), units, avg)
    code = _bm25(store, terms.code_terms, units, avg)
    ident = _identifiers(store, terms, units)
    named = [_named(u.defn, terms) for u in units]
    frame = [_frame(u.defn, terms) for u in units]
    together = _cochange(store, [p for p, r in sorted(file_rank.items(), key=lambda kv: kv[1])])
    longest = math.log1p(max(u.defn.end_line - u.defn.start_line + 1 for u in units))
    return [{"file": 1.0 / (1 + file_rank[u.defn.path]), "body": body[i], "title": title[i], "code": code[i],
             "ident": ident[i], "named": named[i], "frame": frame[i],
             "cochange": together.get(u.defn.path, 0.0),
             "module": float(u.defn.qualname == MODULE), "container": float(u.defn.kind in CONTAINERS),
             "top": float(file_rank[u.defn.path] == 0),
             "top_module": float(file_rank[u.defn.path] == 0 and u.defn.qualname == MODULE),
             "size": math.log1p(u.defn.end_line - u.defn.start_line + 1) / longest if longest else 0.0}
            for i, u in enumerate(units)]


def _bm25(store: IndexReader, query: Mapping[str, int], units: list[_Unit], avg: float) -> list[float]:
    """Okapi BM25 of ``query`` against each unit, normalised to the best (all 0 when none matches)."""
    idf = idf_of(store, query)
    weight = {t: min(qn, MAX_QUERY_TF) * idf[t] * (BM25_K1 + 1) for t, qn in query.items() if idf.get(t)}
    scores = []
    for u in units:
        norm = BM25_K1 * (1 - BM25_B + BM25_B * u.length / avg)
        terms = u.terms
        # fsum: exact whatever the order the set yields the terms in (string hashes vary by process)
        scores.append(math.fsum(weight[t] * terms[t] / (terms[t] + norm) for t in weight.keys() & terms.keys()))
    top = max(scores, default=0.0)
    return [s / top if top > 0 else 0.0 for s in scores]


def _cochange(store: IndexReader, paths: list[str]) -> dict[str, float]:
    """For each of ``paths`` after the first, how often it changed in the same commits as the
    best file (the history map), as a share of the most: a fix's second file is often one that
    always changes with the first."""
    if len(paths) < 2:
        return {}
    counts = dict(store.rows("SELECT partner, count FROM cochange WHERE path = ? AND partner IN (SELECT unnest(?))",
                             [paths[0], paths[1:]]))
    top = max(counts.values(), default=0)
    return {p: n / top for p, n in counts.items()} if top else {}


def _identifiers(store: IndexReader, terms: TaskTerms, units: list[_Unit]) -> list[float]:
    """Per unit, the summed idf of the task's code-like identifiers (``SERVER_NAME``,
    ``get_cookie_domain``) its text writes exactly, normalised to the best: an exact name is a
    sharper pointer than its split words."""
    names = {n for n in set(terms.identifiers) | set(terms.code_identifiers) if len(n) >= MIN_NAME}
    idf = idf_of(store, {n.lower(): 1 for n in names})
    weight = {n: idf.get(n.lower(), 0.0) for n in names}
    scores = [math.fsum(w for n, w in weight.items() if n in u.words) for u in units]
    top = max(scores, default=0.0)
    return [s / top if top > 0 else 0.0 for s in scores]


def _named(d: RankedDefinition, terms: TaskTerms) -> float:
    """1 when the task writes the unit's name as code (identifier, code span, dotted path's last
    part or the whole qualified name), PLAIN_WORD_NAME when only as a plain word, else 0."""
    if d.qualname == MODULE or len(d.name) < MIN_NAME:
        return 0.0
    code = set(terms.identifiers) | set(terms.code_identifiers)
    dotted = {part for name in terms.dotted for part in (name, name.rsplit(".", 1)[-1])}
    if d.name in code or d.name in dotted or d.qualname in dotted or any(
            name.endswith("." + d.qualname) for name in terms.dotted):
        return 1.0
    return PLAIN_WORD_NAME if d.name in terms.words else 0.0


def _frame(d: RankedDefinition, terms: TaskTerms) -> float:
    """1 when a stack frame's file is the unit's and its line falls in the unit's span; 0.5 when
    only the frame's function is the unit's name in the same file."""
    best = 0.0
    for path, line, func in terms.frames:
        if not _same_file(path, d.path):
            continue
        if d.start_line <= line <= d.end_line and d.qualname != MODULE and not _contains_other(d):
            best = 1.0
        elif func and func == d.name:
            best = max(best, 0.5)
    return best


def _contains_other(d: RankedDefinition) -> bool:
    """A container whose span holds other units: a frame line inside it names those, not it."""
    return d.kind in CONTAINERS


def _same_file(frame_path: str, path: str) -> bool:
    frame_path = frame_path.replace("\\", "/")
    return frame_path == path or frame_path.endswith("/" + path)


def _near(units: list[_Unit], base: list[float]) -> list[float]:
    """1 for a unit that calls one of the NEAR_SEEDS best-scoring units or is called by one (by
    name: ``name(`` in the caller's text), else 0; a fix often spans a function and its caller."""
    seeds = sorted(range(len(units)), key=lambda i: -base[i])[:NEAR_SEEDS]
    names = {units[i].defn.name for i in seeds if units[i].defn.qualname != MODULE}
    calls = set().union(*(units[i].called for i in seeds))
    out = []
    for i, u in enumerate(units):
        d = u.defn
        linked = d.qualname != MODULE and i not in seeds and (bool(names & u.called) or d.name in calls)
        out.append(float(linked))
    return out


# --------------------------------------------------------------------------- units


def _units(store: IndexReader, paths: list[str], read: Reader) -> list[_Unit]:
    """The units of ``paths`` (files that cannot be read are left out), from the cache when the
    file's sha256 is unchanged."""
    if not paths:
        return []
    sha = dict(store.rows("SELECT path, sha256 FROM files WHERE path IN (SELECT unnest(?))", [paths]))
    with _LOCK:
        cached = {p: _UNITS.get((store.db_path, p)) for p in paths}
    todo = [p for p in paths if cached[p] is None or cached[p][0] != sha.get(p)]  # type: ignore[index]
    fresh = _build_units(store, todo, read) if todo else {}
    out: list[_Unit] = []
    with _LOCK:
        for p, units in fresh.items():
            _UNITS.pop((store.db_path, p), None)
            _UNITS[(store.db_path, p)] = (sha.get(p), units)
        while len(_UNITS) > _UNIT_FILES:
            _UNITS.pop(next(iter(_UNITS)))
    for p in paths:
        entry = fresh.get(p) if p in fresh else (cached[p][1] if cached[p] is not None else None)  # type: ignore[index]
        out += entry or []
    return out


def _build_units(store: IndexReader, paths: list[str], read: Reader) -> dict[str, list[_Unit]]:
    rows: dict[str, list[_DefRow]] = {p: [] for p in paths}
    for p, name, qual, kind, start, end, parent, sig in store.rows(
        "SELECT path, name, qualname, kind, start_line, end_line, parent, signature FROM symbols "
        f"WHERE path IN (SELECT unnest(?)) AND kind NOT IN {NOT_UNITS} ORDER BY path, start_line", [paths]
    ):
        rows[p].append((name, qual, kind, start, end, parent, sig or ""))
    out: dict[str, list[_Unit]] = {}
    for p in paths:
        data = read(p)
        if data is not None:
            out[p] = file_units(p, data.splitlines(keepends=True), rows[p])
    return out


def owners_of_lines(n_lines: int, spans: Sequence[tuple[int, int]]) -> list[int]:
    """For each line (0-based list of 1-based lines), the index of the innermost span holding
    it, or -1 outside every span. Inner spans are the shorter ones."""
    owner = [-1] * n_lines
    for i in sorted(range(len(spans)), key=lambda k: -(spans[k][1] - spans[k][0])):
        s, e = spans[i]
        for line in range(max(1, s), min(n_lines, e) + 1):
            owner[line - 1] = i
    return owner


def segments_by_owner(owner: list[int]) -> dict[int, list[tuple[int, int]]]:
    """Each owner's (start, end) runs of lines (1-based inclusive), in one pass over the lines."""
    out: dict[int, list[tuple[int, int]]] = {}
    for i, o in enumerate(owner, 1):
        runs = out.setdefault(o, [])
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return out


def file_units(path: str, lines: list[bytes], defs: Sequence[_DefRow]) -> list[_Unit]:
    """The units of one file: each definition of ``defs`` (name, qualname, kind, start, end,
    parent, signature) with the lines it owns, and the module block when it owns any line."""
    owner = owners_of_lines(len(lines), [(d[3], d[4]) for d in defs])
    texts: list[list[bytes]] = [[] for _ in range(len(defs) + 1)]
    for i, o in enumerate(owner):
        texts[o].append(lines[i])  # o == -1: the module block, last
    runs = segments_by_owner(owner)
    units = []
    for i, (name, qual, kind, start, end, parent, sig) in enumerate(defs):
        segs = runs.get(i)
        if segs:
            units.append(_unit(RankedDefinition(path, qual, name, kind, start, end, parent, segs, sig), texts[i]))
    segs = runs.get(-1)
    if segs and any(line.strip() for line in texts[-1]):
        units.append(_unit(RankedDefinition(path, MODULE, MODULE, "module", 1, len(lines), None, segs), texts[-1]))
    return units


def _unit(d: RankedDefinition, lines: list[bytes]) -> _Unit:
    data = b"".join(lines)
    try:
        data.decode("utf-8")
        words = utf8_word_counts(data)
    except UnicodeDecodeError:
        words = dict(word_counts(data.decode("utf-8", "replace")))
    counts = dict(terms_of_words(words, {part: 1 for part in d.qualname.split(".")}))
    return _Unit(d, counts, sum(counts.values()), frozenset(words), frozenset(
        m.decode("ascii", "replace") for m in _CALL.findall(data)))

