"""A corpus of secrets written the ways people write them, and of look-alikes that are not secrets.

Every value here is made up (random characters in each provider's shape); none was ever a real
credential. Used by ``tests/test_secrets.py`` (recall and precision floors, nothing left after
redaction) and ``benchmarks/secrets.py`` (the same figures beside detect-secrets' plugins).

A positive case lists the values that must not survive redaction (``secrets``); a negative case
lists none, and nothing in it may be reported. ``variant`` groups the cases in the benchmark table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CASES", "Case", "NEGATIVES", "POSITIVES"]


@dataclass(frozen=True)
class Case:
    """One text as a file ``path`` holds it, and the secret values in it (none: a negative)."""

    id: str
    variant: str
    path: str
    text: str
    secrets: tuple[str, ...] = ()


POSITIVES: list[Case] = [
    # -- a token split across lines inside parentheses, or glued with +
    Case("py-split-parens", "split literal", "billing/config.py",
         'STRIPE_API_KEY = (\n    "sk_live_nskxiSRPCfgW1u1RqX1J"\n    "XDHKfoTe3D4X8ukWUfox"\n)\n',
         ("sk_live_nskxiSRPCfgW1u1RqX1J", "XDHKfoTe3D4X8ukWUfox")),
    Case("py-split-call", "split literal", "ci/publish.py",
         'client = Github(\n    "ghp_lhQCvpm8FOFlEsD4"\n    "qmq5ShuHRWYl398Zpkpm",\n)\n',
         ("ghp_lhQCvpm8FOFlEsD4", "qmq5ShuHRWYl398Zpkpm")),
    Case("js-split-plus", "split literal", "src/db.js",
         'const dbPassword = "Qz8!vR2m" +\n  "Lp4#tW9x";\n', ("Qz8!vR2m", "Lp4#tW9x")),
    Case("java-split-plus", "split literal", "src/main/java/App.java",
         'private static final String API_SECRET = "f3a9c2e1b8d4" +\n        "f60a5e2c9b17";\n',
         ("f3a9c2e1b8d4", "f60a5e2c9b17")),
    # -- JS template literals and Go raw strings
    Case("js-template", "template/raw literal", "src/pay.js",
         "const stripeKey = `sk_live_3I7OFHX6GXy2zRtDWbGP771mQnbfzQWx`;\n",
         ("sk_live_3I7OFHX6GXy2zRtDWbGP771mQnbfzQWx",)),
    Case("js-template-password", "template/raw literal", "src/admin.ts",
         "export const adminPassword = `c0rr3ct-H0rse-B4ttery`;\n", ("c0rr3ct-H0rse-B4ttery",)),
    Case("go-raw-token", "template/raw literal", "cmd/bot/main.go",
         "const slackToken = `xoxb-190433825023-7408682462793-NrEdHMTYwGdNDsZSsT6NamQO`\n",
         ("xoxb-190433825023-7408682462793-NrEdHMTYwGdNDsZSsT6NamQO",)),
    Case("go-raw-password", "template/raw literal", "internal/db/db.go",
         "var dbPassword = `Gx7#pQ2!zK9v`\n", ("Gx7#pQ2!zK9v",)),
    Case("go-typed-var", "typed constant", "internal/auth/keys.go",
         'var apiSecret string = "9f8e7d6c5b4a39281716"\n', ("9f8e7d6c5b4a39281716",)),
    # -- Rust and C constants
    Case("rust-const-str", "typed constant", "src/config.rs",
         'const API_KEY: &str = "AIzaK9s-uyA3q09mzHR8l_s9t_kFlTAYarl9ZZx";\n',
         ("AIzaK9s-uyA3q09mzHR8l_s9t_kFlTAYarl9ZZx",)),
    Case("rust-static-password", "typed constant", "src/db.rs",
         "pub const DB_PASSWORD: &'static str = \"Gr8-Sc0tt!42\";\n", ("Gr8-Sc0tt!42",)),
    Case("c-define-key", "C #define", "src/client.h",
         '#define API_KEY "a7Bx92kLmQ4vR8tZ1pW6"\n', ("a7Bx92kLmQ4vR8tZ1pW6",)),
    Case("c-define-password", "C #define", "firmware/wifi.c",
         '#define WIFI_PASSWORD "Sunsh1ne@Home"\n#define WIFI_SSID "office"\n', ("Sunsh1ne@Home",)),
    # -- credentials on a command line inside a string
    Case("curl-u-python", "command-line credentials", "scripts/deploy.py",
         'subprocess.run("curl -u deploy:Xk82!mQz7 https://ci.internal/api/build", shell=True)\n',
         ("Xk82!mQz7",)),
    Case("curl-user-groovy", "command-line credentials", "Jenkinsfile",
         "sh 'curl --user admin:Pa55w0rd!9 -X POST https://nexus.internal/upload'\n", ("Pa55w0rd!9",)),
    Case("mysql-p-shell", "command-line credentials", "scripts/backup.sh",
         "mysqldump -u root -pR00tDump#42 shop > shop.sql\n", ("R00tDump#42",)),
    Case("sshpass", "command-line credentials", "deploy/push.sh",
         "sshpass -p 'Dpl0y!Box7' ssh deploy@web1 'systemctl restart app'\n", ("Dpl0y!Box7",)),
    Case("sql-create-user", "command-line credentials", "db/init.sql",
         "CREATE USER app WITH PASSWORD 'Pg!Secret42';\nGRANT ALL ON DATABASE shop TO app;\n", ("Pg!Secret42",)),
    Case("mysql-identified-by", "command-line credentials", "db/users.sql",
         "CREATE USER 'report'@'%' IDENTIFIED BY 'R3p0rt#Read';\n", ("R3p0rt#Read",)),
    Case("netrc-heredoc", "command-line credentials", "ci/setup.sh",
         "cat > ~/.netrc <<EOF\nmachine api.github.com login ci-bot password G1thubB0t!pw\nEOF\n", ("G1thubB0t!pw",)),
    Case("requests-auth-tuple", "password default", "tools/export.py",
         'resp = requests.get(url, auth=("admin", "Adm1n!Pass"))\n', ("Adm1n!Pass",)),
    Case("powershell-securestring", "command-line credentials", "deploy/setup.ps1",
         '$pw = ConvertTo-SecureString "P@ssw0rd2024!" -AsPlainText -Force\n', ("P@ssw0rd2024!",)),
    # -- passwords in comments
    Case("comment-hash", "password in a comment", "app/settings.py",
         "DEBUG = False\n# admin password: Wq8#kP2zL\n", ("Wq8#kP2zL",)),
    Case("comment-slashes", "password in a comment", "src/server.ts",
         "// the staging db password is Tr1cky$Pass\nconst port = 5432;\n", ("Tr1cky$Pass",)),
    Case("comment-block", "password in a comment", "src/legacy.c",
         "/* root pwd = M0nkey!Bus */\nint main(void) { return 0; }\n", ("M0nkey!Bus",)),
    # -- Ruby percent literals
    Case("ruby-percent-q", "Ruby %q", "config/initializers/mail.rb",
         "config.smtp_password = %q(R3d!Fox#77)\n", ("R3d!Fox#77",)),
    Case("ruby-percent-Q-braces", "Ruby %q", "lib/client.rb",
         "API_SECRET = %Q{f1e2d3c4b5a69788}\n", ("f1e2d3c4b5a69788",)),
    # -- base64-encoded tokens
    Case("base64-ghp", "base64 token", "ci/release.py",
         'GH = base64.b64decode("Z2hwX1RFRE5HcFRkakh3eHI5U0dsTnk5Q0hueHBQdk1FVXl3RjFwQg==").decode()\n',
         ("Z2hwX1RFRE5HcFRkakh3eHI5U0dsTnk5Q0hueHBQdk1FVXl3RjFwQg==",)),
    Case("base64-aws-pair", "base64 token", "deploy/values.yaml",
         "awsCreds: QUtJQThZSjRCWEs5TjUzVDFQSFQ6YWZsOUYzbFdVZkxmUXhTRW1xdkV3UmYzSllxL0JWdHRrRzJ4VkdYaA==\n",
         ("QUtJQThZSjRCWEs5TjUzVDFQSFQ6YWZsOUYzbFdVZkxmUXhTRW1xdkV3UmYzSllxL0JWdHRrRzJ4VkdYaA==",)),
    Case("base64-stripe-js", "base64 token", "src/checkout.js",
         "const k = atob('c2tfbGl2ZV9tZXFTRUlIczZaWERBTEQ5QkNsNVJGSVFGVjJHd0ljMw==');\n",
         ("c2tfbGl2ZV9tZXFTRUlIczZaWERBTEQ5QkNsNVJGSVFGVjJHd0ljMw==",)),
    Case("k8s-secret-data", "base64 token", "k8s/db-secret.yaml",
         "kind: Secret\ndata:\n  password: UzNjcjN0UGFzcyE5OQ==\n", ("UzNjcjN0UGFzcyE5OQ==",)),
    # -- database URLs and connection strings
    Case("postgres-url", "database URL", "app/settings.py",
         'DATABASE_URL = "postgresql://app:q8Wv!2zRt@db.prod:5432/app"\n', ("q8Wv!2zRt",)),
    Case("mongodb-srv", "database URL", "src/db.ts",
         'mongoose.connect("mongodb+srv://admin:M0ng0Pa55x@cluster0.ab12c.mongodb.net/shop");\n',
         ("M0ng0Pa55x",)),
    Case("redis-no-user", "database URL", "docker-compose.yml",
         "    environment:\n      REDIS_URL: redis://:s3cr3tRed1s@cache:6379/0\n", ("s3cr3tRed1s",)),
    Case("jdbc-query-password", "database URL", "src/main/resources/application.properties",
         "spring.datasource.url=jdbc:mysql://db:3306/app?user=root&password=R00tPa55x9\n", ("R00tPa55x9",)),
    Case("dotnet-connection-string", "database URL", "src/Data/Db.cs",
         'private const string Conn = "Server=tcp:db.internal;Database=app;User Id=sa;Password=Mz8#qL2vX9;";\n',
         ("Mz8#qL2vX9",)),
    # -- defaults and keyword arguments
    Case("py-default-arg", "password default", "app/db.py",
         'def connect(host="db", user="app", password="Vx9!kq2Lm"):\n    ...\n', ("Vx9!kq2Lm",)),
    Case("js-default-arg", "password default", "src/login.js",
         'function login(user, pass = "letMe1n!now") {\n  return api(user, pass);\n}\n', ("letMe1n!now",)),
    Case("ts-ctor-default", "password default", "src/vault.ts",
         'constructor(private readonly secret: string = "b4d-s3cr3t-v4lu3") {}\n', ("b4d-s3cr3t-v4lu3",)),
    Case("py-kwarg-call", "password default", "app/cache.py",
         'cache = redis.Redis(host="cache", password="R3d1sP@ss77")\n', ("R3d1sP@ss77",)),
    Case("py-kwarg-api-key", "password default", "app/ai.py",
         'client = OpenAIClient(api_key="k3Jx9Lq2Vz8Nw4Rt7Yp1")\n', ("k3Jx9Lq2Vz8Nw4Rt7Yp1",)),
    # -- well-known key formats
    Case("aws-key-pair", "well-known format", "deploy/terraform.tfvars",
         'access_key = "AKIAY0IRZXJVVTI18B1J"\nsecret_key = "1tCwwVM+hlTwtBHjuDqMnViTQlISvY00bI3fGZJl"\n',
         ("AKIAY0IRZXJVVTI18B1J", "1tCwwVM+hlTwtBHjuDqMnViTQlISvY00bI3fGZJl")),
    Case("aws-id-in-yaml", "well-known format", ".github/workflows/deploy.yml",
         "        env:\n          AWS_ACCESS_KEY_ID: AKIAK1A69939GAQ1Z494\n", ("AKIAK1A69939GAQ1Z494",)),
    Case("stripe-live", "well-known format", "src/billing.rb",
         'Stripe.api_key = "sk_live_nskxiSRPCfgW1u1RqX1JXDHKfoTe3D4X8ukWUfox"\n',
         ("sk_live_nskxiSRPCfgW1u1RqX1JXDHKfoTe3D4X8ukWUfox",)),
    Case("github-npmrc", "well-known format", "tools/release.sh",
         "git push https://x-access-token:ghp_VxKGmZR53W1FnTtqavzoXUzIwLKHr0rMTtJh@github.com/acme/app\n",
         ("ghp_VxKGmZR53W1FnTtqavzoXUzIwLKHr0rMTtJh",)),
    Case("slack-bot", "well-known format", "bot/notify.py",
         'slack = WebClient(token="xoxb-190433825023-7408682462793-NrEdHMTYwGdNDsZSsT6NamQO")\n',
         ("xoxb-190433825023-7408682462793-NrEdHMTYwGdNDsZSsT6NamQO",)),
    Case("slack-webhook", "well-known format", "alerts/hook.go",
         'const hook = "https://hooks.slack.com/services/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"\n',
         ("1eGBQhrOlRTduYcItnAlmZi8",)),
    Case("private-key-block", "well-known format", "app/signing.py",
         'KEY = """-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oKOjA3Xh3K1poAoGCCqGSM49\n'
         'AwEHoUQDQgAE9Z3zHxL3b6pN+Qm7Xyc0e3TnN5aR0ivK3Y1Cq0m2kQp8tJ0x4wYb\n-----END EC PRIVATE KEY-----"""\n',
         ("MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oKOjA3Xh3K1poAoGCCqGSM49",)),
    Case("jwt-in-test", "well-known format", "src/api.js",
         "const auth = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsInJvbGUiOiJhZG1pbiJ9."
         "wxVHf8ysgvClIvidQE8F8bwtMZaaW2ezTK3oBNI20JG';\n",
         ("wxVHf8ysgvClIvidQE8F8bwtMZaaW2ezTK3oBNI20JG",)),
    Case("gitlab-pat", "well-known format", ".gitlab-ci.yml",
         "variables:\n  GL_TOKEN: glpat-3HK4nbkt1pmAe1J3lbDI\n", ("glpat-3HK4nbkt1pmAe1J3lbDI",)),
    Case("openai-key", "well-known format", "notebooks/demo.py",
         'openai.api_key = "sk-proj-F6k_9Ay4PH3MrzWQHVBeisYil-HSB9ijUtRQb3SzeKAExtSz"\n',
         ("sk-proj-F6k_9Ay4PH3MrzWQHVBeisYil-HSB9ijUtRQb3SzeKAExtSz",)),
    Case("sendgrid", "well-known format", "mailer/send.py",
         'sg = SendGridAPIClient("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")\n',
         ("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",)),
    Case("npm-token", "well-known format", "scripts/publish.sh",
         "npm config set //registry.npmjs.org/:_authToken npm_bLciJZ8Yu8jdpQYUkvtSJuXLu2H0Lv3qs8wo\n",
         ("npm_bLciJZ8Yu8jdpQYUkvtSJuXLu2H0Lv3qs8wo",)),
    # -- high-entropy values judged by the name they are given
    Case("properties-password", "named value", "src/main/resources/application-prod.properties",
         "spring.datasource.password=Pr0d!Db2024x\n", ("Pr0d!Db2024x",)),
    Case("yaml-client-secret", "named value", "config/oauth.yml",
         "google:\n  client_id: 1234.apps.googleusercontent.com\n  client_secret: 7f3a9c2e1b8d4f60a5e2c9b1\n",
         ("7f3a9c2e1b8d4f60a5e2c9b1",)),
    Case("json-api-key", "named value", "config/app.json",
         '{"service": "maps", "apiKey": "AbC123xYz789QwE456rTy0"}\n', ("AbC123xYz789QwE456rTy0",)),
    Case("dockerfile-env", "named value", "Dockerfile",
         "FROM python:3.12\nENV DB_PASSWORD=Ch4ng3d!Pass9\n", ("Ch4ng3d!Pass9",)),
    Case("header-api-key", "named value", "src/http.js",
         'fetch(url, { headers: { "X-API-Key": "9a8b7c6d5e4f3a2b1c0d" } });\n', ("9a8b7c6d5e4f3a2b1c0d",)),
    Case("dotnet-appsettings-xml", "named value", "App.config",
         '<appSettings>\n  <add key="ApiSecret" value="Zx9Qw8Er7Ty6Ui5Op4" />\n</appSettings>\n',
         ("Zx9Qw8Er7Ty6Ui5Op4",)),
    Case("php-password", "named value", "config/db.php",
         "$db_password = 'H3ll0W0rld!x';\n", ("H3ll0W0rld!x",)),
    Case("uuid-api-key-env", "named value", "deploy/heroku.sh",
         "export HEROKU_API_KEY=5f2b9c1e-8d3a-4e7b-9c6f-1a2b3c4d5e6f\n", ("5f2b9c1e-8d3a-4e7b-9c6f-1a2b3c4d5e6f",)),
]

NEGATIVES: list[Case] = [
    # -- hashes and checksums (lock files, fixtures, manifests)
    Case("npm-integrity", "hash", "package-lock.json",
         '      "integrity": "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+5REyt28X6n6bQ1XygvqOUaI2hEFxLoDdY8YZ0A==",\n'),
    Case("cargo-checksum", "hash", "Cargo.lock",
         '[[package]]\nname = "libc"\nversion = "0.2.150"\n'
         'checksum = "89d92a4743f9a61002fae18374ed11e7973f530cb3a3255fb354818118b2203c"\n'),
    Case("poetry-content-hash", "hash", "poetry.lock",
         '[metadata]\ncontent-hash = "4b1a3f9c2d7e8a6b5c0f1e2d3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"\n'),
    Case("go-sum", "hash", "go.sum",
         "github.com/pkg/errors v0.9.1 h1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=\n"),
    Case("test-sha256", "hash", "tests/test_digest.py",
         'def test_sha256():\n    assert digest(b"abc") == '
         '"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"\n'),
    Case("expected-digest", "hash", "tests/fixtures.py",
         'EXPECTED_DIGEST = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"\n'),
    Case("test-md5", "hash", "spec/hash_spec.rb",
         'expect(Digest::MD5.hexdigest("hello")).to eq("5d41402abc4b2a76b9719d911017c592")\n'),
    Case("homebrew-sha", "hash", "Formula/tool.rb",
         '  url "https://example.org/tool-1.0.tar.gz"\n'
         '  sha256 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"\n'),
    Case("yarn-resolved", "hash", "yarn.lock",
         '  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz'
         '#679591c564c3bffaae8454cf0b3df370c3d6911c"\n'),
    Case("git-sha", "hash", "tools/pins.py", 'PINNED_COMMIT = "9fceb02d0ae598e95dc970b74767f19372d61af8"\n'),
    Case("token-hash-fixture", "hash", "tests/test_tokens.py",
         'token_hash = "8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918"\n'),
    # -- identifiers
    Case("uuid-request-id", "identifier", "src/log.py", 'REQUEST_ID = "550e8400-e29b-41d4-a716-446655440000"\n'),
    Case("uuid-json-id", "identifier", "fixtures/user.json",
         '{"id": "123e4567-e89b-12d3-a456-426614174000", "name": "Ada"}\n'),
    Case("idempotency-key", "identifier", "tests/test_pay.py",
         'idempotency_key = "5f2b9c1e8d3a4e7b9c6f1a2b3c4d5e6f"\n'),
    # -- embedded binary data
    Case("base64-png", "base64 data", "src/logo.js",
         'export const logo = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";\n'),
    Case("base64-font", "base64 data", "static/app.css",
         "@font-face { src: url(data:font/woff2;base64,d09GMgABAAAAAAKMAA0AAAAABlgAAAI3AAEAAAAAAAAAAAAAAAAAAAAAAAAAP0ZGVE0cGh4GYACCUhEICoFMgUwLFAABNgIkAxQEIAWDUQc9G);}\n"),
    Case("base64-hello", "base64 data", "tests/test_codec.py", 'ENCODED = "SGVsbG8sIFdvcmxkIQ=="\n'),
    # -- public material
    Case("public-key-pem", "public key", "keys/signing.pub.py",
         'PUBLIC = """-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END PUBLIC KEY-----"""\n'),
    Case("ssh-public-key", "public key", "deploy/authorized_keys.txt",
         "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq8Wv2zRtQz8vR2mLp4tW9xNrEdHMTYwGdNDsZSsT6 deploy@ci\n"),
    Case("stripe-publishable", "public key", "src/checkout.ts",
         'const stripe = Stripe("pk_live_51HqLyjWDarjtT1zdp7dcXhRt4GkQW8eVbN2");\n'),
    # -- secrets read from elsewhere, placeholders
    Case("env-lookup-py", "reference", "app/settings.py", 'password = os.environ["DB_PASSWORD"]\n'),
    Case("env-lookup-js", "reference", "src/gh.js", "const token = process.env.GITHUB_TOKEN;\n"),
    Case("actions-secret", "reference", ".github/workflows/ci.yml",
         "      - uses: actions/checkout@v4\n        with:\n          token: ${{ secrets.GITHUB_TOKEN }}\n"),
    Case("npmrc-env", "reference", ".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"),
    Case("django-env", "reference", "app/settings.py", 'SECRET_KEY = env("DJANGO_SECRET_KEY")\n'),
    Case("spring-value", "reference", "src/main/java/Jwt.java",
         '@Value("${app.jwt.secret}")\nprivate String jwtSecret;\n'),
    Case("k8s-secret-ref", "reference", "k8s/deploy.yaml",
         "        env:\n          - name: DB_PASSWORD\n            valueFrom:\n              secretKeyRef:\n"
         "                name: db\n                key: password\n"),
    Case("placeholder-env", "placeholder", ".env.example", "API_KEY=your-api-key-here\nDB_PASSWORD=changeme\n"),
    Case("placeholder-stripe", "placeholder", "docs/payments.md",
         "Set `STRIPE_KEY=sk_test_xxxxxxxxxxxxxxxxxxxxxxxx` in your shell.\n"),
    Case("placeholder-aws", "placeholder", "docs/aws.md", "aws_access_key_id = AKIAXXXXXXXXXXXXXXXX\n"),
    Case("curl-env-creds", "placeholder", "scripts/api.sh", 'curl -u "$GH_USER:$GH_TOKEN" https://api.github.com/user\n'),
    Case("curl-prompt", "placeholder", "docs/upload.md", "curl -u admin https://nexus.internal/upload\n"),
    Case("docker-env-ref", "placeholder", "Makefile", "\tdocker run -e POSTGRES_PASSWORD=$$POSTGRES_PASSWORD postgres\n"),
    Case("db-url-no-password", "placeholder", "app/config.py",
         'DATABASE_URL = "postgres://localhost:5432/app"\nCACHE_URL = "redis://cache:6379/0"\n'),
    Case("db-url-env-password", "placeholder", "docker-compose.yml",
         "      DATABASE_URL: postgres://app:${DB_PASS}@db:5432/app\n"),
    # -- code and prose about secrets
    Case("signature-password", "code", "app/auth.py",
         "def authenticate(username: str, password: str) -> bool:\n    return check(username, password)\n"),
    Case("optional-api-key", "code", "app/client.py",
         "def __init__(self, api_key: str | None = None, timeout: float = 10.0):\n    self.api_key = api_key\n"),
    Case("password-compare", "code", "app/forms.py",
         "if password != confirm_password:\n    raise ValueError('passwords differ')\n"),
    Case("token-type", "code", "app/oauth.py",
         'token_type = "Bearer"\ngrant_type = "client_credentials"\nauth_method = "client_secret_basic"\n'),
    Case("i18n-labels", "code", "locales/en.json",
         '{"password_label": "Enter your password", "token_expired": "Your session token has expired"}\n'),
    Case("error-codes", "code", "app/errors.py",
         'PASSWORD_TOO_SHORT = "password_too_short"\nINVALID_TOKEN = "invalid_token"\n'),
    Case("header-name", "code", "internal/http/auth.go", 'const tokenHeader = "X-Auth-Token"\n'),
    Case("api-key-header", "code", "app/deps.py", 'api_key_header = APIKeyHeader(name="X-API-Key")\n'),
    Case("c-limits", "code", "src/auth.h", '#define PASSWORD_MAX_LEN 64\n#define TOKEN_DELIM ";"\n'),
    Case("rust-key-len", "code", "src/crypto.rs", "const KEY_LEN: usize = 32;\nconst SALT_LEN: usize = 16;\n"),
    Case("ruby-validation", "code", "app/models/user.rb",
         "validates :password, presence: true, length: { minimum: 12 }\n"),
    Case("token-regex", "code", "app/scan.py", 'TOKEN_RE = re.compile(r"[A-Za-z0-9]{32}")\n'),
    Case("comment-policy", "prose", "app/auth.py",
         "# password must be at least 12 characters long\n# rotate the token every 90 days\n"),
    Case("doc-param", "prose", "docs/api.md",
         "* `password`: the user's password (string, required).\n* `api_key`: your API key.\n"),
    Case("key-path", "code", "deploy/ssh.py", 'private_key_path = "~/.ssh/id_rsa"\n'),
    Case("mock-key", "code", "tests/conftest.py", 'MOCK_API_KEY = "mock-api-key"\nfake_token = "test-token"\n'),
    Case("css-color", "code", "src/theme.py", 'primary_key_color = "#a3f2c1"\naccent = "#ffcc00"\n'),
    Case("sql-password-placeholder", "placeholder", "db/init.sql",
         "CREATE USER app WITH PASSWORD '${DB_PASSWORD}';\nALTER USER app IDENTIFIED BY :'pw';\n"),
    Case("auth-tuple-env", "reference", "tools/export.py",
         'resp = requests.get(url, auth=(user, os.environ["EXPORT_PASSWORD"]))\nauth = ("svc", password)\n'),
    Case("entry-point", "code", "setup.cfg",
         "[options.entry_points]\nconsole_scripts =\n    detect-secrets = detect_secrets.main:main\n"),
    Case("secret-regex", "code", "plugins/keyword.py",
         'SECRET_PATTERN = r"(?:secret[-_]?key)\\s*=\\s*([a-f0-9]{48})"\ntoken = r"[-!#$%&\'*+.^_`|~0-9a-zA-Z]+"\n'),
    Case("key-header-constant", "public key", "ssh/keys.py",
         '_SK_START = b"-----BEGIN OPENSSH PRIVATE KEY-----"\n_SK_END = b"-----END OPENSSH PRIVATE KEY-----"\n'
         "\n\ndef load(data: bytes, password: bytes | None = None) -> Key:\n    return parse(data)\n"),
]

CASES: list[Case] = POSITIVES + NEGATIVES
