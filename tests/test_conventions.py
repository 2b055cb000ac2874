"""Conventions: lint/format/type-check configs and agent/contributor docs, with scope."""

from __future__ import annotations

from pathlib import Path

from repointel.extract.conventions import detect_conventions

from .conftest import write_files

FILES: dict[str, str | bytes] = {
    "pyproject.toml": (
        '[project]\nname = "x"\n[tool.ruff]\nline-length = 100\n[tool.ruff.lint]\nselect = ["E", "F", "I"]\n'
        "[tool.mypy]\nstrict = true\n[tool.black]\nline-length = 100\n[tool.isort]\nprofile = \"black\"\n"
        "[tool.pytest.ini_options]\naddopts = \"-q\"\n"),
    "setup.cfg": "[metadata]\nname = x\n[flake8]\nmax-line-length = 120\nextend-ignore = E203\n",
    "tox.ini": "[tox]\nenvlist = py311\n[pylint]\ndisable = C0114\n",
    "mypy.ini": "[mypy]\ndisallow_untyped_defs = True\n",
    ".editorconfig": "root = true\n[*]\nindent_style = space\nindent_size = 4\nend_of_line = lf\n",
    "web/.eslintrc.json": '{"extends": "eslint:recommended"}\n',
    "web/.prettierrc": '{"semi": false}\n',
    "web/tsconfig.json": '{\n  // comment\n  "compilerOptions": {"strict": true, "target": "ES2022",},\n}\n',
    "legacy/tsconfig.json": '{"compilerOptions": {"strict": false}}\n',
    "engine/rustfmt.toml": "max_width = 100\nedition = \"2021\"\n",
    "engine/clippy.toml": "msrv = \"1.70\"\n",
    "svc/.golangci.yml": "linters:\n  enable:\n    - govet\n    - errcheck\n",
    "java/config/checkstyle.xml": "<module name=\"Checker\"/>\n",
    ".rubocop.yml": "AllCops:\n  TargetRubyVersion: 3.2\n",
    "native/.clang-format": "BasedOnStyle: Google\n",
    ".pre-commit-config.yaml": "repos:\n  - repo: x\n    hooks:\n      - id: ruff\n      - id: black\n",
    "AGENTS.md": "# Agent guide\n\nRun the tests before committing.\n",
    "web/AGENTS.md": "<!-- note -->\n# Frontend agents\n",
    "CLAUDE.md": "Use the venv.\n",
    "CONTRIBUTING.md": "# Contributing to X\n",
    "docs/ARCHITECTURE.md": "# How X fits together\n",
    "docs/index.rst": "Welcome\n=======\n",
    ".github/copilot-instructions.md": "Prefer small functions.\n",
    "node_modules/pkg/.eslintrc.json": "{}\n",
    "src/app.py": "x = 1\n",
    "README.md": "# X\n",
}


def _detect(tmp_path: Path) -> dict[tuple[str, str], str]:
    write_files(tmp_path, FILES)
    return {(c.path, c.kind): c.governs for c in detect_conventions(str(tmp_path), list(FILES))}


def test_python_tool_configs(tmp_path: Path) -> None:
    found = _detect(tmp_path)
    assert found[("pyproject.toml", "lint")] == "ruff for .: line-length 100; select E,F,I"
    assert found[("pyproject.toml", "typecheck")] == "mypy for .: strict True"
    assert found[("setup.cfg", "lint")] == "flake8 for .: max-line-length 120; extend-ignore E203"
    assert found[("tox.ini", "lint")] == "pylint for .: disable C0114"
    assert found[("mypy.ini", "typecheck")] == "mypy for .: disallow_untyped_defs True"
    convs = detect_conventions(str(tmp_path), list(FILES))
    formats = sorted(c.governs for c in convs if c.path == "pyproject.toml" and c.kind == "format")
    assert formats == ["black for .: line-length 100", "isort for .: profile black"]
    assert sum(c.path == "pyproject.toml" for c in convs) == 4  # ruff, black, isort, mypy (not pytest)


def test_other_ecosystems_with_scope(tmp_path: Path) -> None:
    found = _detect(tmp_path)
    assert found[(".editorconfig", "editor")] == "editorconfig for .: indent_style space; indent_size 4; end_of_line lf"
    assert found[("web/.eslintrc.json", "lint")] == "eslint for web/"
    assert found[("web/.prettierrc", "format")] == "prettier for web/"
    assert found[("web/tsconfig.json", "typecheck")] == "typescript for web/: strict; target ES2022"
    assert found[("legacy/tsconfig.json", "typecheck")] == "typescript for legacy/: not strict"
    assert found[("engine/rustfmt.toml", "format")] == "rustfmt for engine/: max_width 100; edition 2021"
    assert found[("engine/clippy.toml", "lint")] == "clippy for engine/: msrv 1.70"
    assert found[("svc/.golangci.yml", "lint")] == "golangci-lint for svc/: enable govet,errcheck"
    assert found[("java/config/checkstyle.xml", "lint")] == "checkstyle for java/config/"
    assert found[(".rubocop.yml", "lint")] == "rubocop for ."
    assert found[("native/.clang-format", "format")] == "clang-format for native/"
    assert found[(".pre-commit-config.yaml", "hooks")] == "pre-commit for .: hooks ruff,black"
    assert not any(p.startswith("node_modules/") for p, _ in found)
    assert not any(p in ("src/app.py", "README.md") for p, _ in found)


def test_agent_and_contributor_docs(tmp_path: Path) -> None:
    found = _detect(tmp_path)
    assert found[("AGENTS.md", "agent_instructions")] == "agent instructions for .: Agent guide"
    assert found[("web/AGENTS.md", "agent_instructions")] == "agent instructions for web/: Frontend agents"
    assert found[("CLAUDE.md", "agent_instructions")] == "agent instructions for .: Use the venv."
    assert found[(".github/copilot-instructions.md", "agent_instructions")].startswith("agent instructions for .")
    assert found[("CONTRIBUTING.md", "contributing")] == "contributor guide for .: Contributing to X"
    assert found[("docs/ARCHITECTURE.md", "architecture")] == "architecture notes for .: How X fits together"
    assert found[("docs/index.rst", "docs")] == "documentation index for .: Welcome"


def test_broken_configs_still_listed(tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": "[tool.ruff\nbroken", "web/tsconfig.json": "{ not json, \"strict\": true"})
    found = {(c.path, c.governs) for c in detect_conventions(str(tmp_path), ["pyproject.toml", "web/tsconfig.json",
                                                                            "missing/.flake8"])}
    assert ("web/tsconfig.json", "typescript for web/: strict") in found
    assert ("missing/.flake8", "flake8 for missing/") in found
    assert not any(p == "pyproject.toml" for p, _ in found)


def test_editorconfig_reports_each_section(tmp_path: Path) -> None:
    """flask's .editorconfig: ``[*]`` sets 4 and a later section sets 2 for web files; the last
    value used to win for the whole repository (``indent_size 2``), though Python is 4."""
    write_files(tmp_path, {".editorconfig": (
        "root = true\n\n[*]\nindent_style = space\nindent_size = 4\ninsert_final_newline = true\n"
        "end_of_line = lf\ncharset = utf-8\nmax_line_length = 88\n\n"
        "[*.{css,html,js,json,jsx,scss,ts,tsx,yaml,yml}]\nindent_size = 2\n\n[Makefile]\n; tabs\n"
        "indent_style = tab\n")})
    (conv,) = detect_conventions(str(tmp_path), [".editorconfig"])
    assert conv.governs == ("editorconfig for .: indent_style space; indent_size 4; max_line_length 88; "
                            "end_of_line lf; *.{css,html,js,json,jsx,scss,ts,tsx,yaml,yml}: indent_size 2; "
                            "Makefile: indent_style tab")


def test_editorconfig_sections_are_bounded(tmp_path: Path) -> None:
    text = "".join(f"[*.x{i}]\nindent_size = {i}\n" for i in range(5000)) + "[" + "a" * 500 + "]\nindent_size = 1\n"
    write_files(tmp_path, {".editorconfig": text})
    (conv,) = detect_conventions(str(tmp_path), [".editorconfig"])
    assert conv.governs.count(": indent_size") == 16
