"""Task → definitions (repointel.rank.definitions) and the code a packet carries: the bodies of
the definitions a fix most likely edits, with their class header and imports."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repointel import Repo
from repointel.rank.definitions import MODULE, file_units, owners_of_lines

from .conftest import make_indexed_repo

SESSIONS = '''"""Sessions."""
import hashlib
import typing as t

from .helpers import is_ip


class SessionInterface:
    """The basic interface a session interface has to implement."""

    null_session_class = None

    def get_cookie_name(self, app):
        return app.config["SESSION_COOKIE_NAME"]

    def get_cookie_domain(self, app):
        rv = app.config["SESSION_COOKIE_DOMAIN"]
        if rv is not None:
            return rv if rv else None
        rv = app.config["SERVER_NAME"]
        if not rv:
            app.config["SESSION_COOKIE_DOMAIN"] = False
            return None
        rv = rv.rsplit(":", 1)[0].lstrip(".")
        if "." not in rv:
            return None
        if is_ip(rv):
            return None
        return rv

    def get_cookie_path(self, app):
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]

    def save_session(self, app, session, response):
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        response.set_cookie(self.get_cookie_name(app), session, domain=domain, path=path)
'''
FILLER = "".join(f"    def helper_{i}(self, value):\n        total = value + {i}\n        return total * {i}\n\n"
                 for i in range(120))


@pytest.fixture(scope="module")
def flaskish(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {"src/app/sessions.py": SESSIONS + "\n\nclass Filler:\n" + FILLER,
             "src/app/helpers.py": "def is_ip(value):\n    return value.replace('.', '').isdigit()\n",
             "src/app/ctx.py": "class RequestContext:\n    def push(self):\n        return self.session\n",
             "tests/test_sessions.py": "from app.sessions import SessionInterface\n\n\n"
                                        "def test_cookie_domain():\n    assert SessionInterface()\n"}
    return make_indexed_repo(tmp_path_factory.mktemp("defs") / "r", files)


TASK = "Session cookie not set when SERVER_NAME is configured with a port"


def test_the_function_whose_body_holds_the_task_ranks_first(flaskish: Path) -> None:
    with Repo.open(flaskish) as repo:
        ranking = repo.rank(TASK)
    first = ranking.definitions[0]
    assert (first.path, first.qualname) == ("src/app/sessions.py", "SessionInterface.get_cookie_domain")
    assert first.line_range == "16-29" and "body:1.00" in first.reasons
    assert "src/app/sessions.py::SessionInterface.save_session" in first.callers
    assert ranking.files[0].path == "src/app/sessions.py"


def test_the_packet_carries_the_body_with_its_class_line_and_imports(flaskish: Path) -> None:
    with Repo.open(flaskish) as repo:
        packet = repo.context(TASK, budget=1500)
    code = [i for i in packet.items if i.type == "source_snippet" and i.path == "src/app/sessions.py"]
    by_reason = {i.reasons[-1]: i for i in code}
    body = by_reason["defines:SessionInterface.get_cookie_domain"]
    assert body.line_range == "16-29" and 'rv = app.config["SERVER_NAME"]' in body.content
    assert by_reason["encloses:SessionInterface.get_cookie_domain"].content == "class SessionInterface:\n"
    assert by_reason["imports_of:SessionInterface.get_cookie_domain"].line_range == "2-5"
    assert packet.items.index(body) < min(packet.items.index(i) for i in packet.items if i.type == "symbol_outline")


def test_a_named_definition_and_a_stack_frame_point_at_their_units(flaskish: Path) -> None:
    task = ('Traceback (most recent call last):\n  File "src/app/sessions.py", line 31, in get_cookie_path\n'
            "KeyError: 'APPLICATION_ROOT'")
    with Repo.open(flaskish) as repo:
        first = repo.rank(task).definitions[0]
        named = repo.rank("`RequestContext.push` returns a stale session").definitions[0]
    assert first.qualname == "SessionInterface.get_cookie_path" and "frame:1.00" in first.reasons
    assert (named.path, named.qualname) == ("src/app/ctx.py", "RequestContext.push") and "named:1.00" in named.reasons


def test_a_big_function_shows_its_head_and_the_window_of_the_task(tmp_path: Path) -> None:
    lines = "".join(f"    step_{i} = compute({i})\n" for i in range(400))
    body = f"def run_pipeline(data):\n    \"\"\"Run it.\"\"\"\n{lines}    overflow_guard = data.checked_limit\n{lines}    return data\n"
    root = make_indexed_repo(tmp_path / "r", {"pkg/pipe.py": body, "pkg/other.py": "def other():\n    return 1\n"})
    with Repo.open(root) as repo:
        packet = repo.context("overflow_guard ignores checked_limit", budget=2000)
    items = [i for i in packet.items if i.path == "pkg/pipe.py"]
    assert items[0].reasons[-1] == "defines:run_pipeline" and items[0].line_range == "1-12"
    window = items[1]
    assert window.reasons[-1] == "window_of:run_pipeline" and "overflow_guard = data.checked_limit" in window.content
    assert packet.tokens.used <= 2000


def test_a_secret_file_is_never_ranked_nor_shown(tmp_path: Path) -> None:
    secret = 'STRIPE_KEY = "sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789"\n\ndef charge_card(amount):\n    return amount\n'
    root = make_indexed_repo(tmp_path / "r", {"pay/keys.py": secret,
                                              "pay/api.py": "def charge(amount):\n    return amount\n"})
    with Repo.open(root) as repo:
        ranking = repo.rank("charge_card fails for amount zero")
        packet = repo.context("charge_card fails for amount zero", budget=2000)
    assert all(d.path != "pay/keys.py" for d in ranking.definitions)
    assert all(i.path != "pay/keys.py" for i in packet.items)


@given(st.lists(st.tuples(st.integers(1, 60), st.integers(0, 30)), max_size=12), st.integers(1, 80))
def test_units_partition_the_lines(spans: list[tuple[int, int]], n_lines: int) -> None:
    """Every line belongs to exactly one unit: the innermost definition holding it, or the module
    block; the units' segments cover the file exactly once."""
    defs = [(f"f{i}", f"f{i}", "function", s, s + d, None, "") for i, (s, d) in enumerate(spans)]
    lines = [b"x = 1\n"] * n_lines
    units = file_units("m.py", lines, defs)
    covered = sorted(line for u in units for s, e in u.defn.segments for line in range(s, e + 1))
    assert covered == list(range(1, n_lines + 1))
    owner = owners_of_lines(n_lines, [(d[3], d[4]) for d in defs])
    for u in units:
        for s, e in u.defn.segments:
            expect = -1 if u.defn.qualname == MODULE else int(u.defn.qualname[1:])
            held = [i for i, (ds, de) in enumerate((d[3], d[4]) for d in defs) if ds <= s <= de]
            assert all(owner[line - 1] == expect for line in range(s, e + 1))
            if expect >= 0:
                assert expect in held and all(defs[expect][4] - defs[expect][3] <= defs[i][4] - defs[i][3]
                                              for i in held)
