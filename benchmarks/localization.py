"""File-localization benchmark on the SWE-bench Verified dev set.

Scores systems exactly as ``/work/shared/bench/README.md`` defines: Acc@k, whole-file
budget recall (13k/27k/50k cl100k_base tokens), packet recall (8k/16k), per-repository
Acc@5 and time per instance, for repointel and a BM25 baseline on the same checkouts.

Usage::

    python benchmarks/localization.py --mirrors /work/mirrors.json \
        [--limit N] [--repos a,b] [--workdir /work/bench-work] [--systems repointel,bm25]

``--limit N`` keeps the first N instances of each repository; ``--repos`` takes
``owner/name`` or ``name``. Writes ``benchmarks/results/localization.md`` and
``benchmarks/results/localization_instances.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bm25 import BM25Index, list_tree  # noqa: E402

DEV_SET = Path("/work/shared/bench/localization_dev.jsonl")
RESULTS_DIR = HERE / "results"
ACC_KS = (1, 3, 5, 10)
FILE_BUDGETS = (13_000, 27_000, 50_000)
PACKET_BUDGETS = (8_000, 16_000)
RANK_BUDGET = max(PACKET_BUDGETS)  # the packet whose ranked_files give repointel's ranking
TOP_N_SAVED = 10


# --------------------------------------------------------------------------- metrics


def acc_at_k(ranked: Sequence[str], gold: Iterable[str], k: int, reachable: bool = True) -> bool:
    """True when every gold file is among the top ``k`` ranked files (never if unreachable)."""
    gold_set = set(gold)
    return reachable and bool(gold_set) and gold_set <= set(ranked[:k])


def hit_ranks(ranked: Sequence[str], gold: Iterable[str]) -> dict[str, int | None]:
    """1-based rank of each gold file in ``ranked`` (None when absent)."""
    pos: dict[str, int] = {}
    for i, path in enumerate(ranked, 1):
        pos.setdefault(path, i)
    return {g: pos.get(g) for g in gold}


def pack_files(ranked: Sequence[str], sizes: Mapping[str, int], budget: int) -> list[str]:
    """Whole files packed in ranked order while the total stays within ``budget``.

    A file that does not fit is skipped and the next one is tried; files without a known
    size (not in the checkout) are skipped.
    """
    packed: list[str] = []
    seen: set[str] = set()
    used = 0
    for path in ranked:
        size = sizes.get(path)
        if path in seen or size is None or used + size > budget:
            continue
        seen.add(path)
        packed.append(path)
        used += size
    return packed


def recall_triplet(found: Iterable[str], gold: Iterable[str]) -> tuple[bool, bool, float]:
    """(all gold found, any gold found, share of gold found) for one instance."""
    gold_set = set(gold)
    if not gold_set:
        return (False, False, 0.0)
    hit = len(gold_set & set(found))
    return (hit == len(gold_set), hit > 0, hit / len(gold_set))


def summarize_recall(triplets: Sequence[tuple[bool, bool, float]]) -> dict[str, float]:
    """All / Any / Avg over instances, as percentages."""
    n = len(triplets)
    if n == 0:
        return {"all": math.nan, "any": math.nan, "avg": math.nan}
    return {
        "all": 100.0 * sum(t[0] for t in triplets) / n,
        "any": 100.0 * sum(t[1] for t in triplets) / n,
        "avg": 100.0 * sum(t[2] for t in triplets) / n,
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def prefix_to_last_gold(ranked: Sequence[str], gold: Iterable[str]) -> list[str]:
    """The part of ``ranked`` that can influence packing of the gold files."""
    ranks = [r for r in hit_ranks(ranked, gold).values() if r is not None]
    return list(ranked[: max(ranks)]) if ranks else []


# --------------------------------------------------------------------------- systems


class System(Protocol):
    """A file localizer under test."""

    name: str
    has_packet: bool

    def prepare(self, path: Path) -> None:
        """Index (or incrementally re-index) the checkout at ``path``."""

    def rank(self, task: str) -> list[str]:
        """Distinct repo-relative files, best first."""

    def packet_files(self, task: str, budget: int) -> list[str]:
        """Distinct files present in the context packet built at ``budget``."""

    def close(self) -> None:
        """Release resources."""


def repointel_available() -> bool:
    """Whether ``repointel.Repo`` can be imported yet (the API may still be in progress)."""
    try:
        import repointel

        return hasattr(repointel, "Repo")
    except ImportError:
        return False


class RepointelSystem:
    """repointel through its public API: ``Repo.open`` / ``index`` / ``context``."""

    name = "repointel"
    has_packet = True

    def __init__(self) -> None:
        self._repo: Any = None
        self._path: Path | None = None
        self._packets: dict[tuple[str, int], Any] = {}
        self.last_work: dict[str, int] = {}  # what the last index update did (files parsed, ...)

    def prepare(self, path: Path) -> None:
        import repointel

        if self._repo is None or self._path != path:
            self.close()
            self._repo = repointel.Repo.open(path)
            self._path = path
        self._packets.clear()
        stats = self._repo.index()
        self.last_work = {"parsed": stats.parsed, "removed": stats.removed, "renamed": stats.renamed}

    def _packet(self, task: str, budget: int) -> Any:
        key = (task, budget)
        if key not in self._packets:
            self._packets[key] = self._repo.context(task, budget=budget)
        return self._packets[key]

    def rank(self, task: str) -> list[str]:
        return _dedupe(self._packet(task, RANK_BUDGET).ranked_files)

    def packet_files(self, task: str, budget: int) -> list[str]:
        return _dedupe(item.path for item in self._packet(task, budget).items)

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
        self._repo = None
        self._path = None


class BM25System:
    """The BM25 Okapi baseline of ``benchmarks/bm25.py``, rebuilt per checkout."""

    name = "bm25"
    has_packet = False

    def __init__(self) -> None:
        self._index = BM25Index()

    def prepare(self, path: Path) -> None:
        self._index.build(path)

    def rank(self, task: str) -> list[str]:
        return self._index.rank(task)

    def packet_files(self, task: str, budget: int) -> list[str]:
        raise NotImplementedError("BM25 builds no packet")

    def close(self) -> None:
        self._index = BM25Index()


SYSTEMS: dict[str, Callable[[], System]] = {"repointel": RepointelSystem, "bm25": BM25System}


def _dedupe(paths: Iterable[str]) -> list[str]:
    """Paths in first-seen order without repeats."""
    return list(dict.fromkeys(paths))


# --------------------------------------------------------------------------- data & checkouts


@dataclass
class Instance:
    """One dev-set issue."""

    instance_id: str
    repo: str
    base_commit: str
    problem_statement: str
    gold_files: list[str]
    new_files: list[str] = field(default_factory=list)

    @property
    def reachable(self) -> bool:
        """False when some gold file does not exist at the base commit."""
        return not self.new_files


def _instance_key(inst: Instance) -> tuple[str, int, str]:
    """Stable order: by repository, then by the PR number in the instance id."""
    m = re.search(r"-(\d+)$", inst.instance_id)
    return (inst.repo, int(m.group(1)) if m else 0, inst.instance_id)


def load_instances(path: Path, repos: set[str] | None, limit: int | None) -> list[Instance]:
    """Dev-set instances, grouped by repository in a stable order, optionally filtered."""
    fields = Instance.__dataclass_fields__
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    insts = [Instance(**{k: v for k, v in r.items() if k in fields}) for r in rows]
    if repos:
        insts = [i for i in insts if i.repo in repos or i.repo.split("/")[1] in repos]
    insts.sort(key=_instance_key)
    if limit is not None:
        per_repo: dict[str, int] = defaultdict(int)
        kept = []
        for inst in insts:
            per_repo[inst.repo] += 1
            if per_repo[inst.repo] <= limit:
                kept.append(inst)
        insts = kept
    return insts


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True)


def ensure_clone(mirror: str, workdir: Path, repo: str) -> Path:
    """One shared working clone per repository (reused across runs)."""
    dest = workdir / repo.replace("/", "__")
    if not (dest / ".git").exists():
        workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "clone", "-q", "--shared", "--no-checkout", mirror, str(dest)],
            check=True, capture_output=True,
        )
    return dest


_MISSING_BLOB = re.compile(r"^error: (unable to read sha1 file|invalid object) ")


def checkout(clone: Path, commit: str) -> None:
    """Force the clone to ``commit``, keeping the ``.repointel`` index directory.

    Mirrors may lack a few very large blobs (data files); git then checks out everything
    else, reaches ``commit`` and fails on those files only, which are left absent.
    """
    proc = subprocess.run(
        ["git", "-C", str(clone), "checkout", "-q", "-f", commit],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        errors = [ln for ln in proc.stderr.splitlines() if ln.startswith(("error", "fatal"))]
        head = subprocess.run(
            ["git", "-C", str(clone), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=False,
        ).stdout.strip()
        if head != commit or not all(_MISSING_BLOB.match(ln) for ln in errors):
            raise RuntimeError(f"checkout of {commit} failed in {clone}: {proc.stderr.strip()}")
    _git(clone, "clean", "-fdxq", "-e", ".repointel")


def present_tree(clone: Path) -> dict[str, str]:
    """Path -> blob sha at HEAD, for the files actually present in the working tree."""
    return {p: sha for p, sha in list_tree(clone).items() if (clone / p).is_file()}


class TokenSizer:
    """Exact cl100k_base token counts of checkout files, cached by blob sha."""

    def __init__(self) -> None:
        from repointel.tokens import get_tokenizer

        self._tok = get_tokenizer("cl100k_base")
        self._by_sha: dict[str, int] = {}

    def sizes(self, clone: Path, tree: Mapping[str, str], paths: Iterable[str]) -> dict[str, int]:
        """Token count of each of ``paths`` present in ``tree`` (others are left out)."""
        wanted = [p for p in dict.fromkeys(paths) if p in tree]
        todo = [p for p in wanted if tree[p] not in self._by_sha]
        texts = [(clone / p).read_text(encoding="utf-8", errors="replace") for p in todo]
        for path, n in zip(todo, self._tok.count_many(texts)):
            self._by_sha[tree[path]] = n
        return {p: self._by_sha[tree[p]] for p in wanted}


# --------------------------------------------------------------------------- evaluation


def score_ranking(
    ranked: list[str], inst: Instance, sizes: Mapping[str, int]
) -> dict[str, Any]:
    """Acc@k hits, gold ranks and budget-packed gold files for one ranked list."""
    gold = inst.gold_files
    packed = {b: sorted(set(pack_files(ranked, sizes, b)) & set(gold)) for b in FILE_BUDGETS}
    return {
        "top10": ranked[:TOP_N_SAVED],
        "n_ranked": len(ranked),
        "hit_ranks": hit_ranks(ranked, gold),
        "acc": {k: acc_at_k(ranked, gold, k, inst.reachable) for k in ACC_KS},
        "budget_gold": packed,
    }


def run_system(
    system: System, clone: Path, inst: Instance, tree: Mapping[str, str], sizer: TokenSizer
) -> dict[str, Any]:
    """Index, rank and (if supported) build packets for one instance; never raises."""
    rec: dict[str, Any] = {"error": None, "t_index": math.nan, "t_packet": math.nan}
    ranked: list[str] = []
    try:
        t0 = time.perf_counter()
        system.prepare(clone)
        t1 = time.perf_counter()
        ranked = _dedupe(system.rank(inst.problem_statement))
        t2 = time.perf_counter()
        rec.update(t_index=t1 - t0, t_packet=t2 - t1)
        if getattr(system, "last_work", None):
            rec["index_work"] = dict(system.last_work)
        if system.has_packet:
            rec["packet_gold"] = {
                b: sorted(set(system.packet_files(inst.problem_statement, b)) & set(inst.gold_files))
                for b in PACKET_BUDGETS
            }
    except Exception as exc:  # noqa: BLE001 - a crash on one instance is a miss, not the end of the run
        rec["error"] = f"{type(exc).__name__}: {exc}"
        if system.has_packet:
            rec["packet_gold"] = {b: [] for b in PACKET_BUDGETS}
    sizes = sizer.sizes(clone, tree, prefix_to_last_gold(ranked, inst.gold_files))
    rec.update(score_ranking(ranked, inst, sizes))
    return rec


def evaluate(
    insts: list[Instance], mirrors: Mapping[str, str], workdir: Path, names: list[str]
) -> list[dict[str, Any]]:
    """Run every system on every instance, one working clone per repository."""
    systems: dict[str, System] = {n: SYSTEMS[n]() for n in names}
    sizer = TokenSizer()
    records = []
    current_repo = None
    for i, inst in enumerate(insts, 1):
        if inst.repo != current_repo:
            for s in systems.values():
                s.close()
            current_repo = inst.repo
        clone = ensure_clone(mirrors[inst.repo], workdir, inst.repo)
        checkout(clone, inst.base_commit)
        tree = present_tree(clone)
        rec = _base_record(inst)
        for name, system in systems.items():
            rec["systems"][name] = run_system(system, clone, inst, tree, sizer)
        records.append(rec)
        _progress(i, len(insts), rec)
    for s in systems.values():
        s.close()
    return records


def _base_record(inst: Instance) -> dict[str, Any]:
    return {
        "instance_id": inst.instance_id,
        "repo": inst.repo,
        "base_commit": inst.base_commit,
        "gold": inst.gold_files,
        "new_files": inst.new_files,
        "systems": {},
    }


def _progress(i: int, n: int, rec: dict[str, Any]) -> None:
    parts = []
    for name, r in rec["systems"].items():
        ranks = ",".join(str(x) for x in r["hit_ranks"].values())
        t = r["t_index"] + r["t_packet"]
        status = f"ERROR {r['error'][:100]}" if r["error"] else f"t={t:.2f}s"
        parts.append(f"{name} ranks={ranks} {status}")
    print(f"[{i}/{n}] {rec['instance_id']}: " + "; ".join(parts), file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- aggregation


def aggregate(records: Sequence[Mapping[str, Any]], name: str) -> dict[str, Any]:
    """All reported figures for one system."""
    recs = [(r, r["systems"][name]) for r in records if name in r["systems"]]
    n = len(recs)
    out: dict[str, Any] = {"n": n, "errors": sum(1 for _, s in recs if s["error"])}
    out["unreachable"] = sum(1 for r, _ in recs if r["new_files"])
    out["acc"] = {k: 100.0 * sum(s["acc"][k] for _, s in recs) / n if n else math.nan for k in ACC_KS}
    out["budget"] = {
        b: summarize_recall([recall_triplet(s["budget_gold"][b], r["gold"]) for r, s in recs])
        for b in FILE_BUDGETS
    }
    with_packet = [(r, s) for r, s in recs if "packet_gold" in s]
    out["packet"] = {
        b: summarize_recall([recall_triplet(s["packet_gold"][b], r["gold"]) for r, s in with_packet])
        for b in PACKET_BUDGETS
    } if with_packet else None
    out["per_repo_acc5"] = _per_repo_acc5(recs)
    times = [s["t_index"] + s["t_packet"] for _, s in recs if not s["error"]]
    out["time_mean"] = sum(times) / len(times) if times else math.nan
    out["time_p95"] = percentile(times, 95)
    out["index_work"] = _index_work(recs)
    return out


#: Buckets of files re-parsed by an index update, for the update-cost table.
WORK_BUCKETS = ((0, 0), (1, 9), (10, 99), (100, 999), (1000, 10**9))


def _index_work(recs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> list[tuple[str, int, float, float]]:
    """Per bucket of files re-parsed: (label, instances, median index seconds, median ms per file)."""
    out = []
    for lo, hi in WORK_BUCKETS:
        rows = [(s["t_index"], s["index_work"]["parsed"]) for _, s in recs
                if "index_work" in s and lo <= s["index_work"]["parsed"] <= hi and not s["error"]]
        if rows:
            label = str(lo) if lo == hi else (f"{lo}-{hi}" if hi < 10**9 else f"{lo}+")
            per_file = [1000 * t / n for t, n in rows if n]
            out.append((label, len(rows), statistics.median(t for t, _ in rows),
                        statistics.median(per_file) if per_file else math.nan))
    return out


def _per_repo_acc5(recs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> dict[str, Any]:
    """Per repository: (instance count, Acc@5 %)."""
    by_repo: dict[str, list[bool]] = defaultdict(list)
    for r, s in recs:
        by_repo[r["repo"]].append(bool(s["acc"][5]))
    return {repo: (len(v), 100.0 * sum(v) / len(v)) for repo, v in sorted(by_repo.items())}


def _pct(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.1f}"


def _secs(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.2f}"


def _triple(d: Mapping[str, float] | None) -> str:
    return "n/a" if d is None else " / ".join(_pct(d[k]) for k in ("all", "any", "avg"))


def render_markdown(aggs: Mapping[str, Mapping[str, Any]], meta: Mapping[str, Any]) -> str:
    """The results report: headline table, per-repository Acc@5 and run metadata."""
    lines = [
        "# Localization benchmark (SWE-bench Verified dev set)",
        "",
        (f"Instances: {meta['n']} · unreachable (gold file new at base commit, counted as misses): "
        f"{meta['unreachable']} · run time {meta['wall']:.0f}s · {meta['date']}"),
        "",
        (
            "| system | Acc@1 | Acc@3 | Acc@5 | Acc@10 | file budget 13k All/Any/Avg | 27k | 50k "
            "| packet 8k All/Any/Avg | packet 16k | mean s/inst | p95 s/inst | errors |"
        ),
        "| --- " * 13 + "|",
    ]
    for name, a in aggs.items():
        acc = " | ".join(_pct(a["acc"][k]) for k in ACC_KS)
        budget = " | ".join(_triple(a["budget"][b]) for b in FILE_BUDGETS)
        packet = " | ".join(
            _triple(a["packet"][b]) if a["packet"] else "n/a" for b in PACKET_BUDGETS
        )
        lines.append(
            f"| {name} | {acc} | {budget} | {packet} | {_secs(a['time_mean'])} "
            f"| {_secs(a['time_p95'])} | {a['errors']} |"
        )
    lines += ["", "Per-repository Acc@5:", "", "| repository | n | " + " | ".join(aggs) + " |"]
    lines.append("| --- " * (2 + len(aggs)) + "|")
    repos = sorted({r for a in aggs.values() for r in a["per_repo_acc5"]})
    for repo in repos:
        cells = [aggs[n]["per_repo_acc5"].get(repo, (0, math.nan)) for n in aggs]
        count = max(c[0] for c in cells)
        lines.append(f"| {repo} | {count} | " + " | ".join(_pct(c[1]) for c in cells) + " |")
    lines += ["", "Time per instance = index update + packet build (BM25: index rebuild + ranking)."]
    for name, a in aggs.items():
        if a.get("index_work"):
            lines += ["", f"{name}: index update from the previous instance's commit, by files re-parsed:", "",
                      "| files re-parsed | instances | median update s | median ms per re-parsed file |",
                      "| --- | --- | --- | --- |"]
            lines += [f"| {lab} | {n} | {t:.2f} | {'n/a' if math.isnan(pf) else f'{pf:.1f}'} |"
                      for lab, n, t, pf in a["index_work"]]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- CLI


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mirrors", type=Path, required=True, help="JSON map owner/name -> git dir")
    ap.add_argument("--dataset", type=Path, default=DEV_SET)
    ap.add_argument("--limit", type=int, default=None, help="first N instances per repository")
    ap.add_argument("--repos", default="", help="comma-separated owner/name or name")
    ap.add_argument("--workdir", type=Path, default=Path("/work/bench-work"))
    ap.add_argument("--systems", default=None, help="comma-separated; default: all available")
    ap.add_argument("--out", type=Path, default=RESULTS_DIR)
    return ap.parse_args(argv)


def _choose_systems(arg: str | None) -> list[str]:
    if arg:
        names = [s.strip() for s in arg.split(",") if s.strip()]
        unknown = set(names) - set(SYSTEMS)
        if unknown:
            raise SystemExit(f"unknown systems: {sorted(unknown)}")
        if "repointel" in names and not repointel_available():
            raise SystemExit("repointel.Repo is not available yet; run with --systems bm25")
        return names
    return ["repointel", "bm25"] if repointel_available() else ["bm25"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the markdown report and write the result files."""
    args = parse_args(argv)
    names = _choose_systems(args.systems)
    mirrors = json.loads(args.mirrors.read_text())
    repos = {r.strip() for r in args.repos.split(",") if r.strip()} or None
    insts = load_instances(args.dataset, repos, args.limit)
    start = time.perf_counter()
    records = evaluate(insts, mirrors, args.workdir, names)
    meta = {
        "n": len(insts), "unreachable": sum(1 for i in insts if not i.reachable),
        "wall": time.perf_counter() - start, "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    report = render_markdown({n: aggregate(records, n) for n in names}, meta)
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "localization.md").write_text(report)
    with (args.out / "localization_instances.jsonl").open("w") as fh:
        for rec in records:
            fh.write(json.dumps(rec) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
