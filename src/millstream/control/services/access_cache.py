"""In-process caches of ``AccessService``: resolved keys and roles, each entry tagged with
the access generation it was read at.

The store's access generation (``AccessRepositories.read_access_generation``) changes
with every change of a user, a member or a key's status, owner or secret, made by any
process. An entry is only used when its generation is the one the caller just read in
the store for this request, so a revoked key or a removed member stops working at once
in every replica; a mismatch means "read again", never "trust". Entries are never
cleared in bulk: a stale one is simply not used and is replaced on the next read.

Bounded (least recently used first out), so a flood of made-up key ids cannot grow the
process; thread-safe (the API runs use cases in a thread pool).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["DEFAULT_MAX_ENTRIES", "Entry", "GenerationCache"]

DEFAULT_MAX_ENTRIES = 10_000

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Entry(Generic[V]):
    """A value (None: known to be absent) as the store held it at ``generation``."""

    generation: int
    value: V | None


class GenerationCache(Generic[K, V]):
    """``put(key, value, generation)``; ``get(key)`` answers the entry, whatever its
    generation (the caller compares); ``get(key, generation=g)`` only an entry of ``g``."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._entries: OrderedDict[K, Entry[V]] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: K, *, generation: int | None = None) -> Entry[V] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or generation not in (None, entry.generation):
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: K, value: V | None, generation: int) -> None:
        with self._lock:
            self._entries[key] = Entry(generation, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def discard(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
