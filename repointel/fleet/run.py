"""``fleet index``: every repository of a manifest as one Ray task (:func:`index_repository`).

A local Ray cluster is started for the run unless ``address`` names an existing one (or the
caller has connected already: then its connection is used and left open). Ray retries a task
whose worker process died (killed, out of memory) up to :data:`MAX_RETRIES` times; a repository
that fails inside its task is a result with an error, never a stopped run.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..errors import ExtraMissingError, IndexLockedError
from .manifest import read_manifest
from .models import FleetReport, ManifestEntry, ManifestIssue, RepoResult
from .task import MAX_REPO_FILES, _now, index_repository, write_json_atomic

__all__ = ["INSTALL_HINT", "MAX_RETRIES", "index_fleet", "require_ray"]

#: What to run when Ray is missing (httpx's way with its optional extras).
INSTALL_HINT = "pip install 'repointel[fleet]'"
#: Times Ray re-runs a task whose worker died: a node lost once or twice is bad luck; a repository
#: that kills its worker four times (memory) is a failure to report, not to retry forever.
MAX_RETRIES = 3
#: Per finished repository: (result, finished so far, total).
FleetProgress = Callable[[RepoResult, int, int], None]


def require_ray() -> Any:
    """The ``ray`` module, or :class:`ExtraMissingError` naming the install command."""
    try:
        import ray
    except ImportError:
        raise ExtraMissingError(f"fleet indexing runs on Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


@contextlib.contextmanager
def _store_lock(store: str) -> Iterator[None]:
    """One ``fleet index`` run per store at a time."""
    fd = os.open(os.path.join(store, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLockedError(f"fleet store {store} is being indexed by another run") from None
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _cluster(ray: Any, address: str | None, workers: int | None) -> Iterator[int]:
    """A connection to Ray for the run; yields the cluster's CPU count."""
    started = not ray.is_initialized()
    address = address or os.environ.get("RAY_ADDRESS") or None  # a RayJob's entrypoint has it set
    if started:
        ray.init(address=address, num_cpus=workers if address is None else None, include_dashboard=False,
                 log_to_driver=False, logging_level=logging.WARNING, configure_logging=False)
    try:
        yield int(ray.cluster_resources().get("CPU", 1))
    finally:
        if started:
            ray.shutdown()


def index_fleet(manifest: str | Sequence[ManifestEntry], store: str, *, address: str | None = None,
                workers: int | None = None, max_files: int = MAX_REPO_FILES,
                progress: FleetProgress | None = None) -> FleetReport:
    """Index every repository of ``manifest`` (a manifest file, or entries) into the fleet
    ``store`` on Ray; the report is also written to ``store/fleet.json``.

    ``address``: an existing Ray cluster (``ray://host:10001``, ``auto``); without it a local
    cluster of ``workers`` CPUs (default: all) runs for the call. ``workers`` also bounds how many
    repositories are indexed at once."""
    ray = require_ray()
    issues: list[ManifestIssue] = []
    if isinstance(manifest, str):
        entries, issues = read_manifest(manifest)
    else:
        entries = list(manifest)
    store = os.path.realpath(store)
    os.makedirs(store, exist_ok=True)
    run_id, started_at, t0 = uuid.uuid4().hex, _now(), time.perf_counter()
    with _store_lock(store):
        with _cluster(ray, address, workers) as cpus:
            limit = max(1, min(workers or cpus, cpus))
            # Ray runs at most `cpus` tasks at once: a second task queued per worker starts the
            # moment one finishes, without a round trip through this driver (which cost ~0.3 s
            # per repository on the loaded 2-core machine). Fewer workers than the cluster has
            # CPUs are a hard bound: nothing queued ahead.
            ahead = limit if workers is None or workers >= cpus else 0
            results = _run(ray, entries, store, run_id, max_files, limit + ahead, progress)
        report = FleetReport(run_id=run_id, store=store, started_at=started_at, seconds=0.0, workers=limit,
                             repos=sorted(results, key=lambda r: r.id), manifest_issues=issues)
        _directory(store, report)
        report.seconds = round(time.perf_counter() - t0, 3)
        write_json_atomic(os.path.join(store, "fleet.json"), report.model_dump(mode="json"))
    return report


def _directory(store: str, report: FleetReport) -> None:
    """Rebuild the symbol directory from every complete shard of the store; a failure (a full
    disk) is reported and leaves the previous directory, which readers use where it is current."""
    from .directory import build_directory
    from .search import Fleet

    t0 = time.perf_counter()
    try:
        with Fleet.open(store) as fleet:
            info = build_directory(store, fleet.manifests())
        report.directory_rows = None if info is None else int(info["rows"])
    except Exception as exc:  # the shards are complete either way
        report.directory_error = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"
    report.directory_seconds = round(time.perf_counter() - t0, 3)


def _run(ray: Any, entries: list[ManifestEntry], store: str, run_id: str, max_files: int, limit: int,
         progress: FleetProgress | None) -> list[RepoResult]:
    """Submit one task per entry (at most ``limit`` submitted and not finished) and collect every
    result."""
    remote = ray.remote(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=False)(index_repository)
    pending = list(reversed(entries))
    running: dict[Any, ManifestEntry] = {}
    results: list[RepoResult] = []
    while pending or running:
        while pending and len(running) < limit:
            entry = pending.pop()
            running[remote.remote(entry, store, run_id, max_files)] = entry
        done, _ = ray.wait(list(running), num_returns=1)
        for ref in done:
            entry = running.pop(ref)
            results.append(_collect(ray, ref, entry, store, run_id))
            if progress is not None:
                progress(results[-1], len(results), len(entries))
    return results


def _collect(ray: Any, ref: Any, entry: ManifestEntry, store: str, run_id: str) -> RepoResult:
    """The task's result; a task Ray gave up on (its worker died every time) as a failure,
    recorded in the repository's ``error.json`` as the task itself would have."""
    try:
        result: RepoResult = ray.get(ref)
        return result
    except Exception as exc:  # RayTaskError, WorkerCrashedError, ObjectLostError, ...
        first = (str(exc).strip().splitlines() or [""])[0]
        error = f"{type(exc).__name__}: {first}"
        folder = os.path.join(store, entry.id)
        with contextlib.suppress(OSError):
            write_json_atomic(os.path.join(folder, "error.json"),
                              {"run_id": run_id, "error": error, "failed_at": _now(), "source": entry.source})
            os.remove(os.path.join(folder, "running.json"))
        return RepoResult(id=entry.id, source=entry.source, ref=entry.ref, status="failed",
                          attempt=MAX_RETRIES + 1, error=error)
