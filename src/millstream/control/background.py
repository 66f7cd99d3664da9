"""One background round at a time: the leader's periodic tasks that may take longer than
their interval (metric sampling, alert delivery) run in a daemon thread so the reconciler
tick never waits for them, and a round still running makes the next start a no-op."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["BackgroundRounds"]

_log = logging.getLogger(__name__)


class BackgroundRounds:
    def __init__(self, name: str, run: Callable[[], object]) -> None:
        self._name = name
        self._run = run
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Run one round in the background unless one still runs; whether it started."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                _log.info("%s round still running; skipping this one", self._name)
                return False
            self._thread = threading.Thread(target=self._round, name=self._name, daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the background round, if any, to end (tests, shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _round(self) -> None:
        try:
            self._run()
        except Exception:  # the next round retries; never kill the thread noisily
            _log.exception("%s round failed", self._name)
