"""The ``repointel`` command line: each command opens the repository, asks :mod:`repointel.service`
the request the MCP server also answers, and prints its result (``--json`` for machines).

One grammar: every command takes ``--repo`` (default: the git root enclosing the current folder,
as git finds it; outside git, the current folder) and ``--json``; a TASK argument of ``-`` is
read from standard input. Notes (a capped or empty answer) go to stderr, and into the JSON.

Errors are one line on stderr, ``Error: <Kind>: <message>``, and the exit code tells their
family (:mod:`repointel.errors`): 2 bad usage, 3 not found, 4 locked, 5 storage, 70 a bug;
no traceback unless ``REPOINTEL_DEBUG=1``.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .bounds import (
    MAX_BUDGET,
    MAX_DEPTH,
    MAX_LIST_ROWS,
    MAX_QUERY_ROWS,
    MAX_QUERY_SECONDS,
    MAX_TASK_INPUT_CHARS,
    MAX_WORKERS,
    SYMBOL_KINDS,
    TOKENIZERS,
    check_workers,
)
from .config import DEFAULT_QUERY_ROWS, DEFAULT_QUERY_SECONDS
from .errors import InternalError, InvalidInputError, MissingExtraError, RepointelError, StorageError

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


# -- errors: one line, an exit code per family -----------------------------------------------------
class _Failure(click.ClickException):
    """A RepointelError as click reports it: ``Error: <Kind>: <message>`` and the family's code."""

    def __init__(self, exc: RepointelError) -> None:
        from .untrusted import display_paths, escape_line

        # one line; paths under the home directory shown under ~, never the user's home
        super().__init__(escape_line(display_paths(" ".join(f"{type(exc).__name__}: {exc}".split()))))
        self.exit_code = exc.exit_code  # type: ignore[misc]  # click reads it per instance


def _as_repointel_error(exc: Exception) -> RepointelError:
    if isinstance(exc, RepointelError):
        return exc
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return StorageError(f"cannot access{where}: {exc.strerror or exc}")
    return InternalError(f"{type(exc).__name__}: {exc} (a bug: rerun with REPOINTEL_DEBUG=1 for the "
                         "traceback and report it)")


class _Cli(click.Group):
    """The command group: every failure inside a command becomes one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)  # 128 + SIGINT, as shells report it
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise  # click's own handling: quiet, exit 1 (`repointel files | head`)
            raise self._fail(exc) from exc
        except Exception as exc:
            raise self._fail(exc) from exc

    @staticmethod
    def _fail(exc: Exception) -> click.ClickException:
        if os.environ.get("REPOINTEL_DEBUG") == "1":
            raise exc
        return _Failure(_as_repointel_error(exc))


# -- the shared grammar --------------------------------------------------------------------------------
def _find_root(path: str | None) -> str:
    from .api import find_root

    return find_root(path or ".")


def _open(path: str | None) -> Any:
    from .api import Repo

    return Repo.open(_find_root(path))


def _repo_arg(path: str | None, repo_path: str | None) -> str | None:
    """The positional PATH of ``index``/``mcp``/``watch`` and ``--repo`` name one repository."""
    if path is not None and repo_path is not None and os.path.realpath(path) != os.path.realpath(repo_path):
        raise click.UsageError(f"PATH ({path}) and --repo ({repo_path}) name different folders: give one")
    return path if path is not None else repo_path


def _task(task: str | None) -> str | None:
    """The TASK argument; ``-`` reads it from standard input (bytes that are not UTF-8 replaced),
    which must hold a task (empty input is a mistake upstream, not a request for no task)."""
    if task != "-":
        return task
    data = sys.stdin.buffer.read(4 * MAX_TASK_INPUT_CHARS + 1)  # UTF-8: at most 4 bytes a character
    text = data.decode("utf-8", "replace")
    if len(data) > 4 * MAX_TASK_INPUT_CHARS:
        raise InvalidInputError(f"task is over {MAX_TASK_INPUT_CHARS:,} characters; send the relevant part")
    if not text.strip():
        raise InvalidInputError("task is empty: standard input held no text")
    return text


def _emit(obj: Any) -> None:
    if hasattr(obj, "model_dump"):
        obj = obj.model_dump(mode="json")
    from .untrusted import json_line_safe

    click.echo(json_line_safe(json.dumps(obj, indent=2, ensure_ascii=False, default=str)))


def _print(answer: Any, as_json: bool) -> None:
    """A service answer: its JSON or its text on stdout, its notes on stderr."""
    if as_json:
        _emit(answer.result)
    else:
        click.echo(answer.text, nl=False)
    for note in answer.notes:
        click.echo(f"note: {note}", err=True)


class _Phases:
    """Labelled progress on a terminal (``scan``, ``parse`` with a bar, ``derive``, ``commit``),
    each phase closed with its time; nothing when stderr is not a terminal."""

    #: Characters of the parse bar: fits an 80-column terminal with the counts beside it.
    WIDTH = 30

    def __init__(self) -> None:
        self.phase: str | None = None
        self.started = time.monotonic()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self.close()
            self.phase, self.started = phase, time.monotonic()
        if total:
            filled = self.WIDTH * done // total
            bar = f" [{'#' * filled}{'.' * (self.WIDTH - filled)}]" if phase == "parse" else ""
            click.echo(f"\r{phase}{bar} {done:,}/{total:,} files", err=True, nl=False)
        else:
            click.echo(f"\r{phase}…", err=True, nl=False)

    def close(self) -> None:
        if self.phase is not None:
            click.echo(f" ({time.monotonic() - self.started:.1f}s)", err=True)
            self.phase = None


def _index(repo: Any, workers: int | None = None, flush_rows: int | None = None, *, verify: bool = False) -> Any:
    """``repo.index()`` with labelled phases on a terminal, quiet when stderr is piped."""
    phases = _Phases() if sys.stderr.isatty() else None
    try:
        return repo.index(workers=workers, progress=phases, flush_rows=flush_rows, verify=verify)
    finally:
        if phases is not None:
            phases.close()


def _require(module: str, extra: str, command: str) -> None:
    """The optional ``extra`` providing ``module`` is installed, or a one-line error naming it."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError.extra(extra, command) from exc


def _refresh(repo: Any) -> None:
    """Bring the index up to date before reading it; when it cannot be written here (another run
    writes it, or it is read-only) the last committed index is served, with a note saying so."""
    from .errors import IndexLockedError, IndexReadOnlyError

    try:
        stats = _index(repo)
    except (IndexLockedError, IndexReadOnlyError) as exc:
        click.echo(f"note: index not refreshed ({exc}); serving the last committed index", err=True)
        return
    if stats.notice:
        click.echo(f"note: {stats.notice}", err=True)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
repo_option = click.option(
    "--repo", "repo_path", default=None, metavar="DIR",
    help="The repository (default: the git root enclosing the current folder; outside git, the folder).")
# Values the MCP server also takes are plain here and checked by repointel.bounds, so both surfaces
# give the same message for the same mistake.
def _budget_option(default: int) -> Callable[[F], F]:
    return click.option("--budget", type=int, default=default, show_default=True,
                        help=f"Token budget (1..{MAX_BUDGET:,}).")


tokenizer_option = click.option("--tokenizer", default="cl100k_base", show_default=True,
                                help=f"Tokenizer the budget counts in: {', '.join(TOKENIZERS)}.")
no_index_option = click.option("--no-index", is_flag=True, help="Do not bring the index up to date first.")


def _limit_option(default: int, most: int) -> Callable[[F], F]:
    return click.option("--limit", type=int, default=default, show_default=True,
                        help=f"Most rows shown (1..{most:,}); a capped answer says so.")


@click.group(cls=_Cli)
@click.version_option(package_name="repointel")
def main() -> None:
    """repointel: a map of the repository for AI coding agents.

    Every command works on the repository enclosing the current folder (or --repo DIR) and
    prints JSON with --json. Exit codes: 0 ok, 1 failed, 2 bad usage, 3 not found, 4 index
    locked by another process, 5 cannot read or write, 70 internal error.
    """


@main.command()
@click.argument("path", required=False, type=click.Path(file_okay=False))
@repo_option
@click.option("--workers", type=int, default=None, help=f"Parser processes, 1..{MAX_WORKERS} (default: CPU count).")
@click.option("--flush-rows", type=click.IntRange(min=1), default=None,
              help="Rows held before they are written into the run's transaction (default 300000); "
                   "lower holds less memory on a huge tree.")
@click.option("--verify", is_flag=True,
              help="Check every block of the index file and re-hash every file; repair rows whose "
                   "bytes changed unseen (a damaged index is moved aside and rebuilt).")
@json_option
def index(path: str | None, repo_path: str | None, workers: int | None, flush_rows: int | None,
          verify: bool, as_json: bool) -> None:
    """Index the repository incrementally into .repointel/index.duckdb.

    \b
    Example:
      repointel index --repo ~/src/flask
    """
    with _open(_repo_arg(path, repo_path)) as repo:
        stats = _index(repo, workers, flush_rows, verify=verify)
    if stats.notice:
        click.echo(f"note: {stats.notice}", err=True)
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
@repo_option
@_budget_option(1024)
@tokenizer_option
@no_index_option
@json_option
def map_cmd(task: str | None, repo_path: str | None, budget: int, tokenizer: str, no_index: bool,
            as_json: bool) -> None:
    """Print a ranked map of the repository within --budget tokens, personalised by TASK
    ('-' reads standard input).

    \b
    Example:
      repointel map "Invoice total is wrong when discount is zero" --budget 2048
    """
    from . import service

    text = _task(task)
    with _open(repo_path) as repo:
        if not no_index:
            _refresh(repo)
        answer = service.repo_map(repo, text, budget, tokenizer)
    _print(answer, as_json)
    if not as_json:
        m = answer.result
        sep = "\n" if m.text and not m.text.endswith("\n") else ""  # on a terminal, a line of its own
        click.echo(f"{sep}# {len(m.entries)} files, {m.tokens.used}/{budget} {tokenizer} tokens", err=True)


@main.command()
@click.argument("task")
@repo_option
@_budget_option(8192)
@tokenizer_option
@click.option("--format", "fmt", default=None,
              help="Rendering the budget counts: markdown (the default) or json (what --json prints).")
@no_index_option
@click.option("--event-log", type=click.Path(dir_okay=False),
              help="Append the packet's context_built event (items by sha256, tokens) to this JSONL file.")
@json_option
def context(task: str, repo_path: str | None, budget: int, tokenizer: str, fmt: str | None,
            no_index: bool, event_log: str | None, as_json: bool) -> None:
    """Build a context packet for TASK ('-' reads standard input) within --budget tokens.

    \b
    Example:
      git log -1 --format=%B | repointel context - --budget 4096
    """
    from . import service

    if as_json and fmt == "markdown":
        raise click.UsageError("--json prints the packet as JSON: leave out --format markdown")
    fmt = "json" if as_json else fmt or "markdown"
    text = str(_task(task))
    with _open(repo_path) as repo:
        if not no_index:
            _refresh(repo)
        answer = service.context_packet(repo, text, budget, tokenizer, fmt, event_log)
    click.echo(answer.text, nl=False)  # the rendering the budget counted, byte for byte
    for note in answer.notes:
        click.echo(f"note: {note}", err=True)


@main.command()
@click.argument("task")
@repo_option
@click.option("--files", "n_files", type=int, default=20, show_default=True, help="Files listed (1..1,000).")
@click.option("--definitions", "n_defs", type=int, default=50, show_default=True,
              help="Definitions listed (0..1,000).")
@no_index_option
@json_option
def rank(task: str, repo_path: str | None, n_files: int, n_defs: int, no_index: bool, as_json: bool) -> None:
    """The files and definitions TASK ('-' reads standard input) points at, best first, with
    their reasons; the text shows each score as a share of the best one's (1.00).

    \b
    Example:
      repointel rank "Invoice total is wrong when discount is zero" --files 5
    """
    from . import service

    text = str(_task(task))
    with _open(repo_path) as repo:
        if not no_index:
            _refresh(repo)
        answer = service.rank(repo, text, n_files, n_defs)
    _print(answer, as_json)


@main.command()
@repo_option
@json_option
def status(repo_path: str | None, as_json: bool) -> None:
    """What the index reflects: commit, dirty flag, counts, stale files.

    \b
    Example:
      repointel status
    """
    from . import service

    with _open(repo_path) as repo:
        answer = service.index_status(repo)
        daemon = _daemon_line(repo.db_path)
    _print(answer, as_json)
    if not as_json:
        click.echo(daemon)  # -- watch hook (owner: repointel/daemon.py)


@main.command()
@click.argument("path", required=False)
@repo_option
@click.option("--language", help="Only files of this tree-sitter language (python, go, ...).")
@click.option("--status", "status_", type=click.Choice(["indexed", "skipped"]), help="Only these files.")
@_limit_option(MAX_LIST_ROWS, MAX_LIST_ROWS)
@json_option
def files(path: str | None, repo_path: str | None, language: str | None, status_: str | None, limit: int,
          as_json: bool) -> None:
    """List the file map (optionally under PATH, a file, a folder or a glob).

    \b
    Example:
      repointel files 'src/*.py' --status indexed
    """
    from . import service

    with _open(repo_path) as repo:
        answer = service.files(repo, path, language, status_, limit)
    _print(answer, as_json)


@main.command()
@click.argument("name", required=False)
@repo_option
@click.option("--kind", help=f"Only definitions of this kind: {', '.join(SYMBOL_KINDS)}.")
@click.option("--path", "in_path", help="Only definitions in this file or folder.")
@_limit_option(1000, MAX_LIST_ROWS)
@json_option
def symbols(name: str | None, repo_path: str | None, kind: str | None, in_path: str | None, limit: int,
            as_json: bool) -> None:
    """Find definitions by NAME (or Class.method), --kind, --path.

    \b
    Example:
      repointel symbols Invoice.total
    """
    from . import service

    with _open(repo_path) as repo:
        answer = service.find_symbols(repo, name, kind, in_path, limit)
    _print(answer, as_json)


@main.command()
@click.argument("name")
@repo_option
@click.option("--path", "in_path", help="Only definitions in this file or folder.")
@json_option
def symbol(name: str, repo_path: str | None, in_path: str | None, as_json: bool) -> None:
    """Cards of the definitions NAME (or Class.method): what their bodies use, the tests that cover them.

    \b
    Example:
      repointel symbol Invoice.total --json
    """
    from . import service

    with _open(repo_path) as repo:
        answer = service.symbol_cards(repo, name, in_path)
    _print(answer, as_json)


@main.command()
@click.argument("sql")
@repo_option
@_limit_option(DEFAULT_QUERY_ROWS, MAX_QUERY_ROWS)
@click.option("--timeout", type=float, default=DEFAULT_QUERY_SECONDS, show_default=True,
              help=f"Seconds before the query is interrupted (at most {MAX_QUERY_SECONDS:g}).")
@json_option
def query(sql: str, repo_path: str | None, limit: int, timeout: float, as_json: bool) -> None:
    """Run one read-only SQL SELECT over the index (schema: docs/index-schema.md).

    \b
    Example:
      repointel query "SELECT language, count(*) FROM files GROUP BY 1 ORDER BY 2 DESC"
    """
    from . import service

    with _open(repo_path) as repo:
        answer = service.query(repo, sql, limit, timeout)
    _print(answer, as_json)


# -- dependency, test, ownership and impact queries (issue: maps and impact) -------------------
@main.command()
@click.argument("path")
@repo_option
@json_option
def deps(path: str, repo_path: str | None, as_json: bool) -> None:
    """What PATH imports, and which files import it.

    \b
    Example:
      repointel deps src/flask/app.py
    """
    from . import service

    with _open(repo_path) as repo:
        answer = service.dependencies(repo, path)
    _print(answer, as_json)


@main.command()
@click.argument("target")
@repo_option
@click.option("--depth", type=int, default=3, show_default=True,
              help=f"Hops of dependents followed (0..{MAX_DEPTH}).")
@json_option
def impact(target: str, repo_path: str | None, depth: int, as_json: bool) -> None:
    """Transitive dependents of a file or symbol TARGET, the tests to run, owners and risks.

    \b
    Example:
      repointel impact src/flask/helpers.py --depth 2
    """
    from . import service

    with _open(repo_path) as repo:
        answer = service.impact(repo, target, depth)
    _print(answer, as_json)


@main.command()
@click.argument("path")
@repo_option
@json_option
def tests(path: str, repo_path: str | None, as_json: bool) -> None:
    """Tests that exercise PATH, with the focused command to run them.

    \b
    Example:
      repointel tests src/flask/app.py
    """
    from . import service

    with _open(repo_path) as repo:
        answer = service.tests_for(repo, path)
    _print(answer, as_json)


@main.command()
@click.argument("path")
@repo_option
@json_option
def owners(path: str, repo_path: str | None, as_json: bool) -> None:
    """CODEOWNERS owners of PATH, and its main recent authors by the git history (labelled).

    \b
    Example:
      repointel owners src/flask/app.py
    """
    from . import service

    with _open(repo_path) as repo:
        answer = service.owners(repo, path)
    _print(answer, as_json)


# -- mcp: stdio MCP server (owner: repointel/mcp_server.py) ------------------------------------
@main.command("mcp")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@repo_option
@click.option("--event-log", type=click.Path(dir_okay=False),
              help="Append a context_built event per packet served to this JSONL file.")
def mcp_cmd(path: str | None, repo_path: str | None, event_log: str | None) -> None:
    """Serve the repository's index to AI agents over MCP (stdio); indexes it first.
    Needs the 'mcp' extra: pip install 'repointel[mcp]'.

    \b
    Example:
      claude mcp add repointel -- repointel mcp /path/to/repo
    """
    _require("mcp", "mcp", "repointel mcp")
    from .mcp_server import serve

    if event_log is not None:
        from .service import check_event_log

        check_event_log(event_log)
    serve(_find_root(_repo_arg(path, repo_path)), event_log=event_log)
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


def _stop_daemon(db_path: str, as_json: bool) -> None:
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
    click.echo(json.dumps({"stopped": pid}) if as_json else f"stopped daemon {pid}")


def _detach(path: str, workers: int | None, polling: bool, db_path: str, as_json: bool) -> None:
    import subprocess

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
            pid = daemon_pid(db_path)
            click.echo(json.dumps({"pid": pid, "root": path}) if as_json else f"daemon {pid} watching {path}")
            return
        time.sleep(0.05)
    raise click.ClickException(f"the daemon did not start (see {os.path.dirname(db_path)}/daemon.log)")


@main.command()
@click.argument("path", required=False, type=click.Path(file_okay=False))
@repo_option
@click.option("--detach", is_flag=True, help="Run in the background (pid in .repointel/daemon.pid).")
@click.option("--stop", "stop_", is_flag=True, help="Stop the daemon watching the repository.")
@click.option("--polling", is_flag=True, help="Poll instead of using inotify.")
@click.option("--workers", type=int, default=None, help=f"Parser processes per batch, 1..{MAX_WORKERS}.")
@click.option("--json", "as_json", is_flag=True,
              help="With --detach or --stop: print the daemon's pid (and root) as JSON.")
def watch(path: str | None, repo_path: str | None, detach: bool, stop_: bool, polling: bool,
          workers: int | None, as_json: bool) -> None:
    """Keep the repository's index fresh as files change; serve reads to other processes meanwhile.
    Needs the 'watch' extra: pip install 'repointel[watch]'.

    \b
    Example:
      repointel watch --detach
    """
    from .store_client import daemon_pid

    if as_json and not (detach or stop_):
        raise click.UsageError("--json needs --detach or --stop (in the foreground the daemon writes a log)")
    check_workers(workers)
    repo = _open(_repo_arg(path, repo_path))
    if stop_:
        _stop_daemon(repo.db_path, as_json)
        return
    _require("watchdog", "watch", "repointel watch")
    from .daemon import Daemon

    if daemon_pid(repo.db_path) is not None:
        raise click.ClickException(f"a daemon already watches {repo.root} (pid {daemon_pid(repo.db_path)})")
    repo._ensure_index_dir()  # refuses a folder or files that symbolic links lead elsewhere
    if detach:
        _detach(repo.root, workers, polling, repo.db_path, as_json)
        return
    daemon = Daemon(repo.root, repo.db_path, workers=workers, polling=polling,
                    log=lambda msg: click.echo(f"[repointel watch] {msg}", err=True))
    daemon.install_signal_handlers()
    daemon.run()
# -- end watch -------------------------------------------------------------------------------------


# -- fleet: many repositories on Ray, Parquet shards (owner: repointel/fleet/, docs/fleet.md) ------
def _register_fleet() -> None:
    from .fleet.cli import fleet

    main.add_command(fleet)


_register_fleet()
# -- end fleet -------------------------------------------------------------------------------------
