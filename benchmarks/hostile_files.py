"""Index time for repositories of hostile file contents, against ordinary text of the same size.

    python benchmarks/hostile_files.py [--size 200000] [--timeout 120]

Repository content is untrusted. For each kind of content (long runs of one character, blank
lines, whitespace, nesting brackets, dotted runs, ...), this writes that content into every file
an extractor reads specially (manifests, CI and container files, configs, sources of each
language, CODEOWNERS-style names), commits them to a fresh git repository and runs
``repointel index`` on it in a fresh process. Prints one row per kind: seconds, and the exit
status (``TIMEOUT`` when the index did not finish in ``--timeout`` seconds). The first row is
ordinary text for scale. Every kind once hung the index or crashed it, or could have.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

#: Files some extractor reads by name or kind.
NAMES = ["package.json", "pyproject.toml", "setup.cfg", "setup.py", "Cargo.toml", "go.mod", "go.work", "pom.xml",
         "build.gradle", "settings.gradle", "Makefile", "Dockerfile", "docker-compose.yml", ".editorconfig",
         "tsconfig.json", ".env", "config/settings.py", "a.py", "a.js", "a.go", "a.rb", "a.java", "a.rs", "a.c",
         "a.cs", ".github/workflows/ci.yml", ".gitlab-ci.yml", "pnpm-workspace.yaml", "tox.ini", "pytest.ini",
         "Gemfile", "Rakefile", "x.csproj", "CMakeLists.txt", "README.md", "CONTRIBUTING.md",
         ".pre-commit-config.yaml", "requirements.txt", "jest.config.js", "vite.config.ts", "Procfile",
         "k8s/deploy.yaml", "x.sql"]
#: Kinds of content: the unit repeated to the file size.
UNITS = {
    "ordinary text (baseline)": "value = 1  # a setting\n",
    "a.a.a… (dotted run)": "a.", "a=": "a=", "[[[ (nesting)": "[", "{{{ (nesting)": "{", '"""': '"', "a: ": "a: ",
    "<<<": "<", "*a*a (wildcards)": "*a", "${": "${", "#": "#", "backslashes": "\\", "a + newline": "a\n",
    "a/a/ (path run)": "a/", "password=": "password=", "spaces and tabs": " \t", "newlines": "\n",
    "[a] + newline": "[a]\n", "a: + newline": "a:\n", "// (comments)": "//\n", "/*a (unclosed comments)": "/*a", "<!--": "<!--",
    "- run: ": "- run: ", "spaces + newline": "    \n", "a.b=": "a.b=", "CRLF": "\r\n", "é": "\u00e9",
}


def run(size: int, content: str, timeout: float) -> tuple[float, str]:
    """Seconds to index a fresh repository holding ``content`` (cut to ``size``) in every file."""
    with tempfile.TemporaryDirectory() as root:
        text = (content * (size // len(content) + 1))[:size]
        for name in NAMES:
            path = os.path.join(root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        git = ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench"]
        subprocess.run([*git, "init", "-q"], cwd=root, check=True)
        subprocess.run([*git, "add", "-A"], cwd=root, check=True)
        subprocess.run([*git, "commit", "-qm", "hostile"], cwd=root, check=True)
        start = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-m", "repointel", "index", root, "--json"],
                                  capture_output=True, text=True, timeout=timeout)
            status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
        except subprocess.TimeoutExpired:
            status = "TIMEOUT"
        return time.perf_counter() - start, status


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=200_000, help="bytes per file")
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args()
    print(f"{len(NAMES)} files of {args.size:,} bytes each, one fresh repository and process per kind\n")
    print("| content | seconds | status |")
    print("| --- | --- | --- |")
    for name, unit in UNITS.items():
        seconds, status = run(args.size, unit, args.timeout)
        print(f"| {name} | {seconds:.1f} | {status} |", flush=True)


if __name__ == "__main__":
    main()
