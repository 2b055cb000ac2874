"""`repointel map` on real standard-library packages: never over budget (exact count, many
budgets, both tokenizers, with and without a task), ranked, and the same through the CLI."""

from __future__ import annotations

import json
import re
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
    assert m.text == "".join(f"{e.path}:\n" + "".join(d.text() + "\n" for d in e.definitions) + "\n"
                             if e.definitions else f"{e.path}: (no public definitions)\n\n" for e in m.entries)
    assert len({e.path for e in m.entries}) == len(m.entries)
    ranks = [e.rank for e in m.entries]
    assert ranks == sorted(ranks, reverse=True) and all(0 < r <= 1 for r in ranks), "one scale"
    assert not ranks or ranks[0] == 1.0


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


def test_map_of_a_java_project_whose_package_says_example(tmp_path: Path) -> None:
    """``com.example.demo`` is Spring Initializr's default package: the folders it spells are a
    package name, so its code is the project's code and the map shows it, not the tests or the
    samples folder beside it (all of it counted as examples, and the map fell back to every file)."""
    from .conftest import java_source, make_git_repo

    main, pkg = "src/main/java/com/example/demo/", "com.example.demo"
    root = make_git_repo(tmp_path / "r", {
        main + "Invoice.java": java_source(pkg, "public class Invoice", "public int total(Discount d) { return 1; }"),
        main + "Discount.java": java_source(pkg, "public class Discount", "public int apply(int a) { return a; }"),
        "src/test/java/com/example/demo/InvoiceTest.java": java_source(
            pkg, "class InvoiceTest", "@Test void total() { new Invoice().total(new Discount()); }"),
        "samples/cli/src/main/java/com/example/cli/Main.java": java_source(
            "com.example.cli", "public class Main", "public static void main(String[] a) { new Discount(); }"),
    })
    with Repo.open(root) as repo:
        repo.index(workers=1)
        paths = {e.path for e in repo.map(budget=2000).entries}
    assert paths == {main + "Invoice.java", main + "Discount.java"}


def test_map_buys_breadth_first_and_shows_methods_under_their_class(stdlib_part: Path) -> None:
    """Each file's top-level definitions come before its members, and a file ranked half as high
    shows its first definition before the top file shows its third: at 1024 tokens the map spans
    many files (it showed 3 when every file listed up to 40 definitions in line order)."""
    with Repo.open(stdlib_part) as repo:
        m = repo.map(budget=1024)
    assert len(m.entries) >= 10
    for entry in m.entries:
        defs = entry.definitions
        if defs:
            assert defs[0].depth == 0, f"{entry.path} opens with a member"
        for i, d in enumerate(defs):  # a member is shown under its class (or another member)
            if d.depth:
                assert i > 0, f"{entry.path}: {d} has no class line above it"
            assert d.kind and d.name and d.qualname.endswith(d.name), d


def test_map_leaves_out_a_functions_inner_helpers(tmp_path: Path) -> None:
    from .conftest import make_indexed_repo

    root = make_indexed_repo(tmp_path / "r", {
        "pkg/__init__.py": "",
        "pkg/codec.py": "def make_codec():\n    def encode(x):\n        return x\n    return encode\n\n\n"
                        "class Codec:\n    def decode(self, x):\n        return x\n",
        "pkg/use.py": "from pkg.codec import make_codec, Codec\n\nencode = make_codec()\nCodec().decode(encode(1))\n",
    })
    with Repo.open(root) as repo:
        text = repo.map(budget=4000).text
    assert "def make_codec()" in text and "def decode(self, x)" in text and "class Codec" in text
    assert "def encode(x)" not in text


def test_task_map_opens_with_the_tasks_best_files(stdlib_part: Path) -> None:
    """Plain words name no path or symbol: the map follows the packet's ranking, not PageRank
    seeded by names alone."""
    with Repo.open(stdlib_part) as repo:
        m = repo.map("json decoder raises on trailing comma", budget=1024)
    assert m.entries[0].path == "json/decoder.py"
    assert [e.rank for e in m.entries] == sorted((e.rank for e in m.entries), reverse=True)


def test_map_says_which_shown_files_changed_since_indexing(tmp_path: Path) -> None:
    """Never stale without saying so: a shown file edited after indexing is listed, in the model
    and on the CLI's stderr, until the index catches up."""
    from .conftest import make_indexed_repo

    root = make_indexed_repo(tmp_path / "r", {
        "shop/__init__.py": "", "shop/cart.py": "def total(prices):\n    return sum(prices)\n",
        "shop/tax.py": "from shop.cart import total\n\n\ndef with_tax(prices):\n    return total(prices) * 1.2\n",
    })
    with Repo.open(root) as repo:
        assert repo.map(budget=500).freshness == "current"
        (root / "shop/cart.py").write_text("\n\ndef total(prices):\n    return sum(prices)\n")
        m = repo.map(budget=500)
        assert m.freshness == "stale" and m.stale_paths == ["shop/cart.py"]
    out = run_cli("map", "--repo", str(root), "--budget", "500", "--no-index")
    assert "note: stale: changed on disk since indexing" in out.stderr and "shop/cart.py" in out.stderr
    out = run_cli("map", "--repo", str(root), "--budget", "500")  # indexes first
    assert "stale" not in out.stderr


def test_c_static_functions_are_private_to_their_file(tmp_path: Path) -> None:
    """Every file calls ``error``: a source file's ``static void error`` is not what they use, but
    a header's ``static inline`` helper is compiled into every file that includes it."""
    from .conftest import make_indexed_repo

    users = {f"src/u{i}.c": f'#include "util.h"\nvoid u{i}(void) {{ error("x"); log_line("y"); sdslen(0); }}\n'
             for i in range(6)}
    root = make_indexed_repo(tmp_path / "r", {
        **users,
        "src/util.h": "static inline int sdslen(int s) { return s; }\nvoid log_line(const char *m);\n",
        "src/util.c": "void log_line(const char *m) { }\nstatic void error(const char *m) { }\n"
                      "void util_init(void) { }\n",
    })
    from repointel.rank.repomap import _definitions

    with Repo.open(root) as repo:
        defs = _definitions(repo._reader(), ["src/util.c", "src/util.h"])
    used = {d.qualname: d.importance for rows in defs.values() for d in rows}
    assert used["error"] == 0 < used["log_line"] and used["sdslen"] > 0


def test_map_json_definitions_are_objects(tmp_path: Path) -> None:
    """An agent reads each definition's line, kind, name and signature (they were pre-rendered
    strings, ``"   24│class …"``), signatures carry no comments, and a file with nothing to show
    says so instead of a bare header."""
    from .conftest import make_indexed_repo

    root = make_indexed_repo(tmp_path / "r", {
        "pkg/__init__.py": "from .app import App\n",
        "pkg/app.py": "class App:\n    def invoke(  # type: ignore\n        self, ctx\n    ):\n        return ctx\n",
        "pkg/run.py": "from pkg.app import App\n\nApp().invoke(1)\n",
    })
    out = json.loads(run_cli("map", "--repo", str(root), "--json", "--budget", "500").stdout)
    entry = next(e for e in out["entries"] if e["path"] == "pkg/app.py")
    assert entry["definitions"] == [
        {"line": 1, "kind": "class", "name": "App", "qualname": "App", "signature": "class App", "depth": 0},
        {"line": 2, "kind": "method", "name": "invoke", "qualname": "App.invoke",
         "signature": "def invoke(self, ctx)", "depth": 1}]
    assert "pkg/__init__.py: (no public definitions)\n" in out["text"]
    assert not re.search(r"(?m)^[^\n]+:\n\n", out["text"]), "no bare header"
    assert out["entries"][0]["rank"] == 1.0
