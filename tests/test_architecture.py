"""The pipeline is one-directional and ``import repointel`` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "repointel"

#: Layer of each module (by dotted prefix under repointel); a module may import only from
#: its own layer or earlier ones.
LAYERS: list[tuple[str, int]] = [
    ("models", 0), ("errors", 0), ("bounds", 0), ("config", 0), ("tokens", 0), ("cache", 0), ("untrusted", 0),
    ("scan", 1), ("parse", 2), ("extract", 3), ("store_client", 4), ("store", 4),
    ("indexer", 5), ("derive", 5), ("rank", 6), ("context", 7),
    ("api", 8), ("fleet.cli", 9), ("fleet", 8), ("service", 9), ("cli", 9), ("watch", 9), ("mcp_server", 9),
    ("daemon", 9), ("__main__", 10),
    ("__init__", 10),
]


def _layer(module: str) -> int:
    for prefix, layer in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return layer
    raise AssertionError(f"module repointel.{module} is in no layer: add it to LAYERS")


def _imports(path: Path) -> list[tuple[str, int]]:
    rel = path.relative_to(PKG).with_suffix("")
    parts = list(rel.parts)
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
                names = [mod] if node.module else [".".join(base + [a.name]) for a in node.names]
                out += [(n, node.lineno) for n in names if n]
            elif node.module and node.module.startswith("repointel"):
                out.append((node.module.removeprefix("repointel").lstrip("."), node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name.removeprefix("repointel").lstrip("."), node.lineno)
                    for a in node.names if a.name.startswith("repointel.")]
    return out


def test_layers_only_import_backwards() -> None:
    problems = []
    for path in sorted(PKG.rglob("*.py")):
        me = ".".join(path.relative_to(PKG).with_suffix("").parts)
        mine = _layer(me)
        for target, line in _imports(path):
            if target and _layer(target) > mine:
                problems.append(f"{me}:{line} imports {target} (layer {_layer(target)} > {mine})")
    assert not problems, "\n".join(problems)


def test_only_store_imports_duckdb() -> None:
    offenders = [str(p.relative_to(PKG)) for p in PKG.rglob("*.py")
                 if p.name != "store.py" and ("import duckdb" in p.read_text()
                                              or "from duckdb" in p.read_text())]
    assert offenders == []


def test_import_repointel_is_light() -> None:
    code = ("import sys, repointel; heavy = {'duckdb', 'tree_sitter', 'tiktoken', 'pyarrow', "
            "'rustworkx', 'networkx', 'watchdog', 'click', 'pydantic', 'mcp'}; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_context_uses_rank_and_never_the_reverse() -> None:
    """Ranking (task → files, task → definitions) lives in ``rank``; ``context`` only chooses tiers,
    snippets and budget from what ``rank`` returns."""
    rank_imports = [(path.name, target) for path in sorted((PKG / "rank").rglob("*.py"))
                    for target, _ in _imports(path) if target.startswith("context")]
    context_uses = {target.split(".")[1] for path in sorted((PKG / "context").rglob("*.py"))
                    for target, _ in _imports(path) if target.startswith("rank.")}
    assert rank_imports == []
    assert {"files", "definitions", "task"} <= context_uses
