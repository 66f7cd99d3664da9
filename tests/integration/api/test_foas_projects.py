"""The foas project operations (CreateProject, GetProject, ListProject, UpdateProject,
UpdateProjectConfig, DeleteProject) and the job rules that depend on a project (folder
ids, registered package locations, batch SQL) over real services on SQLite, through
httpx's ASGITransport, signed by the official SDK's own ROA signer as in
``test_foas_api.py`` (the ``World`` and ``Foas`` of ``test_foas_resources.py``, plus the
namespace service).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aliyunsdkfoas.request.v20181111 import (
    CreateFolderRequest,
    CreateJobRequest,
    CreatePackageRequest,
    CreateProjectRequest,
    DeleteJobRequest,
    DeletePackageRequest,
    DeleteProjectRequest,
    GetProjectRequest,
    GetRefPackageJobRequest,
    ListProjectRequest,
    StartJobRequest,
    UpdateJobRequest,
    UpdateProjectConfigRequest,
    UpdateProjectRequest,
)

from millstream.api.app import create_api
from millstream.api.foas import FOAS
from millstream.api.native import NATIVE
from millstream.control.context import SYSTEM, Actor, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.services import DeploymentService
from millstream.control.services.namespaces import NamespaceService
from millstream.domain.access import Role
from millstream.domain.artifacts import Artifact
from millstream.domain.variables import Variable, VariableKind
from millstream.engine.artifacts import FsspecArtifactStore
from millstream.engine.uris import ArtifactResolver
from millstream.store.access import SqlAccessStore
from millstream.store.catalog import SqlCatalogStore
from millstream.store.namespaces import SqlNamespaceStore
from millstream.store.variables import SqlVariableStore
from tests.fakes import FakeEngine
from tests.integration.api.test_foas_resources import HOST, NS, SQL, WS, Foas, World

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = World(tmp_path)
    built.services = dataclasses.replace(
        built.services,
        namespaces=NamespaceService(
            SqlNamespaceStore(built.store.engine),
            built.access,
            protected=[(WS, NS)],
            artifacts=built.services.artifacts,
        ),
    )
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


def _request(cls: Any, **fields: Any) -> Any:
    request = cls()
    for key, value in fields.items():
        getattr(request, f"set_{key}")(value)
    return request


def _create_project(name: str, **fields: str) -> Any:
    return _request(CreateProjectRequest.CreateProjectRequest, name=name, **fields)


def _job(project: str, name: str, **fields: str) -> Any:
    values = {"jobType": "FLINK_STREAM", "apiType": "SQL", "code": SQL, **fields}
    return _request(CreateJobRequest.CreateJobRequest, projectName=project, jobName=name, **values)


# ----------------------------------------------------------------- projects


async def test_project_round_trip_create_get_list_update_delete(foas: Foas, world: World) -> None:
    await foas.ok(
        _create_project(
            "etl",
            description="nightly jobs",
            deployType="cell",
            clusterId="default",
            managerIds="1234567",
        )
    )
    got = (await foas.ok(_request(GetProjectRequest.GetProjectRequest, projectName="etl")))[
        "Project"
    ]
    assert (got["Name"], got["Description"], got["ClusterId"]) == ("etl", "nightly jobs", "default")
    assert (got["ManagerIds"], got["DeployType"], got["State"]) == ("1234567", "cell", "ENABLE")
    assert got["Creator"] == world.admin.user.id
    assert isinstance(got["CreateTime"], int)
    assert got["ModifyTime"] >= got["CreateTime"]
    # The creator is the new namespace's OWNER.
    with SqlAccessStore(world.store.engine).transaction() as repos:
        member = repos.read_member(workspace=WS, namespace="etl", user_id=world.admin.user.id)
    assert member is not None
    assert member.role is Role.OWNER

    listed = await foas.ok(_request(ListProjectRequest.ListProjectRequest))
    assert [p["Name"] for p in listed["Projects"]["Project"]] == ["default", "etl"]
    assert listed["TotalCount"] == 2

    await foas.ok(
        _request(
            UpdateProjectRequest.UpdateProjectRequest,
            projectName="etl",
            globalJobConfig="sql.type=print",
        )
    )
    got = (await foas.ok(_request(GetProjectRequest.GetProjectRequest, projectName="etl")))[
        "Project"
    ]
    assert (got["GlobalJobConfig"], got["Description"]) == ("sql.type=print", "nightly jobs")

    # What belongs to the project goes with it.
    await foas.ok(
        _request(CreateFolderRequest.CreateFolderRequest, projectName="etl", path="/daily")
    )
    variables = SqlVariableStore(world.store.engine)
    artifacts = world.services.artifacts
    assert artifacts is not None
    upload = artifacts.begin_upload(Scope(WS, "etl"), SYSTEM, "udf.jar")
    upload.write(b"PK\x03\x04")
    upload.commit()
    now = datetime.now(UTC)
    with variables.transaction() as repos:
        repos.create_variable(
            variable=Variable(
                WS, "etl", "topic", VariableKind.PLAIN, value="x", created_at=now, modified_at=now
            )
        )
    await foas.ok(_request(DeleteProjectRequest.DeleteProjectRequest, projectName="etl"))
    status, error = await foas.error(
        _request(GetProjectRequest.GetProjectRequest, projectName="etl")
    )
    assert (status, error["Code"]) == (404, "Project.NotFound")
    with SqlCatalogStore(world.store.engine).transaction() as catalog:
        assert catalog.read_folders(workspace=WS, namespace="etl") == []
    with variables.transaction() as repos:
        assert repos.read_variables(workspace=WS, namespace="etl") == ([], 0)
    with SqlAccessStore(world.store.engine).transaction() as repos:
        assert repos.read_member(workspace=WS, namespace="etl", user_id=world.admin.user.id) is None
    listed = await foas.ok(_request(ListProjectRequest.ListProjectRequest))
    assert [p["Name"] for p in listed["Projects"]["Project"]] == ["default"]
    # The name can be used again: a new, empty project.
    await foas.ok(_create_project("etl"))
    assert artifacts.list(Scope(WS, "etl")) == []
    got = (await foas.ok(_request(GetProjectRequest.GetProjectRequest, projectName="etl")))[
        "Project"
    ]
    assert (got["Description"], got["GlobalJobConfig"]) == ("", "")


async def test_create_project_input_is_checked(foas: Foas) -> None:
    cases = [
        (_create_project("Bad_Name"), 400, "InvalidParameter", "namespace name"),
        (_create_project("default"), 400, "InvalidParameter", "default namespace"),
        (
            _create_project("p1", deployType="public", orderId="o-1"),
            400,
            "InvalidParameter",
            "cell",
        ),
        (_create_project("p2", clusterId="nope"), 404, "Cluster.NotFound", "nope"),
        (_request(CreateProjectRequest.CreateProjectRequest), 400, "MissingParameter", "name"),
    ]
    for request, status, code, words in cases:
        got_status, error = await foas.error(request)
        assert (got_status, error["Code"]) == (status, code), error
        assert words in error["Message"]
    await foas.ok(_create_project("p3"))
    status, error = await foas.error(_create_project("p3"))
    assert (status, error["Code"]) == (409, "Project.AlreadyExists")


async def test_default_project_and_projects_in_use_are_not_deleted(foas: Foas) -> None:
    status, error = await foas.error(
        _request(DeleteProjectRequest.DeleteProjectRequest, projectName="default")
    )
    assert (status, error["Code"]) == (409, "Project.InUse")
    assert "default namespace" in error["Message"]

    await foas.ok(_create_project("busy"))
    await foas.ok(_job("busy", "orders"))
    await foas.ok(_request(StartJobRequest.StartJobRequest, projectName="busy", jobName="orders"))
    status, error = await foas.error(
        _request(DeleteProjectRequest.DeleteProjectRequest, projectName="busy")
    )
    assert (status, error["Code"]) == (409, "Project.InUse")
    assert "1 live job(s)" in error["Message"]
    assert "1 deployment(s)" in error["Message"]
    got = await foas.ok(_request(GetProjectRequest.GetProjectRequest, projectName="busy"))
    assert got["Project"]["Name"] == "busy"


async def test_only_administrators_create_and_delete_projects(foas: Foas, world: World) -> None:
    await foas.ok(_create_project("team"))
    issued = world.access.create_key(
        Actor(world.admin.user.id, world.admin.user.name), user="bob", create_user=True
    )
    world.access.create_member(
        Actor(world.admin.user.id, world.admin.user.name), Scope(WS, "team"), "bob", Role.EDITOR
    )
    bob = Foas(foas.http, issued.key.id, issued.secret)
    status, error = await bob.error(_create_project("mine"))
    assert (status, error["Code"]) == (403, "Forbidden.RAM")
    assert "administrator" in error["Message"]
    status, error = await bob.error(
        _request(DeleteProjectRequest.DeleteProjectRequest, projectName="team")
    )
    assert (status, error["Code"]) == (403, "Forbidden.RAM")
    # An editor may not change the project's settings either (owners only).
    status, error = await bob.error(
        _request(UpdateProjectRequest.UpdateProjectRequest, projectName="team", globalJobConfig="a")
    )
    assert (status, error["Code"]) == (403, "Forbidden.RAM")
    listed = await bob.ok(_request(ListProjectRequest.ListProjectRequest))
    assert [p["Name"] for p in listed["Projects"]["Project"]] == ["team"]


async def test_update_project_config_turns_batch_sql_off_and_on(foas: Foas) -> None:
    def config(value: bool) -> Any:
        return _request(
            UpdateProjectConfigRequest.UpdateProjectConfigRequest,
            ProjectName="default",
            IsOpenBatchSQL=value,
        )

    await foas.ok(config(False))
    status, error = await foas.error(_job("default", "batch", jobType="FLINK_BATCH"))
    assert (status, error["Code"]) == (400, "OperationDenied")
    assert "IsOpenBatchSQL" in error["Message"]
    await foas.ok(_job("default", "stream"))  # streaming SQL is not affected
    await foas.ok(config(True))
    await foas.ok(_job("default", "batch", jobType="FLINK_BATCH"))
    status, error = await foas.error(
        _request(UpdateProjectConfigRequest.UpdateProjectConfigRequest, ProjectName="default")
    )
    assert (status, error["Code"]) == (400, "MissingParameter")


# ----------------------------------------------------------------- jobs in a project


async def test_create_job_checks_the_folder_id(foas: Foas) -> None:
    status, error = await foas.error(_job("default", "orders", folderId="42"))
    assert (status, error["Code"]) == (404, "Folder.NotFound")
    assert "folder 42" in error["Message"]
    status, error = await foas.error(_job("default", "orders", folderId="x"))
    assert (status, error["Code"]) == (400, "InvalidParameter")
    folder = await foas.ok(
        _request(CreateFolderRequest.CreateFolderRequest, projectName="default", path="/etl")
    )
    folder_id = str(folder["FolderId"])
    await foas.ok(_job("default", "orders", folderId=folder_id))
    await foas.ok(_job("default", "root", folderId="0"))
    status, error = await foas.error(
        _request(
            UpdateJobRequest.UpdateJobRequest,
            projectName="default",
            jobName="orders",
            folderId="999",
        )
    )
    assert (status, error["Code"]) == (404, "Folder.NotFound")


async def test_a_job_uses_a_registered_package_from_its_location(foas: Foas, world: World) -> None:
    await foas.ok(
        _request(
            CreatePackageRequest.CreatePackageRequest,
            projectName="default",
            packageName="udf.jar",
            type="JAR",
            ossBucket="blinktest2.oss-cn-hangzhou-internal.aliyuncs.com",
            ossPath="path1/path2/a.jar",
        )
    )
    world.upload("words.txt")
    await foas.ok(
        _job(
            "default",
            "stream",
            apiType="DATASTREAM",
            code="blink.main.class=com.example.Main",
            packages="udf.jar,words.txt",
        )
    )
    deployment = world.services.deployments.get_by_name(Scope(WS, NS), "stream")
    assert deployment.artifact.jar_uri == "oss://blinktest2/path1/path2/a.jar"
    assert deployment.artifact.additional_dependencies == (f"artifacts://{WS}/{NS}/words.txt",)

    refs = await foas.ok(
        _request(
            GetRefPackageJobRequest.GetRefPackageJobRequest,
            projectName="default",
            packageName="udf.jar",
        )
    )
    assert [j["JobName"] for j in refs["Jobs"]["Job"]] == ["stream"]
    status, error = await foas.error(
        _request(
            DeletePackageRequest.DeletePackageRequest, projectName="default", packageName="udf.jar"
        )
    )
    assert status == 409, error
    await foas.ok(
        _request(DeleteJobRequest.DeleteJobRequest, projectName="default", jobName="stream")
    )
    await foas.ok(
        _request(
            DeletePackageRequest.DeletePackageRequest, projectName="default", packageName="udf.jar"
        )
    )


class _ResolvingChecker:
    """The artifact check of a create/update, reduced to the real URI resolution (the
    production checker also opens the jar to find its entry class)."""

    def __init__(self, resolver: ArtifactResolver) -> None:
        self.resolver = resolver

    def check_artifact(self, artifact: Artifact, *, workspace: str, namespace: str) -> None:
        for uri in (artifact.jar_uri, *artifact.additional_dependencies):
            if uri:
                self.resolver.resolve(uri, workspace=workspace, namespace=namespace)


async def test_a_package_location_goes_through_the_artifact_resolver(
    world: World, tmp_path: Path
) -> None:
    resolver = ArtifactResolver(
        FsspecArtifactStore(str(tmp_path / "artifacts")),
        cache_dir=tmp_path / "cache",
        scheme_map={"oss://mapped/": f"{WS}/{NS}"},
    )
    world.services = dataclasses.replace(
        world.services,
        deployments=DeploymentService(
            world.store,
            FakeEngine(),
            EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES),
            artifacts=_ResolvingChecker(resolver),
        ),
    )
    world.upload("a.jar")
    async with _client(world) as foas:
        await _use_packages(foas)


@contextlib.asynccontextmanager
async def _client(world: World) -> AsyncIterator[Foas]:
    app = create_api(world.services, world.access, dialects=[NATIVE, FOAS], max_body_bytes=8192)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        yield Foas(client, world.admin.key.id, world.admin.secret)


async def _use_packages(foas: Foas) -> None:
    for name, bucket in (("mapped.jar", "mapped"), ("elsewhere.jar", "unmapped")):
        await foas.ok(
            _request(
                CreatePackageRequest.CreatePackageRequest,
                projectName="default",
                packageName=name,
                type="JAR",
                ossBucket=f"{bucket}.oss-cn-hangzhou-internal.aliyuncs.com",
                ossPath="a.jar",
            )
        )
    datastream = {"apiType": "DATASTREAM", "code": "blink.main.class=com.example.Main"}
    await foas.ok(_job("default", "good", packages="mapped.jar", **datastream))
    status, error = await foas.error(_job("default", "bad", packages="elsewhere.jar", **datastream))
    assert (status, error["Code"]) == (400, "InvalidParameter")
    assert "oss://unmapped/a.jar" in error["Message"]
    assert "scheme_map" in error["Message"]
