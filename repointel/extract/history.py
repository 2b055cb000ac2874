"""Per-file history from ONE ``git log`` subprocess.

For every file touched in the window (the last ``max_commits`` non-merge commits, optionally
only those since a date): how many commits touched it, when it last changed, its top
authors, and its co-change partners (files changed in the same commits). Renames are not
followed: ``--no-renames`` makes a rename a delete plus an add, and only paths that still
exist (or the paths the caller names) are reported.

Paths come NUL-separated (``-z``) so any byte is safe; they are decoded exactly as the
scanner decodes them (:func:`repointel.scan.decode_path`), so they match the file map.
Not a git repository, no commits yet, or no git at all: the result is ``[]``.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..models import HistoryRecord
from ..scan import decode_path

__all__ = [
    "DEFAULT_MAX_COMMITS",
    "DEFAULT_TOP_AUTHORS",
    "DEFAULT_TOP_K",
    "GIT_TIMEOUT_SECONDS",
    "MAX_COCHANGE_FILES",
    "Commit",
    "mine_history",
    "parse_log",
]

#: Commits read when the caller sets no window: enough for a year of a busy repository.
DEFAULT_MAX_COMMITS = 2000
#: Co-change partners kept per file: more is noise for ranking and bloats the table.
DEFAULT_TOP_K = 10
#: Authors kept per file.
DEFAULT_TOP_AUTHORS = 5
#: A commit touching more files than this is a reformat, a rename sweep, a vendoring or a
#: licence-header update: its files did not change *together* for a reason, and it would add
#: up to n² spurious pairs. It still counts toward commits, authors and last change.
MAX_COCHANGE_FILES = 50
#: ``git log`` over a huge history must not hang indexing.
GIT_TIMEOUT_SECONDS = 120

_RECORD = b"\x1e"
_FORMAT = "%x1e%H%x00%cI%x00%aN"


@dataclass
class Commit:
    """One commit from the log: its date (UTC ISO), author and raw paths."""

    sha: str
    date: str
    author: str
    paths: list[bytes] = field(default_factory=list)


def _utc(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return iso


def parse_log(data: bytes) -> Iterator[Commit]:
    """Commits from ``git log -z --name-only --format=<_FORMAT>`` output."""
    for record in data.split(_RECORD):
        fields = record.split(b"\0")
        if len(fields) < 3:
            continue
        sha, date, author = (f.decode("utf-8", "replace") for f in fields[:3])
        names = fields[3:]
        if names and names[0].startswith(b"\n"):
            names[0] = names[0][1:]
        yield Commit(sha, _utc(date), author, [n for n in names if n])


def _git_log(root: str, max_commits: int | None, since: str | None) -> bytes | None:
    cmd = ["git", "-C", root, "-c", "core.quotePath=false", "-c", "log.showSignature=false",
           "log", "--no-merges", "--no-renames", "--relative", "--name-only", "-z",
           f"--format={_FORMAT}"]
    if max_commits is not None:
        cmd.append(f"--max-count={max_commits}")
    if since is not None:
        cmd.append(f"--since={since}")
    try:
        out = subprocess.run(cmd, capture_output=True, timeout=GIT_TIMEOUT_SECONDS, check=False,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


@dataclass
class _Tally:
    commits: Counter[str] = field(default_factory=Counter)
    last: dict[str, str] = field(default_factory=dict)
    authors: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    pairs: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, commit: Commit, paths: list[str]) -> None:
        """Count one commit for its (reported) ``paths``; pairs only for a focused commit."""
        for p in paths:
            self.commits[p] += 1
            self.authors[p][commit.author] += 1
            if commit.date > self.last.get(p, ""):
                self.last[p] = commit.date
        if len(commit.paths) > MAX_COCHANGE_FILES:
            return
        for p in paths:
            partners = self.pairs[p]
            for q in paths:
                if q != p:
                    partners[q] += 1


def _top(counter: Counter[str], k: int) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


def mine_history(root: str, max_commits: int | None = DEFAULT_MAX_COMMITS, top_k: int = DEFAULT_TOP_K,
                 *, since: str | None = None, paths: Collection[str] | None = None,
                 top_authors: int = DEFAULT_TOP_AUTHORS) -> list[HistoryRecord]:
    """History of every file touched in the window, sorted by path.

    ``max_commits`` bounds the window (None: no bound), ``since`` is any date ``git log
    --since`` accepts. Reported files are ``paths`` when given, else those that still exist
    under ``root``. Returns ``[]`` when ``root`` is not in a git repository or git is absent.
    """
    data = _git_log(root, max_commits, since)
    if not data:
        return []
    wanted = set(paths) if paths is not None else None
    keys: dict[bytes, str | None] = {}

    def key(raw: bytes) -> str | None:
        if raw not in keys:
            k = decode_path(raw)
            ok = k in wanted if wanted is not None else os.path.lexists(os.path.join(os.fsencode(root), raw))
            keys[raw] = k if ok else None
        return keys[raw]

    tally = _Tally()
    for commit in parse_log(data):
        tally.add(commit, sorted({k for k in map(key, commit.paths) if k is not None}))
    return [HistoryRecord(path=p, commits=n, last_change=tally.last.get(p),
                          authors=_top(tally.authors[p], top_authors),
                          cochange=_top(tally.pairs.get(p, Counter()), top_k))
            for p, n in sorted(tally.commits.items())]
