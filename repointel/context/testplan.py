"""The tests a packet names: the tests linked to the ranked files, the header's likely tests,
and the focused command that runs the linked tests using the task's names."""

from __future__ import annotations

import re
from collections import Counter

from ..rank.task import TaskTerms
from ..store import IndexReader
from .files import PacketFiles, Source

__all__ = ["STRONG_TEST_LINK", "focused_tests", "likely_tests", "linked_tests", "narrowed_commands", "task_focused_command"]

#: Task names shorter than this (``x``, ``id``) do not pick test functions: every test uses them.
MIN_TEST_NAME = 3
#: Lines above a definition read for its attributes (Rust's ``#[test]`` is not in its span).
TEST_ATTRIBUTE_LINES = 3
#: A test whose own name holds a task name (test_Rational_new for "Rational") is about it: this
#: counts like a name only that test uses.
TEST_NAME_MATCH = 1.0
#: A word of a test's text (bytes: ASCII letters, digits, underscore), to match task names against.
_WORD = re.compile(rb"\w+")


def narrowed_commands(store: IndexReader, tests: list[tuple[str, str | None]]) -> list[str | None]:
    """Each (test path, stored generic command) as the command to run in this repository: narrowed
    through the build that owns the test (see :func:`~repointel.extract.testmap.focused_command`)."""
    from ..extract.testmap import focused_command

    if not tests:
        return []
    builds = [tuple(r) for r in store.rows("SELECT tool, manifest, unit_command FROM builds")]
    return [focused_command(test, generic, builds) for test, generic in tests]


def task_focused_command(store: IndexReader, files: PacketFiles, tests: list[tuple[str, str, str | None, float]],
                         terms: TaskTerms) -> str | None:
    """The command that runs the first linked test that has one, narrowed to the test functions
    in it that use the names the task writes (``pytest 'tests/test_x.py::test_zero_discount'``)."""
    from ..extract.testmap import narrow_to_tests

    pairs = [(t, g) for _, t, g, _c in tests[:3]]
    for (test, _g), command in zip(pairs, narrowed_commands(store, pairs)):
        if command:
            return narrow_to_tests(command, test, _tests_using(files, test, terms))
    return None


def focused_tests(files: PacketFiles, tests: list[tuple[str, str, str | None, float]],
                  terms: TaskTerms) -> list[tuple[str, set[str]]]:
    """(test file, names of the tests in it the focused command selects) for the first linked
    test file that has a command: the tests a packet shows the bodies of."""
    for _, test, generic, _c in tests[:3]:
        if generic:
            names = _tests_using(files, test, terms)
            return [(test, set(names))] if names else []
    return []


def _tests_using(files: PacketFiles, test: str, terms: TaskTerms) -> list[str]:
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


def _names_used(files: PacketFiles, test: str, src: Source, names: set[str],
                spans: list[tuple[int, int]]) -> list[set[bytes]]:
    """For each span (a test), the task names its text uses, directly or through the file's
    helper functions it names (one hop). Texts are split into words and the words matched
    against the names: the time does not grow with the number of names a task writes."""
    wanted = {n.encode() for n in names if n.isascii()}
    texts = [_WORD.findall(b"".join(src.lines[s - 1 : e])) for s, e in spans]
    starts = {s for s, _ in spans}
    helpers: dict[bytes, set[bytes]] = {}
    for name, _q, kind, start, end, _sig, _parent in files.definitions(test):
        if kind in ("function", "method") and start not in starts and len(name) >= MIN_TEST_NAME:
            hits = wanted.intersection(_WORD.findall(b"".join(src.lines[start - 1 : end])))
            if hits:
                helpers[name.encode()] = hits
    return [wanted.intersection(words).union(*(helpers[h] for h in helpers.keys() & set(words)))
            for words in texts]


def _test_units(files: PacketFiles, test: str, src: Source) -> list[tuple[int, int, str, str]]:
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


def linked_tests(store: IndexReader, paths: list[str]) -> list[tuple[str, str, str | None, float]]:
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


def likely_tests(tests: list[tuple[str, str, str | None, float]]) -> list[str]:
    """The header's likely tests: strong links first, each group in ranking order, each test once."""
    order = sorted(range(len(tests)), key=lambda i: (tests[i][3] < STRONG_TEST_LINK, i))
    return list(dict.fromkeys(tests[i][1] for i in order))
