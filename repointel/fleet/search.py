"""Questions across a fleet, answered from its Parquet shards with one read-only DuckDB
(:class:`~repointel.store.ShardStore`): SQL, symbols, dependents of a package, owners, and the
repository a task most likely concerns (whose own index then builds the context packet)."""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from typing import Any

from ..config import DEFAULT_TOKENIZER, SCHEMA_VERSION
from ..errors import BudgetError, IndexMissingError, PathNotIndexedError
from ..models import TokenAccount
from .manifest import REPO_ID
from .models import FleetDependent, FleetOwner, FleetPacket, FleetRepo, FleetSymbol, RepoCandidate
from .task import read_json

__all__ = ["CANDIDATES", "SYMBOL_WEIGHT", "TOP_FILES", "Fleet"]

#: A repository's lexical score is the sum of its best few files' BM25: a task concerns a handful of
#: files, so several matching files count more than one, and a big repository does not win by size.
TOP_FILES = 3
#: Weight of the symbol evidence (task names a repository defines) against BM25 (both scaled to
#: the best repository's score): a name such as ``InvoiceTotal`` points at its definers more
#: surely than shared words do, so it counts as much as the lexical evidence.
SYMBOL_WEIGHT = 1.0
#: Repositories listed as candidates in a fleet packet: the header names them in one line.
CANDIDATES = 5
#: Files shown per repository by ``dependents`` and ``owners``.
SAMPLE_PATHS = 5
#: The views ``find`` and the symbol seeds read.
_SYMBOLS = ("symbols",)


class Fleet:
    """A fleet store (``DIR`` of ``repointel fleet index``), read from its shards."""

    def __init__(self, store: str) -> None:
        self.store = os.path.realpath(store)
        if not os.path.isdir(self.store):
            raise IndexMissingError(f"no fleet store at {store}: run `repointel fleet index` first")
        self._shards: dict[tuple[str, ...] | None, Any] = {}
        self._manifests: dict[str, dict[str, Any]] | None = None
        self._stale_in_directory: list[str] = []  # repositories whose directory rows are outdated

    @classmethod
    def open(cls, store: str | os.PathLike[str]) -> Fleet:
        return cls(os.fspath(store))

    def close(self) -> None:
        for shards in self._shards.values():
            shards.close()
        self._shards = {}

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what the store holds ---------------------------------------------------------------------
    def manifests(self) -> dict[str, dict[str, Any]]:
        """repo id → its complete shard's manifest (read once per :class:`Fleet`)."""
        if self._manifests is None:
            found = {}
            for name in sorted(os.listdir(self.store)):
                if REPO_ID.fullmatch(name):
                    manifest = read_json(os.path.join(self.store, name, "manifest.json"))
                    # a shard of another schema is left out until `fleet index` rewrites it
                    if manifest is not None and _well_formed(name, manifest):
                        found[name] = manifest
            self._manifests = found
        return self._manifests

    def repos(self) -> list[FleetRepo]:
        """Every repository of the store: its shard, and its last failure if the last run failed."""
        out = []
        for name in sorted(os.listdir(self.store)):
            folder = os.path.join(self.store, name)
            if not REPO_ID.fullmatch(name) or not os.path.isdir(folder):
                continue
            m = self.manifests().get(name) or {}
            err = read_json(os.path.join(folder, "error.json")) or {}
            if not m and not err:
                continue
            out.append(FleetRepo(
                id=name, source=str(m.get("source") or err.get("source") or ""), ref=m.get("ref"),
                commit=m.get("commit"), dirty=bool(m.get("dirty")), shard=m.get("shard"),
                indexed_at=m.get("indexed_at"), files=int(m.get("files", 0)), rows=int(m.get("rows", 0)),
                bytes=int(m.get("bytes", 0)), error=err.get("error"), failed_at=err.get("failed_at")))
        return out

    def shards(self, tables: tuple[str, ...] | None = None) -> Any:
        """The :class:`~repointel.store.ShardStore` over every complete shard (opened once), with
        views of ``tables`` (default: every table; a question names the few it reads)."""
        if tables not in self._shards:
            import pyarrow as pa

            from ..store import TABLES, ShardStore

            files: dict[str, list[str]] = {t: [] for t in TABLES}
            rows: dict[str, list[Any]] = defaultdict(list)
            for repo, m in self.manifests().items():
                folder = os.path.join(self.store, str(m["shard"]))
                for table, info in (m.get("tables") or {}).items():
                    if table in files:
                        files[table].append(os.path.join(folder, str(info["file"])))
                for key in ("source", "ref", "commit", "indexed_at"):
                    rows[key].append(m.get(key))
                rows["repo"].append(repo)
                rows["dirty"].append(bool(m.get("dirty")))
                rows["files"].append(int(m.get("files", 0)))
            schema = pa.schema([("repo", pa.string()), ("source", pa.string()), ("ref", pa.string()),
                                ("commit", pa.string()), ("dirty", pa.bool_()), ("indexed_at", pa.string()),
                                ("files", pa.int64())])
            repos = pa.table({name: rows[name] for name in schema.names}, schema=schema)
            extra = self._directory_views() if tables is None or "symbols" in tables else {}
            self._shards[tables] = ShardStore({t: f for t, f in files.items() if tables is None or t in tables},
                                              repos, extra, tables)
        return self._shards[tables]

    def _directory_views(self) -> dict[str, tuple[str, list[str]]]:
        """``symbol_directory`` (the sorted symbol file, if any) and ``symbols_uncovered`` (the
        symbol shards of repositories it does not hold as they are now)."""
        from .directory import DIRECTORY, read_directory

        info = read_directory(self.store)
        manifests = self.manifests()
        built = {str(k): str(v) for k, v in (info or {}).get("built_from", {}).items()}
        current = {repo for repo, shard in built.items() if str(manifests.get(repo, {}).get("shard")) == shard}
        self._stale_in_directory = sorted(set(built) - current)
        files = [os.path.join(self.store, DIRECTORY, str(info["file"]))] if info else []
        uncovered = [os.path.join(self.store, str(m["shard"]), str(m["tables"]["symbols"]["file"]))
                     for repo, m in manifests.items() if repo not in current and "symbols" in m["tables"]]
        return {"symbol_directory": ("symbols", files), "symbols_uncovered": ("symbols", uncovered)}

    def _symbols_sql(self) -> tuple[str, list[Any]]:
        """A FROM clause holding exactly the symbols of every shard, read through the directory
        where it is current (and its parameters)."""
        self.shards(_SYMBOLS)
        return ("(SELECT * FROM symbol_directory WHERE NOT list_contains(?, repo) "
                "UNION ALL SELECT * FROM symbols_uncovered)", [self._stale_in_directory])

    # -- questions ---------------------------------------------------------------------------------
    def query(self, sql: str, *, limit: int = 10_000) -> dict[str, Any]:
        """Read-only SQL over the shards: every index table has a leading ``repo`` column, and
        ``repos`` lists the repositories (``{"columns", "rows", "repos"}``)."""
        cols, rows = self.shards().user_query(sql, limit)
        return {"columns": cols, "rows": [list(r) for r in rows], "repos": len(self.manifests())}

    def find(self, symbol: str, *, kind: str | None = None, limit: int = 1000) -> list[FleetSymbol]:
        """Definitions named ``symbol`` (a name or a qualified name) in every repository."""
        # the directory is sorted by name: every condition names the names it can match. A
        # qualified name is its parent's and the name after the last dot; a qualified name
        # without a dot has no parent, so it equals the name
        source, params = self._symbols_sql()
        if "." in symbol:
            match = "name IN (?, ?) AND (qualname = ? OR name = ?)"
            params += [symbol.rsplit(".", 1)[1], symbol, symbol, symbol]
        else:
            match = "name = ?"
            params.append(symbol)
        sql = (f"SELECT repo, path, name, qualname, kind, start_line, end_line, signature FROM {source} "
               f"WHERE {match}" + (" AND kind = ?" if kind else "")
               + f" ORDER BY repo, path, start_line LIMIT {int(limit)}")
        return [FleetSymbol(**r) for r in self.shards(_SYMBOLS).dicts(sql, params + ([kind] if kind else []))]

    def dependents(self, package: str, *, limit: int = 10_000) -> list[FleetDependent]:
        """Repositories whose dependency map imports the external ``package`` (or a module of it:
        ``pkg.sub``, ``pkg/sub``), most importing files first."""
        rows = self.shards(("imports",)).rows(
            "SELECT repo, count(DISTINCT path), count(*), list(DISTINCT path ORDER BY path) FROM imports "
            "WHERE external = ? OR starts_with(external, ? || '.') OR starts_with(external, ? || '/') "
            f"GROUP BY repo ORDER BY 2 DESC, repo LIMIT {int(limit)}", [package] * 3)
        return [FleetDependent(repo=r, package=package, files=int(f), imports=int(n), paths=list(p)[:SAMPLE_PATHS])
                for r, f, n, p in rows]

    def owners(self, owner: str | None = None, *, package: str | None = None,
               limit: int = 10_000) -> list[FleetOwner]:
        """CODEOWNERS owners per repository and how many files each owns; ``owner`` keeps one
        (case-insensitive), ``package`` only files importing that external package."""
        where, params = ["len(o.owners) > 0"], []
        if package is not None:
            where.append("(o.repo, o.path) IN (SELECT (repo, path) FROM imports WHERE external = ? OR "
                         "starts_with(external, ? || '.') OR starts_with(external, ? || '/'))")
            params += [package] * 3
        rows = self.shards(("imports", "owners")).rows(
            "SELECT repo, owner, count(*), list(path ORDER BY path) FROM (SELECT o.repo, o.path, "
            f"unnest(o.owners) AS owner FROM owners o WHERE {' AND '.join(where)}) "
            + ("WHERE lower(owner) = lower(?) " if owner else "")
            + f"GROUP BY repo, owner ORDER BY repo, 3 DESC, owner LIMIT {int(limit)}",
            params + ([owner] if owner else []))
        return [FleetOwner(repo=r, owner=o, files=int(n), paths=list(p)[:SAMPLE_PATHS]) for r, o, n, p in rows]

    # -- context ----------------------------------------------------------------------------------
    def candidates(self, task: str, *, top: int = CANDIDATES) -> list[RepoCandidate]:
        """The repositories ``task`` most likely concerns: BM25 of the task's terms over every
        file of the fleet (best :data:`TOP_FILES` per repository) plus the task's code names the
        repository defines, each scaled to the best repository's."""
        from ..rank.task import analyse_task

        terms = analyse_task(task)
        lexical = self._bm25(terms.terms)
        names = self._symbol_hits(terms)
        best_lex = max((s for s, _ in lexical.values()), default=0.0) or 1.0
        best_sym = max((sum(w for _, w in hits) for hits in names.values()), default=0.0) or 1.0
        out = []
        for repo in set(lexical) | set(names):
            lex, files = lexical.get(repo, (0.0, []))
            sym = sum(w for _, w in names.get(repo, []))
            score = lex / best_lex + SYMBOL_WEIGHT * sym / best_sym
            out.append(RepoCandidate(repo=repo, score=round(score, 4), bm25=round(lex, 4),
                                     symbols=sorted(n for n, _ in names.get(repo, [])), files=files))
        out.sort(key=lambda c: (-c.score, c.repo))
        return out[:top]

    def _bm25(self, terms: dict[str, int]) -> dict[str, tuple[float, list[str]]]:
        """repo → (sum of its best files' BM25, those files), over the fleet as one collection."""
        from ..rank.lexical import BM25_B, BM25_K1, MAX_QUERY_TF

        if not terms:
            return {}
        q = sorted(terms)
        rows = self.shards(("doclen", "terms")).rows(f"""
            WITH q AS (SELECT unnest(?) AS term, unnest(?) AS qtf),
            stats AS (SELECT count(*) AS n, avg(len) AS avgdl FROM doclen),
            hits AS (SELECT repo, path, term, tf FROM terms WHERE term IN (SELECT term FROM q)),
            df AS (SELECT term, count(*) AS df FROM hits GROUP BY term),
            scored AS (
              SELECT h.repo, h.path, sum(q.qtf * ln(1 + (stats.n - df.df + 0.5) / (df.df + 0.5)) * h.tf
                     * ({BM25_K1} + 1) / (h.tf + {BM25_K1} * (1 - {BM25_B} + {BM25_B} * d.len / stats.avgdl))) AS s
              FROM hits h JOIN q ON h.term = q.term JOIN df ON h.term = df.term
                   JOIN doclen d ON d.repo = h.repo AND d.path = h.path, stats
              GROUP BY h.repo, h.path)
            SELECT repo, path, s FROM (
              SELECT *, row_number() OVER (PARTITION BY repo ORDER BY s DESC, path) AS k FROM scored)
            WHERE k <= {TOP_FILES} ORDER BY repo, k""", [q, [min(terms[t], MAX_QUERY_TF) for t in q]])
        out: dict[str, tuple[float, list[str]]] = {}
        for repo, path, score in rows:
            total, files = out.get(repo, (0.0, []))
            out[repo] = (total + float(score), [*files, path])
        return out

    def _symbol_hits(self, terms: Any) -> dict[str, list[tuple[str, float]]]:
        """repo → [(task name it defines, weight)]: a name counts 1/sqrt(repositories defining it)."""
        from ..rank.task import is_identifier_like

        names = {n for n in terms.identifiers if is_identifier_like(n) or n[:1].isupper()}
        names |= set(terms.code_identifiers) | {p for d in terms.dotted for p in d.split(".")}
        names = {n for n in names if len(n) >= 3}
        if not names:
            return {}
        source, params = self._symbols_sql()
        marks = ", ".join("?" * len(names))  # a literal list: the directory's row groups are pruned by it
        rows = self.shards(_SYMBOLS).rows(f"SELECT name, list(DISTINCT repo) FROM {source} "
                                  f"WHERE name IN ({marks}) GROUP BY name", [*params, *sorted(names)])
        out: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for name, repos in rows:
            for repo in repos:
                out[repo].append((name, 1 / math.sqrt(len(repos))))
        return dict(out)

    def context(self, task: str, *, budget: int = 8192, tokenizer: str = DEFAULT_TOKENIZER,
                fmt: str = "markdown", repo: str | None = None) -> FleetPacket:
        """A packet for ``task`` from the repository it most likely concerns (or ``repo``): a
        header naming the repository and the other candidates, then the packet built from that
        repository's own index; the whole text fits ``budget`` tokens."""
        from ..api import MAX_BUDGET

        if not isinstance(budget, int) or budget < 1 or budget > MAX_BUDGET:
            raise BudgetError(f"budget must be an integer between 1 and {MAX_BUDGET}, got {budget!r}")
        if fmt not in ("markdown", "json"):
            raise BudgetError(f"unknown format {fmt!r}")
        found = self.candidates(task)
        chosen = repo or next((c.repo for c in found), None)
        if chosen is None:
            raise PathNotIndexedError("no repository of the fleet matches the task")
        manifest = self.manifests().get(chosen)
        if manifest is None:
            raise PathNotIndexedError(f"no repository {chosen!r} in the fleet store")
        return self._packet(task, manifest, found, budget, tokenizer, fmt)

    def _packet(self, task: str, manifest: dict[str, Any], found: list[RepoCandidate], budget: int,
                tokenizer: str, fmt: str) -> FleetPacket:
        from ..api import Repo
        from ..context.render import render
        from ..tokens import get_tokenizer

        count = get_tokenizer(tokenizer).count
        wrap = _wrapper(manifest, found, fmt)
        reserve = count(wrap(""))
        root = str(manifest["root"])
        with Repo.open(root, index_path=os.path.join(self.store, str(manifest["repo"]), "index.duckdb")) as repo:
            for _ in range(3):  # the wrapper and the packet may tokenize across their seam: retry smaller
                if budget - reserve < 1:
                    raise BudgetError(f"budget {budget} cannot hold the fleet header ({reserve} tokens)")
                packet = repo.context(task, budget=budget - reserve, tokenizer=tokenizer, fmt=fmt)
                text = wrap(render(packet, fmt))
                used = count(text)
                if used <= budget:
                    break
                reserve += used - budget
            else:
                raise BudgetError(f"the fleet packet does not fit {budget} tokens")
        return FleetPacket(repo=str(manifest["repo"]), source=str(manifest["source"]), commit=manifest.get("commit"),
                           candidates=found, packet=packet, text=text,
                           tokens=TokenAccount(tokenizer=tokenizer, budget=budget, used=used))


def _well_formed(name: str, manifest: dict[str, Any]) -> bool:
    """A manifest of this schema whose shard files lie in the repository's own folder."""
    shard = str(manifest.get("shard", ""))
    tables = manifest.get("tables")
    return (manifest.get("repo") == name and manifest.get("schema_version") == SCHEMA_VERSION
            and shard.startswith(name + "/") and REPO_ID.fullmatch(shard[len(name) + 1:]) is not None
            and isinstance(tables, dict)
            and all(isinstance(v, dict) and v.get("file") == f"{t}.parquet" for t, v in tables.items()))


def _wrapper(manifest: dict[str, Any], found: list[RepoCandidate], fmt: str) -> Any:
    """A function putting the fleet header around a rendered packet."""
    repo, source, commit = manifest["repo"], manifest["source"], manifest.get("commit") or "none"
    ref = f" ref {manifest['ref']}" if manifest.get("ref") else ""
    if fmt == "json":
        head = json.dumps({"fleet": {"repo": repo, "source": source, "ref": manifest.get("ref"), "commit": commit,
                                     "candidates": [[c.repo, c.score] for c in found]}}, ensure_ascii=False)
        return lambda packet: f"{head[:-1]}, \"packet\": {packet.rstrip()}}}\n" if packet else head + "\n"
    others = ", ".join(f"{c.repo} {c.score:.2f}" for c in found) or "-"
    head = (f"# Fleet context: repository {repo} ({source}{ref}) commit {commit}\n"
            f"candidates: {others}\n\n")
    return lambda packet: head + packet
