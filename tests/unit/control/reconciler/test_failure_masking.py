"""Flink's failure texts may quote the substituted script: the reconciler masks every
Encrypted variable's value in the job's failure and in its events before storing them
(issue 19, item 6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from millstream.control.context import Scope
from millstream.control.ports import Page
from millstream.control.reconciler import Reconciler
from millstream.control.services.variables import ResolvedVariables
from millstream.domain.jobs import Failure, JobStatus
from millstream.domain.variables import MASK
from tests.unit.control.conftest import ALICE, SCOPE, World

_SECRET = "hunter2-db-password"


class _Variables:
    """A namespace with one Encrypted variable."""

    def resolve(self, scope: Scope) -> ResolvedVariables:
        assert scope == SCOPE
        return ResolvedVariables(values={"db_password": _SECRET}, secret=frozenset({"db_password"}))


@pytest.fixture
def masked_world(world: World) -> Iterator[World]:
    world.reconciler.close()
    world.reconciler = Reconciler(
        world.store, world.engine, details_interval=0.0, variables=_Variables()
    )
    yield world
    world.reconciler.close()


def test_a_failure_quoting_a_secret_is_stored_masked(masked_world: World) -> None:
    world = masked_world
    job = world.services.jobs.start(SCOPE, ALICE, world.deployment().id)
    world.tick()
    fid = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    world.flink.set_state(fid, "RUNNING")
    world.tick()
    quoted = f"Cannot find table `{_SECRET}` in catalog"
    world.flink.jobs[fid].failure = Failure(quoted, "TableException", datetime.now(UTC))
    world.flink.set_state(fid, "FAILED")
    world.tick()

    failed = world.services.jobs.get(SCOPE, job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.failure is not None
    assert _SECRET not in failed.failure.message
    assert MASK in failed.failure.message
    events, _ = world.services.events.list(SCOPE, Page(0, 1000), job_id=job.id)
    assert events
    assert all(_SECRET not in event.message for event in events)
