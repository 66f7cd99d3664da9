"""Managed clusters and suspended jobs: a job's dedicated cluster is released while the job
is SUSPENDED and started again when it is resumed (fake processes, fake Flink)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from millstream.domain.clusters import ClusterStatus
from millstream.domain.jobs import Job, JobStatus, StopStrategy
from tests.unit.control.conftest import ALICE, SCOPE, World
from tests.unit.control.test_clusters import Clusters, _clusters, _job_key


@pytest.fixture
def per_job(world: World) -> Iterator[Clusters]:
    yield from _clusters(world, per_job=True)


def _suspended_on_its_own_cluster(per_job: Clusters) -> Job:
    world = per_job.world
    job = world.services.jobs.start(SCOPE, ALICE, world.deployment().id)
    per_job.tick(3)  # dedicated cluster recorded, started, job submitted
    fid = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    world.flink.set_state(fid, "RUNNING")
    per_job.tick()
    world.services.jobs.suspend(SCOPE, ALICE, job.id)
    per_job.tick(3)
    suspended = world.services.jobs.get(SCOPE, job.id)
    assert suspended.status is JobStatus.SUSPENDED
    per_job.tick()
    return suspended


def _cluster_status(per_job: Clusters, job: Job) -> ClusterStatus | None:
    with per_job.world.store.transaction() as repos:
        cluster = repos.read_cluster(workspace="ws", name=job.cluster)
    assert cluster is not None
    return cluster.status


def test_a_suspended_job_releases_its_dedicated_cluster(per_job: Clusters) -> None:
    job = _suspended_on_its_own_cluster(per_job)
    assert per_job.processes.calls[-1] == ("release", _job_key(job.id))
    assert _cluster_status(per_job, job) is ClusterStatus.STOPPED
    calls = len(per_job.processes.calls)
    per_job.tick(2)
    assert len(per_job.processes.calls) == calls  # parked: left alone


def test_resume_starts_the_dedicated_cluster_again_then_restores(per_job: Clusters) -> None:
    world = per_job.world
    job = _suspended_on_its_own_cluster(per_job)
    savepoint = world.services.savepoints.get(SCOPE, job.stop_savepoint_id or "")
    world.services.jobs.resume(SCOPE, ALICE, job.id)
    per_job.tick()  # the cluster is starting: the job waits
    assert world.services.jobs.get(SCOPE, job.id).status is JobStatus.SUSPENDED
    per_job.tick()  # running: submitted from the suspend savepoint
    resumed = world.services.jobs.get(SCOPE, job.id)
    assert resumed.status is JobStatus.STARTING
    assert resumed.cluster == job.cluster
    assert world.flink.jobs[resumed.flink_job_id or ""].submission.savepoint_path == (
        savepoint.location
    )
    assert per_job.processes.started == [_job_key(job.id), _job_key(job.id)]


def test_stop_of_a_suspended_job_needs_no_cluster(per_job: Clusters) -> None:
    world = per_job.world
    job = _suspended_on_its_own_cluster(per_job)
    world.services.jobs.stop(SCOPE, ALICE, job.id, StopStrategy.NONE)
    per_job.tick()
    assert world.services.jobs.get(SCOPE, job.id).status is JobStatus.CANCELLED
    assert _cluster_status(per_job, job) is ClusterStatus.STOPPED
