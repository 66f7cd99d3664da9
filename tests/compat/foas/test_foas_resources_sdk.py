"""Issue 13's resource operations (folders, packages, queues, clusters, tags, projects) through the
official ``aliyun-python-sdk-foas`` SDK, unchanged, against a REAL Millstream server
process (``millstream.server.serve``, the production wiring), configured as
sdk-wire-notes.md §2A says (``AcsClient(ak, sk, region)``, ``set_endpoint``,
``set_protocol_type("http")``, the key pair the server issued on first start).

None of these operations needs a Flink job, so the server's default cluster points at
an address where no Flink answers; nothing here submits anything. Errors come back as
the SDK's ``ServerException`` with the foas code, HTTP status and request id; XML
answers (``Format=XML``) parse as XML.
"""

from __future__ import annotations

import configparser
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkfoas.request.v20181111 import (
    BindQueueRequest,
    CreateFolderRequest,
    CreatePackageRequest,
    CreateProjectRequest,
    CreateQueueRequest,
    DeleteFolderRequest,
    DeletePackageRequest,
    DeleteProjectRequest,
    DeleteQueueRequest,
    GetClusterDetailsRequest,
    GetClusterEngineVersionsRequest,
    GetClusterQueueInfoRequest,
    GetClusterResourceRequest,
    GetFolderRequest,
    GetPackageRequest,
    GetProjectRequest,
    GetRefPackageJobRequest,
    ListChildFolderRequest,
    ListClusterRequest,
    ListPackageRequest,
    ListProjectBindQueueRequest,
    ListProjectBindQueueResourceRequest,
    ListProjectRequest,
    ListTagResourcesRequest,
    MVFolderRequest,
    TagResourcesRequest,
    UnbindQueueRequest,
    UntagResourcesRequest,
    UpdatePackageRequest,
    UpdateProjectConfigRequest,
    UpdateProjectRequest,
    UpdateQueueRequest,
)
from tests.e2e.conftest import free_port, start_server, stop_server, wait_healthy

PROJECT = "default"
NO_FLINK = "http://127.0.0.1:9"  # the discard port: no Flink answers there


class Foas:
    """Sends SDK requests to the server the way sdk-wire-notes.md §2A shows."""

    def __init__(self, endpoint: str, client: AcsClient) -> None:
        self.endpoint = endpoint
        self.client = client

    def raw(self, request: Any) -> bytes:
        request.set_endpoint(self.endpoint)
        request.set_protocol_type("http")
        # A signed nonce: the same write twice within a second is not a replay.
        request.add_header("x-acs-signature-nonce", uuid.uuid4().hex)
        body: bytes = self.client.do_action_with_exception(request)
        return body

    def call(self, request: Any) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(self.raw(request))
        assert answer["RequestId"]
        return answer

    def error(self, request: Any) -> ServerException:
        with pytest.raises(ServerException) as caught:
            self.raw(request)
        error = caught.value
        assert error.get_request_id()
        return error


@pytest.fixture(scope="module")
def foas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Foas]:
    data_dir: Path = tmp_path_factory.mktemp("millstream-foas-resources")
    port = free_port()
    process, log_file = start_server(
        data_dir=data_dir,
        port=port,
        env_overrides={"MILLSTREAM_FLINK__EXTERNAL_REST_URL": NO_FLINK},
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log_file, timeout=120)
        parser = configparser.ConfigParser()
        parser.read(data_dir / "credentials")
        client = AcsClient(
            parser["default"]["access_key_id"],
            parser["default"]["access_key_secret"],
            "cn-hangzhou",
            auto_retry=False,
            timeout=30,
            connect_timeout=10,
        )
        yield Foas(f"127.0.0.1:{port}", client)
    finally:
        stop_server(process)


def _project(cls: Any, **fields: Any) -> Any:
    request = cls()
    request.set_projectName(PROJECT)
    for key, value in fields.items():
        getattr(request, f"set_{key}")(value)
    return request


def _cluster(cls: Any, **fields: Any) -> Any:
    request = cls()
    request.set_clusterId("default")
    for key, value in fields.items():
        getattr(request, f"set_{key}")(value)
    return request


def test_folders_round_trip(foas: Foas) -> None:
    top = foas.call(_project(CreateFolderRequest.CreateFolderRequest, path="/compat"))["FolderId"]
    leaf = foas.call(_project(CreateFolderRequest.CreateFolderRequest, path="/compat/leaf"))
    got = foas.call(_project(GetFolderRequest.GetFolderRequest, path="/compat/leaf"))
    assert got["Folder"] == {"FolderId": leaf["FolderId"], "Path": "/compat/leaf"}
    children = foas.call(_project(ListChildFolderRequest.ListChildFolderRequest, path="/compat"))
    assert [f["Path"] for f in children["Folders"]["Folder"]] == ["/compat/leaf"]
    foas.call(_project(MVFolderRequest.MVFolderRequest, srcPath="/compat", destPath="/moved"))
    moved = foas.call(_project(GetFolderRequest.GetFolderRequest, path="/moved"))
    assert moved["Folder"]["FolderId"] == top
    error = foas.error(_project(DeleteFolderRequest.DeleteFolderRequest, path="/moved"))
    assert (error.get_http_status(), error.get_error_code()) == (409, "OperationDenied")
    foas.call(_project(DeleteFolderRequest.DeleteFolderRequest, path="/moved/leaf"))
    foas.call(_project(DeleteFolderRequest.DeleteFolderRequest, path="/moved"))
    error = foas.error(_project(GetFolderRequest.GetFolderRequest, path="/moved"))
    assert (error.get_http_status(), error.get_error_code()) == (404, "ResourceNotFound")


def test_packages_round_trip(foas: Foas) -> None:
    foas.call(
        _project(
            CreatePackageRequest.CreatePackageRequest,
            packageName="compat.jar",
            type="JAR",
            ossBucket="blinktest2.oss-cn-hangzhou-internal.aliyuncs.com",
            ossEndpoint="oss-cn-hangzhou-internal.aliyuncs.com",
            ossOwner="user1",
            ossPath="path1/path2/a.jar",
            md5="3F7468C153E529B141C326332DF15D05",
            tag='{"function":"group by time"}',
        )
    )
    got = foas.call(_project(GetPackageRequest.GetPackageRequest, packageName="compat.jar"))
    assert (got["Package"]["Type"], got["Package"]["OssPath"]) == ("JAR", "path1/path2/a.jar")
    foas.call(
        _project(
            UpdatePackageRequest.UpdatePackageRequest,
            packageName="compat.jar",
            description="updated",
        )
    )
    listed = foas.call(_project(ListPackageRequest.ListPackageRequest, packageName="compat"))
    assert [(p["PackageName"], p["Description"]) for p in listed["Packages"]["Package"]] == [
        ("compat.jar", "updated")
    ]
    refs = foas.call(
        _project(GetRefPackageJobRequest.GetRefPackageJobRequest, packageName="compat.jar")
    )
    assert (refs["Jobs"]["Job"], refs["TotalCount"]) == ([], 0)
    error = foas.error(
        _project(
            CreatePackageRequest.CreatePackageRequest,
            packageName="compat.jar",
            type="JAR",
            ossPath="x.jar",
        )
    )
    assert (error.get_http_status(), error.get_error_code()) == (409, "Package.AlreadyExists")
    foas.call(_project(DeletePackageRequest.DeletePackageRequest, packageName="compat.jar"))
    error = foas.error(_project(GetPackageRequest.GetPackageRequest, packageName="compat.jar"))
    assert (error.get_http_status(), error.get_error_code()) == (404, "Package.NotFound")


def test_queues_round_trip(foas: Foas) -> None:
    foas.call(
        _cluster(
            CreateQueueRequest.CreateQueueRequest,
            queueName="root.compat_queue",
            maxVcore=200,
            maxMemMB=4096,
        )
    )
    info = foas.call(_cluster(GetClusterQueueInfoRequest.GetClusterQueueInfoRequest))
    queue = {q["QueueName"]: q for q in info["Queues"]["Queue"]}["root.compat-queue"]
    assert (queue["MaxVCore"], queue["MaxMem"], queue["UsedVCore"]) == (200, 8192, 0)
    foas.call(
        _cluster(
            UpdateQueueRequest.UpdateQueueRequest,
            queueName="root.compat-queue",
            maxVcore=300,
            maxMemMB=1024,
        )
    )
    foas.call(
        _project(
            BindQueueRequest.BindQueueRequest, queueName="root.compat-queue", clusterId="default"
        )
    )
    bound = foas.call(_project(ListProjectBindQueueRequest.ListProjectBindQueueRequest))
    assert {"ClusterId": "default", "QueueName": "root.compat-queue"} in bound["Queues"]["Queue"]
    resources = foas.call(
        _project(
            ListProjectBindQueueResourceRequest.ListProjectBindQueueResourceRequest,
            queueName="root.compat-queue",
        )
    )
    assert [q["MaxVCore"] for q in resources["Queues"]["Queue"]] == [300]
    foas.call(
        _project(
            UnbindQueueRequest.UnbindQueueRequest,
            queueName="root.compat-queue",
            clusterId="default",
        )
    )
    foas.call(_cluster(DeleteQueueRequest.DeleteQueueRequest, queueName="root.compat-queue"))
    error = foas.error(
        _cluster(DeleteQueueRequest.DeleteQueueRequest, queueName="root.compat-queue")
    )
    assert (error.get_http_status(), error.get_error_code()) == (404, "Queue.NotFound")


def test_clusters_and_tags(foas: Foas) -> None:
    listed = foas.call(ListClusterRequest.ListClusterRequest())
    assert "default" in [c["ClusterId"] for c in listed["Clusters"]["Cluster"]]
    details = foas.call(_cluster(GetClusterDetailsRequest.GetClusterDetailsRequest))
    assert details["Details"]["State"] == "RUNNING"
    versions = foas.call(_cluster(GetClusterEngineVersionsRequest.GetClusterEngineVersionsRequest))
    assert versions["EngineVersions"]["EngineVersion"]
    resource = foas.call(_cluster(GetClusterResourceRequest.GetClusterResourceRequest))
    assert resource["Resource"]["TotalVirtualCores"] > 0

    tag = TagResourcesRequest.TagResourcesRequest()
    tag.add_query_param("ResourceType", "cluster")
    tag.add_query_param("ResourceIds", '["default"]')
    tag.add_query_param("Tags", '[{"Key": "compat", "Value": "yes"}]')
    foas.call(tag)
    listing = ListTagResourcesRequest.ListTagResourcesRequest()
    listing.set_ResourceType("cluster")
    found = foas.call(listing)["TagResources"]["TagResource"]
    assert {
        "ResourceId": "default",
        "ResourceType": "cluster",
        "TagKey": "compat",
        "TagValue": "yes",
    } in found
    untag = UntagResourcesRequest.UntagResourcesRequest()
    untag.set_ResourceType("cluster")
    untag.set_ResourceIds('["default"]')
    untag.set_All(True)
    foas.call(untag)
    assert foas.call(listing)["TagResources"]["TagResource"] == []


def test_xml_answers_parse(foas: Foas) -> None:
    request = _cluster(GetClusterQueueInfoRequest.GetClusterQueueInfoRequest)
    request.add_query_param("Format", "XML")
    root = ElementTree.fromstring(foas.raw(request))
    assert root.tag == "GetClusterQueueInfoResponse"
    assert "root.default" in [e.text for e in root.iter("QueueName")]


def _named(cls: Any, project: str, **fields: Any) -> Any:
    request = cls()
    request.set_projectName(project)
    for key, value in fields.items():
        getattr(request, f"set_{key}")(value)
    return request


def test_projects_round_trip(foas: Foas) -> None:
    create = CreateProjectRequest.CreateProjectRequest()
    create.set_name("compat-project")
    create.set_description("through the SDK")
    create.set_deployType("cell")
    foas.call(create)
    got = foas.call(_named(GetProjectRequest.GetProjectRequest, "compat-project"))["Project"]
    assert (got["Name"], got["Description"], got["State"]) == (
        "compat-project",
        "through the SDK",
        "ENABLE",
    )
    listed = foas.call(ListProjectRequest.ListProjectRequest())
    assert {"default", "compat-project"} <= {p["Name"] for p in listed["Projects"]["Project"]}
    foas.call(
        _named(UpdateProjectRequest.UpdateProjectRequest, "compat-project", globalJobConfig="a=b")
    )
    config = UpdateProjectConfigRequest.UpdateProjectConfigRequest()
    config.set_ProjectName("compat-project")
    config.set_IsOpenBatchSQL(False)
    foas.call(config)
    got = foas.call(_named(GetProjectRequest.GetProjectRequest, "compat-project"))["Project"]
    assert got["GlobalJobConfig"] == "a=b"
    foas.call(_named(CreateFolderRequest.CreateFolderRequest, "compat-project", path="/x"))

    error = foas.error(create)
    assert (error.get_http_status(), error.get_error_code()) == (409, "Project.AlreadyExists")
    error = foas.error(_named(DeleteProjectRequest.DeleteProjectRequest, "default"))
    assert (error.get_http_status(), error.get_error_code()) == (409, "Project.InUse")

    foas.call(_named(DeleteProjectRequest.DeleteProjectRequest, "compat-project"))
    error = foas.error(_named(GetProjectRequest.GetProjectRequest, "compat-project"))
    assert (error.get_http_status(), error.get_error_code()) == (404, "Project.NotFound")
