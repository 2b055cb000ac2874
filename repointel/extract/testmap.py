"""Link test files to the source files they exercise, and say how to run each test.

Three signals, each a :class:`TestLink` reason with a fixed confidence (constants below):

- ``import``: the test imports the file (resolved by :mod:`.deps`), the strongest real signal in
  Python; also one hop through a helper in the test's own directory (a test package's
  ``__init__``, a sibling ``helpers`` module), weaker.
- ``naming``: ``test_foo.py`` ↔ ``foo.py``, ``foo.test.ts`` ↔ ``foo.ts``, ``FooTest.java`` ↔
  ``Foo.java``, ``foo_test.go`` ↔ ``foo.go`` (and, weaker, the rest of that Go package),
  ``foo_spec.rb`` ↔ ``foo.rb``, ``FooTests.cs`` ↔ ``Foo.cs``, ``tests/foo.rs`` ↔ ``src/foo.rs``;
  stronger when the test tree mirrors the source tree.
- ``reference``: the test uses names defined (uniquely enough) in the file; a shell test names a
  script of the repository (it runs it).

One link per (test, source): the best reason wins, and agreeing reasons raise the confidence.
Links are file-level (``test_name`` None).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from ..models import TestLink
from ..parse import language_for_path, may_be_script
from .deps import package_segments, shared_prefix

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

__all__ = ["LinkIndex", "Resolved", "focused_command", "focused_test_command", "is_test_function", "is_test_path",
           "is_test_support", "link_tests", "named_test_cases", "narrow_to_tests", "source_candidates"]

#: Colocated test and source with matching names (foo_test.go next to foo.go): unambiguous.
NAMING_SAME_DIR = 0.9
#: The test tree mirrors the source tree (tests/pkg/test_foo.py ↔ src/pkg/foo.py).
NAMING_MIRRORED = 0.85
#: Only one source file anywhere has the matching name, but the trees do not mirror.
NAMING_UNIQUE = 0.6
#: Several files share the name; we keep the best-placed one, which is often but not always right.
NAMING_AMBIGUOUS = 0.35
#: A Go test exercises its whole package, but foo_test.go mostly targets foo.go.
GO_SAME_PACKAGE = 0.5
#: The test imports the file: it cannot run without it and almost always exercises it.
IMPORT_DIRECT = 0.8
#: Imported by a large share of all tests (a shared utility): true but weakly informative.
IMPORT_UBIQUITOUS = 0.4
#: Imported through a helper in the test's own directory: usually the code under test, one hop away.
IMPORT_VIA_HELPER = 0.5
#: Reference links start here and approach REFERENCE_MAX as the shared-name evidence grows.
REFERENCE_BASE = 0.2
#: By-name references are ambiguous (same names in many files); never as sure as an import.
REFERENCE_MAX = 0.6
#: Two reasons agreeing on a link make it more certain than either alone.
AGREEMENT_BONUS = 0.1
#: A name a JVM test uses from its own package (no import needed there, so none to see) counts
#: this many times: one name only its package defines is evidence enough for a link.
SAME_PACKAGE_REFERENCE = 2.0
_SAME_PACKAGE_FAMILIES = frozenset({"java", "scala"})
#: A shell test names a script of the repository (``run bats …``, ``bin/tool --help``): it runs it,
#: though through its whole command line, so less sure than an import.
SCRIPT_RUN = 0.5
#: Ceiling for any link: static analysis never proves a test exercises a file.
MAX_CONFIDENCE = 0.98

#: A target imported by at least this share of all tests (and MIN_UBIQUITOUS of them) is a utility.
UBIQUITOUS_SHARE = 0.25
#: ... but a handful of tests importing the same file is ordinary, never "ubiquitous".
MIN_UBIQUITOUS = 20
#: Names defined in more files than this say nothing about which file a test exercises.
MAX_DEFINERS = 4
#: Names shorter than this (i, x, id) are everywhere.
MIN_NAME = 3
#: Reference links with less summed evidence than this are noise.
MIN_REFERENCE_SCORE = 2.0
#: At most this many reference links per test: the strongest few carry the signal.
MAX_REFERENCE_LINKS = 3
#: Same-basename candidates beyond this many are not linked by naming at all.
MAX_NAME_CANDIDATES = 6

#: A file named as a test (test_x.py, x_test.go, x.spec.ts, XTest.java, …), wherever it lives.
_TEST_NAME_RX = (r"(^|/)test_[^/]*\.(py|rb|c|cc|cpp|rs|ml)$|_(tests?|spec|unittest)\.(py|go|rb|rs|c|cc|cpp|cxx|exs?|sh|bash|lua|dart|ml|zig)$|\.bats$|"
                 r"[._-](test|spec)\.[cm]?[jt]sx?$|(Tests?|(?<=[a-z0-9])IT)\.(java|kt|cs|scala)$|(Spec|Suite)\.scala$|(Spec|Tests?)\.hs$|(^|/)x?t/(.*/)?[^/]+\.t$|Test\.php$|Tests?\.swift$|Tests?\.mm?$|"
                 r"(^|/)Test[A-Z][^/]*\.(java|kt|cs)$")
_TEST_NAME = re.compile(_TEST_NAME_RX)
#: A test by its name, by a test folder above it, or pytest's conftest.py.
_TEST_PATH = re.compile(rf"((^|/)(tests?|testing|__tests__|spec|specs)/|{_TEST_NAME_RX}|(^|/)conftest\.py$|"
                        r"(^|/)Tests/.*\.(swift|php|mm?)$|"  # SwiftPM's, Symfony's, Xcode's Tests/ folders
                        r"(^|/)src/[a-z]\w*Test/)")  # Gradle's test source sets: jvmTest, androidTest …

#: Files of a test tree that are not tests: helpers, fixtures, support code, data and mocks. They
#: exercise nothing and running one runs no test (sinatra's test_helper.rb and its library's
#: test_helpers.rb, tokio's tests/support/, vite's __tests__/fixtures/, pytest's conftest.py).
_SUPPORT_DIR = re.compile(r"(^|/)([Ff]ixtures?|__fixtures__|support|helpers?|testdata|test_data|__mocks__|mocks?|"
                          r"__snapshots__|snapshots?|stubs?)/")
#: Files of languages whose test runner picks tests by name (busted's *_spec.lua): in a test tree,
#: one not so named is support.
_NAMED_TESTS_ONLY = (".lua",)
_FIXTURE_DIR = re.compile(r"(^|/)([Ff]ixtures?|__fixtures__|testdata|test_data|[^/]+\.t)/")  # x.t/: a cram test's project
_SUPPORT_NAME = re.compile(r"(^|/)(conftest\.py|(test|spec|rails)_helpers?\.rb|[\w-]+_helper\.(rb|exs))$"
                           r"|\.ex$")  # ExUnit runs .exs files: an .ex file in a test tree is support

#: Kotlin shares Java's family: the same test naming (FooTest), JUnit's @Test, and tests of one
#: language exercise sources of the other in mixed projects.
_FAMILY = {".py": "py", ".pyi": "py", ".go": "go", ".java": "java", ".kt": "java", ".rs": "rs", ".rb": "rb",
           ".cs": "cs", ".swift": "swift", ".php": "php", ".sh": "sh", ".bash": "sh", ".bats": "sh",
           ".scala": "scala", ".lua": "lua", ".ex": "ex", ".exs": "ex",
           ".dart": "dart", ".hs": "hs", ".ml": "ml", ".mli": "ml", ".zig": "zig",
           ".jl": "jl", ".pl": "pl", ".pm": "pl", ".m": "objc", ".mm": "objc",
           **{e: "js" for e in (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")},
           **{e: "c" for e in (".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx")}}
#: Test affixes stripped from a test file's stem to get the source stem, per family.
_AFFIXES: dict[str, tuple[re.Pattern[str], ...]] = {
    "py": (re.compile(r"^test_(.+)$"), re.compile(r"^(.+)_tests?$")),
    "go": (re.compile(r"^(.+)_test$"),),
    "js": (re.compile(r"^(.+)[._-](test|spec)$"),),
    "java": (re.compile(r"^(.+?)(Tests?|IT)$"), re.compile(r"^Test([A-Z].*)$")),
    "cs": (re.compile(r"^(.+?)Tests?$"), re.compile(r"^Test([A-Z].*)$")),
    "swift": (re.compile(r"^(.+?)Tests?$"),),
    "objc": (re.compile(r"^(.+?)Tests?$"),),
    "php": (re.compile(r"^(.+?)Test$"),),
    "sh": (re.compile(r"^(.+)_(test|spec)$"), re.compile(r"^test_(.+)$")),
    "scala": (re.compile(r"^(.+?)(Spec|Suite|Tests?|IT)$"),),
    "lua": (re.compile(r"^(.+)_(spec|test)$"), re.compile(r"^test_(.+)$")),
    "ex": (re.compile(r"^(.+)_test$"),),
    "dart": (re.compile(r"^(.+)_test$"),),
    "hs": (re.compile(r"^(.+?)(Spec|Tests?)$"),),
    "ml": (re.compile(r"^test_(.+)$"), re.compile(r"^(.+)_tests?$")),
    "zig": (re.compile(r"^test_(.+)$"), re.compile(r"^(.+)_tests?$")),
    "rb": (re.compile(r"^(.+)_(spec|test)$"), re.compile(r"^test_(.+)$")),
    "rs": (re.compile(r"^test_(.+)$"), re.compile(r"^(.+)_tests?$")),
    "c": (re.compile(r"^test_(.+)$"), re.compile(r"^(.+)_(tests?|unittest)$")),
}
#: Directory names that carry no information when comparing a test tree with a source tree.
_NEUTRAL_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "testing", "unit", "src",
                           "main", "lib", "java", "kotlin", "scala", "python", "integration", "source"})


@lru_cache(maxsize=1 << 16)
def is_test_path(path: str) -> bool:
    """True when ``path`` follows a test-file convention of a supported language (test_*.py,
    *_test.py, tests/ dirs, *.test.ts, *.spec.js, *_test.go, *Test.java, *_spec.rb, *Tests.cs…)."""
    return bool(_TEST_PATH.search(path))


def is_test_support(path: str) -> bool:
    """True for a test tree's helpers, fixtures, support code, data and mocks: files that
    :func:`is_test_path` calls tests (they belong to the test side of the file map) but that
    exercise nothing and cannot be run as a test. A file in a fixtures or test-data folder is
    data even when named like a test (bats-core's test/fixtures/*.bats are inputs of its tests)."""
    if _SUPPORT_NAME.search(path) or _FIXTURE_DIR.search(path):
        return True
    if path.endswith(_NAMED_TESTS_ONLY) and not _TEST_NAME.search(path):
        return True  # busted runs *_spec.lua only: spec/helpers.lua, a stress script are support
    return bool(_SUPPORT_DIR.search(path)) and not _TEST_NAME.search(path)  # a named test is a test


@lru_cache(maxsize=1 << 16)
def _family(path: str) -> str | None:
    """The file family of ``path`` by its extension; a file without one may be a shell script
    (bin/tool, libexec/…): a source of the shell family, never a test."""
    if may_be_script(path):
        return "sh"
    if path.endswith(".t"):  # Perl's t/*.t, not a dune cram test's foo.t
        return "pl" if language_for_path(path) == "perl" else None
    return _FAMILY.get(posixpath.splitext(path)[1].lower())


_PACKAGE_FILES = frozenset({"__init__.py", "mod.rs", "lib.rs", "index.ts", "index.js", "index.tsx", "index.jsx"})


def _stems(path: str) -> list[str]:
    """Names a test may use for this source: its stem, and its directory's name for package files."""
    base = posixpath.basename(path)
    stem = base[:-5] if base.endswith(".d.ts") else posixpath.splitext(base)[0]
    if base in _PACKAGE_FILES and posixpath.dirname(path):
        return [stem, posixpath.basename(posixpath.dirname(path))]
    return [stem]


def source_candidates(test_path: str) -> list[str]:
    """The source stems a test file's name points at (``test_foo.py`` → ``foo``)."""
    fam = _family(test_path)
    if fam is None:
        return []
    if posixpath.basename(test_path) in _PACKAGE_FILES | {"conftest.py"}:
        return []
    stem = posixpath.splitext(posixpath.basename(test_path))[0]
    if fam in ("lua", "pl"):  # suites ordered by number: spec/01-unit/03-router_spec.lua, t/01-cart.t
        stem = _ORDER_PREFIX.sub("", stem)
    out = [m.group(1) for rx in _AFFIXES.get(fam, ()) if (m := rx.match(stem))]
    parts = test_path.split("/")
    if not out and any(p in ("tests", "test", "spec", "__tests__", "t") for p in parts[:-1]):
        out.append(stem)  # tests/foo.rs, spec/models/user.rb named like the source itself
    return out


#: A number ordering test folders and files (``03-plugins/16-jwt/02-api_spec.lua``), not part of
#: the name of what they test.
_ORDER_PREFIX = re.compile(r"^\d+[-_]")


def _norm_dirs(path: str) -> list[str]:
    dirs = (_ORDER_PREFIX.sub("", d) for d in posixpath.dirname(path).split("/"))
    return [d for d in dirs if d and d.lower() not in _NEUTRAL_DIRS]


def _mirror_score(test: str, source: str) -> int:
    """Trailing directory names the two paths share once test/src/main … dirs are ignored."""
    a, b = _norm_dirs(test), _norm_dirs(source)
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


class LinkIndex:
    """Test and source files of the repository, and sources by (family, lower-cased stem).

    Built once per file list; :func:`link_tests` takes a prebuilt one (a daemon applying one-file
    batches keeps it while the file list stays the same)."""

    def __init__(self, files: Sequence[str]) -> None:
        self.tests: list[str] = []
        self.by_stem: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.by_dir: dict[str, list[str]] = defaultdict(list)
        self.scripts: dict[str, list[str]] = defaultdict(list)  # shell scripts by command name
        for f in files:
            fam = _family(f)
            if fam is None:
                continue
            if is_test_path(f):
                if not is_test_support(f) and not may_be_script(f):  # a helper or fixture is neither a test nor a source
                    self.tests.append(f)
            else:
                for stem in _stems(f):
                    self.by_stem[(fam, _stem_key(fam, stem))].append(f)
                self.by_dir[posixpath.dirname(f)].append(f)
                if fam == "sh":
                    self.scripts[posixpath.basename(f)].append(f)

    def script_runs(self, test: str, names: Collection[str]) -> list[tuple[str, float]]:
        """The scripts a shell test names as commands or arguments (by file name)."""
        if _family(test) != "sh":
            return []
        out: list[tuple[str, float]] = []
        for name in names:
            found = self.scripts.get(name, ())
            if 0 < len(found) <= MAX_NAME_CANDIDATES:
                out.extend((s, SCRIPT_RUN) for s in found)
        return out

    def naming(self, test: str) -> list[tuple[str, float]]:
        """Sources the test's file name points at, with the naming confidence of each."""
        fam = _family(test) or ""
        out: list[tuple[str, float]] = []
        for stem in source_candidates(test):
            cands = self.by_stem.get((fam, _stem_key(fam, stem)), [])
            if cands and len(cands) <= MAX_NAME_CANDIDATES:
                out.extend(_pick_named(test, cands))
        if fam == "go":
            named = {s for s, _ in out}
            out.extend((s, GO_SAME_PACKAGE) for s in self.by_dir.get(posixpath.dirname(test), ())
                       if s.endswith(".go") and s not in named)
        return out


def _stem_key(fam: str, stem: str) -> str:
    """A stem as names are compared: lower-cased; in Elixir a Mix task's file phx.new.ex is
    tested by phx_new_test.exs, so dots count as underscores."""
    key = stem.lower()
    return key.replace(".", "_") if fam == "ex" else key


def _pick_named(test: str, cands: list[str]) -> list[tuple[str, float]]:
    """The best-placed same-named sources: same directory, mirrored tree, unique, or closest."""
    here = posixpath.dirname(test)
    same = [c for c in cands if posixpath.dirname(c) == here]
    if same:
        return [(c, NAMING_SAME_DIR) for c in same]
    norm = _norm_dirs(test)
    mirrored = [c for c in cands if _norm_dirs(c) == norm]
    if mirrored:
        return [(c, NAMING_MIRRORED) for c in mirrored]
    if len(cands) == 1:
        return [(cands[0], NAMING_UNIQUE)]
    best = max(cands, key=lambda c: (_mirror_score(test, c), shared_prefix(test, c), -c.count("/")))
    return [(best, NAMING_AMBIGUOUS)]




class Resolved(Protocol):
    """What test linking reads of an import: the file it resolves to (an :class:`ImportRecord`
    has it; callers with many rows may pass lighter records)."""

    @property
    def resolved(self) -> str | None: ...


def _resolved_targets(path: str, imports: Mapping[str, Sequence[Resolved]]) -> set[str]:
    return {r.resolved for r in imports.get(path, ()) if r.resolved and r.resolved != path}


def _import_links(tests: list[str], imports: Mapping[str, Sequence[Resolved]],
                  wanted: Collection[str] | None = None) -> list[tuple[str, str, float]]:
    """(test, source, confidence) for direct imports and imports one hop through a local helper,
    for the ``wanted`` tests (default all); fan-in counts every test."""
    direct = {t: _resolved_targets(t, imports) for t in tests}
    fan_in = Counter(s for targets in direct.values() for s in targets)
    cutoff = max(MIN_UBIQUITOUS, UBIQUITOUS_SHARE * len(tests))
    out: list[tuple[str, str, float]] = []
    for t in direct if wanted is None else wanted:
        targets = direct.get(t, set())
        here = posixpath.dirname(t)
        for s in targets:
            if not is_test_path(s):
                out.append((t, s, IMPORT_UBIQUITOUS if fan_in[s] >= cutoff else IMPORT_DIRECT))
            elif posixpath.dirname(s) == here:
                out.extend((t, s2, IMPORT_VIA_HELPER) for s2 in _resolved_targets(s, imports)
                           if not is_test_path(s2) and fan_in[s2] < cutoff)
    return out


def _reference_links(tests: list[str], references: Mapping[str, dict[str, int]],
                     definitions_by_name: Mapping[str, list[str]]) -> list[tuple[str, str, float]]:
    """(test, source, confidence) where the test uses names that only a few source files define."""
    out: list[tuple[str, str, float]] = []
    definers_of: dict[tuple[str, str | None], set[str]] = {}  # (name, family) → source definers
    family: dict[str, str | None] = {}
    for t in tests:
        fam = _family(t)
        score: dict[str, float] = defaultdict(float)
        for name in references.get(t, {}):
            if len(name) < MIN_NAME:
                continue
            definers = definers_of.get((name, fam))
            if definers is None:
                definers = {p for p in definitions_by_name.get(name, ())
                            if not is_test_path(p) and _cached_family(p, family) == fam}
                definers_of[(name, fam)] = definers
            if 0 < len(definers) <= MAX_DEFINERS:
                for p in definers:
                    score[p] += _package_weight(t, p, fam) / len(definers)
        ranked = sorted((v, p) for p, v in score.items() if v >= MIN_REFERENCE_SCORE)[::-1]
        for value, p in ranked[:MAX_REFERENCE_LINKS]:
            conf = REFERENCE_BASE + (REFERENCE_MAX - REFERENCE_BASE) * value / (value + 3.0)
            out.append((t, p, round(conf, 3)))
    return out


def _package_weight(test: str, source: str, fam: str | None) -> float:
    """How much a name counts as evidence: more when a JVM test uses it from its own package,
    which needs no import (core/jvm/src/test/scala/cats/parse ↔ core/shared/src/main/scala/cats/parse)."""
    if fam in _SAME_PACKAGE_FAMILIES and package_segments(posixpath.dirname(test)) == package_segments(
            posixpath.dirname(source)):
        return SAME_PACKAGE_REFERENCE
    if fam == "jl" and _julia_package(test) == _julia_package(source) is not None:
        return SAME_PACKAGE_REFERENCE  # test/ of a Julia package uses its src/ through `using Package`
    return 1.0


def _julia_package(path: str) -> str | None:
    """The folder of the Julia package holding ``path`` in its src/ or test/ folder."""
    parts = path.split("/")
    return next(("/".join(parts[:i]) for i in range(len(parts) - 2, -1, -1) if parts[i] in ("src", "test")), None)


def _cached_family(path: str, memo: dict[str, str | None]) -> str | None:
    if path not in memo:
        memo[path] = _family(path)
    return memo[path]


def link_tests(
    files: Sequence[str],
    imports: Mapping[str, Sequence[Resolved]],
    references: Mapping[str, dict[str, int]] | None = None,
    definitions_by_name: Mapping[str, list[str]] | None = None,
    test_command: Callable[[str, str | None], str | None] | None = None,
    only: Collection[str] | None = None,
    index: LinkIndex | None = None,
) -> list[TestLink]:
    """One :class:`TestLink` per (test file, source file) from naming, imports and references.

    ``imports`` holds each file's resolved import records; ``references`` each file's used names
    with counts; ``definitions_by_name`` the files defining each top-level name. The best reason
    wins; two or more agreeing reasons add :data:`AGREEMENT_BONUS`. Sorted by test, then confidence.
    ``only`` restricts the output to those test files (an incremental update); import fan-in is
    still counted over every test, so their links equal those of a full run. ``index`` is
    ``LinkIndex(files)`` when the caller already holds it.
    """
    index = index if index is not None else LinkIndex(files)
    only_set = None if only is None else set(only)
    wanted = [t for t in index.tests if only_set is None or t in only_set]
    found: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)

    def add(reason: str, t: str, s: str, conf: float) -> None:
        if s != t:
            found[(t, s)][reason] = max(conf, found[(t, s)].get(reason, 0.0))

    for t in wanted:
        for s, conf in index.naming(t):
            add("naming", t, s, conf)
    for t, s, conf in _import_links(index.tests, imports, None if only is None else wanted):
        add("import", t, s, conf)
    if references and definitions_by_name:
        for t, s, conf in _reference_links(wanted, references, definitions_by_name):
            add("reference", t, s, conf)
    for t in wanted if references else ():
        for s, conf in index.script_runs(t, references.get(t, {}) if references else {}):
            add("reference", t, s, conf)
    links: list[TestLink] = []
    commands: dict[str, str | None] = {}
    for (t, s), reasons in found.items():
        reason, best = max(reasons.items(), key=lambda kv: kv[1])
        conf = min(MAX_CONFIDENCE, best + AGREEMENT_BONUS) if len(reasons) > 1 else best
        if t not in commands:
            commands[t] = test_command(t, None) if test_command is not None else None
        links.append(TestLink(test_path=t, source_path=s, reason=reason,  # type: ignore[arg-type]
                              confidence=round(conf, 3), command=commands[t]))
    links.sort(key=lambda link: (link.test_path, -link.confidence, link.source_path))
    return links


_SHELL_SAFE = re.compile(r"[\w@%+=:,./#~^-]+")


def _q(text: str) -> str:
    """Shell-quote only when needed (``FooTest#bar`` stays readable; ``^Name$`` gets quotes)."""
    return text if _SHELL_SAFE.fullmatch(text) else shlex.quote(text)


def focused_test_command(test_path: str, test_name: str | None = None) -> str | None:
    """The command that runs just this test file (or test ``test_name`` in it), per language:
    ``pytest path::name``, ``go test ./pkg -run Name``, ``npx jest path``, ``cargo test name``,
    ``mvn -Dtest=Class test`` (Kotlin: ``gradle test --tests Class``), ``bundle exec rspec path``,
    ``dotnet test --filter Name``, ``swift test --filter Class/name``, ``vendor/bin/phpunit path``,
    ``bats path``, ``sbt 'testOnly *Spec'``, ``busted path``, ``mix test path``, ``dart test path``,
    ``cabal test --test-options='--match Module'``, ``dune test folder``, ``zig test path``,
    ``julia --project path``, ``prove -lv path``, ``xcodebuild test -only-testing:Target/Class``."""
    fam = _family(test_path)
    stem = posixpath.splitext(posixpath.basename(test_path))[0]
    if fam == "py":
        return f"pytest {_q(test_path + ('::' + test_name if test_name else ''))}"
    if fam == "go":
        pkg = "./" + (posixpath.dirname(test_path) or ".") if posixpath.dirname(test_path) else "."
        return f"go test {_q(pkg)}" + (f" -run {_q('^' + test_name + '$')}" if test_name else "")
    if fam == "js":
        return f"npx jest {_q(test_path)}" + (f" -t {_q(test_name)}" if test_name else "")
    if fam == "rs":
        return _cargo_command(test_path, stem, test_name)
    if fam == "java" and test_path.endswith(".kt"):  # Kotlin builds are Gradle builds
        return f"gradle test --tests {_q(stem + ('.' + test_name if test_name else ''))}"
    if fam == "java":
        return f"mvn -Dtest={_q(stem + ('#' + test_name if test_name else ''))} test"
    if fam == "rb":
        if test_path.endswith("_spec.rb"):
            return f"bundle exec rspec {_q(test_path)}" + (f" -e {_q(test_name)}" if test_name else "")
        return f"bundle exec ruby -Itest {_q(test_path)}" + (f" -n {_q(test_name)}" if test_name else "")
    if fam == "cs":
        return f"dotnet test --filter {_q(('Name=' + test_name) if test_name else 'FullyQualifiedName~' + stem)}"
    if fam == "c":
        return f"ctest -R {_q(test_name or stem)}"
    runner = _RUNNERS.get(fam or "")
    return runner(test_path, stem, test_name) if runner is not None else None


def _named(flag: str, name: str | None) -> str:
    """`` flag 'name'`` when a test is named, else nothing."""
    return f" {flag} {_q(name)}" if name else ""


def _xcode_command(test_path: str, stem: str, test_name: str | None) -> str:
    """XCTest through xcodebuild; the test target is taken to be the test's folder."""
    target = posixpath.basename(posixpath.dirname(test_path)) or stem
    return f"xcodebuild test -only-testing:{_q(f'{target}/{stem}' + (f'/{test_name}' if test_name else ''))}"


_Runner = Callable[[str, str, "str | None"], "str | None"]
#: The focused command of the families added with issue 20: (test path, stem, test name).
_RUNNERS: dict[str, _Runner] = {
    "swift": lambda p, stem, n: f"swift test --filter {_q(stem + ('/' + n if n else ''))}",
    "sh": lambda p, stem, n: _shell_test_command(p, n),
    "objc": _xcode_command,
    "pl": lambda p, stem, n: f"prove -lv {_q(p)}",  # lib/ on @INC
    "jl": lambda p, stem, n: f"julia --project {_q(p)}",  # in the package's environment
    "zig": lambda p, stem, n: f"zig test {_q(p)}" + _named("--test-filter", n),
    "ml": lambda p, stem, n: f"dune test {_q(posixpath.dirname(p) or '.')}",  # dune runs a folder's tests
    # hspec-discover names a spec after its module, less "Spec"
    "hs": lambda p, stem, n: f"cabal test --test-options={_q('--match ' + (n or _hspec_name(p)))}",
    "dart": lambda p, stem, n: f"dart test {_q(p)}" + _named("--plain-name", n),  # the name as written
    "ex": lambda p, stem, n: f"mix test {_q(p)}" + _named("--only", "test:test " + n if n else None),
    "lua": lambda p, stem, n: f"busted {_q(p)}" + _named("--filter", _lua_pattern(n) if n else None),
    "scala": lambda p, stem, n: f"sbt {_q(_sbt_test_only(stem, [n] if n else []))}",
    "php": lambda p, stem, n: f"vendor/bin/phpunit {_q(p)}" + _named("--filter", _php_filter([n]) if n else None),
}


def _shell_test_command(test_path: str, test_name: str | None) -> str | None:
    """bats for ``.bats`` files (``-f`` a test's name), ShellSpec for ``_spec.sh``, else the
    script itself (shunit2 and plain test scripts run as they are)."""
    if test_path.endswith(".bats"):
        return f"bats {_q(test_path)}" + (f" -f {_q('^' + re.escape(test_name) + '$')}" if test_name else "")
    if test_path.endswith(("_spec.sh", "_spec.bash")):
        return f"shellspec {_q(test_path)}"
    if may_be_script(test_path):
        return None
    return f"bash {_q(test_path)}"


def _hspec_name(test_path: str) -> str:
    """The spec an hspec-discover suite names after the file: test/Shop/CartSpec.hs → Shop.Cart."""
    parts = test_path[:-3].split("/")
    start = max((i + 1 for i, p in enumerate(parts[:-1]) if p in ("test", "tests", "spec")), default=len(parts) - 1)
    return ".".join(parts[start:]).removesuffix("Spec")


def _lua_pattern(name: str) -> str:
    """``name`` as a Lua pattern matching itself (busted's ``--filter``)."""
    return re.sub(r"([%^$().\[\]*+?-])", r"%\1", name)


def _sbt_test_only(stem: str, names: Sequence[str]) -> str:
    """sbt's ``testOnly *Spec`` task, narrowed to the named tests (``-- -z name``)."""
    return f"testOnly *{stem}" + ("".join(f' -- -z "{n}"' if i == 0 else f' -z "{n}"' for i, n in enumerate(names)))


def _php_filter(names: Sequence[str]) -> str:
    """A PHPUnit ``--filter`` selecting exactly these test methods (and each of their data sets)."""
    alt = names[0] if len(names) == 1 else "(" + "|".join(names) + ")"
    return f"/::{alt}( |$)/"


#: A node build's unit command that runs one package script (``npm test``, ``pnpm run test:unit``):
#: arguments appended reach that script's runner.
_ONE_SCRIPT = re.compile(r"(?:^|&& )(?:npm|pnpm|yarn|bun)(?: run)? [\w:.-]+$")
#: Build tools whose unit command can be narrowed to one test, per file family.
_NARROWABLE = {"java": ("maven", "gradle"), "js": ("npm", "yarn", "pnpm", "bun"), "swift": ("swiftpm",), "php": ("composer",),
               "scala": ("sbt",), "ex": ("mix",), "dart": ("pub",),
               "hs": ("cabal", "stack"), "zig": ("zig",)}


def _owning_build(test_path: str, builds: Sequence[tuple[str, str, str | None]],
                  tools: Sequence[str]) -> tuple[str, str, str] | None:
    """The build of one of ``tools`` with a unit command whose manifest directory is the
    nearest above ``test_path``."""
    best: tuple[str, str, str] | None = None
    for tool, manifest, unit in builds:
        d = posixpath.dirname(manifest)
        if tool in tools and unit and (not d or test_path.startswith(d + "/")):
            if best is None or len(d) > len(posixpath.dirname(best[1])):
                best = (tool, manifest, unit)
    return best


def focused_command(test_path: str, generic: str | None,
                    builds: Sequence[tuple[str, str, str | None]]) -> str | None:
    """The command to run just ``test_path`` in this repository: ``generic`` (from
    :func:`focused_test_command`) narrowed through the build that owns the test when the build
    map knows one (``./mvnw -Dtest=Class test``, ``./gradlew test --tests Class``, the package's
    own ``npm test -- path``, so its configured runner runs); None for C/C++ when no CMake build
    above the test declares tests (``ctest`` would not run them). ``builds``: (tool, manifest, unit command)."""
    fam = _family(test_path)
    owner = _owning_build(test_path, builds, _NARROWABLE.get(fam or "", ()))
    if owner is not None:
        tool, manifest, unit = owner
        stem = posixpath.splitext(posixpath.basename(test_path))[0]
        if tool == "maven" and unit.endswith(" test"):
            return f"{unit[:-len(' test')]} -Dtest={_q(stem)} test"
        if tool == "gradle" and unit.endswith(" test"):
            return f"{unit} --tests {_q(stem)}"
        if tool == "swiftpm" and unit.endswith("swift test"):
            return f"{unit} --filter {_q(stem)}"
        if tool == "sbt" and unit.endswith("sbt test"):
            return f"{unit[:-len('test')]}{_q(_sbt_test_only(stem, []))}"
        if tool == "pub" and unit.endswith((" test", "dart test")):
            d = posixpath.dirname(manifest)
            return f"{unit} {_q(test_path[len(d) + 1:] if d else test_path)}"
        if tool in ("cabal", "stack") and fam == "hs" and generic is not None and "--test-options=" in generic:
            option = generic.split("--test-options=", 1)[1]
            return f"{unit} --test-options={option}" if tool == "cabal" else f"{unit} --ta {option}"
        if tool == "zig" and unit.endswith("zig build test") and generic is not None and "--test-filter " in generic:
            return f"{unit} -Dtest-filter={generic.split('--test-filter ', 1)[1]}"
        if tool == "mix" and unit.endswith("mix test"):
            d = posixpath.dirname(manifest)
            return f"{unit} {_q(test_path[len(d) + 1:] if d else test_path)}"
        if tool == "composer":
            d = posixpath.dirname(manifest)
            rel = test_path[len(d) + 1:] if d else test_path
            return f"{unit}{' --' if unit.endswith('composer test') else ''} {_q(rel)}"
        if fam == "js" and _ONE_SCRIPT.search(unit):
            d = posixpath.dirname(manifest)
            rel = test_path[len(d) + 1:] if d else test_path
            return f"{unit}{' --' if tool == 'npm' else ''} {_q(rel)}"
    if fam == "c" and _owning_build(test_path, builds, ("cmake",)) is None:
        return None  # only a CMake build above the test, declaring tests, gives ctest something
    return generic


#: Test functions named in one focused command: a handful, not a suite.
MAX_FOCUSED_TESTS = 3
#: A Rust test's attribute, on the lines above the function (``#[test]``, ``#[tokio::test]``).
_RUST_TEST_ATTR = re.compile(r"#\[(?:[\w:]+::)?test\b")
#: PHPUnit's tests not named test*: the attribute or the docblock annotation.
_PHP_TEST_MARK = re.compile(r"#\[(?:\\?PHPUnit\\Framework\\Attributes\\)?Test\b|@test\b")
#: Swift Testing's tests carry ``@Test`` (``@Test("name")``, ``@Test(arguments: …)``).
_SWIFT_TEST_ATTR = re.compile(r"@Test\b")
#: Java/C# methods that are tests carry one of these annotations (in their signature).
_TEST_ANNOTATION = re.compile(r"@(?:Test|ParameterizedTest|RepeatedTest)\b|\[(?:Fact|Theory|Test|TestMethod|TestCase)\b")


def is_test_function(test_path: str, name: str, kind: str, signature: str, before: str = "") -> bool:
    """Whether a definition of a test file is a test a runner can select by name: ``test_*``
    functions and methods (Python, minitest), ``Test*`` functions (Go), methods annotated
    ``@Test`` (JUnit) or ``[Fact]``/``[Test]``/``[TestMethod]`` (.NET), Rust functions whose
    attributes (in ``before``, the lines just above the definition) hold ``#[test]`` or
    ``#[tokio::test]``. JavaScript's ``it()`` blocks are not definitions: never."""
    fam = _family(test_path)
    if kind not in ("function", "method"):
        return False
    if fam == "rs":
        return bool(_RUST_TEST_ATTR.search(before))
    if fam == "py":
        return name.startswith("test")
    if fam == "go":
        return name.startswith("Test") and kind == "function"
    if fam == "rb":
        return name.startswith("test_") and not test_path.endswith("_spec.rb")
    if fam in ("java", "cs"):
        return bool(_TEST_ANNOTATION.search(signature))
    if fam == "php":  # PHPUnit: test* methods, or marked by #[Test] or @test
        return kind == "method" and (name.startswith("test") or bool(_PHP_TEST_MARK.search(before + signature)))
    if fam == "objc":  # XCTest: -test… methods
        return kind == "method" and name.startswith("test")
    if fam == "zig":  # test "name" { … } blocks
        return signature.startswith("test ")
    if fam == "swift":  # XCTest's test methods, Swift Testing's @Test functions
        return (name.startswith("test") and kind == "method") or bool(_SWIFT_TEST_ATTR.search(signature))
    return False


#: The calls that declare one JavaScript/TypeScript test (Jest, Vitest, Mocha): ``it('…', fn)``,
#: ``test.only('…', fn)``; ``describe`` groups them and is not a test.
_JS_TEST_CALLS = frozenset({"it", "test"})
_JS_TEST_MODIFIERS = frozenset({"only", "concurrent", "skip", "todo", "fails"})
#: RSpec's examples (``describe`` and ``context`` group them).
_RSPEC_TEST_CALLS = frozenset({"it", "specify", "example"})
#: Characters a JavaScript RegExp reads as syntax (a -t pattern is one).
_JS_REGEX_SPECIAL = re.compile(r"[.*+?^${}()|[\]\\/]")


def named_test_cases(tree: Tree, data: bytes) -> list[tuple[str, int, int]]:
    """(name, first line, last line) of the tests that are calls named by a plain string, not
    definitions: JavaScript's ``it(…)``/``test(…)`` (selected by a Jest or Vitest ``-t`` pattern)
    and RSpec's ``it``/``specify``/``example`` (selected by ``rspec -e``)."""
    out: list[tuple[str, int, int]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in ("call_expression", "call"):  # JavaScript's, Ruby's
            ruby = node.type == "call"
            calls = _RSPEC_TEST_CALLS if ruby else _JS_TEST_CALLS
            fn = node.child_by_field_name("method" if ruby else "function")
            args = node.child_by_field_name("arguments")
            callee = (fn.text or b"").decode("utf-8", "replace") if fn is not None else ""
            head, _, mod = callee.partition(".")
            if head in calls and (not mod or mod in _JS_TEST_MODIFIERS) and args is not None:
                name = _plain_string(args.named_children[0] if args.named_children else None)
                if name:
                    out.append((name, node.start_point[0] + 1, node.end_point[0] + 1))
        stack.extend(reversed(node.named_children))
    return out


def _plain_string(node: Node | None) -> str:
    """The text of a string literal without interpolation, else ''."""
    if node is None or node.type != "string":
        return ""
    parts = node.named_children
    if any(p.type not in ("string_content", "string_fragment", "escape_sequence") for p in parts):
        return ""  # ``#{x}`` or ``${x}``: the name is not known here
    return "".join((p.text or b"").decode("utf-8", "replace") for p in parts)


def narrow_to_tests(command: str, test_path: str, tests: Sequence[str]) -> str:
    """``command`` (running the whole ``test_path``) narrowed to the test functions ``tests``
    (qualified names, ``Class.method`` for methods): ``pytest 'path::Class::test_x'``,
    ``go test ./pkg -run '^(TestA|TestB)$'``, ``-Dtest=Class#a+b``, ``--tests Class.a``,
    ``ruby -Itest path -n '/^(test_a|test_b)$/'``, ``--filter 'FullyQualifiedName~Class.a|…'``,
    ``cargo test --test t -- a mod_b::c --exact``, ``swift test --filter 'Class/(a|b)$'``, a Jest/Vitest ``-t 'name one|name two'``,
    ``rspec path -e 'name one' -e 'name two'``.
    The command unchanged when its runner's form is not one of these."""
    if not tests:
        return command
    fam = _family(test_path)
    names = [t.rsplit(".", 1)[-1] for t in tests]  # (JavaScript tests are names, not qualnames)
    alt = "^(" + "|".join(names) + ")$" if len(names) > 1 else f"^{names[0]}$"
    quoted = _q(test_path)
    if fam == "py" and command.endswith(" " + quoted):
        ids = " ".join(_q(test_path + "::" + t.replace(".", "::")) for t in tests)
        return command[: -len(quoted)] + ids
    if fam == "go" and command.startswith("go test ") and " -run " not in command:
        return f"{command} -run {_q(alt)}"
    if fam == "rb" and command.startswith("bundle exec rspec") and " -e " not in command:
        return command + "".join(f" -e {_q(t)}" for t in tests)
    if fam == "rb" and " -Itest " in command and " -n " not in command:
        return f"{command} -n {_q('/' + alt + '/')}"
    if fam == "js" and " -t " not in command and posixpath.basename(test_path) in command:
        pattern = "|".join(_JS_REGEX_SPECIAL.sub(lambda m: "\\" + m.group(), t) for t in tests)
        return f"{command} -t {_q(pattern)}"
    if fam == "rs" and command.startswith("cargo test") and " -- " not in command:
        return f"{command} -- {' '.join(_q(t.replace('.', '::')) for t in tests)} --exact"
    m = re.search(r"-Dtest=(\S+)", command)
    if fam == "java" and m and "#" not in m.group(1):
        return command[: m.end()] + "#" + "+".join(names) + command[m.end():]
    m = re.search(r"--tests (\S+)$", command)
    if fam == "java" and m:
        return command[: m.start()] + " ".join(f"--tests {m.group(1)}.{n}" for n in names)
    if fam == "php" and "vendor/bin/phpunit" in command and " --filter " not in command:
        return f"{command} --filter {_q(_php_filter(names))}"
    m = re.search(r"swift test --filter (\S+)$", command)
    if fam == "swift" and m and "/" not in m.group(1):
        pattern = f"{m.group(1)}/" + (f"({'|'.join(names)})$" if len(names) > 1 else f"{names[0]}$")
        return command[: m.start(1)] + _q(pattern)
    m = re.search(r"--filter FullyQualifiedName~(\S+)$", command)
    if fam == "cs" and m:
        return command[: m.start()] + "--filter " + _q("|".join(f"FullyQualifiedName~{m.group(1)}.{n}" for n in names))
    return command


def _cargo_command(test_path: str, stem: str, test_name: str | None) -> str:
    parts = test_path.split("/")
    if len(parts) >= 2 and parts[-2] == "tests":
        return f"cargo test --test {_q(stem)}" + (f" {_q(test_name)}" if test_name else "")
    return "cargo test" + (f" {_q(test_name)}" if test_name else "")
