"""Signature nonces spent in batches (group commit): each request's nonce is in the store
before the request is answered, yet the requests of one process that arrive together
share one transaction.

Without it every signed request was its own write transaction, from up to 40 API
threads per process. On SQLite, which has one writer at a time, the writers of several
API processes (``millstream up --workers N``) then queue for the lock and back off for
milliseconds at a time; on PostgreSQL each is a commit. Here one thread per process
writes: it takes every nonce waiting, writes them in one transaction (the store's
unique key still decides, so a replay is refused whichever replica or batch it reaches)
and answers each request with whether its nonce was new and the access generation read
in that same transaction. When requests are few a batch is one request; when they are
many, a batch is everything that arrived during the previous commit.

``RequestChecks.accept`` calls ``spend``; the thread starts with the first call.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

from millstream.control.access_ports import AccessStore, NonceLedger, SpentNonce

__all__ = ["NonceBatches", "Spent", "TransactionalLedger"]

_log = logging.getLogger(__name__)

MAX_BATCH = 256
# A batch waits for nothing but the store: this only bounds a store that hangs.
WAIT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Spent:
    """A nonce's fate: ``fresh`` False when it was used before (a replay); ``generation``:
    the access generation read in the transaction that recorded it."""

    fresh: bool
    generation: int


@dataclass(slots=True)
class _Request:
    key_id: str
    nonce: str | None
    seen_at: datetime
    answer: Future[Spent] = field(default_factory=Future)


class TransactionalLedger:
    """A ``NonceLedger`` spending each batch in a transaction of ``store``."""

    def __init__(self, store: AccessStore) -> None:
        self._store = store

    def spend_nonces(self, *, nonces: Sequence[SpentNonce]) -> tuple[list[bool], int]:
        with self._store.transaction() as repos:
            return repos.spend_nonces(nonces=nonces)


class NonceBatches:
    """The process's writer of nonces; thread-safe."""

    def __init__(self, ledger: NonceLedger, *, max_batch: int = MAX_BATCH) -> None:
        self._ledger = ledger
        self._max_batch = max_batch
        self._waiting: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._start_lock = threading.Lock()
        self._writer: threading.Thread | None = None

    def spend(self, *, key_id: str, nonce: str | None, seen_at: datetime) -> Spent:
        """Record ``nonce`` for ``key_id`` (None: only read the generation), once it is
        committed. Raises what the store raised for the whole batch."""
        request = _Request(key_id, nonce, seen_at)
        self._ensure_writer()
        self._waiting.put(request)
        return request.answer.result(timeout=WAIT_SECONDS)

    def _ensure_writer(self) -> None:
        if self._writer is not None:
            return
        with self._start_lock:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_forever, name="nonce-writer", daemon=True
                )
                self._writer.start()

    def _write_forever(self) -> None:
        while True:
            batch = [self._waiting.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
            self._write(batch)

    def _write(self, batch: list[_Request]) -> None:
        signed = [request for request in batch if request.nonce is not None]
        try:
            spent, generation = self._ledger.spend_nonces(
                nonces=[(r.key_id, r.nonce or "", r.seen_at) for r in signed]
            )
        except Exception as error:  # every request of the batch learns why
            _log.debug("a batch of %d nonces was not recorded: %s", len(batch), error)
            for request in batch:
                request.answer.set_exception(error)
            return
        fresh = dict(zip(map(id, signed), spent, strict=True))
        for request in batch:
            request.answer.set_result(Spent(fresh.get(id(request), True), generation))
