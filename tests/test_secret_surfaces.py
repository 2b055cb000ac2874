"""No secret value on any surface: the repository map, symbols, symbol cards, packets, the
``symbols`` and ``terms`` tables read through ``query`` — CLI subprocesses and the real MCP client."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession

from repointel.api import Repo

from .conftest import make_git_repo, run_cli
from .test_mcp import _ok, _session, _text

#: Files that define symbols whose headers hold secret values, the ways the issue saw them leak.
FILES: dict[str, str | bytes] = {
    "app/settings.py": (
        'STRIPE_API_KEY = "sk_live_nskxiSRPCfgW1u1RqX1JXDHKfoTe3D4X8ukWUfox"\n'
        'DATABASE_URL = "postgresql://app:q8Wv!2zRt@db.prod:5432/app"\n'
        'AWS_KEY_ID = "AKIAY0IRZXJVVTI18B1J"\n\n\n'
        'def connect(host="db", password="Vx9!kq2Lm"):\n    return host\n\n\n'
        "# admin password: Wq8#kP2zL\ndef admin():\n    return connect()\n"
    ),
    "src/client.js": (
        "export const slackToken = `xoxb-190433825023-7408682462793-NrEdHMTYwGdNDsZSsT6NamQO`;\n"
        'export function login(user, pass = "letMe1n!now") {\n  return user;\n}\n'
    ),
    "src/config.rs": 'pub const API_KEY: &str = "AIzaK9s-uyA3q09mzHR8l_s9t_kFlTAYarl9ZZx";\n'
                     "pub fn key() -> &'static str {\n    API_KEY\n}\n",
    "src/client.h": '#define API_KEY "a7Bx92kLmQ4vR8tZ1pW6"\nint login(const char *user);\n',
    "app/billing.py": "from app.settings import connect\n\n\ndef charge(amount):\n    return connect()\n",
}
SECRETS = ["sk_live_nskxiSRPCfgW1u1RqX1JXDHKfoTe3D4X8ukWUfox", "q8Wv!2zRt", "AKIAY0IRZXJVVTI18B1J", "Vx9!kq2Lm",
           "Wq8#kP2zL", "xoxb-190433825023-7408682462793-NrEdHMTYwGdNDsZSsT6NamQO", "letMe1n!now",
           "AIzaK9s-uyA3q09mzHR8l_s9t_kFlTAYarl9ZZx", "a7Bx92kLmQ4vR8tZ1pW6"]
#: The words of the secrets as the terms index would store them (lower case, 4+ characters).
SECRET_TERMS = {w.lower() for s in SECRETS for w in re.findall(r"[A-Za-z0-9]+", s) if len(w) >= 4}


def _assert_clean(text: str, where: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"{where} shows {leaked}"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_git_repo(tmp_path_factory.mktemp("secret-surfaces") / "repo", FILES)
    with Repo.open(root) as r:
        r.index()
    return root


def test_the_map_shows_markers_not_values(repo: Path) -> None:
    text = run_cli("map", "--repo", str(repo), "--budget", "4000").stdout
    _assert_clean(text, "map")
    assert "STRIPE_API_KEY" in text and "«redacted: stripe-key»" in text
    assert "«redacted: secret-assignment»" in text  # password="…" default of connect()
    _assert_clean(run_cli("map", "--repo", str(repo), "--budget", "4000", "--json").stdout, "map --json")


def test_symbols_and_symbol_cards_show_no_value(repo: Path) -> None:
    out = run_cli("symbols", "--repo", str(repo), "--json").stdout
    _assert_clean(out, "symbols --json")
    signatures = {d["qualname"]: d["signature"] for d in json.loads(out)["result"]}  # a SymbolList
    assert signatures["connect"] == 'def connect(host="db", password="«redacted: secret-assignment»")'
    assert signatures["login"] == 'function login(user, pass = "«redacted: secret-assignment»")'
    assert signatures["DATABASE_URL"] == 'DATABASE_URL = "postgresql://app:«redacted: url-credentials»@db.prod:5432/app"'
    for name in ("connect", "STRIPE_API_KEY", "admin", "login", "key"):
        _assert_clean(run_cli("symbol", name, "--repo", str(repo), "--json").stdout, f"symbol {name}")
        _assert_clean(run_cli("symbol", name, "--repo", str(repo)).stdout, f"symbol {name}")


def test_query_reads_no_value_from_symbols_or_terms(repo: Path) -> None:
    for sql in ("SELECT * FROM symbols", "SELECT * FROM imports", "SELECT * FROM refs"):
        _assert_clean(run_cli("query", sql, "--repo", str(repo)).stdout, sql)
    terms = set(run_cli("query", "SELECT DISTINCT term FROM terms", "--repo", str(repo)).stdout.split())
    assert not terms & SECRET_TERMS, sorted(terms & SECRET_TERMS)
    assert {"charge", "connect", "billing"} <= terms  # the files' other words are still searchable


def test_packets_show_no_value(repo: Path) -> None:
    for fmt in ("markdown", "json"):
        out = run_cli("context", "connect to the database with the admin password and charge", "--repo",
                      str(repo), "--format", fmt, "--budget", "6000").stdout
        _assert_clean(out, f"context {fmt}")


def test_mcp_results_show_no_value(repo: Path) -> None:
    async def body(session: ClientSession) -> None:
        calls: list[tuple[str, dict[str, Any]]] = [
            ("repo_map", {"budget": 4000}), ("find_symbol", {"name": "connect"}),
            ("find_symbol", {"name": "STRIPE_API_KEY"}), ("symbol_card", {"name": "connect"}),
            ("symbol_card", {"name": "STRIPE_API_KEY"}), ("query", {"sql": "SELECT * FROM symbols"}),
            ("context_packet", {"task": "the admin password for connect", "budget": 4000}),
        ]
        for tool, args in calls:
            structured = await _ok(session, tool, args)
            _assert_clean(json.dumps(structured, ensure_ascii=False), f"MCP {tool} structured")
            result = await session.call_tool(tool, args)
            _assert_clean(_text(result), f"MCP {tool} text")

    _session(repo, body)


def test_packet_snippets_go_through_the_redaction_rule() -> None:
    """Secret files never reach a packet; should a snippet still hold a value (a file the index
    scanned before the detector knew the variant), the item shows the marker and says so."""
    from repointel.context.builder import _item
    from repointel.context.files import Source

    data = b'def connect():\n    return Client(password="Vx9!kq2Lm")\n\n\ndef other():\n    return 1\n'
    src = Source(path="app/db.py", data=data, lines=data.splitlines(keepends=True), fresh=True)
    item = _item(src, 1, 2, "source_snippet", None, 1.0, ["test"])
    assert item is not None and "Vx9!kq2Lm" not in item.content
    assert "«redacted: secret-assignment»" in item.content and "secret_redacted" in item.flags
    clean = _item(src, 5, 6, "source_snippet", None, 1.0, ["test"])
    assert clean is not None and clean.flags == [] and clean.content == "def other():\n    return 1\n"
