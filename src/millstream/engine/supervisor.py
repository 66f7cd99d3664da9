"""``Supervisor``: the processes of one local Flink cluster by role, kept alive.

``LocalCluster`` owns one. It holds our child processes (``jobmanager``,
``taskmanager-<n>``) and the pids of processes an earlier Millstream started that we
adopted (watched through /proc: they are not our children), and a thread that restarts a
TaskManager that died (with backoff: a crash loop must not spin) or, when the JobManager
died, the whole cluster (a new JobManager has no jobs and old TaskManagers do not
re-register quickly; the reconciler resubmits the jobs). Every change of who runs is
reported to ``on_change`` (the state file that adoption reads).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from millstream.engine.processes import JOBMANAGER, is_marked, signal_group, terminate
from millstream.engine.taskmanagers import new_roles

__all__ = ["Launcher", "Supervisor"]

_log = logging.getLogger(__name__)

Launcher = Callable[[str], tuple[subprocess.Popen[bytes], IO[bytes]]]


@dataclass(slots=True)
class _Child:
    role: str  # "jobmanager" or "taskmanager-<n>"
    process: subprocess.Popen[bytes]
    started_at: float
    backoff: float = 1.0
    restart_at: float | None = None  # when a dead child is due to be started again
    console: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def close(self) -> None:
        if self.console is not None:
            self.console.close()
            self.console = None


class Supervisor:
    def __init__(
        self,
        *,
        launch: Launcher,
        marker: str,
        taskmanagers: Callable[[], int],
        on_change: Callable[[], None],
    ) -> None:
        self._launch = launch
        self._marker = marker
        self._taskmanagers = taskmanagers  # how many a full (re)start runs
        self._on_change = on_change
        self.lock = threading.RLock()
        self.children: dict[str, _Child] = {}
        self.adopted: dict[str, int] = {}  # role -> pid of processes we did not start
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ the table

    def pids(self) -> dict[str, int]:
        with self.lock:
            return self.adopted | {role: c.pid for role, c in self.children.items()}

    def roles(self) -> list[str]:
        with self.lock:
            return sorted(set(self.children) | set(self.adopted))

    def __bool__(self) -> bool:
        with self.lock:
            return bool(self.children or self.adopted)

    def alive(self) -> bool:
        with self.lock:
            return all(c.process.poll() is None for c in self.children.values()) and all(
                is_marked(pid, self._marker) for pid in self.adopted.values()
            )

    def dead_child(self) -> tuple[str, int | None] | None:
        with self.lock:
            for child in self.children.values():
                if child.process.poll() is not None:
                    return child.role, child.process.returncode
        return None

    def spawn(self, role: str) -> None:
        process, console = self._launch(role)
        with self.lock:
            previous = self.children.get(role)
            child = _Child(role, process, time.monotonic(), console=console)
            if previous is not None:
                child.backoff = previous.backoff
            self.children[role] = child
            self.adopted.pop(role, None)
            self._on_change()
        _log.info("started Flink %s (pid %d)", role, process.pid)

    def start_all(self) -> None:
        self.spawn(JOBMANAGER)
        for role in new_roles([], self._taskmanagers()):
            self.spawn(role)

    def detach(self, role: str, grace: float) -> Callable[[], None]:
        """Forget ``role`` (it is not restarted any more); returns what stops it."""
        with self.lock:
            child = self.children.pop(role, None)
            pid = None if child is not None else self.adopted.pop(role)
            self._on_change()
        if child is not None:

            def stop_child() -> None:
                terminate([child.process], grace)
                child.close()

            return stop_child
        assert pid is not None
        return lambda: _terminate_adopted(pid, self._marker, grace)

    def kill_children(self) -> None:
        """SIGKILL every child (like a crash) and forget them."""
        with self.lock:
            for child in self.children.values():
                signal_group(child.pid, signal.SIGKILL)
            for child in self.children.values():
                child.process.wait()
                child.close()
            self.children.clear()

    def terminate_children(self, grace: float) -> None:
        with self.lock:
            children = list(self.children.values())
            self.children.clear()
            terminate([c.process for c in children], grace)
            for child in children:
                child.close()

    # ------------------------------------------------------------------ the thread

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="flink-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.wait(0.5):
            with self.lock:
                if self._stopping.is_set():
                    return
                try:
                    self._check_adopted()
                    self._check_children()
                except Exception:  # keep supervising; the next round retries
                    _log.exception("Flink supervisor round failed")

    def _check_adopted(self) -> None:
        """Adopted processes are not our children: a dead one is seen through /proc. A
        TaskManager is replaced by a child of ours, a JobManager restarts the cluster."""
        for role, pid in list(self.adopted.items()):
            if is_marked(pid, self._marker):
                continue
            signal_group(pid, signal.SIGKILL)  # what it left in its group (Python workers)
            _log.warning("adopted Flink %s (pid %d) exited; starting it again", role, pid)
            del self.adopted[role]
            if role == JOBMANAGER:
                self._restart_all()
                return
            self.spawn(role)

    def _restart_all(self) -> None:
        for pid in self.adopted.values():
            signal_group(pid, signal.SIGKILL)
        self.adopted.clear()
        self.kill_children()
        self.start_all()

    def _check_children(self) -> None:
        now = time.monotonic()
        for role, child in list(self.children.items()):
            if child.process.poll() is None:
                continue
            if child.restart_at is None:
                # Reap what the dead JVM left in its group (Python workers), then wait
                # out the backoff.
                signal_group(child.pid, signal.SIGKILL)
                lived = now - child.started_at
                child.backoff = 1.0 if lived > 60 else min(child.backoff * 2, 30.0)
                child.restart_at = now + (0.0 if lived > 60 else child.backoff / 2)
                _log.warning(
                    "Flink %s (pid %d) exited with %s after %.0f s; restarting in %.1f s",
                    role,
                    child.pid,
                    child.process.returncode,
                    lived,
                    child.restart_at - now,
                )
            if now < child.restart_at:
                continue
            child.close()
            if role == JOBMANAGER:
                self._restart_all()
                return
            self.spawn(role)


def _terminate_adopted(pid: int, marker: str, grace: float) -> None:
    """SIGTERM an adopted process's group, SIGKILL it after ``grace``."""
    signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while is_marked(pid, marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    signal_group(pid, signal.SIGKILL)
