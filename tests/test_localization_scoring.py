"""Unit tests of the localization benchmark's metric functions and BM25 tokenizer."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


loc = _load("localization")
bm25 = _load("bm25")

RANKED = ["a.py", "b.py", "c.py", "d.py", "e.py"]


@pytest.mark.parametrize(
    ("gold", "k", "expected"),
    [
        (["a.py"], 1, True),
        (["b.py"], 1, False),
        (["a.py", "c.py"], 3, True),
        (["a.py", "d.py"], 3, False),
        (["a.py", "d.py"], 5, True),
        (["zzz.py"], 10, False),
        ([], 5, False),
    ],
)
def test_acc_at_k_requires_all_gold(gold: list[str], k: int, expected: bool) -> None:
    assert loc.acc_at_k(RANKED, gold, k) is expected


def test_acc_at_k_unreachable_is_a_miss() -> None:
    assert loc.acc_at_k(RANKED, ["a.py"], 1, reachable=False) is False


def test_hit_ranks_one_based_and_none_when_absent() -> None:
    assert loc.hit_ranks(RANKED, ["c.py", "x.py"]) == {"c.py": 3, "x.py": None}


def test_pack_files_skips_what_does_not_fit_and_tries_next() -> None:
    sizes = {"a.py": 60, "b.py": 50, "c.py": 30, "d.py": 10, "e.py": 1}
    assert loc.pack_files(RANKED, sizes, 100) == ["a.py", "c.py", "d.py"]
    assert loc.pack_files(RANKED, sizes, 101) == ["a.py", "c.py", "d.py", "e.py"]


def test_pack_files_exact_fit_and_unknown_sizes() -> None:
    sizes = {"a.py": 40, "b.py": 60}
    assert loc.pack_files(["a.py", "ghost.py", "b.py"], sizes, 100) == ["a.py", "b.py"]
    assert loc.pack_files(["a.py", "a.py"], sizes, 100) == ["a.py"]
    assert loc.pack_files(["b.py"], sizes, 59) == []


def test_recall_triplet() -> None:
    assert loc.recall_triplet(["a.py", "b.py"], ["a.py", "b.py"]) == (True, True, 1.0)
    assert loc.recall_triplet(["a.py"], ["a.py", "b.py"]) == (False, True, 0.5)
    assert loc.recall_triplet(["c.py"], ["a.py", "b.py"]) == (False, False, 0.0)


def test_summarize_recall_all_any_avg() -> None:
    triplets = [(True, True, 1.0), (False, True, 0.5), (False, False, 0.0), (False, True, 0.5)]
    got = loc.summarize_recall(triplets)
    assert got == {"all": 25.0, "any": 75.0, "avg": 50.0}
    assert all(math.isnan(v) for v in loc.summarize_recall([]).values())


def test_prefix_to_last_gold() -> None:
    assert loc.prefix_to_last_gold(RANKED, ["c.py", "a.py", "x.py"]) == ["a.py", "b.py", "c.py"]
    assert loc.prefix_to_last_gold(RANKED, ["x.py"]) == []


def test_percentile() -> None:
    assert loc.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert loc.percentile([0.0, 10.0], 95) == pytest.approx(9.5)
    assert math.isnan(loc.percentile([], 95))


def test_aggregate_on_hand_made_records() -> None:
    def rec(repo: str, gold: list[str], ranked: list[str], new: list[str]) -> dict:
        inst = loc.Instance("x-1", repo, "c0", "task", gold, new)
        sizes = {p: 10 for p in ranked}
        scored = loc.score_ranking(ranked, inst, sizes)
        scored.update(error=None, t_index=1.0, t_packet=1.0)
        return {"repo": repo, "gold": gold, "new_files": new, "systems": {"s": scored}}

    records = [
        rec("o/a", ["a.py"], ["a.py", "b.py"], []),
        rec("o/a", ["b.py", "z.py"], ["a.py", "b.py"], ["z.py"]),
    ]
    agg = loc.aggregate(records, "s")
    assert agg["acc"][1] == 50.0 and agg["acc"][10] == 50.0
    assert agg["unreachable"] == 1
    assert agg["budget"][13_000] == {"all": 50.0, "any": 100.0, "avg": 75.0}
    assert agg["packet"] is None
    assert agg["per_repo_acc5"] == {"o/a": (2, 50.0)}
    assert agg["time_mean"] == 2.0


def test_bm25_tokenizer_splits_camel_and_snake_case() -> None:
    assert bm25.tokenize("getHTTPResponse snake_case_name x2 / Foo.bar") == [
        "get", "http", "response", "gethttpresponse",
        "snake", "case", "name", "snake_case_name", "x", "2", "x2", "foo", "bar",
    ]


cov = _load("edit_coverage")

PATCH = """diff --git a/pkg/a.py b/pkg/a.py
--- a/pkg/a.py
+++ b/pkg/a.py
@@ -1,4 +1,5 @@
 import os
+import re
 
 
 def f(x):
@@ -10,3 +11,3 @@ def g(y):
     a = 1
-    return y
+    return y + a
     # end
diff --git a/pkg/new.py b/pkg/new.py
new file mode 100644
--- /dev/null
+++ b/pkg/new.py
@@ -0,0 +1,2 @@
+def h():
+    pass
"""


def test_patch_hunks_target_base_lines_and_skip_new_files() -> None:
    hunks = cov.parse_patch(PATCH)
    assert [(h.path, h.targets, h.insertions) for h in hunks] == [
        ("pkg/a.py", [], [(1, 2)]), ("pkg/a.py", [11], [(11, 12)])]


def test_hunk_coverage_and_gold_definitions() -> None:
    insert, change = cov.parse_patch(PATCH)
    assert insert.covered([(2, 4)]) and not insert.covered([(3, 9)])  # either neighbour of the insertion
    assert change.covered([(8, 12)]) and not change.covered([(1, 10)])
    defs = {"pkg/a.py": [("f", 4, 6), ("g", 9, 13), ("g.inner", 10, 11)]}
    assert cov.gold_definitions([insert, change], defs) == {"pkg/a.py::<module>", "pkg/a.py::g.inner"}
    spans = {"pkg/a.py": [(1, 3)]}
    assert cov.coverage([insert, change], spans) == {"hunks": 2, "covered": 1, "all": False, "any": True}
