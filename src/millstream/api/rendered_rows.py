"""``RenderedRows``: the wire JSON of versioned rows (jobs), kept per row and version.

Every write to a job moves its version on (``store.repositories``: updates match on it),
so the rendering of a job at a given version never changes. A list route reads the
page's (id, version) pairs, takes the renderings it holds, and reads, renders and keeps
only the others: a page of 100 unchanged jobs is then one narrow index read and a join
of ready JSON, where each of them used to be decoded from nine JSON columns, mapped,
validated into wire models and serialised again (about 10 ms a page).

One rendering is kept per row, its newest (a new version replaces the old one, which no
reader asks for again), at most ``max_rows`` of them (least recently used out first); a
long-running server polled for ever-changing jobs keeps one entry per job, not one per
version it ever showed. What is kept belongs to one built app (``RequestContext.kept``),
so two apps over two databases never share one.

A rendering that also depends on something beside the row (a deployment's job summary)
is kept under a *stamp*, the version with that something (``stamp=``): a page's keys are
then (id, stamp) pairs, and a kept rendering serves a key whose stamp equals its own.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Generic, Protocol, TypeVar

import orjson
from pydantic import BaseModel

from millstream.api.safe_rows import dumped_one

__all__ = ["RenderedRows", "Versioned"]

MAX_ROWS = 4096


class Versioned(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=Versioned)
Key = tuple[str, Hashable]  # (id, stamp)


def version_stamp(row: Versioned) -> int:
    """The default stamp: the rendering depends on the row alone."""
    return row.version


class RenderedRows(Generic[R]):
    """Thread-safe; ``page`` is the one call a route makes."""

    def __init__(
        self,
        render: Callable[[R], BaseModel],
        *,
        stamp: Callable[[R], Hashable] = version_stamp,
        max_rows: int = MAX_ROWS,
    ) -> None:
        self._render = render
        self._stamp = stamp
        self._max_rows = max_rows
        # id -> (version, stamp, rendering at that stamp)
        self._kept: OrderedDict[str, tuple[int, Hashable, orjson.Fragment]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def page(
        self, keys: Sequence[Key], load: Callable[[list[str]], Mapping[str, R]]
    ) -> list[orjson.Fragment]:
        """The renderings of ``keys`` in their order: kept ones as they are, the others
        from ``load(ids)`` (rendered and kept under the stamp they were loaded at,
        which may be newer than the page's). A row gone since (not loaded) or that
        cannot be rendered at all (``dumped_one`` logged it) is left out."""
        held = self._held(keys)
        missing = [key[0] for key in keys if key not in held]
        loaded = load(missing) if missing else {}
        answer = []
        for key in keys:
            fragment = held.get(key)
            if fragment is None:
                row = loaded.get(key[0])
                fragment = self._rendered(row) if row is not None else None
            if fragment is not None:
                answer.append(fragment)
        return answer

    def _held(self, keys: Iterable[Key]) -> dict[Key, orjson.Fragment]:
        held = {}
        with self._lock:
            for key in keys:
                row_id, stamp = key
                kept = self._kept.get(row_id)
                if kept is not None and kept[1] == stamp:
                    self._kept.move_to_end(row_id)
                    held[key] = kept[2]
        return held

    def _rendered(self, row: R) -> orjson.Fragment | None:
        try:
            wire = dumped_one(row, self._render)
        except (ValueError, TypeError, RecursionError):
            return None  # dumped_one logged it; dumped_rows leaves such rows out too
        try:
            text = orjson.dumps(wire)
        except TypeError:  # what orjson refuses (integers beyond 64 bits)
            text = json.dumps(wire, ensure_ascii=False, separators=(",", ":")).encode()
        fragment = orjson.Fragment(text)
        with self._lock:
            kept = self._kept.get(row.id)
            if kept is None or kept[0] <= row.version:  # never back to an older version
                self._kept[row.id] = (row.version, self._stamp(row), fragment)
            self._kept.move_to_end(row.id)
            while len(self._kept) > self._max_rows:
                self._kept.popitem(last=False)
        return fragment
