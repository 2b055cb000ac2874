"""Fleets on a real local Ray cluster (2 CPUs, one per session) over real git repositories: the
shards equal serial indexing table for table, a killed worker is retried, bad repositories are
reported while the rest finish, and the shards answer SQL, symbols, dependents, owners and tasks."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from repointel import QueryError, Repo
from repointel.fleet import Fleet, index_fleet
from repointel.fleet.manifest import parse_manifest
from repointel.fleet.models import FleetReport, ManifestEntry
from repointel.fleet.task import index_repository, read_json
from repointel.store import TABLES, IndexStore
from repointel.tokens import get_tokenizer

from .conftest import git, make_git_repo, run_cli, write_files

ray = pytest.importorskip("ray")

#: (topic, class name, external packages its code imports) of the small repositories.
TOPICS = [
    ("billing", "InvoiceLedger", ["requests"]), ("payments", "CardCharger", ["requests", "stripe"]),
    ("search", "QueryPlanner", ["numpy"]), ("auth", "TokenIssuer", ["jwt"]), ("mail", "MailQueue", []),
    ("metrics", "CounterVec", ["numpy"]), ("geo", "TileCache", ["shapely"]), ("chat", "RoomBroker", ["requests"]),
    ("media", "ThumbnailMaker", ["PIL"]), ("audit", "TrailWriter", []), ("cart", "BasketPricer", ["requests"]),
    ("catalog", "SkuIndexer", []), ("ship", "ParcelRouter", ["requests"]), ("tax", "VatCalculator", []),
    ("crm", "LeadScorer", ["numpy"]), ("docs", "PageRenderer", ["markdown"]), ("feed", "StoryRanker", []),
    ("game", "ScoreBoard", []), ("iot", "SensorPoller", ["serial"]), ("ml", "ModelTrainer", ["numpy", "torch"]),
]


def _files(i: int, topic: str, cls: str, packages: list[str]) -> dict[str, str | bytes]:
    imports = "".join(f"import {p}\n" for p in packages)
    files: dict[str, str | bytes] = {
        f"src/{topic}/__init__.py": f"from .core import {cls}\n",
        f"src/{topic}/core.py": (
            f"{imports}\n\nclass {cls}:\n    \"\"\"The {topic} service: {topic} records and their totals.\"\"\"\n\n"
            f"    def handle_{topic}(self, amount: int) -> int:\n        return amount * {i + 2}\n\n\n"
            f"def shared_helper(x):\n    return x + {i}\n"),
        f"tests/test_{topic}.py": (
            f"from src.{topic}.core import {cls}\n\n\ndef test_{topic}():\n"
            f"    assert {cls}().handle_{topic}(1) == {i + 2}\n"),
        "CODEOWNERS": f"* @acme/{topic}-team\n/tests/ @acme/qa\n",
        "README.md": f"# {topic}\n\nThe {topic} service of acme.\n",
    }
    if i % 3 == 0:
        files[f"web/{topic}.js"] = f"import _ from 'lodash';\nexport function {topic}View(x) {{ return _.map(x); }}\n"
    if i % 4 == 0:
        files["go.mod"] = f"module example.com/{topic}\n\ngo 1.21\n\nrequire github.com/gin-gonic/gin v1.9.0\n"
        files["main.go"] = ('package main\n\nimport "github.com/gin-gonic/gin"\n\n'
                            f"func {cls}Server() {{ gin.Default() }}\n")
    return files


def _make_repo(root: Path, i: int) -> Path:
    topic, cls, packages = TOPICS[i]
    repo = make_git_repo(root / topic, _files(i, topic, cls, packages))
    write_files(repo, {f"src/{topic}/extra.py": f"from .core import {cls}\n\nEXTRA = {cls}\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "second")
    return repo


def _make_big(root: Path) -> Path:
    """A repository that takes a worker a few seconds: time to kill it mid-task."""
    files: dict[str, str | bytes] = {}
    for n in range(500):
        body = "".join(f"    def method_{k}(self, value):\n        return value + {k}  # {n}\n\n" for k in range(25))
        files[f"pkg/mod_{n:03d}.py"] = f"import os\n\n\nclass Big{n}:\n{body}"
    return make_git_repo(root / "big", files)


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """One local Ray cluster for every fleet test: 2 CPUs, no dashboard, loopback only."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1",
             object_store_memory=100 * 1024 * 1024, configure_logging=False)
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def fleet_repos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ManifestEntry]]:
    """Twenty small repositories and two git URLs (file://) of them at a branch and a tag."""
    root = tmp_path_factory.mktemp("fleet")
    repos = [_make_repo(root / "repos", i) for i in range(len(TOPICS))]
    git(repos[0], "tag", "v1", "HEAD~1")
    lines = [str(r) for r in repos]
    lines += [f"file://{repos[0]} ref=v1 id=billing-v1", f"file://{repos[1]} ref=main id=payments-main"]
    entries, issues = parse_manifest("\n".join(lines))
    assert issues == [] and len(entries) == 22
    return root, entries


@pytest.fixture(scope="module")
def indexed(ray_cluster: Any, fleet_repos: tuple[Path, list[ManifestEntry]]) -> tuple[Path, FleetReport]:
    root, entries = fleet_repos
    store = root / "store"
    report = index_fleet(entries, str(store))
    return store, report


def _root_of(store: Path, repo: str) -> str:
    manifest = read_json(str(store / repo / "manifest.json"))
    assert manifest is not None
    return str(manifest["root"])


def _assert_equal_to_serial(store: Path, repo: str, scratch: Path) -> None:
    """Every table of ``repo``'s shard equals a serial index of the same work tree."""
    manifest = read_json(str(store / repo / "manifest.json"))
    assert manifest is not None
    db = scratch / f"serial-{repo}.duckdb"
    with Repo.open(manifest["root"], index_path=str(db)) as serial:
        serial.index(workers=1)
    index = IndexStore(str(db), read_only=True)
    try:
        assert manifest["commit"] == index.meta()["commit"]
        for table in TABLES:
            shard = store / manifest["shard"] / f"{table}.parquet"
            con = duckdb.connect()
            got = con.execute("SELECT * EXCLUDE repo FROM read_parquet(?) ORDER BY ALL", [str(shard)]).fetchall()
            repos = con.execute("SELECT DISTINCT repo FROM read_parquet(?)", [str(shard)]).fetchall()
            con.close()
            assert got == index.table(table), f"{repo}.{table}"
            assert repos in ([], [(repo,)])
            assert manifest["tables"][table]["rows"] == len(got)
    finally:
        index.close()


def _assert_no_partial_shards(store: Path) -> None:
    """Every manifest names whole, readable shard files, and no temporary file is left."""
    leftovers = [p for p in store.rglob("*") if ".tmp-" in p.name and "_checkouts" not in p.parts]
    assert leftovers == []
    for manifest_path in store.glob("*/manifest.json"):
        manifest = json.loads(manifest_path.read_text())
        for table, info in manifest["tables"].items():
            path = store / manifest["shard"] / info["file"]
            assert path.stat().st_size == info["bytes"], table
            con = duckdb.connect()
            rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchall()
            con.close()
            assert rows == [(info["rows"],)]


def test_shards_equal_serial_indexing(indexed: tuple[Path, FleetReport], tmp_path: Path) -> None:
    store, report = indexed
    assert report.ok and report.count("indexed") == 22, report.repos
    with Fleet.open(store) as fleet:  # the symbol directory holds every shard's definitions
        counted = fleet.query("SELECT (SELECT count(*) FROM symbol_directory), (SELECT count(*) FROM symbols)")
        assert counted["rows"] == [[report.directory_rows, report.directory_rows]] and report.directory_rows
    for result in report.repos:
        _assert_equal_to_serial(store, result.id, tmp_path)
    tagged = {r.id: r for r in report.repos}
    assert tagged["billing-v1"].commit != tagged["billing"].commit  # the tag is the first commit
    assert tagged["payments-main"].commit == tagged["payments"].commit
    assert (store / "_checkouts" / "billing-v1" / ".git").is_dir()
    _assert_no_partial_shards(store)
    assert json.loads((store / "fleet.json").read_text())["run_id"] == report.run_id


def test_find_dependents_owners_and_sql(indexed: tuple[Path, FleetReport]) -> None:
    store, _ = indexed
    with Fleet.open(store) as fleet:
        hits = fleet.find("InvoiceLedger")
        assert [(h.repo, h.path, h.kind) for h in hits] == [
            ("billing", "src/billing/core.py", "class"), ("billing-v1", "src/billing/core.py", "class")]
        assert {h.repo for h in fleet.find("shared_helper")} == {r.id for r in fleet.repos()}
        deps = fleet.dependents("requests")
        expected = {t for t, _, p in TOPICS if "requests" in p} | {"payments-main", "billing-v1"}
        assert {d.repo for d in deps} == expected
        assert all(d.paths and d.files >= 1 for d in deps)
        assert {d.repo for d in fleet.dependents("github.com/gin-gonic/gin")} == \
            {TOPICS[i][0] for i in range(0, 20, 4)} | {"billing-v1"}
        owners = {(o.repo, o.owner) for o in fleet.owners()}
        assert ("tax", "@acme/tax-team") in owners and ("tax", "@acme/qa") in owners
        qa = fleet.owners("@ACME/qa")
        assert len(qa) == 22 and all(o.paths[0].startswith("tests/") for o in qa)
        torch_owners = fleet.owners(package="torch")
        assert [(o.repo, o.owner, o.paths) for o in torch_owners] == [("ml", "@acme/ml-team", ["src/ml/core.py"])]
        result = fleet.query("SELECT repo, count(*) AS n FROM symbols GROUP BY repo ORDER BY repo")
        assert result["columns"] == ["repo", "n"] and len(result["rows"]) == 22 and result["repos"] == 22
        assert fleet.query("SELECT count(*) FROM repos WHERE NOT dirty")["rows"] == [[22]]
        shard = store / str(read_json(str(store / "billing" / "manifest.json"))["shard"])  # type: ignore[index]
        for bad in ("DELETE FROM symbols", "SELECT * FROM read_text('/etc/passwd')",
                    f"SELECT * FROM read_text('{store}/billing/index.duckdb')",
                    f"SELECT * FROM read_text('{shard}/../index.duckdb')",
                    f"SELECT * FROM read_text('{shard}/../../_checkouts/billing-v1/src/billing/core.py')",
                    f"SELECT * FROM glob('{store}/*')", "SELECT 1; SELECT 2"):
            with pytest.raises(QueryError):
                fleet.query(bad)


def test_context_picks_the_repository_and_fits_the_budget(indexed: tuple[Path, FleetReport]) -> None:
    store, _ = indexed
    task = "VatCalculator returns the wrong total for the tax of a refunded order"
    with Fleet.open(store) as fleet:
        assert fleet.candidates(task)[0].repo == "tax"
        for fmt in ("markdown", "json"):
            packet = fleet.context(task, budget=1500, fmt=fmt)
            assert packet.repo == "tax" and packet.source == _root_of(store, "tax")
            assert packet.packet.repository == "tax"
            assert any(i.path == "src/tax/core.py" for i in packet.packet.items)
            used = get_tokenizer().count(packet.text)
            assert used == packet.tokens.used <= 1500
        assert packet.text.startswith('{"fleet": {"repo": "tax"')
        assert json.loads(packet.text)["packet"]["items"]
        chosen = fleet.context(task, budget=1500, repo="geo")
        assert chosen.repo == "geo" and chosen.text.startswith("# Fleet context: repository geo")


def test_rerun_skips_unchanged_heads_and_resumes(ray_cluster: Any, tmp_path: Path) -> None:
    repos = [_make_repo(tmp_path / "repos", i) for i in range(3)]
    entries, _ = parse_manifest("\n".join(map(str, repos)))
    store = tmp_path / "store"
    first = index_fleet(entries, str(store))
    assert first.count("indexed") == 3
    again = index_fleet(entries, str(store))
    assert [r.status for r in again.repos] == ["skipped"] * 3
    assert [r.shard for r in again.repos] == [r.shard for r in first.repos]
    old_shard = store / first.repos[0].shard  # type: ignore[operator]
    for n in range(2):  # two commits: the previous shard stays one generation, then goes
        write_files(repos[0], {"src/billing/core.py": f"class InvoiceLedger:\n    VERSION = {n}\n"})
        git(repos[0], "commit", "-q", "-am", f"edit {n}")
        moved = {r.id: r for r in index_fleet(entries, str(store)).repos}
        assert moved["billing"].status == "indexed" and moved["payments"].status == "skipped"
        assert moved["billing"].parsed == 1  # incremental: the one edited file
        assert old_shard.exists() == (n == 0)
    # a shard written without rebuilding the symbol directory (one task alone): find reads that
    # repository's shard, not its outdated directory rows
    write_files(repos[0], {"src/billing/core.py": "class FreshName:\n    pass\n"})
    git(repos[0], "commit", "-q", "-am", "rename")
    assert index_repository(entries[0], str(store), "one-task").status == "indexed"
    with Fleet.open(store) as fleet:
        assert [h.repo for h in fleet.find("FreshName")] == ["billing"]
        assert fleet.find("InvoiceLedger") == [] and {h.repo for h in fleet.find("shared_helper")} == {"payments", "search"}
        in_directory = fleet.query("SELECT count(*) FROM symbol_directory WHERE name = 'InvoiceLedger'")
        assert in_directory["rows"] == [[1]]  # still there, and left out
    write_files(repos[1], {"dirty.py": "X = 1\n"})  # uncommitted work: indexed, never skipped
    dirty = {r.id: r for r in index_fleet(entries, str(store)).repos}["payments"]
    assert dirty.status == "indexed" and dirty.dirty and dirty.shard and dirty.commit
    assert dirty.shard.split("/")[1].startswith(dirty.commit + "-dirty-")
    _assert_no_partial_shards(store)


def test_failing_repositories_are_reported_and_the_rest_finish(ray_cluster: Any, tmp_path: Path) -> None:
    good = [_make_repo(tmp_path / "repos", i) for i in range(4)]
    corrupt = _make_repo(tmp_path / "repos", 4)
    (corrupt / ".git").rename(corrupt / "git-moved")
    (corrupt / ".git").write_text(f"gitdir: {tmp_path}/nowhere\n")  # a .git git cannot read
    unreadable = _make_repo(tmp_path / "repos", 5)
    os.chmod(unreadable, 0)
    manifest = tmp_path / "fleet.txt"
    manifest.write_text("\n".join([*map(str, good), str(corrupt), str(unreadable), str(tmp_path / "missing"),
                                   f"{good[0]} bogus=1", f"{good[1]}"]) + "\n")
    store = tmp_path / "store"
    try:
        report = index_fleet(str(manifest), str(store))
    finally:
        os.chmod(unreadable, 0o755)
    by_id = {r.id: r for r in report.repos}
    assert [by_id[t].status for t in ("billing", "payments", "search", "auth")] == ["indexed"] * 4
    assert "corrupt git repository" in (by_id["mail"].error or "")
    assert "missing: no directory" in (by_id["missing"].error or "")
    if os.geteuid() != 0:  # root reads any folder
        assert by_id["metrics"].status == "failed" and by_id["metrics"].error
    assert [(i.line, i.error.split(" (")[0]) for i in report.manifest_issues] == [
        (8, "unknown option 'bogus=1'"), (9, "repository id 'payments' is already used by line 2: give this line "
                                          "its own id=NAME")]
    assert not report.ok
    with Fleet.open(store) as fleet:
        listed = {r.id: r for r in fleet.repos()}
        assert listed["mail"].error and listed["mail"].shard is None
        assert len(fleet.find("shared_helper")) == len(fleet.manifests())
    (corrupt / ".git").unlink()
    (corrupt / "git-moved").rename(corrupt / ".git")
    resumed = {r.id: r for r in index_fleet(str(manifest), str(store)).repos}
    assert resumed["mail"].status == "indexed" and resumed["billing"].status == "skipped"
    assert not (store / "mail" / "error.json").exists()
    too_big = index_fleet(str(manifest), str(tmp_path / "small-store"), max_files=5)
    assert all(r.status == "failed" for r in too_big.repos)
    assert "too large: 7 files (the limit is 5" in (too_big.repos[0].error or "")


def test_killed_worker_is_retried_and_the_result_is_the_same(ray_cluster: Any, tmp_path: Path) -> None:
    repos = [_make_repo(tmp_path / "repos", i) for i in range(3)] + [_make_big(tmp_path / "repos")]
    entries, _ = parse_manifest("\n".join(map(str, repos)))
    store = tmp_path / "store"
    killed: dict[str, Any] = {}

    def kill_big_once() -> None:
        """SIGKILL the worker running the big repository's first attempt once its index run began
        (the index file exists: seconds of parsing and the export are still ahead)."""
        marker = store / "big" / "running.json"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            running = read_json(str(marker))
            if running and running["attempt"] == 1 and (store / "big" / "index.duckdb").exists():
                os.kill(running["pid"], signal.SIGKILL)
                killed.update(running)
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_big_once)
    killer.start()
    report = index_fleet(entries, str(store))
    killer.join()
    big = {r.id: r for r in report.repos}["big"]
    assert killed and big.status == "indexed" and big.attempt == 2, (killed, big)
    assert report.count("indexed") == 4
    _assert_no_partial_shards(store)
    for repo in ("big", "billing"):
        _assert_equal_to_serial(store, repo, tmp_path)


def test_cli_runs_on_an_existing_cluster(ray_cluster: Any, tmp_path: Path) -> None:
    repos = [_make_repo(tmp_path / "repos", i) for i in (2, 3)]
    manifest = tmp_path / "fleet.txt"
    manifest.write_text(f"{repos[0]}\n{repos[1]} ref=main\n")
    store = tmp_path / "store"
    address = ray_cluster.get_runtime_context().gcs_address
    proc = run_cli("fleet", "index", str(manifest), "--store", str(store), "--address", address, check=False)
    assert proc.returncode == 1, proc.stderr
    assert f"{manifest}:2: ref= applies to git URLs" in proc.stderr
    assert "[1/1] search: indexed" in proc.stderr
    assert proc.stdout.startswith("1 repositories: 1 indexed, 0 unchanged, 0 failed; 1 bad manifest lines")
    found = run_cli("fleet", "find", "QueryPlanner", "--store", str(store), "--json")
    assert [h["repo"] for h in json.loads(found.stdout)] == ["search"]
    text = run_cli("fleet", "context", "QueryPlanner is slow", "--store", str(store), "--budget", "800").stdout
    assert text.startswith("# Fleet context: repository search") and get_tokenizer().count(text) <= 800
    bad = run_cli("fleet", "query", "DROP TABLE files", "--store", str(store), check=False)
    assert bad.returncode == 1 and bad.stderr.strip().startswith("Error: QueryError:")
    missing = run_cli("fleet", "find", "x", "--store", str(tmp_path / "nope"), check=False)
    assert missing.returncode == 1 and "no fleet store" in missing.stderr
