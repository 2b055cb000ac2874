"""Project conventions: lint/format/type-check configs and agent/contributor documents.

Each :class:`Convention` names the file, a ``kind`` (``lint``, ``format``, ``typecheck``,
``editor``, ``hooks``, ``agent_instructions``, ``contributing``, ``architecture``, ``docs``)
and what it ``governs``: ``"<tool> for <scope>: <details>"``, where the scope is the
directory the file applies to (``.`` for the whole repository). One file may yield several
conventions (a ``pyproject.toml`` configuring ruff, mypy and black).
"""

from __future__ import annotations

import configparser
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..models import Convention
from .build import load_toml
from .deps import parse_jsonc

__all__ = ["DOC_FILES", "detect_conventions", "may_declare_conventions"]

#: Bytes read from any one config or document.
_READ_LIMIT = 256_000

#: Config file name -> (kind, tool). Matched on the file name, at any depth.
_CONFIG_FILES: dict[str, tuple[str, str]] = {
    ".flake8": ("lint", "flake8"), ".pylintrc": ("lint", "pylint"), "pylintrc": ("lint", "pylint"),
    "ruff.toml": ("lint", "ruff"), ".ruff.toml": ("lint", "ruff"), "mypy.ini": ("typecheck", "mypy"),
    ".mypy.ini": ("typecheck", "mypy"), "pyrightconfig.json": ("typecheck", "pyright"),
    ".isort.cfg": ("format", "isort"), ".style.yapf": ("format", "yapf"),
    ".editorconfig": ("editor", "editorconfig"), ".prettierrc": ("format", "prettier"),
    ".eslintrc": ("lint", "eslint"), "biome.json": ("lint", "biome"), "biome.jsonc": ("lint", "biome"),
    ".stylelintrc": ("lint", "stylelint"), "rustfmt.toml": ("format", "rustfmt"),
    ".rustfmt.toml": ("format", "rustfmt"), "clippy.toml": ("lint", "clippy"), ".clippy.toml": ("lint", "clippy"),
    ".golangci.yml": ("lint", "golangci-lint"), ".golangci.yaml": ("lint", "golangci-lint"),
    ".golangci.toml": ("lint", "golangci-lint"), ".rubocop.yml": ("lint", "rubocop"),
    ".clang-format": ("format", "clang-format"), "_clang-format": ("format", "clang-format"),
    ".clang-tidy": ("lint", "clang-tidy"), ".pre-commit-config.yaml": ("hooks", "pre-commit"),
    ".markdownlint.json": ("lint", "markdownlint"), ".markdownlint.yaml": ("lint", "markdownlint"),
    "detekt.yml": ("lint", "detekt"), ".swiftlint.yml": ("lint", "swiftlint"), ".shellcheckrc": ("lint", "shellcheck"),
    ".scalafmt.conf": ("format", "scalafmt"), ".jshintrc": ("lint", "jshint"), "deno.json": ("lint", "deno"),
    "phpcs.xml": ("lint", "phpcs"), "phpstan.neon": ("typecheck", "phpstan"), ".php-cs-fixer.php": ("format", "php-cs-fixer"),
}
#: Name patterns for families of configs: (regex on the file name, kind, tool).
_CONFIG_PATTERNS: list[tuple[str, str, str]] = [
    (r"\.eslintrc\.(?:js|cjs|mjs|json|ya?ml)|eslint\.config\.(?:js|cjs|mjs|ts|mts|cts)", "lint", "eslint"),
    (r"\.prettierrc\.(?:js|cjs|mjs|json|json5|ya?ml|toml)|prettier\.config\.(?:js|cjs|mjs|ts)", "format", "prettier"),
    (r"\.stylelintrc\.(?:js|cjs|json|ya?ml)|stylelint\.config\.(?:js|cjs|mjs)", "lint", "stylelint"),
    (r"tsconfig(?:\.[\w-]+)?\.json", "typecheck", "typescript"),
    (r"checkstyle[\w.-]*\.xml", "lint", "checkstyle"), (r"spotbugs[\w.-]*\.xml|pmd[\w.-]*\.xml", "lint", "static-analysis"),
    (r"\.swift-?format", "format", "swift-format"), (r"ktlint[\w.-]*|\.ktlint", "lint", "ktlint"),
]
#: Documents that tell people and agents how to work here: (regex on the repo path, kind).
DOC_FILES: list[tuple[str, str]] = [
    (r"(?:^|.*/)AGENTS\.md", "agent_instructions"), (r"(?:^|.*/)CLAUDE\.md", "agent_instructions"),
    (r"(?:^|.*/)GEMINI\.md", "agent_instructions"), (r"\.github/copilot-instructions\.md", "agent_instructions"),
    (r"\.github/instructions/[^/]+\.instructions\.md", "agent_instructions"),
    (r"(?:^|.*/)\.cursorrules", "agent_instructions"), (r"\.cursor/rules/[^/]+\.mdc?", "agent_instructions"),
    (r"(?:^|.*/)\.windsurfrules", "agent_instructions"),
    (r"(?:^|\.github/|docs/)?CONTRIBUTING(?:\.[\w.]+)?", "contributing"),
    (r"(?:^|docs/)?(?:HACKING|DEVELOPMENT|DEVELOPING)(?:\.[\w.]+)?", "contributing"),
    (r"(?:.*/)?ARCHITECTURE(?:\.[\w.]+)?", "architecture"), (r"docs?/architecture(?:\.[\w.]+)?", "architecture"),
    (r"docs?/index(?:\.[\w.]+)?", "docs"), (r"(?:docs?/)?STYLEGUIDE(?:\.[\w.]+)?|(?:docs?/)?STYLE(?:\.md)", "contributing"),
]
_VENDOR = re.compile(r"(?:^|/)(?:node_modules|vendor|third_party|\.venv|venv|site-packages|\.git)/")


def _reader(root: str) -> Callable[[str], str | None]:
    def read(rel: str) -> str | None:
        try:
            with open(os.path.join(root, rel), "rb") as fh:
                return fh.read(_READ_LIMIT).decode("utf-8", "replace")
        except OSError:
            return None

    return read


#: Folders whose documents speak for the whole repository, not for the folder itself.
_REPO_WIDE_DIRS = frozenset({"", "docs", "doc", ".github", ".github/instructions", ".cursor/rules", ".cursor"})


def _scope(path: str, repo_wide_dirs: frozenset[str] = frozenset({""})) -> str:
    d = posixpath.dirname(path)
    return "." if d in repo_wide_dirs else d + "/"


def _join(values: Any, limit: int = 8) -> str:
    if isinstance(values, str):
        return values
    if isinstance(values, Iterable):
        items = [str(v) for v in values]
        return ",".join(items[:limit]) + (",…" if len(items) > limit else "")
    return str(values)


def _details(table: Mapping[str, Any], keys: Iterable[str]) -> str:
    out = []
    for key in keys:
        value = table.get(key)
        if value is not None and value != []:
            out.append(f"{key} {_join(value)}")
    return "; ".join(out)


_PY_TOOLS: list[tuple[str, str, tuple[str, ...]]] = [
    ("ruff", "lint", ("line-length", "target-version", "select", "extend-select", "ignore")),
    ("black", "format", ("line-length", "target-version", "skip-string-normalization")),
    ("isort", "format", ("profile", "line_length", "known_first_party")),
    ("mypy", "typecheck", ("strict", "python_version", "disallow_untyped_defs", "ignore_missing_imports")),
    ("pyright", "typecheck", ("typeCheckingMode", "pythonVersion")),
    ("pylint", "lint", ("max-line-length", "disable")),
    ("flake8", "lint", ("max-line-length", "select", "ignore", "extend-ignore")),
    ("yapf", "format", ("based_on_style", "column_limit")),
]


def _pyproject(path: str, text: str) -> list[Convention]:
    tool = load_toml(text).get("tool", {})
    out = []
    for name, kind, keys in _PY_TOOLS:
        table = tool.get(name)
        if not isinstance(table, dict):
            continue
        merged = {**table, **(table.get("lint") or {})} if name == "ruff" else dict(table)
        if name == "pylint":
            for sub in ("format", "messages_control", "MESSAGES CONTROL", "FORMAT"):
                merged.update(table.get(sub) or {})
        out.append(_conv(path, kind, name, _details(merged, keys)))
    return out


def _ini(path: str, text: str) -> list[Convention]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    out = []
    for name, kind, keys in _PY_TOOLS:
        for section in (name, f"tool:{name}", "settings" if name == "isort" else "",
                        "MESSAGES CONTROL" if name == "pylint" else ""):
            if section and parser.has_section(section):
                out.append(_conv(path, kind, name, _details(dict(parser[section]), keys)))
                break
    return out


def _conv(path: str, kind: str, tool: str, details: str) -> Convention:
    governs = f"{tool} for {_scope(path)}" + (f": {details}" if details else "")
    return Convention(path=path, kind=kind, governs=governs)


def _tsconfig(path: str, text: str) -> str:
    try:
        data = parse_jsonc(text)
        opts = data.get("compilerOptions", {}) if isinstance(data, dict) else {}
    except ValueError:
        opts = {"strict": True} if re.search(r'"strict"\s*:\s*true', text) else {}
    parts = ["strict" if opts.get("strict") else "not strict"]
    parts += [f"{k} {opts[k]}" for k in ("target", "module", "noImplicitAny") if k in opts]
    return "; ".join(parts)


#: EditorConfig keys a packet reports (the ones that decide how an edit must be laid out).
_EDITOR_KEYS = ("indent_style", "indent_size", "tab_width", "max_line_length", "end_of_line")
#: Sections reported from one .editorconfig: real ones have a handful; a hostile file has thousands.
_MAX_EDITOR_SECTIONS = 16
#: Longest section glob shown (flask's 41-character ``*.{css,html,js,…,yml}`` fits).
_MAX_EDITOR_GLOB = 80


def _editor_sections(text: str) -> list[tuple[str, dict[str, str]]]:
    """(glob, settings) of each ``[glob]`` section in file order, our keys only (preamble dropped:
    it holds only ``root``). A glob repeated later merges into its first place, later values win."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            glob = line[1:-1].strip()
            current = sections.get(glob)
            if current is None and len(sections) < _MAX_EDITOR_SECTIONS:
                current = sections.setdefault(glob, {})
            continue
        key, eq, value = line.partition("=")
        if current is not None and eq and key.strip().lower() in _EDITOR_KEYS and value.strip():
            current[key.strip().lower()] = value.split()[0] if value.split() else ""
    return [(g, s) for g, s in sections.items() if s]


def _editorconfig(text: str) -> str:
    """Each section's layout settings, so a packet says which files get which indent (flask's
    ``[*]`` says 4 and ``[*.{css,…,yml}]`` says 2: Python is 4): the ``[*]`` section bare,
    others as ``glob: key value, …``."""
    parts = []
    for glob, settings in _editor_sections(text):
        pairs = [f"{k} {settings[k]}" for k in _EDITOR_KEYS if k in settings]
        if glob == "*":
            parts += pairs
        else:
            shown = glob if len(glob) <= _MAX_EDITOR_GLOB else glob[: _MAX_EDITOR_GLOB - 1] + "…"
            parts.append(f"{shown}: {', '.join(pairs)}")
    return "; ".join(parts)


def _golangci(text: str) -> str:
    enabled = re.search(r"(?m)^[ \t]*enable:[ \t]*\n((?:[ \t]+-[ \t]*[\w-]+[ \t]*(?:\n|$))+)", text)
    names = re.findall(r"-\s*([\w-]+)", enabled.group(1)) if enabled else []
    return f"enable {_join(names)}" if names else ""


def _precommit(text: str) -> str:
    hooks = list(dict.fromkeys(re.findall(r"(?m)^[ \t]*-\s*id:\s*([\w.-]+)", text)))
    return f"hooks {_join(hooks)}" if hooks else ""


def _config_details(tool: str, text: str) -> str:
    if tool == "typescript":
        return _tsconfig("", text)
    if tool == "editorconfig":
        return _editorconfig(text)
    if tool == "golangci-lint":
        return _golangci(text)
    if tool == "pre-commit":
        return _precommit(text)
    if tool in ("ruff", "rustfmt", "clippy"):
        data = load_toml(text)
        data = {**data, **(data.get("lint") or {})}
        return _details(data, ("line-length", "max_width", "edition", "select", "msrv"))
    return ""


def _config_kind(name: str) -> tuple[str, str] | None:
    if name in _CONFIG_FILES:
        return _CONFIG_FILES[name]
    for regex, kind, tool in _CONFIG_PATTERNS:
        if re.fullmatch(regex, name):
            return kind, tool
    return None


def _doc_summary(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line and not line.startswith(("<!--", "---", "[!", "===")):
            return line[:80]
    return ""


def _doc_kind(path: str) -> str | None:
    for regex, kind in DOC_FILES:
        if re.fullmatch(regex, path, re.IGNORECASE if kind != "agent_instructions" else 0):
            return kind
    return None


def _one_file(path: str, read: Callable[[str], str | None]) -> list[Convention]:
    name = posixpath.basename(path)
    if name == "pyproject.toml":
        return _pyproject(path, read(path) or "")
    if name in ("setup.cfg", "tox.ini"):
        return _ini(path, read(path) or "")
    doc = _doc_kind(path)
    if doc is not None:
        summary = _doc_summary(read(path) or "")
        label = {"agent_instructions": "agent instructions", "contributing": "contributor guide",
                 "architecture": "architecture notes", "docs": "documentation index"}[doc]
        return [Convention(path=path, kind=doc,
                           governs=f"{label} for {_scope(path, _REPO_WIDE_DIRS)}"
                           + (f": {summary}" if summary else ""))]
    found = _config_kind(name)
    if found is None:
        return []
    kind, tool = found
    text = read(path) or ""
    out = [_conv(path, kind, tool, _config_details(tool, text))]
    if tool in ("flake8", "pylint", "mypy", "isort") and name not in (".editorconfig",):
        out = _ini(path, text) or out
    return out


def may_declare_conventions(path: str) -> bool:
    """Whether ``path`` is a kind of file :func:`detect_conventions` reads at all (by its name
    and place): for any other file it finds nothing, whatever the bytes."""
    name = posixpath.basename(path)
    return (name in ("pyproject.toml", "setup.cfg", "tox.ini") or _doc_kind(path) is not None
            or _config_kind(name) is not None)


def detect_conventions(root: str, files: Iterable[str]) -> list[Convention]:
    """Every convention file among ``files`` (repo-relative posix paths), in path order."""
    read = _reader(root)
    out: list[Convention] = []
    for path in sorted(files):
        if _VENDOR.search(path):
            continue
        out.extend(_one_file(path, read))
    return out
