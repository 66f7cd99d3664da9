"""SqlStore.reading: reads what transactions committed, refuses writes, on both backends."""

from __future__ import annotations

import pytest

from millstream.store import SqlStore
from tests.factories import make_deployment, make_job


def test_reading_sees_what_was_committed_and_refuses_writes(store: SqlStore) -> None:
    deployment = make_deployment()
    job = make_job(deployment)
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)

    with store.reading() as repos:
        found = repos.read_job(job_id=job.id)
    assert found is not None
    assert (found.id, found.version) == (job.id, job.version)

    with pytest.raises(RuntimeError, match="read-only unit of work"), store.reading() as repos:
        repos.delete_job(job_id=job.id)
    with store.transaction() as repos:
        assert repos.read_job(job_id=job.id) is not None  # the refused write left no trace
        repos.delete_job(job_id=job.id)  # transaction() still writes
    with store.reading() as repos:
        assert repos.read_job(job_id=job.id) is None
