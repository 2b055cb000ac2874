"""Build systems, test commands, modules and entry points, from the repository's manifests.

:func:`detect_builds` reads Python (pyproject.toml / setup.cfg / setup.py), Node
(package.json and workspaces), Go (go.mod), Cargo (workspaces), Maven, Gradle (settings
includes, Groovy or Kotlin DSL), Ruby (Gemfile, gemspecs, Rake / RSpec / Rails), SwiftPM
(Package.swift targets), Composer (PSR-4 namespaces, PHPUnit/Pest), sbt (subprojects), LuaRocks
(rockspecs, busted), Mix (umbrella apps), pub (Dart and Flutter), cabal and stack, dune, Zig (build.zig), Julia (Project.toml), Perl
(Makefile.PL, Build.PL, dist.ini, cpanfile), Xcode and CocoaPods, .NET (solutions and projects),
Make, CMake, Dockerfiles / compose files and CI workflows (GitHub Actions, GitLab CI). One :class:`BuildInfo` per project root: a manifest that belongs to a
workspace (an npm workspace package, a Cargo member, a Maven module, a Gradle subproject)
is folded into its root's ``modules`` and ``module_commands`` instead.

Commands run from the repository root (``cd dir && …`` for nested projects). Entry
points are repo-relative paths, ``name = target`` for declared scripts and binaries, or
``make <target>``. No YAML dependency: workflows are read with a light line scan.

:func:`language_stack` ranks languages by file count and adds frameworks named in
manifests (django, flask, fastapi, react, next, vue, angular, express, spring_boot, …).
"""

from __future__ import annotations

import configparser
import json
import os
import posixpath
import re
import shlex
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..models import BuildInfo
from ..scan import glob_segments_regex
from .deps import composer_autoload, swift_targets

try:  # Python 3.11+
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    try:
        import tomli as _toml  # type: ignore[no-redef]
    except ModuleNotFoundError:
        _toml = None  # type: ignore[assignment]

__all__ = ["DELIVERY_TOOLS", "LANGUAGE_EXTENSIONS", "detect_builds", "frameworks", "language_stack", "load_toml",
           "project_stack"]

#: Bytes read from any one manifest.
_READ_LIMIT = 512_000
#: Entry points kept per project: enough to orient, not a listing.
_MAX_ENTRY_POINTS = 30
_VENDOR = re.compile(r"(?:^|/)(?:node_modules|vendor|third_party|\.venv|venv|site-packages|\.git|"
                     r"build|dist|target|\.tox|\.nox|__pycache__)/")
_NPM_NO_TEST = "no test specified"
#: Samples, playgrounds, scaffolding templates, fixtures and docs: code that shows or exercises
#: other stacks (vite's playgrounds and create-vite templates are react, vue and svelte apps).
_SAMPLE_DIR = re.compile(r"playgrounds?|examples?|samples?|demos?|templates?|template-.+|docs?|fixtures?|testdata|"
                         r"benchmarks?")
#: Only this many leading folders can make a file a sample: deeper, such a name is a package
#: (spring-petclinic's code lives in src/main/java/org/springframework/samples/petclinic/).
_SAMPLE_DEPTH = 3


def _is_sample(path: str) -> bool:
    return any(_SAMPLE_DIR.fullmatch(d) for d in path.split("/")[:-1][:_SAMPLE_DEPTH])


@dataclass
class _Repo:
    """The file list, a reader, and lookups shared by every detector."""

    root: str
    files: list[str]
    fileset: set[str] = field(default_factory=set)
    by_name: dict[str, list[str]] = field(default_factory=dict)
    _cache: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.files = sorted(f for f in self.files if not _VENDOR.search(f))
        self.fileset = set(self.files)
        for f in self.files:
            self.by_name.setdefault(posixpath.basename(f), []).append(f)

    def read(self, rel: str) -> str | None:
        if rel not in self._cache:
            try:
                with open(os.path.join(self.root, rel), "rb") as fh:
                    self._cache[rel] = fh.read(_READ_LIMIT).decode("utf-8", "replace")
            except OSError:
                self._cache[rel] = None
        return self._cache[rel]

    def named(self, *names: str) -> list[str]:
        """Files with these names, shallowest first (workspace roots before their members)."""
        return sorted((p for n in names for p in self.by_name.get(n, [])), key=lambda p: (p.count("/"), p))

    def has(self, d: str, name: str) -> bool:
        return _join(d, name) in self.fileset

    def under(self, d: str) -> Iterable[str]:
        prefix = d + "/" if d else ""
        return (f for f in self.files if f.startswith(prefix))


def _join(d: str, name: str) -> str:
    return f"{d}/{name}" if d else name


def _prefix(d: str) -> str:
    return f"cd {shlex.quote(d)} && " if d else ""


#: A line with more dots than this is no manifest's key (``a.b.c = 1`` has 2): tomllib joins a dotted
#: key's parts one tuple at a time, quadratic in them (100,000 parts took 14 s), so it is not parsed.
MAX_TOML_LINE_DOTS = 256


def load_toml(text: str | None) -> dict[str, Any]:
    """Parse TOML with ``tomllib`` (or ``tomli``); ``{}`` when broken or absurd (see
    MAX_TOML_LINE_DOTS); without either library (Python 3.10), a best-effort line parser
    (:func:`_toml_fallback`)."""
    if not text or max(line.count(".") for line in text.splitlines() or [""]) > MAX_TOML_LINE_DOTS:
        return {}
    if _toml is None:
        return _toml_fallback(text)
    try:
        return _toml.loads(text)
    except Exception:  # noqa: BLE001 - a broken manifest still names a build system
        return {}


_TOML_VALUE = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|\[[^\]]*\]|true|false|[-+\d._]+)\s*(?:#.*)?$""")


def _toml_scalar(raw: str) -> Any:
    if raw.startswith("["):
        return [_toml_scalar(v.strip()) for v in re.findall(r"\"[^\"]*\"|'[^']*'|[^,\s\]\[]+", raw)]
    if raw[:1] in "\"'":
        return raw[1:-1]
    if raw in ("true", "false"):
        return raw == "true"
    try:
        return int(raw.replace("_", ""))
    except ValueError:
        return raw


def _toml_fallback(text: str) -> dict[str, Any]:
    """Tables, arrays of tables and one-line ``key = value`` pairs (strings, numbers, booleans,
    one-line arrays); anything else is skipped."""
    data: dict[str, Any] = {}
    table = data
    for line in text.splitlines():
        header = re.match(r"\s*(\[\[?)\s*([\w.\-\"' ]+?)\s*\]\]?\s*(?:#.*)?$", line)
        if header:
            table = data
            keys = [k.strip().strip("\"'") for k in header.group(2).split(".")]
            for k in keys[:-1]:
                table = table.setdefault(k, {})
            if header.group(1) == "[[":
                table.setdefault(keys[-1], []).append({})
                table = table[keys[-1]][-1]
            else:
                table = table.setdefault(keys[-1], {})
            continue
        pair = re.match(r"\s*([\w\-\"'.]+)\s*=(.*)$", line)
        value = _TOML_VALUE.match(pair.group(2)) if pair else None
        if pair and value:
            table[pair.group(1).strip("\"'")] = _toml_scalar(value.group(1))
    return data


def _glob_dirs(patterns: Iterable[str], dirs: Iterable[str], base: str = "") -> list[str]:
    """The ``dirs`` matched by workspace globs (``packages/*``, ``crates/**``) relative to ``base``."""
    out = []
    regexes = []
    for pat in patterns:
        pat = posixpath.normpath(_join(base, pat.strip("/").removeprefix("./")))
        regexes.append(re.compile(glob_segments_regex(pat.split("/"))))  # the manifest is untrusted
    for d in dirs:
        if any(r.fullmatch(d) for r in regexes):
            out.append(d)
    return sorted(set(out))


# --------------------------------------------------------------------------- python


def _py_scripts(d: str, data: dict[str, Any], repo: _Repo) -> list[str]:
    project = data.get("project", {})
    scripts = {**project.get("scripts", {}), **project.get("gui-scripts", {}),
               **data.get("tool", {}).get("poetry", {}).get("scripts", {})}
    out = [f"{k} = {v}" if isinstance(v, str) else k for k, v in scripts.items()]
    cfg = repo.read(_join(d, "setup.cfg")) if repo.has(d, "setup.cfg") else None
    if cfg:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(cfg)
            raw = parser.get("options.entry_points", "console_scripts", fallback="")
            out += [" ".join(line.split()) for line in raw.splitlines() if "=" in line]
        except configparser.Error:
            pass
    setup = repo.read(_join(d, "setup.py")) if repo.has(d, "setup.py") else None
    if setup and "console_scripts" in setup:
        out += [" ".join(m.split()) for m in re.findall(r"['\"]([\w.-]+\s*=\s*[\w.]+:[\w.]+)['\"]", setup)]
    return list(dict.fromkeys(out))


def _py_packages(d: str, repo: _Repo) -> list[str]:
    out = []
    for base in (d, _join(d, "src")):
        prefix = base + "/" if base else ""
        for f in repo.under(base):
            rest = f[len(prefix):]
            if rest.count("/") == 1 and rest.endswith("/__init__.py") and not rest.startswith(("tests/", "test/")):
                out.append(rest.split("/")[0])
    return sorted(set(out))


def _py_full_command(d: str, data: dict[str, Any], repo: _Repo) -> str:
    tool = data.get("tool", {})
    tox_in_ini = repo.has(d, "tox.ini") or "[tox:tox]" in (repo.read(_join(d, "setup.cfg")) or "")
    if tox_in_ini or "tox" in tool:
        return "tox"
    if repo.has(d, "noxfile.py"):
        return "nox"
    envs = tool.get("hatch", {}).get("envs", {})
    if any("test" in (env.get("scripts") or {}) for env in envs.values() if isinstance(env, dict)):
        return "hatch run test"
    if "hatch" in tool:
        return "hatch test"
    return "python -m pytest"


def _py_manifest(d: str, repo: _Repo) -> tuple[str, dict[str, Any]] | None:
    """The file that makes ``d`` a Python project, and its parsed TOML; None when only tool
    configs live there (a pyproject.toml with just [tool.black], a setup.cfg with [flake8])."""
    for name in ("pyproject.toml", "setup.py", "setup.cfg"):
        if not repo.has(d, name):
            continue
        rel = _join(d, name)
        if name == "setup.py":
            return rel, {}
        if name == "setup.cfg":
            if "[metadata]" in (repo.read(rel) or ""):
                return rel, {}
            continue
        data = load_toml(repo.read(rel))
        if {"project", "build-system"} & set(data) or "poetry" in data.get("tool", {}):
            return rel, data
    return None


def _python(repo: _Repo) -> list[BuildInfo]:
    dirs = sorted({posixpath.dirname(p) for p in repo.named("pyproject.toml", "setup.py", "setup.cfg")})
    projects = {d: found for d in dirs if (found := _py_manifest(d, repo)) is not None}
    out = []
    for d, (manifest, data) in projects.items():
        mains = sorted(f for f in repo.under(d) if f.endswith("/__main__.py") and "/tests/" not in f
                       and _owner_dir(posixpath.dirname(f), set(projects)) == d)
        p = _prefix(d)
        out.append(BuildInfo(
            tool="python", manifest=manifest, modules=_py_packages(d, repo),
            unit_command=p + "python -m pytest", full_command=p + _py_full_command(d, data, repo),
            entry_points=(_py_scripts(d, data, repo) + mains)[:_MAX_ENTRY_POINTS]))
    return out


# --------------------------------------------------------------------------- node


def _json(repo: _Repo, rel: str) -> dict[str, Any]:
    try:
        data = json.loads(repo.read(rel) or "")
    except (ValueError, RecursionError):  # broken, or nested past the parser's depth
        return {}
    return data if isinstance(data, dict) else {}


def _node_pm(d: str, data: dict[str, Any], repo: _Repo) -> str:
    declared = str(data.get("packageManager", "")).split("@")[0]
    if declared in ("npm", "pnpm", "yarn", "bun"):
        return declared
    for lock, pm in (("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("bun.lockb", "bun"), ("bun.lock", "bun")):
        if repo.has(d, lock):
            return pm
    return "npm"


def _node_workspaces(d: str, data: dict[str, Any], repo: _Repo) -> list[str]:
    ws = data.get("workspaces", [])
    patterns = ws.get("packages", []) if isinstance(ws, dict) else ws
    pnpm = repo.read(_join(d, "pnpm-workspace.yaml")) if repo.has(d, "pnpm-workspace.yaml") else None
    if pnpm:  # only the ``packages:`` list: hoistPattern and friends hold package names, not dirs
        patterns = list(patterns) + re.findall(r"(?m)^[ \t]*-\s*['\"]?([^'\"\s#!]+)", _yaml_block(pnpm, "packages"))
    pkg_dirs = [posixpath.dirname(p) for p in repo.named("package.json")]
    return [m for m in _glob_dirs([str(p) for p in patterns], pkg_dirs, d) if m != d]


#: A package script that runs other scripts in turn (``pnpm test-unit && pnpm test-e2e``,
#: ``run-s test:*``): the names it runs.
_CHAINED_SCRIPT = re.compile(r"(?:^|&&|;)\s*(?:npm run|pnpm(?: run)?|yarn(?: run)?|bun run)\s+([\w:.-]+)")
_RUN_ALL = re.compile(r"\b(?:run-s|run-p|npm-run-all)\b")


def _unit_script(scripts: dict[str, Any]) -> str | None:
    """The script to run unit tests: ``test``, unless ``test`` only chains other scripts (vite's
    ``pnpm test-unit && pnpm test-serve && pnpm test-build``); then the chained one named for
    unit tests, else one named for tests or specs, else the last (lint and build steps come
    first). Appending a test path to a chain would filter only its last step, so a focused
    command must go to one script."""
    test = str(scripts.get("test", ""))
    if not test or _NPM_NO_TEST in test:
        return None
    steps = [s for s in re.split(r"&&|;", test) if s.strip()]
    chained = [m.group(1) for m in _CHAINED_SCRIPT.finditer(test) if m.group(1) in scripts]
    if len(steps) < 2 or len(chained) < len(steps) or _RUN_ALL.search(test):
        return "test"
    return next((n for n in chained if "unit" in n),
                next((n for n in chained if "test" in n or "spec" in n), chained[-1]))


def _node_commands(pm: str, scripts: dict[str, Any]) -> tuple[str | None, str | None]:
    run = "bun run" if pm == "bun" else f"{pm} run"
    script = _unit_script(scripts)
    test_all = (f"{run} test" if pm == "bun" else f"{pm} test") if script else None
    unit = test_all if script in (None, "test") else f"{run} {script}"
    for name in ("ci", "check", "verify", "validate"):
        if name in scripts:
            return unit, f"{run} {name}"
    if "build" in scripts and unit:
        return unit, f"{run} build && {test_all}"
    return unit, test_all


def _node_member_command(pm: str, member: str, name: str) -> str:
    if pm == "pnpm":
        return f"pnpm --filter {shlex.quote(name)} test"
    if pm == "yarn":
        return f"yarn workspace {shlex.quote(name)} test"
    return f"npm test -w {shlex.quote(member)}"


def _node_entry_points(d: str, data: dict[str, Any], pm: str) -> list[str]:
    bins = data.get("bin", {})
    if isinstance(bins, str):
        bins = {str(data.get("name", "bin")).split("/")[-1]: bins}
    out = [f"{k} = {posixpath.normpath(_join(d, str(v)))}" for k, v in bins.items()] if isinstance(bins, dict) else []
    run = "bun run" if pm == "bun" else f"{pm} run"
    scripts = data.get("scripts", {}) if isinstance(data.get("scripts"), dict) else {}
    out += [f"{run} {s}" for s in ("start", "dev", "serve") if s in scripts]
    return out


def _node(repo: _Repo) -> list[BuildInfo]:
    manifests = repo.named("package.json")
    covered: set[str] = set()
    out = []
    for manifest in manifests:
        d = posixpath.dirname(manifest)
        if d in covered:
            continue
        data = _json(repo, manifest)
        pm = _node_pm(d, data, repo)
        members = _node_workspaces(d, data, repo)
        covered.update(members)
        names = {m: str(_json(repo, _join(m, "package.json")).get("name") or m) for m in members}
        scripts = data.get("scripts", {}) if isinstance(data.get("scripts"), dict) else {}
        unit, full = _node_commands(pm, scripts)
        if unit is None and members:
            unit = f"{pm} test --workspaces" if pm == "npm" else f"{pm} -r test" if pm == "pnpm" else None
        p = _prefix(d)
        entry = _node_entry_points(d, data, pm)
        for m in members:
            entry += _node_entry_points(m, _json(repo, _join(m, "package.json")), pm)[:5]
        out.append(BuildInfo(
            tool=pm, manifest=manifest, modules=members, unit_command=p + unit if unit else None,
            full_command=p + full if full else (p + unit if unit else None),
            entry_points=entry[:_MAX_ENTRY_POINTS],
            module_commands={m: p + _node_member_command(pm, m, names[m]) for m in members}))
    return out


# --------------------------------------------------------------------------- go


def _go(repo: _Repo) -> list[BuildInfo]:
    mods = repo.named("go.mod")
    mod_dirs = {posixpath.dirname(m) for m in mods}
    go_dirs: dict[str, str] = {}
    for f in repo.files:
        if f.endswith(".go") and not f.endswith("_test.go"):
            go_dirs.setdefault(posixpath.dirname(f), f)
    out = []
    for manifest in mods:
        d = posixpath.dirname(manifest)
        m = re.search(r"(?m)^[ \t]*module\s+(\S+)", repo.read(manifest) or "")
        mains = []
        for pkg_dir, sample in sorted(go_dirs.items()):
            if _owner_dir(pkg_dir, mod_dirs) != d:
                continue  # outside this module, or inside a nested one
            if re.search(r"(?m)^package\s+main\b", repo.read(sample) or ""):
                mains.append(pkg_dir or ".")
        p = _prefix(d)
        out.append(BuildInfo(tool="go", manifest=manifest, modules=[m.group(1)] if m else [],
                             unit_command=p + "go test ./...", full_command=p + "go vet ./... && go test ./...",
                             entry_points=mains[:_MAX_ENTRY_POINTS]))
    return out


def _owner_dir(path_dir: str, roots: set[str]) -> str | None:
    """The deepest of ``roots`` containing ``path_dir``."""
    d = path_dir
    while True:
        if d in roots:
            return d
        if not d:
            return None
        d = posixpath.dirname(d)


# --------------------------------------------------------------------------- cargo


def _cargo_bins(d: str, data: dict[str, Any], repo: _Repo) -> list[str]:
    name = str(data.get("package", {}).get("name", posixpath.basename(d) or "main"))
    out = [f"{b.get('name', name)} = {_join(d, str(b.get('path', 'src/main.rs')))}"
           for b in data.get("bin", []) if isinstance(b, dict)]
    if repo.has(d, "src/main.rs") and not any(e.endswith(_join(d, "src/main.rs")) for e in out):
        out.append(f"{name} = {_join(d, 'src/main.rs')}")
    bin_dir = _join(d, "src/bin") + "/"
    out += [f"{posixpath.basename(f)[:-3]} = {f}" for f in repo.files
            if f.startswith(bin_dir) and f.endswith(".rs") and "/" not in f[len(bin_dir):]]
    return out


def _cargo(repo: _Repo) -> list[BuildInfo]:
    manifests = repo.named("Cargo.toml")
    parsed = {m: load_toml(repo.read(m)) for m in manifests}
    covered: set[str] = set()
    out = []
    for manifest in manifests:
        d = posixpath.dirname(manifest)
        if d in covered:
            continue
        data = parsed[manifest]
        ws = data.get("workspace", {})
        dirs = [posixpath.dirname(m) for m in manifests]
        members = _glob_dirs(ws.get("members", []), dirs, d)
        members = [m for m in members if m not in _glob_dirs(ws.get("exclude", []), dirs, d) and m != d]
        covered.update(members)
        names = {m: str(parsed[_join(m, "Cargo.toml")].get("package", {}).get("name", posixpath.basename(m)))
                 for m in members}
        bins = _cargo_bins(d, data, repo) if "package" in data else []
        for m in members:
            bins += _cargo_bins(m, parsed[_join(m, "Cargo.toml")], repo)
        p, flag = _prefix(d), " --workspace" if ws else ""
        out.append(BuildInfo(
            tool="cargo", manifest=manifest, modules=[names[m] for m in members],
            unit_command=f"{p}cargo test{flag}", full_command=f"{p}cargo test{flag} --all-targets",
            entry_points=bins[:_MAX_ENTRY_POINTS],
            module_commands={names[m]: f"{p}cargo test -p {shlex.quote(names[m])}" for m in members}))
    return out


# --------------------------------------------------------------------------- jvm


def _strip_ns(root: ET.Element) -> ET.Element:
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


def _pom(text: str | None) -> ET.Element | None:
    if not text:
        return None
    try:
        return _strip_ns(ET.fromstring(text))
    except ET.ParseError:
        return None


def _maven(repo: _Repo) -> list[BuildInfo]:
    covered: set[str] = set()
    out = []
    for manifest in repo.named("pom.xml"):
        d = posixpath.dirname(manifest)
        if d in covered:
            continue
        pom = _pom(repo.read(manifest))
        modules = [m.text.strip() for m in pom.findall("./modules/module") if m.text] if pom is not None else []
        modules += [m.text.strip() for m in pom.findall("./profiles/profile/modules/module")
                    if m.text] if pom is not None else []
        modules = list(dict.fromkeys(modules))
        covered.update(posixpath.normpath(_join(d, m)) for m in modules)
        mains = [e.text.strip() for e in pom.iter("mainClass") if e.text] if pom is not None else []
        for m in modules:
            sub = _pom(repo.read(posixpath.normpath(_join(d, m + "/pom.xml"))))
            mains += [e.text.strip() for e in sub.iter("mainClass") if e.text] if sub is not None else []
        mvn = "./mvnw" if repo.has(d, "mvnw") else "mvn"
        p = _prefix(d)
        out.append(BuildInfo(
            tool="maven", manifest=manifest, modules=modules, unit_command=f"{p}{mvn} test",
            full_command=f"{p}{mvn} verify", entry_points=list(dict.fromkeys(mains))[:_MAX_ENTRY_POINTS],
            module_commands={m: f"{p}{mvn} -pl {shlex.quote(m)} -am test" for m in modules}))
    return out


#: A settings file's ``include`` statement: Groovy's ``include ':a', ':b'`` on one line, or the
#: Kotlin DSL's ``include(…)``, whose arguments may span lines (at most this many characters).
_GRADLE_INCLUDE = re.compile(r"(?m)^[ \t]*include\b[ \t]*(\([^)]{0,20000}\)|[^\n]*)")


def _gradle_includes(text: str) -> list[str]:
    out = []
    for stmt in _GRADLE_INCLUDE.findall(text):
        out += [s.lstrip(":") for s in re.findall(r"['\"](:?[\w.:\-/]+)['\"]", stmt)]
    return list(dict.fromkeys(out))


def _gradle_mains(text: str) -> list[str]:
    return re.findall(r"mainClass(?:Name)?\s*(?:\.set\()?\s*=?\s*\(?['\"]([\w.$]+)['\"]", text)


def _gradle(repo: _Repo) -> list[BuildInfo]:
    settings = repo.named("settings.gradle", "settings.gradle.kts")
    builds = repo.named("build.gradle", "build.gradle.kts")
    covered: set[str] = set()
    out = []
    for manifest in settings + builds:
        d = posixpath.dirname(manifest)
        if d in covered:
            continue
        modules = _gradle_includes(repo.read(manifest) or "") if manifest in settings else []
        member_dirs = {d} | {posixpath.normpath(_join(d, m.replace(":", "/"))) for m in modules}
        covered.update(member_dirs)
        mains = [x for b in builds if posixpath.dirname(b) in member_dirs for x in _gradle_mains(repo.read(b) or "")]
        gw = "./gradlew" if repo.has(d, "gradlew") else "gradle"
        p = _prefix(d)
        out.append(BuildInfo(
            tool="gradle", manifest=manifest, modules=modules, unit_command=f"{p}{gw} test",
            full_command=f"{p}{gw} build", entry_points=list(dict.fromkeys(mains))[:_MAX_ENTRY_POINTS],
            module_commands={m: f"{p}{gw} :{m}:test" for m in modules}))
    return out


# --------------------------------------------------------------------------- make / cmake

_MAKE_TARGET = re.compile(r"(?m)^([A-Za-z0-9_][\w.\-/]*(?:[ \t]+[A-Za-z0-9_][\w.\-/]*)*)[ \t]*::?(?![=:])")


def _make(repo: _Repo) -> list[BuildInfo]:
    out = []
    for manifest in repo.named("Makefile", "makefile", "GNUmakefile"):
        d = posixpath.dirname(manifest)
        targets = []
        for group in _MAKE_TARGET.findall(repo.read(manifest) or ""):
            targets += [t for t in group.split() if "%" not in t and "/" not in t and "." not in t]
        targets = list(dict.fromkeys(targets))
        run = f"make -C {shlex.quote(d)}" if d else "make"
        unit = next((f"{run} {t}" for t in ("test", "check", "tests", "unit") if t in targets), None)
        full = next((f"{run} {t}" for t in ("ci", "check", "verify", "all") if t in targets), unit or run)
        out.append(BuildInfo(tool="make", manifest=manifest, unit_command=unit, full_command=full,
                             entry_points=[f"{run} {t}" for t in targets][:_MAX_ENTRY_POINTS]))
    return out


def _cmake(repo: _Repo) -> list[BuildInfo]:
    lists = repo.named("CMakeLists.txt")
    dirs = {posixpath.dirname(f) for f in lists}
    out = []
    for manifest in lists:
        d = posixpath.dirname(manifest)
        parent = posixpath.dirname(d) if d else None
        if parent is not None and _owner_dir(parent, dirs) is not None:
            continue  # a subdirectory of a CMake project
        texts = [repo.read(f) or "" for f in lists if f == manifest or f.startswith(_join(d, "")) or not d]
        top = repo.read(manifest) or ""
        subdirs = re.findall(r"add_subdirectory\s*\(\s*([\w./-]+)", top, re.IGNORECASE)
        exes = [e for t in texts for e in re.findall(r"add_executable\s*\(\s*([\w.-]+)", t, re.IGNORECASE)
                if not e.startswith("${")]
        tests = any(re.search(r"enable_testing\s*\(|add_test\s*\(|include\s*\(\s*CTest|gtest_discover_tests",
                              t, re.IGNORECASE) for t in texts)
        src, bld = (d or "."), _join(d, "build")
        build = f"cmake -S {shlex.quote(src)} -B {shlex.quote(bld)} && cmake --build {shlex.quote(bld)}"
        unit = f"ctest --test-dir {shlex.quote(bld)}" if tests else None
        out.append(BuildInfo(tool="cmake", manifest=manifest, modules=subdirs, unit_command=unit,
                             full_command=build + (f" && {unit}" if unit else ""),
                             entry_points=list(dict.fromkeys(exes))[:_MAX_ENTRY_POINTS]))
    return out


# --------------------------------------------------------------------------- ruby

_GEM_NAME = re.compile(r"""Gem::Specification\.new\s*\(?\s*['"]([\w.-]+)['"]|\.name\s*=\s*['"]([\w.-]+)['"]""")


def _gem_name(repo: _Repo, gemspec: str) -> str:
    m = _GEM_NAME.search(repo.read(gemspec) or "")
    return next((g for g in m.groups() if g), "") if m else posixpath.basename(gemspec)[: -len(".gemspec")]


def _ruby_tests(repo: _Repo, d: str) -> str | None:
    """The test command of the Ruby project in ``d``: Rails' runner, RSpec, or Rake's test task."""
    files = list(repo.under(d))
    spec, test = _join(d, "spec/"), _join(d, "test/")
    if repo.has(d, "bin/rails") and any(f.startswith(test) for f in files):
        return "bin/rails test"
    if repo.has(d, ".rspec") or any(f.startswith(spec) and f.endswith("_spec.rb") for f in files):
        return "bundle exec rspec"
    if any(f.startswith(test) and f.endswith(".rb") for f in files):
        return "bundle exec rake test" if repo.has(d, "Rakefile") else (
            "bundle exec ruby -Itest -e 'Dir[\"test/**/*_test.rb\"].each { |f| require File.expand_path(f) }'")
    return None


def _ruby(repo: _Repo) -> list[BuildInfo]:
    """Bundler projects (a Gemfile or gems.rb), with their gems and Rake, RSpec or Rails commands."""
    out, seen = [], set()
    for manifest in repo.named("Gemfile", "gems.rb"):
        d = posixpath.dirname(manifest)
        if d in seen:
            continue  # both a Gemfile and a gems.rb: one project
        seen.add(d)
        gems = [_gem_name(repo, f) for f in repo.files if posixpath.dirname(f) == d and f.endswith(".gemspec")]
        unit = _ruby_tests(repo, d)
        p = _prefix(d)
        full = "bundle exec rake" if repo.has(d, "Rakefile") else unit
        entry = [f for f in repo.under(d) if posixpath.dirname(f) in (_join(d, "exe"), _join(d, "bin"))]
        entry += [f for f in (_join(d, "config.ru"),) if f in repo.fileset]
        out.append(BuildInfo(tool="bundler", manifest=manifest, modules=gems,
                             unit_command=p + unit if unit else None, full_command=p + full if full else None,
                             entry_points=entry[:_MAX_ENTRY_POINTS]))
    return out


# --------------------------------------------------------------------------- swift


def _swiftpm(repo: _Repo) -> list[BuildInfo]:
    """SwiftPM packages (Package.swift): targets as modules, ``swift test`` per test target,
    executable targets as entry points."""
    out = []
    for manifest in repo.named("Package.swift"):
        d = posixpath.dirname(manifest)
        targets = swift_targets(repo.read(manifest) or "")
        tests = [name for kind, name, _ in targets if kind == "testTarget"]
        p = _prefix(d)
        out.append(BuildInfo(
            tool="swiftpm", manifest=manifest, modules=[name for kind, name, _ in targets if kind != "testTarget"],
            unit_command=p + "swift test", full_command=p + "swift build && swift test",
            entry_points=[f"{name} = {_join(d, path or 'Sources/' + name)}" for kind, name, path in targets
                          if kind == "executableTarget"][:_MAX_ENTRY_POINTS],
            module_commands={t: f"{p}swift test --filter {shlex.quote(t)}" for t in tests}))
    return out


# --------------------------------------------------------------------------- sbt

#: ``lazy val core = project`` / ``= (project in file("core"))`` / ``crossProject(…)``: a subproject.
_SBT_PROJECT = re.compile(r"(?m)^\s*lazy\s+val\s+`?(\w+)`?\s*(?::\s*\w+\s*)?=\s*\(?\s*(?:project\b|crossProject\b|"
                          r"Project\s*\()")
_SBT_MAIN = re.compile(r"mainClass[^\n]*?:=\s*Some\(\s*\"([\w.$]+)\"")


def _sbt(repo: _Repo) -> list[BuildInfo]:
    """sbt builds (build.sbt): subprojects as modules, ``sbt test`` and ``sbt <module>/test``."""
    out = []
    for manifest in repo.named("build.sbt"):
        d = posixpath.dirname(manifest)
        if d and _owner_dir(posixpath.dirname(d), {posixpath.dirname(m) for m in repo.named("build.sbt")}) is not None:
            continue  # a subproject's own settings
        text = repo.read(manifest) or ""
        modules = list(dict.fromkeys(_SBT_PROJECT.findall(text)))
        p = _prefix(d)
        out.append(BuildInfo(
            tool="sbt", manifest=manifest, modules=modules, unit_command=p + "sbt test",
            full_command=p + "sbt compile test", entry_points=_SBT_MAIN.findall(text)[:_MAX_ENTRY_POINTS],
            module_commands={m: f"{p}sbt {m}/test" for m in modules}))
    return out


# --------------------------------------------------------------------------- haskell

_CABAL_COMPONENT = re.compile(r"(?im)^(library|executable|test-suite|benchmark)[ \t]*([\w-]*)")
_CABAL_NAME = re.compile(r"(?im)^name:\s*([\w-]+)")


def _haskell(repo: _Repo) -> list[BuildInfo]:
    """Haskell packages: stack (stack.yaml, its packages) or cabal (a cabal.project, else each
    .cabal file); components as modules, test suites with their own commands."""
    out = []
    stack = repo.named("stack.yaml")
    projects = stack or repo.named("cabal.project")
    cabals = [f for f in repo.files if f.endswith(".cabal")]
    roots = projects or cabals
    covered: set[str] = set()
    for manifest in roots:
        d = posixpath.dirname(manifest)
        if d in covered:
            continue
        tool = "stack" if manifest.endswith("stack.yaml") else "cabal"
        mine = [c for c in cabals if c.startswith(_join(d, "")) or posixpath.dirname(c) == d]
        covered.update(posixpath.dirname(c) for c in mine)
        comps = [(kind.lower(), name or (m.group(1) if (m := _CABAL_NAME.search(repo.read(c) or "")) else ""))
                 for c in mine for kind, name in _CABAL_COMPONENT.findall(repo.read(c) or "")]
        tests = [name for kind, name in comps if kind == "test-suite" and name]
        p = _prefix(d)
        unit, full = (("stack test", "stack build --test --bench --no-run-benchmarks") if tool == "stack"
                      else ("cabal test all", "cabal build all && cabal test all"))
        out.append(BuildInfo(
            tool=tool, manifest=manifest, modules=list(dict.fromkeys(n for _, n in comps if n)),
            unit_command=p + unit, full_command=p + full,
            entry_points=[n for k, n in comps if k == "executable" and n][:_MAX_ENTRY_POINTS],
            module_commands={t: f"{p}{tool} test {':' + t if tool == 'stack' else t}" for t in tests}))
    return out


# --------------------------------------------------------------------------- xcode / cocoapods

_PODSPEC_NAME = re.compile(r"""\.name\s*=\s*['"]([\w.-]+)['"]""")


def _xcode(repo: _Repo) -> list[BuildInfo]:
    """Xcode projects (``X.xcodeproj``, its project.pbxproj the manifest; the scheme taken to be
    X) and CocoaPods specs (``pod lib lint``)."""
    out = []
    for pbx in sorted((f for f in repo.files if f.endswith(".xcodeproj/project.pbxproj")),
                      key=lambda f: (f.count("/"), f)):
        proj = posixpath.dirname(pbx)
        scheme = posixpath.basename(proj)[: -len(".xcodeproj")]
        q = f"-project {shlex.quote(proj)} -scheme {shlex.quote(scheme)}"
        out.append(BuildInfo(tool="xcodebuild", manifest=pbx, modules=[scheme], unit_command=f"xcodebuild test {q}",
                             full_command=f"xcodebuild build test {q}"))
    for spec in (f for f in repo.files if f.endswith(".podspec")):
        m = _PODSPEC_NAME.search(repo.read(spec) or "")
        out.append(BuildInfo(tool="cocoapods", manifest=spec, modules=[m.group(1)] if m else [],
                             full_command=f"pod lib lint {shlex.quote(spec)}"))
    return out


# --------------------------------------------------------------------------- perl


def _perl(repo: _Repo) -> list[BuildInfo]:
    """Perl distributions: Makefile.PL (ExtUtils::MakeMaker), Build.PL (Module::Build), dist.ini
    (Dist::Zilla) or a cpanfile; ``prove -lr t`` runs the tests in every case."""
    out, seen = [], set()
    for manifest in repo.named("Makefile.PL", "Build.PL", "dist.ini", "cpanfile"):
        d = posixpath.dirname(manifest)
        if d in seen:
            continue
        seen.add(d)
        name = posixpath.basename(manifest)
        full = {"Makefile.PL": "perl Makefile.PL && make && make test", "Build.PL": "perl Build.PL && ./Build test",
                "dist.ini": "dzil test"}.get(name, "cpanm --installdeps . && prove -lr t")
        p = _prefix(d)
        libs = sorted({f[len(_join(d, "lib/")):-3].replace("/", "::") for f in repo.under(_join(d, "lib"))
                       if f.endswith(".pm") and f.count("/") == _join(d, "lib/x.pm").count("/")})
        out.append(BuildInfo(tool="perl", manifest=manifest, modules=libs[:_MAX_ENTRY_POINTS],
                             unit_command=p + "prove -lr t", full_command=p + full,
                             entry_points=[f for f in repo.under(_join(d, "bin")) if "/" not in f[len(_join(d, "bin/")):]
                                           ][:_MAX_ENTRY_POINTS]))
    return out


# --------------------------------------------------------------------------- julia

_JULIA_PROJECT_NAME = re.compile(r"(?m)^name\s*=\s*\"([\w.]+)\"")


def _julia(repo: _Repo) -> list[BuildInfo]:
    """Julia packages (Project.toml with a name): ``Pkg.test()``; test/runtests.jl runs them."""
    out = []
    for manifest in repo.named("Project.toml"):
        d = posixpath.dirname(manifest)
        m = _JULIA_PROJECT_NAME.search(repo.read(manifest) or "")
        if m is None:
            continue  # an environment (docs/, test/), not a package
        p = _prefix(d)
        test = "julia --project -e 'using Pkg; Pkg.test()'"
        out.append(BuildInfo(tool="julia", manifest=manifest, modules=[m.group(1)],
                             unit_command=p + test,
                             full_command=p + "julia --project -e 'using Pkg; Pkg.instantiate(); Pkg.test()'"))
    return out


# --------------------------------------------------------------------------- zig

_ZIG_EXE = re.compile(r"addExecutable\(\s*\.\{\s*\.name\s*=\s*\"([\w.-]+)\"")
_ZIG_MODULES = re.compile(r"addModule\(\s*\"([\w.-]+)\"")


def _zig(repo: _Repo) -> list[BuildInfo]:
    """Zig builds (build.zig): its modules, executables, ``zig build test``."""
    out = []
    for manifest in repo.named("build.zig"):
        d = posixpath.dirname(manifest)
        text = repo.read(manifest) or ""
        p = _prefix(d)
        out.append(BuildInfo(tool="zig", manifest=manifest, modules=list(dict.fromkeys(_ZIG_MODULES.findall(text))),
                             unit_command=p + "zig build test", full_command=p + "zig build && zig build test",
                             entry_points=list(dict.fromkeys(_ZIG_EXE.findall(text)))[:_MAX_ENTRY_POINTS]))
    return out


# --------------------------------------------------------------------------- dune

_DUNE_NAMES = re.compile(r"\((library|executables?|test)\b[^()]*(?:\([^()]*\)[^()]*)*?\((?:name|names)\s+([\w.\- ]+)\)",
                         re.DOTALL)


def _dune(repo: _Repo) -> list[BuildInfo]:
    """dune projects (dune-project): libraries as modules, executables as entry points,
    ``dune test`` (a folder's with ``dune test dir``)."""
    out = []
    projects = repo.named("dune-project")
    roots = {posixpath.dirname(m) for m in projects}
    for manifest in projects:
        d = posixpath.dirname(manifest)
        if d and _owner_dir(posixpath.dirname(d), roots) is not None:
            continue  # a vendored or test project inside another
        libs: list[str] = []
        exes: list[str] = []
        for dune in repo.named("dune"):
            if _owner_dir(posixpath.dirname(dune), roots) != d:
                continue
            for kind, names in _DUNE_NAMES.findall(repo.read(dune) or ""):
                if kind == "library":
                    libs.extend(names.split())
                elif kind.startswith("executable"):
                    exes.extend(names.split())
        p = _prefix(d)
        out.append(BuildInfo(tool="dune", manifest=manifest, modules=list(dict.fromkeys(libs)),
                             unit_command=p + "dune test", full_command=p + "dune build @install && dune test",
                             entry_points=list(dict.fromkeys(exes))[:_MAX_ENTRY_POINTS]))
    return out


# --------------------------------------------------------------------------- pub

_PUBSPEC_NAME = re.compile(r"(?m)^name:\s*['\"]?([\w]+)")
_FLUTTER_SDK = re.compile(r"(?m)^\s+flutter:\s*\n\s+sdk:\s*flutter")


def _pub(repo: _Repo) -> list[BuildInfo]:
    """Dart and Flutter packages (pubspec.yaml): ``dart test`` or ``flutter test``, analysis
    first in the full command; ``bin/*.dart`` as entry points."""
    out = []
    for manifest in repo.named("pubspec.yaml"):
        d = posixpath.dirname(manifest)
        text = repo.read(manifest) or ""
        name = _PUBSPEC_NAME.search(text)
        tool = "flutter" if _FLUTTER_SDK.search(text) else "dart"
        has_tests = any(f.startswith(_join(d, "test/")) for f in repo.files)
        p = _prefix(d)
        unit = f"{tool} test" if has_tests else None
        out.append(BuildInfo(
            tool="pub", manifest=manifest, modules=[name.group(1)] if name else [],
            unit_command=p + unit if unit else None,
            full_command=p + f"{tool} analyze" + (f" && {unit}" if unit else ""),
            entry_points=[f for f in repo.files if posixpath.dirname(f) == _join(d, "bin") and f.endswith(".dart")
                          ][:_MAX_ENTRY_POINTS]))
    return out


# --------------------------------------------------------------------------- mix

_MIX_APP = re.compile(r"\bapp:\s*:(\w+)")
_MIX_ESCRIPT = re.compile(r"main_module:\s*([\w.]+)")


def _mix(repo: _Repo) -> list[BuildInfo]:
    """Mix projects (mix.exs): an umbrella's apps (apps/*/mix.exs) as modules with their own
    ``mix test``; an escript's main module as the entry point."""
    manifests = repo.named("mix.exs")
    dirs = {posixpath.dirname(m) for m in manifests}
    out = []
    for manifest in manifests:
        d = posixpath.dirname(manifest)
        if d and _owner_dir(posixpath.dirname(d), dirs) is not None:
            continue  # an umbrella app, or a nested project's fixture
        text = repo.read(manifest) or ""
        apps = [m for m in manifests if m != manifest and m.startswith(_join(d, ""))]
        names = {m: (found.group(1) if (found := _MIX_APP.search(repo.read(m) or "")) else
                     posixpath.basename(posixpath.dirname(m))) for m in apps}
        p = _prefix(d)
        out.append(BuildInfo(
            tool="mix", manifest=manifest, modules=list(names.values()) or _MIX_APP.findall(text)[:1],
            unit_command=p + "mix test", full_command=p + "mix compile --warnings-as-errors && mix test",
            entry_points=_MIX_ESCRIPT.findall(text)[:_MAX_ENTRY_POINTS],
            module_commands={names[m]: f"cd {shlex.quote(posixpath.dirname(m))} && mix test" for m in apps}))
    return out


# --------------------------------------------------------------------------- luarocks

_ROCK_PACKAGE = re.compile(r"""(?m)^\s*package\s*=\s*["']([\w.-]+)["']""")


def _luarocks(repo: _Repo) -> list[BuildInfo]:
    """LuaRocks projects (``*.rockspec``; one project per folder, its newest spec the manifest):
    busted when the project has specs, ``luarocks make`` to build."""
    by_dir: dict[str, list[str]] = {}
    for f in repo.files:
        if f.endswith(".rockspec"):
            by_dir.setdefault(posixpath.dirname(f), []).append(f)
    out = []
    for d, specs in sorted(by_dir.items()):
        manifest = sorted(specs)[-1]
        names = list(dict.fromkeys(m.group(1) for s in specs if (m := _ROCK_PACKAGE.search(repo.read(s) or ""))))
        busted = repo.has(d, ".busted") or any(f.startswith(_join(d, "spec/")) for f in repo.files)
        p = _prefix(d)
        out.append(BuildInfo(
            tool="luarocks", manifest=manifest, modules=names, unit_command=p + "busted" if busted else None,
            full_command=f"{p}luarocks make {shlex.quote(posixpath.basename(manifest))}" + (" && busted" if busted else "")))
    return out


# --------------------------------------------------------------------------- composer

_PHPUNIT_CONFIGS = ("phpunit.xml", "phpunit.xml.dist", "phpunit.dist.xml")


def _composer_unit(repo: _Repo, d: str, scripts: dict[str, Any]) -> str | None:
    """The PHP project's test command: its ``test`` script, else PHPUnit or Pest when configured."""
    if "test" in scripts:
        return "composer test"
    if repo.has(d, "vendor/bin/pest") or repo.has(d, "tests/Pest.php"):
        return "vendor/bin/pest"
    if any(repo.has(d, c) for c in _PHPUNIT_CONFIGS):
        return "vendor/bin/phpunit"
    return None


def _composer(repo: _Repo) -> list[BuildInfo]:
    """Composer projects: PSR-4 namespaces as modules, ``composer test`` or PHPUnit/Pest, ``bin``
    entries. A composer.json below another (a monorepo's components, laravel/framework's
    src/Illuminate/*) is folded into the outer project as a module named by its package name."""
    manifests = repo.named("composer.json")
    dirs = {posixpath.dirname(m) for m in manifests}
    out = []
    for manifest in manifests:
        d = posixpath.dirname(manifest)
        if d and _owner_dir(posixpath.dirname(d), dirs) is not None:
            continue  # a component of an outer project
        data = _json(repo, manifest)
        raw_scripts = data.get("scripts")
        scripts: dict[str, Any] = raw_scripts if isinstance(raw_scripts, dict) else {}
        members = [m for m in manifests if m != manifest and m.startswith(_join(d, ""))]
        names = [str(_json(repo, m).get("name") or posixpath.dirname(m)) for m in members]
        namespaces = [p + "\\" for p, _ in composer_autoload(data, d)[0] if p]
        unit = _composer_unit(repo, d, scripts)
        full = next((f"composer {n}" for n in ("ci", "check", "verify") if n in scripts),
                    f"composer validate && {unit}" if unit else "composer validate")
        bins = data.get("bin")
        p = _prefix(d)
        out.append(BuildInfo(
            tool="composer", manifest=manifest, modules=list(dict.fromkeys(namespaces + names)),
            unit_command=p + unit if unit else None, full_command=p + full,
            entry_points=[_join(d, b) for b in ([bins] if isinstance(bins, str) else bins or [])
                          if isinstance(b, str)][:_MAX_ENTRY_POINTS]))
    return out


# --------------------------------------------------------------------------- .NET

_SLN_PROJECT = re.compile(r'(?m)^Project\("\{[^}]*\}"\)\s*=\s*"([^"]+)",\s*"([^"]+\.(?:cs|fs|vb)proj)"')
_TEST_SDK = re.compile(r"Microsoft\.NET\.Test\.Sdk|\bxunit\b|\bNUnit\b|MSTest\.TestFramework|<IsTestProject>\s*true",
                       re.IGNORECASE)
_DOTNET_EXE = re.compile(r"<OutputType>\s*(?:Win)?Exe\s*</OutputType>|Sdk=\"Microsoft\.NET\.Sdk\.(?:Web|Worker)\"",
                         re.IGNORECASE)


def _sln_projects(repo: _Repo, sln: str) -> list[str]:
    """The project files a solution lists (``.sln`` text or ``.slnx`` XML), repo-relative."""
    text, d = repo.read(sln) or "", posixpath.dirname(sln)
    rels = [rel for _, rel in _SLN_PROJECT.findall(text)]
    rels += re.findall(r'<Project\s+Path="([^"]+\.(?:cs|fs|vb)proj)"', text)
    paths = [posixpath.normpath(_join(d, rel.replace("\\", "/"))) for rel in rels]
    return [p for p in dict.fromkeys(paths) if p in repo.fileset]


def _dotnet_info(repo: _Repo, manifest: str, projects: list[str]) -> BuildInfo:
    q = shlex.quote(manifest)
    tests = [p for p in projects if _TEST_SDK.search(repo.read(p) or "")]
    exes = [p for p in projects if _DOTNET_EXE.search(repo.read(p) or "")]
    name = {p: posixpath.basename(p).rsplit(".", 1)[0] for p in projects}
    return BuildInfo(
        tool="dotnet", manifest=manifest, modules=[name[p] for p in projects],
        unit_command=f"dotnet test {q}" if tests else None,
        full_command=f"dotnet build {q}" + (f" && dotnet test {q} --no-build" if tests else ""),
        entry_points=exes[:_MAX_ENTRY_POINTS],
        module_commands={name[p]: f"dotnet test {shlex.quote(p)}" for p in tests})


def _dotnet(repo: _Repo) -> list[BuildInfo]:
    """.NET solutions (``.sln``/``.slnx``) with their projects; a project no solution lists
    stands alone. Test projects reference the test SDK or a test framework."""
    out: list[BuildInfo] = []
    covered: set[str] = set()
    for sln in sorted((f for f in repo.files if f.endswith((".sln", ".slnx"))), key=lambda f: (f.count("/"), f)):
        projects = [p for p in _sln_projects(repo, sln) if p not in covered]
        if projects:
            covered.update(projects)
            out.append(_dotnet_info(repo, sln, projects))
    for proj in repo.files:
        if proj.endswith((".csproj", ".fsproj", ".vbproj")) and proj not in covered:
            out.append(_dotnet_info(repo, proj, [proj]))
    return out


# --------------------------------------------------------------------------- docker / ci


def _is_dockerfile(name: str) -> bool:
    low = name.lower()
    return low == "dockerfile" or low.startswith("dockerfile.") or low.endswith(".dockerfile")


def _docker(repo: _Repo) -> list[BuildInfo]:
    out = []
    for f in repo.files:
        name = posixpath.basename(f)
        if _is_dockerfile(name):
            d = posixpath.dirname(f) or "."
            text = repo.read(f) or ""
            cmds = [" ".join(c.split()) for c in re.findall(r"(?mi)^[ \t]*((?:ENTRYPOINT|CMD)\s+.+)$", text)]
            out.append(BuildInfo(tool="docker", manifest=f, full_command=f"docker build -f {shlex.quote(f)} {d}",
                                 entry_points=[f, *cmds[-2:]]))
        elif re.fullmatch(r"(?:docker-)?compose(?:[.\w-]*)?\.ya?ml", name):
            services = _yaml_children(repo.read(f) or "", "services")
            out.append(BuildInfo(tool="docker-compose", manifest=f, modules=services,
                                 full_command=f"docker compose -f {shlex.quote(f)} up --build", entry_points=[f]))
    return out


def _yaml_block(text: str, key: str) -> str:
    """The lines under a top-level ``key:`` up to the next top-level key (a list may sit at the
    key's own indentation)."""
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        if line[:1] not in ("", " ", "\t", "-", "#"):
            inside = line.startswith(f"{key}:")
        elif inside:
            out.append(line)
    return "\n".join(out)


def _yaml_children(text: str, key: str) -> list[str]:
    """Keys one level under a top-level ``key:`` (a line scan, not a YAML parser)."""
    out: list[str] = []
    indent = None
    for line in _yaml_block(text, key).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        depth = len(line) - len(line.lstrip())
        indent = depth if indent is None else indent
        m = re.match(r"\s*['\"]?([\w.\-]+)['\"]?\s*:", line)
        if depth == indent and m:
            out.append(m.group(1))
    return out


_GITLAB_RESERVED = frozenset({"stages", "variables", "image", "include", "default", "workflow", "before_script",
                              "after_script", "services", "cache", "pages"})


def _ci(repo: _Repo) -> list[BuildInfo]:
    out = []
    for f in repo.files:
        if re.fullmatch(r"\.github/workflows/[^/]+\.ya?ml", f):
            text = repo.read(f) or ""
            runs = [" ".join(r.split()) for r in re.findall(r"(?m)^[ \t]*(?:-[ \t]*)?run:[ \t]*([^|>\s][^\n]*)$", text)]
            out.append(BuildInfo(tool="github_actions", manifest=f, modules=_yaml_children(text, "jobs"),
                                 entry_points=runs[:_MAX_ENTRY_POINTS]))
        elif f == ".gitlab-ci.yml":
            text = repo.read(f) or ""
            jobs = [m for m in re.findall(r"(?m)^['\"]?(\w[\w .:/-]{0,200}?)['\"]?[ \t]*:", text) if m not in _GITLAB_RESERVED]
            out.append(BuildInfo(tool="gitlab_ci", manifest=f, modules=jobs))
    return out


#: Container and CI definitions: their "modules" are images, services and jobs, not code.
DELIVERY_TOOLS = frozenset({"docker", "docker-compose", "github_actions", "gitlab_ci"})

_DETECTORS: list[Callable[[_Repo], list[BuildInfo]]] = [
    _python, _node, _go, _cargo, _maven, _gradle, _sbt, _ruby, _swiftpm, _composer, _luarocks, _mix, _pub,
    _haskell, _dune, _zig, _julia, _perl, _xcode, _dotnet, _make, _cmake, _docker, _ci,
]


def detect_builds(root: str, files: Sequence[str], read: set[str] | None = None) -> list[BuildInfo]:
    """Every build system among ``files`` (repo-relative posix paths): project builds first
    (by manifest depth, then path), then containers and CI. ``read``, when given, receives every
    file whose content the detectors looked at: only the file list and those files' bytes
    decide the result."""
    repo = _Repo(root, list(files))
    out: list[BuildInfo] = []
    for detect in _DETECTORS:
        out.extend(detect(repo))
    if read is not None:
        read.update(repo._cache)
    return sorted(out, key=lambda b: (b.tool in DELIVERY_TOOLS, b.manifest.count("/"), b.manifest))


# --------------------------------------------------------------------------- language stack

#: File extension -> language, for the stack summary (markup and data files are left out).
LANGUAGE_EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript",
    ".cjs": "javascript", ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript", ".go": "go",
    ".rs": "rust", ".java": "java", ".kt": "kotlin", ".kts": "kotlin", ".scala": "scala", ".groovy": "groovy",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp",
    ".cs": "csharp", ".fs": "fsharp", ".rb": "ruby", ".php": "php", ".swift": "swift", ".m": "objective-c",
    ".mm": "objective-c", ".dart": "dart", ".ex": "elixir", ".exs": "elixir", ".erl": "erlang", ".hs": "haskell",
    ".ml": "ocaml", ".clj": "clojure", ".lua": "lua", ".r": "r", ".jl": "julia", ".zig": "zig", ".nim": "nim",
    ".sh": "shell", ".bash": "shell", ".bats": "shell", ".pl": "perl", ".pm": "perl", ".mli": "ocaml",
    ".sc": "scala", ".ps1": "powershell", ".sql": "sql", ".vue": "vue", ".svelte": "svelte",
    ".sol": "solidity", ".tf": "terraform", ".proto": "protobuf",
}

#: Framework -> (manifest file names, regex that names it there).
_FRAMEWORKS: list[tuple[str, tuple[str, ...], str]] = [
    ("django", ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "Pipfile"), r"(?i)\bdjango\b"),
    ("flask", ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "Pipfile"), r"(?i)\bflask\b"),
    ("fastapi", ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "Pipfile"), r"(?i)\bfastapi\b"),
    ("pytorch", ("pyproject.toml", "setup.py", "requirements.txt"), r"(?im)^[ \t]*['\"]?torch\b"),
    ("react", ("package.json",), r"\"react\"\s*:"), ("next", ("package.json",), r"\"next\"\s*:"),
    ("vue", ("package.json",), r"\"vue\"\s*:"), ("angular", ("package.json",), r"\"@angular/core\"\s*:"),
    ("svelte", ("package.json",), r"\"svelte\"\s*:"), ("express", ("package.json",), r"\"express\"\s*:"),
    ("nestjs", ("package.json",), r"\"@nestjs/core\"\s*:"), ("electron", ("package.json",), r"\"electron\"\s*:"),
    ("spring_boot", ("pom.xml", "build.gradle", "build.gradle.kts"), r"spring-boot|org\.springframework\.boot"),
    ("quarkus", ("pom.xml", "build.gradle", "build.gradle.kts"), r"io\.quarkus"),
    ("android", ("build.gradle", "build.gradle.kts"), r"com\.android\.(?:application|library)"),
    ("gin", ("go.mod",), r"github\.com/gin-gonic/gin"), ("echo", ("go.mod",), r"github\.com/labstack/echo"),
    ("grpc", ("go.mod",), r"google\.golang\.org/grpc\b"),
    ("actix", ("Cargo.toml",), r"(?m)^actix-web\b"), ("axum", ("Cargo.toml",), r"(?m)^axum\b"),
    ("tokio", ("Cargo.toml",), r"(?m)^tokio\b"), ("rails", ("Gemfile",), r"gem ['\"]rails['\"]"),
    ("laravel", ("composer.json",), r"laravel/framework"), ("aspnetcore", ("*.csproj",), r"Microsoft\.AspNetCore|Microsoft\.NET\.Sdk\.Web"),
    ("sinatra", ("Gemfile", "*.gemspec"), r"""(?:gem|add_(?:runtime_)?dependency)\s*\(?\s*['"]sinatra['"]"""),
    ("xunit", ("*.csproj",), r'Include="xunit"'), ("rspec", ("Gemfile", "*.gemspec"), r"""['"]rspec['"]"""),
]


def frameworks(root: str, files: Sequence[str], read: set[str] | None = None) -> list[str]:
    """Frameworks named in the manifests among ``files``. ``read``, when given, receives every
    manifest whose content was looked at."""
    repo = _Repo(root, list(files))
    suffixes = {m[1:] for _, manifests, _ in _FRAMEWORKS for m in manifests if m.startswith("*")}
    by_suffix: dict[str, list[str]] = {s: [] for s in suffixes}
    for f in repo.files:
        if _is_sample(f):
            continue
        for s in suffixes:
            if f.endswith(s):
                by_suffix[s].append(f)
    found: list[str] = []
    for name, manifests, regex in _FRAMEWORKS:
        paths = sorted({p for m in manifests
                        for p in (by_suffix[m[1:]] if m.startswith("*") else repo.by_name.get(m, []))
                        if not _is_sample(p)})
        if any(re.search(regex, repo.read(p) or "") for p in paths[:50]):
            found.append(name)
    if read is not None:
        read.update(repo._cache)
    return found


def language_stack(files: Sequence[str], root: str | None = None,
                   read: set[str] | None = None) -> list[str]:
    """Languages by file count (most first; those under 1% of code files dropped; samples,
    playgrounds, templates, fixtures and docs not counted), then the frameworks named in the
    project's manifests when ``root`` is given (``read`` receives the manifests read)."""
    counts: Counter[str] = Counter()
    for f in files:
        if _VENDOR.search(f) or _is_sample(f) or f.endswith(".gradle.kts"):
            continue  # build scripts do not make a project a Kotlin project
        lang = LANGUAGE_EXTENSIONS.get(posixpath.splitext(f)[1].lower())
        if lang:
            counts[lang] += 1
    total = sum(counts.values())
    langs = [lang for lang, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n * 100 >= total]
    named = frameworks(root, files, read) if root is not None else []
    return langs + [f for f in named if f not in langs]  # vue: a language (.vue) and a framework


def project_stack(root: str, files: Sequence[str], builds: Sequence[BuildInfo],
                  read: set[str] | None = None) -> list[str]:
    """What the packet header calls the language stack: :func:`language_stack` (languages, then
    frameworks), then the project's build tools (``maven``, ``gradle``, ``npm``; CI and container
    tools are delivery, and a sample's build is not the project's), each once:
    ``[java, spring_boot, maven, gradle]``."""
    stack = language_stack(files, root, read)
    for b in builds:
        if b.tool not in DELIVERY_TOOLS and b.tool not in stack and not _is_sample(b.manifest):
            stack.append(b.tool)
    return stack
