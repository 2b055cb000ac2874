"""CODEOWNERS: GitHub's lookup order, its documented examples path by path, problems, speed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from repointel.extract.owners import find_codeowners, parse_codeowners

from .conftest import FIXTURES

#: The example file from GitHub's "About code owners" documentation, verbatim in substance.
GITHUB_EXAMPLE = """\
# This is a comment.
# Each line is a file pattern followed by one or more owners.

# These owners will be the default owners for everything in
# the repo. Unless a later match takes precedence,
# @global-owner1 and @global-owner2 will be requested for
# review when someone opens a pull request.
*       @global-owner1 @global-owner2

# Order is important; the last matching pattern takes the most
# precedence. When someone opens a pull request that only
# modifies JS files, only @js-owner and not the global
# owner(s) will be requested for a review.
*.js    @js-owner #This is an inline comment.

# You can also use email addresses if you prefer. They'll be
# used to look up users just like we do for commit author
# emails.
*.go docs@example.com

# Teams can be specified as code owners as well. Teams should
# be identified in the format @org/team-name. Teams must have
# explicit write access to the repository. In this example,
# the octocats team in the octo-org organization owns all .txt files.
*.txt @octo-org/octocats

# In this example, @doctocat owns any files in the build/logs
# directory at the root of the repository and any of its
# subdirectories.
/build/logs/ @doctocat

# The `docs/*` pattern will match files like
# `docs/getting-started.md` but not further nested files like
# `docs/build-app/troubleshooting.md`.
docs/*  docs@example.com

# In this example, @octocat owns any file in an apps directory
# anywhere in your repository.
apps/ @octocat

# In this example, @doctocat owns any file in the `/docs`
# directory in the root of your repository and any of its
# subdirectories.
/docs/ @doctocat

# In this example, any change inside the `/scripts` directory
# will require approval from @doctocat or @octocat.
/scripts/ @doctocat @octocat

# In this example, @octocat owns any file in a `/logs` directory such as
# `/build/logs`, `/scripts/logs`, and `/deeply/nested/logs`. Any changes
# in a `/logs` directory will require approval from @octocat.
**/logs @octocat

# In this example, @octocat owns any file in the `/apps`
# directory in the root of your repository except for the `/apps/github`
# subdirectory, as its owners are left empty. Without an owner, changes
# to `apps/github` can be made with the approval of any user who has
# write access to the repository.
/apps/ @octocat
/apps/github

# In this example, @octocat owns any file in the `/apps`
# directory in the root of your repository except for the `/apps/github`
# subdirectory, as this subdirectory has its own owner @doctocat
/apps/ @octocat
/apps/github @doctocat
"""

GLOBAL = ["@global-owner1", "@global-owner2"]

# (path, owners, deciding pattern) for the whole example file: the last matching line wins.
WHOLE_FILE = [
    ("README.md", GLOBAL, "*"),
    ("src/deep/module.py", GLOBAL, "*"),
    ("index.js", ["@js-owner"], "*.js"),
    ("web/static/app.js", ["@js-owner"], "*.js"),
    ("main.go", ["docs@example.com"], "*.go"),
    ("cmd/server/main.go", ["docs@example.com"], "*.go"),
    ("notes.txt", ["@octo-org/octocats"], "*.txt"),
    ("a/b/c/notes.txt", ["@octo-org/octocats"], "*.txt"),
    ("build/logs/today.log", ["@octocat"], "**/logs"),  # **/logs comes later than /build/logs/
    ("build/output.bin", GLOBAL, "*"),
    ("docs/getting-started.md", ["@doctocat"], "/docs/"),
    ("docs/build-app/troubleshooting.md", ["@doctocat"], "/docs/"),
    ("scripts/deploy.sh", ["@doctocat", "@octocat"], "/scripts/"),
    ("scripts/logs/run.log", ["@octocat"], "**/logs"),
    ("deeply/nested/logs/x.log", ["@octocat"], "**/logs"),
    ("logs/root.log", ["@octocat"], "**/logs"),
    ("apps/web/index.html", ["@octocat"], "/apps/"),
    ("apps/github/hook.py", ["@doctocat"], "/apps/github"),
    ("apps/github", ["@doctocat"], "/apps/github"),
    ("services/apps/worker.py", ["@octocat"], "apps/"),
    ("services/apps/x.js", ["@octocat"], "apps/"),
    ("apps", GLOBAL, "*"),  # a file named apps is not the apps/ directory
    ("services/apps.txt", ["@octo-org/octocats"], "*.txt"),
]


def _owners(text: str, path: str) -> tuple[list[str], str | None]:
    rec = parse_codeowners(text).owners_for(path)
    return rec.owners, rec.rule


def test_example_file_parses_without_problems() -> None:
    co = parse_codeowners(GITHUB_EXAMPLE)
    assert co.problems == []
    assert [r.pattern for r in co.rules] == [
        "*", "*.js", "*.go", "*.txt", "/build/logs/", "docs/*", "apps/", "/docs/", "/scripts/",
        "**/logs", "/apps/", "/apps/github", "/apps/", "/apps/github"]
    js = co.rules[1]
    assert js.owners == ("@js-owner",) and js.line == 14  # the inline comment is not an owner
    assert co.rules[11].owners == () and co.rules[11].line == 61


@pytest.mark.parametrize(("path", "owners", "rule"), WHOLE_FILE)
def test_example_file_path_by_path(path: str, owners: list[str], rule: str) -> None:
    rec = parse_codeowners(GITHUB_EXAMPLE).owners_for(path)
    assert (rec.owners, rec.rule) == (owners, rule)
    assert rec.path == path and rec.line is not None


# Each documented line on its own (after the global default), asserted path by path.
SECTIONS: list[tuple[str, list[tuple[str, list[str]]]]] = [
    ("*.js    @js-owner #This is an inline comment.", [
        ("a.js", ["@js-owner"]), ("src/x/b.js", ["@js-owner"]), ("a.jsx", GLOBAL), ("a.ts", GLOBAL)]),
    ("*.go docs@example.com", [("main.go", ["docs@example.com"]), ("pkg/a/b.go", ["docs@example.com"]),
                               ("go.mod", GLOBAL)]),
    ("*.txt @octo-org/octocats", [("x.txt", ["@octo-org/octocats"]), ("d/e/x.txt", ["@octo-org/octocats"])]),
    ("/build/logs/ @doctocat", [
        ("build/logs/a.log", ["@doctocat"]), ("build/logs/2024/01/a.log", ["@doctocat"]),
        ("src/build/logs/a.log", GLOBAL), ("build/a.log", GLOBAL), ("build/logs", GLOBAL)]),
    ("docs/*  docs@example.com", [
        ("docs/getting-started.md", ["docs@example.com"]),
        ("docs/build-app/troubleshooting.md", GLOBAL), ("other/docs/a.md", GLOBAL)]),
    ("apps/ @octocat", [
        ("apps/a.py", ["@octocat"]), ("x/y/apps/z/a.py", ["@octocat"]), ("apps", GLOBAL),
        ("myapps/a.py", GLOBAL)]),
    ("/docs/ @doctocat", [
        ("docs/a.md", ["@doctocat"]), ("docs/build-app/troubleshooting.md", ["@doctocat"]),
        ("src/docs/a.md", GLOBAL)]),
    ("/scripts/ @doctocat @octocat", [
        ("scripts/a.sh", ["@doctocat", "@octocat"]), ("scripts/ci/b.sh", ["@doctocat", "@octocat"]),
        ("tools/scripts/a.sh", GLOBAL)]),
    ("**/logs @octocat", [
        ("build/logs/a", ["@octocat"]), ("scripts/logs/a", ["@octocat"]),
        ("deeply/nested/logs/a/b", ["@octocat"]), ("logs/a", ["@octocat"]), ("logs", ["@octocat"]),
        ("catalogs/a", GLOBAL), ("logs.txt", GLOBAL)]),
    ("/apps/ @octocat\n/apps/github", [
        ("apps/a.py", ["@octocat"]), ("apps/github/a.py", []), ("apps/github", []),
        ("apps/githubber/a.py", ["@octocat"])]),
    ("/apps/ @octocat\n/apps/github @doctocat", [
        ("apps/a.py", ["@octocat"]), ("apps/github/a.py", ["@doctocat"])]),
]


@pytest.mark.parametrize(("section", "cases"), SECTIONS, ids=[s.split()[0] for s, _ in SECTIONS])
def test_each_documented_example(section: str, cases: list[tuple[str, list[str]]]) -> None:
    text = "*       @global-owner1 @global-owner2\n" + section + "\n"
    for path, owners in cases:
        assert _owners(text, path)[0] == owners, path


def test_unowned_rule_is_reported_as_matched_but_empty() -> None:
    rec = parse_codeowners("/apps/ @octocat\n/apps/github\n").owners_for("apps/github/x.py")
    assert rec.owners == [] and rec.rule == "/apps/github" and rec.line == 2


def test_no_match_and_empty_file() -> None:
    assert _owners("/src/ @a\n", "lib/x.py") == ([], None)
    assert _owners("", "x") == ([], None)
    assert _owners("# only comments\n\n", "x") == ([], None)


def test_wildcards() -> None:
    text = "/src/*.py @py\n/src/**/test_*.py @qa\na?c.md @q\n/lib/** @lib\n"
    assert _owners(text, "src/a.py")[0] == ["@py"]
    assert _owners(text, "src/pkg/a.py")[0] == []  # * does not cross /
    assert _owners(text, "src/test_a.py")[0] == ["@qa"]  # **/ matches zero directories
    assert _owners(text, "src/x/y/test_a.py")[0] == ["@qa"]
    assert _owners(text, "docs/abc.md")[0] == ["@q"]
    assert _owners(text, "docs/abbc.md")[0] == []
    assert _owners(text, "lib/a/b.c")[0] == ["@lib"]
    assert _owners(text, "lib")[0] == []


def test_case_sensitive_and_leading_slash_in_path() -> None:
    assert _owners("/Docs/ @a\n", "docs/x.md")[0] == []
    assert _owners("/docs/ @a\n", "/docs/x.md")[0] == ["@a"]


@pytest.mark.parametrize(("line", "message"), [
    ("!vendor/ @a", "negation"),
    ("[Tt]ests/ @a", "character ranges"),
    ("\\#file_with_pound.rb @a", "escaping"),
    ("docs/\\*.md @a", "escaping"),
    ("src/*** @a", "three consecutive"),
    ("src/ not-an-owner", "invalid owner"),
    ("src/ @a @@b", "invalid owner"),
])
def test_unsupported_syntax_is_a_problem_never_a_rule(line: str, message: str) -> None:
    co = parse_codeowners(f"* @default\n{line}\n/ok/ @ok\n")
    assert [r.pattern for r in co.rules] == ["*", "/ok/"]
    assert len(co.problems) == 1 and co.problems[0].line == 2 and message in co.problems[0].message
    assert co.problems[0].text == line
    assert co.owners_for("vendor/x.py").owners == ["@default"]
    assert co.owners_for("Tests/x.py").owners == ["@default"]


def test_valid_owner_forms() -> None:
    co = parse_codeowners("* @user @org/team-name @org/team.v2 someone@example.co.uk @user-with-dash\n")
    assert co.problems == [] and len(co.rules[0].owners) == 5


def test_find_codeowners_order() -> None:
    assert find_codeowners(str(FIXTURES / "owners/all_three")) == ".github/CODEOWNERS"
    assert find_codeowners(str(FIXTURES / "owners/root_only")) == "CODEOWNERS"
    assert find_codeowners(str(FIXTURES / "owners/docs_only")) == "docs/CODEOWNERS"
    assert find_codeowners(str(FIXTURES / "owners/none")) is None


def test_fixture_repo_end_to_end() -> None:
    root = FIXTURES / "owners/all_three"
    rel = find_codeowners(str(root))
    assert rel is not None
    co = parse_codeowners((root / rel).read_text(), source=rel)
    assert co.owners_for("src/api/handlers.py").owners == ["@acme/api-team"]
    assert co.owners_for("src/version.py").owners == ["@acme/core"]
    rec = co.owners_for("docs/guide.md")
    assert rec.owners == ["docs@acme.example"] and rec.source == ".github/CODEOWNERS" and rec.line == 4
    bad = parse_codeowners((FIXTURES / "owners/root_only/CODEOWNERS").read_text())
    assert [p.line for p in bad.problems] == [2, 3]
    assert bad.owners_for("lib/vendored.py").owners == ["@lib-owner"]


def test_fifty_thousand_paths_are_fast() -> None:
    rules = "\n".join(f"/team{i}/ @org/team{i}\n*.ext{i} @ext{i}" for i in range(100))
    co = parse_codeowners("* @default\n" + GITHUB_EXAMPLE + rules)
    paths = [f"team{i % 150}/pkg{i % 37}/sub/file{i}.py" for i in range(50_000)]
    start = time.perf_counter()
    recs = [co.owners_for(p) for p in paths]
    elapsed = time.perf_counter() - start
    assert recs[5].owners == ["@org/team5"] and recs[120].owners == GLOBAL
    assert elapsed < 3.0, elapsed


def test_owners_without_codeowners_name_the_recent_authors(tmp_path: Path) -> None:
    """flask has no CODEOWNERS: `repointel owners` showed nothing though the history map knows
    who maintains each file. Its authors come beside (or instead of) the rule, labelled."""
    import json

    from .conftest import git, make_git_repo, run_cli, write_files

    root = make_git_repo(tmp_path / "r", {"app.py": "def run():\n    return 1\n", "other.py": "x = 1\n"})
    for i in range(2):
        write_files(root, {"app.py": f"def run():\n    return {i + 2}\n"})
        git(root, "-c", "user.name=Maintainer", "-c", "user.email=m@example.com", "commit", "-qam", f"fix {i}",
            "--author", "Maintainer <m@example.com>")
    run_cli("index", cwd=root)
    out = run_cli("owners", "app.py", cwd=root)
    assert out.stdout == ("app.py: (no CODEOWNERS rule)\n"
                          "recent authors (git history, not declared): Maintainer (2), Test Author (1)\n")
    data = json.loads(run_cli("owners", "app.py", "--json", cwd=root).stdout)
    assert data["owners"] == [] and data["history_authors"] == ["Maintainer (2)", "Test Author (1)"]
    write_files(root, {"CODEOWNERS": "*.py @core\n"})
    git(root, "add", "-A")
    git(root, "commit", "-qm", "owners")
    run_cli("index", cwd=root)
    data = json.loads(run_cli("owners", "app.py", "--json", cwd=root).stdout)
    assert data["owners"] == ["@core"] and data["history_authors"][0] == "Maintainer (2)"
