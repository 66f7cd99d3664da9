"""Waiting for a local Flink cluster to come up, and the log lines that say why it did not.

``LocalCluster.start`` (and its JobManager restarts) calls ``wait_ready``: the cluster is
ready when Flink's ``/overview`` shows the wanted number of TaskManagers; a process that
exits meanwhile, or the timeout, raises ``EngineUnavailable`` with the tail of its logs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from millstream.domain.errors import EngineUnavailable
from millstream.engine.processes import JOBMANAGER
from millstream.engine.rest import FlinkRestClient

__all__ = ["log_tail", "wait_ready"]


def wait_ready(
    rest_url: str,
    *,
    taskmanagers: int,
    timeout: float,
    dead: Callable[[], tuple[str, int | None] | None],
    log_dir: Path,
) -> None:
    """Block until ``taskmanagers`` TaskManagers registered. ``dead()`` names a process
    that exited (role, exit code), which fails the start at once."""
    deadline = time.monotonic() + timeout
    rest = FlinkRestClient(rest_url, timeout=2.0)
    seen = 0
    try:
        while time.monotonic() < deadline:
            exited = dead()
            if exited is not None:
                role, code = exited
                raise EngineUnavailable(
                    f"Flink {role} exited with {code} during start-up\n{log_tail(log_dir, role)}"
                )
            with contextlib.suppress(EngineUnavailable):
                seen = int(rest.overview().get("taskmanagers", 0))
                if seen >= taskmanagers:
                    return
            time.sleep(0.25)
    finally:
        rest.close()
    raise EngineUnavailable(
        f"Flink at {rest_url} showed {seen}/{taskmanagers} TaskManagers after "
        f"{timeout:.0f} s\n{log_tail(log_dir, JOBMANAGER)}"
    )


def log_tail(log_dir: Path, role: str, lines: int = 30) -> str:
    """The last ``lines`` of a role's console and of the newest Flink log of its kind."""
    kind = "standalonesession" if role == JOBMANAGER else "taskexecutor"
    files = [log_dir / f"{role}.console"]
    logs = sorted(log_dir.glob(f"flink-*-{kind}-*.log"), key=lambda p: p.stat().st_mtime)
    files += logs[-1:]
    parts = []
    for path in files:
        with contextlib.suppress(OSError):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path} ---\n" + "\n".join(tail))
    return "\n".join(parts)
