"""Issue 16 on the console's rendered HTML: the Logs panel (the job's lines, the whole
cluster log one click away, empty stdout said in words), the job facts' wording
(restarts, never ran, ran for, a stop with savepoint), descriptions' `code` and the
deployment delete's redirect. Logs are read by the real reader from a log directory."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from millstream.control.ports import Page
from millstream.control.services.common import record_event
from millstream.control.services.logs import LogService
from millstream.domain.events import EventName
from millstream.domain.jobs import JobStatus
from millstream.engine.logs import FileLogArchive, FlinkLogReader
from millstream.web import build_console
from tests.unit.web.conftest import World, sign_in
from tests.unit.web.test_console import HX, SCOPE, _create

FLINK_JOB = "6d74aa078ffe5839b24f297095f4dc36"
GRAPH = "6a243e3d0c56fdfc04405aa02eda31a2"
OTHER = "8b0617306b01567ba9aab2413e7f8a87"


@pytest.fixture
async def client(world: World, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The console of ``world`` with a log service over ``tmp_path/log``."""
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    (log_dir / "flink-x-standalonesession-0-host.log").write_text(
        f"{now},001 INFO  o.a.f.ExecutionGraph [] - Created execution graph {GRAPH} for job "
        f"{FLINK_JOB}.\n"
        f"{now},002 INFO  o.a.f.ExecutionGraph [] - Job other ({OTHER}) switched from state "
        "CREATED to RUNNING.\n"
        f"{now},003 INFO  o.a.f.ExecutionGraph [] - Source: numbers (1/1) "
        f"({GRAPH}_ca88eee0095684d687a1b6495617f957_0_0) switched from CREATED to SCHEDULED.\n"
    )
    (log_dir / "flink-x-standalonesession-0-host.out").write_text("")
    logs = LogService(
        world.store,
        FlinkLogReader(local_log_dirs={"http://fake-flink": log_dir}),
        FileLogArchive(tmp_path / "kept"),
    )
    app = FastAPI()
    app.include_router(
        build_console(
            dataclasses.replace(world.services, logs=logs),
            access=world.access,
            flink_ui_url=lambda: "http://flink-ui:8081/",
            secret_key=b"k" * 32,
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as c:
        yield c


async def _started(world: World, client: httpx.AsyncClient) -> tuple[str, str]:
    """(deployment id, job id) of a started deployment whose job Flink knows."""
    csrf = await sign_in(client)
    deployment_id = await _create(
        World(world.services, world.engine, world.store, world.access, client), csrf
    )
    await client.post(
        f"/console/deployments/{deployment_id}/start", data={"csrf": csrf}, headers=HX
    )
    job = world.services.jobs.list(SCOPE, deployment_id, Page())[0][0]
    with world.store.transaction() as repos:  # what the reconciler records at submission
        job.flink_job_id = FLINK_JOB
        repos.update_job(job=job)
    return deployment_id, job.id


async def test_logs_show_the_jobs_lines_with_the_cluster_log_one_click_away(
    world: World, client: httpx.AsyncClient
) -> None:
    _, job_id = await _started(world, client)
    own = await client.get(f"/console/jobs/{job_id}/logs?kind=jobmanager", headers=HX)
    assert "This job's lines" in own.text
    assert f"({GRAPH}_ca88eee0095684d687a1b6495617f957_0_0) switched" in own.text
    assert OTHER not in own.text
    assert 'id="log-note"' in own.text
    # the world's cluster serves two namespaces: the other one's lines are never shown
    assert 'id="log-scope-shared"' in own.text
    assert "scope=cluster" not in own.text
    refused = await client.get(
        f"/console/jobs/{job_id}/logs?kind=jobmanager&scope=cluster", headers=HX
    )
    assert "runs jobs of other namespaces too" in refused.text
    assert OTHER not in refused.text
    with world.store.transaction() as repos:  # the cluster becomes this namespace's own
        cluster = repos.read_cluster(workspace=SCOPE.workspace, name="default")
        assert cluster is not None
        repos.update_cluster(cluster=dataclasses.replace(cluster, namespace=SCOPE.namespace))
    own = await client.get(f"/console/jobs/{job_id}/logs?kind=jobmanager", headers=HX)
    assert OTHER not in own.text
    assert f"/console/jobs/{job_id}/logs?kind=jobmanager&amp;scope=cluster" in own.text
    assert "Whole cluster log (all jobs)" in own.text
    whole = await client.get(
        f"/console/jobs/{job_id}/logs?kind=jobmanager&scope=cluster", headers=HX
    )
    assert "<strong>Whole cluster log</strong> of cluster <code>default</code>" in whole.text
    assert OTHER in whole.text
    assert "Only this job's lines" in whole.text


async def test_empty_stdout_is_said_in_words_not_drawn_as_an_empty_box(
    world: World, client: httpx.AsyncClient
) -> None:
    _, job_id = await _started(world, client)
    stdout = await client.get(f"/console/jobs/{job_id}/logs?kind=stdout", headers=HX)
    assert '<pre class="log">' not in stdout.text
    assert "No output." in stdout.text


async def test_job_facts_say_restarts_never_ran_and_ran_for(
    world: World, client: httpx.AsyncClient
) -> None:
    _, job_id = await _started(world, client)
    page = await client.get(f"/console/jobs/{job_id}")
    assert 'id="job-restarts">0<' in page.text
    assert "<dt>Running for</dt>" in page.text
    assert "never reached RUNNING" in page.text  # submitted, not yet running
    job = world.services.jobs.get(SCOPE, job_id)
    with world.store.transaction() as repos:
        record_event(repos, job, EventName.JOB_RUNNING, "running", now=datetime.now(UTC))
        job.status = JobStatus.CANCELLED
        job.end_time = datetime.now(UTC)
        repos.update_job(job=job)
        record_event(
            repos, job, EventName.JOB_CANCELLED, "Flink reports FINISHED", now=job.end_time
        )
    ended = await client.get(f"/console/jobs/{job_id}")
    assert "<dt>Ran for</dt>" in ended.text
    assert "<dt>Running for</dt>" not in ended.text
    assert "never reached RUNNING" not in ended.text
    assert '<span class="event-name">job stopped</span>' in ended.text
    assert "Flink reports FINISHED" not in ended.text


async def test_description_backticks_render_as_code(
    world: World, client: httpx.AsyncClient
) -> None:
    deployment_id, _ = await _started(world, client)
    with world.store.transaction() as repos:
        deployment = repos.read_deployment(
            workspace=SCOPE.workspace, namespace=SCOPE.namespace, deployment_id=deployment_id
        )
        assert deployment is not None
        deployment.description = "demo created by `millstream up` <b>"
        repos.update_deployment(deployment=deployment)
    for path in (f"/console/deployments/{deployment_id}", "/console/deployments"):
        page = await client.get(path)
        assert "demo created by <code>millstream up</code> &lt;b&gt;" in page.text
        assert "`millstream up`" not in page.text


async def test_deleting_a_deployment_sends_the_browser_to_the_list(
    world: World, client: httpx.AsyncClient
) -> None:
    csrf = await sign_in(client)
    deployment_id = await _create(
        World(world.services, world.engine, world.store, world.access, client), csrf
    )
    deleted = await client.post(
        f"/console/deployments/{deployment_id}/delete", data={"csrf": csrf}, headers=HX
    )
    assert deleted.headers["hx-redirect"] == "/console/deployments?deleted=orders"
    listing = await client.get(deleted.headers["hx-redirect"])
    assert "Deployment orders deleted." in listing.text


async def test_an_open_deployment_page_deleted_elsewhere_moves_to_the_list(
    world: World, client: httpx.AsyncClient
) -> None:
    csrf = await sign_in(client)
    deployment_id = await _create(
        World(world.services, world.engine, world.store, world.access, client), csrf
    )
    world.services.deployments.delete(SCOPE, world.access.keys["MSADMIN"][0], deployment_id)
    poll = await client.get(f"/console/deployments/{deployment_id}/live", headers=HX)
    assert poll.headers["hx-redirect"] == f"/console/deployments?gone={deployment_id}"
    listing = await client.get(poll.headers["hx-redirect"])
    assert 'id="deployment-gone"' in listing.text
