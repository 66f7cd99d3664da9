"""Nonces spent in batches: each caller learns whether its nonce was new only once it is
stored, callers that arrive together share a transaction, a nonce is new once however
it is batched, and a store failure reaches every caller of the batch."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from millstream.control.access_ports import AccessRepositories
from millstream.control.services.nonce_batches import NonceBatches, Spent, TransactionalLedger
from millstream.domain.errors import StoreUnavailable
from tests.unit.auth.fakes import InMemoryAccessStore

AT = datetime(2026, 1, 1, tzinfo=UTC)


class _SlowStore:
    """Holds each transaction until released: callers pile up behind the first."""

    def __init__(self) -> None:
        self.inner = InMemoryAccessStore()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail: Exception | None = None

    @contextmanager
    def transaction(self) -> Iterator[AccessRepositories]:
        self.entered.set()
        assert self.release.wait(10)
        if self.fail is not None:
            raise self.fail
        with self.inner.transaction() as repos:
            yield repos

    @property
    def transactions(self) -> int:
        return self.inner.transactions


def _spend_all(batches: NonceBatches, nonces: list[str | None]) -> list[Spent | Exception]:
    answers: list[Spent | Exception] = [ValueError("no answer")] * len(nonces)

    def spend(index: int, nonce: str | None) -> None:
        try:
            answers[index] = batches.spend(key_id="k", nonce=nonce, seen_at=AT)
        except Exception as error:
            answers[index] = error

    threads = [threading.Thread(target=spend, args=item) for item in enumerate(nonces)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return answers


def test_a_lone_request_is_answered_after_its_own_transaction() -> None:
    store = InMemoryAccessStore()
    batches = NonceBatches(TransactionalLedger(store))
    assert batches.spend(key_id="k", nonce="n1", seen_at=AT).fresh
    assert not batches.spend(key_id="k", nonce="n1", seen_at=AT).fresh
    assert batches.spend(key_id="other", nonce="n1", seen_at=AT).fresh
    assert store.transactions == 3


def test_requests_arriving_together_share_a_transaction_and_a_nonce_is_new_once() -> None:
    store = _SlowStore()
    batches = NonceBatches(TransactionalLedger(store))
    first = threading.Thread(
        target=batches.spend, kwargs={"key_id": "k", "nonce": "a", "seen_at": AT}
    )
    first.start()
    assert store.entered.wait(10)  # the writer is inside the first transaction
    answers: list[Spent | Exception] = []
    waiting = threading.Thread(
        target=lambda: answers.extend(_spend_all(batches, ["b", "c", "b", None, "a"]))
    )
    waiting.start()
    while batches._waiting.qsize() < 5:  # all five queued behind the first batch
        threading.Event().wait(0.01)
    store.release.set()
    first.join(10)
    waiting.join(10)
    assert [a.fresh for a in answers if isinstance(a, Spent)] == [True, True, False, True, False]
    assert store.transactions == 2
    assert len({a.generation for a in answers if isinstance(a, Spent)}) == 1


def test_a_failed_batch_fails_every_request_in_it_and_the_next_batch_works() -> None:
    store = _SlowStore()
    store.fail = StoreUnavailable("the database is gone")
    store.release.set()
    batches = NonceBatches(TransactionalLedger(store))
    answers = _spend_all(batches, ["a", "b", "c"])
    assert all(isinstance(a, StoreUnavailable) for a in answers)
    store.fail = None
    assert batches.spend(key_id="k", nonce="a", seen_at=AT).fresh


@pytest.mark.parametrize("max_batch", [1, 2])
def test_batches_never_exceed_their_size(max_batch: int) -> None:
    store = InMemoryAccessStore()
    batches = NonceBatches(TransactionalLedger(store), max_batch=max_batch)
    answers = _spend_all(batches, [f"n{i}" for i in range(6)])
    assert all(isinstance(a, Spent) and a.fresh for a in answers)
    assert store.transactions >= 6 // max_batch
