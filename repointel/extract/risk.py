"""Risk tags for files, and secret detection that keeps secrets out of context packets.

:func:`tag_risks` applies configurable :class:`RiskRule` s: a rule fires on a file when its
path matches (a glob or a regex) and, if the rule has one, its content regex matches too.
:data:`DEFAULT_RULES` cover auth, crypto, secrets, migrations, payments, IAM, CI/CD,
infrastructure, lockfiles, public API surface and generated code.

:func:`is_secret_file` says a file is secret by its name alone (``.env``, keys, keystores,
credentials); :func:`find_secret_spans` finds secret values inside text (provider tokens,
private key blocks, JWTs, credentials in URLs, and ``password = "..."`` style assignments
with a non-trivial literal). The context builder drops any file for which either fires, so
these lean toward recall.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache

from ..models import RiskTag
from .terms import WORD

__all__ = [
    "DEFAULT_RULES",
    "RiskRule",
    "TextHints",
    "find_secret_spans",
    "glob_regex",
    "is_secret_file",
    "tag_risks",
]

#: Content rules look at this much of a file: enough for imports and top-level code.
CONTENT_LIMIT = 200_000


def glob_regex(glob: str) -> str:
    """A regex for a path glob: ``*`` and ``?`` stay within a segment, ``**`` spans segments,
    and a glob without ``/`` matches the file name at any depth."""
    if "/" not in glob:
        glob = "**/" + glob
    out, i = "", 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif glob.startswith("**", i):
            out, i = out + ".*", i + 2
        elif glob[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif glob[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(glob[i]), i + 1
    return out


class TextHints:
    """Which literals may occur in one text, answered from the text's distinct words.

    A literal of word characters occurs only inside one word, so it is looked for in the
    distinct words joined by newlines (a sixth of the text's size on code). A literal with
    punctuation is first looked for by its word pieces, each bounded by the newline that stands
    for the punctuation around it, and only then in the text. The answers are exact; the point is
    that most literals are absent and an absent one costs a search of the words, not the text.
    Lower-cased literals are looked for in the lower-cased words; that is exact unless the text
    holds one of the two characters whose lower case holds an ASCII letter (U+0130, U+212A), and
    such a text is searched directly. The secret scan and the risk rules ask ~100 such questions
    of every file."""

    __slots__ = ("_blob", "_lower", "_lower_blob", "_text")

    def __init__(self, text: str, words: Iterable[str] | None = None) -> None:
        """``words``: the text's distinct words (:data:`~repointel.extract.terms.WORD` matches),
        when the caller has them already."""
        self._text = text
        self._lower: str | None = None
        self._blob = "\n" + "\n".join(set(WORD.findall(text)) if words is None else words) + "\n"
        self._lower_blob: str | None = None
        if text.isascii() or not _LOWERS_TO_ASCII.search(text):
            self._lower_blob = self._blob.lower()

    @property
    def lower(self) -> str:
        """The text, lower-cased (once)."""
        if self._lower is None:
            self._lower = self._text.lower()
        return self._lower

    def may_contain(self, literal: str, lowered: bool = False) -> bool:
        """Whether ``literal`` is in the text (in its lower-cased form if ``lowered``)."""
        return self.any_of(_probes((literal,), lowered))

    def any_of(self, probes: tuple[_Probe, ...]) -> bool:
        """Whether any probe's literal is in the text (see :func:`_probes`)."""
        return bool(self.present(probes, first=True))

    def present(self, probes: tuple[_Probe, ...], first: bool = False) -> set[str]:
        """The literals of ``probes`` that are in the text (only the first found, if ``first``).
        One loop, no call per probe: a file's ~100 questions cost microseconds each."""
        out: set[str] = set()
        for literal, lowered, pieces in probes:
            blob = self._lower_blob if lowered else self._blob
            if blob is None:
                found = literal in self.lower
            elif pieces is None:  # word characters only: in the words exactly when in the text
                found = literal in blob
            else:  # the pieces are a cheap necessary condition; the text decides
                found = all(piece in blob for piece in pieces) and literal in (
                    self.lower if lowered else self._text)
            if found:
                out.add(literal)
                if first:
                    break
        return out


#: The non-ASCII characters whose lower case holds an ASCII letter (İ and the Kelvin sign).
_LOWERS_TO_ASCII = re.compile("[\u0130\u212a]")

#: (literal, look in the lower-cased text, the word pieces to find first or None when the literal
#: is all word characters).
_Probe = tuple[str, bool, tuple[str, ...] | None]


@cache
def _probes(literals: tuple[str, ...], lowered: bool | None = None) -> tuple[_Probe, ...]:
    """Probes for ``literals``, each looked for in the lower-cased text when ``lowered`` (when
    None: when the literal itself is lower case)."""
    out: list[_Probe] = []
    for literal in literals:
        low = literal.islower() if lowered is None else lowered
        if WORD.fullmatch(literal):
            out.append((literal, low, None))
            continue
        pieces = tuple(("\n" if m.start() > 0 else "") + m.group() + ("\n" if m.end() < len(literal) else "")
                       for m in WORD.finditer(literal))
        out.append((literal, low, pieces))
    return tuple(out)


@dataclass(frozen=True)
class RiskRule:
    """One tagging rule. ``globs`` (any matching) or ``path_regex`` (searched, case-insensitive)
    select files, and so does ``predicate`` (a function of the path); ``content_regex``, when set,
    must also match the first ``content_limit`` characters. ``exclude_regex`` vetoes paths.
    ``content_hints``, when given, are literals of which every content match contains one: the
    regex runs only when one occurs (a substring test is ~50× cheaper than a regex alternation)."""

    tag: str
    rule: str
    globs: tuple[str, ...] = ()
    path_regex: str | None = None
    content_regex: str | None = None
    exclude_regex: str | None = None
    content_limit: int = CONTENT_LIMIT
    content_hints: tuple[str, ...] = ()
    predicate: Callable[[str], bool] | None = None
    _compiled: list[re.Pattern[str] | None] = field(default_factory=list, init=False, compare=False,
                                                    repr=False)

    def _patterns(self) -> list[re.Pattern[str] | None]:
        if not self._compiled:
            globs = "|".join(f"(?:{glob_regex(g)})" for g in self.globs)
            self._compiled.extend([
                re.compile(globs, re.IGNORECASE) if globs else None,
                re.compile(self.path_regex, re.IGNORECASE) if self.path_regex else None,
                re.compile(self.content_regex, re.MULTILINE) if self.content_regex else None,
                re.compile(self.exclude_regex, re.IGNORECASE) if self.exclude_regex else None,
            ])
        return self._compiled

    def path_matches(self, path: str) -> bool:
        """Whether ``path`` is selected by this rule's globs or path regex (and not excluded)."""
        globs, regex, _content, exclude = self._patterns()
        if exclude is not None and exclude.search(path):
            return False
        return bool((globs is not None and globs.fullmatch(path))
                    or (regex is not None and regex.search(path))
                    or (self.predicate is not None and self.predicate(path)))

    def content_matches(self, text: str, hints: TextHints | None = None) -> bool:
        """Whether the content regex (if any) matches the start of ``text``; ``hints``, the
        text's :class:`TextHints`, makes the hint test cheaper."""
        content = self._patterns()[2]
        if content is None:
            return True
        head = text[: self.content_limit]
        if self.content_hints and not (
            hints.any_of(_probes(self.content_hints, False)) if hints is not None
            else any(h in head for h in self.content_hints)
        ):
            return False
        return bool(content.search(head))


# --------------------------------------------------------------------------- secret files

_SECRET_NAMES = frozenset({
    ".env", ".envrc", ".netrc", "_netrc", ".pgpass", ".git-credentials", ".dockercfg", ".htpasswd",
    "htpasswd", "credentials", "credentials.json", "credentials.yml", "credentials.yaml", "credentials.xml",
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk", "secrets.yml",
    "secrets.yaml", "secrets.json", "secrets.toml", "secret.yml", "secret.yaml", "master.key",
    "client_secret.json", "client_secrets.json", "service-account.json", "service_account.json",
    "terraform.tfstate", "terraform.tfstate.backup", ".s3cfg", ".boto",
})
_SECRET_EXTS = frozenset({
    ".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".bks", ".ppk", ".kdbx", ".gpg", ".p8",
    ".tfstate", ".age", ".ovpn", ".mobileprovision", ".pkcs12",
})
_ENV_TEMPLATES = frozenset({"example", "sample", "template", "dist", "defaults", "schema", "tpl", "in"})


def is_secret_file(path: str) -> bool:
    """Whether a file is secret by its name: ``.env`` files (not ``.env.example``), private keys,
    keystores, certificates with keys, credential stores, Terraform state."""
    name = posixpath.basename(path)
    low = name.lower()
    if low in _SECRET_NAMES:
        return True
    if low.startswith(".env."):
        return low.rsplit(".", 1)[-1] not in _ENV_TEMPLATES
    if low.endswith(".env") and low != ".env":
        return not any(t in low for t in _ENV_TEMPLATES)
    if re.fullmatch(r"id_(?:rsa|dsa|ecdsa|ed25519)(?:_\w+)?", low):
        return True
    if "/.aws/credentials" in "/" + path or "/.docker/config.json" in "/" + path:
        return True
    if re.fullmatch(r"(?:.+[-_.])?(?:secrets?|credentials?)\.(?:ya?ml|json|toml|ini|env|properties)", low):
        return "example" not in low and "sample" not in low and "template" not in low
    return any(low.endswith(ext) for ext in _SECRET_EXTS) and not low.endswith(".pub")


_SRC = r"\.(?:py|pyi|js|jsx|mjs|cjs|ts|tsx|go|java|kt|kts|scala|rs|rb|php|cs|c|cc|cpp|h|hpp|swift|ex|exs)$"
_VENDOR = r"(?:^|/)(?:node_modules|vendor|third_party|\.venv|venv|site-packages)/"


def _words(*words: str) -> str:
    """A path regex matching any of ``words`` as a whole path token (split on / . _ - and case)."""
    return r"(?:^|[/._-])(?:" + "|".join(words) + r")(?:[/._-]|$)"


#: Default tagging rules. Order does not matter; every rule that fires yields a tag.
DEFAULT_RULES: list[RiskRule] = [
    RiskRule("secrets", "secret_file", predicate=is_secret_file),
    RiskRule("auth", "auth_path", path_regex=_words(
        "auth", "authn", "authenticat\\w*", "login", "logout", "signin", "signup", "sessions?", "oauth2?",
        "sso", "saml", "oidc", "jwt", "passwords?", "mfa", "2fa", "totp", "passport"),
        exclude_regex=_VENDOR),
    RiskRule("auth", "auth_code", path_regex=_SRC, exclude_regex=_VENDOR, content_regex=(
        r"@login_required|\bauthenticate\(|check_password|set_password|bcrypt|argon2|passlib|"
        r"\bpassport\.use|OAuth2PasswordBearer|\bjwt\.(?:encode|decode|sign|verify)\b|"
        r"@PreAuthorize|SecurityFilterChain|devise\b|has_secure_password"), content_hints=(
        "login_required", "authenticate(", "check_password", "set_password", "bcrypt", "argon2",
        "passlib", "passport.use", "OAuth2PasswordBearer", "jwt.", "PreAuthorize",
        "SecurityFilterChain", "devise", "has_secure_password")),
    RiskRule("crypto", "crypto_path", path_regex=_words(
        "crypto\\w*", "cipher", "encrypt\\w*", "decrypt\\w*", "hmac", "signing", "signatures?", "tls",
        "ssl", "certs?", "certificates?", "kms", "keystore", "keyring"), exclude_regex=_VENDOR),
    RiskRule("crypto", "crypto_code", path_regex=_SRC, exclude_regex=_VENDOR, content_regex=(
        r"^[ \t]*(?:import|from)\s+(?:hmac|secrets|cryptography|Crypto|nacl|ssl|jwt|jose)\b|"
        r"require\(['\"](?:crypto|bcrypt|jsonwebtoken|node-forge)['\"]\)|"
        r"from ['\"](?:crypto|node:crypto|jose)['\"]|\"crypto/\w+\"|javax\.crypto|"
        r"java\.security\.|#include\s*<openssl/|use (?:ring|rustls|aes|sha2|rsa)::"), content_hints=(
        "hmac", "secrets", "Crypto", "crypto", "nacl", "ssl", "jwt", "jose", "bcrypt", "jsonwebtoken",
        "node-forge", "java.security.", "openssl/", "use ring", "use rustls", "use aes", "use sha2",
        "use rsa")),
    RiskRule("migrations", "migration_path", exclude_regex=_VENDOR, path_regex=(
        r"(?:^|/)(?:migrations?|migrate|alembic|flyway|liquibase|changelogs?|schema_migrations)/|"
        r"(?:^|/)db/(?:migrate|changelog|schema\.rb|structure\.sql)|(?:^|/)V\d+(?:_\d+)*__\w+\.sql$")),
    RiskRule("payments", "payments_path", path_regex=_words(
        "payments?", "billing", "invoices?", "invoicing", "checkout", "stripe", "paypal", "braintree",
        "adyen", "subscriptions?", "pricing", "refunds?", "charges?", "wallet", "ledger", "payouts?"),
        exclude_regex=_VENDOR),
    RiskRule("payments", "payments_code", path_regex=_SRC, exclude_regex=_VENDOR, content_regex=(
        r"^[ \t]*(?:import|from)\s+(?:stripe|braintree|paypalrestsdk|adyen)\b|"
        r"require\(['\"](?:stripe|braintree|@paypal/[\w-]+)['\"]\)|from ['\"](?:stripe|@stripe/[\w-]+)['\"]|"
        r"com\.stripe\.|github\.com/stripe/stripe-go"),
        content_hints=("stripe", "braintree", "paypalrestsdk", "adyen", "@paypal/")),
    RiskRule("iam", "iam_path", path_regex=_words(
        "iam", "permissions?", "rbac", "abac", "acls?", "roles?", "polic(?:y|ies)", "authz",
        "authori[sz]ation", "access[_-]?control", "grants?", "privileges?"), exclude_regex=_VENDOR),
    RiskRule("iam", "iam_files", globs=("*.rego", "*.cedar", "**/iam/**/*.json")),
    RiskRule("ci_cd", "ci_config", globs=(
        ".github/workflows/*.yml", ".github/workflows/*.yaml", ".github/actions/**", ".gitlab-ci.yml",
        ".gitlab/ci/**", "Jenkinsfile", "Jenkinsfile.*", ".circleci/**", "azure-pipelines.yml",
        ".azure-pipelines/**", ".travis.yml", "bitbucket-pipelines.yml", ".buildkite/**",
        ".drone.yml", "cloudbuild.yaml", "cloudbuild.yml", "appveyor.yml", ".woodpecker.yml",
        ".github/dependabot.yml", "renovate.json", ".pre-commit-config.yaml", "codecov.yml")),
    RiskRule("infra", "deployment_config", exclude_regex=_VENDOR, globs=(
        "Dockerfile", "Dockerfile.*", "*.Dockerfile", "docker-compose*.yml", "docker-compose*.yaml",
        "compose.yml", "compose.yaml", "*.tf", "*.tfvars", "*.hcl", "Chart.yaml", "**/k8s/**",
        "**/kubernetes/**", "**/helm/**", "Procfile", "fly.toml", "app.yaml", "serverless.yml",
        "**/ansible/**", "Vagrantfile")),
    RiskRule("lockfile", "dependency_lockfile", globs=(
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock",
        "poetry.lock", "Pipfile.lock", "uv.lock", "pdm.lock", "requirements*.lock", "Cargo.lock", "go.sum",
        "Gemfile.lock", "composer.lock", "gradle.lockfile", "packages.lock.json", "mix.lock", "flake.lock",
        "Podfile.lock", "Package.resolved", "pubspec.lock", "conan.lock", "vcpkg-lock.json")),
    RiskRule("public_api", "package_init", exclude_regex=_VENDOR + r"|(?:^|/)tests?/",
             path_regex=r"^(?:src/|lib/)?[A-Za-z_][\w]*/__init__\.py$"),
    RiskRule("public_api", "index_module", exclude_regex=_VENDOR,
             globs=("index.ts", "index.tsx", "index.js", "index.mjs", "index.d.ts", "mod.ts", "lib.rs")),
    RiskRule("public_api", "interface_definition", exclude_regex=_VENDOR, globs=(
        "*.proto", "*.thrift", "*.graphql", "*.graphqls", "*.avsc", "*.smithy", "openapi*.yaml",
        "openapi*.yml", "openapi*.json", "swagger*.yaml", "swagger*.yml", "swagger*.json",
        "*.openapi.yaml", "*.openapi.json", "asyncapi*.yaml")),
    RiskRule("generated", "generated_name", path_regex=(
        r"(?:_pb2(?:_grpc)?\.pyi?|\.pb\.go|_grpc\.pb\.go|\.pb\.(?:cc|h)|\.pb\.swift|_pb\.(?:js|d\.ts)|"
        r"\.g\.dart|\.freezed\.dart|\.generated\.\w+|_generated\.\w+|\.gen\.\w+|\.designer\.cs|"
        r"\.min\.(?:js|css)|\.bundle\.js)$|(?:^|/)(?:generated|__generated__|gen)/")),
    RiskRule("generated", "generated_marker", path_regex=r".", content_limit=2048, content_regex=(
        r"^[ \t]*(?:#|//|/?\*|--|;|<!--|\"\"\"|''')[^\n]{0,20}?"
        r"(?:@generated|Code generated .{0,80}DO NOT EDIT|DO NOT EDIT|[Aa]uto-?generated|"
        r"This file (?:is|was) (?:auto-?)?generated|Generated by (?:the )?protoc)"),
        content_hints=("enerated", "DO NOT EDIT")),
]


def _read_cached(read_text: Callable[[str], str | None] | None) -> Callable[[str], str | None]:
    cache: dict[str, str | None] = {}

    def read(path: str) -> str | None:
        if read_text is None:
            return None
        if path not in cache:
            cache.clear()  # one file at a time: rules are applied file by file
            cache[path] = read_text(path)
        return cache[path]

    return read


def tag_risks(files: Iterable[str], rules: Sequence[RiskRule] = DEFAULT_RULES,
              read_text: Callable[[str], str | None] | None = None,
              hints: TextHints | None = None) -> list[RiskTag]:
    """Every (path, tag, rule) that fires, one per (path, tag) — the first rule that fires wins.

    Content rules need ``read_text`` (repo-relative path -> text or None); without it they
    never fire. ``hints``: the :class:`TextHints` of the text ``read_text`` returns, when
    tagging a single file.
    """
    read = _read_cached(read_text)
    out: list[RiskTag] = []
    for path in files:
        seen: set[str] = set()
        for rule in rules:
            if rule.tag in seen or not rule.path_matches(path):
                continue
            if rule.content_regex is not None:
                text = read(path)
                if text is None or not rule.content_matches(text, hints):
                    continue
            seen.add(rule.tag)
            out.append(RiskTag(path=path, tag=rule.tag, rule=rule.rule))
    return out




# --------------------------------------------------------------------------- secrets in text

#: Provider tokens and key material, recognisable by their shape alone: (kind, regex, hints).
#: A regex runs only when one of its hints occurs in the text (hints in lower case are looked
#: for in the lower-cased text). A named group ``v`` marks the secret inside a larger match.
_TOKEN_SPECS: list[tuple[str, str, tuple[str, ...]]] = [
    ("private_key", r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
                    r"(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|\Z)", ("PRIVATE KEY",)),
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
    ("url_credentials", r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s:/@'\"<>]{1,100}:"
                        r"(?P<v>[^\s:/@'\"<>]{3,200})@[A-Za-z0-9.\[\]-]", ("://",)),
]
_TOKEN_PATTERNS = [(kind, re.compile(rx), hints) for kind, rx, hints in _TOKEN_SPECS]
#: Every hint of :data:`_TOKEN_PATTERNS` once: looked for together, then each pattern checks its own.
_TOKEN_HINTS = tuple(dict.fromkeys(h for _, _, hints in _TOKEN_SPECS for h in hints))
#: Cheap necessary conditions for patterns whose hints are common in code: each starts with a
#: literal, which the regex engine finds fast; the full pattern runs only when its gate matches.
_TOKEN_GATES: dict[str, re.Pattern[str]] = {
    "url_credentials": re.compile(r"://[^\s:/@'\"<>]{1,100}:[^\s:/@'\"<>]{3,200}@"),
    "twilio_key": re.compile(r"SK[0-9a-f]{32}"),
}

#: ``name = "literal"`` in most languages and formats (with an optional type annotation);
#: the name is judged afterwards by :data:`_STRONG_NAME` / :data:`_WEAK_NAME`.
_ASSIGNMENT = re.compile(
    r"(?P<tail>(?:pass|secret|pwd|pw\b|token|key|auth|credential|dsn|conn|salt|bearer)[\w.-]{0,40}?)"
    r"['\"]?\s*(?::\s*[A-Za-z_][\w\[\]., |]{0,40}?\s*)?(?::=|=>|===?|!==?|==?|:|<-)\s*[rbuf]{0,2}"
    r"(?:\"(?P<v1>[^\"\n]{1,500})\"|'(?P<v2>[^'\n]{1,500})')", re.IGNORECASE)
_NAME_HEAD = re.compile(r"[\w.-]{0,80}$")
#: ``NAME=value`` / ``name: value`` lines without quotes (.env, properties, YAML, INI).
_BARE = re.compile(r"(?m)^[ \t]*(?:export[ \t]+|-[ \t]+)?(?P<name>[A-Za-z_][\w.-]{0,80})[ \t]*[=:][ \t]*"
                   r"(?P<v>[^\s'\"#!&*|>{$\[(][^\s#'\"()\[\]{},;]*)[ \t]*(?:#.*)?$")
_XML = re.compile(r"<(?P<name>[\w.-]{0,40}(?:password|passwd|secret)[\w.-]{0,40})>(?P<v>[^<\s]{6,200})</",
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


def _is_trivial(value: str) -> bool:
    low = value.lower()
    if len(value) < 6 or low in _TRIVIAL or any(w in low for w in _PLACEHOLDER_WORDS):
        return True
    if re.search(r"\s", value) or value[0] in "$%{<@!&*/~." or value.startswith(("http://", "https://")):
        return True
    if re.fullmatch(r"[A-Z][A-Z0-9_]*|(.)\1*|[\d.:-]+|[A-Za-z]{1,12}|(?:my|your|the|some|a)[-_].*", value):
        return True  # an env variable's name, a repeated character, a number or date, a word
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
    key = name.rsplit(".", 1)[-1].lower().replace("-", "_")
    if _STRONG_NAME.search(key):
        return "strong"
    if _WEAK_NAME.search(key):
        return "weak"
    return None


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


def _candidate_matches(text: str, hints: TextHints, regex: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """``regex.finditer(text)`` for :data:`_ASSIGNMENT` and :data:`_BARE`, trying the regex only
    where a match that can name a secret may start: an assignment starts at a word of
    :data:`_ASSIGNMENT_WORDS`; a bare ``name=value`` line holds one in its name. ~20× faster on
    code, where trying every position (every line) dominated. Falls back to the plain scan when
    lower-casing changed the text's length (offsets would not line up)."""
    if len(hints.lower) != len(text):
        yield from regex.finditer(text)
        return
    starts = _keyword_positions(hints)
    if regex is _BARE:  # one match at most per line, from its start
        starts = sorted({text.rfind("\n", 0, pos) + 1 for pos in starts})
    end = 0
    for pos in starts:
        if pos < end:
            continue
        m = regex.match(text, pos)
        if m is not None:
            yield m
            end = m.end()


def _assignment_spans(text: str, hints: TextHints) -> Iterable[tuple[int, int, str]]:
    for regex, bare in ((_ASSIGNMENT, False), (_BARE, True), (_XML, False)):
        found = regex.finditer(text) if regex is _XML else _candidate_matches(text, hints, regex)
        for m in found:
            kind = _secret_name_kind(_name(text, m))
            if kind is None:
                continue
            group = next(g for g in ("v", "v1", "v2") if g in regex.groupindex and m.group(g) is not None)
            value = m.group(group)
            if bare and (re.fullmatch(r"[A-Za-z_.]+", value) or "(" in value):
                continue  # code (``password = other_variable``), not a literal
            if (kind == "strong" and not _is_trivial(value)) or (kind == "weak" and _looks_random(value)):
                yield m.start(group), m.end(group), f"{kind == 'strong' and 'secret' or 'token'}_assignment"


def find_secret_spans(text: str, hints: TextHints | None = None) -> list[tuple[int, int, str]]:
    """Character spans ``(start, end, kind)`` of secrets in ``text``, sorted, none nested in another.

    Recognises provider tokens (AWS, GitHub, GitLab, Slack, Stripe, Google, OpenAI, Anthropic,
    npm, PyPI, Hugging Face, SendGrid, Twilio, DigitalOcean, Shopify, Azure), private key
    blocks, JWTs, credentials embedded in URLs, Authorization headers, and assignments of a
    non-trivial literal to a password/secret name or of a random-looking literal to a
    token/key name. ``hints``, the text's :class:`TextHints`, makes the scan cheaper; the
    result is the same.
    """
    spans: list[tuple[int, int, str]] = []
    hints = TextHints(text) if hints is None else hints
    present = hints.present(_probes(_TOKEN_HINTS))
    for kind, regex, literals in _TOKEN_PATTERNS:
        if present.isdisjoint(literals):
            continue
        gate = _TOKEN_GATES.get(kind)
        if gate is not None and not gate.search(text):
            continue
        for m in regex.finditer(text):
            if "v" in regex.groupindex:
                if kind == "url_credentials" and _is_trivial(m.group("v")):
                    continue
                spans.append((m.start("v"), m.end("v"), kind))
            else:
                spans.append((m.start(), m.end(), kind))
    spans.extend(_assignment_spans(text, hints))
    spans.sort(key=lambda s: (s[0], -s[1]))
    out: list[tuple[int, int, str]] = []
    for span in spans:
        if out and span[1] <= out[-1][1]:
            continue  # inside a span already reported
        out.append(span)
    return out
