"""Edit coverage: does the packet carry the lines the fix edits? (dev set, gold patches)

Scores exactly as ``/work/shared/bench/README.md`` ("Does the packet carry the code the fix
edits?") defines, for repointel's packets at 4k, 8k and 16k tokens, against two baselines in
the same run on the same checkouts:

- ``bm25-whole``: BM25's ranked files (``benchmarks/bm25.py``) packed whole in rank order
  (a file that does not fit is skipped, the next tried); a hunk is covered when its file is packed;
- ``rank-whole``: repointel's own file ranking packed whole the same way.

A hunk's *targets* are the base-commit lines it removes or changes; a pure insertion hunk
targets the two lines around each insertion point (covered when either is). A hunk is
*covered* when every target lies inside a packet item of that file whose type is not
``symbol_outline``. Hunks of files absent at the base commit are left out.

Function level: the gold definitions are the innermost definitions (index symbols other than
variables and fields) whose span holds a target line (for an insertion: both neighbours); a
target outside every definition names the file's module-level block ``path::<module>``.
Acc@k = every gold definition among the top k of ``Repo.rank(task).definitions``.

Usage::

    python benchmarks/edit_coverage.py --mirrors /work/mirrors.json \
        [--limit N] [--repos a,b] [--workdir /work/bench-cov] [--out benchmarks/results]

Writes ``results/edit_coverage.md`` and ``results/edit_coverage_instances.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bm25 import BM25Index  # noqa: E402
from localization import (  # noqa: E402
    DEV_SET,
    RESULTS_DIR,
    TokenSizer,
    checkout,
    ensure_clone,
    load_instances,
    pack_files,
    present_tree,
)

BUDGETS = (4_000, 8_000, 16_000)
DEF_KS = (1, 5, 10)
FILE_KS = (1, 5)
#: Symbol kinds that are not definitions a fix "edits inside" (attributes, constants' names).
NOT_DEFINITIONS = ("variable", "field", "constant")
MODULE = "<module>"


# --------------------------------------------------------------------------- gold hunks


@dataclass
class Hunk:
    """One ``@@`` hunk of the gold patch, by its base-commit targets."""

    path: str
    targets: list[int]  # lines removed or changed (all must be covered)
    insertions: list[tuple[int, int]]  # pure insertion: (line before, line at); either covers

    def covered(self, spans: Sequence[tuple[int, int]]) -> bool:
        def inside(line: int) -> bool:
            return any(s <= line <= e for s, e in spans)

        if self.targets:
            return all(inside(t) for t in self.targets)
        return all(inside(a) or inside(b) for a, b in self.insertions)


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def parse_patch(patch: str) -> list[Hunk]:
    """The hunks of a unified diff, with base-commit targets (files new in the patch left out)."""
    hunks: list[Hunk] = []
    path: str | None = None
    old = 0
    cur: Hunk | None = None
    pending_insert = False
    for line in patch.splitlines():
        if line.startswith("--- "):
            src = line[4:].split("\t")[0]
            path = None if src == "/dev/null" else src.removeprefix("a/")
            cur = None
            continue
        if line.startswith("+++ ") or path is None:
            continue
        m = _HUNK.match(line)
        if m:
            cur = Hunk(path, [], [])
            hunks.append(cur)
            old = int(m.group(1))
            pending_insert = False
            continue
        if cur is None or not line:
            if cur is not None and not line:  # an empty context line
                old += 1
            continue
        tag = line[0]
        if tag == " ":
            old += 1
            pending_insert = False
        elif tag == "-":
            cur.targets.append(old)
            old += 1
            pending_insert = False
        elif tag == "+":
            if not pending_insert:
                cur.insertions.append((max(1, old - 1), old))
                pending_insert = True
    return [h for h in hunks if h.targets or h.insertions]


def gold_definitions(hunks: Sequence[Hunk], defs: Mapping[str, list[tuple[str, int, int]]]) -> set[str]:
    """``path::qualname`` of the innermost definition holding each target (``path::<module>``
    outside every definition)."""
    out: set[str] = set()

    def innermost(path: str, lines: tuple[int, ...]) -> str:
        holding = [(e - s, q) for q, s, e in defs.get(path, []) if all(s <= ln <= e for ln in lines)]
        return f"{path}::{min(holding)[1] if holding else MODULE}"

    for h in hunks:
        for t in h.targets:
            out.add(innermost(h.path, (t,)))
        if not h.targets:
            for a, b in h.insertions:
                out.add(innermost(h.path, (a, b)))
    return out


# --------------------------------------------------------------------------- scoring


def coverage(hunks: Sequence[Hunk], spans: Mapping[str, list[tuple[int, int]]]) -> dict[str, Any]:
    """Covered hunks / all, all covered, any covered."""
    hits = [h.covered(spans.get(h.path, [])) for h in hunks]
    return {"hunks": len(hits), "covered": sum(hits), "all": bool(hits) and all(hits), "any": any(hits)}


def whole_file_spans(files: Sequence[str], lines: Mapping[str, int]) -> dict[str, list[tuple[int, int]]]:
    return {f: [(1, max(1, lines.get(f, 10**9)))] for f in files}


def packet_spans(packet: Any) -> dict[str, list[tuple[int, int]]]:
    """Line spans of a packet's items that carry code (every type but ``symbol_outline``)."""
    out: dict[str, list[tuple[int, int]]] = {}
    for item in packet.items:
        if item.type == "symbol_outline":
            continue
        a, _, b = item.line_range.partition("-")
        out.setdefault(item.path, []).append((int(a), int(b or a)))
    return out


def code_files(packet: Any) -> set[str]:
    return {i.path for i in packet.items if i.type != "symbol_outline"}


def ranked_definitions(repo: Any, task: str) -> list[str] | None:
    """``path::qualname`` best first from ``Repo.rank``, or None when the API has none."""
    rank = getattr(repo, "rank", None)
    if rank is None:
        return None
    return [f"{d.path}::{d.qualname}" for d in rank(task).definitions]


def index_definitions(repo: Any, paths: Sequence[str]) -> dict[str, list[tuple[str, int, int]]]:
    rows = repo.query(
        "SELECT path, qualname, start_line, end_line FROM symbols WHERE kind NOT IN "
        f"{NOT_DEFINITIONS} AND path IN ({', '.join(repr(p) for p in paths) or repr('')})",
        limit=10_000)["rows"]
    out: dict[str, list[tuple[str, int, int]]] = {}
    for p, q, s, e in rows:
        out.setdefault(p, []).append((q, s, e))
    return out


def file_lines(clone: Path, paths: Sequence[str]) -> dict[str, int]:
    out = {}
    for p in paths:
        try:
            out[p] = (clone / p).read_bytes().count(b"\n") + 1
        except OSError:
            continue
    return out


def run_instance(repo: Any, bm25: BM25Index, clone: Path, inst: Any, sizer: TokenSizer) -> dict[str, Any]:
    """Every figure for one instance."""
    tree = present_tree(clone)
    hunks = [h for h in parse_patch(inst.patch) if h.path in tree]
    t0 = time.perf_counter()
    repo.index()
    t1 = time.perf_counter()
    packets = {b: repo.context(inst.problem_statement, budget=b) for b in BUDGETS}
    t2 = time.perf_counter()
    ranked = list(dict.fromkeys(packets[BUDGETS[-1]].ranked_files))
    defs_ranked = ranked_definitions(repo, inst.problem_statement)
    gold_paths = sorted({h.path for h in hunks})
    gold_defs = sorted(gold_definitions(hunks, index_definitions(repo, gold_paths)))
    bm = bm25.rank(inst.problem_statement)
    sizes = sizer.sizes(clone, tree, list(dict.fromkeys(bm[:200] + ranked)))
    lines = file_lines(clone, gold_paths)
    rec: dict[str, Any] = {
        "instance_id": inst.instance_id, "repo": inst.repo, "gold_files": gold_paths,
        "gold_defs": gold_defs, "n_hunks": len(hunks), "t_index": t1 - t0, "t_packets": t2 - t1,
        "file_acc": {k: bool(gold_paths) and set(gold_paths) <= set(ranked[:k]) for k in FILE_KS},
        "defs_top10": (defs_ranked or [])[:10],
    }
    if defs_ranked is not None:
        rec["def_acc"] = {k: bool(gold_defs) and set(gold_defs) <= set(defs_ranked[:k]) for k in DEF_KS}
    for b in BUDGETS:
        rec[f"packet_{b}"] = coverage(hunks, packet_spans(packets[b]))
        rec[f"packet_{b}"]["gold_files_with_code"] = len(set(gold_paths) & code_files(packets[b]))
        rec[f"bm25_{b}"] = coverage(hunks, whole_file_spans(pack_files(bm, sizes, b), lines))
        rec[f"rank_{b}"] = coverage(hunks, whole_file_spans(pack_files(ranked, sizes, b), lines))
    return rec


# --------------------------------------------------------------------------- report


def _pct(n: float, d: float) -> str:
    return "n/a" if not d else f"{100.0 * n / d:.1f}"


def render(records: Sequence[Mapping[str, Any]], meta: Mapping[str, Any]) -> str:
    """The markdown report."""
    recs = [r for r in records if r.get("n_hunks")]
    n = len(recs)
    hunks = sum(r["n_hunks"] for r in recs)
    gold_files = sum(len(r["gold_files"]) for r in recs)
    lines = [
        "# Edit coverage (SWE-bench Verified dev set)", "",
        f"Instances with hunks at the base commit: {n} of {meta['n']} · {hunks} hunks · "
        f"run {meta['wall']:.0f}s · {meta['date']}", "",
        "| system | budget | hunk recall | all hunks covered | any hunk covered | gold files with code |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for system in ("packet", "bm25", "rank"):
        label = {"packet": "repointel packet", "bm25": "BM25 whole files", "rank": "repointel ranking, whole files"}
        for b in BUDGETS:
            key = f"{system}_{b}"
            cov = sum(r[key]["covered"] for r in recs)
            allc = sum(r[key]["all"] for r in recs)
            anyc = sum(r[key]["any"] for r in recs)
            files = (_pct(sum(r[key]["gold_files_with_code"] for r in recs), gold_files)
                     if system == "packet" else "")
            lines.append(f"| {label[system]} | {b // 1000}k | {_pct(cov, hunks)} | {_pct(allc, n)} "
                         f"| {_pct(anyc, n)} | {files} |")
    lines += ["", "| ranking | " + " | ".join(f"Acc@{k}" for k in FILE_KS) + " |", "| --- " * (1 + len(FILE_KS)) + "|"]
    lines.append("| files (all gold files) | " + " | ".join(
        _pct(sum(r["file_acc"][k] for r in recs), n) for k in FILE_KS) + " |")
    with_defs = [r for r in recs if "def_acc" in r]
    if with_defs:
        lines += ["", "| function level | " + " | ".join(f"Acc@{k}" for k in DEF_KS) + " |",
                  "| --- " * (1 + len(DEF_KS)) + "|",
                  "| definitions (all gold definitions) | " + " | ".join(
                      _pct(sum(r["def_acc"][k] for r in with_defs), len(with_defs)) for k in DEF_KS) + " |"]
    t = sorted(r["t_packets"] / len(BUDGETS) for r in recs)
    if t:
        lines += ["", f"Packet build: mean {sum(t) / len(t):.2f} s, p95 {t[int(0.95 * (len(t) - 1))]:.2f} s "
                  "(one packet, after the index update)."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mirrors", type=Path, required=True, help="JSON map owner/name -> git dir")
    ap.add_argument("--dataset", type=Path, default=DEV_SET)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--repos", default="")
    ap.add_argument("--workdir", type=Path, default=Path("/work/bench-cov"))
    ap.add_argument("--out", type=Path, default=RESULTS_DIR)
    ap.add_argument("--tag", default="", help="suffix of the result file names")
    args = ap.parse_args(argv)
    import repointel

    mirrors = json.loads(args.mirrors.read_text())
    repos = {r.strip() for r in args.repos.split(",") if r.strip()} or None
    insts = load_instances(args.dataset, repos, args.limit)
    patches = {json.loads(ln)["instance_id"]: json.loads(ln)["patch"]
               for ln in args.dataset.read_text().splitlines() if ln.strip()}
    sizer, records, start = TokenSizer(), [], time.perf_counter()
    repo, current = None, None
    for i, inst in enumerate(insts, 1):
        inst.patch = patches[inst.instance_id]  # type: ignore[attr-defined]
        clone = ensure_clone(mirrors[inst.repo], args.workdir, inst.repo)
        if inst.repo != current:
            if repo is not None:
                repo.close()
            checkout(clone, inst.base_commit)
            repo, current = repointel.Repo.open(clone), inst.repo
        checkout(clone, inst.base_commit)
        bm25 = BM25Index()
        bm25.build(clone)
        try:
            rec = run_instance(repo, bm25, clone, inst, sizer)
        except Exception as exc:  # noqa: BLE001 - one failure is a miss, not the end of the run
            rec = {"instance_id": inst.instance_id, "repo": inst.repo, "error": f"{type(exc).__name__}: {exc}"}
        records.append(rec)
        print(f"[{i}/{len(insts)}] {inst.instance_id} "
              + (rec.get("error") or " ".join(f"{b // 1000}k={rec[f'packet_{b}']['covered']}/{rec['n_hunks']}"
                                             for b in BUDGETS) + f" def={rec.get('def_acc')}"),
              file=sys.stderr, flush=True)
    if repo is not None:
        repo.close()
    meta = {"n": len(insts), "wall": time.perf_counter() - start, "date": time.strftime("%Y-%m-%d %H:%M")}
    report = render(records, meta)
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"edit_coverage{args.tag}.md").write_text(report)
    with (args.out / f"edit_coverage{args.tag}_instances.jsonl").open("w") as fh:
        for rec in records:
            fh.write(json.dumps(rec) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
