"""A deployment's SQL is planned through Flink outside every unit of work (a Flink round
trip must hold neither a pooled connection nor SQLite's write lock); an update whose
deployment changes while it is planned is planned again, on what it now is."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from millstream.control.services import DeploymentPatch
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.errors import Conflict, ErrorCode
from tests.fakes import FakeFlink, InMemoryStore
from tests.unit.control.conftest import ALICE, SCOPE, World


class _WatchedFlink(FakeFlink):
    """Records how many units of work the store had open at each plan, and runs
    ``meanwhile`` (a concurrent writer) during it."""

    def __init__(self, store: InMemoryStore) -> None:
        super().__init__()
        self.open_units = 0
        self.in_unit: list[int] = []
        self.meanwhile: Callable[[], None] | None = None
        for name in ("transaction", "reading"):
            setattr(store, name, self._counted(getattr(store, name)))

    def _counted(
        self, unit: Callable[[], AbstractContextManager[Any]]
    ) -> Callable[[], AbstractContextManager[Any]]:
        @contextmanager
        def counted() -> Iterator[Any]:
            with unit() as repos:
                self.open_units += 1
                try:
                    yield repos
                finally:
                    self.open_units -= 1

        return counted

    def validate_sql(
        self,
        script: str,
        *,
        execution_mode: ExecutionMode,
        flink_conf: dict[str, Any],
        sql_preamble: Sequence[str] = (),
        sql_jars: Sequence[str] = (),
    ) -> None:
        self.in_unit.append(self.open_units)
        if self.meanwhile is not None:
            self.meanwhile()
        super().validate_sql(
            script,
            execution_mode=execution_mode,
            flink_conf=flink_conf,
            sql_preamble=sql_preamble,
            sql_jars=sql_jars,
        )


@pytest.fixture
def watched(world: World) -> _WatchedFlink:
    flink = _WatchedFlink(world.store)
    world.engine.flink = flink
    return flink


def test_create_and_update_plan_outside_any_unit_of_work(
    world: World, watched: _WatchedFlink
) -> None:
    deployment = world.deployment()
    world.services.deployments.update(
        SCOPE, ALICE, deployment.id, DeploymentPatch(description="planned again")
    )
    assert watched.in_unit == [0, 0]


def test_an_update_changed_while_planned_is_planned_again_on_what_it_now_is(
    world: World, watched: _WatchedFlink
) -> None:
    deployment = world.deployment()
    deployments = world.services.deployments
    theirs = [DeploymentPatch(description="theirs")]

    def concurrent_edit() -> None:
        if theirs:
            deployments.update(SCOPE, ALICE, deployment.id, theirs.pop())

    watched.meanwhile = concurrent_edit
    updated = deployments.update(
        SCOPE, ALICE, deployment.id, DeploymentPatch(labels={"team": "ours"})
    )

    assert (updated.description, updated.labels) == ("theirs", {"team": "ours"})
    stored = deployments.get(SCOPE, deployment.id)
    assert (stored.description, stored.labels, stored.version) == (
        "theirs",
        {"team": "ours"},
        updated.version,
    )
    assert updated.version == deployment.version + 2


def test_an_update_that_never_settles_is_a_stale_version_conflict(
    world: World, watched: _WatchedFlink
) -> None:
    deployment = world.deployment()
    deployments = world.services.deployments
    edits = iter(range(100))

    def concurrent_edit() -> None:
        watched.meanwhile = None  # the edit itself plans too
        deployments.update(
            SCOPE, ALICE, deployment.id, DeploymentPatch(description=str(next(edits)))
        )
        watched.meanwhile = concurrent_edit

    watched.meanwhile = concurrent_edit
    with pytest.raises(Conflict) as raised:
        deployments.update(SCOPE, ALICE, deployment.id, DeploymentPatch(labels={"a": "b"}))
    assert raised.value.code is ErrorCode.STALE_VERSION
    watched.meanwhile = None
    assert deployments.get(SCOPE, deployment.id).labels == {}
