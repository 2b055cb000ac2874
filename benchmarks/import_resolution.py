"""Import-resolution and test-linking accuracy on CPython's ``Lib`` treated as a repository.

Run: ``/work/venv/bin/python benchmarks/import_resolution.py [--lib PATH] [--show N]``

Every ``.py`` file under the running interpreter's stdlib directory (``site-packages``,
``lib-dynload`` and ``__pycache__`` left out: they are not part of ``Lib``) is parsed with
tree-sitter, its imports extracted and resolved by :class:`repointel.extract.deps.ImportResolver`.

Ground truth is Python's own path-based finder, ``importlib.machinery.PathFinder.find_spec``,
called with ``path=[Lib]`` for top-level names and with the parent package's
``submodule_search_locations`` for submodules — exactly what ``import`` does with
``sys.path == [Lib]`` except that built-in and frozen modules are not consulted (``os`` is frozen
in 3.11, yet ``Lib/os.py`` is the file a repository map should point at). Nothing is imported
or executed. Rules on top of the finder:

- relative imports are made absolute from the importer's package (its dotted directory);
- ``from X import y`` expects ``X.y`` when the finder finds ``y`` as a submodule of package ``X``
  (the first such name), else ``X`` itself; ``import X.Y`` expects ``X.Y``;
- a compiled extension module (``.so``) stands for its same-named ``.py`` source when the tree
  has one (mypyc and Cython ship both), else it is not in the tree;
- an import counts only when its expected target is a ``.py`` file in the tree ("target exists");
  namespace packages and modules the finder cannot find (builtins, ``lib-dynload`` extensions,
  ``os.path``) are left out of the resolved share and counted separately.

Test linking: every ``Lib/test/**/test_*.py`` file is a test module; the share that
:func:`repointel.extract.testmap.link_tests` links to at least one non-test file is printed
(also for every file under ``test/`` that :func:`is_test_path` calls a test).
"""

from __future__ import annotations

import argparse
import importlib.machinery
import os
import sys
import sysconfig
import time
import types
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from repointel.extract.deps import ImportResolver
from repointel.extract.imports import extract_imports
from repointel.extract.testmap import is_test_path, link_tests
from repointel.models import ImportRecord
from repointel.parse.languages import parse

_SKIP_DIRS = {"site-packages", "lib-dynload", "__pycache__", "dist-packages"}


def _py_files(lib: str) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(lib):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("config-"))
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield os.path.relpath(os.path.join(dirpath, name), lib).replace(os.sep, "/")


class _Truth:
    """The file the path-based import system loads for a dotted name, with ``path=[lib]``."""

    def __init__(self, lib: str) -> None:
        self.lib = lib
        self.cache: dict[str, Any] = {}

    def spec(self, name: str) -> Any:
        """The finder's spec for ``name`` (None when not found), parents first, cached."""
        if name not in self.cache:
            head, _, tail = name.rpartition(".")
            if not head:
                self.cache[name] = importlib.machinery.PathFinder.find_spec(name, [self.lib])
            else:
                locs = self.locations(head)
                self.cache[name] = self._find_sub(name, head, locs) if locs else None
        return self.cache[name]

    def locations(self, name: str) -> list[str] | None:
        """Where submodules of package ``name`` live; None for a plain module or a missing one."""
        spec = self.spec(name)
        locs = getattr(spec, "submodule_search_locations", None) if spec is not None else None
        locs = getattr(locs, "_path", locs)  # a namespace path would recalculate via sys.modules
        return list(locs) if locs is not None else None

    @staticmethod
    def _find_sub(name: str, head: str, locs: list[str]) -> Any:
        """PathFinder on the parent's locations; a namespace result reads the parent module's
        ``__path__`` from sys.modules, so a stub stands in for it (nothing is imported)."""
        saved = sys.modules.get(head)
        stub = types.ModuleType(head)
        stub.__path__ = locs
        sys.modules[head] = stub
        try:
            return importlib.machinery.PathFinder.find_spec(name, locs)
        finally:
            if saved is None:
                del sys.modules[head]
            else:
                sys.modules[head] = saved

    def file(self, name: str) -> str | None:
        """Repo-relative file for ``name``; None when missing or a namespace package."""
        spec = self.spec(name)
        origin = getattr(spec, "origin", None) if spec is not None else None
        if origin and origin.endswith((".so", ".pyd")):  # compiled (mypyc/Cython): its .py source, if any
            origin = os.path.join(os.path.dirname(origin), name.rpartition(".")[2] + ".py")
        if not origin or not os.path.isfile(origin) or not origin.endswith(".py"):
            return None  # builtin, frozen, namespace, or an extension without source in the tree
        rel = os.path.relpath(origin, self.lib).replace(os.sep, "/")
        return None if rel.startswith("..") else rel


def _absolute(importer: str, rec: ImportRecord) -> str | None:
    if not rec.level:
        return rec.module
    package = os.path.dirname(importer).split("/") if "/" in importer else []
    if rec.level - 1 > len(package):
        return None
    base = package[: len(package) - (rec.level - 1)]
    return ".".join(base + ([rec.module] if rec.module else [])) or None


def expected(truth: _Truth, importer: str, rec: ImportRecord) -> str | None:
    """The file Python would load for this import (see the module docstring), or None."""
    name = _absolute(importer, rec)
    if not name or any(not part.isidentifier() for part in name.split(".")):
        return None
    if rec.kind == "from":
        if truth.locations(name):
            for sub in rec.names:
                if sub != "*" and truth.file(f"{name}.{sub}"):
                    return truth.file(f"{name}.{sub}")
    return truth.file(name)


def _extract(lib: str, files: list[str], timing: dict[str, float]) -> dict[str, list[ImportRecord]]:
    out: dict[str, list[ImportRecord]] = {}
    for rel in files:
        with open(os.path.join(lib, rel), "rb") as fh:
            data = fh.read()
        t0 = time.perf_counter()
        tree = parse("python", data)
        t1 = time.perf_counter()
        out[rel] = extract_imports("python", tree, data)
        timing["parse"] += t1 - t0
        timing["extract imports"] += time.perf_counter() - t1
    return out


def _reader(lib: str) -> Any:
    def read_text(rel: str) -> str | None:
        """Text of ``rel`` under Lib, or None."""
        try:
            with open(os.path.join(lib, rel), encoding="utf-8") as fh:
                return fh.read()
        except OSError:
            return None
    return read_text


def _score(truth: _Truth, resolver: ImportResolver, raw: dict[str, list[ImportRecord]],
           timing: dict[str, float]) -> tuple[Counter[str], dict[str, list[ImportRecord]], list[str]]:
    counts: Counter[str] = Counter()
    resolved: dict[str, list[ImportRecord]] = {}
    misses: list[str] = []
    for path, recs in raw.items():
        for rec in recs:
            t0 = time.perf_counter()
            res = resolver.resolve(path, "python", rec)
            timing["resolve"] += time.perf_counter() - t0
            resolved.setdefault(path, []).append(res)
            counts["imports"] += 1
            want = expected(truth, path, rec)
            if want is None:
                counts["target not in tree"] += 1
                continue
            counts["target exists"] += 1
            if res.resolved == want:
                counts["correct"] += 1
            else:
                counts["wrong" if res.resolved else "unresolved"] += 1
                misses.append(f"{path}:{rec.line} {'.' * rec.level}{rec.module} {rec.names[:3]} "
                              f"-> {res.resolved} (want {want})")
    return counts, resolved, misses


def _test_share(files: list[str], resolved: dict[str, list[ImportRecord]]
                ) -> tuple[dict[str, tuple[int, int]], list[str]]:
    links = link_tests(files, resolved, None, None, None)
    linked = {t.test_path for t in links if not is_test_path(t.source_path)}
    strong = {t.test_path for t in links if not is_test_path(t.source_path) and t.confidence >= 0.5}
    pairs = {(t.test_path, t.source_path) for t in links}
    modules = [f for f in files if f.startswith("test/") and os.path.basename(f).startswith("test_")]
    tests = [f for f in files if f.startswith("test/") and is_test_path(f)]
    fileset = set(files)
    named: list[tuple[str, str]] = []  # test/test_X.py whose top-level module X is a file in Lib
    for f in modules:
        stem = os.path.basename(f)[5:-3]
        target = next((c for c in (f"{stem}.py", f"{stem}/__init__.py") if c in fileset), None)
        if f.count("/") == 1 and target is not None:
            named.append((f, target))
    reasons = Counter(t.reason for t in links)
    print(f"test links: {len(links)} ({dict(reasons)})")
    return {"test modules (test/**/test_*.py)": (sum(f in linked for f in modules), len(modules)),
            "  ... with a link of conf >= 0.5": (sum(f in strong for f in modules), len(modules)),
            "all test files under test/": (sum(f in linked for f in tests), len(tests)),
            "test/test_X.py linked to module X": (sum(p in pairs for p in named), len(named))}, [
        f for f in modules if f not in linked]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables; exit status 1 when a target is missed."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", default=sysconfig.get_paths()["stdlib"])
    ap.add_argument("--show", type=int, default=15, help="print this many misses")
    args = ap.parse_args(argv)
    lib = os.path.realpath(args.lib)
    timing: dict[str, float] = defaultdict(float)
    files = list(_py_files(lib))
    raw = _extract(lib, files, timing)
    t0 = time.perf_counter()
    resolver = ImportResolver(files, _reader(lib))
    timing["resolver build"] += time.perf_counter() - t0
    counts, resolved, misses = _score(_Truth(lib), resolver, raw, timing)
    t0 = time.perf_counter()
    shares, unlinked = _test_share(files, resolved)
    timing["link tests"] += time.perf_counter() - t0
    share = counts["correct"] / max(1, counts["target exists"])
    print(f"Lib: {lib}  (Python {sys.version.split()[0]}), {len(files)} files")
    print("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in timing.items()) + "\n")
    print(f"{'imports':<28}{'count':>10}")
    for key in ("imports", "target not in tree", "target exists", "correct", "wrong", "unresolved"):
        print(f"{key:<28}{counts[key]:>10}")
    print(f"{'resolved share':<28}{share:>10.2%}   (target >= 98%)\n")
    print(f"{'test files':<36}{'linked':>8}{'total':>8}{'share':>9}")
    for key, (hit, total) in shares.items():
        print(f"{key:<36}{hit:>8}{total:>8}{hit / max(1, total):>9.2%}")
    print("   (target >= 90% for test modules)")
    for line in misses[: args.show]:
        print("  miss:", line)
    print("unlinked test modules:", ", ".join(unlinked) or "none")
    test_share = shares["test modules (test/**/test_*.py)"]
    ok = share >= 0.98 and test_share[0] / max(1, test_share[1]) >= 0.90
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
