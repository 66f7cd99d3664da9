"""``SavepointService.import_savepoint``: the engine's copy becomes the deployment's newest
savepoint, which the next latest-savepoint start restores from; the importer decides
with the namespace's own deployments; a copy that cannot be recorded is deleted."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from millstream.control.notifier import Notifier
from millstream.control.services import SavepointService
from millstream.domain.errors import InvalidInput, NotFound
from millstream.domain.jobs import RestoreKind, RestoreStrategy
from millstream.domain.savepoints import SavepointOrigin, SavepointState
from tests.unit.control.conftest import ALICE, SCOPE, World


class FakeImporter:
    """Records what it was asked; ``before_return`` runs where the copy would be made."""

    def __init__(self) -> None:
        self.owns: Callable[[str], bool] = lambda _: False
        self.location = ""
        self.target = ""
        self.before_return: Callable[[], object] = lambda: None

    def import_savepoint(
        self,
        location: str,
        *,
        workspace: str,
        namespace: str,
        owns_deployment: Callable[[str], bool],
        target_directory: str,
    ) -> str:
        assert (workspace, namespace) == (SCOPE.workspace, SCOPE.namespace)
        self.location = location
        self.owns = owns_deployment
        self.target = target_directory
        self.before_return()
        return f"{target_directory}/imported-1"


@pytest.fixture
def importer() -> FakeImporter:
    return FakeImporter()


@pytest.fixture
def service(world: World, importer: FakeImporter) -> SavepointService:
    return SavepointService(world.store, world.engine, Notifier(), importer=importer)


def test_the_copy_is_the_newest_savepoint_and_a_start_restores_it(
    world: World, importer: FakeImporter, service: SavepointService
) -> None:
    deployment = world.deployment()
    other = world.deployment("d2")
    savepoint = service.import_savepoint(SCOPE, ALICE, deployment.id, "obs://bucket/sp-1/")
    location = f"file:///state/savepoints/{deployment.id}/imported-1"
    assert importer.location == "obs://bucket/sp-1/"
    assert importer.target == f"file:///state/savepoints/{deployment.id}"
    assert (savepoint.location, savepoint.state, savepoint.origin, savepoint.job_id) == (
        location,
        SavepointState.COMPLETED,
        SavepointOrigin.USER_REQUEST,
        None,
    )
    assert importer.owns(other.id) is True
    assert importer.owns("not-a-deployment-of-this-namespace") is False
    job = world.services.jobs.start(
        SCOPE, ALICE, deployment.id, restore=RestoreStrategy(kind=RestoreKind.LATEST_SAVEPOINT)
    )
    world.tick()
    (submitted,) = [j.submission for j in world.flink.jobs.values()]
    assert submitted.savepoint_path == location
    assert world.services.jobs.get(SCOPE, job.id).restored_from == location


def test_a_copy_that_cannot_be_recorded_is_deleted(
    world: World, importer: FakeImporter, service: SavepointService
) -> None:
    deployment = world.deployment()
    importer.before_return = lambda: world.services.deployments.delete(SCOPE, ALICE, deployment.id)
    with pytest.raises(NotFound):
        service.import_savepoint(SCOPE, ALICE, deployment.id, "obs://bucket/sp-1/")
    assert world.engine.deleted == [f"file:///state/savepoints/{deployment.id}/imported-1"]


def test_an_engine_that_cannot_import_says_so(world: World) -> None:
    deployment = world.deployment()
    plain = SavepointService(world.store, world.engine, Notifier())
    with pytest.raises(InvalidInput, match="cannot import savepoints"):
        plain.import_savepoint(SCOPE, ALICE, deployment.id, "obs://bucket/sp-1/")
