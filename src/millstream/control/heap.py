"""Keep Python's full garbage collections off the reconciler's tick.

At 10,000 deployments the process holds a few hundred thousand long-lived objects (job
heads, the last overview rows, caches, the imported libraries). A full (generation 2)
collection walks all of them, 70 to 100 ms, and one fell into every seventh tick or so:
that was the difference between a steady tick's median and its 90th percentile.
``HeapFreezer`` runs after a tick (a ``ReconcilerDaemon`` tick observer): after the first
one, and again every ``every`` seconds, it unfreezes, collects everything and freezes
what survived (``gc.freeze``), so later collections walk only what is new. Unfreezing
first means a cycle that became garbage after a freeze is still collected, a few
minutes late, never leaked. An API process (``serving.run_server``) freezes what it
built at start the same way, before it serves, refreezes on the same schedule, and
``settle``s once a minute in between.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

__all__ = ["HeapFreezer"]

_log = logging.getLogger(__name__)

REFREEZE_SECONDS = 600.0


class HeapFreezer:
    """A tick observer: ``freezer(report)`` after each tick."""

    def __init__(
        self,
        *,
        every: float = REFREEZE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._every = every
        self._clock = clock
        self._frozen_at: float | None = None

    def __call__(self, _report: object = None) -> None:
        now = self._clock()
        if self._frozen_at is not None and now - self._frozen_at < self._every:
            return
        self._frozen_at = now
        started = time.perf_counter()
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _log.debug(
            "heap frozen: %d objects in %.0f ms",
            gc.get_freeze_count(),
            1000 * (time.perf_counter() - started),
        )

    def settle(self) -> None:
        """Freeze what survived since the last freeze, after a collection of the young
        generations only (a few ms: the frozen heap is not walked). For a process that
        keeps allocating long-lived objects between full refreezes (an API process: its
        first requests build caches and compiled statements): full collections then
        walk a minute's survivors, not everything since the last ``__call__``. What
        becomes garbage after being frozen here is collected by the next ``__call__``."""
        if self._frozen_at is None:
            return
        gc.collect(1)
        gc.freeze()
