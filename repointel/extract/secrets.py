"""Secret values in text: detection (:func:`find_secret_spans`) and the one redaction rule
every surface applies (:func:`redact`).

The detector finds provider tokens, key material, credentials in URLs and command lines, and
literals assigned to a password/secret name (any non-trivial value) or to a token/key name (a
value that looks generated). The context builder drops any file for which it fires; everything
else that shows or stores repository text (signatures, docs, the terms index, snippets) replaces
each value it finds with a marker naming what was removed.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterable, Iterator

from .hints import TextHints, probes

__all__ = ["Redactor", "blank_words", "find_secret_spans", "marker", "redact"]


# --------------------------------------------------------------------------- secrets in text

#: Provider tokens and key material, recognisable by their shape alone: (kind, regex, hints).
#: A regex runs only when one of its hints occurs in the text (hints in lower case are looked
#: for in the lower-cased text). A named group ``v`` marks the secret inside a larger match.
_TOKEN_SPECS: list[tuple[str, str, tuple[str, ...]]] = [
    # a header, optional ``Proc-Type:``-style lines, then key material (a code constant holding
    # the header alone is not a key, and must not swallow the rest of its file)
    ("private_key", r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----[ \t]*\r?\n(?:[\w-]+:[^\n]*\n|\s*\n)*"
                    r"[ \t]*[A-Za-z0-9+/=]{20,}[\s\S]*?(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
     ("PRIVATE KEY",)),
    ("aws_access_key_id", r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
     ("AKIA", "ASIA", "ABIA", "ACCA", "A3T")),
    ("aws_secret_access_key", r"(?i)aws_?secret_?(?:access_?)?key['\"]?\s*[:=]+\s*['\"]?"
                              r"(?P<v>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])", ("aws",)),
    ("github_token", r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    ("github_token", r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b", ("github_pat_",)),
    ("gitlab_token", r"\bgl(?:pat|dt|ptt|rt|cbt|soat)-[A-Za-z0-9_-]{20,}",
     ("glpat-", "gldt-", "glptt-", "glrt-", "glcbt-", "glsoat-")),
    ("slack_token", r"\bxox[abposre]-(?:[0-9]+-)*[A-Za-z0-9-]{10,}", ("xox",)),
    ("slack_webhook", r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9_/]{20,}",
     ("hooks.slack.com",)),
    ("discord_webhook", r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[\w-]{20,}",
     ("/api/webhooks/",)),
    ("stripe_key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}", ("k_live_", "k_test_")),
    ("stripe_webhook_secret", r"\bwhsec_[A-Za-z0-9]{24,}", ("whsec_",)),
    ("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}", ("AIza",)),
    ("google_oauth_secret", r"\bGOCSPX-[A-Za-z0-9_-]{20,}", ("GOCSPX-",)),
    ("openai_key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}",
     ("T3BlbkFJ",)),
    ("openai_key", r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}", ("sk-proj-", "sk-svcacct-", "sk-admin-")),
    ("anthropic_key", r"\bsk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{40,}", ("sk-ant-",)),
    ("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b", ("npm_",)),
    ("pypi_token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}", ("pypi-AgE",)),
    ("huggingface_token", r"\bhf_[A-Za-z0-9]{34,}\b", ("hf_",)),
    ("sendgrid_key", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b", ("SG.",)),
    ("twilio_key", r"\bSK[0-9a-f]{32}\b", ("SK",)),
    ("digitalocean_token", r"\bdo[por]_v1_[a-f0-9]{64}\b", ("_v1_",)),
    ("shopify_token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", ("shp",)),
    ("azure_storage_key", r"(?i)AccountKey=(?P<v>[A-Za-z0-9+/=]{40,})", ("accountkey=",)),
    ("square_token", r"\bsq0(?:atp|csp)-[A-Za-z0-9_-]{22,}", ("sq0",)),
    ("mailchimp_key", r"\b[0-9a-f]{32}-us\d{1,2}\b", ("-us",)),
    ("mailgun_key", r"\bkey-[0-9a-f]{32}\b", ("key-",)),
    ("telegram_bot_token", r"\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b", (":AA",)),
    ("vault_token", r"\bhv[sb]\.[A-Za-z0-9_-]{24,}", ("hvs.", "hvb.")),
    ("databricks_token", r"\bdapi[0-9a-f]{32}\b", ("dapi",)),
    ("postman_key", r"\bPMAK-[0-9a-f]{24}-[0-9a-f]{34}\b", ("PMAK-",)),
    ("linear_key", r"\blin_api_[A-Za-z0-9]{40}\b", ("lin_api_",)),
    ("sentry_dsn", r"https://(?P<v>[0-9a-f]{32})@[\w.-]*\bsentry\.io", ("sentry.io",)),
    ("age_secret_key", r"\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b", ("AGE-SECRET-KEY-",)),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", ("eyJ",)),
    ("authorization_header", r"(?i)\bauthorization['\"]?\s*[:=]\s*['\"]?(?:basic|bearer|token)\s+"
                             r"(?P<v>[A-Za-z0-9+/=._~-]{12,})", ("authorization",)),
    ("url_credentials", r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s:/@'\"<>]{0,100}:"
                        r"(?P<v>[^\s:/@'\"<>]{3,200})@[A-Za-z0-9.\[\]-]", ("://",)),
    # a password inside a URL query or a ``key=value;`` connection string (JDBC, ADO.NET, ODBC)
    ("connection_password", r"(?i)[?&;\"'](?:password|passwd|pwd)\s*=\s*(?P<v>[^&;\s'\"(),]{4,200})(?![(\w])",
     ("password", "passwd", "pwd")),
    # credentials on a command line, usually inside a string or a CI script
    ("command_line_password", r"\bcurl\b[^\n]{0,200}?\s(?:-u|--user)[ =]?\s*['\"]?[^\s:'\"]{1,100}:"
                              r"(?P<v>[^\s'\"@]{3,200})", ("curl",)),
    ("command_line_password", r"\bmysql(?:dump|admin|import|sh)?\b[^\n]{0,200}?\s-p(?P<v>[^\s'\"]{3,200})",
     ("mysql",)),
    ("command_line_password", r"(?:^|\s)--password[= ](?P<v>[^\s'\"]{3,200})", ("--password",)),
    ("command_line_password", r"\bsshpass\s+-p\s*['\"]?(?P<v>[^\s'\"]{3,200})", ("sshpass",)),
    # SQL that sets a password, a .netrc entry, a basic-auth pair, a PowerShell secure string
    ("sql_password", r"(?i)\b(?:with\s+(?:encrypted\s+)?password|identified\s+by)\s+'(?P<v>[^'\n]{4,200})'",
     ("password", "identified")),
    ("netrc_password", r"\bmachine\s+\S+\s+login\s+\S+\s+password\s+(?P<v>[^\s'\"]{4,200})", ("machine",)),
    ("basic_auth_pair", r"\bauth\s*=\s*[(\[]\s*(?:b?['\"][^'\"\n]{1,100}['\"])\s*,\s*b?['\"](?P<v>[^'\"\n]{4,200})['\"]",
     ("auth",)),
    ("secure_string", r"(?i)ConvertTo-SecureString\s+(?:-String\s+)?['\"](?P<v>[^'\"\n]{4,200})['\"]",
     ("convertto-securestring",)),
]
_TOKEN_PATTERNS = [(kind, re.compile(rx), hints) for kind, rx, hints in _TOKEN_SPECS]
#: Every hint of :data:`_TOKEN_PATTERNS` once: looked for together, then each pattern checks its own.
_TOKEN_HINTS = tuple(dict.fromkeys(h for _, _, hints in _TOKEN_SPECS for h in hints))
#: Cheap necessary conditions for patterns whose hints are common in code: each starts with a
#: literal, which the regex engine finds fast; the full pattern runs only when its gate matches.
_TOKEN_GATES: dict[str, re.Pattern[str]] = {
    "url_credentials": re.compile(r"://[^\s:/@'\"<>]{0,100}:[^\s:/@'\"<>]{3,200}@"),
    "basic_auth_pair": re.compile(r"auth\s*=\s*[(\[]"),
    "netrc_password": re.compile(r"machine\s+\S+\s+login"),
    "mailchimp_key": re.compile(r"-us\d"),
    "twilio_key": re.compile(r"SK[0-9a-f]{32}"),
}
#: Gates for case-insensitive patterns, run on the lower-cased text: a case-insensitive regex
#: finds no literal prefix to scan for (5× slower).
_LOWER_GATES: dict[str, re.Pattern[str]] = {
    "connection_password": re.compile(r"(?:password|passwd|pwd)\s*=\s*[^&;\s'\"]"),
    "sql_password": re.compile(r"(?:password|identified\s+by)\s+'"),
}

#: ``name = "literal"`` in most languages and formats (with an optional type annotation);
#: the name is judged afterwards by :data:`_STRONG_NAME` / :data:`_WEAK_NAME`.
_ASSIGNMENT = re.compile(
    r"(?P<tail>(?:pass|secret|pwd|pw\b|token|key|auth|credential|dsn|conn|salt|bearer)[\w.-]{0,40}?)"
    # a type: ``: str``, ``: &'static str`` (Rust), ``: String``; or Go's ``name string =``
    r"['\"]?\s*(?::\s*(?:&(?:'\w+\s+)?(?:mut\s+)?)?[A-Za-z_*\[][\w\[\]., |*<>]{0,40}?\s*"
    r"|[ \t]+[A-Za-z_*\[][\w.\[\]*]{0,30}[ \t]*)?"
    r"(?P<op>:=|=>|===?|!==?|==?|:|<-)\s*[rbuf]{0,2}"
    r"(?:\"(?P<v1>[^\"\n]{1,500})\"|'(?P<v2>[^'\n]{1,500})'|`(?P<v3>[^`]{1,500})`"  # JS template, Go raw
    r"|%[qQ]?(?:\((?P<v4>[^)\n]{1,500})\)|\{(?P<v5>[^}\n]{1,500})\}|\[(?P<v6>[^\]\n]{1,500})\]"  # Ruby %q
    r"|<(?P<v7>[^>\n]{1,500})>|\|(?P<v8>[^|\n]{1,500})\|))", re.IGNORECASE)
_VALUE_GROUPS = ("v", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8")
#: A secret-named string followed by a string, the two passed together: ``Setenv("DB_PASSWORD",
#: "…")``, ``props.put("mail.smtp.password", "…")``, ``config.set("db", "password", "…")``.
_PAIR = re.compile(
    r"(?P<tail>(?:pass|secret|pwd|token|key|auth|credential)[\w.-]{0,40}?)([\"'])\s*,\s*"
    r"(?:\"(?P<v1>[^\"\n]{1,500})\"|'(?P<v2>[^'\n]{1,500})')(?=\s*\))", re.IGNORECASE)  # the call's last argument
_NAME_HEAD = re.compile(r"[\w.-]{0,80}$")
#: ``NAME=value`` / ``name: value`` lines without quotes (.env, properties, YAML, INI).
_BARE = re.compile(r"(?m)^[ \t]*(?:(?:export|ENV|ARG|set|setx)[ \t]+|-[ \t]+)?(?P<name>[A-Za-z_][\w.-]{0,80})[ \t]*[=:][ \t]*"
                   r"(?P<v>[^\s'\"#!&*|>{$\[(][^\s#'\"()\[\]{},;]*)[ \t]*(?:#.*)?$")
_XML = re.compile(r"<(?P<name>[\w.-]{0,40}(?:password|passwd|secret)[\w.-]{0,40})>(?P<v>[^<\s]{6,200})</",
                  re.IGNORECASE)
#: ``<add key="ApiSecret" value="..."/>`` (.NET app.config, Java properties XML).
_KEY_VALUE_ATTR = re.compile(r"\bkey\s*=\s*\"(?P<name>[\w.:-]{1,80})\"\s+value\s*=\s*\"(?P<v>[^\"\n]{1,500})\"",
                             re.IGNORECASE)
#: ``#define API_KEY "..."`` (C, C++, Objective-C).
_DEFINE = re.compile(r"(?m)^[ \t]*#[ \t]*define[ \t]+(?P<name>\w{1,80})[ \t]+(?:L|u8|u|U)?\"(?P<v>[^\"\n]{1,500})\"")
#: A secret written in a comment: ``# admin password: ...``, ``// the db password is ...``.
_COMMENT = re.compile(
    r"(?m)(?:#|//|/\*|<!--|(?:^|\s)--|^\s*[;*])[^\n]{0,80}?\b(?P<name>passwords?|passwd|passphrase|pwd|secret|api[ _-]?key|"
    r"token)\b(?:\s+(?:is|was|=|:)|\s*[:=])\s*['\"`]?(?P<v>[^\s'\"`]{6,200}?)['\"`]?(?:[\s.,;]*(?:\*/|-->)?\s*$|\s)",
    re.IGNORECASE)
#: Any value under these names is a secret unless it is trivial.
_STRONG_NAME = re.compile(r"pass(?:word|wd|phrase)|secret|(?:^|_)pwd$|^pw$|^pass$")
#: Values under these names are secrets when they look random (see :func:`_looks_random`).
_WEAK_NAME = re.compile(
    r"(?:token|api_?key|apikey|secret_?key|private_?key|access_?key|signing_?key|encryption_?key|"
    r"master_?key|auth_?key|client_?key|app_?key|license_?key|auth|bearer|credentials?|dsn|"
    r"connection_?string|conn_?str|salt)$")
_PLACEHOLDER_WORDS = ("example", "placeholder", "changeme", "change_me", "change-me", "your", "dummy",
                      "fake", "redacted", "xxxx", "****", "....", "<", "${", "{{", "%(", "#{", "getenv",
                      "environ", "process.env", "sample", "todo", "fixme", "insert", "replace")
_TRIVIAL = frozenset({"password", "passwd", "secret", "none", "null", "nil", "true", "false", "test",
                      "testing", "string", "undefined", "required", "optional", "default", "empty",
                      "hidden", "masked", "admin", "root", "user", "username", "token", "apikey", "api_key",
                      "secret_key", "private_key", "value", "unset", "notset", "not-set"})


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _is_trivial(value: str, name: str = "") -> bool:
    """A value that cannot be a secret: short, a placeholder, a reference, a word, a number, a
    path, or the name it is assigned to (``PASSWORD_TOO_SHORT = "password_too_short"``)."""
    low = value.lower()
    if len(value) < 6 or low in _TRIVIAL or any(w in low for w in _PLACEHOLDER_WORDS):
        return True
    if re.search(r"\s", value) or value[0] in "$%{<@!&*/~." or value.startswith(("http://", "https://")):
        return True
    if re.fullmatch(r"[A-Z][A-Z0-9_]*|(.)\1*|[\d.:-]+|[A-Za-z]{1,12}|(?:my|your|the|some|a)[-_].*", value):
        return True  # an env variable's name, a repeated character, a number or date, a word
    if name and _normal(value) == _normal(name.rsplit(".", 1)[-1]):
        return True  # an enum-like constant
    if re.search(r"\(\?[:=!<]|\][{+*]|\\[dwsbSW]|^[(\[^]", value):
        return True  # a regular expression (a detector's own patterns, a token grammar)
    if re.fullmatch(r"[A-Za-z_]\w*(?:\.\w+)+:[A-Za-z_]\w*", value):
        return True  # an entry point (``detect-secrets = detect_secrets.main:main``)
    return bool(re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*){2,}", value))  # a dotted import path


def _entropy(value: str) -> float:
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _looks_random(value: str) -> bool:
    """Long, varied, and mixing character classes: a generated key rather than a word."""
    value = re.sub(r"^(?:bearer|basic|token)\s+", "", value, flags=re.IGNORECASE)
    if len(value) < 16 or _is_trivial(value):
        return False
    classes = sum(bool(re.search(rx, value)) for rx in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z\d]"))
    return _entropy(value) >= 3.0 and classes >= 2 and bool(re.search(r"\d", value))


def _secret_name_kind(name: str) -> str | None:
    key = name.rsplit(".", 1)[-1].lower().replace("-", "_").replace(" ", "_")
    if _STRONG_NAME.search(key):
        return "strong"
    if _WEAK_NAME.search(key):
        return "weak"
    return None


def _judged_secret(kind: str, value: str, name: str) -> bool:
    """A value under a strong name is a secret unless trivial; under a weak one, if it looks random."""
    return (kind == "strong" and not _is_trivial(value, name)) or (kind == "weak" and _looks_random(value))


def _name(text: str, m: re.Match[str]) -> str:
    """The assigned name: the ``name`` group, or the identifier ending in the ``tail`` group."""
    if "name" in m.re.groupindex:
        return m.group("name")
    head = _NAME_HEAD.search(text, max(0, m.start() - 80), m.start())
    return (head.group() if head else "") + m.group("tail")


#: Every :data:`_ASSIGNMENT` match starts with one of these (lower-cased) words.
_ASSIGNMENT_WORDS = ("pass", "secret", "pwd", "pw", "token", "key", "auth", "credential", "dsn",
                     "conn", "salt", "bearer")


def _keyword_positions(hints: TextHints) -> list[int]:
    """Sorted offsets of every :data:`_ASSIGNMENT_WORDS` occurrence in the lower-cased text."""
    starts: set[int] = set()
    lower = hints.lower
    for word in _ASSIGNMENT_WORDS:
        if not hints.may_contain(word, lowered=True):
            continue
        pos = lower.find(word)
        while pos >= 0:
            starts.add(pos)
            pos = lower.find(word, pos + 1)
    return sorted(starts)


def _candidate_matches(text: str, hints: TextHints, regex: re.Pattern[str],
                       positions: list[int]) -> Iterator[re.Match[str]]:
    """``regex.finditer(text)`` for :data:`_ASSIGNMENT`, :data:`_BARE` and :data:`_COMMENT`,
    trying the regex only where a match that can name a secret may start: an assignment starts
    at a word of :data:`_ASSIGNMENT_WORDS`; a bare ``name=value`` line or a comment holds one.
    ~20× faster on code, where trying every position (every line) dominated. Falls back to the
    plain scan when lower-casing changed the text's length (offsets would not line up).
    ``positions``: :func:`_keyword_positions` of the text."""
    if len(hints.lower) != len(text):
        yield from regex.finditer(text)
        return
    starts = positions
    if regex not in _AT_KEYWORD:  # one match at most per line, from its start
        starts = sorted({text.rfind("\n", 0, pos) + 1 for pos in starts})
    end = 0
    for pos in starts:
        if pos < end:
            continue
        m = regex.match(text, pos) if regex is not _COMMENT else regex.search(text, pos, _line_end(text, pos))
        if m is not None:
            yield m
            end = m.end()


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


#: (regex, a cheap necessary condition that starts with a literal (None: matches start at a
#: keyword), whether values are unquoted)
_NAMED_VALUES: tuple[tuple[re.Pattern[str], re.Pattern[str] | None, bool], ...] = (
    (_ASSIGNMENT, None, False), (_BARE, None, True), (_PAIR, None, False),
    (_XML, re.compile(r"</[\w.-]{0,40}(?:password|passwd|secret)", re.IGNORECASE), False),
    (_KEY_VALUE_ATTR, re.compile(r"\"\s+value\s*=", re.IGNORECASE), False),
    (_DEFINE, re.compile(r"#[ \t]*define[ \t]"), False),
)
#: Regexes whose matches start at a keyword (the others at the start of the keyword's line).
_AT_KEYWORD = (_ASSIGNMENT, _PAIR)


def _named_value_spans(text: str, hints: TextHints, positions: list[int]) -> Iterator[tuple[int, int, str]]:
    """Values given to a secret-looking name: assignments, ``name=value`` lines, XML elements
    and attributes, ``#define``."""
    for regex, hint, bare in _NAMED_VALUES:
        if hint is not None and not hint.search(text):
            continue
        found = _candidate_matches(text, hints, regex, positions) if hint is None else regex.finditer(text)
        for m in found:
            name = _name(text, m)
            kind = _secret_name_kind(name)
            if kind is None:
                continue
            group = next(g for g in _VALUE_GROUPS if g in regex.groupindex and m.group(g) is not None)
            value = m.group(group)
            if bare and (re.fullmatch(r"[A-Za-z_.]+", value) or "(" in value):
                continue  # code (``password = other_variable``), not a literal
            if group == "v3" and m.group("op") == ":":
                continue  # inline code in prose (``password: `hunter2` ``), not a template literal
            if regex is _PAIR and kind == "strong" and _identifier(value):
                continue  # a pair of names (``("password", "password_confirmation")``)
            if _judged_secret(kind, value, name):
                yield m.start(group), m.end(group), f"{kind == 'strong' and 'secret' or 'token'}_assignment"


def _identifier(value: str) -> bool:
    """A name rather than a password: lower-case words, or word characters without all of upper
    case, lower case and digits (``urllib2``, ``password_confirmation``; not ``Summer2024``)."""
    if re.fullmatch(r"[a-z]+(?:[_.-][a-z]+)*", value):
        return True
    classes = (r"[a-z]", r"[A-Z]", r"\d")
    return bool(re.fullmatch(r"\w+", value)) and not all(re.search(rx, value) for rx in classes)


def _comment_spans(text: str, hints: TextHints, positions: list[int]) -> Iterator[tuple[int, int, str]]:
    """A password or key written in a comment. Prose says ``password is required``; a secret
    mixes letters with digits or symbols and is not code (no call, index or attribute chain)."""
    for m in _candidate_matches(text, hints, _COMMENT, positions):
        value, kind = m.group("v").rstrip(".,;:!?"), _secret_name_kind(m.group("name"))
        if kind is None or re.search(r"[()\[\]{}=<>]|^\w+(?:\.\w+)+$", value):
            continue
        mixed = bool(re.search(r"[A-Za-z]", value)) and bool(re.search(r"[^A-Za-z]", value))
        if (kind == "strong" and mixed and not _is_trivial(value)) or (kind == "weak" and _looks_random(value)):
            yield m.start("v"), m.start("v") + len(value), "secret_in_comment"


#: A string literal on one line, and two or more glued together (across lines inside
#: parentheses, with ``+``, ``.``/``..`` or a ``\`` continuation): one value written in pieces.
_LITERAL = r"(?:\"[^\"\n]{1,300}\"|'[^'\n]{1,300}')"
#: Every run of blanks follows a token it cannot be confused with, so the pattern splits a
#: junction one way only: with three adjacent optional ``[ \t]*`` it split blanks in many ways and
#: backtracked exponentially on a line of many quoted strings (an 83 KB FITS header: minutes).
_JUNCTION = r"[ \t]*(?:(?:\+|\.\.?|\\)[ \t]*)?(?:\r?\n[ \t]*)?(?:(?:\+|\.\.?)[ \t]*)?"
_CONCAT = re.compile(rf"{_LITERAL}(?:{_JUNCTION}{_LITERAL})+")
#: The name a glued value is given: ``NAME = (``, ``name: &str =``, ``"key": ``, ``name :=``.
#: Two non-empty literals glued: the cheap necessary condition for :data:`_CONCAT`.
#: (It starts with the quote, the character before it checked behind: a regex starting with a
#: negated class tries every position, 7× slower on code.)
_GLUED = re.compile(rf"[\"'](?<=[^\"'\s][\"']){_JUNCTION}[\"'][^\"'\s]")
_NAME_BEFORE = re.compile(r"([A-Za-z_][\w.-]{0,80})['\"]?\s*(?::\s*[^=\n]{0,40}?)?\s*(?:=|:|=>|:=)\s*\(?\s*$")


def _glued_literals(text: str) -> Iterator[re.Match[str]]:
    """:data:`_CONCAT` matches, tried only where :data:`_GLUED` finds two literals glued (from the
    opening quote of the first, on its line): a scan from every quote costs 4× more on code."""
    end = 0
    for glued in _GLUED.finditer(text):
        close = glued.start()
        if close < end:
            continue
        opening = text.rfind(text[close], text.rfind("\n", 0, close) + 1, close)
        m = _CONCAT.match(text, opening) if opening >= 0 else None
        if m is not None and m.end() > close:
            end = m.end()
            yield m


def _split_literal_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """Secrets split into glued string literals: the pieces joined are judged as one value, by
    the provider token shapes or by the name the value is assigned to."""
    for m in _glued_literals(text):
        joined = "".join(piece[1:-1] for piece in re.findall(_LITERAL, m.group()))
        if len(joined) < 8:
            continue
        kind = _token_kind(joined)
        if kind is None:
            before = _NAME_BEFORE.search(text, max(0, m.start() - 120), m.start())
            strength = _secret_name_kind(before.group(1)) if before else None
            if strength is not None and before is not None and _judged_secret(strength, joined, before.group(1)):
                kind = f"{strength == 'strong' and 'secret' or 'token'}_assignment"
        if kind is not None:
            yield m.start() + 1, m.end() - 1, kind


#: Token prefixes looked for base64-encoded: a token pasted through ``base64`` keeps no shape of
#: its own, but its encoded prefix (at the start of the value) is as distinctive as the prefix.
_B64_PREFIXES = ("sk_live_", "rk_live_", "ghp_", "gho_", "ghs_", "github_pat_", "glpat-", "xoxb-", "xoxp-",
                 "AKIA", "ASIA", "AIza", "sk-proj-", "sk-ant-", "npm_", "hf_", "whsec_", "-----BEGIN")
_B64_HEADS = tuple(base64.b64encode(p.encode()).decode()[: len(p) * 4 // 3] for p in _B64_PREFIXES)
_B64 = re.compile(r"(?<![A-Za-z0-9+/=_-])(?:" + "|".join(map(re.escape, _B64_HEADS))
                  + r")[A-Za-z0-9+/_-]{12,}={0,2}(?![A-Za-z0-9+/=_-])")


def _base64_spans(text: str, hints: TextHints) -> Iterator[tuple[int, int, str]]:
    """Base64 text that decodes to a provider token."""
    if not hints.any_of(probes(_B64_HEADS, False)):
        return
    for m in _B64.finditer(text):
        raw = m.group().replace("-", "+").replace("_", "/")
        try:
            decoded = base64.b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            continue
        kind = _token_kind(decoded)
        if kind is not None:
            yield m.start(), m.end(), f"base64_{kind}"


def _token_kind(value: str) -> str | None:
    """The kind of the first provider token in a short ``value`` (a joined or decoded literal),
    without the word index a whole file's scan builds."""
    low = value.lower()
    for kind, regex, literals in _TOKEN_PATTERNS:
        if any(lit in (low if lit.islower() else value) for lit in literals):
            for m in regex.finditer(value):
                token = m.group("v" if "v" in regex.groupindex else 0)
                if not _PLACEHOLDER_RUN.search(token) and not (kind in _JUDGED_TOKENS and _is_trivial(token)):
                    return kind
    return None


def _token_spans(text: str, hints: TextHints | None = None) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of every provider token and key block; placeholders (a run of one
    character: ``sk_test_xxxxxxxx``, ``AKIAXXXXXXXXXXXXXXXX``) left out."""
    hints = TextHints(text) if hints is None else hints
    present = hints.present(probes(_TOKEN_HINTS))
    for kind, regex, literals in _TOKEN_PATTERNS:
        if present.isdisjoint(literals):
            continue
        gate, lower_gate = _TOKEN_GATES.get(kind), _LOWER_GATES.get(kind)
        if (gate is not None and not gate.search(text)) or (lower_gate is not None
                                                            and not lower_gate.search(hints.lower)):
            continue
        group = "v" if "v" in regex.groupindex else 0
        for m in regex.finditer(text):
            value = m.group(group)
            if kind != "private_key" and _PLACEHOLDER_RUN.search(value):
                continue
            if "v" in regex.groupindex and kind in _JUDGED_TOKENS and _is_trivial(value):
                continue
            yield kind, m.start(group), m.end(group)


#: A run of one character: a placeholder inside a token's shape (8: a random 62-letter alphabet
#: repeats a character 8 times in a row about once in 10^14 positions; a placeholder always does).
_PLACEHOLDER_RUN = re.compile(r"(.)\1{7,}")
#: Patterns whose value is a password someone typed, judged like an assigned one.
_JUDGED_TOKENS = frozenset({"url_credentials", "connection_password", "command_line_password", "sql_password",
                            "netrc_password", "basic_auth_pair", "secure_string"})


def find_secret_spans(text: str, hints: TextHints | None = None) -> list[tuple[int, int, str]]:
    """Character spans ``(start, end, kind)`` of secrets in ``text``, sorted, none nested in another.

    Recognises provider tokens (AWS, GitHub, GitLab, Slack, Stripe, Google, OpenAI, Anthropic,
    npm, PyPI, Hugging Face, SendGrid, Twilio, DigitalOcean, Shopify, Azure, ...), private key
    blocks, JWTs, credentials in URLs, connection strings and command lines (``curl -u``,
    ``mysql -p``, ``--password``), Authorization headers, base64-encoded tokens, tokens split
    into glued literals, passwords written in comments, and literals (quoted, template, raw,
    Ruby ``%q``, ``#define``) given to a password/secret name (any non-trivial value) or to a
    token/key name (a random-looking value). ``hints``, the text's :class:`TextHints`, makes the
    scan cheaper; the result is the same.
    """
    hints = TextHints(text) if hints is None else hints
    spans = [(a, b, kind) for kind, a, b in _token_spans(text, hints)]
    positions = _keyword_positions(hints)
    spans.extend(_named_value_spans(text, hints, positions))
    spans.extend(_comment_spans(text, hints, positions))
    spans.extend(_split_literal_spans(text))
    spans.extend(_base64_spans(text, hints))
    spans.sort(key=lambda s: (s[0], -s[1]))
    out: list[tuple[int, int, str]] = []
    for span in spans:
        if out and span[1] <= out[-1][1]:
            continue  # inside a span already reported
        out.append(span)
    return out


# --------------------------------------------------------------------------- redaction


def marker(kind: str) -> str:
    """What replaces a secret value: says that something was removed, and what kind of thing."""
    return f"«redacted: {kind.replace('_', '-')}»"


def _merged(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for a, b, kind in sorted(spans):
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]), out[-1][2])
        else:
            out.append((a, b, kind))
    return out


def redact(text: str, spans: Iterable[tuple[int, int, str]] | None = None, hints: TextHints | None = None) -> str:
    """``text`` with every secret value (:func:`find_secret_spans`, or the ``spans`` given)
    replaced by its :func:`marker`. The one rule every surface that shows repository text applies."""
    found = find_secret_spans(text, hints) if spans is None else list(spans)
    if not found:
        return text
    parts, last = [], 0
    for a, b, kind in _merged(found):
        parts += [text[last:a], marker(kind)]
        last = b
    return "".join(parts) + text[last:]


def blank_words(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """``text`` with the words that hold a secret blanked out (for word indexes: no marker words)."""
    out = list(text)
    for a, b, _ in spans:
        while a > 0 and (text[a - 1].isalnum() or text[a - 1] == "_"):
            a -= 1
        while b < len(text) and (text[b].isalnum() or text[b] == "_"):
            b += 1
        out[a:b] = " " * (b - a)
    return "".join(out)


class Redactor:
    """The secret values found in one file, removed from the strings derived from it
    (signatures, docs, import strings): the file's text decides what a secret is, with its
    context; a derived string is a piece of it that may have lost that context."""

    #: Shortest piece of a secret replaced in derived strings; the detector judges no shorter value.
    MIN_PIECE = 6
    #: A piece of letters alone (``PRIVATE``, ``-----BEGIN``) is replaced only from this length.
    MIN_WORD_PIECE = 13

    def __init__(self, text: str, spans: Iterable[tuple[int, int, str]]) -> None:
        pieces: dict[str, str] = {}
        for a, b, kind in spans:
            for piece in re.split(r"[\s\"'`+\\]+", text[a:b]):
                if len(piece) >= self.MIN_PIECE and (len(piece) >= self.MIN_WORD_PIECE
                                                     or not re.fullmatch(r"[A-Za-z-]+", piece)):
                    pieces.setdefault(piece, kind)
        self.pieces = sorted(pieces.items(), key=lambda kv: -len(kv[0]))

    def __call__(self, value: str) -> str:
        for piece, kind in self.pieces:
            if piece in value:
                value = value.replace(piece, marker(kind))
        return value
