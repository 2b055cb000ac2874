"""CODEOWNERS with GitHub's semantics.

- :func:`find_codeowners` looks in ``.github/``, then the root, then ``docs/``; the first
  file found is the only one GitHub reads.
- :func:`parse_codeowners` turns the text into rules (pattern, owners, line number). Lines
  GitHub would skip as invalid, and syntax GitHub does not support (``!`` negation, ``[ ]``
  character ranges, ``\\`` escapes such as ``\\#``), become :class:`Problem` entries with
  their line numbers and are never applied.
- :meth:`CodeOwners.owners_for` applies the *last* matching rule; a rule without owners
  makes matching files unowned.

Pattern matching follows the gitignore-like rules GitHub documents: ``*`` never crosses
``/``; ``**`` spans directories; a leading ``/`` anchors at the root, as does a slash in
the middle; a pattern without a slash matches at any depth; a pattern matches a file or a
directory and everything under it; a trailing ``/`` matches directories only; a final
``/*`` matches direct children only (``docs/*`` owns ``docs/a.md``, not ``docs/x/b.md``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..models import OwnerRecord
from ..scan import glob_segments_regex

__all__ = [
    "CODEOWNERS_LOCATIONS",
    "MAX_CODEOWNERS_BYTES",
    "CodeOwners",
    "OwnerRule",
    "Problem",
    "find_codeowners",
    "parse_codeowners",
    "pattern_regex",
]

#: Where GitHub looks, in order; the first one found wins and the others are ignored.
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
#: GitHub does not load a CODEOWNERS file of 3 MB or more.
MAX_CODEOWNERS_BYTES = 3 * 1024 * 1024

_USER = r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})"
_TEAM = r"@[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._-]*"
_EMAIL = r"[^@\s/]+@[^@\s/]+\.[^@\s/]+"
_OWNER = re.compile(rf"(?:{_TEAM}|{_USER}|{_EMAIL})")


@dataclass(frozen=True)
class OwnerRule:
    """One valid CODEOWNERS line: the pattern, its owners (maybe none), and its line number."""

    pattern: str
    owners: tuple[str, ...]
    line: int
    regex: re.Pattern[str] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Problem:
    """A line GitHub would skip, with why."""

    line: int
    message: str
    text: str


@dataclass
class CodeOwners:
    """Parsed CODEOWNERS: the valid rules in file order and the problems found."""

    rules: list[OwnerRule] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    source: str | None = None
    _order: list[tuple[str, OwnerRule]] | None = field(default=None, init=False, repr=False,
                                                       compare=False)

    def _reversed(self) -> list[tuple[str, OwnerRule]]:
        """Rules last first, each with the longest literal any matching path must contain:
        a substring test rejects most rules before their regex runs."""
        if self._order is None:
            self._order = [(_required_literal(r.pattern), r) for r in reversed(self.rules)]
        return self._order

    def match(self, path: str) -> OwnerRule | None:
        """The rule that decides ``path`` (the last one matching), or None."""
        path = path.lstrip("/")
        for literal, rule in self._reversed():
            if literal in path and rule.regex.fullmatch(path):
                return rule
        return None

    def owners_for(self, path: str) -> OwnerRecord:
        """Owners of a repo-relative posix ``path`` (empty when unowned or unmatched)."""
        rule = self.match(path)
        if rule is None:
            return OwnerRecord(path=path, source=self.source)
        return OwnerRecord(path=path, owners=list(rule.owners), rule=rule.pattern,
                           source=self.source, line=rule.line)

    def owners_map(self, paths: Iterable[str]) -> dict[str, OwnerRecord]:
        """:meth:`owners_for` over many paths."""
        return {p: self.owners_for(p) for p in paths}


def _required_literal(pattern: str) -> str:
    """The longest wildcard-free piece of ``pattern`` (slashes trimmed): every match holds it."""
    pieces = [p.strip("/") for p in re.split(r"[*?]", pattern)]
    return max(pieces, key=len)


def find_codeowners(root: str) -> str | None:
    """The repo-relative path of the CODEOWNERS file GitHub would use, or None."""
    for rel in CODEOWNERS_LOCATIONS:
        if os.path.isfile(os.path.join(root, *rel.split("/"))):
            return rel
    return None


def pattern_regex(pattern: str) -> str:
    """The regex (for ``fullmatch`` against a repo-relative path) of one CODEOWNERS pattern. The
    file is untrusted: wildcards are matched without exponential backtracking (see
    :func:`~repointel.scan.glob_segments_regex`)."""
    anchored = pattern.startswith("/")
    dir_only = pattern.endswith("/") and pattern.strip("/") != ""
    segs = [s for s in pattern.strip("/").split("/") if s]
    if not anchored and len(segs) == 1 and segs[0] != "**":
        segs = ["**", *segs]  # no slash (or only a trailing one): match at any depth
    out = glob_segments_regex(segs, lone_star="[^/]+", inside=".+")
    if segs[-1] == "**" or (segs[-1] == "*" and len(segs) > 1 and segs[-2] != "**"):
        return out  # ``dir/**`` already spans; ``docs/*`` owns direct children only
    return out + ("/.+" if dir_only else "(?:/.+)?")


def _pattern_problem(pattern: str) -> str | None:
    if pattern.startswith("!"):
        return "negation patterns (!) are not supported"
    if "[" in pattern or "]" in pattern:
        return "character ranges ([ ]) are not supported"
    if "\\" in pattern:
        return "escaping with \\ is not supported"
    if "***" in pattern:
        return "three consecutive asterisks are not a valid pattern"
    if pattern == "/":
        return "'/' matches nothing"
    return None


def _strip_comment(line: str) -> str:
    m = re.search(r"(?:^|\s)#", line)
    return line[: m.start()] if m else line


def _parse_line(raw: str, number: int) -> OwnerRule | Problem | None:
    if raw.lstrip().startswith("\\#"):
        return Problem(number, "escaping a pattern starting with # is not supported", raw)
    text = _strip_comment(raw).strip()
    if not text:
        return None
    pattern, *owners = text.split()
    why = _pattern_problem(pattern)
    if why:
        return Problem(number, why, raw)
    bad = [o for o in owners if not _OWNER.fullmatch(o)]
    if bad:
        return Problem(number, f"invalid owner {bad[0]!r}", raw)
    return OwnerRule(pattern, tuple(owners), number, re.compile(pattern_regex(pattern)))


def parse_codeowners(text: str, source: str | None = None) -> CodeOwners:
    """Parse CODEOWNERS text: valid rules in order, invalid lines as problems (never applied)."""
    result = CodeOwners(source=source)
    if len(text.encode("utf-8", "replace")) >= MAX_CODEOWNERS_BYTES:
        result.problems.append(Problem(0, "file is 3 MB or more: GitHub does not load it", ""))
        return result
    for number, raw in enumerate(text.splitlines(), start=1):
        parsed = _parse_line(raw, number)
        if isinstance(parsed, OwnerRule):
            result.rules.append(parsed)
        elif isinstance(parsed, Problem):
            result.problems.append(parsed)
    return result
