"""``count_jobs_by_status``: job counts per deployment and status in one grouped query
(the native ``jobSummary`` of a deployment list), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from millstream.domain.jobs import JobStatus
from millstream.store import SqlStore
from tests.factories import make_deployment, make_job


def test_counts_jobs_per_deployment_and_status_in_one_query(store: SqlStore) -> None:
    a, b, idle = make_deployment(), make_deployment(), make_deployment()
    statuses = {
        a.id: [JobStatus.RUNNING, JobStatus.CANCELLED, JobStatus.CANCELLED, JobStatus.FAILED],
        b.id: [JobStatus.FINISHED],
    }
    with store.transaction() as repos:
        for deployment in (a, b, idle):
            repos.create_deployment(deployment=deployment)
        for deployment in (a, b):
            for status in statuses[deployment.id]:
                repos.create_job(job=make_job(deployment, status=status))
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        with store.transaction() as repos:
            counts = repos.count_jobs_by_status(deployment_ids=[a.id, b.id, idle.id])
    finally:
        event.remove(store.engine, "before_cursor_execute", record)

    assert counts == {
        a.id: {JobStatus.RUNNING: 1, JobStatus.CANCELLED: 2, JobStatus.FAILED: 1},
        b.id: {JobStatus.FINISHED: 1},
    }
    assert [s for s in statements if "jobs" in s and "GROUP BY" in s.upper()] != []
    assert sum("jobs" in s for s in statements) == 1


def test_no_deployments_means_no_query(store: SqlStore) -> None:
    with store.transaction() as repos:
        assert repos.count_jobs_by_status(deployment_ids=[]) == {}
