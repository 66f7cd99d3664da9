"""Proposed fixes for bottlenecks the benchmarks find, applied by monkeypatching in the
benchmark's own process (``--patch NAME``), never by editing ``src/``: measure first, then
land the diff and delete the entry.

Both fixes measured here so far have landed in ``src/``: ``reconciler-steady`` (steady jobs
decided in the tick, no write without a change, capped periodic detail reads) and
``cancel-transition`` (RUNNING -> CANCELLED). ``gc-log`` is a probe, not a fix: it prints
every full garbage collection and its pause (it found the 70-100 ms pauses behind the
reconciler's p90 tick, now kept off the tick by ``control.heap.HeapFreezer``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["PATCHES", "apply"]


def _gc_log() -> None:
    import gc
    import sys
    import time

    started: list[float] = []

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif info["generation"] == 2:
            took = 1000 * (time.perf_counter() - started[0])
            print(f"gc gen2: {took:.0f} ms, {info['collected']} collected", file=sys.stderr)

    gc.callbacks.append(timed)


PATCHES: dict[str, Callable[[], None]] = {"gc-log": _gc_log}


def apply(names: Iterable[str]) -> None:
    for name in names:
        if name not in PATCHES:
            known = ", ".join(sorted(PATCHES)) or "none"
            raise SystemExit(f"unknown patch {name!r}; known: {known}")
        PATCHES[name]()
