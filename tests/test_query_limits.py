"""Untrusted SQL runs under a time limit and a row cap on every surface (issue 18, item 4): the
API, the CLI, the MCP server (which keeps answering other calls meanwhile) and the daemon (which
stops a query whose client went away)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp_types import CallToolResult, TextContent

from repointel import Repo, errors

from .conftest import SMALL_REPO_FILES, make_indexed_repo, run_cli

CROSS_JOIN = "SELECT count(*) FROM range(100000000) a, range(100000000) b"
RECURSIVE = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
             "SELECT count(*) FROM n")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_indexed_repo(tmp_path / "repo", dict(SMALL_REPO_FILES))


@pytest.mark.parametrize("sql", [CROSS_JOIN, RECURSIVE], ids=["cross-join", "recursive-cte"])
def test_api_query_is_interrupted_at_its_time_limit(repo: Path, sql: str) -> None:
    with Repo.open(repo) as r:
        t0 = time.monotonic()
        with pytest.raises(errors.QueryTimeoutError, match="time limit"):
            r.query(sql, timeout=0.5)
        assert time.monotonic() - t0 < 5
        assert r.query("SELECT count(*) FROM files")["rows"] == [[5]]  # the connection still serves


def test_row_cap_and_bad_limits(repo: Path) -> None:
    with Repo.open(repo) as r:
        assert len(r.query("SELECT * FROM range(1000000000)", limit=7)["rows"]) == 7  # streamed, not built
        for bad in ({"limit": 0}, {"timeout": 0}, {"timeout": -1.0}, {"timeout": 1e9}):
            with pytest.raises(errors.QueryError):
                r.query("SELECT 1", **bad)  # type: ignore[arg-type]


def test_cli_query_ends_with_one_line_within_the_limit(repo: Path) -> None:
    t0 = time.monotonic()
    proc = run_cli("query", CROSS_JOIN, "--repo", str(repo), "--timeout", "1", check=False)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 2  # a query error: the caller narrows the query (or allows longer)
    assert proc.stderr.strip().count("\n") == 0 and "QueryTimeoutError" in proc.stderr, proc.stderr
    assert elapsed < 15, elapsed  # 1 s of query plus the interpreter's start-up on a loaded machine
    assert run_cli("query", "SELECT 42", "--repo", str(repo)).stdout.splitlines()[1] == "42"


def _text(result: CallToolResult) -> str:
    return "".join(c.text for c in result.content if isinstance(c, TextContent))


def test_mcp_keeps_answering_while_a_query_runs(repo: Path) -> None:
    env = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else None
    params = StdioServerParameters(command=sys.executable, args=["-m", "repointel", "mcp", str(repo)],
                                   cwd=str(repo), env=env)
    seen: dict[str, float] = {}

    async def main() -> None:
        with anyio.fail_after(120):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                t0 = time.monotonic()

                async def slow() -> None:
                    result = await session.call_tool("query", {"sql": CROSS_JOIN, "timeout": 6})
                    seen["query"] = time.monotonic() - t0
                    assert result.is_error and "QueryTimeoutError" in _text(result), _text(result)

                async def others() -> None:
                    await anyio.sleep(0.5)
                    for tool, args in (("index_status", {}), ("find_symbol", {"name": "Invoice"})):
                        result = await session.call_tool(tool, args)
                        assert not result.is_error, _text(result)
                    seen["others"] = time.monotonic() - t0

                async with anyio.create_task_group() as tg:
                    tg.start_soon(slow)
                    tg.start_soon(others)

    anyio.run(main)
    assert seen["others"] < seen["query"], seen  # answered while the query was still running
    assert seen["query"] < 15, seen


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_use(pid: int, seconds: float) -> float:
    """CPU seconds per second process ``pid`` used over the next ``seconds``."""
    before = _cpu_seconds(pid)
    time.sleep(seconds)
    return (_cpu_seconds(pid) - before) / seconds


def test_daemon_stops_a_query_whose_client_went_away(repo: Path) -> None:
    log = open(repo.parent / "daemon.log", "ab")  # noqa: SIM115
    daemon = subprocess.Popen([sys.executable, "-m", "repointel", "watch", str(repo), "--workers", "1"],
                              stdout=log, stderr=log)
    try:
        from repointel.store_client import connect_daemon

        db = str(repo / ".repointel" / "index.duckdb")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # listening, and its catch-up batch applied
            remote = connect_daemon(db)
            if remote is not None and remote.status().get("batches", 0) >= 1:
                remote.close()
                break
            if remote is not None:
                remote.close()
            time.sleep(0.05)
        with Repo.open(repo) as r:  # through the daemon: its errors arrive as the same classes
            with pytest.raises(errors.QueryTimeoutError):
                r.query(RECURSIVE, timeout=0.5)
        client = subprocess.Popen([sys.executable, "-c", (
            "import sys; from repointel import Repo; "
            f"Repo.open(sys.argv[1]).query({CROSS_JOIN!r}, timeout=600)"), str(repo)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60  # the client starts (imports) and sends its query
            while _cpu_use(daemon.pid, 0.5) < 0.25:  # ... which then burns the daemon's CPU
                assert time.monotonic() < deadline and client.poll() is None, "the query never ran"
        finally:
            client.send_signal(signal.SIGKILL)
            client.wait()
        time.sleep(1.0)  # the watchdog polls every 50 ms
        assert _cpu_use(daemon.pid, 1.5) < 0.2  # interrupted: the daemon is idle again
        with Repo.open(repo) as r:
            assert r.query("SELECT count(*) FROM files")["rows"] == [[5]]
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)
