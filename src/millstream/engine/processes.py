"""OS processes of the local Flink clusters: launching a JobManager or TaskManager script,
signalling process groups, finding our processes by their environment marker, ports.

``LocalCluster`` (and through it ``ClusterManager``) calls these. Every process we start
carries ``MARKER=<the cluster's flink dir>`` in its environment (children inherit it): the
one reliable way to find our processes again, even after the pid files went stale.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import IO, Any

from millstream.engine.flink_user import OsUser
from millstream.engine.runtime import FlinkRuntime

__all__ = [
    "JOBMANAGER",
    "MARKER",
    "free_port",
    "is_marked",
    "kill_marked",
    "kill_marked_and_wait",
    "launch",
    "marked_pids",
    "port_in_use",
    "signal_group",
    "stop_marked",
    "terminate",
]

MARKER = "MILLSTREAM_FLINK_CLUSTER"
JOBMANAGER = "jobmanager"  # the JobManager's role; TaskManagers are 'taskmanager-<n>'
_RESOURCE_ID = "taskmanager.resource-id"


def launch(
    role: str,
    *,
    runtime: FlinkRuntime,
    flink_dir: Path,
    conf_dir: Path,
    log_dir: Path,
    pid_dir: Path,
    os_user: OsUser | None,
) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    """Start ``role`` with ``start-foreground`` in its own process group (a kill reaches
    the JVM and what it spawned); its console goes to ``<log_dir>/<role>.console``.

    A TaskManager's Flink resource id is its role, so Flink's ``/taskmanagers`` entries
    name the process that serves them (removing an idle TaskManager needs that)."""
    script = "jobmanager.sh" if role == JOBMANAGER else "taskmanager.sh"
    log_dir.mkdir(parents=True, exist_ok=True)
    console = (log_dir / f"{role}.console").open("ab")
    env = os.environ | runtime.environment()
    env |= {
        "FLINK_CONF_DIR": str(conf_dir),
        "FLINK_LOG_DIR": str(log_dir),
        "FLINK_PID_DIR": str(pid_dir),
        "FLINK_IDENT_STRING": "millstream",
        # JVM stdout/stderr go to Flink's .out/.err files (the web UI's "Stdout" tab).
        "STD_REDIRECT_TO_FILE": "true",
        MARKER: str(flink_dir),
    }
    identity: dict[str, Any] = {}
    if os_user is not None:
        # Its own user, no supplementary groups of ours, a home it owns.
        identity = {"user": os_user.uid, "group": os_user.gid, "extra_groups": []}
        env |= {
            "HOME": str(flink_dir),
            "USER": os_user.name,
            "LOGNAME": os_user.name,
            "TMPDIR": str(flink_dir / "tmp"),
        }
    command = [str(runtime.home / "bin" / script), "start-foreground"]
    if role != JOBMANAGER:
        command += ["-D", f"{_RESOURCE_ID}={role}"]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=flink_dir,
        stdin=subprocess.DEVNULL,
        stdout=console,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # own process group: killpg reaches its children
        **identity,
    )
    return process, console


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def terminate(processes: list[subprocess.Popen[bytes]], grace: float) -> None:
    """SIGTERM each group, SIGKILL it after ``grace`` (also when the JVM exited: its
    group may still hold Python workers)."""
    for process in processes:
        signal_group(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
    for process in processes:
        signal_group(process.pid, signal.SIGKILL)
        process.wait()


def marked_pids(marker: str) -> list[int]:
    """Live processes whose environment carries our marker (other users' are unreadable)."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def is_marked(pid: int, marker: str) -> bool:
    """``pid`` is alive (not a zombie: its environment is empty) and carries our marker;
    a recycled pid does not."""
    needle = f"{MARKER}={marker}".encode()
    try:
        return needle in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


def kill_marked(marker: str, sig: signal.Signals) -> None:
    for pid in marked_pids(marker):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def stop_marked(marker: str, grace: float) -> None:
    """SIGTERM what carries ``marker``, SIGKILL it after the grace period."""
    kill_marked(marker, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while marked_pids(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    kill_marked_and_wait(marker, grace)


def kill_marked_and_wait(marker: str, timeout: float) -> None:
    """SIGKILL what carries ``marker`` and wait (at most ``timeout``) until it is gone:
    a SIGKILLed process takes a moment to exit, longer on a busy machine."""
    kill_marked(marker, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while marked_pids(marker) and time.monotonic() < deadline:
        time.sleep(0.1)


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
