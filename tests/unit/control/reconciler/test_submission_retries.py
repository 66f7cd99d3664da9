"""One attempt, one submission event: an attempt recorded before Flink answered (a
crash, an unreachable cluster) is submitted again with its own Flink JobID and is not
announced again."""

from __future__ import annotations

import pytest

from millstream.control.ports import Page, Submission
from millstream.domain.errors import EngineUnavailable
from millstream.domain.events import EventName
from millstream.domain.jobs import JobStatus, StopStrategy
from tests.unit.control.conftest import ALICE, SCOPE, World


def _submitting(world: World, job_id: str) -> list[str]:
    events, _ = world.services.events.list(SCOPE, Page(0, 1000), job_id=job_id)
    return [e.message for e in events if e.name is EventName.JOB_SUBMITTING]


def test_a_submission_retried_after_flink_did_not_answer_is_one_attempt(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    submit = world.flink.submit
    refusals = iter([True, True, False])

    def flaky(submission: Submission) -> None:
        if next(refusals):
            raise EngineUnavailable("connection refused")
        submit(submission)

    monkeypatch.setattr(world.flink, "submit", flaky)
    job = world.services.jobs.start(SCOPE, ALICE, world.deployment().id)
    world.tick(3)
    seen = world.services.jobs.get(SCOPE, job.id)
    assert seen.status is JobStatus.STARTING
    assert seen.attempt == 1
    [message] = _submitting(world, job.id)
    assert seen.flink_job_id is not None
    assert seen.flink_job_id in message
    assert list(world.flink.jobs) == [seen.flink_job_id]  # the attempt's own JobID


def test_each_new_attempt_is_announced(world: World) -> None:
    deployment = world.deployment()
    first = world.services.jobs.start(SCOPE, ALICE, deployment.id)
    world.tick()
    world.services.jobs.stop(SCOPE, ALICE, first.id, StopStrategy.NONE)
    world.tick(2)
    second = world.services.jobs.start(SCOPE, ALICE, deployment.id)
    world.tick()
    assert len(_submitting(world, first.id)) == 1
    assert len(_submitting(world, second.id)) == 1
