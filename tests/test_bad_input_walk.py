"""Bad input on every surface: each case runs the real ``repointel`` CLI (a subprocess) or the
real MCP SDK client against ``repointel mcp``, and must end in one line that names the mistake,
the exit code of its family (usage 2, not found 3, locked 4, storage 5), and no traceback; the
MCP server and the CLI give the same words for the same request."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession

from repointel import Repo
from repointel.store import IndexStore

from .conftest import ROOT, SMALL_REPO_FILES, make_git_repo, run_cli
from .test_mcp import _session, _text

USAGE, NOT_FOUND, LOCKED, STORAGE = 2, 3, 4, 5


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small billing repository with a subfolder, indexed."""
    root = make_git_repo(tmp_path_factory.mktemp("walk") / "repo",
                         {**SMALL_REPO_FILES, "pkg/sub/deep.py": "def deep():\n    return 1\n"})
    with Repo.open(root) as r:
        r.index(workers=1)
    return root


def _one_line_error(proc: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """The process failed with ``code`` and said so in one line holding ``words``."""
    err = proc.stderr
    assert "Traceback" not in err and "Traceback" not in proc.stdout, err
    assert proc.returncode == code, f"exit {proc.returncode}, wanted {code}: {err}"
    lines = [line for line in err.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, err
    if not err.startswith("Usage:"):  # click's usage errors show the usage first: its convention
        assert err.strip() == lines[0], err
    for word in words:
        assert word.lower() in lines[0].lower(), f"{word!r} not in {lines[0]!r}"
    return lines[0].removeprefix("Error: ")


#: (arguments after `repointel`, exit code, words the one error line must hold)
CLI_CASES: list[tuple[list[str], int, list[str]]] = [
    (["index", "--workers", "0"], USAGE, ["workers must be between 1 and 256, got 0"]),
    (["index", "--workers", "-3"], USAGE, ["workers", "got -3"]),
    (["index", "--workers", "many"], USAGE, ["--workers"]),
    (["index", "--flush-rows", "0"], USAGE, ["--flush-rows"]),
    (["map", "--budget", "0"], USAGE, ["BudgetError", "budget must be an integer between 1 and 2000000"]),
    (["map", "--budget", "3000000"], USAGE, ["BudgetError"]),
    (["map", "--budget", "abc"], USAGE, ["--budget"]),
    (["map", "--tokenizer", "gpt2"], USAGE, ["TokenizerError", "cl100k_base"]),
    (["context", ""], USAGE, ["task is empty"]),
    (["context", "   \n\t"], USAGE, ["task is empty"]),
    (["context", "x", "--format", "html"], USAGE, ["format"]),
    (["context", "x", "--json", "--format", "markdown"], USAGE, ["--json"]),
    (["context"], USAGE, ["TASK"]),
    (["context", "fix it", "--budget", "-1"], USAGE, ["BudgetError"]),
    (["context", "fix it", "--event-log", "/nonexistent-folder/events.jsonl"], STORAGE, ["no folder"]),
    (["context", "fix it", "--event-log", "/proc/events.jsonl"], STORAGE, ["events.jsonl"]),
    (["impact", "Invoice", "--depth", "-1"], USAGE, ["depth must be between 0 and 10, got -1"]),
    (["impact", "Invoice", "--depth", "11"], USAGE, ["depth"]),
    (["impact", "NoSuchThing"], NOT_FOUND, ["PathNotIndexedError", "no file or symbol"]),
    (["impact", "x" * 5000], USAGE, ["target is 5,000 characters"]),
    (["files", "/etc"], USAGE, ["PathOutsideRepoError", "/etc"]),
    (["files", "../.."], USAGE, ["escapes the repository"]),
    (["files", "--limit", "0"], USAGE, ["limit must be between 1 and 100,000, got 0"]),
    (["files", "--status", "odd"], USAGE, ["--status"]),
    (["symbols", "--kind", "nonsense"], USAGE, ["unknown kind 'nonsense'", "function"]),
    (["symbols", "--limit", "-1"], USAGE, ["limit"]),
    (["symbols", "Invoice", "--path", "../outside"], USAGE, ["escapes"]),
    (["symbols", "Invoice", "--path", "nowhere"], NOT_FOUND, ["not in the index: nowhere"]),
    (["symbol", "NoSuchSymbol"], NOT_FOUND, ["no symbol named 'NoSuchSymbol'"]),
    (["deps", "/etc/passwd"], USAGE, ["escapes the repository"]),
    (["deps", "no/such/file.py"], NOT_FOUND, ["not in the index"]),
    (["deps", ""], USAGE, ["path is empty"]),
    (["tests", "missing.py"], NOT_FOUND, ["not in the index"]),
    (["owners", "../../etc/passwd"], USAGE, ["PathOutsideRepoError"]),
    (["query", "SELEC 1"], USAGE, ["QueryError", "syntax error", "SELEC"]),
    (["query", "SELECT nope FROM files"], USAGE, ["QueryError", "nope"]),
    (["query", "DELETE FROM files"], USAGE, ["read-only"]),
    (["query", "SELECT 1; DROP TABLE files"], USAGE, ["single"]),
    (["query", "SELECT * FROM read_text('/etc/passwd')"], USAGE, ["no file or URL readers"]),
    (["query", "SELECT * FROM '/etc/passwd'"], USAGE, ["QueryError"]),
    (["query", ""], USAGE, ["SQL is empty"]),
    (["query", "SELECT 1 " + " " * 20_001], USAGE, ["SQL is 20,010 characters"]),
    (["query", "SELECT 1", "--limit", "10001"], USAGE, ["limit must be between 1 and 10,000"]),
    (["status", "--repo", "/nonexistent/folder"], NOT_FOUND, ["RepoNotFoundError"]),
    (["status", "--repo", str(ROOT / "README.md")], NOT_FOUND, ["not a directory"]),
    (["index", ".", "--repo", "/"], USAGE, ["PATH", "--repo"]),
    (["rank", ""], USAGE, ["task is empty"]),
    (["rank", "x", "--files", "0"], USAGE, ["files must be between 1 and 1,000, got 0"]),
    (["rank", "x", "--definitions", "-1"], USAGE, ["definitions must be between 0 and 1,000, got -1"]),
    (["watch", "--workers", "0"], USAGE, ["workers must be between 1 and 256"]),
    (["watch", "--json"], USAGE, ["--json needs --detach or --stop"]),
    (["watch", "--stop"], 1, ["no watch daemon is running"]),
    (["nosuchcommand"], USAGE, ["No such command"]),
    (["map", "--no-such-flag"], USAGE, ["No such option"]),
]


@pytest.mark.parametrize(("args", "code", "words"), CLI_CASES, ids=[" ".join(c[0])[:40] for c in CLI_CASES])
def test_cli_bad_input_is_one_line(repo: Path, args: list[str], code: int, words: list[str]) -> None:
    _one_line_error(run_cli(*args, cwd=repo, check=False, timeout=120), code, *words)


def test_cli_stdin_tasks(repo: Path) -> None:
    for cmd in (["context", "-"], ["map", "-"]):
        _one_line_error(run_cli(*cmd, cwd=repo, check=False, input=""), USAGE, "standard input held no text")
        _one_line_error(run_cli(*cmd, cwd=repo, check=False, input=" \n\n"), USAGE, "task is empty")
    _one_line_error(run_cli("context", "-", cwd=repo, check=False, input="x" * 1_000_001), USAGE,
                    "task is 1,000,001 characters")
    task = "Invoice.total ignores the discount (pkg/billing.py)"
    by_stdin = run_cli("map", "-", "--budget", "300", "--json", cwd=repo, input=task)
    assert json.loads(by_stdin.stdout) == json.loads(run_cli("map", task, "--budget", "300", "--json", cwd=repo).stdout)
    packet = json.loads(run_cli("context", "-", "--json", "--budget", "900", cwd=repo, input=task).stdout)
    assert packet["tokens"]["budget"] == 900 and packet["items"]


def test_cli_file_system_failures(tmp_path: Path) -> None:
    """``index /proc``, a ``.repointel`` that is a file, a read-only repository."""
    _one_line_error(run_cli("index", "/proc", check=False), STORAGE, "/proc/.repointel")
    blocked = make_git_repo(tmp_path / "blocked", {"a.py": "x = 1\n"})
    (blocked / ".repointel").write_text("not a folder\n")
    # status too: "no index" would send the user to `repointel index`, which then fails on the file
    for cmd in (["index"], ["map"], ["context", "fix a"], ["status"]):
        _one_line_error(run_cli(*cmd, cwd=blocked, check=False), STORAGE, "exists and is not a folder")


def _read_only_runner(root: Path) -> list[str] | None:
    """A command prefix that runs a program with ``root`` read-only: root writes anywhere, so
    there a read-only bind mount in a user namespace; otherwise nothing (the folder's mode does)."""
    if os.geteuid() != 0:
        root.chmod(stat.S_IRUSR | stat.S_IXUSR)
        return []
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    prefix = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, str(root)]
    probe = subprocess.run([*prefix, "touch", str(root / "probe")], capture_output=True, text=True)
    return prefix if probe.returncode != 0 and "Read-only" in probe.stderr else None


def test_cli_read_only_repository(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path / "ro", {"a.py": "def f():\n    return 1\n"})
    prefix = _read_only_runner(root)
    if prefix is None:
        pytest.skip("no way to make a folder read-only for root here (unshare)")
    try:
        for cmd in (["index"], ["map"], ["context", "fix f"]):
            proc = subprocess.run([*prefix, sys.executable, "-m", "repointel", *cmd], cwd=root,
                                  capture_output=True, text=True, timeout=120)
            _one_line_error(proc, STORAGE, "cannot create the index folder", str(root / ".repointel"))
    finally:
        root.chmod(0o755)


def test_cli_locked_index(repo: Path) -> None:
    store = IndexStore(str(repo / ".repointel" / "index.duckdb"), read_only=False)
    try:
        _one_line_error(run_cli("status", cwd=repo, check=False), LOCKED, "IndexLockedError")
        _one_line_error(run_cli("index", cwd=repo, check=False), LOCKED, "IndexLockedError")
    finally:
        store.close()


def test_cli_closed_pipe_is_quiet(repo: Path) -> None:
    """``repointel files | head -1`` and the agent prompt example piped into ``head``."""
    for argv in ([sys.executable, "-m", "repointel", "query", "SELECT * FROM range(200000)"],
                 [sys.executable, str(ROOT / "examples" / "agent_prompt.py"), str(repo), "fix Invoice.total"]):
        proc = subprocess.Popen(argv, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=120)
        assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err


def test_cli_missing_extras_name_the_install_command(repo: Path) -> None:
    for cmd, module, extra in (("mcp", "mcp", "mcp"), ("watch", "watchdog", "watch")):
        code = (f"import sys; sys.modules[{module!r}] = None; sys.argv = ['repointel', {cmd!r}]; "
                "from repointel.cli import main; main()")
        proc = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=60)
        _one_line_error(proc, 1, f"repointel {cmd} needs the optional '{extra}' extra",
                        f"pip install 'repointel[{extra}]'")


def test_cli_notes_capped_and_empty_answers(repo: Path) -> None:
    proc = run_cli("symbols", "--limit", "2", cwd=repo)
    assert len(proc.stdout.splitlines()) == 2
    assert proc.stderr.startswith("note: showing the first 2 definitions; more matched")
    data = json.loads(run_cli("symbols", "--limit", "2", "--json", cwd=repo).stdout)
    assert data["truncated"] is True and "first 2 definitions" in data["note"] and len(data["result"]) == 2
    none = run_cli("symbols", "no_such_name", cwd=repo)
    assert none.stdout == "" and none.stderr == "note: no definition named 'no_such_name' in the index\n"
    assert json.loads(run_cli("symbols", "no_such_name", "--json", cwd=repo).stdout)["note"]
    dotted = json.loads(run_cli("symbols", "Invoice.total", "--json", cwd=repo).stdout)
    assert [d["qualname"] for d in dotted["result"]] == ["Invoice.total"] and dotted["note"] is None
    rows = run_cli("query", "SELECT * FROM range(50)", "--limit", "10", cwd=repo)
    assert len(rows.stdout.splitlines()) == 11 and "showing the first 10 rows" in rows.stderr
    assert json.loads(run_cli("query", "SELECT * FROM range(50)", "--limit", "10", "--json", cwd=repo)
                      .stdout)["truncated"] is True
    empty = run_cli("files", "nothing/here", cwd=repo)
    assert empty.stdout == "" and "no file in the index matches under nothing/here" in empty.stderr
    assert "function, interface" in run_cli("symbols", "--help").stdout, "--help lists the kinds"


def test_cli_finds_the_repository_from_a_subfolder(repo: Path) -> None:
    """``cd pkg/sub && repointel status`` reads the root's index; it made a second one there."""
    sub = repo / "pkg" / "sub"
    top = json.loads(run_cli("status", "--json", cwd=repo).stdout)
    below = json.loads(run_cli("status", "--json", cwd=sub).stdout)
    assert below["root"] == top["root"] == str(repo.resolve())
    run_cli("index", "--repo", ".", cwd=sub)
    run_cli("index", ".", cwd=sub)
    assert not (sub / ".repointel").exists()
    found = json.loads(run_cli("symbols", "deep", "--json", "--repo", ".", cwd=sub).stdout)["result"]
    assert [d["path"] for d in found] == ["pkg/sub/deep.py"]


def test_every_command_takes_repo_and_json(repo: Path) -> None:
    import click

    from repointel.cli import main

    for name, cmd in main.commands.items():
        if isinstance(cmd, click.Group):  # `fleet`: many repositories, named by their --store
            for sub_name, sub in cmd.commands.items():
                opts = {o for p in sub.params for o in getattr(p, "opts", [])}
                assert "--store" in opts, f"{name} {sub_name}"
                if sub_name != "context":  # a packet: markdown or JSON by --format, as `context`
                    assert "--json" in opts, f"{name} {sub_name}"
            continue
        opts = {o for p in cmd.params for o in getattr(p, "opts", [])}
        assert "--repo" in opts, name
        if name != "mcp":  # a server: its stdout is the protocol
            assert "--json" in opts, name


#: (tool, arguments, the CLI arguments of the same request or None, words of the one error line)
MCP_CASES: list[tuple[str, dict[str, Any], list[str] | None, list[str]]] = [
    ("impact", {"target": "Invoice", "depth": -1}, ["impact", "Invoice", "--depth", "-1"], ["depth"]),
    ("impact", {"target": "Invoice", "depth": 99}, ["impact", "Invoice", "--depth", "99"], ["depth"]),
    ("impact", {"target": "NoSuchThing"}, ["impact", "NoSuchThing"], ["no file or symbol"]),
    ("impact", {"target": "Invoice", "depth": "deep"}, None, ["depth", "integer"]),
    ("repo_map", {"budget": 0}, ["map", "--budget", "0"], ["budget"]),
    ("repo_map", {"budget": 10**9}, ["map", "--budget", str(10**9)], ["budget"]),
    ("repo_map", {"tokenizer": "gpt2"}, ["map", "--tokenizer", "gpt2"], ["tokenizer"]),
    ("repo_map", {"bogus": 1}, None, ["unknown argument 'bogus'"]),
    ("context_packet", {"task": ""}, ["context", ""], ["task is empty"]),
    ("context_packet", {"task": "  \n"}, ["context", "  \n"], ["task is empty"]),
    ("context_packet", {"task": "x", "format": "html"}, ["context", "x", "--format", "html"], ["format"]),
    ("context_packet", {"task": "x", "budget": -5}, ["context", "x", "--budget", "-5"], ["budget"]),
    ("context_packet", {"budget": 100}, None, ["task", "missing"]),
    ("context_packet", {"task": "x" * 1_000_001}, None, ["task is 1,000,001 characters"]),
    ("context_packet", {"task": "x", "extra": True}, None, ["unknown argument 'extra'"]),
    ("find_symbol", {"name": "Invoice", "kind": "nonsense"}, ["symbols", "Invoice", "--kind", "nonsense"],
     ["unknown kind"]),
    ("find_symbol", {"name": "Invoice", "path": "../outside"}, ["symbols", "Invoice", "--path", "../outside"],
     ["escapes"]),
    ("find_symbol", {"name": "Invoice", "path": "nowhere"}, ["symbols", "Invoice", "--path", "nowhere"],
     ["not in the index"]),
    ("find_symbol", {"name": "Invoice", "limit": 0}, ["symbols", "Invoice", "--limit", "0"], ["limit"]),
    ("find_symbol", {"name": ""}, None, ["name is empty"]),
    ("find_symbol", {"name": "Invoice", "limt": 5}, None, ["unknown argument 'limt'"]),
    ("symbol_card", {"name": "NoSuchSymbol"}, ["symbol", "NoSuchSymbol"], ["no symbol named"]),
    ("dependencies", {"path": "/etc/passwd"}, ["deps", "/etc/passwd"], ["escapes"]),
    ("dependencies", {"path": "no/such.py"}, ["deps", "no/such.py"], ["not in the index"]),
    ("dependencies", {"path": "x" * 5000}, ["deps", "x" * 5000], ["path is 5,000 characters"]),
    ("dependencies", {}, None, ["path", "missing"]),
    ("tests_for", {"path": "missing.py"}, ["tests", "missing.py"], ["not in the index"]),
    ("owners", {"path": "../../etc/passwd"}, ["owners", "../../etc/passwd"], ["escapes"]),
    ("query", {"sql": "SELEC 1"}, ["query", "SELEC 1"], ["syntax error"]),
    ("query", {"sql": "DELETE FROM files"}, ["query", "DELETE FROM files"], ["read-only"]),
    ("query", {"sql": "SELECT * FROM read_text('/etc/passwd')"},
     ["query", "SELECT * FROM read_text('/etc/passwd')"], ["no file or URL readers"]),
    ("query", {"sql": ""}, ["query", ""], ["SQL is empty"]),
    ("query", {"sql": "SELECT 1", "limit": 10_001}, ["query", "SELECT 1", "--limit", "10001"], ["limit"]),
    ("query", {"sql": ["SELECT 1"]}, None, ["sql", "string"]),
    ("index_status", {"verbose": True}, None, ["unknown argument 'verbose'", "no arguments"]),
    ("no_such_tool", {}, None, ["no_such_tool"]),
]


def _cli_code(words: list[str]) -> int:
    """The exit code the CLI gives the same request: not found for what does not exist."""
    return NOT_FOUND if any(w.startswith(("not in the index", "no file or symbol", "no symbol")) for w in words) else USAGE


def test_mcp_bad_input_is_one_line_and_the_cli_says_the_same(repo: Path) -> None:
    cli_lines = {i: _one_line_error(run_cli(*args, cwd=repo, check=False, timeout=120), _cli_code(words))
                 for i, (_, _, args, words) in enumerate(MCP_CASES) if args is not None}

    async def body(s: ClientSession) -> None:
        for i, (tool, args, _, words) in enumerate(MCP_CASES):
            result = await s.call_tool(tool, args)
            text = _text(result)
            assert result.is_error, f"{tool}({args!r}) should fail, got {text[:200]}"
            assert "\n" not in text.strip() and "Traceback" not in text, f"{tool}: not one line: {text}"
            for word in words:
                assert word.lower() in text.lower(), f"{tool}({args!r}): {word!r} not in {text!r}"
            if i in cli_lines:
                assert cli_lines[i] in text, f"{tool}: the CLI said {cli_lines[i]!r}, MCP {text!r}"
        assert (await s.call_tool("index_status", {})).structured_content, "still serving"

    _session(repo, body)


def _stderr_on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; its exit code and what the terminal showed."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "repointel", *args], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=follower)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return proc.wait(timeout=120), shown.decode("utf-8", "replace")


def test_index_shows_labelled_phases_on_a_terminal_and_is_quiet_piped(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path / "r", dict(SMALL_REPO_FILES))
    code, shown = _stderr_on_a_terminal(["index", "--workers", "1"], root)
    assert code == 0, shown
    phases = [p for p in ("scan", "parse", "derive", "commit") if p in shown]
    assert phases == ["scan", "parse", "derive", "commit"], shown
    assert "parse [" in shown and "files" in shown and shown.count("s)") >= 4, "each phase closes with its time"
    assert shown.index("scan") < shown.index("parse") < shown.index("derive") < shown.index("commit")
    (root / "pkg" / "money.py").write_text("class Money:\n    pass\n")
    piped = run_cli("index", "--workers", "1", cwd=root)
    assert piped.stderr == "", "piped: no progress"


def test_mcp_started_in_a_subfolder_serves_the_repository(repo: Path) -> None:
    """An MCP config with ``["mcp", "."]`` started in ``pkg/sub`` made a second index there."""
    import anyio
    from mcp.client.stdio import StdioServerParameters, stdio_client

    sub = repo / "pkg" / "sub"
    env = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else None
    params = StdioServerParameters(command=sys.executable, args=["-m", "repointel", "mcp", "."], cwd=str(sub),
                                   env=env)

    async def main() -> None:
        with anyio.fail_after(120):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                status = (await session.call_tool("index_status", {})).structured_content
                assert status is not None and status["root"] == str(repo.resolve())

    anyio.run(main)
    assert not (sub / ".repointel").exists()


#: (CLI arguments, MCP tool, its arguments): the same request on both surfaces.
SAME_REQUESTS: list[tuple[list[str], str, dict[str, Any]]] = [
    (["symbols", "Invoice"], "find_symbol", {"name": "Invoice"}),
    (["symbols", "Invoice.total"], "find_symbol", {"name": "Invoice.total"}),
    (["symbols", "no_such_name"], "find_symbol", {"name": "no_such_name"}),
    (["symbols", "total", "--kind", "method", "--path", "pkg", "--limit", "5"], "find_symbol",
     {"name": "total", "kind": "method", "path": "pkg", "limit": 5}),
    (["symbol", "Invoice.total"], "symbol_card", {"name": "Invoice.total"}),
    (["deps", "pkg/billing.py"], "dependencies", {"path": "pkg/billing.py"}),
    (["impact", "pkg/money.py", "--depth", "2"], "impact", {"target": "pkg/money.py", "depth": 2}),
    (["tests", "pkg/billing.py"], "tests_for", {"path": "pkg/billing.py"}),
    (["owners", "pkg/billing.py"], "owners", {"path": "pkg/billing.py"}),
    (["query", "SELECT path, lines FROM files ORDER BY path", "--limit", "3"], "query",
     {"sql": "SELECT path, lines FROM files ORDER BY path", "limit": 3}),
    (["map", "Invoice.total ignores the discount", "--budget", "300"], "repo_map",
     {"task": "Invoice.total ignores the discount", "budget": 300}),
    (["context", "Invoice.total ignores the discount", "--budget", "1500"], "context_packet",
     {"task": "Invoice.total ignores the discount", "budget": 1500, "format": "json"}),
]


def test_cli_and_mcp_give_the_same_answer(repo: Path) -> None:
    """``--json`` is the tool's structured content, and the CLI's text is the tool's fenced text."""
    cli = [(run_cli(*args, "--json", cwd=repo), run_cli(*args, cwd=repo)) for args, _, _ in SAME_REQUESTS]

    async def body(s: ClientSession) -> None:
        for (as_json, as_text), (args, tool, arguments) in zip(cli, SAME_REQUESTS):
            result = await s.call_tool(tool, arguments)
            assert not result.is_error, _text(result)
            assert result.structured_content == json.loads(as_json.stdout), args
            if tool not in ("repo_map", "context_packet"):  # those two: the map's and packet's own text
                assert as_text.stdout in _text(result), args
            for note in as_text.stderr.splitlines():  # the map's '# N files' line is the CLI's own
                if note.startswith("note: "):
                    assert note in _text(result), f"{args}: the CLI's {note!r} is in the tool's text"

    _session(repo, body)


def test_cli_rank_shows_one_scale(repo: Path) -> None:
    task = "Invoice.total ignores the discount (pkg/billing.py)"
    data = json.loads(run_cli("rank", task, "--json", cwd=repo).stdout)
    assert data == Repo.open(repo).rank(task).model_dump(mode="json")
    text = run_cli("rank", task, "--files", "2", "--definitions", "2", cwd=repo).stdout.splitlines()
    assert text[0] == "files:" and text[1].startswith("  1.00  pkg/billing.py")
    shares = [float(line.split()[0]) for line in text if line.startswith("  ")]
    assert all(0 <= s <= 1 for s in shares) and "definitions:" in text
