"""The ``repointel`` command line: each command opens the repository, calls one API method,
and prints its result (``--json`` for machines). Library errors become click errors."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .errors import RepointelError

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


def _errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RepointelError as exc:
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc

    return wrapper  # type: ignore[return-value]


def _emit(obj: Any) -> None:
    if hasattr(obj, "model_dump"):
        obj = obj.model_dump(mode="json")
    elif isinstance(obj, list):
        obj = [o.model_dump(mode="json") if hasattr(o, "model_dump") else o for o in obj]
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def _open(path: str) -> Any:
    from .api import Repo

    return Repo.open(path)


def _progress_printer(enabled: bool) -> Callable[[str, int, int], None] | None:
    if not enabled or not sys.stderr.isatty():
        return None

    def show(phase: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        click.echo(f"\r{phase} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", err=True, nl=False)
        if done >= total:
            click.echo("", err=True)

    return show


def _refresh(repo: Any, progress: Callable[[str, int, int], None] | None) -> None:
    """Bring the index up to date before reading it; when it cannot be written here (another run
    writes it, or it is read-only) the last committed index is served, with a note saying so."""
    from .errors import IndexLockedError, IndexReadOnlyError

    try:
        stats = repo.index(progress=progress)
    except (IndexLockedError, IndexReadOnlyError) as exc:
        click.echo(f"repointel: index not refreshed ({exc}); serving the last committed index", err=True)
        return
    if stats.notice:
        click.echo(f"repointel: {stats.notice}", err=True)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
path_option = click.option("--repo", "repo_path", default=".", show_default=True,
                           type=click.Path(file_okay=False), help="Repository root.")


@click.group()
@click.version_option(package_name="repointel")
def main() -> None:
    """repointel: a map of the repository for AI coding agents."""


@main.command()
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option("--workers", type=int, default=None, help="Parser processes (default: CPU count).")
@click.option("--flush-rows", type=click.IntRange(min=1), default=None,
              help="Rows held before they are written into the run's transaction (default 300000); "
                   "lower holds less memory on a huge tree.")
@click.option("--verify", is_flag=True,
              help="Check every block of the index file and re-hash every file; repair rows whose "
                   "bytes changed unseen (a damaged index is moved aside and rebuilt).")
@json_option
@_errors
def index(path: str, workers: int | None, flush_rows: int | None, verify: bool, as_json: bool) -> None:
    """Index PATH incrementally into PATH/.repointel/index.duckdb."""
    with _open(path) as repo:
        stats = repo.index(workers=workers, progress=_progress_printer(not as_json), flush_rows=flush_rows,
                           verify=verify)
    if stats.notice:
        click.echo(f"repointel: {stats.notice}", err=True)
    if verify and not as_json:
        click.echo(f"verified {stats.verified} files: {stats.repaired} repaired", err=True)
    if as_json:
        _emit(stats)
        return
    skipped = ", ".join(f"{k}={v}" for k, v in sorted(stats.skipped.items())) or "none"
    click.echo(f"scanned {stats.scanned}, parsed {stats.parsed}, unchanged {stats.unchanged}, "
               f"removed {stats.removed}, renamed {stats.renamed}, skipped: {skipped} "
               f"in {stats.seconds:.2f}s (commit {(stats.commit or 'none')[:12]}"
               f"{', dirty' if stats.dirty else ''})")


@main.command("map")
@click.argument("task", required=False)
@path_option
@click.option("--budget", type=int, default=1024, show_default=True, help="Token budget.")
@click.option("--tokenizer", default="cl100k_base", show_default=True,
              type=click.Choice(["cl100k_base", "o200k_base"]))
@click.option("--no-index", is_flag=True, help="Do not bring the index up to date first.")
@json_option
@_errors
def map_cmd(task: str | None, repo_path: str, budget: int, tokenizer: str, no_index: bool,
            as_json: bool) -> None:
    """Print a ranked map of the repository (personalised by TASK), within --budget tokens."""
    with _open(repo_path) as repo:
        if not no_index:
            _refresh(repo, _progress_printer(not as_json))
        result = repo.map(task, budget=budget, tokenizer=tokenizer)
    if as_json:
        _emit(result)
    else:
        click.echo(result.text, nl=False)  # exactly the counted text on stdout
        sep = "\n" if result.text and not result.text.endswith("\n") else ""  # on a terminal, a line of its own
        click.echo(f"{sep}# {len(result.entries)} files, {result.tokens.used}/{budget} {tokenizer} tokens", err=True)
        if result.stale_paths:
            click.echo(f"# stale: changed on disk since indexing (run `repointel index`): "
                       f"{', '.join(result.stale_paths)}", err=True)


@main.command()
@path_option
@json_option
@_errors
def status(repo_path: str, as_json: bool) -> None:
    """What the index reflects: commit, dirty flag, counts, stale files."""
    with _open(repo_path) as repo:
        st = repo.status()
    if as_json:
        _emit(st)
    else:
        click.echo(f"commit {st.commit or 'none'}{' (dirty)' if st.dirty else ''}; {st.files} files, "
                   f"{st.symbols} symbols; indexed at {st.indexed_at}; freshness {st.freshness}"
                   + (f" ({len(st.stale_paths)} stale)" if st.stale_paths else ""))
        if st.language_stack:
            click.echo(f"stack: {', '.join(st.language_stack)}")
        if st.languages:
            click.echo("parsed: " + ", ".join(f"{lang} {n}" for lang, n in st.languages.items())
                       + (f" ({st.parse_errors} with syntax errors)" if st.parse_errors else ""))
        if st.skipped:
            click.echo("skipped: " + ", ".join(f"{reason} {n}" for reason, n in st.skipped.items()))
        click.echo(_daemon_line(repo.db_path))  # -- watch hook (owner: repointel/daemon.py)


@main.command()
@click.argument("path", required=False)
@path_option
@click.option("--language")
@click.option("--status", "status_", type=click.Choice(["indexed", "skipped"]))
@json_option
@_errors
def files(path: str | None, repo_path: str, language: str | None, status_: str | None, as_json: bool) -> None:
    """List the file map (optionally under PATH or matching a glob)."""
    with _open(repo_path) as repo:
        rows = repo.files(path=path, language=language, status=status_)
    if as_json:
        _emit(rows)
        return
    for f in rows:
        extra = f"skipped:{f.skip_reason}" if f.status == "skipped" else (f.language or "-")
        click.echo(f"{f.path}\t{extra}\t{f.lines} lines")


@main.command()
@click.argument("name", required=False)
@path_option
@click.option("--kind")
@click.option("--path", "in_path")
@json_option
@_errors
def symbols(name: str | None, repo_path: str, kind: str | None, in_path: str | None, as_json: bool) -> None:
    """Find definitions by NAME, --kind, --path."""
    with _open(repo_path) as repo:
        rows = repo.symbols(name=name, kind=kind, path=in_path)
    if as_json:
        _emit(rows)
        return
    for d in rows:
        click.echo(f"{d.path}:{d.start_line}-{d.end_line}\t{d.kind}\t{d.qualname}")


@main.command()
@click.argument("sql")
@path_option
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True, max=3600), default=10.0,
              show_default=True, help="Seconds before the query is interrupted.")
@click.option("--limit", type=click.IntRange(min=1, max=1_000_000), default=10_000, show_default=True,
              help="Most rows returned.")
@json_option
@_errors
def query(sql: str, repo_path: str, timeout: float, limit: int, as_json: bool) -> None:
    """Run read-only SQL over the index (schema: docs/index-schema.md)."""
    with _open(repo_path) as repo:
        result = repo.query(sql, limit=limit, timeout=timeout)
    if as_json:
        _emit(result)
        return
    click.echo("\t".join(result["columns"]))
    for row in result["rows"]:
        click.echo("\t".join("" if v is None else str(v) for v in row))
    index = result["index"]
    if index["freshness"] != "current":
        stale = index["stale_paths"]
        click.echo(f"warning: the index is {index['freshness']}"
                   + (f"; changed on disk since indexing: {', '.join(stale[:5])}"
                      + (f" and {len(stale) - 5} more" if len(stale) > 5 else "") if stale else ""), err=True)


@main.command()
@click.argument("task")
@path_option
@click.option("--budget", type=int, default=8192, show_default=True)
@click.option("--tokenizer", default="cl100k_base", show_default=True,
              type=click.Choice(["cl100k_base", "o200k_base"]))
@click.option("--format", "fmt", type=click.Choice(["json", "markdown"]), default="markdown",
              show_default=True)
@click.option("--no-index", is_flag=True, help="Do not bring the index up to date first.")
@click.option("--event-log", type=click.Path(dir_okay=False),
              help="Append the packet's context_built event (items by sha256, tokens) to this JSONL file.")
@_errors
def context(task: str, repo_path: str, budget: int, tokenizer: str, fmt: str, no_index: bool,
            event_log: str | None) -> None:
    """Build a context packet for TASK ('-' reads standard input)."""
    from .context.render import render

    if task == "-":
        task = sys.stdin.read()
    with _open(repo_path) as repo:
        if not no_index:
            _refresh(repo, None)
        packet = repo.context(task, budget=budget, tokenizer=tokenizer, fmt=fmt, event_log=event_log)
    click.echo(render(packet, fmt), nl=False)


# -- dependency, test, ownership and impact queries (issue: maps and impact) -------------------
@main.command()
@click.argument("path")
@path_option
@json_option
@_errors
def deps(path: str, repo_path: str, as_json: bool) -> None:
    """What PATH imports, and which files import it."""
    with _open(repo_path) as repo:
        report = repo.deps(path)
    if as_json:
        _emit(report)
        return
    click.echo(f"{report.path} imports:")
    for imp in report.imports:
        click.echo(f"  {imp.line:>5}  {imp.module or '.'} -> {imp.resolved or f'(external: {imp.external})'}")
    click.echo("imported by:")
    for imp in report.importers:
        click.echo(f"  {imp.path}:{imp.line}")


@main.command()
@click.argument("target")
@path_option
@click.option("--depth", type=int, default=3, show_default=True)
@json_option
@_errors
def impact(target: str, repo_path: str, depth: int, as_json: bool) -> None:
    """Transitive dependents of a file or symbol TARGET, the tests to run, owners and risks."""
    with _open(repo_path) as repo:
        report = repo.impact(target, depth=depth)
    if as_json:
        _emit(report)
        return
    click.echo(f"{target}: {', '.join(report.files)}")
    for path, hop in report.dependents:
        click.echo(f"  {'  ' * (hop - 1)}{path} (hop {hop})")
    for t in report.tests:
        click.echo(f"test: {t.test_path} ({t.reason}, {t.confidence:.2f})" + (f"  $ {t.command}" if t.command else ""))
    for o in report.owners:
        click.echo(f"owners: {o.path}: {' '.join(o.owners) or '(unowned)'}")
    for r in report.risks:
        click.echo(f"risk: {r.path}: {r.tag} ({r.rule})")


@main.command()
@click.argument("path")
@path_option
@json_option
@_errors
def tests(path: str, repo_path: str, as_json: bool) -> None:
    """Tests that exercise PATH, with the focused command to run them."""
    with _open(repo_path) as repo:
        links = repo.tests_for(path)
    if as_json:
        _emit(links)
        return
    for t in links:
        click.echo(f"{t.test_path} -> {t.source_path} ({t.reason}, {t.confidence:.2f})"
                   + (f"  $ {t.command}" if t.command else ""))


@main.command()
@click.argument("name")
@path_option
@click.option("--path", "in_path", help="Only definitions in this file or folder.")
@json_option
@_errors
def symbol(name: str, repo_path: str, in_path: str | None, as_json: bool) -> None:
    """Cards of the definitions NAME (or Class.method): what their bodies use, the tests that cover them."""
    with _open(repo_path) as repo:
        cards = repo.symbol_cards(name, path=in_path)
    if as_json:
        _emit(cards)
        return
    for card in cards:
        click.echo(f"{card.file}:{card.line_range}\t{card.kind}\t{card.symbol}"
                   + ("" if card.freshness == "current" else f"  [{card.freshness}: file changed since indexing]"))
        for dep in card.depends_on:
            click.echo(f"  uses {dep.name} ({dep.uses}x, {dep.via}): {', '.join(dep.defined_in)}")
        for test in card.tests:
            click.echo(f"  test {test.path} ({test.reason})" + (f"  $ {test.command}" if test.command else ""))


@main.command()
@click.argument("path")
@path_option
@json_option
@_errors
def owners(path: str, repo_path: str, as_json: bool) -> None:
    """CODEOWNERS owners of PATH."""
    with _open(repo_path) as repo:
        rec = repo.owners(path)
    if as_json:
        _emit(rec)
    else:
        click.echo(f"{rec.path}: {' '.join(rec.owners) or '(unowned)'}"
                   + (f"  [{rec.source}:{rec.line} {rec.rule}]" if rec.rule else ""))


# -- mcp: stdio MCP server (owner: repointel/mcp_server.py) ------------------------------------
@main.command("mcp")
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option("--event-log", type=click.Path(dir_okay=False),
              help="Append a context_built event per packet served to this JSONL file.")
@_errors
def mcp_cmd(path: str, event_log: str | None) -> None:
    """Serve PATH's index to AI agents over MCP (stdio); indexes PATH first."""
    from .mcp_server import serve

    serve(path, event_log=event_log)
# -- end mcp -------------------------------------------------------------------------------------


# -- watch: the file-watch daemon (owner: repointel/daemon.py, docs/daemon.md) -------------------
def _daemon_line(db_path: str) -> str:
    from .store_client import connect_daemon

    remote = connect_daemon(db_path)
    if remote is None:
        return "daemon: not running"
    try:
        st = remote.status()
    finally:
        remote.close()
    return (f"daemon: pid {st.get('pid')}, {st.get('observer')}, freshness {st.get('freshness')}, "
            f"{st.get('pending')} pending, last event {st.get('last_event') or 'none'}, "
            f"{st.get('batches')} batches" + (f", last error: {st['last_error']}" if st.get("last_error") else ""))


def _stop_daemon(db_path: str) -> None:
    import time

    from .store_client import connect_daemon, daemon_pid

    pid = daemon_pid(db_path)
    remote = connect_daemon(db_path)
    if pid is None or remote is None:
        raise click.ClickException("no watch daemon is running for this index")
    try:
        remote.stop()
    finally:
        remote.close()
    deadline = time.monotonic() + 30
    while daemon_pid(db_path) == pid and time.monotonic() < deadline:
        time.sleep(0.05)
    click.echo(f"stopped daemon {pid}")


def _detach(path: str, workers: int | None, polling: bool, db_path: str) -> None:
    import os
    import subprocess
    import time

    from .store_client import connect_daemon, daemon_pid

    args = [sys.executable, "-m", "repointel", "watch", path] + (["--polling"] if polling else []) \
        + ([f"--workers={workers}"] if workers is not None else [])
    log_fd = os.open(os.path.join(os.path.dirname(db_path), "daemon.log"),
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(log_fd, "ab") as log:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        remote = connect_daemon(db_path)
        if remote is not None:
            remote.close()
            click.echo(f"daemon {daemon_pid(db_path)} watching {path}")
            return
        time.sleep(0.05)
    raise click.ClickException(f"the daemon did not start (see {os.path.dirname(db_path)}/daemon.log)")


@main.command()
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option("--detach", is_flag=True, help="Run in the background (pid in .repointel/daemon.pid).")
@click.option("--stop", "stop_", is_flag=True, help="Stop the daemon watching PATH.")
@click.option("--polling", is_flag=True, help="Poll instead of using inotify.")
@click.option("--workers", type=int, default=None, help="Parser processes per batch.")
@_errors
def watch(path: str, detach: bool, stop_: bool, polling: bool, workers: int | None) -> None:
    """Keep PATH's index fresh as files change; serve reads to other processes meanwhile."""
    from .daemon import Daemon
    from .store_client import daemon_pid

    repo = _open(path)
    if stop_:
        _stop_daemon(repo.db_path)
        return
    if daemon_pid(repo.db_path) is not None:
        raise click.ClickException(f"a daemon already watches {repo.root} (pid {daemon_pid(repo.db_path)})")
    repo._ensure_index_dir()  # refuses a folder or files that symbolic links lead elsewhere
    if detach:
        _detach(repo.root, workers, polling, repo.db_path)
        return
    daemon = Daemon(repo.root, repo.db_path, workers=workers, polling=polling,
                    log=lambda msg: click.echo(f"[repointel watch] {msg}", err=True))
    daemon.install_signal_handlers()
    daemon.run()
# -- end watch -------------------------------------------------------------------------------------
