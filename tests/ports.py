"""TCP ports for the servers and Flink clusters tests start, safe under pytest-xdist.

Binding port 0 and releasing it hands out a port from the kernel's ephemeral range that
anything may take before the server binds it: another xdist worker asking the same way,
or any outgoing connection's source port. So a port handed out here comes from below the
ephemeral range (20000-32767 here, 32768-60999 on Linux by default), is bindable right
now, and stays reserved for the life of this process by an ``flock`` on
``<tmp>/millstream-test-ports/<port>.lock``: the other worker, and a second test session
on the same machine, skip it. Each worker starts its search in a slice of its own, so the
two workers rarely even try the same port. A test that restarts a server on the same port
keeps it reserved across the restart.
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
import tempfile
import threading
from pathlib import Path

__all__ = ["free_port"]

_LOW, _HIGH = 20000, 32768
_SLICES = 8
_LOCK_DIR = Path(tempfile.gettempdir()) / "millstream-test-ports"
_held: dict[int, int] = {}  # port -> descriptor of its locked file, open until exit
_guard = threading.Lock()


def _worker_index() -> int:
    """0 when serial, 1 + N for xdist worker ``gwN``."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name[2:]) + 1 if name.startswith("gw") and name[2:].isdigit() else 0


def _reserve(port: int) -> int | None:
    """The descriptor of the port's lock file, locked by us; None if someone holds it."""
    try:
        fd = os.open(_LOCK_DIR / f"{port}.lock", os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port nobody listens on and no other test process will hand out."""
    span = _HIGH - _LOW
    size = span // _SLICES
    offset = (_worker_index() % _SLICES) * size + random.randrange(size)
    _LOCK_DIR.mkdir(parents=True, exist_ok=True)
    with _guard:
        for step in range(span):
            port = _LOW + (offset + step) % span
            if port in _held:
                continue
            fd = _reserve(port)
            if fd is None:
                continue
            if not _bindable(port):
                os.close(fd)
                continue
            _held[port] = fd
            return port
    raise RuntimeError(f"no free port in {_LOW}-{_HIGH - 1}")
