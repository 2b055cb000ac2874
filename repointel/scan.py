"""Scan layer: list the repository's files with git's ignore semantics, safely.

Inside a git work tree the list comes from ``git ls-files`` (exactly git's rules:
nested ``.gitignore``, ``.git/info/exclude``, ``core.excludesFile``); elsewhere we walk
the tree and apply the same pattern syntax ourselves. ``.repointelignore`` files are
applied on top in both cases. Symlinks never lead out of the root.
"""

from __future__ import annotations

import itertools
import os
import re
import stat
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .config import IGNORE_FILENAME, INDEX_DIRNAME

__all__ = ["Entry", "IgnoreRules", "ScanResult", "decode_path", "git_dirs", "git_head", "glob_segments_regex",
           "globstar_regex", "rescan_paths", "scan", "star_segment_regex", "start_git_head"]

_ALWAYS_SKIP_DIRS = frozenset({".git", INDEX_DIRNAME, ".hg", ".svn"})


def decode_path(raw: bytes) -> str:
    """The display/key form of a raw path: UTF-8, with undecodable bytes as ``\\xNN``."""
    return raw.decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class Entry:
    """One listed file: its key path, raw bytes path, and lstat facts (or a skip reason)."""

    path: str
    raw: bytes
    size: int = 0
    mtime_ns: int = 0
    skip_reason: str | None = None
    #: The change time and inode: a restored mtime (``cp -p``, ``rsync -a``, ``tar x``) cannot
    #: restore them, so (size, mtime, ctime, inode) unchanged means the bytes are unchanged.
    ctime_ns: int = 0
    inode: int = 0


@dataclass
class ScanResult:
    """Everything the scan saw."""

    entries: list[Entry] = field(default_factory=list)
    used_git: bool = False
    #: Set by :func:`rescan_paths`: the only paths looked at again. Every other entry is as the
    #: listing it was derived from saw it, which the index already reflects (None: a full scan).
    changed: frozenset[str] | None = None
    #: Wall-clock time (ns) the listing started: a file changed after it may have been stat'ed
    #: mid-edit within one timestamp tick (see ``indexer.RACY_NS``).
    started_ns: int = 0


# Globs from repository files (.gitignore, .repointelignore, CODEOWNERS) are untrusted: the plain
# translation (``*`` → ``[^/]*``, ``**/`` → ``(?:.*/)?``) backtracks exponentially in the number of
# wildcards (``*a*a*a*a*a*a*a*a*a*a*a*a*c`` against a 60-character path ran for minutes). These
# helpers match each piece between wildcards at its leftmost place and keep it there, inside a
# lookahead the engine cannot backtrack into: for a glob, the leftmost place is always a right
# one, so the answers are the same and the time is polynomial.


def star_segment_regex(chunks: list[str], names: Iterator[int]) -> str:
    """The regex of one path segment's glob from the regexes of its pieces between ``*``s (each
    piece fixed-length, e.g. ``[^/]`` for ``?``): the middle pieces are found leftmost and kept.
    ``names`` numbers the groups this needs (unique within one regex)."""
    out = chunks[0]
    for mid in chunks[1:-1]:
        if mid:
            n = next(names)
            out += f"(?=(?P<g{n}>[^/]*?{mid}))(?P=g{n})"
    return out if len(chunks) == 1 else out + "[^/]*" + chunks[-1]


def globstar_regex(groups: list[str], names: Iterator[int]) -> str:
    """The regex of fixed runs of segments joined by ``**/`` (any number of whole segments):
    ``groups`` holds each run's regex, every one but the last ending with ``/``. A middle run is
    found at its leftmost place and kept (it spans a fixed number of segments, so any later place
    only leaves less room for what follows)."""
    out = groups[0]
    for run in groups[1:-1]:
        n = next(names)
        out += f"(?=(?P<g{n}>(?:[^/]*/)*?{run}))(?P=g{n})"
    return out if len(groups) == 1 else out + "(?:.*/)?" + groups[-1]


def glob_segments_regex(segs: list[str], lone_star: str = "[^/]*", inside: str = ".*") -> str:
    """The regex of a glob split at ``/``: a ``**`` segment is any number of whole segments, and
    a last one (``dir/**``) everything inside (``inside``, as is a glob of ``**`` only); ``*`` any
    run within a segment (``lone_star`` when it is the whole segment), ``?`` one character,
    ``[...]`` a class that never matches ``/``; safe on hostile globs."""
    if set(segs) == {"**"}:
        return inside
    if len(segs) > 1 and segs[-1] == "**":
        return glob_segments_regex(segs[:-1], lone_star, inside) + "/" + inside
    names = itertools.count()
    groups = [""]
    for i, seg in enumerate(segs):
        if seg == "**" and i < len(segs) - 1:
            groups.append("")
            continue
        piece = lone_star if seg == "*" else star_segment_regex(_glob_chunks(seg), names)
        groups[-1] += piece + ("/" if i < len(segs) - 1 else "")
    return globstar_regex(groups, names)


def _glob_chunks(seg: str) -> list[str]:
    """The regexes of a gitignore segment's pieces between ``*``s (``?`` one character, ``[...]``
    a class, the rest literal)."""
    chunks, cur, i = [], "", 0
    while i < len(seg):
        ch = seg[i]
        if ch == "*":
            chunks.append(cur)
            cur = ""
        elif ch == "?":
            cur += "[^/]"
        elif ch == "[" and (j := seg.find("]", i + 1)) != -1:
            body = seg[i + 1 : j].replace("\\", "\\\\")
            cur += f"[^/{body[1:]}]" if body.startswith("!") else f"[{body}]"  # never a /
            i = j
        else:
            cur += re.escape(ch)
        i += 1
    return [*chunks, cur]


def _pattern_regex(pattern: str) -> tuple[re.Pattern[str], bool, bool] | None:
    """Translate one gitignore pattern to (regex, negated, dir_only), or None for a comment."""
    pattern = pattern.rstrip("\n").rstrip("\r")
    if not pattern or pattern.startswith("#"):
        return None
    negated = pattern.startswith("!")
    if negated:
        pattern = pattern[1:]
    pattern = pattern.replace("\\#", "#").replace("\\!", "!").rstrip(" ")
    dir_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    if not pattern:
        return None
    anchored = "/" in pattern
    segs = pattern.lstrip("/").split("/")
    body = glob_segments_regex(segs if anchored else ["**", *segs])  # unanchored: at any depth
    return re.compile(body + "$"), negated, dir_only


class IgnoreRules:
    """Gitignore-style rules gathered from ignore files, each scoped to its directory."""

    def __init__(self) -> None:
        self._rules: list[tuple[str, re.Pattern[str], bool, bool]] = []

    def add_file(self, base: str, text: str) -> None:
        """Add the patterns of an ignore file found in directory ``base`` ('' for the root)."""
        for line in text.splitlines():
            compiled = _pattern_regex(line)
            if compiled is not None:
                self._rules.append((base, *compiled))

    def __bool__(self) -> bool:
        return bool(self._rules)

    def ignored(self, path: str, is_dir: bool = False) -> bool:
        """True when the last matching rule (of ``path`` or one of its parents) ignores it."""
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            sub = "/".join(parts[:depth])
            if self._match(sub, is_dir or depth < len(parts)):
                return True
        return False

    def _match(self, path: str, is_dir: bool) -> bool:
        result = False
        for base, rx, negated, dir_only in self._rules:
            if base and not path.startswith(base + "/"):
                continue
            rel = path[len(base) + 1 :] if base else path
            if dir_only and not is_dir:
                continue
            if rx.match(rel):
                result = not negated
        return result


def _run_git(root: str, *args: str) -> bytes | None:
    try:
        proc = subprocess.run(
            ["git", "-C", root, *args], capture_output=True, check=False, timeout=120
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def git_head(root: str) -> tuple[str | None, bool]:
    """(HEAD commit sha or None, whether the work tree has changes)."""
    return start_git_head(root)()


#: ``git status`` must not take ``.git/index.lock`` to refresh the index: we run beside the
#: user's own git commands (a daemon would otherwise race them and see its own lock events).
_STATUS = ("--no-optional-locks", "status", "--porcelain", "--untracked-files=normal", "-z")


def start_git_head(root: str) -> Callable[[], tuple[str | None, bool]]:
    """Start asking git for HEAD and the dirty flag; the returned function collects the answer.

    Both commands run as subprocesses while the caller goes on (an index run examines files and
    writes its tables meanwhile): on a 2-core machine that hides their ~10 ms on a 2,500-file tree.
    """
    try:
        procs = [subprocess.Popen(["git", "-C", root, *args], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
                 for args in (("rev-parse", "--verify", "-q", "HEAD"), _STATUS)]
    except OSError:
        return lambda: (None, False)

    def collect() -> tuple[str | None, bool]:
        outs: list[bytes | None] = []
        for proc in procs:
            try:
                out, _ = proc.communicate(timeout=120)
                outs.append(out if proc.returncode == 0 else None)
            except subprocess.SubprocessError:
                proc.kill()
                proc.communicate()
                outs.append(None)
        head, status = outs
        # no commit yet: dirty when git lists any file (all of them are uncommitted work);
        # outside a work tree both commands fail and there is nothing to be dirty against
        return (head.decode().strip() if head is not None else None), bool(status)

    return collect


def git_dirs(root: str) -> tuple[str, str] | None:
    """(git dir, common dir) of the work tree at ``root``, as real absolute paths, or None outside
    git. They differ in a linked worktree (``git worktree add``): HEAD, the index and its lock live
    in the first, refs and ``info/exclude`` in the second; in a submodule both lie outside."""
    out = _run_git(root, "rev-parse", "--git-dir", "--git-common-dir")
    lines = out.decode(errors="surrogateescape").splitlines() if out else []
    if len(lines) != 2:
        return None
    git_dir, common = (os.path.realpath(os.path.join(root, d)) for d in lines)
    return git_dir, common


def _git_list(root: str) -> list[bytes] | None:
    if not os.path.exists(os.path.join(root, ".git")):
        return None
    out = _run_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if out is None:
        return None
    names = sorted(set(n for n in out.split(b"\0") if n and not n.endswith(b"/")))
    return names


def _walk(root: bytes, rel: bytes, rules: IgnoreRules) -> Iterator[bytes]:
    """Walk without following symlinked directories, applying .gitignore files as we go."""
    here = os.path.join(root, rel) if rel else root
    _load_ignore(root, rel, rules, b".gitignore")
    try:
        with os.scandir(here) as it:
            items = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    for item in items:
        name = item.name
        sub = rel + b"/" + name if rel else name
        if name.decode("utf-8", "replace") in _ALWAYS_SKIP_DIRS:
            continue
        is_dir = item.is_dir(follow_symlinks=False)
        if rules.ignored(decode_path(sub), is_dir):
            continue
        if is_dir:
            yield from _walk(root, sub, rules)
        else:
            yield sub


def _load_ignore(root: bytes, rel: bytes, rules: IgnoreRules, name: bytes) -> None:
    path = os.path.join(root, rel, name) if rel else os.path.join(root, name)
    try:
        with open(path, "rb") as fh:
            text = fh.read(1_000_000).decode("utf-8", "replace")
    except OSError:
        return
    rules.add_file(decode_path(rel), text)


def _repointel_rules(root: bytes, names: list[bytes]) -> IgnoreRules:
    rules = IgnoreRules()
    dirs = {b""} | {os.path.dirname(n) for n in names}
    for d in sorted(dirs):
        _load_ignore(root, d, rules, IGNORE_FILENAME.encode())
    return rules


def _classify(root: bytes, raw: bytes, real_root: str) -> Entry | None:
    """Lstat one listed path; None when it is gone (git still tracks a file deleted from disk)."""
    path = decode_path(raw)
    full = os.path.join(root, raw)
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return None
    except OSError:
        return Entry(path, raw, skip_reason="unreadable")
    if stat.S_ISLNK(st.st_mode):
        return _classify_link(path, raw, full, real_root)
    if not stat.S_ISREG(st.st_mode):
        return Entry(path, raw, skip_reason="not_regular")
    return Entry(path, raw, st.st_size, st.st_mtime_ns, ctime_ns=st.st_ctime_ns, inode=st.st_ino)


def _classify_link(path: str, raw: bytes, full: bytes, real_root: str) -> Entry:
    try:
        target = os.path.realpath(os.fsdecode(full), strict=True)
    except OSError as exc:
        reason = "symlink_loop" if exc.errno == 40 else "vanished"
        return Entry(path, raw, skip_reason=reason)
    if os.path.commonpath([real_root, target]) != real_root:
        return Entry(path, raw, skip_reason="outside_root")
    # A link inside the repository: its target is indexed under its own path.
    return Entry(path, raw, skip_reason="symlink")


def scan(root: str) -> ScanResult:
    """List every non-ignored file under ``root`` with its lstat facts or a skip reason."""
    started = time.time_ns()
    root_b = os.fsencode(root)
    names = _git_list(root)
    used_git = names is not None
    if names is None:
        names = list(_walk(root_b, b"", IgnoreRules()))
    names = [n for n in names if n.split(b"/")[0].decode("utf-8", "replace") not in _ALWAYS_SKIP_DIRS]
    extra = _repointel_rules(root_b, names)
    if extra:
        names = [n for n in names if not extra.ignored(decode_path(n))]
    real_root = os.path.realpath(root)
    entries = [_classify(root_b, n, real_root) for n in names]
    return ScanResult([e for e in entries if e is not None], used_git, started_ns=started)


def rescan_paths(root: str, previous: ScanResult, paths: Iterable[str]) -> ScanResult | None:
    """``previous`` with only ``paths`` (repository-relative) looked at again, or None when a full
    scan is needed. ``previous`` must be the listing of the last successful index run: the
    result's ``changed`` tells the indexer that nothing else can differ from the index.

    A listed path is re-statted (or dropped when it is gone). A path that is not listed and no
    longer exists (an editor's temporary file) or is a directory changes nothing. A path that is
    not listed but exists as a file is new: whether it is ignored needs the full rules, so None.
    """
    started = time.time_ns()
    root_b = os.fsencode(root)
    real_root = os.path.realpath(root)
    listed = {e.path: e for e in previous.entries}
    fresh: dict[str, Entry | None] = {}
    for rel in set(paths):
        old = listed.get(rel)
        if old is None:
            full = os.path.join(root, rel)
            if not os.path.lexists(full) or (os.path.isdir(full) and not os.path.islink(full)):
                continue
            return None
        fresh[rel] = _classify(root_b, old.raw, real_root)
    entries = [fresh[e.path] if e.path in fresh else e for e in previous.entries]
    return ScanResult([e for e in entries if e is not None], previous.used_git, frozenset(fresh), started)
