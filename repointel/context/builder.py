"""Build a context packet: rank files for a task, choose snippets in priority tiers, and pack
them into an exact token budget with provenance on every item."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from typing import Any

from ..config import SCHEMA_VERSION
from ..errors import BudgetError
from ..extract.secrets import redact
from ..extract.terms import terms_of
from ..models import ContextItem, ContextPacket, TokenAccount
from ..rank.task import TaskTerms, analyse_task
from ..store import IndexStore
from ..tokens import Tokenizer, get_tokenizer
from ..untrusted import HIDDEN_FLAG, hidden_text
from .files import MAX_CHARS_PER_TOKEN, NOT_OUTLINED, PacketFiles, Source
from .render import render, render_header, render_item
from .retrieve import Candidate, definition_matches, rank_files
from .testplan import likely_tests, linked_tests, task_focused_command

__all__ = ["build_packet"]

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


def _wanted(terms: TaskTerms) -> set[str]:
    """Lower-cased names whose definitions a packet shows as snippets."""
    wanted = {w.lower() for w in list(terms.identifiers) + list(terms.code_identifiers)}
    return wanted | {t for t, n in terms.terms.items() if n >= 2 and len(t) >= 4}


#: A big file whose definitions the task does not name exactly shows up to this many of the
#: definitions holding its rare terms (redis's ``zrangestoreCommand`` for "ZRANGESTORE").
MATCHED_SPANS = 3
#: ... each within this share of the best match's strength: the others match a lesser term.
MATCHED_SHARE = 0.6
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


def _add_file(store: IndexStore, pk: _Packer, src: Source, defs: list[Any], terms: TaskTerms,
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


def _term_window(src: Source, terms: TaskTerms, first: int) -> tuple[int, int]:
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
                 tests: list[tuple[str, str, str | None, float]], commit: str | None, files: PacketFiles) -> None:
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


def _add_outline(pk: _Packer, files: PacketFiles, path: str, commit: str | None, kind: str, score: float,
                 reasons: list[str]) -> None:
    if not files.fits(path, pk.room):
        return
    src = files.source(path)
    defs = files.definitions(path) if src is not None else []
    if src is not None and defs:
        pk.add(_item(src, 1, len(src.lines), kind, commit, score, reasons, content=_outline(src, defs)))
