"""The bounded worker pool that runs draft validations and deploys in the background.

``DraftService`` hands it a ticket's work; at most ``workers`` run at once and at most
``backlog`` wait, beyond that a new ticket is refused with ``Throttled`` (the caller
retries later) instead of queueing without bound. The outcome is written to the store by
the work itself, so any replica answers the ticket; the pool only runs it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from millstream.domain.errors import InvalidInput, Throttled

__all__ = ["DraftRunner"]

_log = logging.getLogger(__name__)


class DraftRunner:
    def __init__(self, *, workers: int = 2, backlog: int = 32) -> None:
        if not 1 <= workers <= 64 or not 0 <= backlog <= 10_000:
            raise InvalidInput("draft workers are 1-64 and their backlog 0-10000")
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="draft")
        self._slots = threading.BoundedSemaphore(workers + backlog)

    def submit(self, work: Callable[[], None]) -> Future[None]:
        """Run ``work`` on a worker; ``Throttled`` if the pool and its backlog are full."""
        if not self._slots.acquire(blocking=False):
            raise Throttled("too many draft validations and deploys are running; retry shortly")
        try:
            future = self._pool.submit(self._run, work)
        except RuntimeError:
            self._slots.release()
            raise Throttled("the draft worker pool is shutting down; retry shortly") from None
        return future

    def _run(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:  # the work records its own failure; this only keeps the pool alive
            _log.exception("draft background work failed")
        finally:
            self._slots.release()

    def close(self) -> None:
        """Finish what runs, start nothing new."""
        self._pool.shutdown(wait=True, cancel_futures=True)
