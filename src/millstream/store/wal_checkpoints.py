"""WAL checkpoints off the request path, for the SQLite connections that write on it.

SQLite copies its write-ahead log back into the database (a checkpoint) in the
connection whose commit took the log past 1,000 pages, right after that commit, and
with ``synchronous = NORMAL`` a checkpoint ends with an fsync of the database file: 10
to 300 ms on this machine, during which that connection's thread does nothing else.
On the nonce writer every signed request of the process waits behind it (at 500 signed
requests a second that was a checkpoint every few seconds, and a p99 of 300 ms).

``quiet_checkpoints(engine, path)`` turns the automatic checkpoint off for the
engine's connections and starts a ``WalCheckpointer``: a daemon thread with a
connection of its own that runs a PASSIVE checkpoint every second. A passive checkpoint
waits for no reader and no writer (what it cannot copy yet, the next one does), and
the sqlite3 module lets go of the GIL while it runs. The other engines keep SQLite's
automatic checkpoints, so the log is still checkpointed if this thread stopped.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

__all__ = ["WalCheckpointer", "quiet_checkpoints"]

_log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0


class WalCheckpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` on ``path`` every ``interval`` seconds
    until ``stop()``."""

    def __init__(self, path: Path, *, interval: float = INTERVAL_SECONDS) -> None:
        self._path = path
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)
        self.rounds = 0
        self.last: tuple[int, int, int] | None = None  # the last round's answer

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def checkpoint(self, connection: sqlite3.Connection) -> tuple[int, int, int]:
        """One passive checkpoint: (busy, frames in the log, frames copied)."""
        busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.last = (int(busy), int(frames), int(copied))
        self.rounds += 1
        return self.last

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, timeout=1.0, check_same_thread=False)
        try:
            while not self._stopped.wait(self._interval):
                try:
                    self.checkpoint(connection)
                except sqlite3.Error as error:  # busy, or the file went away: next round
                    _log.debug("WAL checkpoint of %s skipped: %s", self._path, error)
        finally:
            connection.close()


def _no_automatic_checkpoint(dbapi_connection: Any, _record: Any) -> None:
    with contextlib.closing(dbapi_connection.cursor()) as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint = 0")


def quiet_checkpoints(engine: Engine, path: Path) -> WalCheckpointer:
    """``engine``'s connections never checkpoint; the returned (started) thread does."""
    event.listen(engine, "connect", _no_automatic_checkpoint)
    checkpointer = WalCheckpointer(path)
    checkpointer.start()
    return checkpointer
