"""Build a context packet: rank files for a task, choose snippets in priority tiers, and pack
them into an exact token budget with provenance on every item."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..config import SCHEMA_VERSION
from ..errors import BudgetError
from ..extract.terms import terms_of
from ..models import ContextItem, ContextPacket, TokenAccount
from ..rank.task import TaskTerms, analyse_task
from ..store import IndexStore
from ..tokens import Tokenizer, get_tokenizer
from .render import render, render_header, render_item
from .retrieve import Candidate, definition_matches, rank_files

__all__ = ["build_packet", "narrowed_commands"]

#: Ranked files listed in the header (cheap: paths only).
HEADER_FILES = 10
#: Ranked files a packet carries in ``ranked_files``: enough to pack whole files up to 50k tokens
#: in rank order; the tail below them is every file that matched a word, which adds bytes, not signal.
RANKED_FILES = 100
#: Share of the budget the JSON header's ``ranked_files`` may take before it is cut (never below
#: HEADER_FILES): the items are the payload (on tokio, 505 paths took 6k tokens and every item).
RANKED_LIST_SHARE = 0.2
#: Files whose whole text is at most this many tokens go in whole: cutting them saves little.
WHOLE_FILE_TOKENS = 1200
#: Bytes above which a file is not counted for the whole-file rule: source code runs 3-4 bytes a
#: token, so 8 bytes a token is far beyond any real file of WHOLE_FILE_TOKENS.
WHOLE_FILE_BYTES = 8 * WHOLE_FILE_TOKENS
#: Top files that get snippets (tier 1); later files appear as outlines only.
SNIPPET_FILES = 6
#: Largest single definition snippet; bigger definitions are cut to their head.
MAX_SNIPPET_TOKENS = 1500
#: Dependencies outlined per top file (tier 2).
DEPS_PER_FILE = 3
#: Tests pulled in per top file (tier 3).
TESTS_PER_FILE = 2
#: Ranked files after the snippet files that get an outline when room remains (tier 4).
OUTLINED_FILES = 10
#: No real source text averages this many characters a token (code runs 3-4): a text longer than
#: this many times the free tokens is rejected without counting it (counting costs ~1 ms per 4 KB).
MAX_CHARS_PER_TOKEN = 12
#: Characters an outline line adds to its signature (line number, indent, newline).
OUTLINE_LINE_CHARS = 12
#: Files whose definitions stay cached for the next packet on the same index state (hub files
#: recur across tasks); a few MB at most.
SHARED_DEF_FILES = 256
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
#: A comment that is a license or copyright notice: tokens an agent pays for and never needs
#: (spring-petclinic's Apache header is 15 lines, ~130 tokens, on every file).
_LICENSE_WORDS = re.compile(rb"(?i)licen[sc]e|copyright|\(c\)|spdx-license-identifier|all rights reserved")
#: Longest leading comment treated as a license header; a longer one is read as documentation.
MAX_LICENSE_LINES = 40
#: Lines shown of a big file with no definitions to choose by (a vendored file the task names):
#: about a screen, around the task's words.
WINDOW_LINES = 60


@dataclass
class _Source:
    """A file's current bytes and lines, read once per packet."""

    path: str
    data: bytes
    lines: list[bytes]
    fresh: bool


_Def = tuple[str, str, str, int, int, str, str | None]  # name, qualname, kind, start, end, sig, parent
_NOT_OUTLINED = ("variable", "field")  # kinds an outline leaves out


class _IndexState:
    """What packets built on one index state share: outline sizes and recently used definitions."""

    def __init__(self, store: IndexStore) -> None:
        self.outline_chars: dict[str, int] = dict(store.rows(
            f"SELECT path, sum(length(coalesce(signature, name)) + {OUTLINE_LINE_CHARS})::BIGINT "
            f"FROM symbols WHERE kind NOT IN {_NOT_OUTLINED} GROUP BY path"))
        self.defs: dict[str, list[_Def]] = {}

    def keep(self, paths: list[str], defs: dict[str, list[_Def]]) -> None:
        """Remember the definitions of ``paths`` (the oldest are dropped beyond SHARED_DEF_FILES)."""
        for p in paths:
            self.defs.pop(p, None)
            self.defs[p] = defs[p]
        while len(self.defs) > SHARED_DEF_FILES:
            self.defs.pop(next(iter(self.defs)))


_STATES: dict[tuple[str, str], _IndexState] = {}


def _state(store: IndexStore) -> _IndexState:
    key = (store.db_path, store.meta().get("indexed_at", ""))
    if key not in _STATES:
        _STATES.clear()  # one index state at a time: an older one is never read again
        _STATES[key] = _IndexState(store)
    return _STATES[key]


class _Files:
    """The packet's view of files: index rows and definitions loaded in batches (one query per
    batch, not per file), each file's bytes read once, secret files withheld."""

    def __init__(self, root: str, store: IndexStore) -> None:
        self.root, self.store = root, store
        self.rows: dict[str, tuple[bytes, str | None, bool]] = {}  # path → (raw path, sha, secret)
        self.defs: dict[str, list[_Def]] = {}
        self.named_defs: dict[str, list[_Def]] = {}  # only the task's names, for files too big to outline
        self.state = _state(store)
        self.sources: dict[str, _Source | None] = {}

    def preload(self, paths: list[str]) -> None:
        """Fetch the index rows of ``paths`` not loaded yet, with the size of their outlines."""
        todo = sorted({p for p in paths if p not in self.rows})
        if not todo:
            return
        for path, raw, sha, secret in self.store.rows(
            "SELECT f.path, f.raw_path, f.sha256, f.path IN (SELECT path FROM risks WHERE tag = 'secrets' "
            "AND path IN (SELECT unnest(?))) FROM files f WHERE f.path IN (SELECT unnest(?))", [todo, todo]
        ):
            self.rows[path] = (raw, sha, bool(secret))

    def load_defs(self, paths: list[str], named: set[str] | None = None) -> None:
        """Fetch the definitions of ``paths`` not loaded yet, in one query; with ``named``, only
        those whose lower-cased name or qualified name is in it (kept apart: never outlined)."""
        target = self.defs if named is None else self.named_defs
        if named is None:  # whole lists are shared by packets built on the same index state
            target.update((p, self.state.defs[p]) for p in paths if p in self.state.defs)
        todo = sorted({p for p in paths if p not in target})
        if not todo:
            return
        for p in todo:
            target[p] = []
        only, params = "", [todo]
        if named is not None:
            only = "AND (lower(name) IN (SELECT unnest(?)) OR lower(qualname) IN (SELECT unnest(?)))"
            params += [sorted(named), sorted(named)]
        for row in self.store.rows(
            "SELECT path, name, qualname, kind, start_line, end_line, signature, parent FROM symbols "
            f"WHERE path IN (SELECT unnest(?)) {only} ORDER BY path, start_line", params,
        ):
            target[row[0]].append(tuple(row[1:]))
        if named is None:
            self.state.keep(todo, target)

    def fits(self, path: str, room: int) -> bool:
        """Whether the outline of ``path`` could fit in ``room`` tokens (see MAX_CHARS_PER_TOKEN)."""
        return self.state.outline_chars.get(path, 0) <= MAX_CHARS_PER_TOKEN * room

    def definitions(self, path: str) -> list[_Def]:
        """The file's definitions in line order (fetched on first use)."""
        self.load_defs([path])
        return self.defs[path]

    def source(self, path: str) -> _Source | None:
        """The file's current bytes, or None when unreadable, unknown or holding a secret."""
        if path not in self.sources:
            self.preload([path])
            self.sources[path] = self._read(path)
        return self.sources[path]

    def _read(self, path: str) -> _Source | None:
        row = self.rows.get(path)
        if row is None:
            return None
        raw, sha, secret = row
        try:
            with open(os.path.join(os.fsencode(self.root), raw), "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        fresh = hashlib.sha256(data).hexdigest() == sha
        # the index's verdict holds for the bytes it saw; changed bytes are scanned now
        if secret or _is_secret_name(path) or (not fresh and _has_secret(data)):
            return None  # a file holding a secret never enters a packet, not even in part
        return _Source(path, data, data.splitlines(keepends=True), fresh)


def _is_secret_name(path: str) -> bool:
    from ..extract.risk import is_secret_file

    return is_secret_file(path)


def _has_secret(data: bytes) -> bool:
    from ..extract.risk import find_secret_spans

    return bool(find_secret_spans(data.decode("utf-8", "replace")))


def _item(src: _Source, start: int, end: int, kind: str, commit: str | None, score: float,
          reasons: list[str], content: str | None = None) -> ContextItem | None:
    """An item for lines start..end (1-based inclusive) of a file already cleared of secrets."""
    chunk = b"".join(src.lines[start - 1 : end])
    text = content if content is not None else chunk.decode("utf-8", "replace")
    flags = ["invisible_or_bidi_characters"] if _INVISIBLE.search(text) else []
    digest = hashlib.sha256(text.encode("utf-8") if content is not None else chunk).hexdigest()
    return ContextItem(
        id="", type=kind,  # type: ignore[arg-type]
        path=src.path, line_range=f"{start}-{end}", content=text, sha256=digest, commit=commit,
        freshness="current" if src.fresh else "stale", score=round(score, 4), reasons=reasons,
        flags=flags,
    )


def _outline(src: _Source, defs: list[Any]) -> str:
    out = []
    for name, _q, kind, start, _end, sig, parent in defs:
        if kind in _NOT_OUTLINED:
            continue
        out.append(f"{start:>5}: {'    ' if parent else ''}{sig or name}")
    return "\n".join(out) + "\n"


def _wanted(terms: TaskTerms) -> set[str]:
    """Lower-cased names whose definitions a packet shows as snippets."""
    wanted = {w.lower() for w in list(terms.identifiers) + list(terms.code_identifiers)}
    return wanted | {t for t, n in terms.terms.items() if n >= 2 and len(t) >= 4}


#: A big file whose definitions the task does not name exactly shows up to this many of the
#: definitions holding its rare terms (redis's ``zrangestoreCommand`` for "ZRANGESTORE").
MATCHED_SPANS = 3
#: ... each within this share of the best match's strength: the others match a lesser term.
MATCHED_SHARE = 0.6
#: Task names shorter than this (``x``, ``id``) do not pick test functions: every test uses them.
MIN_TEST_NAME = 3
#: Lines above a definition read for its attributes (Rust's ``#[test]`` is not in its span).
TEST_ATTRIBUTE_LINES = 3
#: A test whose own name holds a task name (test_Rational_new for "Rational") is about it: this
#: counts like a name only that test uses.
TEST_NAME_MATCH = 1.0
#: Kinds whose span is a container, never a snippet of its own.
_CONTAINERS = ("variable", "field", "class", "module", "namespace", "interface", "struct", "enum", "trait",
               "type", "constant")


def _matched_spans(store: IndexStore, defs: list[Any], terms: TaskTerms,
                   taken: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Up to MATCHED_SPANS definitions (functions, methods) holding the task's rare terms, best
    first, when the task names fewer than MATCHED_SPANS definitions of the file exactly."""
    if len(taken) >= MATCHED_SPANS:
        return []
    cands = [d for d in defs if d[2] not in _CONTAINERS]
    scores = definition_matches(store, terms.terms, [f"{d[1]} {d[5] or ''}" for d in cands])
    best = max(scores, default=0.0)
    out: list[tuple[int, int, str]] = []
    for score, d in sorted(zip(scores, cands), key=lambda sd: -sd[0]):
        if score <= 0 or score < MATCHED_SHARE * best or len(taken) + len(out) >= MATCHED_SPANS:
            break
        if not any(s <= d[4] and d[3] <= e for s, e, _ in taken + out):
            out.append((d[3], d[4], d[1]))
    return out


def _relevant_spans(defs: list[Any], terms: TaskTerms) -> list[tuple[int, int, str]]:
    wanted = _wanted(terms)
    spans = []
    for name, qualname, kind, start, end, _sig, _parent in defs:
        if kind in ("variable", "field", "class", "module", "namespace"):
            continue
        if name.lower() in wanted or qualname.lower() in wanted:
            spans.append((start, end, qualname))
    merged: list[tuple[int, int, str]] = []
    for s, e, q in sorted(spans):
        if merged and s <= merged[-1][1]:
            ps, pe, pq = merged[-1]
            merged[-1] = (ps, max(pe, e), pq)
        else:
            merged.append((s, e, q))
    return merged


class _Packer:
    """Adds items in priority order while the running token count fits the budget."""

    def __init__(self, tok: Tokenizer, budget: int, fmt: str) -> None:
        self.tok, self.budget, self.fmt = tok, budget, fmt
        self.items: list[ContextItem] = []
        self.used = 0
        self.spans: dict[str, list[tuple[int, int]]] = {}

    def overlaps(self, path: str, start: int, end: int) -> bool:
        return any(s <= end and start <= e for s, e in self.spans.get(path, []))

    @property
    def room(self) -> int:
        """Tokens still free."""
        return self.budget - self.used

    def cost(self, item: ContextItem) -> int | None:
        """The item's exact token count, or None when its text is too long to fit at all."""
        text = item.model_dump_json(indent=1) if self.fmt == "json" else render_item(item)
        if len(text) > MAX_CHARS_PER_TOKEN * self.room:
            return None
        return self.tok.count(text) + (4 if self.fmt == "json" else 0)

    def add(self, item: ContextItem | None) -> bool:
        if item is None:
            return False
        start, end = (int(x) for x in item.line_range.split("-"))
        if self.overlaps(item.path, start, end):
            return False
        n = self.cost(item)
        if n is None or self.used + n > self.budget:
            return False
        item.id = f"ctx-{len(self.items) + 1:05d}"
        self.items.append(item)
        self.used += n
        self.spans.setdefault(item.path, []).append((start, end))
        return True


def _license_lines(lines: list[bytes]) -> int:
    """How many leading lines are a license header: one comment block (``/* … */`` or a run of
    ``//``, ``#`` or ``--`` lines) that names a license or copyright, with the blank lines after it.
    0 when there is none, when it is longer than MAX_LICENSE_LINES, or when nothing follows it."""
    first = lines[0].lstrip() if lines else b""
    end = 0
    if first.startswith(b"/*"):
        end = next((i + 1 for i, ln in enumerate(lines[:MAX_LICENSE_LINES]) if b"*/" in ln), 0)
        if end and not lines[end - 1].rstrip().endswith(b"*/"):
            return 0  # code after the comment on its last line
    else:
        prefix = next((p for p in (b"//", b"#", b"--") if first.startswith(p) and not first.startswith(b"#!")), None)
        while prefix and end < len(lines) and end < MAX_LICENSE_LINES and lines[end].lstrip().startswith(prefix):
            end += 1
    if not end or end >= MAX_LICENSE_LINES or not _LICENSE_WORDS.search(b"".join(lines[:end])):
        return 0
    while end < len(lines) and not lines[end].strip():
        end += 1
    return end if end < len(lines) else 0


def _add_file(store: IndexStore, pk: _Packer, src: _Source, defs: list[Any], terms: TaskTerms,
              cand: Candidate, commit: str | None, outline: bool = True, bare: bool = False) -> None:
    """Tier 1 for one file: the whole file when small, else the definitions the task names (or,
    short of those, the ones holding its rare terms), then (when ``defs`` holds every definition)
    the file's outline. A ``bare`` file (nothing to outline: not parsed, or no definitions) shows
    the WINDOW_LINES lines that hold most of the task's words instead."""
    n_lines = len(src.lines)
    # a file over WHOLE_FILE_BYTES cannot be that few tokens in practice: skip counting it
    small = (len(src.data) <= WHOLE_FILE_BYTES
             and pk.tok.count(src.data.decode("utf-8", "replace")) <= WHOLE_FILE_TOKENS)
    if n_lines and small:
        skip = _license_lines(src.lines)
        reasons = cand.reasons + ["whole_file"] + ([f"license_header_omitted:1-{skip}"] if skip else [])
        pk.add(_item(src, skip + 1, n_lines, "source_snippet", commit, cand.score, reasons))
        return
    named = _relevant_spans(defs, terms)
    spans = [(s, e, f"defines:{q}") for s, e, q in named]
    spans += [(s, e, f"matches:{q}") for s, e, q in _matched_spans(store, defs, terms, named)]
    for start, end, why in spans:
        item = _item(src, start, end, "source_snippet", commit, cand.score, cand.reasons + [why])
        if item is not None and pk.tok.count(item.content) > MAX_SNIPPET_TOKENS:
            cut = pk.tok.truncate(item.content, MAX_SNIPPET_TOKENS)
            last = start + cut.count("\n") - 1
            item = _item(src, start, max(start, last), "source_snippet", commit, cand.score,
                         cand.reasons + [why, "truncated"])
        pk.add(item)
    if not spans and bare:
        start, end = _term_window(src, terms, _license_lines(src.lines) + 1)
        pk.add(_item(src, start, end, "source_snippet", commit, cand.score, cand.reasons + [f"window:{start}-{end}"]))
    if defs and outline:
        pk.add(_item(src, 1, n_lines, "symbol_outline", commit, cand.score, cand.reasons + ["outline"],
                     content=_outline(src, defs)))


def _term_window(src: _Source, terms: TaskTerms, first: int) -> tuple[int, int]:
    """The WINDOW_LINES lines from ``first`` on that hold the most of the task's terms, a term
    weighing 1/(lines holding it), so a rare word outweighs a common one; from ``first`` when no
    line holds any. Returns (start, end), 1-based inclusive."""
    wanted = set(terms.terms)
    found = [wanted.intersection(terms_of(line.decode("utf-8", "replace"))) if i + 1 >= first else set()
             for i, line in enumerate(src.lines)]
    lines_with = Counter(t for f in found for t in f)
    weight = [sum(1 / lines_with[t] for t in f) for f in found]
    best, best_start, acc = 0.0, first, 0.0
    for i, w in enumerate(weight):  # a sliding sum over the window ending at line i + 1
        acc += w - (weight[i - WINDOW_LINES] if i >= WINDOW_LINES else 0.0)
        if acc > best + 1e-9:
            best, best_start = acc, max(first, i + 2 - WINDOW_LINES)
    return best_start, min(len(src.lines), best_start + WINDOW_LINES - 1)


def _header(store: IndexStore, root: str, ranked: list[Candidate], tests: list[str],
            budget: int, tokenizer: str) -> ContextPacket:
    meta = store.meta()
    top = [c.path for c in ranked[:HEADER_FILES]]
    info = _repo_facts(store, top[:3])
    return ContextPacket(
        repository=os.path.basename(root), commit=meta.get("commit") or None,
        dirty=meta.get("dirty") == "true", index_version=SCHEMA_VERSION,
        likely_files={"production": top, "tests": tests},
        ranked_files=[c.path for c in ranked[:RANKED_FILES]],
        tokens=TokenAccount(tokenizer=tokenizer, budget=budget, used=0), **info,
    )


#: Words in a module's name that make it tests, samples or benchmarks (.NET and Gradle modules are
#: names, not folders: MediatR.Tests, MediatR.Examples.Autofac, MediatR.Benchmarks).
_NON_CODE_MODULE_WORDS = frozenset({"test", "tests", "unittests", "integrationtests", "specs", "e2e", "examples",
                                    "samples", "demos", "demo", "playground", "playgrounds", "fixtures",
                                    "benchmark", "benchmarks", "benches"})


def _code_module(module: str) -> bool:
    """False for a workspace member that is tests, fixtures, a playground, examples or docs:
    declared (vite's ``packages/**/__tests__/**``) but not what an agent means by a module. Judged
    by the same path rules as files, on a file inside the member's folder, and by the words of
    its name."""
    from ..extract.testmap import is_test_path
    from ..rank.paths import is_auxiliary

    if _NON_CODE_MODULE_WORDS & set(re.split(r"[./:_-]", module.lower())):
        return False
    inside = module.rstrip("/") + "/index"
    return not (is_test_path(inside) or is_auxiliary(inside, set()))


def _repo_facts(store: IndexStore, top: list[str]) -> dict[str, Any]:
    from ..extract.build import DELIVERY_TOOLS

    stack = store.meta().get("language_stack")
    langs = json.loads(stack) if stack else [r[0] for r in store.rows(  # an index not yet re-derived
        "SELECT language FROM files WHERE language IS NOT NULL AND status = 'indexed' "
        "GROUP BY language ORDER BY count(*) DESC LIMIT 5")]
    builds = store.rows("SELECT tool, modules, unit_command, full_command FROM builds")
    commands: dict[str, str] = {}
    modules: list[str] = []
    for tool, mods, unit, full in builds:
        if tool not in DELIVERY_TOOLS:  # CI jobs and compose services are not code modules
            modules += [m for m in mods or [] if _code_module(m)]
        if unit and "unit" not in commands:
            commands["unit"] = unit
        if full and "full" not in commands:
            commands["full"] = full
    owners = sorted({o for r in store.rows(
        "SELECT owners FROM owners WHERE path IN (SELECT unnest(?))", [top]) for o in (r[0] or [])})
    risks = [f"{t}:{p}" for p, t in store.rows(
        "SELECT path, tag FROM risks WHERE path IN (SELECT unnest(?)) ORDER BY path, tag", [top])]
    conventions = [f"{p} ({g})" for p, g in store.rows(
        "SELECT path, governs FROM conventions ORDER BY path LIMIT 8")]
    return {"language_stack": langs, "modules": modules[:20], "build_commands": commands,
            "owners": owners, "risk_notes": risks, "conventions": conventions}


def narrowed_commands(store: IndexStore, tests: list[tuple[str, str | None]]) -> list[str | None]:
    """Each (test path, stored generic command) as the command to run in this repository: narrowed
    through the build that owns the test (see :func:`~repointel.extract.testmap.focused_command`)."""
    from ..extract.testmap import focused_command

    if not tests:
        return []
    builds = [tuple(r) for r in store.rows("SELECT tool, manifest, unit_command FROM builds")]
    return [focused_command(test, generic, builds) for test, generic in tests]


def _focused(store: IndexStore, files: _Files, tests: list[tuple[str, str, str | None, float]],
             terms: TaskTerms) -> str | None:
    """The command that runs the first linked test that has one, narrowed to the test functions
    in it that use the names the task writes (``pytest 'tests/test_x.py::test_zero_discount'``)."""
    from ..extract.testmap import narrow_to_tests

    pairs = [(t, g) for _, t, g, _c in tests[:3]]
    for (test, _g), command in zip(pairs, narrowed_commands(store, pairs)):
        if command:
            return narrow_to_tests(command, test, _tests_using(files, test, terms))
    return None


def _tests_using(files: _Files, test: str, terms: TaskTerms) -> list[str]:
    """Names of up to MAX_FOCUSED_TESTS tests of ``test`` that best match the task's names
    (identifiers, code-span names, dotted-name parts). A test uses the names in its text and in
    the file's helper functions it calls (vite's cases call ``testRestartDuringHotUpdate``, which
    calls ``handleHMRUpdate``). Each name counts 1/(tests using it), nothing when every test uses
    it (``Rational`` in sympy's test_numbers.py); each task name the test's own name holds counts
    TEST_NAME_MATCH. Returns qualified names of test functions, or the names of JavaScript and
    RSpec cases; none when the file changed since indexing (its spans would be off) or holds a
    secret."""
    from ..extract.testmap import MAX_FOCUSED_TESTS

    names = set(terms.identifiers) | set(terms.code_identifiers)
    names.update(part for dotted in terms.dotted for part in dotted.split("."))
    names = {n for n in names if len(n) >= MIN_TEST_NAME and n.isidentifier()}
    src = files.source(test) if names else None
    if src is None or not src.fresh:
        return []
    units = _test_units(files, test, src)
    used = [(start, label, own, hits) for (start, _end, label, own), hits
            in zip(units, _names_used(files, test, src, names, [(s, e) for s, e, _, _ in units]))]
    users = Counter(n for *_, hits in used for n in hits)
    every = {n for n, k in users.items() if k == len(used) > 1}  # in every test: says nothing
    lowered = [n.lower() for n in names]
    scored = []
    for start, label, own, hits in used:
        score = (sum(1 / users[n] for n in hits - every)
                 + TEST_NAME_MATCH * sum(n in own.lower() for n in lowered))
        if score > 0:
            scored.append((-score, start, label))
    return [q for _, _, q in sorted(scored)[:MAX_FOCUSED_TESTS]]


def _names_used(files: _Files, test: str, src: _Source, names: set[str],
                spans: list[tuple[int, int]]) -> list[set[bytes]]:
    """For each span (a test), the task names its text uses, directly or through the file's
    helper functions it names (one hop)."""
    word = re.compile(rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in sorted(names)) + rb")\b")
    texts = [b"".join(src.lines[s - 1 : e]) for s, e in spans]
    starts = {s for s, _ in spans}
    helpers: dict[bytes, set[bytes]] = {}
    for name, _q, kind, start, end, _sig, _parent in files.definitions(test):
        if kind in ("function", "method") and start not in starts and len(name) >= MIN_TEST_NAME:
            hits = set(word.findall(b"".join(src.lines[start - 1 : end])))
            if hits:
                helpers[name.encode()] = hits
    if not helpers:
        return [set(word.findall(t)) for t in texts]
    called = re.compile(rb"\b(?:" + b"|".join(re.escape(h) for h in sorted(helpers)) + rb")\b")
    return [set(word.findall(t)).union(*(helpers[h] for h in set(called.findall(t)))) for t in texts]


def _test_units(files: _Files, test: str, src: _Source) -> list[tuple[int, int, str, str]]:
    """(first line, last line, name to select it by, its own name) of each test in ``test``: the
    ``it``/``test`` cases of a JavaScript file or the examples of an RSpec file (parsed here),
    else its test functions."""
    from ..extract.testmap import is_test_function, named_test_cases
    from ..parse import language_for_path, parse

    lang = language_for_path(test)
    if lang in ("javascript", "typescript", "tsx") or (lang == "ruby" and test.endswith("_spec.rb")):
        return [(start, end, name, name) for name, start, end in named_test_cases(parse(lang, src.data), src.data)]
    defs = files.definitions(test)
    containers = {d[1] for d in defs if d[2] in ("class", "module")}  # Rust's mod tests holds tests
    out = []
    for name, qual, kind, start, end, sig, parent in defs:
        before = b"".join(src.lines[max(0, start - 1 - TEST_ATTRIBUTE_LINES) : start - 1]).decode("utf-8", "replace")
        if (parent is None or parent in containers) and is_test_function(test, name, kind, sig or "", before):
            out.append((start, end, qual, name))
    return out


#: A linked test whose link is at least this sure is listed in the header before weaker links of
#: better-ranked files (gin's context.go links 20 same-package tests at 0.5, context_test.go at 0.98).
STRONG_TEST_LINK = 0.8


def _linked_tests(store: IndexStore, paths: list[str]) -> list[tuple[str, str, str | None, float]]:
    """(source, test, command, confidence) for the tests linked to ``paths``: the best-ranked
    source's tests first (the focused command runs the top file's test), each source's by
    confidence."""
    from ..extract.deps import shared_prefix

    rank = {p: i for i, p in enumerate(paths)}
    rows = store.rows(
        "SELECT source_path, test_path, any_value(command), max(confidence) FROM test_links "
        "WHERE source_path IN (SELECT unnest(?)) GROUP BY source_path, test_path", [paths])
    # equally sure links: the test nearest the source first (sympy/stats/tests/ before
    # sympy/core/tests/test_args.py, which imports every class for crv_types.py too)
    rows.sort(key=lambda r: (rank[r[0]], -r[3], -shared_prefix(r[0], r[1]), r[1]))
    return [(r[0], r[1], r[2], float(r[3])) for r in rows]


def _likely_tests(tests: list[tuple[str, str, str | None, float]]) -> list[str]:
    """The header's likely tests: strong links first, each group in ranking order, each test once."""
    order = sorted(range(len(tests)), key=lambda i: (tests[i][3] < STRONG_TEST_LINK, i))
    return list(dict.fromkeys(tests[i][1] for i in order))[:HEADER_FILES]


def _fit_ranked(packet: ContextPacket, tok: Tokenizer) -> None:
    """Halve the JSON header's ``ranked_files`` (not below HEADER_FILES) until the list takes at
    most RANKED_LIST_SHARE of the budget. Markdown does not render the list."""
    while len(packet.ranked_files) > HEADER_FILES and (
        tok.count(json.dumps(packet.ranked_files, indent=1)) > RANKED_LIST_SHARE * packet.tokens.budget
    ):
        packet.ranked_files = packet.ranked_files[: max(HEADER_FILES, len(packet.ranked_files) // 2)]


def _finish(packet: ContextPacket, tok: Tokenizer, fmt: str) -> ContextPacket:
    """Set ``tokens.used`` to the exact count of the rendered packet, dropping items if needed.

    Raises :class:`BudgetError` when even the header alone does not fit: the budget is never
    exceeded."""
    while True:
        for _ in range(4):
            n = tok.count(render(packet, fmt))
            if n == packet.tokens.used:
                break
            packet.tokens.used = n
        if packet.tokens.used <= packet.tokens.budget:
            return packet
        if not packet.items:
            raise BudgetError(f"a budget of {packet.tokens.budget} tokens cannot hold this packet's header "
                              f"({packet.tokens.used} tokens as {fmt}); give a larger budget")
        packet.items.pop()


def build_packet(root: str, store: IndexStore, task: str, budget: int, tokenizer: str,
                 fmt: str = "markdown") -> ContextPacket:
    """The packet for ``task`` within ``budget`` tokens when rendered as ``fmt``."""
    tok = get_tokenizer(tokenizer)
    terms = analyse_task(task)
    ranked = rank_files(store, terms)
    top = [c.path for c in ranked[:SNIPPET_FILES]]
    tests = _linked_tests(store, top)
    packet = _header(store, root, ranked, _likely_tests(tests), budget, tokenizer)
    files = _Files(root, store)
    focused = _focused(store, files, tests, terms)
    if focused:
        packet.build_commands["focused"] = focused
    if fmt == "json":
        _fit_ranked(packet, tok)
    head = render_header(packet) if fmt != "json" else packet.model_dump_json(indent=1)
    pk = _Packer(tok, budget - tok.count(head) - 16, fmt)
    commit = packet.commit
    files.preload([c.path for c in ranked[: SNIPPET_FILES + OUTLINED_FILES]] + [t for _, t, _g, _c in tests])
    top_paths = [c.path for c in ranked[:SNIPPET_FILES]]
    whole = [p for p in top_paths if files.fits(p, pk.room)]  # an outline of the others cannot fit
    files.load_defs(whole)
    files.load_defs([p for p in top_paths if p not in whole], named=_wanted(terms))
    for cand in ranked[:SNIPPET_FILES]:
        src = files.source(cand.path)
        if src is not None:
            outline = cand.path in files.defs
            defs = files.defs[cand.path] if outline else files.named_defs[cand.path]
            _add_file(store, pk, src, defs, terms, cand, commit, outline, cand.path not in files.state.outline_chars)
    _add_tier2_3(store, pk, ranked, tests, commit, files)
    packet.items = pk.items
    return _finish(packet, tok, fmt)


def _capped(pairs: list[tuple[str, str]], per_key: int) -> list[tuple[str, str]]:
    """At most ``per_key`` (key, value) pairs per key, in order: bounds the files a packet reads."""
    seen: dict[str, int] = {}
    out = []
    for key, value in pairs:
        if seen.get(key, 0) < per_key:
            seen[key] = seen.get(key, 0) + 1
            out.append((key, value))
    return out


def _add_tier2_3(store: IndexStore, pk: _Packer, ranked: list[Candidate],
                 tests: list[tuple[str, str, str | None, float]], commit: str | None, files: _Files) -> None:
    """Dependencies of the top files as outlines, then their tests, then more ranked outlines."""
    top = [c.path for c in ranked[:3]]
    deps = [(s, d) for s, d, _w in store.rows(
        "SELECT src, dst, sum(weight) w FROM file_edges WHERE src IN (SELECT unnest(?)) "
        "GROUP BY src, dst ORDER BY src, w DESC", [top]) if d not in pk.spans]
    deps = _capped(deps, DEPS_PER_FILE)
    files.preload([d for _, d in deps])
    outlined = [d for _, d in deps] + [t for _, t, _g, _c in tests] + [
        c.path for c in ranked[SNIPPET_FILES : SNIPPET_FILES + OUTLINED_FILES]]
    files.load_defs([p for p in outlined if files.fits(p, pk.room)])  # the rest cannot fit now or later
    for srcp, dst in deps:
        _add_outline(pk, files, dst, commit, "symbol_outline", 0.0, [f"dependency_of:{srcp}"])
    for source, test in _capped([(s, t) for s, t, _g, _c in tests], TESTS_PER_FILE):
        _add_outline(pk, files, test, commit, "test", 0.0, [f"tests:{source}"])
    for cand in ranked[SNIPPET_FILES : SNIPPET_FILES + OUTLINED_FILES]:
        _add_outline(pk, files, cand.path, commit, "symbol_outline", cand.score, cand.reasons + ["outline"])


def _add_outline(pk: _Packer, files: _Files, path: str, commit: str | None, kind: str, score: float,
                 reasons: list[str]) -> None:
    if not files.fits(path, pk.room):
        return
    src = files.source(path)
    defs = files.definitions(path) if src is not None else []
    if src is not None and defs:
        pk.add(_item(src, 1, len(src.lines), kind, commit, score, reasons, content=_outline(src, defs)))
