"""A small bounded cache that threads can share: the daemon builds packets for several clients
at once, and every per-index-state cache (graphs, postings, idf, definitions) goes through one.

A value is built outside the lock (building reads the index and may take a while) and never
read back from the shared dict after being stored: a concurrent eviction cannot make a caller
lose the value it just built. Two threads missing the same key at once both build it; the
values are equal, the last stored wins."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SharedCache"]

V = TypeVar("V")


class SharedCache(Generic[V]):
    """At most ``size`` values by key, the oldest stored dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: dict[Hashable, V] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            return self._values.get(key)

    def put(self, key: Hashable, value: V) -> V:
        with self._lock:
            self._values.pop(key, None)
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.pop(next(iter(self._values)))
        return value

    def get_or_build(self, key: Hashable, build: Callable[[], V]) -> V:
        """The cached value of ``key``, or ``build()`` stored and returned."""
        hit = self.get(key)
        return hit if hit is not None else self.put(key, build())

    def pop(self, key: Hashable) -> V | None:
        with self._lock:
            return self._values.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)
