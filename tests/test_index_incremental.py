"""Incremental indexing: only changed files are parsed, deletions and renames are handled,
and every table equals that of a fresh full index."""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from repointel import Repo
from repointel.config import LANGUAGE_VERSIONS
from repointel.indexer import run_index
from repointel.store import PER_FILE_TABLES, TABLES, IndexStore

from .conftest import git, make_git_repo, run_cli

COMPARED = [t for t in TABLES if t not in ("history", "cochange")]


def _snapshot(db: str) -> dict[str, list[tuple[object, ...]]]:
    store = IndexStore(db, read_only=True)
    try:
        out = {}
        for t in COMPARED:
            rows = store.table(t)
            if t == "files":  # stat facts (mtime, ctime, inode) differ between a copy and its source
                keep = [i for i, (c, _) in enumerate(TABLES["files"]) if c not in ("mtime_ns", "ctime_ns", "inode")]
                rows = [tuple(r[i] for i in keep) for r in rows]
            out[t] = rows
        return out
    finally:
        store.close()


def _fresh(root: Path, tmp: Path) -> dict[str, list[tuple[object, ...]]]:
    copy = tmp / f"fresh-{random.random()}"
    shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(".repointel"))
    with Repo.open(copy) as repo:
        repo.index(workers=1)
        return _snapshot(repo.db_path)


def test_reindex_parses_only_changes(small_repo: Path) -> None:
    with Repo.open(small_repo) as repo:
        first = repo.index(workers=1)
        assert first.parsed == 5 and first.scanned == 5  # README is read for its terms
        again = repo.index(workers=1)
        assert (again.parsed, again.unchanged, again.removed) == (0, 5, 0)
        (small_repo / "pkg/money.py").write_text("class Money:\n    pass\n\n\ndef cents():\n    return 1\n")
        one = repo.index(workers=1)
        assert (one.parsed, one.unchanged) == (1, 4)
        assert [d.name for d in repo.symbols(path="pkg/money.py")] == ["Money", "cents"]
        os.utime(small_repo / "pkg/billing.py")  # touched, same bytes: hash confirms, no parse
        assert repo.index(workers=1).parsed == 0


def test_delete_and_rename(small_repo: Path, tmp_path: Path) -> None:
    with Repo.open(small_repo) as repo:
        repo.index(workers=1)
        os.rename(small_repo / "pkg/money.py", small_repo / "pkg/cash.py")
        os.remove(small_repo / "README.md")
        stats = repo.index(workers=1)
        assert (stats.renamed, stats.removed, stats.parsed) == (1, 1, 1)
        assert repo.symbols(name="Money")[0].path == "pkg/cash.py"
        assert _snapshot(repo.db_path) == _fresh(small_repo, tmp_path)


def test_random_edits_equal_fresh_index(tmp_path: Path) -> None:
    rng = random.Random(7)
    files = {f"m{i}.py": f"def f{i}(x):\n    return g{(i + 1) % 12}(x)\n" for i in range(12)}
    root = make_git_repo(tmp_path / "r", files)
    with Repo.open(root) as repo:
        repo.index(workers=1)
        for step in range(6):
            names = sorted(p.name for p in root.glob("*.py"))
            for name in rng.sample(names, 3):
                action = rng.choice(["edit", "delete", "rename", "create"])
                if action == "edit":
                    (root / name).write_text(f"class C{step}:\n    def g{step}(self):\n        pass\n")
                elif action == "delete":
                    (root / name).unlink()
                elif action == "rename":
                    (root / name).rename(root / f"r{step}_{name}")
                else:
                    (root / f"new{step}_{name}").write_text(f"def f{step}():\n    return f1()\n")
            repo.index(workers=1)
            assert _snapshot(repo.db_path) == _fresh(root, tmp_path), f"step {step}"


def test_cli_index_json_and_head(small_repo: Path) -> None:
    import json

    out = json.loads(run_cli("index", str(small_repo), "--json").stdout)
    assert out["scanned"] == 5 and out["parsed"] == 5
    assert out["commit"] == git(small_repo, "rev-parse", "HEAD").strip()
    assert out["dirty"] is False
    assert (small_repo / ".repointel" / ".gitignore").exists()
    assert git(small_repo, "status", "--porcelain") == ""
    (small_repo / "pkg/new.py").write_text("X = 1\n")
    out = json.loads(run_cli("index", str(small_repo), "--json").stdout)
    assert out["parsed"] == 1 and out["dirty"] is True
    assert set(PER_FILE_TABLES) <= set(TABLES)


def test_dirty_before_the_first_commit_and_outside_git(tmp_path: Path) -> None:
    """A repository with no commit yet has no HEAD; its files are all uncommitted work, so the
    index says dirty. A folder outside any git work tree has neither a commit nor a dirty state."""
    import json

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    git(fresh, "init", "-q")
    (fresh / "a.py").write_text("def a():\n    return 1\n")
    out = json.loads(run_cli("index", str(fresh), "--json").stdout)
    assert out["commit"] is None and out["dirty"] is True
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "b.py").write_text("def b():\n    return 2\n")
    out = json.loads(run_cli("index", str(plain), "--json").stdout)
    assert out["commit"] is None and out["dirty"] is False


def test_extractor_upgrade_reparses_everything(small_repo: Path) -> None:
    with Repo.open(small_repo) as repo:
        repo.index(workers=1)
        db = repo.db_path
    store = IndexStore(db)
    with store.transaction():
        store.set_meta({"extractor_version": "an-older-extractor"})
    store.close()
    with Repo.open(small_repo) as repo:
        stats = repo.index(workers=1)
        assert stats.parsed == 5 and stats.unchanged == 0
        assert repo.index(workers=1).parsed == 0


def test_language_version_bump_reparses_only_that_language(small_repo: Path) -> None:
    """A language's extraction changed (or the language is new): its files are parsed again,
    every other file keeps its rows. An index written before per-language versions existed
    parses the files of the languages added since (a .kt file was plain text then)."""
    (small_repo / "Cart.kt").write_text("class Cart {\n    fun total(): Int = 0\n}\n")
    with Repo.open(small_repo) as repo:
        repo.index(workers=1)
        db = repo.db_path
    store = IndexStore(db)
    with store.transaction():
        store.set_meta({"language_versions": json.dumps({**LANGUAGE_VERSIONS, "kotlin": "0"})})
    store.close()
    with Repo.open(small_repo) as repo:
        stats = repo.index(workers=1)
        assert stats.parsed == 1 and stats.unchanged == 5
        assert [s.qualname for s in repo.symbols(path="Cart.kt")] == ["Cart", "Cart.total"]
        assert repo.index(workers=1).parsed == 0
    store = IndexStore(db)
    with store.transaction():
        store.set_meta({"language_versions": None})
    store.close()
    with Repo.open(small_repo) as repo:
        assert repo.index(workers=1).parsed == 1


_POOL = ["alpha", "beta", "gamma", "delta", "shared", "common", "Widget", "Gadget", "compute", "render"]


def _source(rng: random.Random) -> str:
    """A module defining pool names at top level, as methods, or as constants."""
    out = []
    for name in rng.sample(_POOL, rng.randint(1, 5)):
        form = rng.choice(["def", "class", "method", "const"])
        if form == "def":
            out.append(f"def {name}(x):\n    return {rng.choice(_POOL)}(x)\n")
        elif form == "class":
            out.append(f"class {name}:\n    def run(self):\n        return {rng.choice(_POOL)}\n")
        elif form == "method":
            out.append(f"class Holder{rng.randint(0, 99)}:\n    def {name}(self):\n        return 1\n")
        else:
            out.append(f"{name.upper()} = {rng.randint(0, 9)}\n")
    out += [f"def solo{k}():\n    return 0\n" for k in rng.sample(range(4), rng.randint(0, 2))]
    return "\n\n".join(out)


def _test_source(rng: random.Random) -> str:
    mods = rng.sample(range(10), rng.randint(0, 3))
    lines = [f"from pkg import mod{m}" for m in mods]
    lines += [f"from tests import test_mod{h}" for h in rng.sample(range(6), rng.randint(0, 1))]  # helpers
    body = ", ".join(rng.sample(_POOL, rng.randint(1, 6)) + [f"solo{k}" for k in rng.sample(range(4), 3)])
    return "\n".join(lines) + f"\n\n\ndef test_it():\n    assert [{body}]\n"


def _edit(root: Path, rng: random.Random) -> None:
    kind = rng.choice(["source", "source", "source", "test", "test", "owners", "convention", "set"])
    if kind == "source":
        (root / f"pkg/mod{rng.randrange(10)}.py").write_text(_source(rng))
    elif kind == "test":
        (root / f"tests/test_mod{rng.randrange(6)}.py").write_text(_test_source(rng))
    elif kind == "owners":
        rules = [f"pkg/mod{rng.randrange(10)}.py @team{rng.randrange(3)}" for _ in range(rng.randint(0, 4))]
        (root / ".github/CODEOWNERS").write_text("* @everyone\n" + "\n".join(rules) + "\n")
    elif kind == "convention":
        (root / "CONTRIBUTING.md").write_text(f"# Contributing {rng.random()}\n\nRun the tests.\n")
        (root / "pyproject.toml").write_text(f"[tool.ruff]\nline-length = {rng.choice([88, 100, 120])}\n")
    else:
        extra = root / "pkg/extra.py"
        if extra.exists():
            extra.unlink()
        else:
            extra.write_text(_source(rng))


def _streamed(root: Path, flush_rows: int) -> Callable[[Repo], object]:
    """An index run that writes its rows into the transaction every ``flush_rows`` rows."""
    def index(repo: Repo) -> object:
        store = IndexStore(repo.db_path, read_only=False)
        try:
            return run_index(str(root), store, workers=1, flush_rows=flush_rows)
        finally:
            store.close()
    return index


@pytest.mark.parametrize("streamed", [False, True], ids=["one-write", "streamed"])
def test_random_content_edits_equal_fresh_index(tmp_path: Path, streamed: bool) -> None:
    """Edits that keep the file set take the scoped paths (test links, owners, conventions, edges
    of only what can move); after each batch the index must still equal a fresh one. Streamed:
    every run writes its rows a file at a time (the path a run over many files takes), and the
    scoped paths read the touched files' references back from the store."""
    rng = random.Random(11)
    files = {f"pkg/mod{i}.py": _source(rng) for i in range(10)}
    files |= {f"pkg/many{i}.py": "def common():\n    return 1\n" for i in range(8)}  # at MAX_DEFINERS
    files |= {f"tests/test_mod{i}.py": _test_source(rng) for i in range(6)}
    files |= {"pkg/__init__.py": "", "tests/__init__.py": "", ".github/CODEOWNERS": "* @everyone\n",
              "CONTRIBUTING.md": "# C\n", "pyproject.toml": "[tool.ruff]\nline-length = 88\n"}
    root = make_git_repo(tmp_path / "r", files)
    with Repo.open(root) as repo:
        index = _streamed(root, 1) if streamed else (lambda r: r.index(workers=1))
        folder = Path(repo.db_path).parent
        folder.mkdir(exist_ok=True)
        (folder / ".gitignore").write_text("*\n")  # as Repo.index leaves it: the tree stays clean
        index(repo)
        if streamed:
            assert _snapshot(repo.db_path) == _fresh(root, tmp_path), "cold"
        for step in range(24):
            for _ in range(rng.randint(1, 2)):
                _edit(root, rng)
            index(repo)
            assert _snapshot(repo.db_path) == _fresh(root, tmp_path), f"step {step}"


def test_resolution_config_edit_equals_fresh_index(tmp_path: Path) -> None:
    """Editing tsconfig.json, package.json or go.mod moves other files' resolved imports."""
    files = {
        "tsconfig.json": '{"compilerOptions": {"baseUrl": ".", "paths": {"@app/*": ["src/*"]}}}',
        "src/a.ts": 'import { b } from "@app/b";\nexport const a = b;\n',
        "src/b.ts": "export const b = 1;\n", "lib/b.ts": "export const b = 2;\n",
        "go.mod": "module example.com/x\n", "cmd/main.go": 'package main\n\nimport "example.com/x/util"\n',
        "util/u.go": "package util\n", "other/util/u.go": "package util\n",
    }
    root = make_git_repo(tmp_path / "r", files)
    with Repo.open(root) as repo:
        repo.index(workers=1)
        (root / "tsconfig.json").write_text('{"compilerOptions": {"baseUrl": ".", "paths": {"@app/*": ["lib/*"]}}}')
        (root / "go.mod").write_text("module example.com/x/other\n")
        repo.index(workers=1)
        assert _snapshot(repo.db_path) == _fresh(root, tmp_path)


def test_query_results_say_what_they_reflect(tmp_path: Path) -> None:
    from .conftest import SMALL_REPO_FILES

    root = make_git_repo(tmp_path / "q", SMALL_REPO_FILES)
    with Repo.open(root) as repo:
        repo.index(workers=1)
        out = repo.query("SELECT path FROM files WHERE path = 'pkg/money.py'")
        assert out["rows"] == [["pkg/money.py"]]
        assert out["index"]["freshness"] == "current" and out["index"]["stale_paths"] == []
        assert out["index"]["commit"] == git(root, "rev-parse", "HEAD").strip()
    money = root / "pkg" / "money.py"
    money.write_text(money.read_text() + "\n\ndef cents(x):\n    return x * 100\n")
    with Repo.open(root) as repo:  # changed after indexing: the rows are labelled stale
        out = repo.query("SELECT count(*) FROM symbols WHERE path = 'pkg/money.py'")
        assert out["index"]["freshness"] == "stale" and out["index"]["stale_paths"] == ["pkg/money.py"]
    proc = run_cli("query", "SELECT path FROM files ORDER BY path", "--repo", str(root))
    assert "note: the index is stale; changed on disk since indexing: pkg/money.py" in proc.stderr
    assert "pkg/money.py" in proc.stdout
    with Repo.open(root) as repo:
        repo.index(workers=1)
    proc = run_cli("query", "SELECT path FROM files", "--repo", str(root))
    assert proc.stderr == ""


def test_another_writer_between_runs_equals_fresh_index(tmp_path: Path) -> None:
    """A process keeps the test files' imports and the file list between its own runs (a daemon's
    one-file batches); a run by another process in between must not leave it using stale ones."""
    files = {f"pkg/mod{i}.py": f"def name{i}():\n    return {i}\n" for i in range(4)}
    files |= {"pkg/__init__.py": "", "tests/__init__.py": "",
              "tests/test_a.py": "from pkg import mod0\n\n\ndef test_a():\n    assert name0\n",
              "tests/test_b.py": "from pkg import mod1\n\n\ndef test_b():\n    assert name1\n"}
    root = make_git_repo(tmp_path / "r", files)
    with Repo.open(root) as repo:
        repo.index(workers=1)
        (root / "tests/test_a.py").write_text("from pkg import mod2\n\n\ndef test_a():\n    assert name2\n")
        repo.index(workers=1)  # this process now remembers test_a's imports and the file list
        # another writer: a separate process adds a module and moves test_b's imports
        (root / "pkg/mod9.py").write_text("def name9():\n    return 9\n")
        (root / "tests/test_b.py").write_text("from pkg import mod3\n\n\ndef test_b():\n    assert name3\n")
        assert run_cli("index", str(root), "--workers", "1").returncode == 0
        # back in this process: a test now imports the module only the other writer has seen
        (root / "tests/test_a.py").write_text("from pkg import mod9\n\n\ndef test_a():\n    assert name9\n")
        repo.index(workers=1)
        snap = _snapshot(repo.db_path)
    assert ("tests/test_a.py", "pkg/mod9.py", "import") in {(r[0], r[1], r[3]) for r in snap["test_links"]}
    assert snap == _fresh(root, tmp_path)


def test_package_imports_are_not_multiplied_by_runs_that_change_the_file_set(tmp_path: Path) -> None:
    """A Go package import is stored once per file of the package. Runs that add or remove files
    resolve every stored import again: they must read each statement once, not each row (a gin
    checkout grew to 5 million import rows)."""
    files = {"go.mod": "module example.com/shop\n\ngo 1.21\n",
             "main.go": 'package main\n\nimport "example.com/shop/cart"\n\nfunc main() { cart.Total() }\n',
             **{f"cart/f{i}.go": f"package cart\n\nfunc F{i}() int {{ return {i} }}\n" for i in range(4)},
             "cart/total.go": "package cart\n\nfunc Total() int { return F0() }\n"}
    root = make_git_repo(tmp_path / "r", files)
    with Repo.open(root) as repo:
        repo.index(workers=1)
        for step in range(4):  # each run changes the file set
            (root / f"extra{step}.go").write_text(f"package main\n\nfunc extra{step}() {{}}\n")
            repo.index(workers=1)
        snap = _snapshot(repo.db_path)
    assert len([r for r in snap["imports"] if r[0] == "main.go"]) == 5  # one row per package file
    assert snap == _fresh(root, tmp_path)
