"""Precision and recall of repointel's secret detector on the corpus of ``tests/secrets_corpus.py``,
beside detect-secrets' plugins run on the same corpus.

    python benchmarks/secret_detection.py [--cases]

The corpus holds secrets written the ways people write them (split across glued literals,
template and raw literals, typed constants, ``#define``, credentials on command lines, in
comments, Ruby ``%q``, base64-encoded, database URLs and connection strings, defaults, provider
formats, values judged by their name) and realistic look-alikes (lock-file hashes, fixture
digests, UUIDs, base64 images, public keys, placeholders, references to the environment, code
and prose about secrets).

A positive case counts as found when every secret value in it is covered by a finding. For
repointel the test is by value: the value is gone after :func:`repointel.extract.secrets.redact`.
detect-secrets reports lines (its ``secret_value`` is sometimes only a header, such as ``BEGIN
PRIVATE KEY``), so its test is by line and more lenient: every line holding (part of) the
value carries a finding. A negative case counts as a false positive when anything in it is
reported. Precision = found positives / (found
positives + false positives); recall = found positives / positives.

detect-secrets is optional (``pip install detect-secrets``): without it, only repointel's rows
are printed and the script says so. It runs with its default settings (every plugin, its
default filters), each case written to a file named as the case's path, so its file-type
filters apply as they would in a repository (``detect-secrets scan``); a second row runs its
plugins line by line (``scan_line``), without the file-level filters.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from repointel.extract.secrets import find_secret_spans, redact  # noqa: E402
from tests.secrets_corpus import CASES, NEGATIVES, POSITIVES, Case  # noqa: E402

#: A finding: (line number, reported text).
Finding = tuple[int, str]
Detector = Callable[[list[Case]], dict[str, list[Finding]]]


def repointel_findings(cases: list[Case]) -> dict[str, list[Finding]]:
    """case id → the (line, text) repointel reports."""
    return {c.id: [(c.text.count("\n", 0, a) + 1, c.text[a:b]) for a, b, _ in find_secret_spans(c.text)]
            for c in cases}


def detect_secrets_findings(cases: list[Case]) -> dict[str, list[Finding]]:
    """case id → the (line, ``secret_value``) detect-secrets reports (default settings, every plugin)."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    out: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp, default_settings():
        for case in cases:
            path = os.path.join(tmp, case.id, case.path)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(case.text)
            collection = SecretsCollection()
            collection.scan_file(path)
            out[case.id] = [(s.line_number, s.secret_value or "") for found in collection.data.values()
                            for s in found]
    return out


def detect_secrets_line_findings(cases: list[Case]) -> dict[str, list[Finding]]:
    """case id → the (line, ``secret_value``) of detect-secrets' plugins run line by line
    (``scan_line``: the plugins without the file-level filters ``scan_file`` adds)."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings

    with default_settings():
        return {c.id: [(n, s.secret_value or "") for n, line in enumerate(c.text.splitlines(), 1)
                       for s in scan_line(line)] for c in cases}


def _lines_of(case: Case, secret: str) -> set[int]:
    start = case.text.index(secret)
    first = case.text.count("\n", 0, start) + 1
    return set(range(first, first + secret.count("\n") + 1))


def found(case: Case, findings: list[Finding], ours: bool) -> bool:
    """Whether every secret of a positive case is covered (ours: gone after redaction; theirs: a
    finding on every line the value is on)."""
    if ours:
        cleaned = redact(case.text)
        return all(s not in cleaned for s in case.secrets)
    flagged = {line for line, _ in findings}
    return all(_lines_of(case, s) <= flagged for s in case.secrets)


def score(name: str, detector: Detector, show_cases: bool) -> dict[str, object]:
    start = time.perf_counter()
    findings = detector(CASES)
    seconds = time.perf_counter() - start
    ours = name == "repointel"
    hits = {c.id: found(c, findings[c.id], ours) for c in POSITIVES}
    false = [c.id for c in NEGATIVES if findings[c.id]]
    tp = sum(hits.values())
    precision = tp / (tp + len(false)) if tp + len(false) else 0.0
    recall = tp / len(POSITIVES)
    by_variant: dict[str, list[bool]] = {}
    for c in POSITIVES:
        by_variant.setdefault(c.variant, []).append(hits[c.id])
    if show_cases:
        print(f"\n{name}: missed {[k for k, v in hits.items() if not v]}")
        print(f"{name}: false positives {false}")
    return {"name": name, "precision": precision, "recall": recall, "tp": tp, "fp": len(false),
            "seconds": seconds, "by_variant": by_variant}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", action="store_true", help="list the missed and falsely reported cases")
    args = parser.parse_args()
    systems: list[tuple[str, Detector]] = [("repointel", repointel_findings)]
    try:
        import detect_secrets  # noqa: F401
        systems.append(("detect-secrets (scan_file)", detect_secrets_findings))
        systems.append(("detect-secrets (scan_line)", detect_secrets_line_findings))
    except ImportError:
        print("detect-secrets is not installed (pip install detect-secrets): its rows are left out\n")
    rows = [score(name, fn, args.cases) for name, fn in systems]
    print(f"\ncorpus: {len(POSITIVES)} positive cases, {len(NEGATIVES)} negative cases\n")
    print("| detector | precision | recall | F1 | found | false positives | seconds |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        p, rc = float(r["precision"]), float(r["recall"])  # type: ignore[arg-type]
        f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
        print(f"| {r['name']} | {p:.3f} | {rc:.3f} | {f1:.3f} | {r['tp']}/{len(POSITIVES)} | "
              f"{r['fp']}/{len(NEGATIVES)} | {float(r['seconds']):.2f} |")  # type: ignore[arg-type]
    variants = list(dict.fromkeys(c.variant for c in POSITIVES))
    print("\nrecall by variant\n")
    print("| variant | cases | " + " | ".join(str(r["name"]) for r in rows) + " |")
    print("| --- | ---: |" + " ---: |" * len(rows))
    for v in variants:
        cells = []
        for r in rows:
            hits = r["by_variant"][v]  # type: ignore[index]
            cells.append(f"{sum(hits)}/{len(hits)}")
        print(f"| {v} | {len(cells and rows[0]['by_variant'][v])} | " + " | ".join(cells) + " |")  # type: ignore[index]


if __name__ == "__main__":
    main()
