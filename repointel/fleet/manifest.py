"""The fleet manifest: one repository per line.

    # comments and blank lines are ignored
    /srv/repos/billing                                   a local work tree (id: billing)
    ../payments id=payments-v2                           relative to the manifest's folder
    https://github.com/acme/api.git ref=release-3 id=api a git URL, cloned into the store
    {"source": "git@github.com:acme/web.git", "ref": "main"}   a JSON object works too

A line that cannot be read (an unknown option, a bad id, an id used twice, a ``ref=`` on a local
path) becomes a :class:`ManifestIssue` with a one-line error; every other line still runs.
"""

from __future__ import annotations

import json
import os
import re
import shlex

from .models import ManifestEntry, ManifestIssue, is_git_url

__all__ = ["MAX_MANIFEST_LINES", "REPO_ID", "parse_manifest", "read_manifest"]

#: A repository id names a folder of the store: letters, digits, '.', '_' and '-', starting with a
#: letter or digit (names starting with '_' are the store's own, such as ``_checkouts``).
REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: A manifest longer than this is a mistake (a log file passed by accident), not a fleet: ten
#: times the 10,000 repositories docs/fleet.md plans for.
MAX_MANIFEST_LINES = 100_000
#: Options a line may carry after its source.
_OPTIONS = ("id", "ref")
#: A ref is a git ref name or a commit: nothing a shell or git would read as an option.
_REF = re.compile(r"[A-Za-z0-9._/][A-Za-z0-9._/@+-]{0,199}")


def read_manifest(path: str) -> tuple[list[ManifestEntry], list[ManifestIssue]]:
    """The entries and issues of the manifest file at ``path`` (relative local paths are read
    from the manifest's folder)."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    return parse_manifest(text, base=os.path.dirname(os.path.abspath(path)))


def parse_manifest(text: str, base: str = ".") -> tuple[list[ManifestEntry], list[ManifestIssue]]:
    """Every line of ``text`` as an entry or an issue (in line order)."""
    entries: list[ManifestEntry] = []
    issues: list[ManifestIssue] = []
    seen: dict[str, int] = {}
    lines = text.splitlines()
    if len(lines) > MAX_MANIFEST_LINES:
        issues.append(ManifestIssue(line=MAX_MANIFEST_LINES + 1, text=lines[MAX_MANIFEST_LINES][:200],
                                    error=f"the manifest has {len(lines)} lines; only the first "
                                          f"{MAX_MANIFEST_LINES} are read"))
    for number, raw in enumerate(lines[:MAX_MANIFEST_LINES], start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            entry = _entry(line, number, base)
            if entry.id in seen:
                raise ValueError(f"repository id {entry.id!r} is already used by line {seen[entry.id]}: "
                                 "give this line its own id=NAME")
        except ValueError as exc:
            issues.append(ManifestIssue(line=number, text=line[:200], error=str(exc)))
            continue
        seen[entry.id] = number
        entries.append(entry)
    return entries, issues


def _fields(line: str) -> dict[str, str]:
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a JSON object: {exc.msg} at column {exc.colno}") from None
        if not isinstance(obj, dict) or not all(isinstance(v, str) for v in obj.values()):
            raise ValueError("a JSON line must be an object of strings")
        unknown = sorted(set(obj) - {"source", *_OPTIONS})
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} (expected source, id, ref)")
        return {str(k): str(v) for k, v in obj.items()}
    try:
        words = shlex.split(line, comments=True)
    except ValueError as exc:
        raise ValueError(f"cannot split the line: {exc}") from None
    out = {"source": words[0]} if words else {}
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if not eq or key not in _OPTIONS:
            raise ValueError(f"unknown option {word!r} (expected id=NAME or ref=REF after the source)")
        if key in out:
            raise ValueError(f"option {key}= given twice")
        out[key] = value
    return out


def _entry(line: str, number: int, base: str) -> ManifestEntry:
    fields = _fields(line)
    source = fields.get("source", "")
    if not source or "\0" in source:
        raise ValueError("no repository source (a local path or a git URL)")
    ref = fields.get("ref")
    if is_git_url(source):
        if ref is not None and not _REF.fullmatch(ref):
            raise ValueError(f"bad ref {ref!r}")
    else:
        if ref is not None:
            raise ValueError("ref= applies to git URLs; a local path is indexed as its work tree stands")
        source = os.path.normpath(os.path.join(base, os.path.expanduser(source)))
    repo_id = fields.get("id") or _default_id(source)
    if not REPO_ID.fullmatch(repo_id) or ".." in repo_id:
        raise ValueError(f"bad repository id {repo_id!r}: use letters, digits, '.', '_' and '-' "
                         "(starting with a letter or digit), or give one with id=NAME")
    return ManifestEntry(id=repo_id, source=source, ref=ref, line=number)


def _default_id(source: str) -> str:
    """The last path segment of a path or URL, without ``.git``."""
    tail = re.split(r"[/:]", source.rstrip("/"))[-1]
    return tail[:-4] if tail.endswith(".git") and len(tail) > 4 else tail
