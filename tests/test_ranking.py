"""Ranking signals: task analysis, seeds, fused file ranking (repointel.rank: task, seeds, files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from repointel import Repo
from repointel.rank.files import WEIGHTS, minor_language_files, rank_files, task_names
from repointel.rank.seeds import exclusive_definers, project_names
from repointel.rank.task import analyse_task

from .conftest import make_git_repo, make_indexed_repo

ISSUE = """Wrong rounding in Invoice.total
When the discount is zero, `shop.billing.Invoice.total` rounds the amount wrongly.

Environment: shop.ext.alpha, shop.ext.beta, shop.ext.gamma, shop.ext.delta
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {
        "shop/__init__.py": "from .core import Shop\n",
        "shop/core.py": "class Shop:\n    \"\"\"The shop application: every module registers here.\"\"\"\n",
        "shop/billing.py": (
            "from .money import Money\n\n\nclass Invoice:\n"
            "    def total(self, discount):\n        \"\"\"Total amount after the discount, rounded.\"\"\"\n"
            "        return Money(round(100 - discount))\n"),
        "shop/money.py": "class Money:\n    def __init__(self, amount):\n        self.amount = amount\n",
        "shop/ext/__init__.py": "",
        **{f"shop/ext/{n}.py": f"def setup_{n}(shop):\n    return shop\n"
           for n in ("alpha", "beta", "gamma", "delta")},
        "shop/static/widget-1.2.3.js": "function total(amount, discount) { return amount - discount; }\n",
        "setup.py": "# invoice total discount rounding amount\nfrom setuptools import setup\nsetup()\n",
        "tests/test_billing.py": "from shop.billing import Invoice\n\ndef test_total():\n    Invoice().total(0)\n",
    }
    return make_indexed_repo(tmp_path_factory.mktemp("rank") / "shop", files)


def test_inventory_lines_share_their_weight() -> None:
    terms = analyse_task(ISSUE)
    assert terms.dotted_weight["shop.billing.Invoice.total"] == 1.0
    assert terms.dotted_weight["shop.ext.alpha"] == pytest.approx(0.25)
    assert "invoice" in terms.title_terms
    assert "discount" in terms.code_terms or "invoice" in terms.code_terms


REPORT = """xr.where drops attributes
Calling `xr.where(cond, a, b)` loses `attrs`.

INSTALLED VERSIONS
------------------
commit: None
python: 3.8.5 (default, Sep 4 2020, 07:30:14)
OS: Linux
machine: x86_64

zarr: 2.8.1
netCDF4: 1.5.6
sphinx: None
pytest==7.1
"""


def test_environment_reports_are_dropped() -> None:
    terms = analyse_task(REPORT + "\nimport xarray as xr\n")
    assert "zarr" not in terms.terms and "netcdf4" not in terms.terms and "machine" not in terms.terms
    assert "attrs" in terms.terms and terms.title == "xr.where drops attributes"
    assert "xarray.where" in terms.dotted
    # three lines are a config snippet, not a report: they stay
    assert "jobs" in analyse_task("bug\njobs: 4\nignore: foo\nfail-under: 10\n").terms
    title = analyse_task(terms.title, terms.aliases)  # the title alone, with the body's aliases
    assert title.dotted == ["xarray.where"]


def test_names_made_up_for_the_example_are_not_evidence() -> None:
    terms = analyse_task("Cross-references fail in property annotations\n```py\nclass Point:\n    x: int\n\n"
                         "class Square(Shape):\n    @property\n    def end(self) -> Point:\n        return Point()\n"
                         "\ndef make_square():\n    return Square()\n```\n")
    assert terms.example_names == {"Point", "Square", "make_square"}
    assert "point" not in terms.code_terms and "square" not in terms.terms and "Point" not in terms.identifiers
    assert {"shape", "property", "end"} <= set(terms.code_terms)  # the project's names stay


def test_project_names() -> None:
    assert project_names(["shop/__init__.py", "shop/ext/__init__.py", "src/_tool/__init__.py",
                          "setup.py"]) == {"shop", "tool"}


def test_minor_language_files_unless_named() -> None:
    prod = {"a/x.py", "a/y.py", "a/z.js"}
    langs = {"a/x.py": "python", "a/y.py": "python", "a/z.js": "javascript"}
    assert minor_language_files(prod, langs, analyse_task("bug in total")) == {"a/z.js"}
    assert minor_language_files(prod, langs, analyse_task("bug in static/z.js")) == set()


def test_every_weight_is_used() -> None:
    assert set(WEIGHTS) == {"bm25", "mentioned", "graph", "pathmatch", "title", "code", "defmax", "hub",
                            "dotted", "weak", "init", "minor", "loose", "aux", "tseed", "excl"}


def first_score(ranked: list) -> float:
    return float(ranked[0].score)


def test_rank_files_puts_the_subject_first(shop: Path) -> None:
    with Repo.open(shop) as repo:
        ranked = rank_files(repo._reader(), analyse_task(ISSUE))
    paths = [c.path for c in ranked]
    assert paths[0] == "shop/billing.py"
    assert not any(p.startswith("tests/") for p in paths)  # tests come through the test map
    setup = next(c for c in ranked if c.path == "setup.py")  # matches every word, but a loose script
    assert setup.features["loose"] == 1.0 and setup.score < first_score(ranked) / 2
    assert paths.index("shop/static/widget-1.2.3.js") > paths.index("shop/billing.py")
    first = ranked[0]
    assert first.features["defmax"] == 1.0 and first.features["title"] > 0
    for c in ranked:  # ext modules named only on the inventory line do not outrank the subject
        if c.path.startswith("shop/ext/"):
            assert c.score < first.score


@pytest.fixture(scope="module")
def numbers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {
        "num/__init__.py": "",
        "num/core.py": ("class Rational:\n    def __init__(self, p, q):\n        self.p, self.q = p, q\n\n\n"
                        "class Integer(Rational):\n    pass\n\n\ndef gcd(a, b):\n    return a\n"),
        "num/other.py": "def gcd(a, b):\n    return b\n\n\nclass Helper:\n    def Rational(self):\n        pass\n",
        "num/third.py": "def gcd(a, b):\n    return 1\n",
        "num/fourth.py": "def gcd(a, b):\n    return 0\n",
        "num/wigner.py": "from .core import Rational\n\nvalue = Rational(1, 2) + Rational(1, 3)\n",
    }
    return make_indexed_repo(tmp_path_factory.mktemp("rank") / "num", files)


def test_exclusive_definers(numbers: Path) -> None:
    with Repo.open(numbers) as repo:
        store = repo._reader()
        # one top-level definer: the whole weight; a method of the same name does not count,
        # and a name with more than EXCL_MAX_DEFINERS definers (gcd: 4) counts nowhere
        assert exclusive_definers(store, ["Rational", "gcd"]) == {"num/core.py": 1.0}
        assert exclusive_definers(store, ["Helper", "Integer"]) == {"num/other.py": 1.0, "num/core.py": 1.0}
        assert exclusive_definers(store, []) == {}
        terms = analyse_task("Rational calc value error\nRational('0.5', '100') gives 1/100100")
        assert "Rational" in task_names(terms)
        ranked = rank_files(store, terms)
    core = next(c for c in ranked if c.path == "num/core.py")
    assert core.features["excl"] == 1.0 and "num/wigner.py" not in {c.path for c in ranked if c.features.get("excl")}


@pytest.mark.parametrize(("path", "aux"), [
    ("docs/conf.py", True), ("samples/Shop.Examples/Program.cs", True), ("playground/hmr/main.ts", True),
    ("packages/ui/demos/cart.tsx", True), ("src/examples/basic.py", True), ("packages/vite/src/node/server.ts", False),
    ("shop/sample_rate.py", False), ("shop/demography.py", False), ("fixtures/deps/c/src/lib.py", True),
    ("pkg/parser/testdata/input.go", True), ("src/__fixtures__/cart.ts", True),
    ("src/main/java/org/springframework/samples/petclinic/Cart.java", False),
    ("app/src/main/java/com/example/demo/Cart.java", False), ("samples/shop/src/main/java/com/x/Cart.java", True),
    ("src/main/resources/static/examples/cart.js", True),
])
def test_auxiliary_folders(tmp_path: Path, path: str, aux: bool) -> None:
    """Docs, examples, samples, demos and playgrounds rarely hold the fix, wherever they sit."""
    root = make_git_repo(tmp_path / "r", {path: "def checkout_total(cart):\n    return cart\n"})
    with Repo.open(root) as repo:
        repo.index(workers=1)
        ranked = rank_files(repo._reader(), analyse_task("checkout_total is wrong"))
    assert [c.features["aux"] for c in ranked if c.path == path] == [float(aux)]


def test_bundled_packages_only_inside_a_python_package(tmp_path: Path) -> None:
    """requests/packages/urllib3 is a bundled copy; a monorepo's top-level packages/ is its code."""
    root = make_git_repo(tmp_path / "r", {
        "requests/__init__.py": "", "requests/packages/urllib3/pool.py": "def checkout_total(cart):\n    return 1\n",
        "packages/shop/src/cart.py": "def checkout_total(cart):\n    return cart\n",
        "lib/extern/ply/lex.py": "def checkout_total(cart):\n    return 2\n",
    })
    with Repo.open(root) as repo:
        repo.index(workers=1)
        aux = {c.path: c.features["aux"] for c in rank_files(repo._reader(), analyse_task("checkout_total"))}
    assert {p: aux[p] for p in aux if p != "requests/__init__.py"} == {
        "requests/packages/urllib3/pool.py": 1.0, "packages/shop/src/cart.py": 0.0, "lib/extern/ply/lex.py": 1.0}


def test_definition_terms_follow_edits_across_index_states(tmp_path: Path) -> None:
    """Definition term counts are kept across index states per file sha256: after an edit the
    edited file's are recounted, and the scores equal those of an empty cache."""
    from repointel.rank import files as retrieve

    files = {"pkg/a.py": 'def alpha():\n    """Parse the invoice ledger."""\n',
             "pkg/b.py": 'def beta():\n    """Render the invoice."""\n'}
    root = make_indexed_repo(tmp_path / "r", files)
    terms = {"ledger": 1, "invoice": 1, "render": 1}
    paths = ["pkg/a.py", "pkg/b.py"]
    with Repo.open(root) as repo:
        before = retrieve.definition_scores(repo._reader(), paths, terms)
        (root / "pkg/a.py").write_text('def alpha():\n    """Render the ledger."""\n')
        repo.index(workers=1)
        after = retrieve.definition_scores(repo._reader(), paths, terms)
        retrieve._DEF_TERMS.clear()
        assert after == retrieve.definition_scores(repo._reader(), paths, terms)
        assert after["pkg/a.py"] != before["pkg/a.py"] and after["pkg/a.py"] > 0
        (root / "pkg/b.py").unlink()
        repo.index(workers=1)
        assert set(retrieve.definition_scores(repo._reader(), paths, terms)) == {"pkg/a.py"}


def test_a_pasted_log_of_mentions_is_capped() -> None:
    """Task text is untrusted: thousands of frames or dotted names (each matched against every
    file or looked up in the index) are cut to MAX_MENTIONS, the deepest frames kept."""
    from repointel.rank.task import MAX_MENTIONS

    frames = "\n".join(f'  File "pkg/m{i}.py", line {i}, in f{i}' for i in range(1000))
    dotted = " ".join(f"pkg.mod{i}.name{i}" for i in range(1000))
    terms = analyse_task("Traceback (most recent call last):\n" + frames + "\n" + dotted)
    assert len(terms.frames) == len(terms.paths) == len(terms.dotted) == MAX_MENTIONS
    assert terms.frames[-1] == ("pkg/m999.py", 999, "f999") and terms.dotted[0] == "pkg.mod0.name0"


_TRACES = {
    "java": ("java.lang.NullPointerException: owner is null\n"
             "\tat com.acme.billing.DiscountPolicy.apply(DiscountPolicy.java:44)\n"
             "\tat com.acme.billing.Invoice$1.run(Invoice.java:88)\n"
             "\tat java.base/jdk.internal.reflect.Method.invoke(Method.java:103)\n",
             [("jdk/internal/reflect/Method.java", 103, "Method.invoke"),
              ("com/acme/billing/Invoice.java", 88, "Invoice.run"),
              ("com/acme/billing/DiscountPolicy.java", 44, "DiscountPolicy.apply")]),
    "dotnet": ("System.InvalidOperationException: no handler\n"
               "   at Acme.Billing.Invoice.<Total>d__5.MoveNext() in /src/Billing/Invoice.cs:line 42\n"
               "   at Acme.Billing.Mediator.Send[TResponse](IRequest`1 r) in C:\\src\\Billing\\Mediator.cs:line 7\n",
               [("/src/Billing/Mediator.cs", 7, "Mediator.Send"), ("/src/Billing/Invoice.cs", 42, "Invoice.Total")]),
    "go": ("panic: runtime error: invalid memory address\n\ngoroutine 1 [running]:\n"
           "github.com/acme/billing.(*Invoice).Total(...)\n"
           "\t/home/u/go/pkg/mod/github.com/acme/billing@v1.9.1/invoice.go:174\n"
           "github.com/acme/billing.Apply.func1(0xc0001a2000)\n\t/home/u/src/billing/discount.go:12 +0x7a\n",
           [("/home/u/src/billing/discount.go", 12, "Apply"),
            ("/home/u/go/pkg/mod/github.com/acme/billing@v1.9.1/invoice.go", 174, "Invoice.Total")]),
    "ruby": ("NoMethodError: undefined method `each' for nil\n/app/lib/billing/invoice.rb:31:in `block in total'\n"
             "\tfrom /app/lib/billing/discount.rb:15:in `Billing::Discount#apply'\n",
             [("/app/lib/billing/discount.rb", 15, "apply"), ("/app/lib/billing/invoice.rb", 31, "total")]),
    "node": ("TypeError: Cannot read properties of undefined (reading 'total')\n"
             "    at Invoice.total (/repo/src/invoice.ts:77:20)\n    at main (/repo/src/cli.ts:5:3)\n",
             [("/repo/src/cli.ts", 5, "main"), ("/repo/src/invoice.ts", 77, "Invoice.total")]),
    "python": ('Traceback (most recent call last):\n  File "/x/billing/cli.py", line 5, in main\n'
               '  File "/x/billing/invoice.py", line 77, in total\nValueError\n',
               [("/x/billing/cli.py", 5, "main"), ("/x/billing/invoice.py", 77, "total")]),
}


@pytest.mark.parametrize("kind", sorted(_TRACES))
def test_stack_frames_of_each_language_deepest_last(kind: str) -> None:
    """Every runtime's stack trace gives (path, line, function) frames, the deepest call last
    (Python prints it last, the others first): a JVM frame's package names its folders, a .NET
    lambda or iterator frame names the method holding it, a Go closure its function."""
    text, frames = _TRACES[kind]
    assert analyse_task(text).frames == frames


def test_a_jvm_frame_names_its_file_by_package(tmp_path: Path) -> None:
    """Two ``Invoice.java`` files: the frame's package picks the one that threw."""
    main = "src/main/java/com/acme/"
    root = make_indexed_repo(tmp_path / "r", {
        main + "billing/Invoice.java": "package com.acme.billing;\n\npublic class Invoice {\n    int total() { return 1; }\n}\n",
        main + "legacy/Invoice.java": "package com.acme.legacy;\n\npublic class Invoice {\n    int total() { return 2; }\n}\n",
    })
    trace = "java.lang.IllegalStateException\n\tat com.acme.billing.Invoice.total(Invoice.java:4)\n"
    with Repo.open(root) as repo:
        ranked = rank_files(repo._reader(), analyse_task(trace))
    seeded = {c.path: c.features.get("mentioned", 0.0) for c in ranked}
    assert seeded[main + "billing/Invoice.java"] == 1.0 and seeded.get(main + "legacy/Invoice.java", 0.0) < 1.0


def test_hostile_runs_name_no_paths_and_comments_are_dropped_alike() -> None:
    """Runs of path characters longer than any path (a pasted minified line, ``a.a.a…``) name no
    file; they were searched with a pattern that backtracks quadratically within a run. HTML
    comments are dropped as ``<!--.*?-->`` drops them, by a linear scan."""
    import re

    from repointel.rank.task import MAX_PATH_RUN, _drop_html_comments

    long_run = "src/" + "a." * MAX_PATH_RUN + "py"
    terms = analyse_task(f"see {long_run} and pkg/cart.py, {'<!--' * 1000}")
    assert terms.paths == ["pkg/cart.py"]
    regex = re.compile(r"<!--.*?-->", re.S)
    for text in ("a<!-- x -->b<!--y-->c", "<!-- open", "x<!--a-->-->y<!--", "<!---->", "a<!--<!-- b -->c"):
        assert _drop_html_comments(text) == regex.sub(" ", text)
