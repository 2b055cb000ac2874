"""Could the index do without pyarrow (174 MB, the largest install)? Bulk writes and reads of
the index's shapes, timed the way the store does them (Arrow) and the ways open without it.

    python benchmarks/arrow_free.py [--rows 300000] [--repeat 3]

Writes: columns of Python values (what the indexer buffers) into a DuckDB table, through
(a) ``pa.array`` + ``from_arrow(...).insert_into`` (today's ``IndexStore._insert_columns``),
(b) NumPy arrays that DuckDB scans by name (no pyarrow, no pandas),
(c) ``INSERT ... SELECT unnest(?), ...`` with the lists as parameters.
Reads: the ``terms`` postings the lexical ranker loads (``term, path, tf``) through
(a) an Arrow table (today's ``IndexStore.arrow``), (b) ``fetchnumpy()``, (c) ``fetchall()``.
Each figure is the best of ``--repeat`` runs in this process; compare within one run only.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa

SCHEMA = "CREATE OR REPLACE TABLE t (path VARCHAR, name VARCHAR, kind VARCHAR, start_line INTEGER, tf DOUBLE)"


def _columns(n: int) -> list[list[object]]:
    return [[f"src/pkg{i % 97}/mod{i % 1009}.py" for i in range(n)], [f"name_{i}" for i in range(n)],
            [("function", "class", "method")[i % 3] for i in range(n)], list(range(n)),
            [float(i % 13) for i in range(n)]]


def _arrow_write(con: duckdb.DuckDBPyConnection, cols: list[list[object]]) -> None:
    types = [pa.string(), pa.string(), pa.string(), pa.int32(), pa.float64()]
    arrays = [pa.array(c, type=t) for c, t in zip(cols, types)]
    con.from_arrow(pa.Table.from_arrays(arrays, names=["path", "name", "kind", "start_line", "tf"])).insert_into("t")


def _numpy_write(con: duckdb.DuckDBPyConnection, cols: list[list[object]]) -> None:
    frame = {"path": np.array(cols[0], dtype=object), "name": np.array(cols[1], dtype=object),
             "kind": np.array(cols[2], dtype=object), "start_line": np.array(cols[3], dtype=np.int32),
             "tf": np.array(cols[4], dtype=np.float64)}
    con.register("_frame", frame)
    con.execute("INSERT INTO t SELECT * FROM _frame")
    con.unregister("_frame")


def _unnest_write(con: duckdb.DuckDBPyConnection, cols: list[list[object]]) -> None:
    con.execute("INSERT INTO t SELECT unnest(?), unnest(?), unnest(?), unnest(?), unnest(?)", cols)


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cols = _columns(args.rows)
    con = duckdb.connect()
    print(f"{args.rows:,} rows, best of {args.repeat}\n")
    print(f"{'operation':<44} {'seconds':>8}")
    for label, write in (("write: pyarrow (today)", _arrow_write), ("write: numpy arrays, no pyarrow", _numpy_write),
                         ("write: unnest(?) list parameters", _unnest_write)):
        def run(write: Callable[[duckdb.DuckDBPyConnection, list[list[object]]], None] = write) -> None:
            con.execute(SCHEMA)
            write(con, cols)
        print(f"{label:<44} {_best(run, args.repeat):>8.3f}")
    con.execute(SCHEMA)
    _arrow_write(con, cols)
    sql = "SELECT name AS term, path, tf FROM t"
    def arrow_table() -> pa.Table:  # as IndexStore.arrow fetches it (duckdb 2.x / 1.x)
        rel = con.sql(sql)
        fetch = getattr(rel, "to_arrow_table", None) or rel.arrow
        return fetch()

    for label, read in (("read: Arrow table (today)", arrow_table),
                        ("read: fetchnumpy(), no pyarrow", lambda: con.execute(sql).fetchnumpy()),
                        ("read: fetchall()", lambda: con.execute(sql).fetchall())):
        print(f"{label:<44} {_best(read, args.repeat):>8.3f}")


if __name__ == "__main__":
    main()
