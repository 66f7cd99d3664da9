"""``WriteGate``: writers of one SQLite file, in any process, take turns in the kernel
instead of in SQLite's busy handler.

SQLite has one writer at a time; a connection that finds the write lock taken sleeps in
its busy handler, 1, 2, 5, 10, 15, 20, 25 ms... between attempts, and under steady
contention (the nonce writers of several API workers, each committing every
millisecond) a writer can lose several rounds in a row: tens to hundreds of
milliseconds for a sub-millisecond commit. Writers that hold a gate around their whole
transaction (a blocking ``flock`` on ``<db file>.<name>.lock``) are woken by the kernel
the moment the previous one lets go, and then find SQLite's lock free. Writers that do
not hold it still wait in SQLite's busy handler as before: correctness never depends
on the gate.

``SessionStore(..., write_gate=WriteGate(path))`` holds it around every transaction.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

__all__ = ["WriteGate"]


class WriteGate:
    """An exclusive lock shared by every process that opens the same ``path``; threads
    of one process take turns on a thread lock first (a ``flock`` belongs to the open
    file, which they would share)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._threads = threading.Lock()
        self._fd: int | None = None

    @property
    def path(self) -> Path:
        return self._path

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Blocks until this process is the gate's only holder, for the block."""
        with self._threads:
            fd = self._open()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._threads:
            fd, self._fd = self._fd, None
            if fd is not None:
                os.close(fd)

    def _open(self) -> int:
        if self._fd is None:
            # Next to the database, owner-only like it; the file's content is never used.
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._fd
