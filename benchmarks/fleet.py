"""Fleet indexing on Ray against serial indexing, and fleet queries over 100+ and 10,000 shards.

    python benchmarks/fleet.py [--repos /work/fleetrepos] [--count 120] [--work /work/fleetbench]

1. ``--count`` real repositories: checkouts of flask and requests (bare mirrors under
   ``/work/.mirror``) at commits spread over their last 1,200 first-parent commits, cloned with
   ``git clone --shared`` into ``--repos`` (made once, reused; never inside the project).
2. The same manifest indexed four times into fresh stores, in one run: serially in this process
   (``index_repository`` one after the other, no Ray), by ``index_fleet`` on a local Ray
   cluster of 1 and then 2 CPUs (each cluster started before its clock starts; the run's own
   worker start-up is inside it), and serially again (the shared machine's load drifts within a
   run). The table gives repositories per second and the scaling ratio.
3. ``fleet find`` / ``fleet query`` / ``fleet dependents`` / ``fleet context`` latency over the
   2-CPU store (cold: the first call opens the shard views; warm: the median of five).
4. A synthetic store of 10,000 repositories: the real shards of the tables those commands read
   (symbols, imports, owners, files), copied round-robin with each copy's ``repo`` column
   rewritten, plus a manifest per repository; its symbol directory built (timed), and the same
   commands timed over it. "find from the shards alone" is the same lookup without the
   directory: the baseline it replaces.

The machine's load average is printed with every phase: the 2 cores are shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from repointel.fleet import Fleet, index_fleet  # noqa: E402
from repointel.fleet.directory import DIRECTORY, build_directory  # noqa: E402
from repointel.fleet.manifest import read_manifest  # noqa: E402
from repointel.fleet.task import index_repository, write_json_atomic  # noqa: E402

MIRRORS = {"flask": "/work/.mirror/pallets+flask/repo", "requests": "/work/.mirror/psf+requests/repo"}
#: Commits between two checkouts of one project: 20 spreads 60 checkouts over 1,200 commits
#: (about four years of flask), so the trees differ as a fleet's repositories do in size.
STRIDE = 20
#: Tables the timed commands read; the synthetic store holds these.
SYNTHETIC_TABLES = ("symbols", "imports", "owners", "files")
TASK = "Blueprint url_prefix is ignored when registering a nested blueprint twice"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def make_checkouts(repos: Path, count: int) -> list[Path]:
    """``count`` checkouts (half flask, half requests) under ``repos``."""
    repos.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    per = (count + 1) // 2
    for name, mirror in MIRRORS.items():
        commits = subprocess.run(["git", "-C", mirror, "rev-list", "--first-parent", f"-n{per * STRIDE}", "HEAD"],
                                 check=True, capture_output=True, text=True).stdout.split()[::STRIDE][:per]
        for i, commit in enumerate(commits):
            path = repos / f"{name}-{i:02d}"
            if not (path / ".git").is_dir():
                subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", mirror, str(path)], check=True)
                subprocess.run(["git", "-C", str(path), "checkout", "-q", "--detach", commit], check=True)
            out.append(path)
    return out[:count]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def run_serial(manifest: Path, store: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the tasks) indexing one repository after the other."""
    entries, _ = read_manifest(str(manifest))
    run_id = uuid.uuid4().hex
    t, cpu = time.perf_counter(), 0.0
    for entry in entries:
        result = index_repository(entry, str(store), run_id)
        assert result.status == "indexed", result
        cpu += result.cpu_seconds
    return time.perf_counter() - t, cpu


def run_ray(manifest: Path, store: Path, cpus: int) -> tuple[float, float, float]:
    """(cluster start seconds, run seconds, CPU seconds of the tasks) on a local cluster of
    ``cpus`` CPUs."""
    import logging

    import ray

    start, _ = timed(lambda: ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False,
                                      logging_level=logging.WARNING, configure_logging=False))
    try:
        seconds, report = timed(lambda: index_fleet(str(manifest), str(store)))
        assert report.ok and report.count("indexed") == len(report.repos), report.repos
    finally:
        ray.shutdown()
    return start, seconds, sum(r.cpu_seconds for r in report.repos)


def latencies(store: Path) -> dict[str, tuple[float, float]]:
    """(cold, warm median) seconds of each fleet question over ``store``."""
    questions: dict[str, Callable[[Fleet], Any]] = {
        "fleet find Flask": lambda f: f.find("Flask"),
        "fleet find Flask.wsgi_app (qualified)": lambda f: f.find("Flask.wsgi_app"),
        "find Flask from the shards alone (no directory)": lambda f: f.query(
            "SELECT repo, path FROM symbols WHERE name = 'Flask'"),
        "fleet find (no match)": lambda f: f.find("NoSuchSymbolAnywhere"),
        "fleet dependents werkzeug": lambda f: f.dependents("werkzeug"),
        "fleet owners": lambda f: f.owners(),
        "fleet query (symbols per repo)": lambda f: f.query("SELECT repo, count(*) FROM symbols GROUP BY repo"),
        "fleet query (files by language)": lambda f: f.query(
            "SELECT language, count(*), sum(size) FROM files GROUP BY language"),
    }
    out = {}
    for name, ask in questions.items():
        with Fleet.open(store) as fleet:
            cold, _ = timed(lambda: ask(fleet))  # noqa: B023
            warm = statistics.median(timed(lambda: ask(fleet))[0] for _ in range(5))  # noqa: B023
        out[name] = (cold, warm)
    return out


def shard_figures(store: Path) -> dict[str, float]:
    """Per-repository means: shard bytes, rows, files in the work tree, incremental index bytes."""
    manifests = [json.loads(p.read_text()) for p in store.glob("*/manifest.json")]
    index = [(store / m["repo"] / "index.duckdb").stat().st_size for m in manifests]
    return {
        "repos": len(manifests),
        "shard_files": statistics.mean(len(m["tables"]) for m in manifests),
        "shard_bytes": statistics.mean(m["bytes"] for m in manifests),
        "rows": statistics.mean(m["rows"] for m in manifests),
        "files": statistics.mean(m["files"] for m in manifests),
        "index_bytes": statistics.mean(index),
        "symbols_bytes": statistics.mean(m["tables"]["symbols"]["bytes"] for m in manifests),
    }


def make_synthetic(real: Path, dst: Path, n: int) -> float:
    """``n`` repositories made of the real shards, round-robin, each with its own repo id."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if (dst / "done").exists():
        return float((dst / "done").read_text())
    shutil.rmtree(dst, ignore_errors=True)
    templates = []
    for m in sorted((json.loads(p.read_text()) for p in real.glob("*/manifest.json")), key=lambda m: m["repo"]):
        tables = {t: pq.read_table(real / m["shard"] / f"{t}.parquet") for t in SYNTHETIC_TABLES}
        templates.append((m, tables))
    t0 = time.perf_counter()
    for k in range(n):
        m, tables = templates[k % len(templates)]
        repo = f"syn{k:05d}"
        shard = dst / repo / m["commit"]
        shard.mkdir(parents=True)
        info = {}
        for name, table in tables.items():
            table = table.set_column(0, "repo", pa.array([repo] * table.num_rows, pa.string()))
            pq.write_table(table, shard / f"{name}.parquet", compression="zstd")
            info[name] = {"file": f"{name}.parquet", "rows": table.num_rows,
                          "bytes": (shard / f"{name}.parquet").stat().st_size}
        write_json_atomic(str(dst / repo / "manifest.json"), {
            **{k2: v for k2, v in m.items() if k2 not in ("repo", "shard", "tables", "rows", "bytes")},
            "repo": repo, "shard": f"{repo}/{m['commit']}", "tables": info,
            "rows": sum(i["rows"] for i in info.values()), "bytes": sum(i["bytes"] for i in info.values())})
    seconds = time.perf_counter() - t0
    (dst / "done").write_text(str(seconds))
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repos", type=Path, default=Path("/work/fleetrepos"))
    ap.add_argument("--count", type=int, default=120)
    ap.add_argument("--work", type=Path, default=Path("/work/fleetbench"))
    ap.add_argument("--synthetic", type=int, default=10_000)
    ap.add_argument("--skip-index", action="store_true", help="Reuse the stores of the last run.")
    args = ap.parse_args()
    checkouts = make_checkouts(args.repos, args.count)
    args.work.mkdir(parents=True, exist_ok=True)
    manifest = args.work / "fleet.txt"
    manifest.write_text("".join(f"{p}\n" for p in checkouts))
    print(f"{len(checkouts)} repositories; {os.cpu_count()} CPUs; {load()}", flush=True)

    rows: list[tuple[str, str, str]] = []
    stores = {mode: args.work / f"store-{mode}" for mode in ("serial", "ray1", "ray2")}
    if not args.skip_index:
        for store in stores.values():
            shutil.rmtree(store, ignore_errors=True)
        serial, serial_cpu = run_serial(manifest, stores["serial"])
        print(f"serial: {serial:.1f}s; {load()}", flush=True)
        start1, ray1, ray1_cpu = run_ray(manifest, stores["ray1"], 1)
        print(f"ray 1 CPU: {ray1:.1f}s (+{start1:.1f}s cluster start); {load()}", flush=True)
        start2, ray2, ray2_cpu = run_ray(manifest, stores["ray2"], 2)
        print(f"ray 2 CPUs: {ray2:.1f}s (+{start2:.1f}s cluster start); {load()}", flush=True)
        shutil.rmtree(args.work / "store-serial2", ignore_errors=True)
        serial2, serial2_cpu = run_serial(manifest, args.work / "store-serial2")  # the load drifts
        print(f"serial again: {serial2:.1f}s; {load()}", flush=True)
        n = len(checkouts)

        def cpu(total: float, wall: float) -> str:  # the CPUs the tasks actually got, on average
            return f"task CPU {total:.0f} s = {total / wall:.2f} CPUs busy"

        rows += [
            ("serial (one process, no Ray)", f"{serial:.1f} s; {cpu(serial_cpu, serial)}", f"{n / serial:.2f} repos/s"),
            ("Ray, 1 CPU", f"{ray1:.1f} s (+{start1:.1f} s start); {cpu(ray1_cpu, ray1)}", f"{n / ray1:.2f} repos/s"),
            ("Ray, 2 CPUs", f"{ray2:.1f} s (+{start2:.1f} s start); {cpu(ray2_cpu, ray2)}", f"{n / ray2:.2f} repos/s"),
            ("serial again, after the Ray runs", f"{serial2:.1f} s; {cpu(serial2_cpu, serial2)}",
             f"{n / serial2:.2f} repos/s"),
            ("scaling: 2 CPUs / 1 CPU (wall)", "", f"{ray1 / ray2:.2f}x"),
            ("scaling: 2 CPUs / 1 CPU (CPUs the tasks got)", "", f"{ray2_cpu / ray2 / (ray1_cpu / ray1):.2f}x"),
            ("Ray 2 CPUs / serial (mean of both)", "", f"{(serial + serial2) / 2 / ray2:.2f}x"),
        ]
    figures = shard_figures(stores["ray2"])
    for name, (cold, warm) in latencies(stores["ray2"]).items():
        rows.append((f"{name} over {figures['repos']:.0f} repos", f"cold {cold * 1000:.0f} ms", f"warm {warm * 1000:.0f} ms"))
    with Fleet.open(stores["ray2"]) as fleet:
        cold, packet = timed(lambda: fleet.context(TASK, budget=8192))
    rows.append((f"fleet context --budget 8192 over {figures['repos']:.0f} repos", f"{cold * 1000:.0f} ms",
                 f"picked {packet.repo}, {packet.tokens.used} tokens"))
    print(f"queries done; {load()}", flush=True)

    synthetic = args.work / f"synthetic-{args.synthetic}"
    made = make_synthetic(stores["ray2"], synthetic, args.synthetic)
    print(f"synthetic store of {args.synthetic} repositories written in {made:.0f}s; {load()}", flush=True)
    with Fleet.open(synthetic) as fleet:
        shutil.rmtree(synthetic / DIRECTORY, ignore_errors=True)
        built, info = timed(lambda: build_directory(str(synthetic), fleet.manifests()))
    size = (synthetic / DIRECTORY / info["file"]).stat().st_size
    rows.append((f"symbol directory build over {args.synthetic} repos", f"{built:.1f} s",
                 f"{info['rows']:,} definitions, {size / 1e6:.0f} MB"))
    print(f"directory built in {built:.1f}s; {load()}", flush=True)
    for name, (cold, warm) in latencies(synthetic).items():
        rows.append((f"{name} over {args.synthetic} repos (synthetic)", f"cold {cold * 1000:.0f} ms",
                     f"warm {warm * 1000:.0f} ms"))
    syn_bytes = sum(p.stat().st_size for p in synthetic.rglob("*.parquet"))
    print()
    print(f"| measure ({len(checkouts)} repositories; {load()}) | time | rate |")
    print("| --- | --- | --- |")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")
    print()
    print("per repository (means): " + ", ".join(f"{k} {v:,.0f}" for k, v in figures.items()))
    print(f"synthetic store: {args.synthetic} repositories, {len(SYNTHETIC_TABLES)} tables each, "
          f"{syn_bytes / 1e9:.2f} GB of Parquet")


if __name__ == "__main__":
    main()
