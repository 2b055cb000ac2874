"""Globs from repository files (.gitignore, .repointelignore, CODEOWNERS) are untrusted: they
match as the plain translation would, without its exponential backtracking."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from repointel.scan import globstar_regex, star_segment_regex

from .conftest import make_git_repo, run_cli

_PIECES = st.lists(st.sampled_from(["a", "b", "ab", "[^/]", "a[^/]", ""]), min_size=1, max_size=6)
_SEGMENT = st.text("ab", max_size=8)


@settings(max_examples=400, deadline=None)
@given(_PIECES, st.lists(_SEGMENT, min_size=1, max_size=2))
def test_star_segments_match_as_the_plain_translation(chunks: list[str], segs: list[str]) -> None:
    """``a*b*ab`` matches exactly what ``a[^/]*b[^/]*ab`` matches."""
    safe = re.compile(star_segment_regex(chunks, itertools.count()))
    plain = re.compile("[^/]*".join(chunks))
    text = "/".join(segs)
    assert bool(safe.fullmatch(text)) == bool(plain.fullmatch(text))


_RUN = st.lists(st.sampled_from(["a", "b", "[^/]*a", "[^/]"]), min_size=1, max_size=2).map(
    lambda segs: "/".join(segs))


@settings(max_examples=400, deadline=None)
@given(st.lists(_RUN, min_size=1, max_size=4), st.lists(st.sampled_from(["a", "b", "ba", "ab"]),
                                                         min_size=1, max_size=7))
def test_globstar_runs_match_as_the_plain_translation(runs: list[str], segs: list[str]) -> None:
    """``a/**/b/**/a`` matches exactly what ``a/(?:.*/)?b/(?:.*/)?a`` matches."""
    groups = [r + "/" for r in runs[:-1]] + [runs[-1]]
    safe = re.compile(globstar_regex(groups, itertools.count()))
    plain = re.compile("(?:.*/)?".join(groups))
    path = "/".join(segs)
    assert bool(safe.fullmatch(path)) == bool(plain.fullmatch(path))


def test_hostile_ignore_and_codeowners_patterns_index_promptly(tmp_path: Path) -> None:
    """A pattern of 25 wildcards against a 100-character name: the plain translation would
    backtrack for hours. As an ignore rule, an ownership rule and a workspace glob, the index
    completes (the subprocess would time out otherwise) and each rule applies as written."""
    hostile = "*a" * 25 + "*c"
    long_name = "a" * 100
    root = make_git_repo(tmp_path / "r", {
        ".repointelignore": f"{hostile}\n", "CODEOWNERS": f"{hostile} @hostile\n* @everyone\n",
        "package.json": json.dumps({"name": "root", "workspaces": [f"packages/{hostile}"]}),
        f"packages/{long_name}/package.json": json.dumps({"name": "member"}),
        f"src/{long_name}.py": "def f():\n    return 1\n", f"src/{long_name}c": "ignored\n",
    })
    run_cli("index", str(root), "--json", timeout=120)
    listed = json.loads(run_cli("files", "--repo", str(root), "--json", timeout=60).stdout)["result"]
    paths = {f["path"] for f in listed}
    assert f"src/{long_name}.py" in paths and f"src/{long_name}c" not in paths
    owners = json.loads(run_cli("owners", "--repo", str(root), "--json", f"src/{long_name}.py",
                                timeout=60).stdout)
    assert "@everyone" in json.dumps(owners) and "@hostile" not in json.dumps(owners)
