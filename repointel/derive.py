"""Repository-wide maps rebuilt from the stored per-file facts, inside the index transaction.

Each ``_build_*`` function is one provider: it reads what it depends on from the store and
replaces one table. They run in dependency order (imports before edges before test links).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .store import IndexStore

__all__ = ["EDGELESS_KINDS", "QUALIFIER_KINDS", "Change", "carries_edges", "rebuild_derived", "warm"]

#: Reference edges ignore names defined in more files than this: such names say nothing about where.
MAX_DEFINERS = 8
#: Commits mined for history owners and co-change: recent history says who owns code now.
HISTORY_COMMITS = 2000
#: A name used in a file that also imports the defining file is almost surely that definition.
IMPORTED_REFERENCE_BOOST = 3.0
#: Reference edges ignore names shorter than this (i, x, fn … are everywhere).
MIN_REF_NAME = 3
#: Languages whose imports can name a package of many files (Go packages, Java wildcard imports,
#: Kotlin and Scala imports of a package's top-level members, Swift modules, C# namespaces): one
#: ``imports`` row per file, so importers, edges and impact reach each file.
PACKAGE_IMPORT_LANGUAGES = ("go", "java", "kotlin", "scala", "swift", "csharp")
#: Definition kinds that never carry a reference edge (a local name says nothing about where).
EDGELESS_KINDS = ("variable", "field")
#: Module and namespace names are used as path qualifiers (``std::sync::Arc``, ``App.Models``):
#: as reference targets they drew every use of ``sync`` to the one tokio file with an inline
#: ``mod sync``. Ruby's modules are mixins (``include Helpers``) and keep their edges; module
#: relations otherwise come from the imports map.
QUALIFIER_KINDS = ("module", "namespace")
#: SQL over ``symbols``: the definitions that can carry a reference edge (see :func:`carries_edges`).
_EDGE_DEFS_SQL = f"kind NOT IN {EDGELESS_KINDS} AND (kind NOT IN {QUALIFIER_KINDS} OR path LIKE '%.rb')"


def carries_edges(kind: str, path: str) -> bool:
    """Whether a definition of ``kind`` in ``path`` can be the target of a reference edge."""
    return kind not in EDGELESS_KINDS and (kind not in QUALIFIER_KINDS or path.endswith(".rb"))


#: Reference shares are summed as whole units of 1e-9: an integer sum does not depend on the order
#: DuckDB's threads add it in (a float sum's last bit did, and one edge in 96k of the stdlib came
#: out 1e-9 apart between two cold runs), and the Python path adds the same integers.
WEIGHT_SCALE = 1_000_000_000

#: Reference edges out of ``$scope`` (or every file): per (file, definer) the sum of
#: ``sqrt(count) / definers`` over the names the file uses, times the boost when it imports the
#: definer. One-file batches compute the same in Python (:func:`_scoped_reference_edges`).
_REFERENCE_EDGES_SQL = f"""
INSERT INTO file_edges
WITH r AS (  -- list_contains filters faster than IN (subquery) for a few paths
    SELECT path, name, count FROM refs WHERE $all OR list_contains($scope, path)
), defs AS (
    SELECT DISTINCT name, path FROM symbols
    WHERE {_EDGE_DEFS_SQL} AND length(name) >= {MIN_REF_NAME}
      AND name IN (SELECT name FROM r)
), definers AS (
    SELECT name, count(*) AS n FROM defs GROUP BY name HAVING count(*) <= {MAX_DEFINERS}
), imported AS (
    SELECT DISTINCT path AS src, resolved AS dst FROM imports
    WHERE resolved IS NOT NULL AND ($all OR list_contains($scope, path))
)
SELECT r.path, d.path, 'reference',  -- an integer sum: the same whatever order threads add in
       round(sum(floor(sqrt(r.count) / dn.n * {WEIGHT_SCALE} + 0.5)::BIGINT)::DOUBLE / {WEIGHT_SCALE}
             * CASE WHEN i.src IS NULL THEN 1 ELSE {IMPORTED_REFERENCE_BOOST} END, 9)
FROM r JOIN definers dn ON r.name = dn.name JOIN defs d ON r.name = d.name
LEFT JOIN imported i ON i.src = r.path AND i.dst = d.path
WHERE r.path <> d.path
GROUP BY r.path, d.path, i.src
"""

_IMPORT_EDGES_SQL = """
INSERT INTO file_edges
SELECT path, resolved, 'import', count(*)::DOUBLE FROM imports
WHERE resolved IS NOT NULL AND resolved <> path AND (? OR path IN (SELECT unnest(?)))
GROUP BY path, resolved
"""


def _reader(root: str) -> Any:
    def read_text(rel: str) -> str | None:
        full = os.path.join(root, rel)
        try:
            with open(full, "rb") as fh:
                return fh.read(1_000_000).decode("utf-8", "replace")
        except OSError:
            return None

    return read_text


def _indexed_files(store: IndexStore) -> list[tuple[str, str | None]]:
    return [(r[0], r[1]) for r in store.rows(
        "SELECT path, language FROM files WHERE status = 'indexed' ORDER BY path")]


#: The stored import statements, once each: a package import (Go, Java wildcard, C# namespace)
#: is stored as one row per file of the package, the statement's own row resolving to the
#: package's first file (the least path of its rows). Resolving every stored row again multiplied
#: those rows by the package's size on every run that changed the file set (a gin checkout held
#: 5 million import rows after a few).
_STATEMENTS_SQL = """
SELECT path, module, names, line, level, kind FROM (
    SELECT *, min(resolved) OVER (PARTITION BY path, module, names, line, level, kind) AS first FROM imports)
WHERE resolved IS NULL OR resolved = first
"""


def _build_imports(root: str, store: IndexStore, files: list[tuple[str, str | None]],
                   change: Change) -> None:
    """Resolve imports: all of them when the set of files changed, else the touched files'."""
    from .models import ImportRecord

    lang_of = dict(files)
    resolver = _resolver(root, [p for p, _ in files], change)
    out: list[tuple[Any, ...]] = []
    # The touched files' imports come from the run itself (not yet stored); the others' from the
    # store when every import is resolved again.
    stored = store.rows(_STATEMENTS_SQL) if change.set_changed else []
    for path, module, names, line, level, kind in [*stored, *change.new_imports]:
        # the stored rows were validated when extracted: constructed, not validated again
        rec = ImportRecord.model_construct(path=path, module=module, names=list(names or []), line=line,
                                           level=level, kind=kind, resolved=None, external=None)
        lang = lang_of.get(path)
        resolved, external = resolver.target(path, lang, rec) if lang else (None, None)
        out.append((path, module, names, line, level, kind, resolved, external))
        if resolved is not None and lang in PACKAGE_IMPORT_LANGUAGES:  # the package's other files
            out.extend((path, module, names, line, level, kind, other, None)
                       for other in resolver.resolve_all(path, lang, rec)
                       if other not in (resolved, path))
    change.new_targets = Counter((r[0], r[6]) for r in out if r[6] is not None)
    if change.set_changed:
        store.replace_table("imports", out)
    else:
        store.insert("imports", out)  # the run deleted the touched files' old rows


#: The last resolver, reused while the file set and every config file it read stay the same
#: (a daemon applying one-file batches skips rebuilding its module tables: ~35 ms on the stdlib).
_RESOLVER: dict[str, tuple[int, set[str], Any]] = {}


def _resolver(root: str, paths: list[str], change: Change) -> Any:
    from .extract.deps import ImportResolver

    key = hash(tuple(paths))
    cached = _RESOLVER.get(root)
    if cached is not None and cached[0] == key and not cached[1] & change.touched:
        return cached[2]
    read = _reader(root)
    seen: set[str] = set()

    def tracked(rel: str) -> str | None:
        seen.add(rel)
        text: str | None = read(rel)
        return text

    resolver = ImportResolver(paths, tracked)
    _RESOLVER.clear()
    _RESOLVER[root] = (key, seen, resolver)
    return resolver


def _build_edges(store: IndexStore, change: Change, memo: _Memo) -> None:
    """Import edges out of re-resolved files; reference edges out of the touched files and every
    file that uses a name some touched file started or stopped defining (its definers, hence the
    weights, moved), or out of every file when the set of files changed (resolution, hence the
    import boost, may move). An edit inside a function body moves no name."""
    everything = change.set_changed
    scope = sorted(change.touched)
    if everything or change.new_targets != change.old_targets:  # else the same import edges
        store.execute("DELETE FROM file_edges WHERE kind = 'import' AND (? OR src IN (SELECT unnest(?)))",
                      [everything, scope])
        store.execute(_IMPORT_EDGES_SQL, [everything, scope])
    users = _edge_users(store, change, memo) if change.names and not everything else set()
    ref_scope = sorted(set(scope) | set(users))  # when files come or go, resolution (and boosts) move
    store.execute("DELETE FROM file_edges WHERE kind = 'reference' AND (? OR src IN (SELECT unnest(?)))",
                  [everything, ref_scope])
    if everything:
        store.execute(_REFERENCE_EDGES_SQL, {"scope": ref_scope, "all": True})
        return
    _scoped_reference_edges(store, change, memo, ref_scope, bool(users))


#: Reference edges computed in Python for a few source files (the SQL above plans and runs in
#: ~8 ms whatever the scope), stored rounded by the same DuckDB ``round`` as the full query.
_INSERT_REFERENCE_EDGES_SQL = ("INSERT INTO file_edges SELECT unnest($src), unnest($dst), 'reference', "
                               "round(unnest($weight::DOUBLE[]), 9)")


def _scoped_reference_edges(store: IndexStore, change: Change, memo: _Memo, scope: list[str],
                            users: bool) -> None:
    """The :data:`_REFERENCE_EDGES_SQL` edges out of ``scope``: the same sum of
    ``sqrt(count) / definers`` per (file, definer), times the boost when the file imports it.
    Only the touched files: their references and resolved imports come from this run."""
    if users:
        refs = store.rows("SELECT path, name, count FROM refs WHERE list_contains(?, path)", [scope])
        imported = set(store.rows("SELECT DISTINCT path, resolved FROM imports "
                                  "WHERE resolved IS NOT NULL AND list_contains(?, path)", [scope]))
    else:
        refs, imported = change.new_refs, set(change.new_targets or ())
    defined = memo.edge_definers(store)
    weights: dict[tuple[str, str], int] = {}
    for path, name, count in refs:
        definers = defined.get(name, ()) if len(name) >= MIN_REF_NAME else ()
        if not definers or len(definers) > MAX_DEFINERS:
            continue
        units = math.floor(math.sqrt(count) / len(definers) * WEIGHT_SCALE + 0.5)  # as the SQL does
        for target in definers:
            if target != path:
                weights[(path, target)] = weights.get((path, target), 0) + units
    if weights:
        pairs = sorted(weights)
        store.execute(_INSERT_REFERENCE_EDGES_SQL, {
            "src": [a for a, _ in pairs], "dst": [b for _, b in pairs],
            "weight": [weights[p] / WEIGHT_SCALE * (IMPORTED_REFERENCE_BOOST if p in imported else 1.0)
                       for p in pairs]})


def _name_users(store: IndexStore, change: Change) -> dict[str, set[str]]:
    """name → the files that use it, for every name that moved (one refs scan for edges and tests)."""
    if change.name_users is None:
        change.name_users = {}
        for path, name in store.rows("SELECT DISTINCT path, name FROM refs WHERE name IN (SELECT unnest(?))",
                                     [sorted(change.names | change.top_names)]):
            change.name_users.setdefault(name, set()).add(path)
    return change.name_users


def _edge_users(store: IndexStore, change: Change, memo: _Memo) -> set[str]:
    """Files whose reference edges a change of ``names`` can move: users of a name that can carry
    an edge before or after the change (at most MAX_DEFINERS definers then; the touched files moved
    each count by at most their number, hence the margin)."""
    names = sorted(n for n in change.names if len(n) >= MIN_REF_NAME)
    defined = memo.edge_definers(store)
    margin = MAX_DEFINERS + len(change.touched)
    users = _name_users(store, change)
    return {p for n in names if len(defined.get(n, ())) <= margin for p in users.get(n, ())}


def _build_doclen(store: IndexStore, change: Change) -> None:
    store.execute("DELETE FROM doclen WHERE path IN (SELECT unnest(?))", [sorted(change.touched)])
    store.insert("doclen", sorted(change.doclen.items()))


class _Target(NamedTuple):
    """A resolved import as test linking reads it (thousands per run: no validation needed)."""

    resolved: str | None


class _Memo:
    """Repository-wide inputs that one run leaves mostly unchanged, kept between the runs of one
    process (a daemon applies one-file batches): the indexed file list, the test files' resolved
    imports, the test-link file index and the edge definers. Each is patched from the rows the
    run itself wrote.

    ``stamp`` is the run id the memo reflects. A run that finds another id in ``meta`` (another
    writer ran, or the run that stamped it rolled back) starts from an empty memo."""

    def __init__(self) -> None:
        self.stamp: str | None = None
        self.files: list[tuple[str, str | None]] | None = None
        self.files_key = 0  # hash of the file list's paths, kept with it
        self.test_imports: dict[str, list[_Target]] | None = None
        self.link_index: tuple[int, Any] | None = None
        self.definers: dict[str, set[str]] | None = None  # name → files defining it (edge kinds)

    def edge_definers(self, store: IndexStore) -> dict[str, set[str]]:
        """name → the files defining it with a kind that can carry a reference edge."""
        if self.definers is None:
            self.definers = {}
            for name, path in store.rows(
                    f"SELECT DISTINCT name, path FROM symbols WHERE {_EDGE_DEFS_SQL}"):
                self.definers.setdefault(name, set()).add(path)
        return self.definers

    def patch_definers(self, change: Change) -> None:
        """Move the touched files' definitions from what they were to what they are."""
        if self.definers is None:
            return  # read from the store (as this run leaves it) when first needed
        for path, name in change.edge_defs[0]:
            paths = self.definers.get(name)
            if paths is not None:
                paths.discard(path)
                if not paths:
                    del self.definers[name]
        for path, name in change.edge_defs[1]:
            self.definers.setdefault(name, set()).add(path)

    def indexed_files(self, store: IndexStore, change: Change) -> list[tuple[str, str | None]]:
        """(path, language) of every indexed file, sorted by path."""
        if self.files is None:
            self.files = _indexed_files(store)
        elif change.touched:
            kept = {p: lang for p, lang in self.files if p not in change.touched}
            kept.update((p, lang) for p, lang, status in change.written if status == "indexed")
            self.files = sorted(kept.items())
        else:
            return self.files
        self.files_key = hash(tuple(p for p, _ in self.files))
        return self.files

    def imports_of_tests(self, store: IndexStore, change: Change) -> dict[str, list[_Target]]:
        """Test file → its resolved imports (only test files' imports make test links)."""
        from .extract.testmap import is_test_path

        if self.test_imports is None:
            self.test_imports = {}
            for path, resolved in store.rows(
                "SELECT path, resolved FROM imports WHERE resolved IS NOT NULL "
                "AND path IN (SELECT path FROM files WHERE is_test)"
            ):
                self.test_imports.setdefault(path, []).append(_Target(resolved))
            return self.test_imports
        tests = {p for p in change.touched if is_test_path(p)}  # the files map's is_test
        for path in tests:
            self.test_imports.pop(path, None)
        for (path, resolved), n in (change.new_targets or Counter()).items():  # resolved this run
            if path in tests:
                self.test_imports.setdefault(path, []).extend([_Target(resolved)] * n)
        return self.test_imports

    def link_index_of_files(self) -> Any:
        """The test-link file index of :meth:`indexed_files` (rebuilt when the list moved)."""
        from .extract.testmap import LinkIndex

        assert self.files is not None, "indexed_files first"
        if self.link_index is None or self.link_index[0] != self.files_key:
            self.link_index = (self.files_key, LinkIndex([p for p, _ in self.files]))
        return self.link_index[1]


#: One memo per index file (by path): valid while its stamp is the run id recorded in ``meta``.
_MEMOS: dict[str, _Memo] = {}


def warm(root: str, store: IndexStore) -> None:
    """Fill this process's memo (and import resolver) for ``store`` from the index as it stands,
    unless it is already current: a daemon calls this before its catch-up batch (which keeps the
    memo when it changes nothing), so that its first one-file batch does not pay for reading
    them (~100 ms on the stdlib)."""
    run_id = store.meta().get("run_id")
    memo = _MEMOS.get(store.index_path)
    if run_id is None or (memo is not None and memo.stamp == run_id):
        return
    memo = _MEMOS[store.index_path] = _Memo()
    nothing = Change(set_changed=False)
    files = memo.indexed_files(store, nothing)
    memo.imports_of_tests(store, nothing)
    memo.link_index_of_files()
    memo.edge_definers(store)
    _resolver(root, [p for p, _ in files], nothing)
    memo.stamp = run_id


def _memo_for(store: IndexStore, change: Change) -> _Memo:
    memo = _MEMOS.get(store.index_path)
    if memo is None or change.set_changed or change.previous_run is None or memo.stamp != change.previous_run:
        memo = _MEMOS[store.index_path] = _Memo()
    return memo


def _tests_to_relink(store: IndexStore, change: Change, imports: dict[str, list[_Target]]) -> list[str] | None:
    """The test files whose links this change can move, or None for all of them.

    Naming depends on the file set (all move when it does). Reference links depend on the names a
    test uses and their non-test top-level definers: they move for users of a top-level name some
    touched file started or stopped defining. Import links depend on a test's own imports, on the
    helpers it imports, and on import fan-in: they move for a touched test, the tests importing
    it, and the tests importing anything a touched test started or stopped importing.
    ``imports`` is every test file's resolved imports, as this run leaves them."""
    from .extract.testmap import is_test_path

    if change.set_changed:
        return None
    users = _name_users(store, change) if change.top_names else {}
    relink = {p for n in change.top_names for p in users.get(n, ()) if is_test_path(p)}  # refs: indexed files
    tests = {p for p in change.touched if is_test_path(p)}
    if tests:
        now = {(p, t.resolved) for p in tests for t in imports.get(p, ())}
        before = {(p, r) for p, r in change.old_targets if p in tests}
        moved = tests | {r for _, r in now ^ before}
        relink |= tests | {p for p, targets in imports.items() if any(t.resolved in moved for t in targets)}
    return sorted(relink)


def _build_tests(store: IndexStore, files: list[tuple[str, str | None]], change: Change,
                 memo: _Memo) -> None:
    from .extract.testmap import focused_test_command, link_tests

    imports = memo.imports_of_tests(store, change)  # patched every run: the memo stays true
    only = _tests_to_relink(store, change, imports)
    if only is not None and not only:
        return
    tests = only if only is not None else [p for p, in store.rows(
        "SELECT path FROM files WHERE is_test AND status = 'indexed'")]
    refs: dict[str, dict[str, int]] = {}
    for path, name, count in store.rows(
        "SELECT path, name, count FROM refs WHERE path IN (SELECT unnest(?))", [sorted(tests)]
    ):
        refs.setdefault(path, {})[name] = count
    by_name: dict[str, list[str]] = {}
    used = "SELECT unnest(?)" if only is not None else "SELECT DISTINCT name FROM refs WHERE path IN (SELECT unnest(?))"
    for name, path in store.rows(  # a few tests: their names as a list, not a second refs scan
        f"SELECT DISTINCT name, path FROM symbols WHERE parent IS NULL AND name IN ({used})",
        [sorted({n for names in refs.values() for n in names}) if only is not None else sorted(tests)]
    ):
        by_name.setdefault(name, []).append(path)
    links = link_tests([p for p, _ in files], imports, refs, by_name, focused_test_command, only=only,
                       index=memo.link_index_of_files())
    rows = [(t.test_path, t.source_path, t.test_name, t.reason, t.confidence, t.command) for t in links]
    if only is None:
        store.replace_table("test_links", rows)
    else:
        store.execute("DELETE FROM test_links WHERE test_path IN (SELECT unnest(?))", [sorted(only)])
        store.insert("test_links", rows)


def _build_repo_facts(root: str, store: IndexStore, files: list[tuple[str, str | None]],
                      change: Change) -> None:
    """Builds (cheap, read from manifests) always; owners and conventions, which depend on a file's
    own path and bytes (and on CODEOWNERS), only for the touched files unless the file set moved."""
    from .extract.conventions import may_declare_conventions

    _build_builds(root, store, files, change)
    scope = None if change.set_changed else sorted(change.touched)
    codeowners_moved = any(os.path.basename(p) == "CODEOWNERS" for p in change.touched)
    owned = None if scope is None else sorted(change.listed_moved)  # else: same paths, same rules
    declared = None if scope is None else [p for p in scope if may_declare_conventions(p)]
    if owned == [] and declared == [] and not codeowners_moved:
        return  # an edit of files that declare no conventions: nothing here moves
    every = [r[0] for r in store.rows(
        "SELECT path FROM files WHERE ? OR path IN (SELECT unnest(?)) ORDER BY path",
        [scope is None, scope or []])]
    if owned is None or owned or codeowners_moved:
        _build_owners(root, store, [p for p in every if owned is None or p in change.listed_moved],
                      owned, codeowners_moved)
    if declared is None or declared:
        _build_conventions(root, store, [p for p in every if declared is None or p in declared], declared)


def _build_builds(root: str, store: IndexStore, files: list[tuple[str, str | None]],
                  change: Change) -> None:
    """Builds and the project stack (meta ``language_stack``) depend on the file list and the
    bytes of the files the detectors read (recorded in meta ``build_inputs``): skipped when
    neither moved."""
    import json

    from .extract.build import detect_builds, project_stack

    meta = change.meta if change.meta else store.meta()
    inputs = meta.get("build_inputs")
    if (not change.set_changed and inputs is not None and "language_stack" in meta
            and not change.touched & set(json.loads(inputs))):
        return
    read: set[str] = set()
    paths = [p for p, _ in files]
    builds = detect_builds(root, paths, read)
    store.replace_table("builds", [
        (b.tool, b.manifest, list(b.modules), b.unit_command, b.full_command, list(b.entry_points))
        for b in builds
    ])
    stack = project_stack(root, paths, builds, read)
    store.set_meta({"build_inputs": json.dumps(sorted(read)), "language_stack": json.dumps(stack)})


def _build_owners(root: str, store: IndexStore, paths: list[str], scope: list[str] | None,
                  rules_moved: bool) -> None:
    """Owners of ``paths`` (the rows of ``scope``; None: every file). A file's owners depend only
    on its path and the CODEOWNERS rules: all of them move when the rules do."""
    from .extract.owners import find_codeowners, parse_codeowners

    if scope is not None and rules_moved:
        paths, scope = [r[0] for r in store.rows("SELECT path FROM files ORDER BY path")], None
    rows: list[tuple[Any, ...]] = []
    found = find_codeowners(root)
    if found is not None:
        rules = parse_codeowners(_reader(root)(found) or "")
        for p in paths:
            rec = rules.owners_for(p)
            rows.append((p, list(rec.owners), rec.rule, found, rec.line))
    if scope is None:
        store.replace_table("owners", rows)
    else:
        store.replace_rows("owners", scope, rows)


def _build_conventions(root: str, store: IndexStore, paths: list[str], scope: list[str] | None) -> None:
    from .extract.conventions import detect_conventions

    rows = [(c.path, c.kind, c.governs) for c in detect_conventions(root, paths)]
    if scope is None:
        store.replace_table("conventions", rows)
    else:
        store.replace_rows("conventions", scope, rows)


def _build_history(root: str, store: IndexStore) -> None:
    from .extract.history import mine_history

    records = mine_history(root, max_commits=HISTORY_COMMITS)
    store.replace_table("history", [
        (h.path, h.commits, h.last_change, [f"{a} ({n})" for a, n in h.authors]) for h in records
    ])
    store.replace_table("cochange", [(h.path, p, n) for h in records for p, n in h.cochange])


_SymbolRow = tuple[str, str, str, bool]  # (path, name, kind, is top-level)


@dataclass
class Change:
    """What an index run changed: the paths written or removed, whether the set of paths changed,
    the names whose set of defining files moved (``names``: definitions that can carry reference
    edges; ``top_names``: top-level definitions, which test links use), and the (path, resolved)
    imports the touched files had before the run."""

    touched: set[str] = field(default_factory=set)
    set_changed: bool = True
    names: set[str] = field(default_factory=set)
    top_names: set[str] = field(default_factory=set)
    #: The touched files' resolved imports before the run, and after it: (path, resolved) → count.
    old_targets: Counter[tuple[str, str]] = field(default_factory=Counter)
    new_targets: Counter[tuple[str, str]] | None = None
    #: Terms per touched file (the sum of its term frequencies): BM25's document lengths.
    doclen: dict[str, int] = field(default_factory=dict)
    #: The id of the run that wrote the index this run starts from (meta ``run_id``), and this run's.
    previous_run: str | None = None
    run_id: str | None = None
    #: The touched files' imports as extracted (path, module, names, line, level, kind): the run
    #: leaves them to :func:`rebuild_derived`, which stores them resolved.
    new_imports: list[tuple[Any, ...]] = field(default_factory=list)
    #: ``meta`` as the run found it.
    meta: dict[str, str] = field(default_factory=dict)
    #: Touched paths that gained or lost their ``files`` row (owners are keyed by path alone).
    listed_moved: set[str] = field(default_factory=set)
    #: The touched files' (path, name) definitions of kinds that carry edges, before and after.
    edge_defs: tuple[set[tuple[str, str]], set[tuple[str, str]]] = field(default_factory=lambda: (set(), set()))
    #: The files this run wrote a row for: (path, language, status).
    written: list[tuple[str, str | None, str]] = field(default_factory=list)
    #: The touched files' references as this run extracted them: (path, name, count).
    new_refs: list[tuple[str, str, int]] = field(default_factory=list)
    #: name → files using it, for ``names | top_names`` (read once, when first needed).
    name_users: dict[str, set[str]] | None = None

    @classmethod
    def between(cls, touched: set[str], set_changed: bool, before: list[_SymbolRow],
                after: list[_SymbolRow]) -> Change:
        """The change, from the touched files' definitions before and after: a name moved when
        some touched file started or stopped defining it (an edit inside a body moves none)."""
        def pairs(rows: list[_SymbolRow], top: bool) -> set[tuple[str, str]]:
            return {(p, n) for p, n, kind, is_top in rows
                    if (is_top if top else carries_edges(kind, p))}

        edge_before, edge_after = pairs(before, False), pairs(after, False)
        return cls(touched=touched, set_changed=set_changed,
                   names={n for _, n in edge_before ^ edge_after},
                   top_names={n for _, n in pairs(before, True) ^ pairs(after, True)},
                   edge_defs=(edge_before, edge_after))


def resolver_input(path: str) -> bool:
    """Whether import resolution reads ``path`` (package.json, tsconfig/jsconfig and the JSON they
    extend, go.mod, Cargo.toml, Package.swift, composer.json, pubspec.yaml, a .cabal file,
    package.yaml, a dune file, build.zig or Project.toml): a change to it can move any file's
    resolved imports."""
    name = os.path.basename(path)
    return (name in ("go.mod", "Cargo.toml", "Package.swift", "pubspec.yaml", "package.yaml", "dune", "build.zig",
                     "Project.toml")
            or name.endswith((".json", ".cabal")))


def rebuild_derived(root: str, store: IndexStore, change: Change, *, history: bool) -> None:
    """Bring every repository-wide map up to date with ``change`` (history when HEAD moved)."""
    if any(resolver_input(p) for p in change.touched):
        change.set_changed = True  # resolution config moved: recompute as for a new file set
    memo = _memo_for(store, change)
    memo.stamp = None  # until every step below has patched it
    files = memo.indexed_files(store, change)
    memo.patch_definers(change)
    _build_doclen(store, change)
    _build_imports(root, store, files, change)
    _build_edges(store, change, memo)
    _build_tests(store, files, change, memo)
    _build_repo_facts(root, store, files, change)
    if history:
        _build_history(root, store)
    memo.stamp = change.run_id  # valid for the next run only if this one commits
