"""Cross-language localization on a repository's own history: fix commits as tasks.

    python benchmarks/commit_localization.py --repo /path/to/checkout --exts .go [--n 40] [--scripts]

The localization dev set is Python only. This takes the newest ``--n`` non-merge commits whose
subject is a fix (``fix: …``, ``fix(area): …``, ``area: fix …``) and that modify 1–3 source files
(``--exts``, tests, docs and playgrounds left out; a test is also what repointel's test map calls
one, so a JVM ``FooTest.kt`` or a file of Gradle's ``src/jvmTest`` is not gold); the commit message is the task and the
modified files are the gold. For each, the checkout is moved to the commit's parent, re-indexed
incrementally, and the files ranked by repointel (``Repo.context``'s ranking) and by the BM25
baseline of ``bm25.py`` over the same extensions. A commit message describes the fix, so this
reads easier than an issue; it is a check that nothing language-specific is broken, not a
target. The checkout is restored to where it was. Prints Acc@1/5/10 (every gold file within the
top k) and the median seconds per commit.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bm25 import BM25Index  # noqa: E402
from localization import RepointelSystem  # noqa: E402

from repointel.extract.testmap import is_test_path  # noqa: E402
from repointel.parse import language_for_file, may_be_script  # noqa: E402

#: A subject that says it fixes something: ``fix…``, ``fix(area): …`` or ``area: fix …``.
FIX_SUBJECT = re.compile(r"(?i)^(?:[\w./-]+(?:\([^)]*\))?!?:\s*)?fix")
#: Paths that are not where a fix lands: tests, docs, examples, playgrounds, fixtures.
NOT_SOURCE = re.compile(r"(^|/)(tests?|__tests__|spec|testdata|fixtures?|docs?|examples?|playground)/"
                        r"|[._-](test|spec)\.\w+$|_test\.\w+$")
KS = (1, 5, 10)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def shell_script(repo: Path, path: str) -> bool:
    """An extensionless file whose ``#!`` line names a shell (bats-core's libexec/ scripts)."""
    if not may_be_script(path):
        return False
    try:
        with open(repo / path, "rb") as fh:
            return language_for_file(path, fh.read(128)) == "bash"
    except OSError:
        return False


def fix_commits(repo: Path, exts: tuple[str, ...], n: int, scan: int = 1000,
                scripts: bool = False) -> list[tuple[str, str, list[str]]]:
    """(sha, message, gold files) of the newest fix commits that modify 1–3 source files
    (``scripts``: shell scripts without an extension count as sources, as they are at HEAD)."""
    out = []
    for sha in git(repo, "log", "--no-merges", "--format=%H", f"-{scan}", "HEAD").split():
        msg = git(repo, "log", "-1", "--format=%B", sha)
        if not FIX_SUBJECT.match(msg):
            continue
        try:
            changed = git(repo, "diff", "--name-only", "--diff-filter=M", f"{sha}^", sha).split()
        except subprocess.CalledProcessError:
            continue  # a root commit
        gold = [f for f in changed if (f.endswith(exts) or (scripts and shell_script(repo, f)))
                and not NOT_SOURCE.search(f) and not is_test_path(f)]
        if 1 <= len(gold) <= 3:
            out.append((sha, re.sub(r"\(#\d+\)", "", msg).strip(), gold))
        if len(out) >= n:
            break
    return out


def hits(ranked: list[str], gold: list[str]) -> dict[int, bool]:
    pos = {p: i for i, p in enumerate(ranked)}
    return {k: all(pos.get(g, k) < k for g in gold) for k in KS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, required=True)
    ap.add_argument("--exts", required=True, help="comma-separated source extensions, e.g. .ts,.tsx")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--scripts", action="store_true",
                    help="shell scripts without an extension (by their #! line) are sources too")
    args = ap.parse_args()
    exts = tuple(args.exts.split(","))
    start = git(args.repo, "rev-parse", "HEAD").strip()
    cases = fix_commits(args.repo, exts, args.n, scripts=args.scripts)
    ours, bm25 = RepointelSystem(), BM25Index(exts=exts, also=shell_script if args.scripts else None)
    scores: dict[str, list[dict[int, bool]]] = {"repointel": [], "bm25": []}
    seconds: dict[str, list[float]] = {"repointel": [], "bm25": []}
    try:
        for sha, task, gold in cases:
            git(args.repo, "checkout", "-q", "--detach", f"{sha}^")
            t = time.perf_counter()
            ours.prepare(args.repo)
            scores["repointel"].append(hits(ours.rank(task), gold))
            seconds["repointel"].append(time.perf_counter() - t)
            t = time.perf_counter()
            bm25.build(args.repo)
            scores["bm25"].append(hits(bm25.rank(task), gold))
            seconds["bm25"].append(time.perf_counter() - t)
    finally:
        ours.close()
        git(args.repo, "checkout", "-q", "--detach", start)
    scripts = " and shell scripts" if args.scripts else ""
    print(f"{args.repo.name}: {len(cases)} fix commits, gold = modified {', '.join(exts)} files{scripts}\n")
    print("| system | " + " | ".join(f"Acc@{k}" for k in KS) + " | median s per commit |")
    print("| --- |" + " --- |" * (len(KS) + 1))
    for name, rows in scores.items():
        accs = " | ".join(f"{100 * sum(r[k] for r in rows) / max(len(rows), 1):.1f}" for k in KS)
        print(f"| {name} | {accs} | {statistics.median(seconds[name] or [0]):.2f} |")


if __name__ == "__main__":
    main()
