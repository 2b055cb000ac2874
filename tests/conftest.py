"""Shared test helpers: real git repositories in tmp dirs, CLI subprocess runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author", "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity; returns stdout."""
    env = {**os.environ, **GIT_ENV}
    out = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)
    return out.stdout.decode()


def make_git_repo(path: Path, files: dict[str, str | bytes]) -> Path:
    """Create a git repository at ``path`` holding ``files`` in one commit."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    write_files(path, files)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def java_source(package: str, declaration: str, *members: str) -> str:
    """A Java file: ``package``, then ``declaration`` (``public class Invoice``) holding ``members``."""
    body = "".join(f"    {m}\n" for m in members)
    return f"package {package};\n\n{declaration} {{\n{body}}}\n"


def make_indexed_repo(path: Path, files: dict[str, str | bytes]) -> Path:
    """:func:`make_git_repo`, then index it once (one worker, as the tests' index states)."""
    from repointel import Repo

    make_git_repo(path, files)
    with Repo.open(path) as repo:
        repo.index(workers=1)
    return path


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write text or bytes files under ``root``, creating folders."""
    for rel, content in files.items():
        full = root / rel
        full.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            full.write_bytes(content)
        else:
            full.write_text(content)


def run_cli(*args: str, cwd: Path | None = None, check: bool = True,
            **kw: object) -> subprocess.CompletedProcess[str]:
    """Run ``python -m repointel`` as a real subprocess."""
    proc = subprocess.run([sys.executable, "-m", "repointel", *args], cwd=cwd,
                          capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if check and proc.returncode != 0:
        raise AssertionError(f"repointel {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc  # type: ignore[no-any-return]


#: The small billing repository several test modules start from.
SMALL_REPO_FILES: dict[str, str | bytes] = {
    "pkg/__init__.py": "from .billing import Invoice\n",
    "pkg/billing.py": (
        "from .money import Money\n\n\nclass Invoice:\n    \"\"\"An invoice.\"\"\"\n\n"
        "    def total(self, discount: float) -> Money:\n        return Money(100 - discount)\n"
    ),
    "pkg/money.py": "class Money:\n    def __init__(self, amount):\n        self.amount = amount\n",
    "tests/test_billing.py": (
        "from pkg.billing import Invoice\n\n\ndef test_total():\n    assert Invoice().total(0)\n"
    ),
    "README.md": "# demo\n",
}


@pytest.fixture
def small_repo(tmp_path: Path) -> Path:
    """A small Python repository in git."""
    return make_git_repo(tmp_path / "repo", dict(SMALL_REPO_FILES))
