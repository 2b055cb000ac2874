"""The context packet: exact budgets, provenance that matches the bytes, staleness, secrets."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repointel import BudgetError, Repo
from repointel.context.render import render
from repointel.models import ContextPacket
from repointel.tokens import get_tokenizer

from .conftest import FIXTURES, git, make_git_repo, make_indexed_repo, run_cli

TASK = "Invoice total is wrong when discount is zero"
SECRETS = ["Sup3rS3cretPassw0rd", "sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
           "django-insecure-9f8e7d6c5b4a3928171615141312111009080706", "AKIAIOSFODNN7EXAMPLE",
           "ghp_1234567890abcdefghijklmnopqrstuvwxyzAB", "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"]


@pytest.fixture(scope="module")
def secrets_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dst = tmp_path_factory.mktemp("secrets") / "repo"
    shutil.copytree(FIXTURES / "secrets_repo", dst)
    git(dst.parent, "init", "-q", str(dst))
    git(dst, "add", "-A", "-f")
    git(dst, "commit", "-q", "-m", "seed")
    with Repo.open(dst) as repo:
        repo.index(workers=1)
    return dst


@pytest.fixture(scope="module")
def indexed_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {f"pkg/mod{i}.py": f'"""Module {i}."""\n\n\nclass Thing{i}:\n    def run(self, x):\n'
             f'        return helper{i}(x)\n\n\ndef helper{i}(x):\n    """Help {i}."""\n'
             f"    return x * {i}\n" * (1 + i % 4) for i in range(30)}
    files["pkg/invoice.py"] = (FIXTURES / "secrets_repo/app/billing.py").read_text().replace(
        "from app.settings import database_url", "")
    return make_indexed_repo(tmp_path_factory.mktemp("ctx") / "r", files)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(budget=st.integers(min_value=1, max_value=12_000),
       task=st.text(min_size=0, max_size=300),
       fmt=st.sampled_from(["markdown", "json"]),
       tokenizer=st.sampled_from(["cl100k_base", "o200k_base"]))
def test_budget_never_exceeded(indexed_small: Path, budget: int, task: str, fmt: str, tokenizer: str) -> None:
    task += " Invoice total helper3"
    with Repo.open(indexed_small) as repo:
        try:
            packet = repo.context(task, budget=budget, tokenizer=tokenizer, fmt=fmt)
        except BudgetError:  # refused only when the header alone does not fit
            bare = repo.context(task, budget=12_000, tokenizer=tokenizer, fmt=fmt)
            bare.items, bare.ranked_files = [], bare.ranked_files[:10]
            assert budget < get_tokenizer(tokenizer).count(render(bare, fmt))
            return
    text = render(packet, fmt)
    assert packet.tokens.used == get_tokenizer(tokenizer).count(text)
    assert packet.tokens.used <= budget


def test_item_hashes_match_the_bytes(indexed_small: Path) -> None:
    with Repo.open(indexed_small) as repo:
        packet = repo.context(TASK, budget=8000)
    assert packet.ranked_files[0] == "pkg/invoice.py"
    assert packet.items
    for item in packet.items:
        if item.type == "source_snippet":
            lines = (indexed_small / item.path).read_bytes().splitlines(keepends=True)
            start, end = (int(x) for x in item.line_range.split("-"))
            chunk = b"".join(lines[start - 1 : end])
            assert hashlib.sha256(chunk).hexdigest() == item.sha256
            assert chunk.decode() == item.content
        else:
            assert hashlib.sha256(item.content.encode()).hexdigest() == item.sha256
        assert item.trust_level == "trusted_repo_content" and item.freshness == "current"
    assert packet.task_trust_level == "untrusted_task_input"


def test_changed_file_is_current_or_marked_stale(indexed_small: Path, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(indexed_small, root)
    (root / "pkg/invoice.py").write_text((root / "pkg/invoice.py").read_text() + "\n# edited after indexing\n")
    with Repo.open(root) as repo:
        packet = repo.context(TASK, budget=8000)
    for item in packet.items:
        if item.path == "pkg/invoice.py":
            assert item.freshness == "stale"
        on_disk = (root / item.path).read_bytes()
        if item.type == "source_snippet":
            lines = on_disk.splitlines(keepends=True)
            start, end = (int(x) for x in item.line_range.split("-"))
            assert hashlib.sha256(b"".join(lines[start - 1 : end])).hexdigest() == item.sha256


@pytest.mark.parametrize("fmt", ["markdown", "json"])
@pytest.mark.parametrize("task", [TASK, "database_url settings SECRET_KEY AWS key .env deploy_key.pem",
                                  "app/settings.py app/deploy_key.pem .env STRIPE_SECRET_KEY"])
def test_no_secret_ever_enters_a_packet(secrets_repo: Path, fmt: str, task: str) -> None:
    with Repo.open(secrets_repo) as repo:
        for budget in (500, 4000, 30_000):
            text = render(repo.context(task, budget=budget, fmt=fmt), fmt)
            for secret in SECRETS:
                assert secret not in text
            assert "deploy_key.pem" not in [i.path for i in repo.context(task, budget=budget).items]


def test_json_packet_of_a_large_repo_keeps_its_items(tmp_path: Path) -> None:
    """Hundreds of matching files: the JSON header's ranked list is cut to leave room for the
    items, instead of the header taking the whole budget (found on tokio: 505 paths, 6k tokens)."""
    files = {f"pkg/shutdown_{i}.py": f"def runtime_shutdown_{i}(timer):\n    return timer\n" for i in range(400)}
    files["pkg/timer.py"] = "def sleep(runtime):\n    return runtime.timer\n"
    root = make_git_repo(tmp_path / "r", files)
    with Repo.open(root) as repo:
        repo.index(workers=1)
        packet = repo.context("timer sleep fails when the runtime shutdown happens", budget=2500, fmt="json")
        assert packet.items and packet.tokens.used <= 2500
        assert 10 <= len(packet.ranked_files) <= 100
        with pytest.raises(BudgetError, match="header"):
            repo.context("timer sleep", budget=40, fmt="json")


def test_invisible_characters_are_flagged(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path / "r", {"trojan.py": "def check(user):\n    access = 'user\u202e \u2066# admin\u2069'\n    return access\n"})
    with Repo.open(root) as repo:
        repo.index(workers=1)
        packet = repo.context("check access trojan", budget=4000)
    assert any("invisible_or_bidi_characters" in i.flags for i in packet.items)


def test_bad_budgets_and_paths(indexed_small: Path) -> None:
    from repointel import PathOutsideRepoError

    with Repo.open(indexed_small) as repo:
        for bad in (0, -5, 10**9):
            with pytest.raises(BudgetError):
                repo.context(TASK, budget=bad)
        with pytest.raises(PathOutsideRepoError):
            repo.deps("../../etc/passwd")


def test_cli_context_reads_stdin_both_formats(indexed_small: Path) -> None:
    out = run_cli("context", "-", "--repo", str(indexed_small), "--budget", "3000", "--format", "json",
                  input=TASK)
    packet = json.loads(out.stdout)
    assert packet["tokens"]["used"] <= 3000
    assert packet["tokens"]["used"] == get_tokenizer().count(out.stdout)
    md = run_cli("context", TASK, "--repo", str(indexed_small), "--budget", "3000").stdout
    assert md.startswith("# Context packet") and get_tokenizer().count(md) <= 3000


def test_context_built_events_record_each_packet(indexed_small: Path, tmp_path: Path) -> None:
    """One JSON line per packet: its items by path, lines and sha256, and the token count; the
    untrusted task only by hash and length. The CLI appends to the same log."""
    log = tmp_path / "events.jsonl"
    with Repo.open(indexed_small) as repo:
        packets = [repo.context(TASK, budget=b, fmt=f, event_log=log) for b, f in ((2000, "markdown"), (3000, "json"))]
    run_cli("context", TASK, "--repo", str(indexed_small), "--budget", "1500", "--event-log", str(log))
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["event"] for e in events] == ["context_built"] * 3
    assert [e["format"] for e in events] == ["markdown", "json", "markdown"]
    for event, packet in zip(events, packets):
        assert event["tokens"] == packet.tokens.model_dump()
        assert [(i["path"], i["line_range"], i["sha256"]) for i in event["items"]] == \
            [(i.path, i.line_range, i.sha256) for i in packet.items]
        assert event["commit"] == packet.commit and event["at"].endswith("+00:00")
    assert events[2]["tokens"]["budget"] == 1500 and events[2]["items"]
    assert all(e["task_sha256"] == hashlib.sha256(TASK.encode()).hexdigest() for e in events)
    assert TASK not in log.read_text()
    assert (log.stat().st_mode & 0o777) == 0o600  # the log may name private paths: owner only


def test_remembered_counts_are_exact() -> None:
    from repointel import tokens

    tok = get_tokenizer("cl100k_base")
    texts = [f"def f{i}(x):\n    return x * {i}  # naïve 計算\n" * (20 + i) for i in range(40)]
    want = [len(tok._enc.encode_ordinary(t)) for t in texts]
    assert [tok.count(t) for t in texts] == want  # first sight
    assert [tok.count(t) for t in texts] == want  # remembered
    assert all(tokens.MEMO_MIN_CHARS <= len(t) for t in texts) and texts[0] in tok._memo
    big = "x = 1\n" * (tokens.MEMO_MAX_CHARS // 6 + 1)
    assert tok.count(big) == len(tok._enc.encode_ordinary(big)) and big not in tok._memo


def _packet_for(tmp_path: Path, files: dict[str, str], task: str, budget: int = 3000) -> ContextPacket:
    """A packet for ``task`` from a fresh git repository holding ``files``, indexed once."""
    root = make_git_repo(tmp_path / "r", files)
    with Repo.open(root) as repo:
        repo.index(workers=1)
        return repo.context(task, budget=budget)


def test_header_modules_are_code_modules_not_ci_jobs(tmp_path: Path) -> None:
    """CI jobs and compose services are listed by the build map but are not modules of the code."""
    root = make_git_repo(tmp_path / "r", {
        "go.mod": "module example.com/shop\n\ngo 1.22\n",
        "cart.go": "package shop\n\nfunc Total(prices []int) int { return 0 }\n",
        ".github/workflows/ci.yml": "jobs:\n  lint:\n    steps:\n      - run: go vet ./...\n  release:\n"
                                    "    steps:\n      - run: |\n          goreleaser release\n",
    })
    with Repo.open(root) as repo:
        repo.index(workers=1)
        packet = repo.context("cart total is wrong", budget=2000)
    assert packet.modules == ["example.com/shop"]


def test_header_modules_leave_out_fixture_members(tmp_path: Path) -> None:
    """Workspace members under __tests__/fixtures/playground are declared but are not modules."""
    root = make_git_repo(tmp_path / "r", {
        "package.json": '{"name": "root", "workspaces": ["packages/*", "packages/**/__tests__/**", "playground/*"]}',
        "packages/core/package.json": '{"name": "core"}',
        "packages/core/index.js": "export function total(prices) { return 0 }\n",
        "packages/core/__tests__/fixtures/dep/package.json": '{"name": "dep"}',
        "playground/hmr/package.json": '{"name": "hmr"}',
    })
    with Repo.open(root) as repo:
        repo.index(workers=1)
        assert repo.context("total is wrong", budget=2000).modules == ["packages/core"]


def test_focused_command_uses_the_projects_own_runner(tmp_path: Path) -> None:
    """A Maven project with a wrapper: the focused test runs through ./mvnw, in the packet and in
    tests_for (found on spring-petclinic, where the packet said plain mvn)."""
    root = make_git_repo(tmp_path / "r", {
        "pom.xml": "<project><modelVersion>4.0.0</modelVersion><artifactId>shop</artifactId></project>\n",
        "mvnw": "#!/bin/sh\n",
        "src/main/java/acme/Cart.java": "package acme;\npublic class Cart {\n  public int total() { return 0; }\n}\n",
        "src/test/java/acme/CartTest.java": "package acme;\nclass CartTest {\n  void total() { new Cart().total(); }\n}\n",
    })
    with Repo.open(root) as repo:
        repo.index(workers=1)
        assert repo.context("Cart total is wrong", budget=3000).build_commands["focused"] == "./mvnw -Dtest=CartTest test"
        assert [t.command for t in repo.tests_for("src/main/java/acme/Cart.java")] == ["./mvnw -Dtest=CartTest test"]


def test_header_stack_names_languages_frameworks_and_build_tools(tmp_path: Path) -> None:
    """The designs' packet shows ``language_stack: [java, spring_boot, gradle]``: languages, the
    frameworks the manifests name, then the build tools. A manifest edit moves it on re-index."""
    root = make_git_repo(tmp_path / "r", {
        "build.gradle": "plugins {\n  id 'java'\n}\n",
        "settings.gradle": "rootProject.name = 'billing'\n",
        "gradlew": "#!/bin/sh\n",
        "src/main/java/org/acme/samples/Invoice.java":  # a package named samples, not a sample
            "package org.acme.samples;\npublic class Invoice {\n  int total() { return 0; }\n}\n",
        "samples/web/package.json": '{"name": "demo", "dependencies": {"react": "18"}}',
    })
    with Repo.open(root) as repo:
        repo.index(workers=1)
        assert repo.context("Invoice total is wrong", budget=2000).language_stack == ["java", "gradle"]
        (root / "build.gradle").write_text(
            "plugins {\n  id 'java'\n  id 'org.springframework.boot' version '3.3.0'\n}\n")
        repo.index(workers=1)
        packet = repo.context("Invoice total is wrong", budget=2000)
    assert packet.language_stack == ["java", "spring_boot", "gradle"]  # not react: a sample's manifest
    assert "language_stack: java, spring_boot, gradle" in render(packet, "markdown")


def test_focused_command_follows_the_ranking_not_the_path_order(tmp_path: Path) -> None:
    """The focused command runs the test of the best-ranked file that has one, not of the
    alphabetically first."""
    packet = _packet_for(tmp_path, {
        "pyproject.toml": "[project]\nname = 'shop'\n[tool.pytest.ini_options]\ntestpaths = ['tests']\n",
        "shop/__init__.py": "",
        "shop/audit.py": "def audit_log(entry):\n    return entry\n",
        "shop/zebra_discount.py": "def zebra_discount(total, rate):\n    return total * rate\n",
        "tests/test_audit.py": "from shop.audit import audit_log\n\ndef test_log():\n    assert audit_log(1) == 1\n",
        "tests/test_zebra_discount.py": "from shop.zebra_discount import zebra_discount\n\n"
                                        "def test_zero():\n    assert zebra_discount(10, 0) == 0\n",
    }, "zebra_discount is wrong when the rate is zero; audit_log shows it")
    assert packet.likely_files["production"][0] == "shop/zebra_discount.py"
    assert "tests/test_zebra_discount.py" in packet.build_commands["focused"]


APACHE = ("/*\n * Copyright 2012-2025 the original author or authors.\n *\n"
          " * Licensed under the Apache License, Version 2.0 (the \"License\");\n */\n\n")


def test_whole_files_leave_out_their_license_header(tmp_path: Path) -> None:
    """A leading license comment costs tokens and says nothing about the code: a whole-file item
    starts after it (its line range and sha256 say exactly which bytes it holds). A leading
    comment that documents the code stays."""
    root = make_git_repo(tmp_path / "r", {
        "src/acme/Invoice.java": APACHE + "package acme;\n\npublic class Invoice {\n  int total() { return 0; }\n}\n",
        "src/acme/Discount.java": "/* Discounts applied to an invoice total. */\npackage acme;\n\n"
                                  "public class Discount {\n  int rate() { return 0; }\n}\n",
        "billing/tax.py": "# Licensed under a 3-clause BSD style license - see LICENSE.rst\n\n"
                          "def tax(invoice_total):\n    return invoice_total\n",
    })
    with Repo.open(root) as repo:
        repo.index(workers=1)
        packet = repo.context("Invoice total and Discount rate and tax of invoice_total", budget=4000)
    items = {i.path: i for i in packet.items if i.type == "source_snippet"}
    inv, disc, tax = items["src/acme/Invoice.java"], items["src/acme/Discount.java"], items["billing/tax.py"]
    assert inv.line_range == "7-11" and inv.content.startswith("package acme;")
    assert "license_header_omitted:1-6" in inv.reasons and "Licensed" not in inv.content
    assert disc.line_range == "1-6" and not any(r.startswith("license") for r in disc.reasons)
    assert tax.line_range == "3-4" and tax.content.startswith("def tax")
    for item in (inv, disc, tax):
        lines = (root / item.path).read_bytes().splitlines(keepends=True)
        start, end = (int(x) for x in item.line_range.split("-"))
        assert hashlib.sha256(b"".join(lines[start - 1 : end])).hexdigest() == item.sha256


def test_likely_tests_lead_with_the_top_files_own_tests(tmp_path: Path) -> None:
    """A Go package's tests all link to each of its files weakly; the file's own test links
    strongly and leads the header's list (it came after auth_test.go and benchmarks_test.go by
    name on gin, where the list is cut at ten)."""
    go = "package gin\n\n"
    files = {"go.mod": "module example.com/gin\n\ngo 1.22\n",
             "context.go": go + "func ShouldBindJSON(body string) error { return nil }\n",
             "auth.go": go + "func BasicAuth() {}\n",
             "context_test.go": go + 'import "testing"\n\nfunc TestBind(t *testing.T) { ShouldBindJSON("") }\n'}
    for name in ("auth", "benchmarks", "debug", "errors", "fs", "gin", "logger", "mode", "path", "recovery",
                 "render", "routes"):
        files[f"{name}_test.go"] = go + f'import "testing"\n\nfunc Test{name.title()}(t *testing.T) {{ BasicAuth() }}\n'
    packet = _packet_for(tmp_path, files, "ShouldBindJSON returns EOF for an empty body")
    assert packet.likely_files["production"][0] == "context.go"
    assert packet.likely_files["tests"][0] == "context_test.go"


def test_header_modules_leave_out_test_and_sample_projects_by_name(tmp_path: Path) -> None:
    """.NET modules are project names, not folders: MediatR.Tests and MediatR.Examples.Autofac are
    not modules an agent edits."""
    proj = '<Project Sdk="Microsoft.NET.Sdk"></Project>\n'
    packet = _packet_for(tmp_path, {
        "Shop.sln": 'Project("{X}") = "Shop", "src\\Shop\\Shop.csproj", "{A}"\nEndProject\n'
                    'Project("{X}") = "Shop.Tests", "test\\Shop.Tests\\Shop.Tests.csproj", "{B}"\nEndProject\n'
                    'Project("{X}") = "Shop.Examples.Web", "samples\\Shop.Examples.Web\\Shop.Examples.Web.csproj", "{C}"\n'
                    'EndProject\n',
        "src/Shop/Shop.csproj": proj, "src/Shop/Cart.cs": "public class Cart { public int Total() { return 0; } }\n",
        "test/Shop.Tests/Shop.Tests.csproj": proj, "samples/Shop.Examples.Web/Shop.Examples.Web.csproj": proj,
    }, "Cart total is wrong", budget=2000)
    assert packet.modules == ["Shop"]


def test_big_file_shows_the_definitions_holding_the_tasks_rare_terms(tmp_path: Path) -> None:
    """Redis names commands in capitals (ZRANGESTORE) and implements them as zrangestoreCommand:
    no definition is named exactly, yet the packet shows the one holding the task's rare term,
    not only an outline of a 4,000-line file."""
    body = "".join(f"static int zsetHelper{i}(int a, int b) {{\n    int total = a + b;\n    return total * {i};\n}}\n\n"
                   for i in range(80))
    files = {"src/t_zset.c": body + "void zrangestoreCommand(client *c) {\n    zrangeGenericCommand(c, 2, 1);\n}\n\n"
                             "void zrangeGenericCommand(client *c, int a, int b) {\n    addReply(c, a + b);\n}\n"}
    files.update({f"src/mod{i}.c": f"int mod{i}(int limit) {{ return limit + {i}; }}\n" for i in range(16)})
    packet = _packet_for(tmp_path, files, "ZRANGESTORE with LIMIT returns wrong count", budget=4000)
    zset = [i for i in packet.items if i.path == "src/t_zset.c" and i.type == "source_snippet"]
    assert zset[0].reasons[-1] == "defines:zrangestoreCommand" and "body:1.00" in zset[0].reasons
    assert zset[0].content.startswith("void zrangestoreCommand")


def test_a_vendored_file_the_task_names_is_in_the_packet(tmp_path: Path) -> None:
    """Vendored files are neither parsed nor ranked on their text, yet a task that names one by
    its path ("fix in deps/lua/src/lua_bit.c") gets it first, shown around the task's words; a
    task that does not name it never sees it, nor the other vendored files."""
    filler = "".join(f"static int bit_op{i}(lua_State *L) {{ return barg(L, {i}) + {i}; }}\n" for i in range(120))
    lua_bit = (filler + "static int bit_tohex(lua_State *L) {\n  SBits n = barg(L, 2);\n"
               "  if (n < 0) { n = -n; }\n  return 1;\n}\n" + filler)
    files = {"deps/lua/src/lua_bit.c": lua_bit, "deps/lua/src/lua_str.c": "int str_tohex(void) { return 0; }\n",
             "src/script_lua.c": "int luaRegisterBit(void *lua) { return bit_tohex_count(lua); }\n",
             "deps/lua/src/script_lua.c": "int vendored_copy(void) { return 0; }\n"}
    files.update({f"src/mod{i}.c": f"int mod{i}(int limit) {{ return limit + {i}; }}\n" for i in range(8)})
    packet = _packet_for(tmp_path, files, "bit.tohex(1, -2147483648) crashes: fix in deps/lua/src/lua_bit.c",
                         budget=3000)
    assert packet.ranked_files[0] == "deps/lua/src/lua_bit.c"
    assert "deps/lua/src/lua_str.c" not in packet.ranked_files
    first = packet.items[0]
    assert first.path == "deps/lua/src/lua_bit.c" and "named_in_task" in first.reasons
    start, end = map(int, first.line_range.split("-"))
    assert end - start + 1 == 60 and "bit_tohex" in first.content and start > 1
    with Repo.open(tmp_path / "r") as repo:
        other = repo.context("bit tohex crashes in script_lua", budget=3000)
        own = repo.context("bit tohex crashes in script_lua.c", budget=3000)
    assert not any(p.startswith("deps/") for p in other.ranked_files)
    assert own.ranked_files[0] == "src/script_lua.c"  # the project's file, though deps/ has one too


def test_focused_command_names_the_tests_that_use_the_tasks_names(tmp_path: Path) -> None:
    """The focused command runs the test functions about the task, not the whole file: the ones
    using the task's rarer names or named after them; helpers are not tests."""
    root = make_git_repo(tmp_path / "r", {
        "pyproject.toml": "[project]\nname = 'shop'\n",
        "shop/__init__.py": "",
        "shop/invoice.py": "class Invoice:\n    def total(self, discount):\n        return 100 - discount\n\n"
                           "    def tax(self):\n        return 0\n",
        "tests/test_invoice.py": (
            "from shop.invoice import Invoice\n\n"
            "def make():\n    return Invoice()\n\n"
            "def test_tax():\n    assert Invoice().tax() == 0\n\n"
            "class TestTotal:\n    def test_discount_zero(self):\n        assert make().total(discount=0) == 100\n\n"
            "def test_invoice_total():\n    assert Invoice().total(10) == 90\n\n"
            "def test_repr():\n    assert repr(Invoice())\n"),
    })
    with Repo.open(root) as repo:
        repo.index(workers=1)
        focused = repo.context("Invoice.total is wrong when discount is zero", budget=3000).build_commands["focused"]
        # the command is real: pytest runs exactly the two tests it names
        run = subprocess.run([sys.executable, "-m", *shlex.split(focused), "-p", "no:cacheprovider", "-v"],
                             cwd=root, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0 and "2 passed" in run.stdout and "test_repr" not in run.stdout, run.stdout
        (root / "tests/test_invoice.py").write_text("def test_other():\n    pass\n")
        stale = repo.context("Invoice.total is wrong when discount is zero", budget=3000).build_commands["focused"]
    # test_invoice_total is named after both names; the method uses total (and Invoice through
    # the make() helper); Invoice alone, which every test then uses, picks no test
    assert focused == "pytest tests/test_invoice.py::test_invoice_total tests/test_invoice.py::TestTotal::test_discount_zero"
    assert stale == "pytest tests/test_invoice.py"  # the file changed since indexing: no spans to trust


def test_equally_sure_tests_nearest_the_source_come_first(tmp_path: Path) -> None:
    """Two tests import the top file; the one in its own package's tests leads (sympy's
    core/tests/test_args.py imports every class and came first by name)."""
    packet = _packet_for(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/core/__init__.py": "", "pkg/core/tests/__init__.py": "",
        "pkg/stats/__init__.py": "", "pkg/stats/tests/__init__.py": "",
        "pkg/stats/crv_types.py": "class GammaInverse:\n    def pdf(self, x):\n        return x\n",
        "pkg/core/tests/test_args.py": "from pkg.stats.crv_types import GammaInverse\n\n"
                                       "def test_args():\n    assert GammaInverse()\n",
        "pkg/stats/tests/test_continuous.py": "from pkg.stats.crv_types import GammaInverse\n\n"
                                              "def test_gamma_inverse_pdf():\n    assert GammaInverse().pdf(1) == 1\n",
    }, "GammaInverse pdf is wrong")
    assert packet.likely_files["tests"][:2] == ["pkg/stats/tests/test_continuous.py", "pkg/core/tests/test_args.py"]
    assert packet.build_commands["focused"].startswith("pytest pkg/stats/tests/test_continuous.py")


def test_rust_focused_command_runs_the_matching_tests(tmp_path: Path) -> None:
    """Rust tests are known by their #[test] attribute; the narrowed command is real: cargo runs
    exactly the tests it names."""
    root = make_git_repo(tmp_path / "r", {
        "Cargo.toml": '[package]\nname = "sums"\nversion = "0.1.0"\nedition = "2021"\n',
        "src/lib.rs": "pub fn add_totals(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
        "tests/sums.rs": "use sums::add_totals;\n\n#[test]\nfn add_totals_of_zero() {\n    assert_eq!(add_totals(0, 0), 0);\n}\n\n"
                         "#[test]\nfn unrelated() {\n    assert_eq!(1, 1);\n}\n\n"
                         "fn helper_add_totals() -> i32 {\n    add_totals(1, 1)\n}\n\n"
                         "mod nested {\n    #[test]\n    fn add_totals_twice() {\n"
                         "        assert_eq!(sums::add_totals(1, 1), 2);\n    }\n}\n",
    })
    with Repo.open(root) as repo:
        repo.index(workers=1)
        focused = repo.context("add_totals is wrong for zero", budget=3000).build_commands["focused"]
    assert focused == "cargo test --test sums -- add_totals_of_zero nested::add_totals_twice --exact"
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not installed: the command's form is checked, not its run")
    proc = subprocess.run(focused, shell=True, cwd=root, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "CARGO_TARGET_DIR": str(tmp_path / "target"), "CARGO_NET_OFFLINE": "true"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "2 passed" in proc.stdout and "add_totals_of_zero" in proc.stdout and "unrelated" not in proc.stdout


@pytest.mark.parametrize(("files", "task", "focused"), [
    ({  # Jest: it()/test() calls
        "package.json": '{"name": "shop", "scripts": {"test": "jest"}, "devDependencies": {"jest": "29"}}',
        "src/cart.js": "export function applyDiscount(total, rate) {\n  return total - total * rate\n}\n"
                       "export function formatTotal(total) {\n  return `$${total}`\n}\n",
        "src/cart.test.js": (
            "import { applyDiscount, formatTotal } from './cart'\n\n"
            "describe('cart', () => {\n"
            "  it('applies a zero rate (no discount)', () => {\n    expect(applyDiscount(10, 0)).toBe(10)\n  })\n"
            "  it('formats', () => {\n    expect(formatTotal(1)).toBe('$1')\n  })\n"
            "})\n"),
    }, "applyDiscount is wrong when the rate is zero",
     "npm test -- src/cart.test.js -t 'applies a zero rate \\(no discount\\)'"),
    ({  # RSpec: it '…' do … end
        "Gemfile": "source 'https://rubygems.org'\ngem 'rspec'\n",
        "lib/cart.rb": "class Cart\n  def apply_discount(total, rate)\n    total - total * rate\n  end\n\n"
                       "  def item_count\n    0\n  end\nend\n",
        "spec/cart_spec.rb": (
            "require 'cart'\n\nRSpec.describe Cart do\n"
            "  it 'keeps the total for a zero rate' do\n    expect(Cart.new.apply_discount(10, 0)).to eq(10)\n  end\n\n"
            "  it 'counts items' do\n    expect(Cart.new.item_count).to eq(0)\n  end\nend\n"),
    }, "Cart#apply_discount is wrong when the rate is zero",
     "bundle exec rspec spec/cart_spec.rb -e 'keeps the total for a zero rate'"),
])
def test_focused_command_selects_named_test_cases(tmp_path: Path, files: dict[str, str], task: str,
                                                  focused: str) -> None:
    """Jest cases and RSpec examples are calls named by a string, not definitions: the focused
    command selects the ones using the task's names with the runner's own filter (-t, -e). Cart,
    which every example uses, picks none."""
    assert _packet_for(tmp_path, files, task).build_commands["focused"] == focused


def test_a_test_uses_the_names_of_the_helpers_it_calls(tmp_path: Path) -> None:
    """TestZero reaches ApplyDiscount only through a helper of the test file: one hop counts."""
    go = "package cart\n\n"
    packet = _packet_for(tmp_path, {
        "go.mod": "module example.com/cart\n\ngo 1.22\n",
        "cart.go": go + "func ApplyDiscount(total, rate int) int { return total - total*rate/100 }\n\n"
                        "func Count(items []int) int { return len(items) }\n",
        "cart_test.go": go + 'import "testing"\n\n'
                             "func checkDiscount(t *testing.T, total, rate, want int) {\n"
                             "\tif got := ApplyDiscount(total, rate); got != want {\n\t\tt.Fatal(got)\n\t}\n}\n\n"
                             "func TestZero(t *testing.T) { checkDiscount(t, 10, 0, 10) }\n\n"
                             "func TestCount(t *testing.T) { _ = Count(nil) }\n",
    }, "ApplyDiscount is wrong for a zero rate")
    assert packet.build_commands["focused"] == "go test . -run '^TestZero$'"
