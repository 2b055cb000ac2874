"""Symbol cards: a definition, the repository definitions its body uses, the tests covering it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from repointel import Repo
from repointel.errors import PathNotIndexedError, PathOutsideRepoError

from .conftest import SMALL_REPO_FILES, make_indexed_repo, run_cli

FILES: dict[str, str | bytes] = {
    **SMALL_REPO_FILES,
    "pkg/billing.py": (
        "from .money import Money\nfrom .rates import tax_rate\n\n\n"
        "class Invoice:\n    \"\"\"An invoice.\"\"\"\n\n"
        "    def total(self, discount: float) -> Money:\n"
        "        amount = 100 - discount\n"
        "        return Money(amount * tax_rate(amount)) + rounding(amount)\n\n"
        "    def lines(self):\n        return []\n\n\n"
        "def rounding(amount):\n    return Money(0)\n"
    ),
    "pkg/rates.py": "def tax_rate(amount):\n    return 1.2\n",
    "pkg/report.py": "def render(amount):\n    return str(amount)\n",
    "tests/test_money.py": "from pkg.money import Money\n\n\ndef test_money():\n    assert Money(1)\n",
    "web/app.ts": (
        "import { price } from './price';\n\nexport class Cart {\n"
        "  total(items: number[]): number {\n    return items.reduce((a, b) => a + price(b), 0);\n  }\n}\n"
    ),
    "web/price.ts": "export function price(n: number): number {\n  return n * 2;\n}\n",
}


@pytest.fixture
def repo_path(tmp_path: Path) -> Path:
    return make_indexed_repo(tmp_path / "repo", dict(FILES))


def test_card_lists_what_the_body_uses_and_the_covering_tests(repo_path: Path) -> None:
    with Repo.open(repo_path) as repo:
        [card] = repo.symbol_cards("Invoice.total")
    assert (card.symbol, card.kind, card.file, card.line_range) == ("Invoice.total", "method", "pkg/billing.py", "8-10")
    deps = {d.name: (d.via, d.defined_in) for d in card.depends_on}
    assert deps == {
        "rounding": ("same_file", ["pkg/billing.py"]),
        "Money": ("import", ["pkg/money.py"]),
        "tax_rate": ("import", ["pkg/rates.py"]),
    }  # locals (amount, discount) and the method's own name are not dependencies
    assert [d.name for d in card.depends_on][0] == "rounding"  # surest first
    lines = (repo_path / "pkg/billing.py").read_bytes().splitlines(keepends=True)[7:10]
    assert card.sha256 == hashlib.sha256(b"".join(lines)).hexdigest() and card.freshness == "current"
    assert card.tests and card.tests[0].path == "tests/test_billing.py"
    assert card.tests[0].reason.startswith("uses total")


def test_a_class_card_covers_its_methods_uses_and_a_name_finds_every_definer(repo_path: Path) -> None:
    with Repo.open(repo_path) as repo:
        [card] = repo.symbol_cards("Invoice")
        assert {d.name for d in card.depends_on} == {"Money", "tax_rate", "rounding"}
        assert [c.file for c in repo.symbol_cards("total")] == ["pkg/billing.py", "web/app.ts"]
        assert [c.file for c in repo.symbol_cards("total", path="web")] == ["web/app.ts"]
        [money] = repo.symbol_cards("Money")
        assert "tests/test_money.py" in [t.path for t in money.tests]


def test_typescript_card_resolves_through_imports(repo_path: Path) -> None:
    with Repo.open(repo_path) as repo:
        [card] = repo.symbol_cards("Cart.total")
    assert [(d.name, d.via, d.defined_in) for d in card.depends_on] == [("price", "import", ["web/price.ts"])]


def test_changed_file_gives_a_stale_card_without_dependencies(repo_path: Path) -> None:
    billing = repo_path / "pkg/billing.py"
    billing.write_text("\n\n" + billing.read_text())  # offsets move: the indexed span is wrong now
    with Repo.open(repo_path) as repo:
        [card] = repo.symbol_cards("Invoice.total")
    assert card.freshness == "stale" and card.depends_on == [] and card.sha256 is None


def test_unknown_symbol_and_escaping_path_are_refused(repo_path: Path) -> None:
    with Repo.open(repo_path) as repo:
        with pytest.raises(PathNotIndexedError):
            repo.symbol_cards("NoSuchThing")
        with pytest.raises(PathOutsideRepoError):
            repo.symbol_cards("Invoice", path="../elsewhere")


def test_cli_symbol_json_and_text(repo_path: Path) -> None:
    out = run_cli("symbol", "Invoice.total", "--repo", str(repo_path), "--json")
    assert [c["symbol"] for c in json.loads(out.stdout)["result"]] == ["Invoice.total"]
    text = run_cli("symbol", "Invoice.total", "--repo", str(repo_path)).stdout
    assert "uses Money (2x, import): pkg/money.py" in text and "test tests/test_billing.py" in text
    missing = run_cli("symbol", "Nope", "--repo", str(repo_path), check=False)
    assert missing.returncode != 0 and "no symbol named 'Nope'" in missing.stderr
