"""``repointel fleet …``: the fleet commands, one click group registered by :mod:`repointel.cli`."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..errors import RepointelError

__all__ = ["fleet"]

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
    if isinstance(obj, list):
        obj = [o.model_dump(mode="json") if hasattr(o, "model_dump") else o for o in obj]
    elif hasattr(obj, "model_dump"):
        obj = obj.model_dump(mode="json")
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def _open(store: str) -> Any:
    from .search import Fleet

    return Fleet.open(store)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
store_option = click.option("--store", required=True, type=click.Path(file_okay=False),
                            help="The fleet store: a folder of Parquet shards (shared by every worker).")


def _ray_note() -> str:
    from .run import INSTALL_HINT

    try:
        import ray  # noqa: F401
    except ImportError:
        return f"\n\n`fleet index` needs Ray, which is not installed: {INSTALL_HINT}"
    return ""


class _FleetGroup(click.Group):
    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_help(ctx, formatter)
        note = _ray_note()
        if note:
            formatter.write(note.lstrip("\n") + "\n")


@click.group(cls=_FleetGroup)
def fleet() -> None:
    """Many repositories: index them on Ray into Parquet shards, query them together.

    \b
    Example:
      repointel fleet index repos.txt --store fleet-store
    """


@fleet.command("index")
@click.argument("manifest", type=click.Path(dir_okay=False))
@store_option
@click.option("--address", help="An existing Ray cluster (ray://HOST:10001, or 'auto'); "
                                "default: a local cluster for this run.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Repositories indexed at once (default: the cluster's CPUs).")
@click.option("--max-files", type=click.IntRange(min=1), default=None,
              help="Refuse repositories listing more files (default 300000).")
@json_option
@_errors
def index_cmd(manifest: str, store: str, address: str | None, workers: int | None, max_files: int | None,
              as_json: bool) -> None:
    """Index every repository of MANIFEST (one per line: a path, or a git URL with ref=) into --store."""
    from .run import index_fleet, require_ray
    from .task import MAX_REPO_FILES

    require_ray()
    try:
        open(manifest).close()
    except OSError as exc:
        raise click.ClickException(f"cannot read the manifest {manifest}: {exc.strerror}") from None

    def show(result: Any, done: int, total: int) -> None:
        if as_json:
            return
        what = {"indexed": f"indexed {(result.commit or 'worktree')[:12]}{' (dirty)' if result.dirty else ''}",
                "skipped": "unchanged", "failed": f"FAILED: {result.error}"}[result.status]
        retry = f", attempt {result.attempt}" if result.attempt > 1 else ""
        click.echo(f"[{done}/{total}] {result.id}: {what} ({result.seconds:.2f}s{retry})", err=True)

    report = index_fleet(manifest, store, address=address, workers=workers,
                         max_files=max_files or MAX_REPO_FILES, progress=show)
    for issue in report.manifest_issues:
        click.echo(f"{manifest}:{issue.line}: {issue.error}", err=True)
    if as_json:
        _emit(report)
    else:
        click.echo(f"{len(report.repos)} repositories: {report.count('indexed')} indexed, "
                   f"{report.count('skipped')} unchanged, {report.count('failed')} failed; "
                   f"{len(report.manifest_issues)} bad manifest lines; {report.seconds:.1f}s "
                   f"on {report.workers} workers")
    if not report.ok:
        sys.exit(1)


@fleet.command("status")
@store_option
@json_option
@_errors
def status_cmd(store: str, as_json: bool) -> None:
    """Every repository of --store: its shard's commit, or its last failure."""
    with _open(store) as f:
        repos = f.repos()
    if as_json:
        _emit(repos)
        return
    for r in repos:
        state = f"{(r.commit or 'worktree')[:12]}{' (dirty)' if r.dirty else ''}" if r.shard else "no shard"
        click.echo(f"{r.id}\t{state}\t{r.files} files\t{r.bytes} bytes"
                   + (f"\tlast run failed: {r.error}" if r.error else ""))


@fleet.command("query")
@click.argument("sql")
@store_option
@json_option
@_errors
def query_cmd(sql: str, store: str, as_json: bool) -> None:
    """Read-only SQL over the shards: each index table with a leading `repo` column, plus `repos`."""
    with _open(store) as f:
        result = f.query(sql)
    if as_json:
        _emit(result)
        return
    click.echo("\t".join(result["columns"]))
    for row in result["rows"]:
        click.echo("\t".join("" if v is None else str(v) for v in row))


@fleet.command("find")
@click.argument("symbol")
@store_option
@click.option("--kind", help="Only definitions of this kind (function, class, method, ...).")
@json_option
@_errors
def find_cmd(symbol: str, store: str, kind: str | None, as_json: bool) -> None:
    """Definitions named SYMBOL (or Class.method) in every repository."""
    with _open(store) as f:
        rows = f.find(symbol, kind=kind)
    if as_json:
        _emit(rows)
        return
    for s in rows:
        click.echo(f"{s.repo}\t{s.path}:{s.start_line}-{s.end_line}\t{s.kind}\t{s.qualname}")


@fleet.command("dependents")
@click.argument("package")
@store_option
@json_option
@_errors
def dependents_cmd(package: str, store: str, as_json: bool) -> None:
    """Repositories that import the external PACKAGE (through their dependency maps)."""
    with _open(store) as f:
        rows = f.dependents(package)
    if as_json:
        _emit(rows)
        return
    for d in rows:
        click.echo(f"{d.repo}\t{d.files} files\t{d.imports} imports\t{', '.join(d.paths)}")


@fleet.command("owners")
@click.argument("owner", required=False)
@store_option
@click.option("--package", help="Only files that import this external package.")
@json_option
@_errors
def owners_cmd(owner: str | None, store: str, package: str | None, as_json: bool) -> None:
    """CODEOWNERS owners per repository and the files they own (only OWNER's, if given)."""
    with _open(store) as f:
        rows = f.owners(owner, package=package)
    if as_json:
        _emit(rows)
        return
    for o in rows:
        click.echo(f"{o.repo}\t{o.owner}\t{o.files} files\t{', '.join(o.paths)}")


@fleet.command("context")
@click.argument("task")
@store_option
@click.option("--budget", type=int, default=8192, show_default=True)
@click.option("--tokenizer", default="cl100k_base", show_default=True,
              type=click.Choice(["cl100k_base", "o200k_base"]))
@click.option("--format", "fmt", type=click.Choice(["json", "markdown"]), default="markdown", show_default=True)
@click.option("--repo", "repo_id", help="Build the packet from this repository instead of the likeliest.")
@_errors
def context_cmd(task: str, store: str, budget: int, tokenizer: str, fmt: str, repo_id: str | None) -> None:
    """A context packet for TASK ('-' reads standard input) from the repository it most likely concerns."""
    if task == "-":
        task = sys.stdin.read()
    with _open(store) as f:
        packet = f.context(task, budget=budget, tokenizer=tokenizer, fmt=fmt, repo=repo_id)
    click.echo(packet.text, nl=False)
