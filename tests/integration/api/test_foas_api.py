"""The foas dialect over real services on SQLite, through httpx's ASGITransport.

Requests are built and signed by the official SDK itself (``aliyun-python-sdk-foas``
request classes, ``aliyunsdkcore``'s ``AcsClient`` ROA signer: ``acs AK:signature``,
Content-MD5, form bodies) and sent through the app; Flink is the fake engine and the
reconciler's part (STARTING -> RUNNING, suspend and stop completion) is played by the
test through the store.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import RoaRequest
from aliyunsdkfoas.request.v20181111 import (
    CalcPlanJsonResourceRequest,
    CheckRawPlanJsonRequest,
    CommitJobRequest,
    CreateJobRequest,
    DeleteJobRequest,
    GetInstanceMetricRequest,
    GetInstanceRequest,
    GetInstanceRunSummaryRequest,
    GetJobRequest,
    GetProjectRequest,
    GetRawPlanJsonRequest,
    ListInstanceRequest,
    ListJobRequest,
    ListProjectRequest,
    ModifyInstanceStateRequest,
    OfflineJobRequest,
    StartJobRequest,
    UpdateJobRequest,
    ValidateJobRequest,
)

from millstream.api.app import create_api
from millstream.api.foas import FOAS
from millstream.api.foas.ids import INSTANCES
from millstream.api.native import NATIVE
from millstream.control.bootstrap import ensure_default_queue, ensure_defaults
from millstream.control.context import SYSTEM, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.services import (
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.services.access import AccessService, IssuedKey
from millstream.control.services.external_keys import ExternalKeys
from millstream.control.services.queues import QueuePatch, QueueService
from millstream.domain.clusters import ClusterKind
from millstream.domain.errors import InvalidSql
from millstream.domain.jobs import DesiredState, Job, JobStatus, StopStrategy
from millstream.domain.namespaces import Namespace
from millstream.store import SqlStore, upgrade
from millstream.store.access import SqlAccessStore
from millstream.store.cipher import load_cipher
from millstream.store.external_keys import SqlExternalKeyStore
from tests.fakes import FakeEngine

WS = "default"
NS = "default-namespace"
HOST = "millstream"
SQL = (
    "CREATE TEMPORARY TABLE s (a INT) WITH ('connector' = 'datagen');\n"
    "CREATE TEMPORARY TABLE t (a INT) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO t SELECT a FROM s;"
)


class World:
    """The store, the services and the admin key behind the app."""

    def __init__(self, data_dir: Path) -> None:
        url = f"sqlite:///{data_dir / 'millstream.db'}"
        upgrade(url)
        self.store = SqlStore(url)
        ensure_defaults(
            self.store,
            workspace=WS,
            namespace=NS,
            cluster_kind=ClusterKind.EXTERNAL,
            rest_url="http://flink.invalid:8081",
        )
        ensure_default_queue(self.store, workspace=WS, capacity_cu=8.0)
        self.engine = FakeEngine()
        versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
        notifier = Notifier()
        self.access = AccessService(SqlAccessStore(self.store.engine), load_cipher(None, data_dir))
        issued = self.access.ensure_admin()
        assert issued is not None
        self.admin: IssuedKey = issued
        self.services = Services(
            deployments=DeploymentService(self.store, self.engine, versions),
            jobs=JobService(self.store, self.engine, notifier),
            savepoints=SavepointService(self.store, self.engine, notifier),
            events=EventService(self.store),
            versions=versions,
            default_workspace=WS,
            access=self.access,
            external_keys=ExternalKeys(SqlExternalKeyStore(self.store.engine)),
            queues=QueueService(self.store, default_workspace=WS),
            default_namespace=NS,
        )

    def add_namespace(self, name: str) -> None:
        with self.store.transaction() as repos:
            repos.create_namespace(
                namespace=Namespace(id=name, workspace=WS, name=name, created_at=datetime.now(UTC))
            )

    def job(self, instance_id: int) -> Job:
        keys = self.services.external_keys
        assert keys is not None
        return self.services.jobs.get(Scope(WS, NS), keys.entity_of(INSTANCES, instance_id, WS))

    def set_status(self, instance_id: int, status: JobStatus) -> None:
        """What the reconciler does when Flink reports the job."""
        with self.store.transaction() as repos:
            job = repos.read_job(job_id=self.job(instance_id).id)
            assert job is not None
            job.move_to(status)
            repos.update_job(job=job)

    def close(self) -> None:
        self.store.close()


class Foas:
    """Sends SDK request objects through the app, signed by the SDK's own client."""

    def __init__(self, http: httpx.AsyncClient, key_id: str, secret: str) -> None:
        self.http = http
        self.acs = AcsClient(key_id, secret, "cn-hangzhou")

    async def send(self, request: RoaRequest, *, acs: AcsClient | None = None) -> httpx.Response:
        request.set_endpoint(HOST)
        request.set_protocol_type("http")
        signed = (acs or self.acs)._make_http_response(HOST, request, 10, 10)
        body = signed.get_body()
        return await self.http.request(
            signed.get_method(),
            signed.get_url(),
            headers=signed.get_headers(),
            content=body.encode() if isinstance(body, str) else body,
        )

    async def ok(self, request: RoaRequest) -> dict[str, Any]:
        response = await self.send(request)
        answer: dict[str, Any] = response.json()
        assert response.status_code == 200, answer
        assert answer["RequestId"] == response.headers["x-acs-request-id"]
        return answer

    async def error(self, request: RoaRequest, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        response = await self.send(request, **kwargs)
        answer: dict[str, Any] = response.json()
        assert response.status_code >= 400, answer
        assert answer["RequestId"] == response.headers["x-acs-request-id"]
        assert answer["HostId"]
        assert answer["Message"]
        return response.status_code, answer


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = World(tmp_path)
    yield built
    built.close()


@pytest.fixture
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    app = create_api(world.services, world.access, dialects=[NATIVE, FOAS], max_body_bytes=8192)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        yield client


@pytest.fixture
def foas(http: httpx.AsyncClient, world: World) -> Foas:
    return Foas(http, world.admin.key.id, world.admin.secret)


def _create(name: str = "orders", **fields: str) -> CreateJobRequest.CreateJobRequest:
    request = CreateJobRequest.CreateJobRequest()
    request.set_projectName("default")
    request.set_jobName(name)
    request.set_jobType("FLINK_STREAM")
    request.set_apiType("SQL")
    request.set_code(SQL)
    request.set_engineVersion("blink-3.6.0")
    request.set_clusterId("default")
    request.set_queueName("root.default")
    request.set_planJson("{}")
    request.set_properties("blink.checkpoint.interval.ms=180000\nblink.job.timeZone=UTC")
    for key, value in fields.items():
        getattr(request, f"set_{key}")(value)
    return request


def _job_request(cls: Any, name: str = "orders") -> Any:
    request = cls()
    request.set_projectName("default")
    request.set_jobName(name)
    return request


def _instance_request(cls: Any, instance: str, name: str = "orders") -> Any:
    request = _job_request(cls, name)
    request.set_instanceId(instance)
    return request


def _modify(instance: str, state: str, **fields: str) -> Any:
    request = _instance_request(ModifyInstanceStateRequest.ModifyInstanceStateRequest, instance)
    request.set_expectState(state)
    for key, value in fields.items():
        getattr(request, f"set_{key}")(value)
    return request


async def test_job_lifecycle_create_start_pause_resume_stop_delete(
    foas: Foas, world: World
) -> None:
    await foas.ok(_create())
    job = (await foas.ok(_job_request(GetJobRequest.GetJobRequest)))["Job"]
    assert job["JobName"] == "orders"
    assert job["ApiType"] == "SQL"
    assert job["Code"] == SQL
    assert job["ProjectName"] == "default"
    assert job["IsCommitted"] is False
    assert job["EngineVersion"] == "blink-3.6.0"

    # Started right after CreateJob: committing is not a precondition.
    start = _job_request(StartJobRequest.StartJobRequest)
    start.set_parameterJson(json.dumps({"startOffset": 1600000000000}))
    instance_id = (await foas.ok(start))["instanceId"]
    assert isinstance(instance_id, int)
    started = world.job(instance_id)
    assert started.restore.job_start_time_ms == 1600000000000
    # The document's run parameters reached Flink's configuration.
    assert started.flink_conf["execution.checkpointing.interval"] == "180000 ms"
    assert started.flink_conf["table.local-time-zone"] == "UTC"

    current = _instance_request(GetInstanceRequest.GetInstanceRequest, "-1")
    instance = (await foas.ok(current))["Instance"]
    assert (instance["Id"], instance["ActualState"], instance["ExpectState"]) == (
        instance_id,
        "WAITING",
        "RUNNING",
    )
    world.set_status(instance_id, JobStatus.RUNNING)
    summary = _instance_request(
        GetInstanceRunSummaryRequest.GetInstanceRunSummaryRequest, str(instance_id)
    )
    assert (await foas.ok(summary))["RunSummary"]["ActualState"] == "RUNNING"

    # A second start while live is refused.
    status, error = await foas.error(_job_request(StartJobRequest.StartJobRequest))
    assert (status, error["Code"]) == (409, "Job.InvalidState")

    await foas.ok(_modify(str(instance_id), "PAUSED", triggerCheckpoint="True"))
    assert world.job(instance_id).desired is DesiredState.SUSPENDED
    world.set_status(instance_id, JobStatus.CANCELLING)
    world.set_status(instance_id, JobStatus.SUSPENDED)
    instance = (await foas.ok(current))["Instance"]
    assert (instance["ActualState"], instance["ExpectState"]) == ("PAUSED", "PAUSED")

    await foas.ok(_modify("-1", "RUNNING", isFlush="False"))
    assert world.job(instance_id).desired is DesiredState.RUNNING
    world.set_status(instance_id, JobStatus.STARTING)
    world.set_status(instance_id, JobStatus.RUNNING)

    await foas.ok(_modify("-1", "TERMINATED", triggerCheckpoint="True"))
    stopped = world.job(instance_id)
    assert stopped.desired is DesiredState.STOPPED
    assert stopped.stop_strategy is StopStrategy.STOP_WITH_SAVEPOINT

    # Live until Flink confirms: no delete, no offline.
    status, error = await foas.error(_job_request(DeleteJobRequest.DeleteJobRequest))
    assert (status, error["Code"]) == (409, "Job.InvalidState")
    world.set_status(instance_id, JobStatus.CANCELLING)
    world.set_status(instance_id, JobStatus.CANCELLED)
    instance = (await foas.ok(current))["Instance"]
    assert (instance["ActualState"], instance["ExpectState"]) == ("TERMINATED", "TERMINATED")

    listed = ListInstanceRequest.ListInstanceRequest()
    listed.set_projectName("default")
    listed.set_jobType("FLINK_STREAM")
    listed.set_isArchived(True)
    page = await foas.ok(listed)
    assert [i["Id"] for i in page["Instances"]["Instance"]] == [instance_id]
    listed.set_isArchived(False)
    assert (await foas.ok(listed))["TotalCount"] == 0

    commit = _job_request(CommitJobRequest.CommitJobRequest)
    commit.set_isOnOff(True)
    commit.set_maxCU(4.5)
    await foas.ok(commit)
    assert (await foas.ok(_job_request(GetJobRequest.GetJobRequest)))["Job"]["IsCommitted"] is True
    await foas.ok(_job_request(OfflineJobRequest.OfflineJobRequest))
    assert (await foas.ok(_job_request(GetJobRequest.GetJobRequest)))["Job"]["IsCommitted"] is False
    # ROA signs the Date to the second and has no nonce: the refused DeleteJob above,
    # sent again within the same second, would be the same signed write (a replay).
    await asyncio.sleep(1.1)
    await foas.ok(_job_request(DeleteJobRequest.DeleteJobRequest))
    status, error = await foas.error(_job_request(GetJobRequest.GetJobRequest))
    assert (status, error["Code"]) == (404, "Job.NotFound")


async def test_list_and_update_jobs(foas: Foas) -> None:
    await foas.ok(_create("a-job"))
    await foas.ok(_create("b-job"))
    update = _job_request(UpdateJobRequest.UpdateJobRequest, "b-job")
    update.set_description("second")
    update.set_code("INSERT INTO t SELECT 1;")
    await foas.ok(update)
    job = (await foas.ok(_job_request(GetJobRequest.GetJobRequest, "b-job")))["Job"]
    assert (job["Description"], job["Code"]) == ("second", "INSERT INTO t SELECT 1;")
    assert job["Properties"].startswith("blink.checkpoint.interval.ms")  # kept

    listing = ListJobRequest.ListJobRequest()
    listing.set_projectName("default")
    listing.set_pageSize(1)
    listing.set_pageIndex(2)
    page = await foas.ok(listing)
    assert (page["TotalCount"], page["TotalPage"], page["PageIndex"]) == (2, 2, 2)
    assert [j["JobName"] for j in page["Jobs"]["Job"]] == ["b-job"]
    listing = ListJobRequest.ListJobRequest()
    listing.set_projectName("default")
    listing.set_jobName("a-")
    assert [j["JobName"] for j in (await foas.ok(listing))["Jobs"]["Job"]] == ["a-job"]


async def test_validate_job_answers_its_tables_or_where_the_sql_is_wrong(
    foas: Foas, world: World
) -> None:
    await foas.ok(_create())
    answer = await foas.ok(_job_request(ValidateJobRequest.ValidateJobRequest))
    inout = answer["JobInOut"]
    assert [t["Name"] for t in inout["Inputs"]] == ["s"]
    assert [(t["Name"], t["Type"]) for t in inout["Outputs"]] == [("t", "blackhole")]
    world.engine.flink.bad_sql = InvalidSql("Object 'u' not found", line=3, column=15)
    status, error = await foas.error(_job_request(ValidateJobRequest.ValidateJobRequest))
    assert (status, error["Code"]) == (400, "Job.InvalidSql")
    assert error["Message"] == "Object 'u' not found (line 3, column 15)"


async def test_errors_are_foas_shaped(foas: Foas, world: World) -> None:
    status, error = await foas.error(_job_request(GetJobRequest.GetJobRequest, "nope"))
    assert (status, error["Code"]) == (404, "Job.NotFound")
    project = GetProjectRequest.GetProjectRequest()
    project.set_projectName("nowhere")
    status, error = await foas.error(project)
    assert (status, error["Code"]) == (404, "Project.NotFound")

    await foas.ok(_create())
    status, error = await foas.error(_instance_request(GetInstanceRequest.GetInstanceRequest, "-1"))
    assert (status, error["Code"]) == (404, "Instance.NotFound")
    status, error = await foas.error(
        _instance_request(GetInstanceRequest.GetInstanceRequest, "abc")
    )
    assert (status, error["Code"]) == (400, "InvalidParameter")
    status, error = await foas.error(_modify("-1", "SUCCESS"))
    assert (status, error["Code"]) == (400, "InvalidParameter")
    start = _job_request(StartJobRequest.StartJobRequest)
    start.set_parameterJson("{not json")
    status, error = await foas.error(start)
    assert (status, error["Code"]) == (400, "InvalidParameter")
    status, error = await foas.error(_create(apiType="SCALA"))
    assert (status, error["Code"]) == (400, "InvalidParameter")
    # (A byte-identical write within the same second would be a replay: ROA has no nonce.)
    status, error = await foas.error(_create(description="the same name again"))
    assert (status, error["Code"]) == (409, "Job.AlreadyExists")

    metric = _job_request(GetInstanceMetricRequest.GetInstanceMetricRequest)
    metric.set_metricJson(json.dumps({"queries": [{"metric": "blink.default.orders.delay"}]}))
    status, error = await foas.error(metric)
    assert (status, error["Code"]) == (400, "InvalidParameter")
    assert "tps.rate" in error["Message"]
    metric.set_metricJson(json.dumps({"queries": [{"metric": "checkpoints"}]}))
    status, error = await foas.error(metric)
    assert (status, error["Code"]) == (404, "Instance.NotFound")

    wrong = AcsClient(world.admin.key.id, "not-the-secret", "cn-hangzhou")
    status, error = await foas.error(_job_request(GetJobRequest.GetJobRequest), acs=wrong)
    assert (status, error["Code"]) == (401, "SignatureDoesNotMatch")


async def test_unknown_paths_and_methods_answer_in_the_foas_envelope(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/api/v2/projects/default/nothing-here")
    assert response.status_code == 404
    assert response.json()["Code"] == "InvalidAction.NotFound"
    assert response.json()["RequestId"] == response.headers["x-acs-request-id"]
    response = await http.patch("/api/v2/projects/default/jobs/x")
    assert response.status_code == 405
    assert {"Code", "Message", "RequestId", "HostId"} <= set(response.json())
    response = await http.post("/api/v2/projects/default/jobs", content=b"x" * 9000)
    assert response.status_code == 413
    assert response.json()["Code"] == "RequestEntityTooLarge"
    # The native dialect keeps its own paths.
    response = await http.get("/api/v2/namespaces/default-namespace/nothing-here")
    assert "Code" not in response.json()


async def test_xml_when_format_is_xml(foas: Foas) -> None:
    await foas.ok(_create())
    request = _job_request(GetJobRequest.GetJobRequest)
    request.add_query_param("Format", "XML")
    response = await foas.send(request)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    root = ElementTree.fromstring(response.text)
    assert root.tag == "GetJobResponse"
    assert root.findtext("Job/JobName") == "orders"
    assert root.findtext("RequestId") == response.headers["x-acs-request-id"]

    request = _job_request(GetJobRequest.GetJobRequest, "nope")
    request.add_query_param("Format", "XML")
    response = await foas.send(request)
    root = ElementTree.fromstring(response.text)
    assert (response.status_code, root.tag, root.findtext("Code")) == (404, "Error", "Job.NotFound")


async def test_projects(foas: Foas) -> None:
    project = GetProjectRequest.GetProjectRequest()
    project.set_projectName("default")
    answer = await foas.ok(project)
    assert (answer["Project"]["Name"], answer["Project"]["Region"]) == ("default", "cn-hangzhou")
    listed = await foas.ok(ListProjectRequest.ListProjectRequest())
    assert [p["Name"] for p in listed["Projects"]["Project"]] == ["default"]


async def test_a_jobs_queue_name_is_its_deployments_queue(foas: Foas, world: World) -> None:
    queues = world.services.queues
    assert queues is not None
    queues.create(SYSTEM, "fast-lane", QueuePatch(capacity_cu=4))
    await foas.ok(_create("queued", queueName="root.fast-lane"))
    assert world.services.deployments.get_by_name(Scope(WS, NS), "queued").queue == "fast-lane"
    job = (await foas.ok(_job_request(GetJobRequest.GetJobRequest, "queued")))["Job"]
    assert job["QueueName"] == "root.fast-lane"
    status, error = await foas.error(_create("lost", queueName="root.nowhere"))
    assert (status, error["Code"]) == (404, "Queue.NotFound")

    update = _job_request(UpdateJobRequest.UpdateJobRequest, "queued")
    update.set_queueName("root.default")
    await foas.ok(update)
    assert world.services.deployments.get_by_name(Scope(WS, NS), "queued").queue == "default"


async def test_a_datastream_job_runs_its_jar_and_main_class(foas: Foas, world: World) -> None:
    create = _create(
        "stream",
        apiType="DATASTREAM",
        code="blink.main.class=com.example.Main\n--comment",
        packages="app.jar,lib.jar",
    )
    await foas.ok(create)
    job = (await foas.ok(_job_request(GetJobRequest.GetJobRequest, "stream")))["Job"]
    assert (job["ApiType"], job["Packages"]) == ("DATASTREAM", "app.jar,lib.jar")
    deployment = world.services.deployments.get_by_name(Scope(WS, NS), "stream")
    assert deployment.artifact.entry_class == "com.example.Main"
    assert deployment.artifact.jar_uri == f"artifacts://{WS}/{NS}/app.jar"
    instance_id = (await foas.ok(_job_request(StartJobRequest.StartJobRequest, "stream")))[
        "instanceId"
    ]
    assert world.job(instance_id).artifact.jar_uri == deployment.artifact.jar_uri


async def _plan(foas: Foas, name: str = "orders") -> dict[str, Any]:
    session = (await foas.ok(_job_request(GetRawPlanJsonRequest.GetRawPlanJsonRequest, name)))[
        "SessionId"
    ]
    check = _job_request(CheckRawPlanJsonRequest.CheckRawPlanJsonRequest, name)
    check.set_sessionId(session)
    for _ in range(50):
        info: dict[str, Any] = (await foas.ok(check))["PlanJsonInfo"]
        if info["Status"] != "Sessionin run":
            return info
    raise AssertionError("planning did not finish")


async def test_raw_plan_json_is_flinks_plan_through_a_session(foas: Foas, world: World) -> None:
    await foas.ok(_create())
    info = await _plan(foas)
    assert (info["Status"], info["ErrorMessage"]) == ("success", "")
    plan = json.loads(info["PlanJson"])
    assert [node["name"] for node in plan["nodes"]] == ["Source: s", "Sink: t"]
    assert plan["links"] == [{"source": "a" * 32, "target": "b" * 32, "ship_strategy": "FORWARD"}]
    assert plan["global"][0]["jobManagerMemoryInMB"] > 0

    world.engine.flink.bad_sql = InvalidSql("Object 'u' not found", line=2, column=4)
    info = await _plan(foas)
    assert (info["Status"], info["ErrorMessage"]) == (
        "fail",
        "Object 'u' not found (line 2, column 4)",
    )

    check = _job_request(CheckRawPlanJsonRequest.CheckRawPlanJsonRequest)
    check.set_sessionId("not-a-session")
    status, error = await foas.error(check)
    assert (status, error["Code"]) == (404, "PlanSession.NotFound")

    resources = await foas.ok(_job_request(CalcPlanJsonResourceRequest.CalcPlanJsonResourceRequest))
    assert resources["PlanJsonResource"]["Cores"] > 0
    assert resources["PlanJsonResource"]["MemoryGB"] > 0
