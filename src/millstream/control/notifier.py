"""Wakes the reconciler after a write so user actions are acted on without waiting a tick."""

from __future__ import annotations

import threading

__all__ = ["Notifier"]


class Notifier:
    def __init__(self) -> None:
        self._event = threading.Event()

    def wake(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Block until woken or ``timeout`` seconds passed; True when woken."""
        woken = self._event.wait(timeout)
        self._event.clear()
        return woken
