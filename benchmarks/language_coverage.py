"""What the index knows of one language in a real repository: definitions, imports, test links, speed.

    python benchmarks/language_coverage.py --repo /path/to/checkout --lang kotlin [--workers 2]

Deletes the checkout's index, indexes it cold (the time and the bytes of every indexed file give the
throughput), then reports for the files of ``--lang``:

- definitions found (and by kind);
- import statements, and of those that name a repository file, how many resolve to it. Which file
  a statement names is decided here independently of the resolver, from the files' own
  declarations (an oracle per language, below): Kotlin/Java ``package`` headers and the top-level
  definitions of each file. ``hit``: the named file is among the files the statement resolved to
  (a Kotlin member import resolves to its package's files); ``exact``: it is the only one;
- test files (tests of the language, less helpers and fixtures; for Zig, those holding test
  blocks) linked to at least one source file.

The localization check is ``commit_localization.py`` on the same checkout.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: Source extensions of each measured language (the resolver's file set may hold others).
EXTS = {"kotlin": (".kt",), "swift": (".swift",), "php": (".php",), "bash": (".sh", ".bash", ".bats"),
        "scala": (".scala",), "lua": (".lua",), "elixir": (".ex", ".exs"),
        "dart": (".dart",), "haskell": (".hs",), "ocaml": (".ml",), "zig": (".zig",),
        "julia": (".jl",), "perl": (".pm", ".pl", ".t"),
        "objc": (".m", ".mm", ".h")}
#: Lines read from the top of a file for its package header.
HEADER_LINES = 80

Oracle = Callable[[str, str, list[str], str], set[str]]


def _rows(repo: Any, sql: str) -> list[list[Any]]:
    return list(repo.query(sql, limit=10_000_000)["rows"])


def _head(root: Path, path: str) -> str:
    try:
        with open(root / path, encoding="utf-8", errors="replace") as fh:
            return "".join(fh.readline() for _ in range(HEADER_LINES))
    except OSError:
        return ""


_PACKAGE = re.compile(r"(?m)^\s*package\s+(?:object\s+)?([\w.`]+)")  # a package object: its members


def jvm_oracle(root: Path, repo: Any) -> Oracle:
    """Kotlin/Java/Scala: (package, top-level name) → the files declaring it (a Scala package
    object's members count as top-level names of the package)."""
    package: dict[str, str] = {}
    for (path,) in _rows(repo, "SELECT path FROM files WHERE language IN ('kotlin', 'java', 'scala')"):
        found = _PACKAGE.findall(_head(root, path))  # Scala chains clauses: package a; package b
        package[path] = ".".join(found).replace("`", "")
    top: dict[tuple[str, str], set[str]] = defaultdict(set)
    in_package: dict[str, set[str]] = defaultdict(set)
    for path, name in _rows(repo, "SELECT path, name FROM symbols WHERE parent IS NULL"):
        if path in package:
            top[(package[path], name)].add(path)
    for path, pkg in package.items():
        in_package[pkg].add(path)

    def named(path: str, module: str, names: list[str], kind: str) -> set[str]:
        parts = module.split(".")
        if kind == "wildcard" and module in in_package:
            return in_package[module]
        for i in range(len(parts) - (0 if kind == "wildcard" else 1), 0, -1):
            found = top.get((".".join(parts[:i]), parts[i] if i < len(parts) else ""), set())
            if found:
                return found
        return set()

    return named


_SWIFT_TARGET = re.compile(r"""\.(target|executableTarget|testTarget)\s*\(\s*name:\s*"([\w-]+)"(?:[^()]*?\bpath:\s*"([^"]+)")?""")


def swift_oracle(root: Path, repo: Any) -> Oracle:
    """Swift: a module is a Package.swift target (its ``path:`` or Sources/<name>, Tests/<name>)
    or, in an Xcode layout, a folder of the module's name; its files are the Swift files under
    that folder."""
    paths = [p for (p,) in _rows(repo, "SELECT path FROM files WHERE language = 'swift'")]
    folders: dict[str, set[str]] = defaultdict(set)
    for (manifest,) in _rows(repo, "SELECT path FROM files WHERE path LIKE '%Package.swift'"):
        base = os.path.dirname(manifest)
        for kind, name, path in _SWIFT_TARGET.findall((root / manifest).read_text(errors="replace")):
            folder = path or ("Tests/" if kind == "testTarget" else "Sources/") + name
            folders[name].add(f"{base}/{folder}/" if base else f"{folder}/")

    def named(path: str, module: str, names: list[str], kind: str) -> set[str]:
        top = module.split(".")[0]
        prefixes = folders.get(top)
        if prefixes:
            return {p for p in paths if any(p.startswith(f) for f in prefixes)}
        return {p for p in paths if f"/{top}/" in f"/{p}"}

    return named


_PHP_NAMESPACE = re.compile(r"(?m)^\s*namespace\s+([\w\\]+)\s*[;{]")


def php_oracle(root: Path, repo: Any) -> Oracle:
    """PHP: ``namespace\\Name`` of every top-level class, interface, trait, enum and function
    (the file's ``namespace`` header); an include names the file at its path."""
    namespace: dict[str, str] = {}
    for (path,) in _rows(repo, "SELECT path FROM files WHERE language = 'php'"):
        m = _PHP_NAMESPACE.search(_head(root, path))
        namespace[path] = m.group(1) if m else ""
    fqn: dict[str, set[str]] = defaultdict(set)
    for path, name in _rows(repo, "SELECT path, name FROM symbols WHERE parent IS NULL"):
        if path in namespace:
            fqn[f"{namespace[path]}\\{name}".lstrip("\\")].add(path)
    files = set(namespace)

    def named(path: str, module: str, names: list[str], kind: str) -> set[str]:
        if kind.startswith(("require", "include")):
            here = str(Path(path).parent / module)
            return {p for p in (os.path.normpath(here), os.path.normpath(module)) if p in files}
        return fqn.get(module.strip("\\"), set())

    return named


def shell_oracle(root: Path, repo: Any) -> Oracle:
    """Shell: a sourced literal path names the file at that path from the script's folder or the
    checkout's root; a path after an expansion (``$ROOT/lib/x.sh``) names the files ending in it
    when exactly one does (several: which one the variable holds is not known here)."""
    files = {p for (p,) in _rows(repo, "SELECT path FROM files")}

    def named(path: str, module: str, names: list[str], kind: str) -> set[str]:
        if kind == "source_tail":
            ends = {f for f in files if f == module or f.endswith("/" + module)}
            return ends if len(ends) == 1 else set()
        here = os.path.normpath(str(Path(path).parent / module))
        return {p for p in (here, os.path.normpath(module)) if p in files}

    return named


def lua_oracle(root: Path, repo: Any) -> Oracle:
    """Lua: ``require "a.b"`` names the file whose path ends in a/b.lua or a/b/init.lua, when
    only one does."""
    files = [p for (p,) in _rows(repo, "SELECT path FROM files WHERE language = 'lua'")]

    def named(path: str, module: str, names: list[str], kind: str) -> set[str]:
        base = module.replace(".", "/")
        ends = {f for f in files if any(f == e or f.endswith("/" + e) for e in (base + ".lua", base + "/init.lua"))}
        return ends if len(ends) == 1 else set()

    return named


def elixir_oracle(root: Path, repo: Any) -> Oracle:
    """Elixir: the files whose ``defmodule`` defines the module (the index's qualified module
    names, nested ones included), when it is defined once outside tests."""
    defined: dict[str, set[str]] = defaultdict(set)
    for path, qualname in _rows(repo, "SELECT s.path, s.qualname FROM symbols s JOIN files f USING (path) "
                                      "WHERE f.language = 'elixir' AND s.kind IN ('module', 'interface')"):
        defined[qualname].add(path)

    def named(path: str, module: str, names: list[str], kind: str) -> set[str]:
        found = defined.get(module, set())
        return found if len(found) == 1 else set()

    return named


_PUBSPEC = re.compile(r"(?m)^name:\s*['\"]?(\w+)")


def dart_oracle(root: Path, repo: Any) -> Oracle:
    """Dart: ``package:p/x.dart`` names lib/x.dart of the repository's package ``p`` (its
    pubspec.yaml), a relative URI the file beside the importer."""
    files = {p for (p,) in _rows(repo, "SELECT path FROM files")}
    packages = {}
    for p in files:
        if p.endswith("pubspec.yaml") and (m := _PUBSPEC.search((root / p).read_text(errors="replace"))):
            packages[m.group(1)] = os.path.dirname(p)

    def named(path: str, module: str, names: list[str], kind: str) -> set[str]:
        if module.startswith("package:"):
            name, _, rest = module[len("package:"):].partition("/")
            if name not in packages:
                return set()
            cand = os.path.normpath(os.path.join(packages[name], "lib", rest))
        else:
            cand = os.path.normpath(os.path.join(os.path.dirname(path), module))
        return {cand} if cand in files else set()

    return named


_HS_MODULE = re.compile(r"(?m)^module\s+([\w.]+)")


def haskell_oracle(root: Path, repo: Any) -> Oracle:
    """Haskell: the file whose ``module`` header declares the imported module, when one does."""
    declared: dict[str, set[str]] = defaultdict(set)
    for (path,) in _rows(repo, "SELECT path FROM files WHERE language = 'haskell'"):
        m = _HS_MODULE.search((root / path).read_text(errors="replace"))
        if m:
            declared[m.group(1)].add(path)

    def named(path: str, module: str, names: list[str], kind: str) -> set[str]:
        found = declared.get(module, set())
        return found if len(found) == 1 else set()

    return named


_DUNE_LIB = re.compile(r"\(library\b.*?\(name\s+([\w]+)\)", re.DOTALL)


def ocaml_oracle(root: Path, repo: Any) -> Oracle:
    """OCaml: ``Lib.M`` names m.ml of the dune library ``lib``'s folder; a module ``M`` (or
    ``X.M`` where X is no library: a submodule of X) names x.ml / m.ml when exactly one file in
    the repository has that name (several: which one a library scope picks is not checked)."""
    by_name: dict[str, set[str]] = defaultdict(set)
    for (path,) in _rows(repo, "SELECT path FROM files WHERE path LIKE '%.ml'"):
        by_name[os.path.basename(path)[:-3].lower()].add(path)
    libs: dict[str, str] = {}
    for (path,) in _rows(repo, "SELECT path FROM files WHERE path LIKE '%/dune' OR path = 'dune'"):
        for name in _DUNE_LIB.findall((root / path).read_text(errors="replace")):
            libs.setdefault(name.lower(), os.path.dirname(path))

    def named(path: str, module: str, names: list[str], kind: str) -> set[str]:
        parts = module.split(".")
        if len(parts) > 1 and parts[0].lower() in libs:
            return {p for p in by_name.get(parts[1].lower(), set()) if os.path.dirname(p) == libs[parts[0].lower()]}
        found = by_name.get(parts[0].lower(), set())
        return found if len(found) == 1 else set()

    return named


def zig_oracle(root: Path, repo: Any) -> Oracle:
    """Zig: ``@import("x.zig")`` names the file at that path from the importer; a module name
    names nothing checked here (build.zig wires it)."""
    files = {p for (p,) in _rows(repo, "SELECT path FROM files")}

    def named(path: str, module: str, names: list[str], kind: str) -> set[str]:
        cand = os.path.normpath(os.path.join(os.path.dirname(path), module))
        return {cand} if module.endswith(".zig") and cand in files else set()

    return named


def julia_oracle(root: Path, repo: Any) -> Oracle:
    """Julia: ``include("x.jl")`` names the file at that path from the includer; ``using P``
    names src/P.jl of a Project.toml whose name is P."""
    files = {p for (p,) in _rows(repo, "SELECT path FROM files")}
    packages = {}
    for p in files:
        if os.path.basename(p) == "Project.toml":
            m = re.search(r'(?m)^name\s*=\s*"([\w.]+)"', (root / p).read_text(errors="replace"))
            if m:
                packages[m.group(1)] = os.path.normpath(os.path.join(os.path.dirname(p), "src", m.group(1) + ".jl"))

    def named(path: str, module: str, names: list[str], kind: str) -> set[str]:
        if kind == "include":
            cand = os.path.normpath(os.path.join(os.path.dirname(path), module))
            return {cand} if cand in files else set()
        cand = packages.get(module.split(".")[0], "")
        return {cand} if cand in files else set()

    return named


_PERL_PACKAGE = re.compile(r"(?m)^\s*package\s+([\w:]+)")


def perl_oracle(root: Path, repo: Any) -> Oracle:
    """Perl: the file declaring ``package A::B`` (once in the repository) for a module; for
    ``require "x.pl"``, the file at that path from the importer, the root or lib/."""
    declared: dict[str, set[str]] = defaultdict(set)
    files = {p for (p,) in _rows(repo, "SELECT path FROM files")}
    for (path,) in _rows(repo, "SELECT path FROM files WHERE language = 'perl'"):
        for name in _PERL_PACKAGE.findall((root / path).read_text(errors="replace")):
            declared[name].add(path)

    def named(path: str, module: str, names: list[str], kind: str) -> set[str]:
        if kind == "require_file":
            cands = (os.path.join(os.path.dirname(path), module), module, os.path.join("lib", module))
            return {os.path.normpath(c) for c in cands if os.path.normpath(c) in files}
        found = declared.get(module, set())
        return found if len(found) == 1 else set()

    return named


def objc_oracle(root: Path, repo: Any) -> Oracle:
    """Objective-C: ``#import "X.h"`` names X.h beside the importer, else the one file of that
    path in the repository; ``<Lib/X.h>`` the one file ending in Lib/X.h or, failing that, X.h
    (a framework's own headers); a system header or framework names nothing here."""
    files = {p for (p,) in _rows(repo, "SELECT path FROM files")}
    by_base: dict[str, set[str]] = defaultdict(set)
    for f in files:
        by_base[os.path.basename(f)].add(f)

    def named(path: str, module: str, names: list[str], kind: str) -> set[str]:
        if kind == "module_import":
            return set()
        beside = os.path.normpath(os.path.join(os.path.dirname(path), module))
        if kind == "include_local" and beside in files:
            return {beside}
        ends = {f for f in by_base.get(os.path.basename(module), set()) if f == module or f.endswith("/" + module)}
        if not ends and "/" in module:
            ends = by_base.get(os.path.basename(module), set())
        return ends if len(ends) == 1 else set()

    return named


ORACLES: dict[str, Callable[[Path, Any], Oracle]] = {"kotlin": jvm_oracle, "swift": swift_oracle, "php": php_oracle,
                                                     "bash": shell_oracle, "scala": jvm_oracle, "lua": lua_oracle,
                                                     "elixir": elixir_oracle, "dart": dart_oracle,
                                                     "haskell": haskell_oracle, "ocaml": ocaml_oracle,
                                                     "zig": zig_oracle, "julia": julia_oracle,
                                                     "perl": perl_oracle, "objc": objc_oracle}


def _index_cold(root: Path, workers: int | None) -> tuple[Any, float]:
    import repointel

    shutil.rmtree(root / ".repointel", ignore_errors=True)
    repo = repointel.Repo.open(root)
    t = time.perf_counter()
    repo.index(workers=workers)
    return repo, time.perf_counter() - t


def _imports(root: Path, repo: Any, lang: str) -> dict[str, int]:
    rows = _rows(repo, f"SELECT i.path, i.line, i.module, i.names, i.kind, i.resolved, i.external FROM imports i "
                       f"JOIN files f USING (path) WHERE f.language = '{lang}'")
    statements: dict[tuple[str, int, str], dict[str, Any]] = {}
    for path, line, module, names, kind, resolved, external in rows:
        st = statements.setdefault((path, line, module), {"names": names or [], "kind": kind, "files": set(),
                                                          "external": external})
        if resolved:
            st["files"].add(resolved)
    oracle = ORACLES[lang](root, repo)
    out = Counter(statements=len(statements))
    misses: list[str] = []
    for (path, _line, module), st in statements.items():
        out["resolved"] += bool(st["files"])
        out["external"] += bool(st["external"])
        truth = oracle(path, module, st["names"], st["kind"]) - {path}  # a file's own nested class
        if truth:
            out["name_repo_file"] += 1
            out["hit"] += bool(truth & st["files"])
            out["exact"] += len(st["files"]) == 1 and bool(truth & st["files"])
            if not truth & st["files"] and len(misses) < 8:
                misses.append(f"  miss: {path}: {module} → {sorted(st['files'])[:2]} (named {sorted(truth)[:2]})")
    print("\n".join(misses))
    return dict(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, required=True)
    ap.add_argument("--lang", required=True, choices=sorted(ORACLES))
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    root, lang = args.repo.resolve(), args.lang
    repo, seconds = _index_cold(root, args.workers)
    try:
        (files, mb), = _rows(repo, "SELECT count(*), coalesce(sum(size), 0) / 1e6 FROM files WHERE status = 'indexed'")
        (lang_files, lang_mb), = _rows(repo, f"SELECT count(*), coalesce(sum(size), 0) / 1e6 FROM files "
                                             f"WHERE language = '{lang}'")
        kinds = _rows(repo, f"SELECT kind, count(*) FROM symbols JOIN files USING (path) WHERE language = '{lang}' "
                            "GROUP BY 1 ORDER BY 2 DESC")
        imports = _imports(root, repo, lang)
        from repointel.extract.testmap import is_test_support

        tests = [p for (p,) in _rows(repo, f"SELECT path FROM files WHERE language = '{lang}' AND is_test")
                 if not is_test_support(p)]
        if lang == "zig":  # a Zig test file is one with test blocks: tests/ holds analysis inputs too
            with_tests = {p for (p,) in _rows(repo, "SELECT DISTINCT path FROM symbols WHERE signature LIKE 'test %'")}
            tests = [p for p in tests if p in with_tests]
        linked = {p for (p,) in _rows(repo, "SELECT DISTINCT test_path FROM test_links")}
        unlinked = [t for t in tests if t not in linked]
    finally:
        repo.close()
    n_defs = sum(n for _, n in kinds)
    named = imports.get("name_repo_file", 0)
    print(f"{root.name} ({lang}): {lang_files} {lang} files ({lang_mb:.1f} MB) of {files} indexed ({mb:.1f} MB)")
    print(f"cold index: {seconds:.1f} s, {mb / seconds:.2f} MB/s, {files / seconds:.0f} files/s")
    print(f"definitions: {n_defs} ({', '.join(f'{k} {n}' for k, n in kinds)})")
    print(f"import statements: {imports.get('statements', 0)}, resolved to a repository file "
          f"{imports.get('resolved', 0)}, external {imports.get('external', 0)}")
    print(f"statements naming a repository file: {named}; resolved to it {imports.get('hit', 0)} "
          f"({100 * imports.get('hit', 0) / max(named, 1):.1f}%), to it alone {imports.get('exact', 0)} "
          f"({100 * imports.get('exact', 0) / max(named, 1):.1f}%)")
    n_linked = sum(t in linked for t in tests)
    print("\n".join(f"  unlinked: {t}" for t in unlinked[:8]))
    print(f"test files: {len(tests)}, linked to a source file {n_linked} ({100 * n_linked / max(len(tests), 1):.1f}%)")


if __name__ == "__main__":
    main()
