"""The Volcengine dialect over real services on SQLite, through httpx's ASGITransport.

Requests are signed with the official SDK's own signer (``SignerV4``) exactly as the SDK
sends them (POST ``/?Action=..&Version=2025-01-01`` with a JSON body; GET with query
parameters); Flink is the fake engine and the reconciler's part (STARTING -> RUNNING,
savepoint completion) is played by the test through the store.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from volcenginesdkcore.signv4 import SignerV4

from millstream.api.app import create_api
from millstream.api.native import NATIVE
from millstream.api.volcengine import VOLCENGINE, instances, resource_pools
from millstream.api.volcengine.ids import INSTANCES
from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.ports import Page
from millstream.control.services import (
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.services.access import AccessService, IssuedKey
from millstream.control.services.clusters import ClusterService
from millstream.control.services.external_keys import ExternalKeys
from millstream.control.services.locator import Locator
from millstream.domain.access import Role
from millstream.domain.clusters import ClusterKind, ClusterStatus
from millstream.domain.jobs import JobStatus
from millstream.domain.savepoints import SavepointState
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


class _Probe:
    def check(self, rest_url: str) -> dict[str, Any]:  # noqa: ARG002 - every URL answers
        return {"flink-version": "2.3.0"}


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
            clusters=ClusterService(self.store, _Probe(), versions, default_workspace=WS),
            access=self.access,
            external_keys=ExternalKeys(SqlExternalKeyStore(self.store.engine)),
            locator=Locator(self.store),
            default_namespace=NS,
        )

    def set_job_status(self, job_id: str, status: JobStatus) -> None:
        """What the reconciler does when Flink reports the job."""
        with self.store.transaction() as repos:
            job = repos.read_job(job_id=job_id)
            assert job is not None
            job.move_to(status)
            repos.update_job(job=job)

    def complete_savepoints(self) -> list[str]:
        scope = Scope(WS, NS)
        done = []
        with self.store.transaction() as repos:
            found, _ = repos.read_savepoints(
                workspace=scope.workspace, namespace=scope.namespace, page=Page(0, 100)
            )
            for savepoint in found:
                if savepoint.state is SavepointState.STARTED:
                    savepoint.state = SavepointState.COMPLETED
                    savepoint.location = f"file:///state/savepoints/{savepoint.id}"
                    repos.update_savepoint(savepoint=savepoint)
                    done.append(savepoint.id)
        return done

    def close(self) -> None:
        self.store.close()


def build_app(world: World) -> FastAPI:
    """The production app (signatures, roles, audit) serving both dialects."""
    return create_api(world.services, world.access, dialects=[NATIVE, VOLCENGINE])


class Volc:
    """Signs like the SDK; returns the response (status and envelope are the test's)."""

    def __init__(self, http: httpx.AsyncClient, key_id: str, secret: str) -> None:
        self.http = http
        self.key_id = key_id
        self.secret = secret
        self.invocation = 0

    async def send(
        self,
        action: str,
        body: dict[str, Any] | None = None,
        *,
        method: str = "POST",
        query: dict[str, str] | None = None,
        version: str = "2025-01-01",
        secret: str | None = None,
        raw_body: bytes | None = None,
        invocation_id: str | None = None,
        attempt: int = 1,
        signed_text: str | None = None,
    ) -> httpx.Response:
        params = {"Action": action, "Version": version, **(query or {})}
        self.invocation += 1
        headers = {
            "Accept": "application/json",
            "X-Sdk-Invocation-Id": invocation_id or f"invocation-{self.invocation}",
            "X-Sdk-Request": f"attempt={attempt}; max=4",
            "Host": HOST,
            "Content-Type": "application/json" if method == "POST" else "text/plain",
        }
        text = json.dumps(body or {}) if method == "POST" else ""
        if signed_text is not None:
            text = signed_text
        SignerV4.sign(
            "/",
            method,
            headers,
            text,
            [],
            list(params.items()),
            self.key_id,
            secret or self.secret,
            "cn-beijing",
            "flink",
        )
        content = raw_body if raw_body is not None else text.encode()
        return await self.http.request(
            method, "/?" + urlencode(params), content=content, headers=headers
        )

    async def ok(self, action: str, body: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        response = await self.send(action, body, **kwargs)
        envelope = response.json()
        assert response.status_code == 200, envelope
        assert envelope["ResponseMetadata"]["Action"] == action
        assert "Error" not in envelope["ResponseMetadata"]
        return envelope["Result"]

    async def error(
        self, action: str, body: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[int, dict[str, Any]]:
        response = await self.send(action, body, **kwargs)
        metadata = response.json()["ResponseMetadata"]
        assert response.status_code >= 400, metadata
        assert metadata["RequestId"] == response.headers["x-tt-logid"]
        error: dict[str, Any] = metadata["Error"]
        return response.status_code, error


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = World(tmp_path)
    yield built
    built.close()


@pytest.fixture
async def volc(world: World) -> AsyncIterator[Volc]:
    transport = httpx.ASGITransport(app=build_app(world), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as http:
        yield Volc(http, world.admin.key.id, world.admin.secret)


def _app(name: str = "orders", **extra: Any) -> dict[str, Any]:
    app = {
        "JobName": name,
        "JobType": "FLINK_STREAMING_SQL",
        "ProjectId": "default",
        "EngineVersion": "FLINK_VERSION_1_16",
        "SqlText": SQL,
        "DeployRequest": {"ResourcePool": "default", "SchedulePolicy": "GANG"},
        "Conf": {"pipeline.name": name},
    }
    app.update(extra)
    return app


async def test_start_with_an_app_block_creates_and_starts_it(volc: Volc) -> None:
    result = await volc.ok("StartApplicationInstance", {"App": _app(UniqueKey="orders-1")})
    assert result["Success"] is True
    assert result["Id"].isdigit()
    assert result["InstanceId"].isdigit()
    instance = await volc.ok("GetApplicationInstance", {"InstanceId": result["InstanceId"]})
    assert (instance["State"], instance["JobName"], instance["ApplicationId"]) == (
        "STARTING",
        "orders",
        result["Id"],
    )
    assert instance["JobType"] == "FLINK_STREAMING_SQL"
    assert json.loads(instance["Conf"]) == {"pipeline.name": "orders"}
    assert instance["DeployRequest"]["ResourcePool"] == "default"


async def test_writes_are_audited_with_operation_and_project(volc: Volc, world: World) -> None:
    await volc.ok("StartApplicationInstance", {"App": _app()})
    await volc.ok("ListGWSApplication", {"PageNum": 1, "PageSize": 10, "ProjectId": "default"})
    admin = Actor(world.admin.user.id, world.admin.user.name)
    entries, _ = world.access.read_audit(admin, Scope(WS, NS), Page(0, 10))
    assert [(e.action, e.namespace, e.status_code) for e in entries] == [
        ("volcengine:StartApplicationInstance", NS, 200)
    ]


async def test_a_retried_start_with_the_same_unique_key_starts_one_instance(volc: Volc) -> None:
    first = await volc.ok("StartApplicationInstance", {"App": _app(UniqueKey="k-1")})
    again = await volc.ok(
        "StartApplicationInstance", {"App": _app(UniqueKey="k-1")}, invocation_id="other"
    )
    assert again == first
    listed = await volc.ok(
        "ListApplicationInstance",
        {
            "JobId": int(first["Id"]),
            "PageNum": "1",
            "PageSize": "10",
            "ProjectId": "default",
            "State": "ALL",
        },
    )
    assert listed["Total"] == 1


async def test_a_retry_racing_the_first_attempt_finds_its_application(
    volc: Volc, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await volc.ok("StartApplicationInstance", {"App": _app(UniqueKey="race")})
    original = instances._by_unique_key
    lookups: list[str] = []

    def not_committed_yet(call: Any, scope: Scope, unique_key: str) -> Any:
        lookups.append(unique_key)
        # The first lookup runs before the first attempt committed its application.
        return None if len(lookups) == 1 else original(call, scope, unique_key)

    monkeypatch.setattr(instances, "_by_unique_key", not_committed_yet)
    again = await volc.ok(
        "StartApplicationInstance", {"App": _app(UniqueKey="race")}, invocation_id="x", attempt=2
    )
    assert again == first
    assert lookups == ["race", "race"]


async def test_an_sdk_retry_of_a_start_by_id_starts_one_instance(volc: Volc, world: World) -> None:
    created = await volc.ok("StartApplicationInstance", {"App": _app()})
    await volc.ok("CancelApplicationInstance", {"InstanceId": created["InstanceId"]})
    world.set_job_status(_job(world, created), JobStatus.CANCELLED)
    body = {"Id": created["Id"], "RestoreStrategy": {"Type": "FROM_NEW"}}
    first = await volc.ok("StartApplicationInstance", body, invocation_id="retry-me")
    retried = await volc.ok("StartApplicationInstance", body, invocation_id="retry-me", attempt=2)
    assert retried["InstanceId"] == first["InstanceId"] != created["InstanceId"]


def _job(world: World, result: dict[str, Any]) -> str:
    keys = world.services.external_keys
    assert keys is not None
    return keys.entity_of(INSTANCES, int(result["InstanceId"]), WS)


async def test_start_without_id_or_app_is_the_seed_error(volc: Volc) -> None:
    status, error = await volc.error("StartApplicationInstance", {"Id": ""})
    assert status == 404
    assert error["Code"] == "NotFound.Application"
    assert error["Message"].startswith("app id is empty or invalid")
    status, error = await volc.error("StartApplicationInstance", {"Id": "999999"})
    assert (status, error["Code"]) == (404, "NotFound.Application")


async def test_start_while_running_is_a_conflict(volc: Volc) -> None:
    created = await volc.ok("StartApplicationInstance", {"App": _app()})
    status, error = await volc.error("StartApplicationInstance", {"Id": created["Id"]})
    assert (status, error["Code"]) == (409, "OperationDenied.InstanceAlreadyRunning")
    # In the SDK's words: integer ids and the Volcengine state, no Millstream UUID.
    assert error["Message"] == (
        f"application {created['Id']} ('orders') already has a running instance "
        f"{created['InstanceId']} (STARTING); cancel it first"
    )


@pytest.mark.parametrize("version", ["FLINK_VERSION_1_11", "FLINK_VERSION_1_17"])
async def test_the_sdks_engine_versions_start(volc: Volc, version: str) -> None:
    result = await volc.ok("StartApplicationInstance", {"App": _app(EngineVersion=version)})
    instance = await volc.ok("GetApplicationInstance", {"InstanceId": result["InstanceId"]})
    assert instance["EngineVersion"] == version


async def test_an_unknown_engine_version_is_a_clear_error(volc: Volc) -> None:
    # Found by acceptance testing: a FLINK_VERSION_* glob alias made any value start a job.
    status, error = await volc.error(
        "StartApplicationInstance", {"App": _app(EngineVersion="FLINK_VERSION_9_99")}
    )
    assert (status, error["Code"]) == (400, "InvalidParameter.EngineVersion")
    assert "FLINK_VERSION_9_99" in error["Message"]
    listed = await volc.ok(
        "ListGWSApplication", {"PageNum": 1, "PageSize": 10, "ProjectId": "default"}
    )
    assert listed["Total"] == 0


async def test_savepoint_cancel_and_restore_from_it(volc: Volc, world: World) -> None:
    created = await volc.ok("StartApplicationInstance", {"App": _app()})
    job_id = _job(world, created)
    status, error = await volc.error(
        "CreateGWSSavepoint", {"Id": created["Id"], "Description": "x"}
    )
    assert (status, error["Code"]) == (409, "OperationDenied.InstanceNotRunning")
    assert error["Message"].startswith(f"application {created['Id']} ('orders') has no RUNNING")
    world.set_job_status(job_id, JobStatus.RUNNING)
    taken = await volc.ok("CreateGWSSavepoint", {"Id": created["Id"], "Description": "before"})
    assert taken["InstanceId"] == created["InstanceId"]
    [savepoint_id] = world.complete_savepoints()
    listed = await volc.ok("ListGWSSavepoint", {"Id": created["Id"]})
    [info] = listed["SavepointInfos"]
    assert (info["SavepointId"], info["Status"], info["CreateType"], info["Description"]) == (
        savepoint_id,
        "COMPLETED",
        "MANUAL",
        "before",
    )
    methods = await volc.ok("GetGWSStartMethod", {"Id": created["Id"]})
    assert methods["EnableStartMethods"] == ["FROM_NEW", "FROM_LATEST", "FROM_SAVEPOINT"]
    assert methods["AvailableSavepoints"][0]["SavepointId"] == savepoint_id
    cancelled = await volc.ok("CancelApplicationInstance", {"InstanceId": created["InstanceId"]})
    assert cancelled["Success"] is True
    # A retried cancel (the SDK retries 5xx) succeeds too.
    await volc.ok("CancelApplicationInstance", {"InstanceId": created["InstanceId"]})
    world.set_job_status(job_id, JobStatus.CANCELLED)
    stopped = await volc.ok("GetApplicationInstance", {"InstanceId": created["InstanceId"]})
    assert stopped["State"] == "STOPPED"
    restored = await volc.ok(
        "StartApplicationInstance",
        {
            "Id": created["Id"],
            "RestoreStrategy": {"Type": "FROM_SAVEPOINT", "SavepointId": savepoint_id},
        },
    )
    new_job = world.services.jobs.get(Scope(WS, NS), _job(world, restored))
    assert new_job.restore.savepoint_id == savepoint_id


async def test_list_instances_filters_and_pages(volc: Volc, world: World) -> None:
    first = await volc.ok("StartApplicationInstance", {"App": _app("a")})
    second = await volc.ok("StartApplicationInstance", {"App": _app("b")})
    world.set_job_status(_job(world, second), JobStatus.RUNNING)
    base = {"JobId": 0, "PageNum": "1", "PageSize": "10", "ProjectId": "default"}
    everything = await volc.ok("ListApplicationInstance", {**base, "State": "ALL"})
    assert everything["Total"] == 2
    running = await volc.ok("ListApplicationInstance", {**base, "State": "RUNNING"})
    assert [r["Id"] for r in running["Records"]] == [second["InstanceId"]]
    by_app = await volc.ok(
        "ListApplicationInstance", {**base, "JobId": int(first["Id"]), "State": "STARTING"}
    )
    assert [r["Id"] for r in by_app["Records"]] == [first["InstanceId"]]
    paged = await volc.ok("ListApplicationInstance", {**base, "PageSize": "1", "State": "ALL"})
    assert (paged["Total"], len(paged["Records"]), paged["Size"]) == (2, 1, 1)
    status, error = await volc.error("ListApplicationInstance", {**base, "State": "NAPPING"})
    assert (status, error["Code"]) == (400, "InvalidParameter")


async def test_draft_update_deploy_list_and_restart(volc: Volc) -> None:
    draft = await volc.ok(
        "CreateGWSApplicationDraft",
        {
            "JobName": "drafted",
            "JobType": "FLINK_STREAMING_SQL",
            "ProjectId": "default",
            "EngineVersion": "FLINK_VERSION_1_17",
            "DirectoryId": 0,
        },
    )
    assert draft["State"] == "DRAFT"
    status, error = await volc.error(
        "DeployGWSApplicationDraft",
        {
            "DraftId": draft["Id"],
            "ProjectId": "default",
            "Queue": "",
            "ResourcePool": "default",
            "SchedulePolicy": "GANG",
        },
    )
    assert (status, error["Code"]) == (404, "NotFound.Application")
    await volc.ok(
        "UpdateGWSApplicationDraft",
        {
            "Id": draft["Id"],
            "JobName": "drafted",
            "JobType": "FLINK_STREAMING_SQL",
            "EngineVersion": "FLINK_VERSION_1_17",
            "ProjectId": "default",
            "DirectoryId": "0",
            "SqlText": SQL,
            "DynamicOptions": '{"parallelism.default": "1"}',
        },
    )
    listed = await volc.ok(
        "ListGWSApplication", {"PageNum": 1, "PageSize": 10, "ProjectId": "default"}
    )
    assert listed["Total"] == 0  # a draft is not an application yet
    deployed = await volc.ok(
        "DeployGWSApplicationDraft",
        {
            "DraftId": draft["Id"],
            "ProjectId": "default",
            "Queue": "",
            "ResourcePool": "default",
            "SchedulePolicy": "GANG",
            "Priority": "3",
            "ScheduleTimeout": 30,
        },
    )
    listed = await volc.ok(
        "ListGWSApplication", {"PageNum": 1, "PageSize": 10, "ProjectId": "default"}
    )
    [record] = listed["Records"]
    assert (record["Id"], record["JobName"], record["State"], record["JobPriority"]) == (
        deployed["Id"],
        "drafted",
        "CREATED",
        "3",
    )
    assert record["DeployRequest"]["ScheduleTimeout"] == "30"
    restarted = await volc.ok("RestartGWSApplication", {"Id": deployed["Id"], "Type": "FROM_NEW"})
    assert restarted["InstanceId"].isdigit()


async def test_resource_pools_are_clusters(volc: Volc) -> None:
    created = await volc.ok(
        "CreateGMCSResourcePool",
        {
            "Name": "pool-a",
            "ProjectId": "default",
            "RegionId": "cn-beijing",
            "ZoneId": "z",
            "VpcId": "v",
            "BillingType": "PostPaid",
            "Resources": [{"Capability": 3, "Units": "CU"}],
            "Tags": [{"Key": "team", "Value": "x"}],
        },
    )
    assert created["TradeConfigId"] == "pool-a"
    pool = await volc.ok("GetGMCSResourcePool", method="GET", query={"Id": "pool-a"})
    assert (pool["Id"], pool["Status"], pool["Resources"][0]["Capability"]) == (
        "pool-a",
        "CREATING",
        3,
    )
    await volc.ok(
        "UpdateGMCSResourcePool",
        {"ResourcePoolId": "pool-a", "Resources": [{"Capability": 5, "Units": "CU"}]},
    )
    listed = await volc.ok(
        "ListGMCSResources", {"ProjectId": "default", "PageNum": 1, "PageSize": 10}
    )
    assert {p["Id"] for p in listed["DataList"]} == {"default", "pool-a"}
    assert {p["Id"]: p["Resources"][0]["Capability"] for p in listed["DataList"]}["pool-a"] == 5
    status, error = await volc.error("DeleteGMCSResource", {"ResourcePoolId": "default"})
    assert (status, error["Code"]) == (400, "OperationDenied.DefaultResourcePool")
    status, error = await volc.error("GetGMCSResourcePool", method="GET", query={"Id": "nope"})
    assert (status, error["Code"]) == (404, "NotFound.ResourcePool")


async def test_deleting_a_pool_stops_it_first(
    volc: Volc, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resource_pools, "STOP_WAIT_SECONDS", 0.5)
    for name in ("pool-b", "pool-c"):
        await volc.ok("CreateGMCSResourcePool", {"Name": name, "ProjectId": "default"})
    # Nothing stops pool-b here (no reconciler): the delete says it is still stopping.
    status, error = await volc.error("DeleteGMCSResource", {"ResourcePoolId": "pool-b"})
    assert (status, error["Code"]) == (409, "OperationDenied.ResourcePoolNotStopped")
    # pool-c has stopped (the reconciler's part, played here): it goes.
    with world.store.transaction() as repos:
        cluster = repos.read_cluster(workspace=WS, name="pool-c")
        assert cluster is not None
        cluster.status = ClusterStatus.STOPPED
        repos.update_cluster(cluster=cluster)
    deleted = await volc.ok("DeleteGMCSResource", {"ResourcePoolId": "pool-c"})
    assert deleted == {"OrderId": "pool-c"}
    status, error = await volc.error("GetGMCSResourcePool", method="GET", query={"Id": "pool-c"})
    assert status == 404


async def test_unknown_action_and_version_and_method(volc: Volc) -> None:
    status, error = await volc.error("DescribeEverything", {})
    assert (status, error["Code"]) == (404, "InvalidActionOrVersion")
    status, error = await volc.error(
        "GetApplicationInstance", {"InstanceId": "1"}, version="2024-01-01"
    )
    assert (status, error["Code"]) == (404, "InvalidActionOrVersion")
    response = await volc.http.put("/?Action=GetApplicationInstance&Version=2025-01-01")
    assert response.status_code == 405
    assert response.json()["ResponseMetadata"]["Error"]["Code"] == "MethodNotAllowed"


async def test_bad_json_and_bad_fields_are_400(volc: Volc) -> None:
    status, error = await volc.error("GetApplicationInstance", raw_body=b"{not json")
    # The body is not the signed one either; the signature check answers first.
    assert status == 401
    response = await volc.send("GetApplicationInstance", None)
    assert response.status_code == 400
    error = response.json()["ResponseMetadata"]["Error"]
    assert error["Code"] == "InvalidParameter"
    assert "InstanceId" in error["Message"]


@pytest.mark.parametrize("depth", [40, 100_000])
async def test_deeply_nested_bodies_are_400(volc: Volc, depth: int) -> None:
    text = '{"InstanceId": "1", "Deep": ' + "[" * depth + "]" * depth + "}"
    status, error = await volc.error("GetApplicationInstance", signed_text=text)
    assert (status, error["Code"]) == (400, "InvalidParameter.MalformedJson")


async def test_authentication_failures_are_in_the_envelope(volc: Volc) -> None:
    status, error = await volc.error(
        "GetApplicationInstance", {"InstanceId": "1"}, secret="wrong-secret"
    )
    assert (status, error["Code"]) == (401, "SignatureDoesNotMatch")
    response = await volc.http.post(
        "/?Action=GetApplicationInstance&Version=2025-01-01", content=b"{}"
    )
    assert response.status_code == 401
    metadata = response.json()["ResponseMetadata"]
    assert metadata["Error"]["Code"] == "MissingAuthenticationToken"
    assert metadata["Action"] == "GetApplicationInstance"
    # Another API's scheme (HTTP Basic works on the native API only) is named as
    # unsupported, with the scheme this API does take.
    response = await volc.http.post(
        "/?Action=GetApplicationInstance&Version=2025-01-01",
        content=b"{}",
        headers={"Authorization": "Basic TVM6c2VjcmV0"},
    )
    assert response.status_code == 401
    error = response.json()["ResponseMetadata"]["Error"]
    assert error["Code"] == "InvalidAuthorization"
    assert error["Message"] == "unsupported Authorization scheme; this API accepts HMAC-SHA256"


async def test_a_viewer_reads_but_cannot_start(volc: Volc, world: World) -> None:
    admin = Actor(world.admin.user.id, world.admin.user.name)
    viewer = world.access.create_user("viewer")
    world.access.create_member(admin, Scope(WS, NS), "viewer", Role.VIEWER)
    issued = world.access.create_key(admin, user="viewer")
    as_viewer = Volc(volc.http, issued.key.id, issued.secret)
    listed = await as_viewer.ok(
        "ListGWSApplication", {"PageNum": 1, "PageSize": 10, "ProjectId": "default"}
    )
    assert listed["Total"] == 0
    status, error = await as_viewer.error("StartApplicationInstance", {"App": _app()})
    assert (status, error["Code"]) == (403, "AccessDenied")
    status, error = await as_viewer.error(
        "ListGWSApplication", {"PageNum": 1, "PageSize": 10, "ProjectId": "elsewhere"}
    )
    assert status == 404
    assert viewer.name == "viewer"
