"""GetJobLogs' ``scope``: the job's lines by default, the whole cluster log with
``scope=cluster`` (never on a cluster other namespaces share), over the real log reader
and SQLite (the stack of test_native_variables)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.factories import make_namespace
from tests.integration.api.test_native_variables import (
    NS,
    VARS,
    WS,
    Stack,
    _deploy,
    _ok,
    build_stack,
)

FLINK_JOB = "7a64d9116ee451ee9762818f00e9f195"
OTHER_JOB = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
GRAPH = "1e55b6d60a2b525f610891e540b980b7"
VERTEX = "ca88eee0095684d687a1b6495617f957"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    built = build_stack(tmp_path)
    yield built
    built.store.close()


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=stack.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as c:
        yield c


async def _started_job(client: httpx.AsyncClient, stack: Stack) -> tuple[str, str]:
    await _ok(await client.post(VARS, json={"name": "table_rows", "value": "5"}))
    deployment_id = await _deploy(client)
    job = await _ok(
        await client.post(
            f"/api/v2/namespaces/{NS}/jobs:start", json={"deploymentId": deployment_id}
        )
    )
    job_id = str(job["jobId"])  # type: ignore[index]
    with stack.store.transaction() as repos:  # what the reconciler records at submission
        found = repos.read_job(job_id=job_id)
        assert found is not None
        found.flink_job_id = FLINK_JOB
        repos.update_job(job=found)
    now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    stack.write_jobmanager_log(
        f"{now},001 INFO  o.a.f.r.e.ExecutionGraph [] - Created execution graph {GRAPH} "
        f"for job {FLINK_JOB}.",
        f"{now},002 INFO  o.a.f.r.e.ExecutionGraph [] - Job other ({OTHER_JOB}) switched "
        "from state CREATED to RUNNING.",
        f"{now},003 INFO  o.a.f.r.e.ExecutionGraph [] - Source: numbers (1/1) "
        f"({GRAPH}_{VERTEX}_0_0) switched from CREATED to SCHEDULED.",
    )
    return job_id, FLINK_JOB


async def test_job_logs_are_the_jobs_lines_unless_the_cluster_is_asked_for(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    job_id, flink_job_id = await _started_job(client, stack)
    url = f"/api/v2/namespaces/{NS}/jobs/{job_id}/logs"
    own = await _ok(await client.get(url))
    assert own["scope"] == "job"  # type: ignore[index]
    assert f"({GRAPH}_{VERTEX}_0_0) switched" in own["content"]  # type: ignore[index]
    assert OTHER_JOB not in own["content"]  # type: ignore[index]
    assert flink_job_id in own["note"]  # type: ignore[index]
    whole = await _ok(await client.get(url, params={"scope": "cluster"}))
    assert whole["scope"] == "cluster"  # type: ignore[index]
    assert OTHER_JOB in whole["content"]  # type: ignore[index]
    assert whole["note"] is None  # type: ignore[index]
    bad = await client.get(url, params={"scope": "everything"})
    assert bad.status_code == 400
    assert "scope" in bad.json()["errorMessage"]


async def test_whole_log_of_a_cluster_other_namespaces_share_is_refused(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    job_id, _ = await _started_job(client, stack)
    with stack.store.transaction() as repos:
        repos.create_namespace(namespace=make_namespace(workspace=WS, name="ns2"))
    url = f"/api/v2/namespaces/{NS}/jobs/{job_id}/logs"
    refused = await client.get(url, params={"scope": "cluster"})
    assert refused.status_code == 403
    own = await _ok(await client.get(url))
    assert OTHER_JOB not in own["content"]  # type: ignore[index]
