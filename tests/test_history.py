"""History from one git log pass, over real repositories built in tmp dirs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from repointel.extract.history import MAX_COCHANGE_FILES, mine_history, parse_log
from repointel.models import HistoryRecord


def _commit(repo: Path, files: dict[str, str], author: str, date: str, delete: tuple[str, ...] = ()) -> None:
    for rel, text in files.items():
        full = repo / rel
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(text)
    for rel in delete:
        (repo / rel).unlink()
    env = {**os.environ, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": f"{author.lower()}@example.com",
           "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": f"{author.lower()}@example.com",
           "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", f"change by {author}"], check=True, env=env)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    _commit(root, {"app/models.py": "1", "app/views.py": "1", "README.md": "1"}, "Alice",
            "2025-01-01T10:00:00+00:00")
    _commit(root, {"app/models.py": "2", "app/views.py": "2"}, "Bob", "2025-02-01T10:00:00+02:00")
    _commit(root, {"app/models.py": "3", "tests/test_models.py": "3"}, "Alice", "2025-03-01T10:00:00+00:00")
    _commit(root, {"app/models.py": "4", "app/views.py": "4"}, "Alice", "2025-04-01T10:00:00+00:00")
    _commit(root, {"README.md": "5"}, "Carol", "2025-05-01T10:00:00-05:00")
    return root


def _by_path(root: Path, **kw: object) -> dict[str, HistoryRecord]:
    return {h.path: h for h in mine_history(str(root), **kw)}  # type: ignore[arg-type]


def test_counts_dates_authors_cochange(repo: Path) -> None:
    recs = _by_path(repo)
    assert sorted(recs) == ["README.md", "app/models.py", "app/views.py", "tests/test_models.py"]
    models = recs["app/models.py"]
    assert models.commits == 4
    assert models.last_change == "2025-04-01T10:00:00Z"
    assert models.authors == [("Alice", 3), ("Bob", 1)]
    assert models.cochange == [("app/views.py", 3), ("README.md", 1), ("tests/test_models.py", 1)]
    assert recs["app/views.py"].cochange[0] == ("app/models.py", 3)
    readme = recs["README.md"]
    assert readme.commits == 2 and readme.last_change == "2025-05-01T15:00:00Z"  # normalised to UTC
    assert readme.authors == [("Alice", 1), ("Carol", 1)]
    assert recs["app/views.py"].last_change == "2025-04-01T10:00:00Z"


def test_window_and_top_k(repo: Path) -> None:
    recs = _by_path(repo, max_commits=2)
    assert sorted(recs) == ["README.md", "app/models.py", "app/views.py"]
    assert recs["app/models.py"].commits == 1
    recs = _by_path(repo, since="2025-03-15")
    assert recs["app/models.py"].commits == 1 and "tests/test_models.py" not in recs
    recs = _by_path(repo, top_k=1, top_authors=1)
    assert recs["app/models.py"].cochange == [("app/views.py", 3)]
    assert recs["app/models.py"].authors == [("Alice", 3)]


def test_deleted_files_are_dropped_unless_named(repo: Path) -> None:
    _commit(repo, {"app/models.py": "6"}, "Dan", "2025-06-01T00:00:00+00:00", delete=("app/views.py",))
    recs = _by_path(repo)
    assert "app/views.py" not in recs
    assert all(p != "app/views.py" for p, _ in recs["app/models.py"].cochange)
    named = _by_path(repo, paths=["app/views.py", "app/models.py"])
    assert sorted(named) == ["app/models.py", "app/views.py"]
    assert named["app/views.py"].commits == 4  # the deleting commit counts


def test_big_commits_count_but_make_no_pairs(repo: Path) -> None:
    many = {f"gen/f{i}.txt": "x" for i in range(MAX_COCHANGE_FILES + 1)}
    _commit(repo, {**many, "app/models.py": "big"}, "Bot", "2025-07-01T00:00:00+00:00")
    recs = _by_path(repo)
    assert recs["app/models.py"].commits == 5
    assert recs["app/models.py"].last_change == "2025-07-01T00:00:00Z"
    assert not any(p.startswith("gen/") for p, _ in recs["app/models.py"].cochange)
    assert recs["gen/f0.txt"].cochange == []
    assert recs["gen/f0.txt"].authors == [("Bot", 1)]


def test_merges_are_skipped(repo: Path) -> None:
    git = ["git", "-C", str(repo)]
    env = {**os.environ, "GIT_AUTHOR_NAME": "M", "GIT_AUTHOR_EMAIL": "m@x", "GIT_COMMITTER_NAME": "M",
           "GIT_COMMITTER_EMAIL": "m@x"}
    subprocess.run([*git, "checkout", "-q", "-b", "side"], check=True, env=env)
    _commit(repo, {"side.py": "1"}, "Erin", "2025-08-01T00:00:00+00:00")
    subprocess.run([*git, "checkout", "-q", "main"], check=True, env=env)
    _commit(repo, {"main.py": "1"}, "Erin", "2025-08-02T00:00:00+00:00")
    subprocess.run([*git, "merge", "-q", "--no-ff", "-m", "merge", "side"], check=True, env=env)
    recs = _by_path(repo)
    assert recs["side.py"].commits == 1 and recs["main.py"].commits == 1
    assert recs["side.py"].cochange == []


def test_non_utf8_and_odd_names(repo: Path) -> None:
    odd = ["sp ace.py", "quo\"te.py", "tab\tname.py", "caf\u00e9.py", "new\nline.py"]
    _commit(repo, dict.fromkeys(odd, "x"), "Zoë", "2025-09-01T00:00:00+00:00")
    raw = os.path.join(os.fsencode(str(repo)), b"latin\xe9.py")
    with open(raw, "wb") as fh:
        fh.write(b"x")
    env = {**os.environ, "GIT_AUTHOR_NAME": "Zoë", "GIT_AUTHOR_EMAIL": "z@x", "GIT_COMMITTER_NAME": "Zoë",
           "GIT_COMMITTER_EMAIL": "z@x"}
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "latin"], check=True, env=env)
    recs = _by_path(repo)
    for name in odd:
        assert recs[name].commits == 1, name
        assert recs[name].authors == [("Zoë", 1)]
    assert recs["latin\\xe9.py"].commits == 1  # decoded exactly like the scanner does


def test_subdirectory_root_reports_relative_paths(repo: Path) -> None:
    recs = _by_path(repo / "app")
    assert sorted(recs) == ["models.py", "views.py"]
    assert recs["models.py"].cochange == [("views.py", 3)]


def test_not_a_repo_empty_repo_and_no_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert mine_history(str(plain)) == []
    empty = tmp_path / "empty"
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    assert mine_history(str(empty)) == []
    assert mine_history(str(tmp_path / "missing")) == []
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert mine_history(str(plain)) == []


def test_parse_log_handles_commits_without_files() -> None:
    data = (b"\x1eaaa\x002025-01-01T00:00:00+00:00\x00A\x00"
            b"\x1ebbb\x002025-01-02T00:00:00+01:00\x00B\x00\nx.py\x00\nweird.py\x00")
    commits = list(parse_log(data))
    assert [c.sha for c in commits] == ["aaa", "bbb"]
    assert commits[0].paths == []
    assert commits[1].paths == [b"x.py", b"\nweird.py"] and commits[1].date == "2025-01-01T23:00:00Z"
