"""External keys on SQLite and PostgreSQL: concurrent allocation (threads), lookups both
ways, names, and what deleting an entity does to its keys."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import TypeVar

import pytest

from millstream.control.services.external_keys import ExternalKeys
from millstream.domain.errors import Conflict, ErrorCode, NotFound
from millstream.domain.external_keys import KeyedEntity, KeyKind, KeySpace
from millstream.store import SqlStore
from millstream.store.external_keys import SqlExternalKeyStore
from tests.factories import make_deployment, make_job

APPS = KeySpace("dialect.application", KeyKind.NUMBER, KeyedEntity.DEPLOYMENT)
RUNS = KeySpace("dialect.instance", KeyKind.NUMBER, KeyedEntity.JOB)
NAMES = KeySpace("dialect.job", KeyKind.NAME, KeyedEntity.DEPLOYMENT)

_T = TypeVar("_T")


@pytest.fixture
def keys(store: SqlStore) -> Iterator[ExternalKeys]:
    key_store = SqlExternalKeyStore(store.engine)
    yield ExternalKeys(key_store)
    key_store.close()


def _deployments(store: SqlStore, count: int) -> list[str]:
    deployments = [make_deployment() for _ in range(count)]
    with store.transaction() as repos:
        for deployment in deployments:
            repos.create_deployment(deployment=deployment)
    return [deployment.id for deployment in deployments]


def _concurrently(calls: list[Callable[[], _T]]) -> list[_T]:
    """Run every call in its own thread, released together; re-raise the first error."""
    barrier = threading.Barrier(len(calls))
    results: list[_T | None] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except BaseException as error:  # collected, re-raised below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [result for result in results if result is not None]


def test_concurrent_allocations_for_many_entities_are_distinct_and_gapless(
    store: SqlStore, keys: ExternalKeys
) -> None:
    ids = _deployments(store, 12)
    numbers = _concurrently([partial(keys.number_of, APPS, entity_id) for entity_id in ids])
    assert sorted(numbers) == list(range(1, 13))
    assert {keys.entity_of(APPS, n) for n in numbers} == set(ids)


def test_concurrent_allocations_for_one_entity_agree_on_one_number(
    store: SqlStore, keys: ExternalKeys
) -> None:
    (entity_id,) = _deployments(store, 1)
    numbers = _concurrently([lambda: keys.number_of(APPS, entity_id) for _ in range(8)])
    assert numbers == [1] * 8
    # The losers' increments were rolled back: the next entity gets 2, not 9.
    (next_id,) = _deployments(store, 1)
    assert keys.number_of(APPS, next_id) == 2


def test_concurrent_allocations_mixed_entities_and_pages(
    store: SqlStore, keys: ExternalKeys
) -> None:
    ids = _deployments(store, 5)
    calls: list[Callable[[], dict[str, int]]] = [
        lambda: keys.numbers_of(APPS, ids),
        lambda: keys.numbers_of(APPS, list(reversed(ids))),
    ]
    calls += [partial(keys.numbers_of, APPS, [entity_id]) for entity_id in ids]
    results = _concurrently(calls)
    agreed: dict[str, int] = {}
    for result in results:
        for entity_id, number in result.items():
            assert agreed.setdefault(entity_id, number) == number
    assert sorted(agreed.values()) == [1, 2, 3, 4, 5]


def test_numbers_are_counted_per_scope(store: SqlStore, keys: ExternalKeys) -> None:
    a, b, c = _deployments(store, 3)
    assert keys.number_of(APPS, a, scope="project-1") == 1
    assert keys.number_of(APPS, b, scope="project-2") == 1
    assert keys.number_of(APPS, c, scope="project-1") == 2
    assert keys.entity_of(APPS, 1, scope="project-2") == b
    assert keys.entity_of(APPS, 2, scope="project-1") == c


def test_job_keys_resolve_both_ways(store: SqlStore, keys: ExternalKeys) -> None:
    deployment = make_deployment()
    job = make_job(deployment)
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
    number = keys.number_of(RUNS, job.id)
    assert keys.entity_of(RUNS, number) == job.id
    with pytest.raises(NotFound) as caught:
        keys.number_of(RUNS, deployment.id)  # a deployment is not a job
    assert caught.value.code is ErrorCode.JOB_NOT_FOUND


def test_unknown_keys_and_entities_are_not_found(keys: ExternalKeys) -> None:
    with pytest.raises(NotFound) as caught:
        keys.entity_of(APPS, 99)
    assert caught.value.code is ErrorCode.DEPLOYMENT_NOT_FOUND
    with pytest.raises(NotFound):
        keys.number_of(APPS, "no-such-deployment")


def test_deleting_a_deployment_deletes_its_keys_and_never_reuses_the_numbers(
    store: SqlStore, keys: ExternalKeys
) -> None:
    deployment = make_deployment()
    job = make_job(deployment)
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
    app_number = keys.number_of(APPS, deployment.id)
    run_number = keys.number_of(RUNS, job.id)
    keys.set_name(NAMES, deployment.id, "orders")
    with store.transaction() as repos:
        repos.delete_deployment(deployment_id=deployment.id)
    for space, key in ((APPS, app_number), (RUNS, run_number), (NAMES, "orders")):
        with pytest.raises(NotFound):
            keys.entity_of(space, key)
    (successor,) = _deployments(store, 1)
    assert keys.number_of(APPS, successor) == app_number + 1
    keys.set_name(NAMES, successor, "orders")  # names are free again
    assert keys.entity_of(NAMES, "orders") == successor


def test_deleting_a_job_deletes_its_key(store: SqlStore, keys: ExternalKeys) -> None:
    deployment = make_deployment()
    job = make_job(deployment)
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
    number = keys.number_of(RUNS, job.id)
    with store.transaction() as repos:
        repos.delete_job(job_id=job.id)
    with pytest.raises(NotFound):
        keys.entity_of(RUNS, number)


def test_names_are_unique_in_their_scope(store: SqlStore, keys: ExternalKeys) -> None:
    a, b = _deployments(store, 2)
    keys.set_name(NAMES, a, "orders", scope="p1")
    with pytest.raises(Conflict, match="already used"):
        keys.set_name(NAMES, b, "orders", scope="p1")
    keys.set_name(NAMES, b, "orders", scope="p2")
    keys.set_name(NAMES, a, "orders-v2", scope="p1")  # a rename frees the old name
    keys.set_name(NAMES, b, "billing", scope="p2")
    assert keys.entity_of(NAMES, "orders-v2", scope="p1") == a
    assert keys.name_of(NAMES, b, scope="p2") == "billing"
    with pytest.raises(NotFound):
        keys.entity_of(NAMES, "orders", scope="p1")


def test_concurrent_claims_of_one_name_have_one_winner(store: SqlStore, keys: ExternalKeys) -> None:
    ids = _deployments(store, 6)

    def claim(entity_id: str) -> bool:
        try:
            keys.set_name(NAMES, entity_id, "contested")
        except Conflict:
            return False
        return True

    outcomes = _concurrently([partial(claim, entity_id) for entity_id in ids])
    assert outcomes.count(True) == 1
    winner = keys.entity_of(NAMES, "contested")
    assert winner in ids
