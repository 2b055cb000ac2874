"""Incremental reparsing: a kept tree ``edit``-ed and reparsed vs a fresh parse, per file size.

    python benchmarks/reparse.py [--lib PATH] [--edits 15]

For stdlib Python files of several sizes: insert a 4-line function in the middle of the file,
``--edits`` times in a row, and time (median) the parse alone and ``extract_parsed`` (parse +
every per-file extractor), fresh vs reusing the kept tree (``parse_reusing``). Checks that both
give identical results. The daemon examines edited files through the reusing path; files under
``KEEP_MIN_BYTES`` are not kept.
"""

from __future__ import annotations

import argparse
import statistics
import sysconfig
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from repointel.extract.filemap import extract_parsed
from repointel.parse import languages, parse, parse_reusing

FILES = ["json/encoder.py", "argparse.py", "typing.py", "_pydecimal.py"]


def _edited(text: bytes, step: int) -> bytes:
    lines = text.split(b"\n")
    mid = len(lines) // 2
    while mid < len(lines) and lines[mid].startswith((b" ", b"\t")):
        mid += 1  # a top-level position
    unit = f"def bench_edit_{step}(x):\n    return x + {step}\n\n".encode().split(b"\n")
    return b"\n".join(lines[:mid] + unit + lines[mid:])


def _reparse(data: bytes, key: str) -> object:
    return parse_reusing("python", data, key)


def _extract_reusing(data: bytes, key: str) -> object:
    return extract_parsed("python", data, keep_as=key)


def _median_ms(fn: Callable[[bytes], object], versions: list[bytes]) -> float:
    times = []
    for data in versions:
        t0 = time.perf_counter()
        fn(data)
        times.append(time.perf_counter() - t0)
    return statistics.median(times[1:]) * 1000  # the first call has no kept tree


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", default=sysconfig.get_paths()["stdlib"])
    ap.add_argument("--edits", type=int, default=15)
    args = ap.parse_args()
    print(f"KEEP_MIN_BYTES = {languages.KEEP_MIN_BYTES}, KEEP_TREES = {languages.KEEP_TREES}\n")
    print("| file | size | parse | kept tree: edit + reparse | extract_parsed | ... reusing the kept tree |")
    print("| --- | --- | --- | --- | --- | --- |")
    for rel in FILES:
        path = Path(args.lib) / rel
        if not path.exists():
            continue
        versions = [path.read_bytes()]
        for step in range(args.edits):
            versions.append(_edited(versions[-1], step))
        key = str(path)
        for data in versions:  # same results, fresh or reused
            assert extract_parsed("python", data, keep_as=key) == extract_parsed("python", data)
        fresh = _median_ms(lambda d: parse("python", d), versions)
        reuse = _median_ms(partial(_reparse, key=key + "#parse"), versions)
        ex_fresh = _median_ms(lambda d: extract_parsed("python", d), versions)
        ex_reuse = _median_ms(partial(_extract_reusing, key=key + "#x"), versions)
        print(f"| `{rel}` | {len(versions[0]) // 1024} KB | {fresh:.1f} ms | {reuse:.1f} ms "
              f"| {ex_fresh:.1f} ms | {ex_reuse:.1f} ms |")


if __name__ == "__main__":
    main()
