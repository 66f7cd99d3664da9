"""The foas resource operations (folders, packages, queues, clusters, tags) over real
services on SQLite, through httpx's ASGITransport.

Requests are built and signed by the official SDK itself (``aliyun-python-sdk-foas``
request classes, ``aliyunsdkcore``'s ROA signer, form bodies), as in
``test_foas_api.py``; every request carries a fresh ``x-acs-signature-nonce`` (a signed
header) so repeating a write within a second is not taken for a replay.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import RoaRequest
from aliyunsdkfoas.request.v20181111 import (
    CreateClusterRequest,
    CreateFolderRequest,
    CreateJobRequest,
    CreatePackageRequest,
    CreateQueueRequest,
    DeleteFolderRequest,
    DeletePackageRequest,
    DestroyClusterRequest,
    ExpandClusterRequest,
    GetClusterDetailsRequest,
    GetClusterEngineVersionsRequest,
    GetClusterMetricsRequest,
    GetClusterQueueInfoRequest,
    GetClusterResourceRequest,
    GetFolderRequest,
    GetPackageRequest,
    GetRefPackageJobRequest,
    ListChildFolderRequest,
    ListClusterRequest,
    ListPackageRequest,
    ListTagResourcesRequest,
    MVFolderRequest,
    TagResourcesRequest,
    UnbindQueueRequest,
    UntagResourcesRequest,
    UpdatePackageRequest,
)

from millstream.api.app import create_api
from millstream.api.foas import FOAS
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
from millstream.control.services.artifacts import ArtifactService
from millstream.control.services.clusters import ClusterService
from millstream.control.services.external_keys import ExternalKeys
from millstream.control.services.folders import FolderService
from millstream.control.services.packages import PackageService
from millstream.control.services.queues import QueueService
from millstream.control.services.sql_files import SqlFileDraft, SqlFileService
from millstream.control.services.tags import TagService
from millstream.domain.clusters import ClusterKind, ClusterStatus
from millstream.engine.artifacts import FsspecArtifactStore
from millstream.store import SqlStore, upgrade
from millstream.store.access import SqlAccessStore
from millstream.store.catalog import SqlCatalogStore
from millstream.store.cipher import load_cipher
from millstream.store.external_keys import SqlExternalKeyStore
from millstream.store.sql_files import SqlFileStore
from tests.fakes import FakeEngine

WS = "default"
NS = "default-namespace"
HOST = "millstream"
PROJECT = "default"
SQL = (
    "CREATE TEMPORARY TABLE s (a INT) WITH ('connector' = 'datagen');\n"
    "CREATE TEMPORARY TABLE t (a INT) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO t SELECT a FROM s;"
)


class _Probe:
    def check(self, rest_url: str) -> dict[str, Any]:  # noqa: ARG002 - every URL answers
        return {"flink-version": "2.3.0"}


class World:
    """The store, the services (catalog, queues and clusters included) and the admin key."""

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
        engine = FakeEngine()
        versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
        notifier = Notifier()
        self.access = AccessService(SqlAccessStore(self.store.engine), load_cipher(None, data_dir))
        issued = self.access.ensure_admin()
        assert issued is not None
        self.admin: IssuedKey = issued
        catalog = SqlCatalogStore(self.store.engine)
        artifacts = ArtifactService(
            self.store, FsspecArtifactStore(str(data_dir / "artifacts")), signing_key=b"k" * 32
        )
        self.services = Services(
            deployments=DeploymentService(self.store, engine, versions),
            jobs=JobService(self.store, engine, notifier),
            savepoints=SavepointService(self.store, engine, notifier),
            events=EventService(self.store),
            versions=versions,
            default_workspace=WS,
            access=self.access,
            external_keys=ExternalKeys(SqlExternalKeyStore(self.store.engine)),
            queues=QueueService(self.store, default_workspace=WS),
            clusters=ClusterService(self.store, _Probe(), versions, default_workspace=WS),
            artifacts=artifacts,
            folders=(folders := FolderService(catalog)),
            sql_files=SqlFileService(SqlFileStore(self.store.engine), folders),
            packages=PackageService(catalog, artifacts),
            tags=TagService(catalog),
            default_namespace=NS,
        )

    def upload(self, name: str, content: bytes = b"PK\x03\x04") -> None:
        artifacts = self.services.artifacts
        assert artifacts is not None
        upload = artifacts.begin_upload(Scope(WS, NS), SYSTEM, name)
        upload.write(content)
        upload.commit()

    def close(self) -> None:
        self.store.close()


class Foas:
    """Sends SDK request objects through the app, signed by the SDK's own client."""

    def __init__(self, http: httpx.AsyncClient, key_id: str, secret: str) -> None:
        self.http = http
        self.acs = AcsClient(key_id, secret, "cn-hangzhou")

    async def send(self, request: RoaRequest) -> httpx.Response:
        request.set_endpoint(HOST)
        request.set_protocol_type("http")
        request.add_header("x-acs-signature-nonce", uuid.uuid4().hex)
        signed = self.acs._make_http_response(HOST, request, 10, 10)
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

    async def error(self, request: RoaRequest) -> tuple[int, dict[str, Any]]:
        response = await self.send(request)
        answer: dict[str, Any] = response.json()
        assert response.status_code >= 400, answer
        assert answer["RequestId"] == response.headers["x-acs-request-id"]
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


def _project(cls: Any, **fields: Any) -> Any:
    request = cls()
    request.set_projectName(PROJECT)
    for key, value in fields.items():
        getattr(request, f"set_{key}")(value)
    return request


def _cluster(cls: Any, cluster: str = "default", **fields: Any) -> Any:
    request = cls()
    request.set_clusterId(cluster)
    for key, value in fields.items():
        getattr(request, f"set_{key}")(value)
    return request


def _job(name: str, **fields: str) -> CreateJobRequest.CreateJobRequest:
    request = _project(CreateJobRequest.CreateJobRequest, jobName=name)
    request.set_jobType("FLINK_STREAM")
    request.set_apiType("SQL")
    request.set_code(SQL)
    for key, value in fields.items():
        getattr(request, f"set_{key}")(value)
    return request


# ----------------------------------------------------------------- folders


async def test_folders_round_trip_through_the_sdk(foas: Foas) -> None:
    created = await foas.ok(_project(CreateFolderRequest.CreateFolderRequest, path="/etl"))
    etl = created["FolderId"]
    assert isinstance(etl, int)
    assert etl > 0
    nested = await foas.ok(_project(CreateFolderRequest.CreateFolderRequest, path="/etl/daily"))
    got = await foas.ok(_project(GetFolderRequest.GetFolderRequest, path="/etl/daily"))
    assert got["Folder"] == {"FolderId": nested["FolderId"], "Path": "/etl/daily"}
    root = await foas.ok(_project(GetFolderRequest.GetFolderRequest, path="/"))
    assert root["Folder"] == {"FolderId": 0, "Path": "/"}
    children = await foas.ok(_project(ListChildFolderRequest.ListChildFolderRequest, path="/"))
    assert children["Folders"]["Folder"] == [{"FolderId": etl, "Path": "/etl"}]

    # A job filed in /etl/daily moves with it and keeps the folder from being deleted.
    await foas.ok(_job("filed", folderId=str(nested["FolderId"])))
    await foas.ok(_project(MVFolderRequest.MVFolderRequest, srcPath="/etl", destPath="/batch"))
    moved = await foas.ok(_project(GetFolderRequest.GetFolderRequest, path="/batch/daily"))
    assert moved["Folder"]["FolderId"] == nested["FolderId"]
    status, error = await foas.error(
        _project(DeleteFolderRequest.DeleteFolderRequest, path="/batch/daily")
    )
    assert (status, error["Code"]) == (409, "OperationDenied")
    assert "holds 1 job" in error["Message"]
    status, error = await foas.error(
        _project(DeleteFolderRequest.DeleteFolderRequest, path="/batch")
    )
    assert "sub-folders" in error["Message"]


async def test_folder_errors_are_clear(foas: Foas) -> None:
    status, error = await foas.error(_project(CreateFolderRequest.CreateFolderRequest))
    assert (status, error["Code"]) == (400, "MissingParameter")
    status, error = await foas.error(
        _project(CreateFolderRequest.CreateFolderRequest, path="/a/../b")
    )
    assert (status, error["Code"]) == (400, "InvalidParameter")
    status, error = await foas.error(
        _project(CreateFolderRequest.CreateFolderRequest, path="/no/parent")
    )
    assert (status, error["Code"]) == (404, "ResourceNotFound")
    status, error = await foas.error(_project(GetFolderRequest.GetFolderRequest, path="/none"))
    assert status == 404
    await foas.ok(_project(CreateFolderRequest.CreateFolderRequest, path="/a"))
    status, error = await foas.error(_project(CreateFolderRequest.CreateFolderRequest, path="/a"))
    assert status == 409
    await foas.ok(_project(DeleteFolderRequest.DeleteFolderRequest, path="/a"))
    status, error = await foas.error(
        _project(GetFolderRequest.GetFolderRequest, path="/a", projectName="nope")
    )
    assert (status, error["Code"]) == (404, "Project.NotFound")


# ----------------------------------------------------------------- packages


def _create_package(name: str = "udf.jar", **fields: str) -> Any:
    values = {
        "packageName": name,
        "type": "JAR",
        "ossBucket": "blinktest2.oss-cn-hangzhou-internal.aliyuncs.com",
        "ossEndpoint": "oss-cn-hangzhou-internal.aliyuncs.com",
        "ossOwner": "user1",
        "ossPath": "path1/path2/a.jar",
        "md5": "3F7468C153E529B141C326332DF15D05",
        "tag": '{"function":"group by time"}',
        "description": "test",
        **fields,
    }
    return _project(CreatePackageRequest.CreatePackageRequest, **values)


async def test_packages_round_trip_through_the_sdk(foas: Foas, world: World) -> None:
    await foas.ok(_create_package())
    got = (await foas.ok(_project(GetPackageRequest.GetPackageRequest, packageName="udf.jar")))[
        "Package"
    ]
    assert got["PackageName"] == "udf.jar"
    assert (got["Type"], got["OssPath"], got["OssOwner"]) == ("JAR", "path1/path2/a.jar", "user1")
    assert got["Md5"] == "3f7468c153e529b141c326332df15d05"
    assert (got["ProjectName"], got["ScanState"], got["Description"]) == (
        "default",
        "SKIP_SCAN",
        "test",
    )
    assert isinstance(got["CreateTime"], int)
    stored = world.services.packages
    assert stored is not None
    assert stored.get(Scope(WS, NS), "udf.jar").location == "oss://blinktest2/path1/path2/a.jar"

    await foas.ok(
        _project(UpdatePackageRequest.UpdatePackageRequest, packageName="udf.jar", description="v2")
    )
    world.upload("words.txt")
    listed = await foas.ok(_project(ListPackageRequest.ListPackageRequest))
    assert [p["PackageName"] for p in listed["Packages"]["Package"]] == ["udf.jar", "words.txt"]
    assert listed["Packages"]["Package"][0]["Description"] == "v2"
    assert (listed["TotalCount"], listed["PageIndex"], listed["TotalPage"]) == (2, 1, 1)
    jars = await foas.ok(_project(ListPackageRequest.ListPackageRequest, type="JAR"))
    assert [p["PackageName"] for p in jars["Packages"]["Package"]] == ["udf.jar"]
    paged = await foas.ok(_project(ListPackageRequest.ListPackageRequest, pageSize=1, pageIndex=2))
    assert [p["PackageName"] for p in paged["Packages"]["Package"]] == ["words.txt"]

    status, error = await foas.error(_create_package())
    assert (status, error["Code"]) == (409, "Package.AlreadyExists")


async def test_a_package_in_use_lists_its_jobs_and_cannot_be_deleted(
    foas: Foas, world: World
) -> None:
    world.upload("lib.jar")
    await foas.ok(_create_package("lib.jar", ossPath="lib.jar", ossBucket=""))
    code = "blink.main.class=com.example.Main"
    await foas.ok(_job("stream", apiType="DATASTREAM", code=code, packages="lib.jar"))
    refs = await foas.ok(
        _project(GetRefPackageJobRequest.GetRefPackageJobRequest, packageName="lib.jar")
    )
    assert [j["JobName"] for j in refs["Jobs"]["Job"]] == ["stream"]
    assert (refs["Jobs"]["Job"][0]["Packages"], refs["TotalCount"]) == ("lib.jar", 1)
    status, error = await foas.error(
        _project(DeletePackageRequest.DeletePackageRequest, packageName="lib.jar")
    )
    assert (status, error["Code"]) == (409, "Package.InUse")
    assert "stream" in error["Message"]

    await foas.ok(_create_package("free.jar"))
    await foas.ok(_project(DeletePackageRequest.DeletePackageRequest, packageName="free.jar"))
    status, error = await foas.error(
        _project(GetPackageRequest.GetPackageRequest, packageName="free.jar")
    )
    assert (status, error["Code"]) == (404, "Package.NotFound")


async def test_package_input_is_checked(foas: Foas) -> None:
    status, error = await foas.error(_create_package(type="WHEEL"))
    assert (status, error["Code"]) == (400, "InvalidParameter")
    assert "JAR" in error["Message"]
    status, error = await foas.error(_create_package(md5="xyz"))
    assert (status, error["Code"]) == (400, "InvalidParameter")
    status, error = await foas.error(_create_package(packageName=""))
    assert (status, error["Code"]) == (400, "MissingParameter")


# ----------------------------------------------------------------- clusters


async def test_clusters_report_what_millstream_runs(foas: Foas) -> None:
    listed = await foas.ok(ListClusterRequest.ListClusterRequest())
    (default,) = listed["Clusters"]["Cluster"]
    assert (default["ClusterId"], default["State"], default["RegionId"]) == (
        "default",
        "RUNNING",
        "cn-hangzhou",
    )
    details = await foas.ok(_cluster(GetClusterDetailsRequest.GetClusterDetailsRequest))
    assert details["Details"]["ClusterId"] == "default"
    assert json.loads(details["Details"]["InstanceInfos"])[0]["role"] == "external"
    versions = await foas.ok(
        _cluster(GetClusterEngineVersionsRequest.GetClusterEngineVersionsRequest)
    )
    assert versions["EngineVersions"]["EngineVersion"][0] == "flink-2.3.0"

    # 8 CU in the default queue, none used yet.
    resource = (await foas.ok(_cluster(GetClusterResourceRequest.GetClusterResourceRequest)))[
        "Resource"
    ]
    assert (resource["TotalVirtualCores"], resource["TotalMB"]) == (800, 32768)
    assert resource["AllocatedVirtualCores"] == 0
    metrics = await foas.ok(
        _cluster(
            GetClusterMetricsRequest.GetClusterMetricsRequest,
            metricJson=json.dumps(
                {"queries": [{"metric": "default.cu.total"}, {"metric": "cu.free"}]}
            ),
        )
    )
    summaries = [(m["MetricName"], m["Summary"]) for m in metrics["Metrics"]["Metric"]]
    assert summaries == [("default.cu.total", 8.0), ("cu.free", 8.0)]
    status, error = await foas.error(
        _cluster(
            GetClusterMetricsRequest.GetClusterMetricsRequest,
            metricJson='{"metric": "cpu.user"}',
        )
    )
    assert (status, error["Code"]) == (400, "InvalidParameter")
    assert "cu.used" in error["Message"]

    status, error = await foas.error(
        _cluster(GetClusterDetailsRequest.GetClusterDetailsRequest, cluster="nope")
    )
    assert (status, error["Code"]) == (404, "Cluster.NotFound")
    status, error = await foas.error(
        _cluster(ExpandClusterRequest.ExpandClusterRequest, count=5, model="Ecs_4c16g")
    )
    assert (status, error["Code"]) == (400, "OperationDenied")
    assert "session clusters only" in error["Message"]


async def test_create_and_destroy_cluster_run_a_session_cluster(foas: Foas, world: World) -> None:
    created = await foas.ok(_create_cluster("analytics", "for the analysts"))
    assert created["ClusterId"] == "analytics"
    clusters = world.services.clusters
    assert clusters is not None
    session = clusters.get_session_cluster(Scope(WS, NS), "analytics")
    assert session.status is ClusterStatus.STARTING
    listed = await foas.ok(ListClusterRequest.ListClusterRequest())
    by_id = {c["ClusterId"]: c for c in listed["Clusters"]["Cluster"]}
    assert (by_id["analytics"]["State"], by_id["analytics"]["Description"]) == (
        "STARTING",
        "for the analysts",
    )
    await foas.ok(_cluster(DestroyClusterRequest.DestroyClusterRequest, cluster="analytics"))
    assert clusters.get_session_cluster(Scope(WS, NS), "analytics").status is (
        ClusterStatus.STOPPING
    )
    status, error = await foas.error(_cluster(DestroyClusterRequest.DestroyClusterRequest))
    assert (status, error["Code"]) == (400, "OperationDenied")
    status, error = await foas.error(_create_cluster("Bad_Name", ""))
    assert (status, error["Code"]) == (400, "InvalidParameter")
    assert "displayName" in error["Message"]


def _create_cluster(name: str, description: str) -> Any:
    request = CreateClusterRequest.CreateClusterRequest()
    for key, value in {
        "displayName": name,
        "description": description,
        "orderId": "blinkonecs_1234",
        "userOssBucket": "b",
        "userVpcId": "vpc-a",
        "userVSwitch": "vsw-a",
        "zoneId": "cn-shanghai-f",
    }.items():
        getattr(request, f"set_{key}")(value)
    return request


# ----------------------------------------------------------------- queues


async def test_queue_sizes_and_units(foas: Foas, world: World) -> None:
    await foas.ok(
        _cluster(
            CreateQueueRequest.CreateQueueRequest,
            queueName="root.etl",
            maxVcore=150,
            maxMemMB=4096,
        )
    )
    queues = world.services.queues
    assert queues is not None
    assert queues.get("etl").queue.capacity_cu == 1.5
    info = await foas.ok(_cluster(GetClusterQueueInfoRequest.GetClusterQueueInfoRequest))
    etl = {q["QueueName"]: q for q in info["Queues"]["Queue"]}["root.etl"]
    assert (etl["MaxVCore"], etl["MinVCore"], etl["MaxMem"], etl["MaxGpu"]) == (150, 150, 6144, 0)
    assert json.loads(etl["ExternalInfo"])["capacityCu"] == 1.5
    status, error = await foas.error(
        _cluster(CreateQueueRequest.CreateQueueRequest, queueName="root.gpu", maxVcore=100, gpu=1)
    )
    assert (status, error["Code"]) == (400, "InvalidParameter")
    status, error = await foas.error(
        _cluster(CreateQueueRequest.CreateQueueRequest, queueName="root.etl", maxVcore=100)
    )
    assert (status, error["Code"]) == (409, "Queue.AlreadyExists")
    status, error = await foas.error(
        _cluster(CreateQueueRequest.CreateQueueRequest, queueName="q", maxVcore=1, cluster="x")
    )
    assert (status, error["Code"]) == (404, "Cluster.NotFound")
    status, error = await foas.error(
        _project(UnbindQueueRequest.UnbindQueueRequest, queueName="root.etl")
    )
    assert (status, error["Code"]) == (400, "InvalidParameter")  # open, not bound


# ----------------------------------------------------------------- tags


async def test_tags_on_clusters(foas: Foas) -> None:
    tag = TagResourcesRequest.TagResourcesRequest()
    tag.add_query_param("ResourceType", "ALIYUN::FOAS::CLUSTER")
    tag.add_query_param("ResourceIds", '["default"]')
    tag.add_query_param(
        "Tags", '[{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "prod"}]'
    )
    await foas.ok(tag)

    listing = ListTagResourcesRequest.ListTagResourcesRequest()
    listing.set_ResourceType("cluster")
    listing.set_ResourceIds('["default"]')
    listed = await foas.ok(listing)
    assert [
        (t["ResourceId"], t["TagKey"], t["TagValue"]) for t in listed["TagResources"]["TagResource"]
    ] == [
        ("default", "env", "prod"),
        ("default", "team", "data"),
    ]
    assert listed["NextToken"] == ""

    untag = UntagResourcesRequest.UntagResourcesRequest()
    untag.set_ResourceType("cluster")
    untag.set_ResourceIds('["default"]')
    untag.set_TagKeys('["env"]')
    await foas.ok(untag)
    filtered = ListTagResourcesRequest.ListTagResourcesRequest()
    filtered.set_ResourceType("cluster")
    filtered.set_Tags('[{"Key": "team", "Value": "data"}]')
    found = await foas.ok(filtered)
    assert [t["TagKey"] for t in found["TagResources"]["TagResource"]] == ["team"]

    bad = TagResourcesRequest.TagResourcesRequest()
    bad.add_query_param("ResourceType", "cluster")
    bad.add_query_param("ResourceIds", '["missing"]')
    bad.add_query_param("Tags", '[{"Key": "a", "Value": "b"}]')
    status, error = await foas.error(bad)
    assert (status, error["Code"]) == (404, "Cluster.NotFound")


async def test_xml_answers_parse_as_xml(foas: Foas) -> None:
    await foas.ok(_project(CreateFolderRequest.CreateFolderRequest, path="/x"))
    request = _project(ListChildFolderRequest.ListChildFolderRequest, path="/")
    request.add_query_param("Format", "XML")
    response = await foas.send(request)
    assert response.status_code == 200, response.text
    root = ElementTree.fromstring(response.text)
    assert root.tag == "ListChildFolderResponse"
    assert [e.text for e in root.iter("Path")] == ["/x"]


async def test_a_folder_holding_a_native_sql_file_is_not_deleted(foas: Foas, world: World) -> None:
    created = await foas.ok(_project(CreateFolderRequest.CreateFolderRequest, path="/drafts"))
    sql_files = world.services.sql_files
    assert sql_files is not None
    scope = Scope(WS, NS)
    kept = sql_files.create(
        scope, SYSTEM, SqlFileDraft(name="q.sql", folder_id=created["FolderId"], script="SELECT 1")
    )
    status, error = await foas.error(
        _project(DeleteFolderRequest.DeleteFolderRequest, path="/drafts")
    )
    assert (status, error["Code"]) == (409, "OperationDenied")
    assert "SQL file" in error["Message"]
    sql_files.delete(scope, SYSTEM, kept.id)
    await foas.ok(_project(DeleteFolderRequest.DeleteFolderRequest, path="/drafts"))
