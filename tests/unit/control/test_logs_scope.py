"""``LogService.job_log`` scopes: the job's records by default (read through the
window's ``keep`` filter, or filtered when read back from the archive), the whole cluster
log on request, never on a cluster other namespaces share, and whole on a cluster of the
job's own."""

from __future__ import annotations

import dataclasses

import pytest

from millstream.control.services.logs import ArchiveEntry, LogFile, LogKind, LogScope
from millstream.domain.clusters import ClusterKind
from millstream.domain.errors import PermissionDenied
from millstream.domain.jobs import JobStatus
from tests.factories import make_namespace
from tests.unit.control.test_logs_service import NOW, SCOPE, Parts, _job, parts

__all__ = ["parts"]  # the fixture, shared with test_logs_service

FLINK_JOB = "6d74aa078ffe5839b24f297095f4dc36"
OTHER = "8b0617306b01567ba9aab2413e7f8a87"
KEPT = (
    f"2026-05-01 11:30:00,000 INFO  x [] - Job a ({FLINK_JOB}) switched to RUNNING.\n"
    f"2026-05-01 11:30:01,000 INFO  x [] - Job b ({OTHER}) switched to RUNNING.\n"
)


def _with_flink_id(parts: Parts, job_id: str) -> None:
    with parts.store.transaction() as repos:
        job = repos.read_job(job_id=job_id)
        assert job is not None
        job.flink_job_id = FLINK_JOB
        repos.update_job(job=job)


def test_live_read_filters_to_the_job_unless_the_cluster_is_asked_for(parts: Parts) -> None:
    job_id = _job(parts.store)
    own = parts.service.job_log(SCOPE, job_id, LogKind.JOBMANAGER)
    assert own.scope is LogScope.JOB
    assert parts.logs.windows[-1].keep is not None
    whole = parts.service.job_log(SCOPE, job_id, LogKind.JOBMANAGER, LogScope.CLUSTER)
    assert whole.scope is LogScope.CLUSTER
    assert parts.logs.windows[-1].keep is None
    assert whole.cluster_log


def test_a_dedicated_clusters_log_is_the_jobs_whole(parts: Parts) -> None:
    job_id = _job(parts.store)
    with parts.store.transaction() as repos:
        cluster = repos.read_cluster(workspace="ws", name="default")
        assert cluster is not None
        repos.update_cluster(cluster=dataclasses.replace(cluster, kind=ClusterKind.DEDICATED))
    parts.service.job_log(SCOPE, job_id, LogKind.JOBMANAGER)
    assert parts.logs.windows[-1].keep is None


def test_kept_logs_of_an_ended_job_are_filtered_when_read(parts: Parts) -> None:
    job_id = _job(parts.store, status=JobStatus.CANCELLED)
    _with_flink_id(parts, job_id)
    logs = {kind: [LogFile("jobmanager", "jm.log", KEPT)] for kind in LogKind}
    parts.archive.save(ArchiveEntry(job_id, NOW, NOW), logs)
    own = parts.service.job_log(SCOPE, job_id, LogKind.JOBMANAGER)
    assert (own.source, own.text) == ("archive", KEPT.splitlines(keepends=True)[0])
    assert own.note is not None
    assert FLINK_JOB in own.note
    whole = parts.service.job_log(SCOPE, job_id, LogKind.JOBMANAGER, LogScope.CLUSTER)
    assert whole.text == KEPT


def test_whole_log_of_a_cluster_other_namespaces_share_is_refused(parts: Parts) -> None:
    job_id = _job(parts.store)
    with parts.store.transaction() as repos:
        repos.create_namespace(namespace=make_namespace(workspace="ws", name="ns2"))
    with pytest.raises(PermissionDenied, match="other namespaces"):
        parts.service.job_log(SCOPE, job_id, LogKind.JOBMANAGER, LogScope.CLUSTER)
    assert not parts.service.job_log(SCOPE, job_id, LogKind.JOBMANAGER).cluster_log
