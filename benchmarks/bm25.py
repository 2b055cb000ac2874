"""A plain BM25 Okapi file ranker: the localization baseline, independent of repointel.

Document = repo-relative path + file contents; query = the issue text. Tokens are the
alphanumeric runs of the text, split further on camelCase / snake_case and lowercased
(compound identifiers are kept whole as well).
Per-blob term counts are cached by git blob sha, so moving a checkout from commit to
commit only re-tokenizes the files that changed.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BM25Index", "list_tree", "tokenize"]

K1 = 1.2
B = 0.75

_IDENT = re.compile(r"[A-Za-z0-9_]+")
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def tokenize(text: str) -> list[str]:
    """Split on non-alphanumerics (so on ``_`` too), then on camel case; lowercase.

    A compound identifier (``snake_case``, ``camelCase``) also yields itself whole, so
    an exact identifier match outweighs a match of its common parts.
    """
    out: list[str] = []
    for word in _IDENT.findall(text):
        parts = _PART.findall(word)
        out.extend(part.lower() for part in parts)
        if len(parts) > 1:
            out.append(word.lower())
    return out


def list_tree(repo_dir: Path, rev: str = "HEAD") -> dict[str, str]:
    """Map repo-relative path -> blob sha for every regular file at ``rev``."""
    raw = subprocess.run(
        ["git", "-C", str(repo_dir), "ls-tree", "-r", "-z", rev],
        check=True, capture_output=True,
    ).stdout.decode("utf-8", "surrogateescape")
    tree: dict[str, str] = {}
    for entry in raw.split("\0"):
        if not entry:
            continue
        meta, path = entry.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind == "blob" and mode in ("100644", "100755"):
            tree[path] = sha
    return tree


@dataclass
class _Doc:
    path: str
    path_tf: Counter[str]
    body_tf: Counter[str]
    length: int


class BM25Index:
    """BM25 Okapi over the source files of one checkout (``exts``: Python by default, as in the
    SWE-bench dev set); rebuilt per checkout via :meth:`build`."""

    def __init__(self, k1: float = K1, b: float = B, exts: tuple[str, ...] = (".py",),
                 also: Callable[[Path, str], bool] | None = None) -> None:
        self.k1 = k1
        self.b = b
        self.exts = exts
        self.also = also  # files without one of ``exts`` that are sources too (scripts by their #!)
        self._blob_cache: dict[str, Counter[str]] = {}
        self._docs: list[_Doc] = []
        self._avgdl = 1.0

    def build(self, repo_dir: Path, tree: dict[str, str] | None = None) -> int:
        """(Re)build over the source files (``exts``) of the working tree at ``repo_dir``; returns
        the document count."""
        tree = list_tree(repo_dir) if tree is None else tree
        py = {p: s for p, s in tree.items()
              if (p.endswith(self.exts) or (self.also is not None and self.also(repo_dir, p))) and (repo_dir / p).is_file()}
        cache = {sha: self._blob_cache[sha] for sha in py.values() if sha in self._blob_cache}
        docs = []
        for path, sha in sorted(py.items()):
            if sha not in cache:
                text = (repo_dir / path).read_text(encoding="utf-8", errors="replace")
                cache[sha] = Counter(tokenize(text))
            body = cache[sha]
            path_tf = Counter(tokenize(path))
            length = sum(body.values()) + sum(path_tf.values())
            docs.append(_Doc(path, path_tf, body, length))
        self._blob_cache = cache  # evict blobs no longer in the tree
        self._docs = docs
        self._avgdl = (sum(d.length for d in docs) / len(docs)) if docs else 1.0
        return len(docs)

    def _idf(self, terms: set[str]) -> dict[str, float]:
        """Okapi idf per term, floored at 0 (terms in most documents carry no weight)."""
        n_docs = len(self._docs)
        idf = {}
        for term in terms:
            df = sum(1 for d in self._docs if term in d.body_tf or term in d.path_tf)
            idf[term] = max(0.0, math.log((n_docs - df + 0.5) / (df + 0.5)))
        return idf

    def scores(self, query: str) -> dict[str, float]:
        """BM25 score of every document for ``query`` (query terms counted with repetition)."""
        qtf = Counter(tokenize(query))
        idf = self._idf(set(qtf))
        weights = {t: idf[t] * n for t, n in qtf.items() if idf[t] > 0}
        k1, b, avgdl = self.k1, self.b, self._avgdl
        out: dict[str, float] = {}
        for doc in self._docs:
            norm = k1 * (1 - b + b * doc.length / avgdl)
            score = 0.0
            for term, w in weights.items():
                tf = doc.body_tf.get(term, 0) + doc.path_tf.get(term, 0)
                if tf:
                    score += w * tf * (k1 + 1) / (tf + norm)
            out[doc.path] = score
        return out

    def rank(self, query: str) -> list[str]:
        """All indexed paths, best first (ties broken by path)."""
        scores = self.scores(query)
        return sorted(scores, key=lambda p: (-scores[p], p))
