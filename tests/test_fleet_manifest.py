"""The fleet manifest: every line is one repository or one clear error; nothing else stops."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repointel.fleet.manifest import parse_manifest

ROOT = Path(__file__).resolve().parents[1]


def test_paths_urls_options_and_json_lines() -> None:
    text = (
        "# a comment\n\n"
        "/srv/repos/billing\n"
        "../payments id=payments-v2\n"
        "https://github.com/acme/api.git ref=release-3\n"
        "git@github.com:acme/web.git ref=v1.2.0 id=web-stable  # trailing comment\n"
        '{"source": "file:///mirrors/tool", "ref": "0123abcd"}\n'
        "'/srv/with space/docs'\n"
    )
    entries, issues = parse_manifest(text, base="/srv/fleet")
    assert issues == []
    got = [(e.id, e.source, e.ref, e.line, e.is_url) for e in entries]
    assert got == [
        ("billing", "/srv/repos/billing", None, 3, False),
        ("payments-v2", "/srv/payments", None, 4, False),
        ("api", "https://github.com/acme/api.git", "release-3", 5, True),
        ("web-stable", "git@github.com:acme/web.git", "v1.2.0", 6, True),
        ("tool", "file:///mirrors/tool", "0123abcd", 7, True),
        ("docs", "/srv/with space/docs", None, 8, False),
    ]


def test_bad_lines_get_one_line_errors_and_the_rest_is_read() -> None:
    text = (
        "/r/one\n"
        "/r/two rf=main\n"              # unknown option
        "/r/three ref=main\n"           # ref on a local path
        "/x/one\n"                      # id 'one' used twice
        "/r/four id=../../etc\n"        # an id that would leave the store
        "{not json\n"
        '{"source": "/r/five", "branch": "x"}\n'
        "https://h/x.git ref=--upload-pack=evil\n"
        "/r/six id=_checkouts\n"
        "/r/seven\n"
    )
    entries, issues = parse_manifest(text)
    assert [e.id for e in entries] == ["one", "seven"]
    assert [i.line for i in issues] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert all("\n" not in i.error and i.error for i in issues)
    assert "unknown option 'rf=main'" in issues[0].error
    assert "ref= applies to git URLs" in issues[1].error
    assert "already used by line 1" in issues[2].error
    assert "bad repository id" in issues[3].error and "bad repository id" in issues[7].error
    assert "bad ref" in issues[6].error


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60), max_size=20))
def test_every_line_is_an_entry_or_an_issue(lines: list[str]) -> None:
    lines = [ln.replace("\n", " ").replace("\r", " ") for ln in lines]
    text = "\n".join(lines)
    entries, issues = parse_manifest(text, base="/base")
    meaningful = [i for i, ln in enumerate(text.splitlines(), 1) if ln.strip() and not ln.strip().startswith("#")]
    assert sorted([e.line for e in entries] + [i.line for i in issues]) == meaningful
    assert len({e.id for e in entries}) == len(entries)
    for e in entries:
        assert "/" not in e.id and ".." not in e.id and not e.id.startswith(("_", "."))
        assert e.is_url or os.path.isabs(e.source)


def test_without_ray_the_fleet_commands_name_the_install_command(tmp_path: Path) -> None:
    """httpx's way: with the extra missing, `repointel fleet` says what to install."""
    fake = tmp_path / "noray" / "ray"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "noray")}
    manifest = tmp_path / "fleet.txt"
    manifest.write_text(f"{tmp_path}\n")
    run = [sys.executable, "-m", "repointel", "fleet"]
    proc = subprocess.run([*run, "index", str(manifest), "--store", str(tmp_path / "s")], capture_output=True,
                          text=True, env=env, cwd=ROOT)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "Error: MissingExtraError: fleet indexing runs on Ray, which is not installed: "
        "pip install 'repointel[fleet]'")
    assert not (tmp_path / "s").exists()
    helped = subprocess.run([*run, "--help"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert helped.returncode == 0 and "pip install 'repointel[fleet]'" in helped.stdout


def test_fleet_doc_covers_every_command_and_its_cluster_spec_parses() -> None:
    from repointel.fleet.cli import fleet

    text = (ROOT / "docs" / "fleet.md").read_text()
    assert [c for c in fleet.commands if f"repointel fleet {c}" not in text] == []
    assert "pip install 'repointel[fleet]'" in text
    yaml = pytest.importorskip("yaml")  # Ray's dependency
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block is not None
    spec = yaml.safe_load(block.group(1))
    assert spec["kind"] == "RayJob" and spec["spec"]["entrypoint"].startswith("repointel fleet index ")


def test_a_manifest_naming_files_outside_its_folder_is_ignored(tmp_path: Path) -> None:
    from repointel.config import SCHEMA_VERSION
    from repointel.fleet import Fleet

    good = {"repo": "ok", "schema_version": SCHEMA_VERSION, "shard": "ok/abc123",
            "tables": {"symbols": {"file": "symbols.parquet"}}}
    bad = {"escape": {"shard": "escape/../ok/abc123"}, "absolute": {"shard": "/etc"},
           "other": {"shard": "ok/abc123"}, "file": {"tables": {"symbols": {"file": "../../x.parquet"}}},
           "old": {"schema_version": SCHEMA_VERSION - 1}}
    for name, change in {"ok": {}, **bad}.items():
        (tmp_path / name).mkdir()
        manifest = {**good, "repo": name, "shard": f"{name}/abc123", **change}
        (tmp_path / name / "manifest.json").write_text(json.dumps(manifest))
    with Fleet.open(tmp_path) as fleet:
        assert list(fleet.manifests()) == ["ok"]
