"""The reconciler's background loop: leader lock, interval + wake-on-write, heartbeat.

Like dagster's ``IntervalDaemon``: ``run_iteration`` is the reconciler's, this runner only
handles timing, the leader lock, error capture and a heartbeat the status API shows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from millstream.control.notifier import Notifier
from millstream.control.ports import LeaderLock
from millstream.control.reconciler import Reconciler, TickReport

__all__ = ["Heartbeat", "ReconcilerDaemon"]

_log = logging.getLogger(__name__)


@dataclass(slots=True)
class Heartbeat:
    leader: bool = False
    ticks: int = 0
    last_tick_at: float | None = None
    last_report: TickReport | None = None
    last_error: str | None = None


class ReconcilerDaemon:
    def __init__(
        self,
        reconciler: Reconciler,
        notifier: Notifier,
        lock: LeaderLock,
        *,
        interval: float = 1.0,
        after_tick: Sequence[Callable[[], object]] = (),
        periodic: Sequence[tuple[float, Callable[[], object]]] = (),
        tick_observers: Sequence[Callable[[TickReport | None], object]] = (),
    ) -> None:
        self._after_tick = tuple(after_tick)
        # Told each iteration's report (None: it raised), e.g. the metrics exporter.
        self._tick_observers = tuple(tick_observers)
        self._periodic = [(every, task, [0.0]) for every, task in periodic]
        self._reconciler = reconciler
        self._notifier = notifier
        self._lock = lock
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._follower_logged = False
        self.heartbeat = Heartbeat()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="reconciler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the current iteration, release the lock, return."""
        self._stopping.set()
        self._notifier.wake()
        if self._thread is not None:
            self._thread.join(timeout)
        self._reconciler.close()
        if self.heartbeat.leader:
            self._lock.release()
            self.heartbeat.leader = False

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                leader = self._ensure_leader()
            except Exception as exc:  # e.g. StoreUnavailable: the database is down; retry
                _log.warning("cannot check the reconciler lock, will retry: %s", exc)
                self.heartbeat.last_error = f"{type(exc).__name__}: {exc}"
                leader = False
            if not leader:
                self._notifier.wait(self._interval)
                continue
            report: TickReport | None = None
            try:
                report = self._reconciler.run_iteration()
            except Exception as exc:  # the loop must survive anything; next tick retries
                _log.exception("reconciler iteration failed")
                self.heartbeat.last_error = f"{type(exc).__name__}: {exc}"
            else:
                self.heartbeat.last_report = report
                self.heartbeat.last_error = None
            self._observe(report)
            self._run_tasks()
            self.heartbeat.ticks += 1
            self.heartbeat.last_tick_at = time.time()
            if not self._stopping.is_set():
                self._notifier.wait(self._interval)

    def _observe(self, report: TickReport | None) -> None:
        for observer in self._tick_observers:
            try:
                observer(report)
            except Exception:
                _log.exception("tick observer %r failed", observer)

    def _run_tasks(self) -> None:
        """Leader-only work that follows the reconciler: coordinators every tick,
        housekeeping (log retention) at its own interval. Failures are logged, not fatal."""
        now = time.monotonic()
        due = list(self._after_tick)
        for every, task, last in self._periodic:
            if now - last[0] >= every:
                last[0] = now
                due.append(task)
        for task in due:
            try:
                task()
            except Exception:
                _log.exception("background task %r failed", task)

    def _ensure_leader(self) -> bool:
        if self.heartbeat.leader:
            if self._lock.still_held():
                return True
            _log.warning("lost the reconciler lock; another replica may take over")
            self.heartbeat.leader = False
        if self._lock.try_acquire():
            _log.info("this process now runs the reconciler")
            self.heartbeat.leader = True
            self._follower_logged = False
        elif not self._follower_logged:
            _log.info(
                "another process runs the reconciler (it holds the lock); this one serves "
                "the API and takes over when the lock frees"
            )
            self._follower_logged = True
        return self.heartbeat.leader

    def run_once(self) -> TickReport:
        """One iteration in the caller's thread (tests, CLI)."""
        return self._reconciler.run_iteration()
