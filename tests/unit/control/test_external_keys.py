"""``ExternalKeys`` over the in-memory fakes: allocation, lookups both ways, names,
deleted entities, and the errors a dialect maps."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager

import pytest

from millstream.control.ports import ExternalKeyRepositories
from millstream.control.services.external_keys import ExternalKeys
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
from millstream.domain.external_keys import ExternalKey, KeyedEntity, KeyKind, KeySpace
from tests.factories import make_deployment, make_job
from tests.fakes import InMemoryExternalKeyStore, InMemoryStore

APPS = KeySpace("dialect.application", KeyKind.NUMBER, KeyedEntity.DEPLOYMENT)
RUNS = KeySpace("dialect.instance", KeyKind.NUMBER, KeyedEntity.JOB, first_number=1000)
NAMES = KeySpace("dialect.job", KeyKind.NAME, KeyedEntity.DEPLOYMENT)


@pytest.fixture
def entities() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def keys(entities: InMemoryStore) -> ExternalKeys:
    return ExternalKeys(InMemoryExternalKeyStore(entities))


def _deployment(entities: InMemoryStore) -> str:
    deployment = make_deployment()
    with entities.transaction() as repos:
        repos.create_deployment(deployment=deployment)
    return deployment.id


def test_numbers_are_allocated_once_in_increasing_order(
    keys: ExternalKeys, entities: InMemoryStore
) -> None:
    first, second = _deployment(entities), _deployment(entities)
    assert keys.number_of(APPS, first) == 1
    assert keys.number_of(APPS, second) == 2
    assert keys.number_of(APPS, first) == 1
    assert keys.key_of(APPS, second) == 2


def test_lookups_work_both_ways(keys: ExternalKeys, entities: InMemoryStore) -> None:
    deployment_id = _deployment(entities)
    number = keys.number_of(APPS, deployment_id, scope="account-1")
    assert keys.entity_of(APPS, number, scope="account-1") == deployment_id


def test_scopes_count_separately(keys: ExternalKeys, entities: InMemoryStore) -> None:
    a, b = _deployment(entities), _deployment(entities)
    assert keys.number_of(APPS, a, scope="p1") == 1
    assert keys.number_of(APPS, b, scope="p2") == 1
    with pytest.raises(NotFound):
        keys.entity_of(APPS, 1, scope="p3")


def test_a_space_starts_at_its_first_number(keys: ExternalKeys, entities: InMemoryStore) -> None:
    deployment = make_deployment()
    job = make_job(deployment)
    with entities.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
    assert keys.number_of(RUNS, job.id) == 1000


def test_numbers_of_allocates_a_page_at_once(keys: ExternalKeys, entities: InMemoryStore) -> None:
    ids = [_deployment(entities) for _ in range(3)]
    already = keys.number_of(APPS, ids[1])
    numbers = keys.numbers_of(APPS, ids)
    assert numbers[ids[1]] == already
    assert sorted(numbers.values()) == [1, 2, 3]


def test_unknown_key_is_not_found_with_the_entity_code(keys: ExternalKeys) -> None:
    with pytest.raises(NotFound) as caught:
        keys.entity_of(APPS, 42)
    assert caught.value.code is ErrorCode.DEPLOYMENT_NOT_FOUND
    with pytest.raises(NotFound) as caught_job:
        keys.entity_of(RUNS, 42)
    assert caught_job.value.code is ErrorCode.JOB_NOT_FOUND


def test_allocating_for_an_unknown_entity_is_not_found(keys: ExternalKeys) -> None:
    with pytest.raises(NotFound):
        keys.number_of(APPS, "no-such-deployment")


def test_a_deleted_entity_loses_its_key_and_its_number_is_never_reused(
    keys: ExternalKeys, entities: InMemoryStore
) -> None:
    gone, kept = _deployment(entities), _deployment(entities)
    assert keys.number_of(APPS, gone) == 1
    with entities.transaction() as repos:
        repos.delete_deployment(deployment_id=gone)
    with pytest.raises(NotFound):
        keys.entity_of(APPS, 1)
    assert keys.number_of(APPS, kept) == 2


def test_names_are_set_explicitly_and_unique_in_their_scope(
    keys: ExternalKeys, entities: InMemoryStore
) -> None:
    first, second = _deployment(entities), _deployment(entities)
    with pytest.raises(NotFound):
        keys.name_of(NAMES, first)
    keys.set_name(NAMES, first, "orders")
    assert keys.key_of(NAMES, first) == "orders"
    assert keys.entity_of(NAMES, "orders") == first
    with pytest.raises(Conflict, match="orders"):
        keys.set_name(NAMES, second, "orders")
    keys.set_name(NAMES, second, "orders", scope="other-project")
    assert keys.entity_of(NAMES, "orders", scope="other-project") == second


def test_a_name_can_change(keys: ExternalKeys, entities: InMemoryStore) -> None:
    deployment_id = _deployment(entities)
    keys.set_name(NAMES, deployment_id, "old")
    keys.set_name(NAMES, deployment_id, "new")
    assert keys.name_of(NAMES, deployment_id) == "new"
    with pytest.raises(NotFound):
        keys.entity_of(NAMES, "old")


@pytest.mark.parametrize("bad", [-1, 2**63, True, "12"])
def test_a_bad_number_is_invalid_input(keys: ExternalKeys, bad: object) -> None:
    with pytest.raises(InvalidInput):
        keys.entity_of(APPS, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "  ", "x" * 129, 7])
def test_a_bad_name_is_invalid_input(
    keys: ExternalKeys, entities: InMemoryStore, bad: object
) -> None:
    with pytest.raises(InvalidInput):
        keys.set_name(NAMES, _deployment(entities), bad)  # type: ignore[arg-type]


def test_the_wrong_kind_of_space_is_a_programming_error(
    keys: ExternalKeys, entities: InMemoryStore
) -> None:
    deployment_id = _deployment(entities)
    with pytest.raises(ValueError, match="holds names"):
        keys.number_of(NAMES, deployment_id)
    with pytest.raises(ValueError, match="holds numbers"):
        keys.set_name(APPS, deployment_id, "x")


def test_a_key_asked_for_in_another_scope_is_a_conflict(
    keys: ExternalKeys, entities: InMemoryStore
) -> None:
    deployment_id = _deployment(entities)
    keys.number_of(APPS, deployment_id, scope="p1")
    with pytest.raises(Conflict, match="scope"):
        keys.number_of(APPS, deployment_id, scope="p2")


@pytest.mark.parametrize("name", ["Upper", "no spaces", "", "a..b", "x" * 65])
def test_key_space_names_are_dotted_lowercase_words(name: str) -> None:
    with pytest.raises(ValueError, match="key space"):
        KeySpace(name, KeyKind.NUMBER)


def test_concurrent_allocations_give_distinct_numbers(
    keys: ExternalKeys, entities: InMemoryStore
) -> None:
    ids = [_deployment(entities) for _ in range(20)]
    numbers: dict[str, int] = {}

    def allocate(entity_id: str) -> None:
        numbers[entity_id] = keys.number_of(APPS, entity_id)

    threads = [threading.Thread(target=allocate, args=(entity_id,)) for entity_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers.values()) == list(range(1, 21))


class _Losing:
    """Repositories whose allocation loses to a concurrent one (``Conflict``)."""

    def __init__(self, repos: ExternalKeyRepositories) -> None:
        self._repos = repos

    def read_external_key(self, *, space: str, entity_id: str) -> ExternalKey | None:
        return self._repos.read_external_key(space=space, entity_id=entity_id)

    def read_external_keys(self, *, space: str, entity_ids: Collection[str]) -> list[ExternalKey]:
        return self._repos.read_external_keys(space=space, entity_ids=entity_ids)

    def read_external_key_by_value(
        self, *, space: str, scope: str, value: int | str
    ) -> ExternalKey | None:
        return self._repos.read_external_key_by_value(space=space, scope=scope, value=value)

    def allocate_external_number(
        self,
        *,
        space: str,
        scope: str,
        entity: KeyedEntity,
        entity_id: str,
        first_number: int = 1,
    ) -> ExternalKey:
        del scope, entity, first_number  # the same answer whatever was asked
        raise Conflict(f"{entity_id} already has a key in {space!r}")

    def assign_external_name(
        self, *, space: str, scope: str, entity: KeyedEntity, entity_id: str, name: str
    ) -> ExternalKey:
        return self._repos.assign_external_name(
            space=space, scope=scope, entity=entity, entity_id=entity_id, name=name
        )


class _RacingStore:
    """Its first ``races`` transactions lose: a concurrent transaction gives the entity a
    number (once) just before this one tries to allocate."""

    def __init__(self, inner: InMemoryExternalKeyStore, entity_id: str, races: int) -> None:
        self.inner, self.entity_id, self.races = inner, entity_id, races
        self.winner: int | None = None

    @contextmanager
    def transaction(self) -> Iterator[ExternalKeyRepositories]:
        if self.races == 0:
            with self.inner.transaction() as repos:
                yield repos
            return
        self.races -= 1
        if self.winner is None:
            with self.inner.transaction() as repos:
                self.winner = repos.allocate_external_number(
                    space=APPS.name, scope="", entity=APPS.entity, entity_id=self.entity_id
                ).number
        with self.inner.transaction() as repos:
            yield _Losing(repos)


def test_an_allocation_that_loses_a_race_returns_the_winners_number(
    entities: InMemoryStore,
) -> None:
    deployment_id = _deployment(entities)
    store = _RacingStore(InMemoryExternalKeyStore(entities), deployment_id, races=1)
    keys = ExternalKeys(store)
    assert keys.number_of(APPS, deployment_id) == store.winner == 1
    assert keys.number_of(APPS, _deployment(entities)) == 2  # the loser left no gap


def test_an_allocation_that_keeps_losing_gives_up_with_a_conflict(
    entities: InMemoryStore,
) -> None:
    deployment_id = _deployment(entities)
    store = _RacingStore(InMemoryExternalKeyStore(entities), deployment_id, races=9)
    store.winner = 0  # nobody actually wins: every attempt just loses
    with pytest.raises(Conflict, match="already has a key"):
        ExternalKeys(store).number_of(APPS, deployment_id)
    assert store.races == 9 - 4  # a bounded number of attempts (one entity + 3 spare)
