"""Golden repository maps of the fixture repositories: what `repointel map` prints, whole.

Regenerate after a deliberate change with ``UPDATE_GOLDEN=1 pytest tests/test_map_golden.py``
and review the diff by hand.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from repointel import Repo

from .conftest import FIXTURES

GOLDEN = FIXTURES / "golden" / "maps"
#: (fixture repository under fixtures/deps, task or None, budget)
CASES = [
    ("python", None, 1024), ("python", "deep helper returns the wrong value", 1024),
    ("monorepo", None, 1024), ("go", None, 512), ("java", None, 512), ("rust", None, 512),
    ("js", None, 512), ("ruby", None, 512), ("csharp", None, 512), ("c", None, 512),
]


@pytest.mark.parametrize(("name", "task", "budget"), CASES,
                         ids=[f"{n}-{'task' if t else 'plain'}-{b}" for n, t, b in CASES])
def test_map_matches_golden(tmp_path: Path, name: str, task: str | None, budget: int) -> None:
    root = tmp_path / name
    shutil.copytree(FIXTURES / "deps" / name, root)
    with Repo.open(root) as repo:
        repo.index(workers=1)
        m = repo.map(task, budget=budget)
    got = m.text + f"# {m.tokens.used}/{budget} tokens\n"
    golden = GOLDEN / f"{name}-{'task' if task else 'plain'}-{budget}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(got)
    assert got == golden.read_text()
