"""`repointel map` on real standard-library packages: never over budget (exact count, many
budgets, both tokenizers, with and without a task), ranked, and the same through the CLI."""

from __future__ import annotations

import json
import shutil
import sysconfig
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repointel import Repo
from repointel.tokens import get_tokenizer

from .conftest import run_cli

#: Real packages of the running interpreter's stdlib: ~200 files, indexed in a few seconds.
PACKAGES = ("json", "email", "asyncio", "importlib", "logging", "http", "urllib", "xml")


@pytest.fixture(scope="module")
def stdlib_part(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = Path(sysconfig.get_paths()["stdlib"])
    root = tmp_path_factory.mktemp("stdlib") / "Lib"
    for pkg in PACKAGES:
        shutil.copytree(src / pkg, root / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    with Repo.open(root) as repo:
        repo.index()
    return root


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(budget=st.one_of(st.integers(min_value=1, max_value=300), st.integers(min_value=300, max_value=20_000)),
       task=st.sampled_from([None, "json decoder raises on trailing comma", "email header folding",
                             "asyncio.wait_for cancels the task", "urllib.parse.urljoin drops the port"]),
       tokenizer=st.sampled_from(["cl100k_base", "o200k_base"]))
def test_map_never_exceeds_the_budget(stdlib_part: Path, budget: int, task: str | None, tokenizer: str) -> None:
    with Repo.open(stdlib_part) as repo:
        m = repo.map(task, budget=budget, tokenizer=tokenizer)
    assert m.tokens.used == get_tokenizer(tokenizer).count(m.text) <= budget
    assert m.text == "".join(f"{e.path}:\n" + "".join(d + "\n" for d in e.definitions) + "\n" for e in m.entries)
    assert len({e.path for e in m.entries}) == len(m.entries)


def test_map_fills_large_budgets_and_follows_the_task(stdlib_part: Path) -> None:
    with Repo.open(stdlib_part) as repo:
        small, big = repo.map(budget=1024), repo.map(budget=8192)
        assert small.tokens.used > 900 and big.tokens.used > 7000  # the budget is used, not wasted
        for m in (small, big):  # ranked best first; a block too big for what is left is skipped
            assert [e.rank for e in m.entries] == sorted((e.rank for e in m.entries), reverse=True)
        tasked = repo.map("json.decoder.JSONDecodeError on trailing comma", budget=1024)
        assert tasked.entries[0].path.startswith("json/")


@pytest.mark.parametrize("budget", [1024, 8192])
def test_cli_map_budget(stdlib_part: Path, budget: int) -> None:
    out = json.loads(run_cli("map", "--repo", str(stdlib_part), "--budget", str(budget), "--json").stdout)
    assert out["tokens"]["used"] == get_tokenizer("cl100k_base").count(out["text"]) <= budget


def test_map_shows_production_code_not_tests_docs_or_examples(tmp_path: Path) -> None:
    """A playground's ``log`` drew every ``console.log`` user in vite: tests, docs, examples,
    playgrounds and bundled copies stay out of the map while production code is there."""
    from .conftest import make_git_repo

    uses = "".join(f"def use_{i}():\n    return log('x{i}') + log('y')\n\n" for i in range(5))
    root = make_git_repo(tmp_path / "r", {
        "shop/__init__.py": "", "shop/cart.py": "def total(prices):\n    return sum(prices)\n\n" + uses,
        "shop/tax.py": "from shop.cart import total\n\ndef with_tax(prices):\n    return total(prices) * 1.2\n",
        "playground/log.py": "def log(message):\n    return message\n",
        "docs/conf.py": "def log(message):\n    return message\n",
        "tests/test_cart.py": "from shop.cart import total\n\ndef test_total():\n    assert total([1]) == 1\n" + uses,
    })
    with Repo.open(root) as repo:
        repo.index(workers=1)
        paths = [e.path for e in repo.map(budget=2000).entries]
    assert paths and set(paths) <= {"shop/__init__.py", "shop/cart.py", "shop/tax.py"}
