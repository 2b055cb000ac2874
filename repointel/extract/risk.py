"""Risk tags for files, and secret detection that keeps secrets out of context packets.

:func:`tag_risks` applies configurable :class:`RiskRule` s: a rule fires on a file when its
path matches (a glob or a regex) and, if the rule has one, its content regex matches too.
:data:`DEFAULT_RULES` cover auth, crypto, secrets, migrations, payments, IAM, CI/CD,
infrastructure, lockfiles, public API surface and generated code.

:func:`is_secret_file` says a file is secret by its name alone (``.env``, keys, keystores,
credentials); :func:`~repointel.extract.secrets.find_secret_spans` (re-exported here) finds
secret values inside text. The context builder drops any file for which either fires, so
these lean toward recall.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..models import RiskTag
from .hints import TextHints, probes
from .secrets import find_secret_spans

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
            hints.any_of(probes(self.content_hints, False)) if hints is not None
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
