"""Status tells the truth (issue 20): a cluster that does not answer turns its jobs'
observed state into UNKNOWN (reason CLUSTER_UNREACHABLE) instead of RUNNING from memory,
and Flink's own states (RESTARTING, FAILING, ...) show in the observed state."""

from __future__ import annotations

import time

import pytest

from millstream.control.ports import Page
from millstream.control.reconciler import Reconciler
from millstream.domain.events import Event, EventName
from millstream.domain.jobs import CLUSTER_UNREACHABLE, Job, JobStatus
from millstream.domain.observed import ObservedState
from tests.unit.control.conftest import ALICE, SCOPE, World


def _running(world: World) -> Job:
    job = world.services.jobs.start(SCOPE, ALICE, world.deployment().id)
    world.tick()
    world.flink.set_state(_read(world, job.id).flink_job_id or "", "RUNNING")
    world.tick()
    running = _read(world, job.id)
    assert running.status is JobStatus.RUNNING
    assert running.observed.state is ObservedState.RUNNING
    return running


def _read(world: World, job_id: str) -> Job:
    return world.services.jobs.get(SCOPE, job_id)


def _events(world: World, job_id: str, name: EventName) -> list[Event]:
    events, _ = world.services.events.list(SCOPE, Page(0, 1000), job_id=job_id)
    return [e for e in events if e.name is name]


def test_unreachable_cluster_makes_the_observed_state_unknown(world: World) -> None:
    job = _running(world)
    world.flink.reachable = False
    world.tick()
    seen = _read(world, job.id)
    assert seen.status is JobStatus.RUNNING  # never a failure
    assert seen.observed.state is ObservedState.UNKNOWN
    assert seen.status_reason == CLUSTER_UNREACHABLE
    [event] = _events(world, job.id, EventName.CLUSTER_UNREACHABLE)
    assert "does not answer since" in event.message
    assert "fake cluster unreachable" in event.message


def test_unreachable_cluster_is_written_once_not_every_tick(world: World) -> None:
    job = _running(world)
    world.flink.reachable = False
    world.tick()
    version = _read(world, job.id).version
    world.tick(3)
    assert _read(world, job.id).version == version
    assert len(_events(world, job.id, EventName.CLUSTER_UNREACHABLE)) == 1


def test_reachable_again_reads_the_truth(world: World) -> None:
    job = _running(world)
    world.flink.reachable = False
    world.tick()
    world.flink.reachable = True
    world.tick()
    seen = _read(world, job.id)
    assert seen.status_reason is None
    assert seen.observed.state is ObservedState.RUNNING
    assert len(_events(world, job.id, EventName.CLUSTER_REACHABLE)) == 1


def test_a_job_the_cluster_lost_meanwhile_is_resubmitted(world: World) -> None:
    job = _running(world)
    world.flink.reachable = False
    world.tick()
    world.flink.jobs.clear()  # the JobManager came back without its jobs
    world.flink.reachable = True
    world.tick()
    seen = _read(world, job.id)
    assert seen.status_reason is None
    assert seen.flink_job_id != job.flink_job_id
    assert _events(world, job.id, EventName.JOB_RESUBMITTING)


def test_a_restarted_reconciler_clears_what_an_earlier_one_marked(world: World) -> None:
    job = _running(world)
    world.flink.reachable = False
    world.tick()
    world.flink.reachable = True
    fresh = Reconciler(world.store, world.engine, details_interval=0.0)  # after a crash
    try:
        fresh.run_iteration()
    finally:
        fresh.close()
    seen = _read(world, job.id)
    assert seen.status_reason is None
    assert seen.observed.state is ObservedState.RUNNING


def test_a_job_not_yet_observed_keeps_no_state(world: World) -> None:
    job = world.services.jobs.start(SCOPE, ALICE, world.deployment().id)
    world.flink.reachable = False
    world.tick()
    seen = _read(world, job.id)
    assert seen.status is JobStatus.STARTING
    assert seen.observed.state is None
    assert seen.status_reason is None


@pytest.mark.parametrize("state", ["RESTARTING", "FAILING", "RECONCILING"])
def test_flink_states_show_in_the_observed_state(world: World, state: str) -> None:
    job = _running(world)
    world.flink.set_state(job.flink_job_id or "", state)
    world.tick()
    seen = _read(world, job.id)
    assert seen.status is JobStatus.RUNNING
    assert seen.observed.state is ObservedState(state)


def test_a_flink_restart_is_an_event(world: World) -> None:
    job = _running(world)
    flink_job = world.flink.jobs[job.flink_job_id or ""]
    flink_job.restarts = 1
    world.flink.set_state(job.flink_job_id or "", "RESTARTING")
    world.tick()
    [event] = _events(world, job.id, EventName.JOB_RESTARTED)
    assert "1 restarts" in event.message
    assert _read(world, job.id).observed.restarts == 1


def test_an_unreachable_cluster_is_asked_again_after_a_pause(world: World) -> None:
    job = _running(world)
    patient = Reconciler(world.store, world.engine, details_interval=0.0, unreachable_backoff=4)
    try:
        world.flink.reachable = False
        patient.run_iteration()
        world.flink.reachable = True
        patient.run_iteration()  # within the first pause (0.5 s): not asked
        assert _read(world, job.id).status_reason == CLUSTER_UNREACHABLE
        time.sleep(0.6)
        patient.run_iteration()
    finally:
        patient.close()
    assert _read(world, job.id).status_reason is None
    assert _read(world, job.id).observed.state is ObservedState.RUNNING
