"""Proposed fixes for bottlenecks the benchmarks find, applied by monkeypatching in the
benchmark's own process (``--patch NAME``), never by editing ``src/``: measure first, then
land the diff and delete the entry.

Both fixes measured here so far have landed in ``src/``: ``reconciler-steady`` (steady jobs
decided in the tick, no write without a change, capped periodic detail reads) and
``cancel-transition`` (RUNNING -> CANCELLED). The registry is empty until the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["PATCHES", "apply"]

PATCHES: dict[str, Callable[[], None]] = {}


def apply(names: Iterable[str]) -> None:
    for name in names:
        if name not in PATCHES:
            known = ", ".join(sorted(PATCHES)) or "none"
            raise SystemExit(f"unknown patch {name!r}; known: {known}")
        PATCHES[name]()
