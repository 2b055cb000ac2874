"""rescan_paths: the daemon's listing after edits to known files equals a full scan, and anything
it cannot decide alone (a new file, whose ignore status needs the full rules) asks for one."""

from __future__ import annotations

from pathlib import Path

from repointel.scan import rescan_paths, scan

from .conftest import make_git_repo


def test_rescan_matches_a_full_scan_or_declines(tmp_path: Path) -> None:
    root = make_git_repo(tmp_path / "r", {"a.py": "x = 1\n", "pkg/b.py": "y = 2\n", ".gitignore": "*.log\n"})
    before = scan(str(root))
    (root / "a.py").write_text("x = 1\nz = 3\n")  # an edit
    (root / "pkg/b.py").unlink()  # a deletion
    after = rescan_paths(str(root), before, ["a.py", "pkg/b.py", "pkg"])
    assert after is not None and after.entries == scan(str(root)).entries
    assert after.changed == {"a.py", "pkg/b.py"}  # what the indexer must compare with the index
    again = rescan_paths(str(root), before, [".a.py.swp"])  # came and went: nothing to do
    assert again is not None and again.entries == before.entries and again.changed == set()
    (root / "new.py").write_text("n = 1\n")
    assert rescan_paths(str(root), before, ["new.py"]) is None  # new: ignore rules decide
    (root / "debug.log").write_text("ignored\n")
    assert rescan_paths(str(root), before, ["debug.log"]) is None
