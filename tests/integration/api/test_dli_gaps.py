"""The last three DLI gaps over real services on SQLite, signed like ``DliClient``:
``import_flink_job_savepoint`` (only the project's own places, only real savepoints,
the copy becomes the job's newest savepoint), ``dependency_files`` (checked at create
time, handed to the engine as the job's userData files) and the configured project id ->
namespace mapping (with the old fallbacks).

The app, the store and the signing are ``test_dli_api``'s; savepoints are imported by
the real ``SavepointImports`` over a real artifact store, and JAR artifacts are checked
by the real ``JarSubmitter`` (a real run on Flink: tests/compat/dli).
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from millstream.config import get_settings
from millstream.control.context import Scope
from millstream.control.notifier import Notifier
from millstream.control.services import DeploymentService, SavepointService
from millstream.control.user_files import user_files
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.namespaces import Namespace
from millstream.domain.savepoints import SavepointOrigin, SavepointState
from millstream.engine.artifacts import FsspecArtifactStore
from millstream.engine.jar_submitter import JarSubmitter
from millstream.engine.jars import JarCache
from millstream.engine.savepoint_imports import METADATA_MAGIC, SavepointImports
from millstream.engine.uris import ArtifactResolver
from tests.fakes import FakeEngine
from tests.integration.api.test_dli_api import HOST, NS, SQL, WS, Dli, World, build_app

METADATA = METADATA_MAGIC + b"\x00\x00\x00\x03savepoint metadata"
OTHER = "other-project"


class StateEngine(FakeEngine):
    """The fake engine with its savepoint directories in a real directory."""

    def __init__(self, state_root: Path) -> None:
        super().__init__()
        self.state_root = state_root

    def savepoint_directory(self, *, deployment_id: str) -> str:
        return (self.state_root / "savepoints" / deployment_id).as_uri()


class JarChecker:
    """The ``ArtifactChecker`` port for JAR artifacts: the real JAR submitter's check."""

    def __init__(self, jar: JarSubmitter) -> None:
        self._jar = jar

    def check_artifact(self, artifact: Artifact, *, workspace: str, namespace: str) -> None:
        if artifact.kind is ArtifactKind.JAR:
            self._jar.check(artifact, workspace=workspace, namespace=namespace)


@dataclasses.dataclass
class Gaps:
    world: World
    store: FsspecArtifactStore
    state_root: Path

    def upload(self, name: str, data: bytes, namespace: str = NS) -> None:
        upload = self.store.begin_upload(workspace=WS, namespace=namespace, name=name)
        upload.write(data)
        upload.commit()


@pytest.fixture
def gaps(tmp_path: Path) -> Iterator[Gaps]:
    world = World(tmp_path)
    with world.store.transaction() as repos:
        repos.create_namespace(
            namespace=Namespace(id=OTHER, workspace=WS, name=OTHER, created_at=datetime.now(UTC))
        )
    store = FsspecArtifactStore(str(tmp_path / "artifacts"))  # the World's artifact store
    resolver = ArtifactResolver(
        store, cache_dir=tmp_path / "cache", scheme_map={"obs://bucket": f"{WS}/{NS}"}
    )
    state_root = tmp_path / "state"
    engine = StateEngine(state_root)
    savepoints = SavepointService(
        world.store,
        engine,
        Notifier(),
        importer=SavepointImports(resolver, state_root=state_root),
    )
    deployments = DeploymentService(
        world.store,
        world.engine,
        world.services.versions,
        artifacts=JarChecker(JarSubmitter(resolver, JarCache(tmp_path / "jars"))),
    )
    world.services = dataclasses.replace(
        world.services, savepoints=savepoints, deployments=deployments
    )
    yield Gaps(world, store, state_root)
    world.close()


@pytest.fixture
async def dli(gaps: Gaps) -> AsyncIterator[Dli]:
    transport = httpx.ASGITransport(app=build_app(gaps.world), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        yield Dli(client, gaps.world.admin.key.id, gaps.world.admin.secret)


def _jar() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as jar:
        jar.writestr("app/Main.class", b"\xca\xfe\xba\xbe")
    return buffer.getvalue()


async def _jar_job(dli: Dli, gaps: Gaps, name: str = "with-files", **extra: Any) -> int:
    gaps.upload("app.jar", _jar())
    body = {"name": name, "entrypoint": "app.jar", "main_class": "app.Main", **extra}
    created = await dli.ok("POST", "/streaming/flink-jobs", body)
    return int(created["job"]["job_id"])


# ----------------------------------------------------------------- import savepoint


def _savepoint(gaps: Gaps, directory: str, namespace: str = NS) -> None:
    gaps.upload(f"{directory}/_metadata", METADATA, namespace)
    gaps.upload(f"{directory}/4b1f-state", b"state", namespace)


async def test_an_imported_savepoint_becomes_the_jobs_newest(dli: Dli, gaps: Gaps) -> None:
    job_id = await _jar_job(dli, gaps)
    _savepoint(gaps, "exports/sp-1")
    path = "obs://bucket/exports/sp-1/"
    done = await dli.ok(
        "POST",
        f"/streaming/jobs/{job_id}/import-savepoint",
        {"job_id": job_id, "savepoint_path": path},
    )
    assert done["is_success"] is True
    detail = (await dli.ok("GET", f"/streaming/jobs/{job_id}"))["job_detail"]
    assert detail["has_savepoint"] is True
    location = detail["savepoint_path"]
    deployment_id = gaps.world.deployment_id(job_id)
    prefix = (gaps.state_root / "savepoints" / deployment_id / "imported-").as_uri()
    assert location.startswith(prefix)
    copied = Path(location.removeprefix("file://"))
    assert (copied / "_metadata").read_bytes() == METADATA
    assert (copied / "4b1f-state").read_bytes() == b"state"
    # What the reconciler restores a resume_savepoint run from.
    with gaps.world.store.transaction() as repos:
        latest = repos.read_latest_savepoint(deployment_id=deployment_id, include_checkpoints=False)
    assert latest is not None
    assert (latest.location, latest.state, latest.origin) == (
        location,
        SavepointState.COMPLETED,
        SavepointOrigin.USER_REQUEST,
    )
    assert latest.description == f"imported from {path}"


async def test_a_savepoint_of_another_job_of_the_project_can_be_imported(
    dli: Dli, gaps: Gaps
) -> None:
    first = await _jar_job(dli, gaps, "first")
    second = await _jar_job(dli, gaps, "second")
    taken = gaps.state_root / "savepoints" / gaps.world.deployment_id(first) / "savepoint-1"
    taken.mkdir(parents=True)
    (taken / "_metadata").write_bytes(METADATA)
    await dli.ok(
        "POST",
        f"/streaming/jobs/{second}/import-savepoint",
        {"savepoint_path": "file:" + str(taken)},
    )
    detail = (await dli.ok("GET", f"/streaming/jobs/{second}"))["job_detail"]
    assert (
        "/savepoints/" + gaps.world.deployment_id(second) + "/imported-"
        in (detail["savepoint_path"])
    )


@pytest.mark.parametrize(
    "path",
    [
        "artifacts://default/other-project/exports/sp-1",  # another project's artifacts
        "artifacts://default/other-project/exports/nothing",
        "file:///etc",
        "/etc",
        "http://169.254.169.254/latest/",
        "obs://unmapped-bucket/exports/sp-1/",
    ],
)
async def test_places_outside_the_project_are_refused(dli: Dli, gaps: Gaps, path: str) -> None:
    job_id = await _jar_job(dli, gaps)
    _savepoint(gaps, "exports/sp-1", OTHER)
    status, error = await dli.error(
        "POST", f"/streaming/jobs/{job_id}/import-savepoint", {"savepoint_path": path}
    )
    assert (status, error["error_code"]) == (400, "DLI.0001")
    assert "is not a place this project's savepoints may come from" in error["error_msg"]
    detail = (await dli.ok("GET", f"/streaming/jobs/{job_id}"))["job_detail"]
    assert detail["has_savepoint"] is False


async def test_a_directory_without_a_flink_savepoint_is_refused(dli: Dli, gaps: Gaps) -> None:
    job_id = await _jar_job(dli, gaps)
    gaps.upload("exports/zip/_metadata", b"PK\x03\x04not flink")
    gaps.upload("exports/empty/readme.txt", b"nothing")
    for path in ("obs://bucket/exports/zip/", "obs://bucket/exports/empty/"):
        status, error = await dli.error(
            "POST", f"/streaming/jobs/{job_id}/import-savepoint", {"savepoint_path": path}
        )
        assert (status, error["error_code"]) == (400, "DLI.0001")
        assert "is not a Flink savepoint" in error["error_msg"]
    assert not list(gaps.state_root.rglob("_metadata"))


async def test_bad_import_requests_are_4xx(dli: Dli, gaps: Gaps) -> None:
    job_id = await _jar_job(dli, gaps)
    url = f"/streaming/jobs/{job_id}/import-savepoint"
    status, error = await dli.error("POST", url, {"job_id": job_id + 1, "savepoint_path": "x"})
    assert (status, error["error_code"]) == (400, "DLI.0001")
    status, error = await dli.error("POST", url, {"job_id": job_id})
    assert (status, error["error_code"]) == (400, "DLI.0001")
    status, error = await dli.error(
        "POST", "/streaming/jobs/999999/import-savepoint", {"savepoint_path": "obs://bucket/a"}
    )
    assert (status, error["error_code"]) == (404, "DLI.0002")


# ----------------------------------------------------------------- dependency files


async def test_dependency_files_reach_the_engine_and_missing_ones_are_refused(
    dli: Dli, gaps: Gaps
) -> None:
    gaps.upload("myGroup/test.csv", b"1,2\n")
    gaps.upload("myGroup/test1.csv", b"3,4\n")
    files = ["myGroup/test.csv", "obs://bucket/myGroup/test1.csv"]
    job_id = await _jar_job(dli, gaps, dependency_files=files)
    scope = Scope(WS, NS)
    deployment = gaps.world.services.deployments.get(scope, gaps.world.deployment_id(job_id))
    assert user_files(deployment.artifact) == tuple(files)
    detail = (await dli.ok("GET", f"/streaming/jobs/{job_id}"))["job_detail"]
    assert detail["job_config"]["dependency_files"] == files

    status, error = await dli.error(
        "POST",
        "/streaming/flink-jobs",
        {
            "name": "missing",
            "entrypoint": "app.jar",
            "main_class": "app.Main",
            "dependency_files": ["myGroup/nope.csv"],
        },
    )
    assert (status, error["error_code"]) == (400, "DLI.0002")  # as for a missing jar
    assert "myGroup/nope.csv" in error["error_msg"]
    status, error = await dli.error(
        "PUT", f"/streaming/flink-jobs/{job_id}", {"dependency_files": [*files, "x/test.csv"]}
    )
    assert (status, error["error_code"]) == (400, "DLI.0001")
    assert "two dependency files are named 'test.csv'" in error["error_msg"]
    # An update without dependency_files keeps them; an empty list removes them.
    await dli.ok("PUT", f"/streaming/flink-jobs/{job_id}", {"desc": "changed"})
    deployment = gaps.world.services.deployments.get(scope, deployment.id)
    assert user_files(deployment.artifact) == tuple(files)
    await dli.ok("PUT", f"/streaming/flink-jobs/{job_id}", {"dependency_files": []})
    deployment = gaps.world.services.deployments.get(scope, deployment.id)
    assert user_files(deployment.artifact) == ()


# ----------------------------------------------------------------- project mapping


@pytest.fixture
def mapped(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(
        "MILLSTREAM_API__DLI_PROJECTS",
        '{"aaaabbbbccccddddeeeeffff00001111": "other-project",'
        ' "bbbb": "default/other-project", "cccc": "no-such-namespace"}',
    )
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("mapped")
async def test_configured_projects_map_to_their_namespace(dli: Dli, gaps: Gaps) -> None:
    body = {"name": "a", "sql_body": SQL}
    for project in ("aaaabbbbccccddddeeeeffff00001111", "bbbb"):
        created = await dli.ok(
            "POST", "/streaming/sql-jobs", {**body, "name": project}, project=project
        )
        assert gaps.world.namespace_of(created["job"]["job_id"]) == OTHER
    # Unmapped: the old fallbacks (a namespace named like the project, else the default).
    created = await dli.ok("POST", "/streaming/sql-jobs", body, project="dddd")
    assert gaps.world.namespace_of(created["job"]["job_id"]) == NS
    created = await dli.ok("POST", "/streaming/sql-jobs", {**body, "name": "b"}, project=OTHER)
    assert gaps.world.namespace_of(created["job"]["job_id"]) == OTHER
    # A mapping to a namespace that does not exist is no project.
    status, error = await dli.error("GET", "/streaming/jobs", project="cccc")
    assert (status, error["error_code"]) == (404, "DLI.0002")
    assert "project 'cccc' does not exist" in error["error_msg"]
