"""Task analysis: what a task text (issue, request, stack trace) names, as ranking signals.

The text is untrusted data: we only pull strings out of it, never act on it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..extract.terms import STOPWORDS, term_counts

__all__ = ["TaskTerms", "analyse_task", "drop_reports", "is_identifier_like"]

#: Only the first 200k characters of a task are analysed: a bigger paste is log noise.
MAX_TASK_CHARS = 200_000
#: Paths, stack frames and dotted names kept from one task (the dev set's most: 10, 33 and 59):
#: each is matched against every file or looked up in the index, so a pasted log of 10,000 frames
#: or dotted names would cost seconds (9 s and 16 s on sympy) for nothing a few hundred do not say.
MAX_MENTIONS = 200

_PATH = re.compile(r"(?<![\w@])((?:[\w.-]+/)*[\w.-]+\.(?:py|pyi|js|jsx|ts|tsx|go|java|rs|c|h|cc|cpp|hpp|rb|cs|cfg|toml|ini|rst|md|txt|json|ya?ml))\b")
#: A run of path characters this long is no path (the dev set's longest token is 234 characters):
#: it is left out before paths are looked for, because _PATH backtracks quadratically within a
#: run (323 s for a 200,000-character ``a.a.a…``; 0.5 s at worst with runs this short).
MAX_PATH_RUN = 300
_PATH_RUN = re.compile(rf"[\w.@/-]{{{MAX_PATH_RUN},}}")
_PY_FRAME = re.compile(r'File "([^"]+)", line (\d+)(?:, in (\w+))?')
_IPY_FRAME = re.compile(r"File (\S+?\.py):(\d+)(?:, in ([\w.<>]+))?")
_JS_FRAME = re.compile(r"at (?:([\w.$<>]+) )?\(?([^\s()]+?\.\w+):(\d+)(?::\d+)?\)?")
#: Java, Kotlin, Scala: ``at org.acme.billing.Invoice.total(Invoice.java:42)``, the package naming
#: the folders (a Java 9 module such as ``java.base/`` may lead). The frame patterns bound every
#: repetition: the text is untrusted, and an unbounded one backtracks quadratically on a long line
#: (12 s for 40,000 characters of ``a.a.a…`` against the Go pattern).
_JVM_FRAME = re.compile(r"\bat (?:[\w.]{1,100}/)?((?:[A-Za-z_$][\w$]{0,100}\.){1,30})([\w$<>]{1,100})\("
                        r"([\w$]{1,100}\.(?:java|kt|scala|groovy)):(\d+)\)")
#: .NET: ``at Acme.Billing.Invoice.Total(Int32 n) in C:\src\Billing\Invoice.cs:line 42``.
_DOTNET_FRAME = re.compile(r"\bat ([\w.`<>\[\], ]{1,300}?)\([^\n()]{0,300}\) in ([^\n]{1,300}?\.(?:cs|fs|vb)):line (\d+)")
#: Go: ``pkg/path.(*Type).Method(...)`` and, on the next line, ``\t/abs/path/file.go:174 +0x7a``.
_GO_FRAME = re.compile(r"^([\w./-]{1,200}?\.(?:\(\*?\w{1,100}\)\.)?[\w.]{1,100})\([^\n]{0,300}\)\n[ \t]{1,20}(\S{1,300}?\.go):(\d+)",
                       re.M)
#: Ruby: ``/app/models/invoice.rb:42:in `total'`` (``from …`` on the lines below), starting a line or a word.
_RUBY_FRAME = re.compile(r"(?:^|(?<=\s))([^\s:]{1,300}\.rb):(\d+):in [`'](?:block (?:\(\d+ levels\) )?in )?"
                         r"(?:[\w:]{1,200}[#.])?([\w?!]{1,100})'", re.M)
_DOTTED = re.compile(r"\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\b")
_CODE_SPAN = re.compile(r"`([^`\n]{1,200})`")
_FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)
_IMPORT_AS = re.compile(r"^[ \t]*import\s+([\w.]+)\s+as\s+(\w+)", re.M)
_FROM_IMPORT = re.compile(r"^[ \t]*from\s+([\w.]+)\s+import\s+\(?([\w, ]+)", re.M)
_EXTENSIONS = frozenset("py pyi js ts tsx go java rs c h cc cpp hpp rb cs cfg toml ini rst md txt json yml yaml html".split())
#: ``class Foo`` (any depth) and top-level ``def bar`` in the task's code: names the reporter made
#: up for the example (an indented ``def`` may override the project's method: it stays).
_CODE_DEF = re.compile(r"^(?:[ \t]*(?:>>>|\.\.\.)?[ \t]*class|(?:>>> |\.\.\. )?(?:async\s+)?def)\s+([A-Za-z_]\w*)", re.M)
_IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]{2,}\b")
#: A ``key: value`` line with a one-word value (``numpy: 1.21.0``, ``LC_ALL: None``,
#: ``pytest==7.1``, ``python: 3.8.5 (default, ...)``): one line of an environment or version report when it comes in a run.
_REPORT_LINE = re.compile(r"^\s*[-*]?\s*[\w.\-]+\s*(?::|==|>=|<=|=)\s*\S{1,40}(?:\s+\(.*\))?\s*$")
#: This many report lines in a row are an environment report (``show_versions()``, ``pip
#: freeze``): it names every dependency and says nothing about where the bug is.
REPORT_MIN_LINES = 4
#: A line naming this many distinct dotted names is an inventory (an environment report, a
#: list of enabled plugins), not the subject: each of its names counts 1/n.
INVENTORY_MIN = 3


@dataclass
class TaskTerms:
    """Signals pulled out of a task text."""

    paths: list[str] = field(default_factory=list)
    frames: list[tuple[str, int, str | None]] = field(default_factory=list)
    dotted: list[str] = field(default_factory=list)
    identifiers: Counter[str] = field(default_factory=Counter)
    code_identifiers: Counter[str] = field(default_factory=Counter)
    words: Counter[str] = field(default_factory=Counter)
    title_terms: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)
    terms: Counter[str] = field(default_factory=Counter)
    title: str = ""
    dotted_weight: dict[str, float] = field(default_factory=dict)
    code_terms: Counter[str] = field(default_factory=Counter)
    example_names: set[str] = field(default_factory=set)


def is_identifier_like(word: str) -> bool:
    """Words that look like code: snake_case, camelCase, CamelCase with an inner capital, dunders."""
    if "_" in word.strip("_") or word.startswith("__"):
        return True
    return bool(re.search(r"[a-z][A-Z]|[A-Z][a-z]+[A-Z]", word))


def _expand_alias(dotted: str, aliases: dict[str, str]) -> str:
    head, _, rest = dotted.partition(".")
    return f"{aliases[head]}.{rest}" if head in aliases else dotted


def _code_parts(text: str) -> list[str]:
    return [m.group(1) for m in _FENCE.finditer(text)] + [m.group(1) for m in _CODE_SPAN.finditer(text)]


def _dotted_weights(text: str, aliases: dict[str, str]) -> dict[str, float]:
    """Per dotted name, the most a line mentioning it gives it: 1, or 1/n on an inventory line."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        names = {_expand_alias(m.group(1), aliases) for m in _DOTTED.finditer(line)}
        weight = 1.0 if len(names) < INVENTORY_MIN else 1.0 / len(names)
        for name in names:
            out[name] = max(out.get(name, 0.0), weight)
    return out


def drop_reports(text: str) -> str:
    """The text without its environment reports: runs of ``REPORT_MIN_LINES`` or more
    ``key: version`` lines (blank lines inside a run do not end it)."""
    lines = text.split("\n")
    keep = [True] * len(lines)
    run: list[int] = []
    for i, line in enumerate([*lines, "<end>"]):
        if line.strip() and _REPORT_LINE.match(line) and i < len(lines):
            run.append(i)
        elif line.strip() or i == len(lines):
            if len(run) >= REPORT_MIN_LINES:
                for j in run:
                    keep[j] = False
            run = []
    return "\n".join(line for line, k in zip(lines, keep) if k)


def _drop_html_comments(text: str) -> str:
    """``text`` with each ``<!-- … -->`` comment made a space (an unclosed one stays): a linear
    scan, where ``<!--.*?-->`` retries from every opening and takes quadratic time on a text of
    openings without a close."""
    parts, pos = [], 0
    while (start := text.find("<!--", pos)) >= 0 and (end := text.find("-->", start + 4)) >= 0:
        parts += [text[pos:start], " "]
        pos = end + 3
    return "".join(parts) + text[pos:]


_Frame = tuple[str, int, str | None]  # (path, line, function)


def _python_frames(text: str) -> list[_Frame]:
    """Python traceback frames in text order: the deepest comes last ("most recent call last")."""
    frames = [(m.start(), m.group(1), int(m.group(2)), m.group(3)) for m in _PY_FRAME.finditer(text)]
    frames += [(m.start(), m.group(1), int(m.group(2)), m.group(3)) for m in _IPY_FRAME.finditer(text)]
    return [(p, n, f) for _, p, n, f in sorted(frames)]


def _dotnet_name(name: str) -> str:
    """A .NET frame's method as written in the source: a lambda's or an iterator's generated
    names (``<Handle>b__2_0``, ``<Send>d__5.MoveNext``, ``<>c``) become the method holding them,
    and generic arities and parameters (```2``, ``[TResponse]``) go."""
    name = re.sub(r"<(\w+)>[a-z]__\w+", r"\1", name)
    name = re.sub(r"<>c(?:__DisplayClass[\w.]+?)?(?=\.)|\[[^\]]*\]|`\d+|\.MoveNext$", "", name)
    return re.sub(r"\.{2,}", ".", name).strip(".")


def _frames_innermost_first(text: str) -> list[_Frame]:
    """Frames of the stack traces that print the deepest call first (JavaScript, Rust, Java and
    the other JVM languages, .NET, Go, Ruby), in text order."""
    found: list[tuple[int, str, int, str | None]] = []
    for m in _JVM_FRAME.finditer(text):
        package = m.group(1).rstrip(".").split(".")[:-1]  # the last part is the class
        cls = m.group(1).rstrip(".").rsplit(".", 1)[-1].split("$")[0]
        found.append((m.start(), "/".join([*package, m.group(3)]), int(m.group(4)), f"{cls}.{m.group(2)}"))
    for m in _DOTNET_FRAME.finditer(text):
        func = ".".join(_dotnet_name(m.group(1)).split(".")[-2:])
        found.append((m.start(), re.sub(r"^[A-Za-z]:", "", m.group(2).replace("\\", "/")), int(m.group(3)), func))
    for m in _GO_FRAME.finditer(text):
        func = re.sub(r"\(\*?(\w+)\)", r"\1", m.group(1).rsplit("/", 1)[-1])
        func = ".".join(p for p in func.split(".")[1:] if not re.fullmatch(r"func\d+", p))  # no package, closures
        found.append((m.start(), m.group(2), int(m.group(3)), func or None))
    for m in _RUBY_FRAME.finditer(text):
        found.append((m.start(), m.group(1), int(m.group(2)), m.group(3)))
    taken = {start for start, *_ in found}
    found += [(m.start(), m.group(2), int(m.group(3)), m.group(1)) for m in _JS_FRAME.finditer(text)
              if m.start() not in taken]
    return [(p, n, f) for _, p, n, f in sorted(found)]


def analyse_task(text: str, aliases: dict[str, str] | None = None) -> TaskTerms:
    """Paths, stack frames, dotted names, identifiers and BM25 terms of a task text.

    ``aliases`` (``np`` → ``numpy``) are known from elsewhere, e.g. the body of an issue whose
    title is analysed alone."""
    text = drop_reports(_drop_html_comments(text[:MAX_TASK_CHARS]))  # hidden template text
    out = TaskTerms()
    out.title = text.strip().split("\n", 1)[0]
    out.title_terms = set(term_counts(out.title))
    out.aliases = dict(aliases or {})
    out.aliases.update({m.group(2): m.group(1) for m in _IMPORT_AS.finditer(text)})
    for m in _FROM_IMPORT.finditer(text):  # from pkg.mod import name → pkg.mod.name is mentioned
        for name in (n.strip() for n in m.group(2).split(",")):
            if name:
                out.aliases.setdefault(name, f"{m.group(1)}.{name}")
    out.frames = (_frames_innermost_first(text)[::-1] + _python_frames(text))[-MAX_MENTIONS:]  # the deepest last
    out.paths = list(dict.fromkeys(m.group(1) for m in _PATH.finditer(_PATH_RUN.sub(" ", text))))[:MAX_MENTIONS]
    out.dotted = list(dict.fromkeys(
        _expand_alias(d, out.aliases) for d in (m.group(1) for m in _DOTTED.finditer(text))
        if not re.fullmatch(r"[\d.]+", d) and d.rsplit(".", 1)[1] not in _EXTENSIONS
    ))
    out.dotted += [v for v in out.aliases.values() if "." in v and v not in out.dotted]
    out.dotted = out.dotted[:MAX_MENTIONS]
    out.dotted_weight = _dotted_weights(text, out.aliases)
    code = _code_parts(text)
    out.example_names = {m.group(1) for part in code for m in _CODE_DEF.finditer(part)}
    if out.example_names:  # the example's own classes and functions say nothing about the project
        made_up = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(out.example_names))) + r")\b")
        code = [made_up.sub(" ", part) for part in code]
        text = made_up.sub(" ", text)
    for part in code:
        for word in _IDENT.findall(part):
            if word.lower() not in STOPWORDS:
                out.code_identifiers[word] += 1
    for word in _IDENT.findall(text):
        if is_identifier_like(word) or word in out.code_identifiers:
            out.identifiers[word] += 1
        elif word[0].isupper() and not word.isupper() and word.lower() not in STOPWORDS:
            out.identifiers[word] += 1  # CamelCase class names such as Invoice
        elif len(word) >= 4 and word.lower() not in STOPWORDS:
            out.words[word] += 1  # plain words: maybe a function name written without backticks
    out.terms = term_counts(text)
    out.code_terms = term_counts("\n".join(code))
    return out
