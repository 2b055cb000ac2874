"""Build a context packet: rank files for a task, choose snippets in priority tiers, and pack
them into an exact token budget with provenance on every item."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from typing import Any

from ..config import SCHEMA_VERSION
from ..errors import BudgetError
from ..extract.secrets import redact
from ..models import ContextItem, ContextPacket, TokenAccount
from ..rank.definitions import CONTAINERS, MODULE, RankedDefinition, rank_definitions
from ..rank.files import Candidate, rank_files
from ..rank.task import TaskTerms, analyse_task
from ..store import IndexReader
from ..tokens import Tokenizer, get_tokenizer
from ..untrusted import HIDDEN_FLAG, hidden_text
from .code import body_spans, term_window
from .files import MAX_CHARS_PER_TOKEN, NOT_OUTLINED, WHOLE_FILE_TOKENS, PacketFiles, Source
from .render import render, render_header, render_item
from .testplan import focused_tests, likely_tests, linked_tests, task_focused_command

__all__ = ["build_packet"]

#: Ranked files listed in the header (cheap: paths only).
HEADER_FILES = 10
#: Ranked files a packet carries in ``ranked_files``: enough to pack whole files up to 50k tokens
#: in rank order; the tail below them is every file that matched a word, which adds bytes, not signal.
RANKED_FILES = 100
#: Share of the budget the JSON header's ``ranked_files`` may take before it is cut (never below
#: HEADER_FILES): the items are the payload (on tokio, 505 paths took 6k tokens and every item).
RANKED_LIST_SHARE = 0.2
#: Top files that get snippets (tier 1); later files appear as outlines only.
SNIPPET_FILES = 6
#: Dependencies outlined per top file (tier 2).
DEPS_PER_FILE = 3
#: Tests pulled in per top file (tier 3).
TESTS_PER_FILE = 2
#: Ranked files after the snippet files that get an outline when room remains (tier 4).
OUTLINED_FILES = 10
#: A comment that is a license or copyright notice: tokens an agent pays for and never needs
#: (spring-petclinic's Apache header is 15 lines, ~130 tokens, on every file).
_LICENSE_WORDS = re.compile(rb"(?i)licen[sc]e|copyright|\(c\)|spdx-license-identifier|all rights reserved")
#: Longest leading comment treated as a license header; a longer one is read as documentation.
MAX_LICENSE_LINES = 40
#: Lines shown of a big file with no definitions to choose by (a vendored file the task names):
#: about a screen, around the task's words.
WINDOW_LINES = 60




def _item(src: Source, start: int, end: int, kind: str, commit: str | None, score: float,
          reasons: list[str], content: str | None = None) -> ContextItem | None:
    """An item for lines start..end (1-based inclusive) of a file already cleared of secrets."""
    chunk = b"".join(src.lines[start - 1 : end])
    text = content if content is not None else chunk.decode("utf-8", "replace")
    flags = [HIDDEN_FLAG] if hidden_text(text) else []
    shown = redact(text)  # the one redaction rule of every surface (secret files are withheld already)
    if shown != text:
        text, flags = shown, [*flags, "secret_redacted"]
    digest = hashlib.sha256(text.encode("utf-8") if content is not None else chunk).hexdigest()
    return ContextItem(
        id="", type=kind,  # type: ignore[arg-type]
        path=src.path, line_range=f"{start}-{end}", content=text, sha256=digest, commit=commit,
        freshness="current" if src.fresh else "stale", score=round(score, 4), reasons=reasons,
        flags=flags,
    )


def _outline(src: Source, defs: list[Any]) -> str:
    out = []
    for name, _q, kind, start, _end, sig, parent in defs:
        if kind in NOT_OUTLINED:
            continue
        out.append(f"{start:>5}: {'    ' if parent else ''}{sig or name}")
    return "\n".join(out) + "\n"


class _Packer:
    """Adds items in priority order while the running token count fits the budget."""

    def __init__(self, tok: Tokenizer, budget: int, fmt: str) -> None:
        self.tok, self.budget, self.fmt = tok, budget, fmt
        self.items: list[ContextItem] = []
        self.used = 0
        #: Lines of each file that items carrying code hold: code never repeats, but an outline
        #: (generated signature lines) neither blocks code nor is blocked by it.
        self.spans: dict[str, list[tuple[int, int]]] = {}
        self.outlines: set[tuple[str, str]] = set()
        self.whole: set[str] = set()  # files shown whole: an outline of them says nothing more

    def overlaps(self, path: str, start: int, end: int) -> bool:
        return any(s <= end and start <= e for s, e in self.spans.get(path, []))

    def holds(self, path: str) -> bool:
        """Whether any item of ``path`` is in the packet."""
        return path in self.spans or any(p == path for p, _ in self.outlines)

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
        outline = item.type == "symbol_outline"
        if outline and ((item.path, item.line_range) in self.outlines or item.path in self.whole):
            return False
        if not outline and self.overlaps(item.path, start, end):
            return False
        n = self.cost(item)
        if n is None or self.used + n > self.budget:
            return False
        item.id = f"ctx-{len(self.items) + 1:05d}"
        self.items.append(item)
        self.used += n
        if outline:
            self.outlines.add((item.path, item.line_range))
        else:
            if "whole_file" in item.reasons:
                self.whole.add(item.path)
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


def _header(store: IndexReader, root: str, ranked: list[Candidate], tests: list[str],
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


def _repo_facts(store: IndexReader, top: list[str]) -> dict[str, Any]:
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


def build_packet(root: str, store: IndexReader, task: str, budget: int, tokenizer: str,
                 fmt: str = "markdown") -> ContextPacket:
    """The packet for ``task`` within ``budget`` tokens when rendered as ``fmt``."""
    tok = get_tokenizer(tokenizer)
    terms = analyse_task(task)
    ranked = rank_files(store, terms)
    top = [c.path for c in ranked[:SNIPPET_FILES]]
    tests = linked_tests(store, top)
    packet = _header(store, root, ranked, likely_tests(tests)[:HEADER_FILES], budget, tokenizer)
    files = PacketFiles(root, store)
    focused = task_focused_command(store, files, tests, terms)
    if focused:
        packet.build_commands["focused"] = focused
    if fmt == "json":
        _fit_ranked(packet, tok)
    head = render_header(packet) if fmt != "json" else packet.model_dump_json(indent=1)
    pk = _Packer(tok, budget - tok.count(head) - 16, fmt)
    files.preload([c.path for c in ranked[: SNIPPET_FILES + OUTLINED_FILES]] + [t for _, t, _g, _c in tests])
    defs = rank_definitions(store, terms, ranked, files.data)
    files.import_wanted.update(d.path for d in defs)
    code = _CodeTier(pk, files, terms, packet.commit, defs, ranked)
    code.add_bare_files(ranked[:SNIPPET_FILES])
    code.add_bodies(defs, until=CODE_SHARE * pk.budget, min_score=FIRST_PASS_SHARE * (defs[0].score if defs else 0))
    code.add_neighbours()
    _add_top_outlines(pk, files, ranked, packet.commit)
    code.add_focused_tests(tests)
    code.add_bodies(defs, until=pk.budget, min_score=-math.inf)
    _add_tier2_3(store, pk, ranked, tests, packet.commit, files)
    packet.items = pk.items
    return _finish(packet, tok, fmt)


#: Share of the budget the first pass of bodies may fill before the other tiers (callers' and
#: callees' signatures, the top files' outlines, the focused tests) get their turn; the bodies
#: of lower-ranked definitions then fill what is left.
CODE_SHARE = 0.6
#: The first pass shows definitions scoring at least this share of the best one.
FIRST_PASS_SHARE = 0.5
#: The most one body may take of the budget: a bigger definition shows its head and the window
#: of its body holding most of the task's words.
BODY_SHARE = 0.3
#: ... but never less than this many tokens (a small budget still shows a whole short function).
MIN_BODY_TOKENS = 400
#: A file goes in whole when one of its definitions is shown and it takes at most this share of
#: the budget, by its place in the file ranking (the best file, the second, the rest; never
#: below WHOLE_FILE_TOKENS): a fix's other hunks are most often in the same file, above all in
#: the best one, and cutting a file that fits saves little.
WHOLE_FILE_SHARES = (0.5, 0.25, 0.1)
#: Top files whose outline follows the bodies when it costs at most OUTLINE_SHARE of the budget.
OUTLINE_TOP_FILES = 2
OUTLINE_SHARE = 0.1


class _CodeTier:
    """Adds the code of ranked definitions: bodies (small files whole), the enclosing class's
    header, the imports a body uses, callers' and callees' signatures, focused tests' bodies."""

    def __init__(self, pk: _Packer, files: PacketFiles, terms: TaskTerms, commit: str | None,
                 defs: list[RankedDefinition], ranked: list[Candidate]) -> None:
        self.pk, self.files, self.terms, self.commit = pk, files, terms, commit
        self.file_rank = {c.path: i for i, c in enumerate(ranked)}
        self.by_key = {(d.path, d.qualname): d for d in defs}
        self.shown: list[RankedDefinition] = []
        self.imports_done: set[str] = set()

    def add_bodies(self, defs: list[RankedDefinition], until: float, min_score: float) -> None:
        """Bodies of ``defs`` in rank order while the packet holds under ``until`` tokens, until
        FILL_MISSES definitions in a row find no room."""
        misses = 0
        for d in defs:
            if self.pk.used >= until or self.pk.room < MIN_ITEM_TOKENS or misses >= FILL_MISSES:
                return
            if d.score >= min_score and d not in self.shown:
                misses = 0 if self._add_body(d) else misses + 1

    def _add_body(self, d: RankedDefinition) -> bool:
        """Whether the definition's code went in (``shown``)."""
        src = self.files.source(d.path)
        if src is None:
            return False
        share = WHOLE_FILE_SHARES[min(self.file_rank.get(d.path, len(WHOLE_FILE_SHARES)), len(WHOLE_FILE_SHARES) - 1)]
        if self.files.small(d.path, self.pk.tok, max(WHOLE_FILE_TOKENS, int(share * self.pk.budget))):
            return self._add_whole(src, d)
        cap = max(MIN_BODY_TOKENS, int(BODY_SHARE * self.pk.budget))
        spans = body_spans(d, src, self.terms, self._lines_for(src, d, cap))
        size = sum(len(line) for s, e, _ in spans for line in src.lines[s - 1 : e])
        if not spans or size > MAX_BYTES_PER_TOKEN * self.pk.room:  # cannot fit: not worth building
            return False
        self._add_enclosing(src, d)
        added = [self.pk.add(_item(src, s, e, "source_snippet", self.commit, d.score, d.reasons + [why]))
                 for s, e, why in spans]
        if any(added):
            self.shown.append(d)
            self._add_imports(src, d)
        return any(added)

    def _lines_for(self, src: Source, d: RankedDefinition, cap: int) -> int:
        """How many of the definition's lines fit ``cap`` tokens, at its own tokens per line."""
        start, end = d.start_line, min(d.end_line, len(src.lines))
        n = end - start + 1
        if n <= 0 or d.qualname == MODULE:
            return n if n > 0 else 1
        text = b"".join(src.lines[start - 1 : end])
        if len(text) <= cap * 2:  # under 2 bytes a token: fits whatever the count
            return n
        tokens = self.pk.tok.count(text.decode("utf-8", "replace"))
        return n if tokens <= cap else max(HEAD_MIN_LINES, int(n * cap / tokens))

    def _add_whole(self, src: Source, d: RankedDefinition) -> bool:
        skip = _license_lines(src.lines)
        reasons = d.reasons + ["whole_file", f"defines:{d.qualname}"] + (
            [f"license_header_omitted:1-{skip}"] if skip else [])
        if self.pk.overlaps(d.path, skip + 1, len(src.lines)) or len(src.data) > MAX_BYTES_PER_TOKEN * self.pk.room:
            return False
        if self.pk.add(_item(src, skip + 1, len(src.lines), "source_snippet", self.commit, d.score, reasons)):
            self.shown.append(d)
            return True
        return False

    def _add_enclosing(self, src: Source, d: RankedDefinition) -> None:
        """The header line of the class holding ``d`` when no item shows it yet."""
        parent = self.by_key.get((d.path, d.parent)) if d.parent else None
        if parent is None or parent.kind not in CONTAINERS:
            return
        line = parent.start_line
        if not self.pk.overlaps(d.path, line, line):
            self.pk.add(_item(src, line, line, "source_snippet", self.commit, d.score, [f"encloses:{d.qualname}"]))

    def _add_imports(self, src: Source, d: RankedDefinition) -> None:
        """The file's import statements (once per file, with its first shown body): the whole
        leading run when it spans at most MAX_IMPORT_SPAN lines, else the run of those naming
        what the body uses."""
        if d.path in self.imports_done or d.qualname == MODULE:
            return
        self.imports_done.add(d.path)
        module = self.by_key.get((d.path, MODULE))
        top = module.segments if module is not None else []
        imports = [(line, names) for line, names in self.files.imports(d.path)
                   if any(s <= line <= e for s, e in top)]  # module level: not a function's own imports
        lines = sorted(line for line, _ in imports if line < d.start_line)
        if not lines or _statement_end(src, lines[-1]) - lines[0] >= MAX_IMPORT_SPAN:
            words = set(_WORD_RE.findall(b"".join(src.lines[d.start_line - 1 : d.end_line])))
            lines = sorted({line for line, names in imports if any(n.encode() in words for n in names)})
        if lines and _statement_end(src, lines[-1]) - lines[0] < MAX_IMPORT_SPAN:
            self.pk.add(_item(src, lines[0], _statement_end(src, lines[-1]), "source_snippet", self.commit,
                              d.score, [f"imports_of:{d.qualname}"]))

    def add_bare_files(self, ranked: list[Candidate]) -> None:
        """A top file with nothing to outline (not parsed: a vendored file the task names) shows
        the WINDOW_LINES lines holding most of the task's words."""
        for cand in ranked:
            if cand.path in self.files.state.outline_chars or any(d.path == cand.path for d in self.shown):
                continue
            src = self.files.source(cand.path)
            if src is None or not src.lines:
                continue
            if self.files.small(cand.path, self.pk.tok):
                self.pk.add(_item(src, 1, len(src.lines), "source_snippet", self.commit, cand.score,
                                  cand.reasons + ["whole_file"]))
                continue
            first = _license_lines(src.lines) + 1
            start, end = term_window(src, self.terms, first, len(src.lines), WINDOW_LINES)
            self.pk.add(_item(src, start, end, "source_snippet", self.commit, cand.score,
                              cand.reasons + [f"window:{start}-{end}"]))

    def add_neighbours(self) -> None:
        """Signatures of the callers and callees of the shown definitions, one outline per file."""
        lines: dict[str, dict[int, str]] = {}
        why: dict[str, list[str]] = {}
        for d in self.shown[:NEIGHBOUR_SOURCES]:
            for rel, keys in (("calls_of", d.calls), ("callers_of", d.callers)):
                for key in keys:
                    path, _, qual = key.partition("::")
                    n = self.by_key.get((path, qual))
                    if n is None or n in self.shown:
                        continue
                    lines.setdefault(path, {})[n.start_line] = f"{n.start_line:>5}: {n.signature or n.name}"
                    tag = f"{rel}:{d.qualname}"
                    if tag not in why.setdefault(path, []):
                        why[path].append(tag)
        for path, sigs in lines.items():
            src = self.files.source(path)
            if src is not None:
                text = "\n".join(sigs[k] for k in sorted(sigs)) + "\n"
                self.pk.add(_item(src, min(sigs), max(sigs), "symbol_outline", self.commit, 0.0, why[path], content=text))

    def add_focused_tests(self, tests: list[tuple[str, str, str | None, float]]) -> None:
        """Bodies of the tests the focused command selects (the first linked test file's)."""
        for test, names in focused_tests(self.files, tests, self.terms):
            src = self.files.source(test)
            if src is None:
                continue
            for name, qual, _k, start, end, _sig, _p in self.files.definitions(test):
                if qual in names or name in names:
                    item = _item(src, start, end, "test", self.commit, 0.0, [f"focused_test:{qual}"])
                    cost = self.pk.cost(item) if item is not None else None
                    if cost is not None and cost <= TEST_SHARE * self.pk.budget:
                        self.pk.add(item)


#: The most one focused test's body may take of the budget: a long test is named by the
#: focused command, not shown.
TEST_SHARE = 0.1
#: Bytes a token beyond any real code (it runs 3-4): a text longer than this many times the free
#: tokens cannot fit, and is not built nor counted.
MAX_BYTES_PER_TOKEN = 8
#: An item smaller than this many tokens cannot hold a line of code with its provenance header.
MIN_ITEM_TOKENS = 60
#: The fill stops after this many definitions in a row found no room: the rest are as big or
#: bigger than what is left (each try builds and counts an item).
FILL_MISSES = 30
#: Definitions whose callers and callees are listed: the first bodies shown.
NEIGHBOUR_SOURCES = 4
#: Import lines of a file farther apart than this are not shown as one item (the file's
#: imports are scattered: showing the run between them costs more than it says).
MAX_IMPORT_SPAN = 30
#: A big definition cut to fit still shows at least this many lines.
HEAD_MIN_LINES = 8
_WORD_RE = re.compile(rb"\w+")


def _statement_end(src: Source, line: int) -> int:
    """The last line of the statement starting at ``line``: brackets opened there are closed."""
    depth = 0
    for i in range(line, min(len(src.lines), line + MAX_IMPORT_SPAN) + 1):
        text = src.lines[i - 1]
        depth += text.count(b"(") + text.count(b"[") + text.count(b"{") - text.count(b")") - text.count(b"]") - text.count(b"}")
        if depth <= 0:
            return i
    return line


def _add_top_outlines(pk: _Packer, files: PacketFiles, ranked: list[Candidate], commit: str | None) -> None:
    """Outlines of the best OUTLINE_TOP_FILES files, each when it costs at most OUTLINE_SHARE."""
    for cand in ranked[:OUTLINE_TOP_FILES]:
        if files.fits(cand.path, int(OUTLINE_SHARE * pk.budget)):
            _add_outline(pk, files, cand.path, commit, "symbol_outline", cand.score, cand.reasons + ["outline"])


def _capped(pairs: list[tuple[str, str]], per_key: int) -> list[tuple[str, str]]:
    """At most ``per_key`` (key, value) pairs per key, in order: bounds the files a packet reads."""
    seen: dict[str, int] = {}
    out = []
    for key, value in pairs:
        if seen.get(key, 0) < per_key:
            seen[key] = seen.get(key, 0) + 1
            out.append((key, value))
    return out


def _add_tier2_3(store: IndexReader, pk: _Packer, ranked: list[Candidate],
                 tests: list[tuple[str, str, str | None, float]], commit: str | None, files: PacketFiles) -> None:
    """Dependencies of the top files as outlines, then their tests, then more ranked outlines."""
    top = [c.path for c in ranked[:3]]
    deps = [(s, d) for s, d, _w in store.rows(
        "SELECT src, dst, sum(weight) w FROM file_edges WHERE src IN (SELECT unnest(?)) "
        "GROUP BY src, dst ORDER BY src, w DESC", [top]) if not pk.holds(d)]
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


def _add_outline(pk: _Packer, files: PacketFiles, path: str, commit: str | None, kind: str, score: float,
                 reasons: list[str]) -> None:
    if not files.fits(path, pk.room):
        return
    src = files.source(path)
    defs = files.definitions(path) if src is not None else []
    if src is not None and defs:
        pk.add(_item(src, 1, len(src.lines), kind, commit, score, reasons, content=_outline(src, defs)))
