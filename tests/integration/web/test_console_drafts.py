"""The console's drafts view over the SQL store (SQLite) and the fake engine: a draft
locked by someone else opens read-only and names the holder, a save by them is refused;
folders are created, renamed and refused deletion while they hold a draft; the deploy
page diffs the draft against the deployment's current spec; without the catalog and
preview services the panels say they are unavailable instead of showing anything."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.ports import Page
from millstream.control.services import (
    DeploymentPatch,
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.services.drafts import DraftChange, DraftService
from millstream.control.services.folders import FolderService
from millstream.domain.access import Role
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import ClusterKind
from millstream.domain.drafts import DraftSpec
from millstream.store import SqlStore, upgrade
from millstream.store.catalog import SqlCatalogStore
from millstream.store.drafts import DraftStore
from millstream.web import build_console
from tests.fakes import FakeEngine
from tests.unit.web.conftest import ADMIN, NS, WS, FakeAccess, sign_in

BOB = Actor(id="u-bob", name="bob")
SCOPE = Scope(WS, NS)
SCRIPT = "CREATE TEMPORARY TABLE t (a INT) WITH ('connector' = 'datagen');\n"


@dataclass
class DraftWorld:
    services: Services
    drafts: DraftService
    client: httpx.AsyncClient


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    sql_store = SqlStore(url)
    yield sql_store
    sql_store.engine.dispose()


@pytest.fixture
async def world(store: SqlStore) -> AsyncIterator[DraftWorld]:
    ensure_defaults(
        store,
        workspace=WS,
        namespace=NS,
        cluster_kind=ClusterKind.EXTERNAL,
        rest_url="http://fake-flink",
    )
    engine = FakeEngine()
    notifier = Notifier()
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    deployments = DeploymentService(store, engine, versions)
    folders = FolderService(SqlCatalogStore(store.engine))
    drafts = DraftService(DraftStore(store.engine), folders, deployments)
    services = Services(
        deployments=deployments,
        jobs=JobService(store, engine, notifier),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace=WS,
        folders=folders,
        drafts=drafts,
    )
    access = FakeAccess()
    access.keys["MSBOB"] = (BOB, "b0b")
    access.roles[(BOB.id, NS)] = Role.EDITOR
    app = FastAPI()
    app.include_router(
        build_console(services, access=access, flink_ui_url="", secret_key=b"k" * 32)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as client:
        yield DraftWorld(services, drafts, client)
    drafts.close()


def _spec(name: str, script: str = SCRIPT) -> DraftSpec:
    return DraftSpec(name=name, artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=script))


async def test_a_draft_locked_by_someone_else_opens_read_only(world: DraftWorld) -> None:
    draft = world.drafts.create(SCOPE, ADMIN, DraftChange(spec=_spec("orders")))
    world.drafts.lock(SCOPE, ADMIN, draft.id)

    csrf = await sign_in(world.client, "MSBOB", "b0b")
    page = await world.client.get(f"/console/drafts/{draft.id}")
    assert page.status_code == 200
    note = re.search(r'id="lock-note">([^<]*)<', page.text)
    assert note is not None
    assert note.group(1).startswith("Locked by admin until ")
    assert "open read-only" in note.group(1)
    assert "data-sql-editor" not in page.text  # a plain read-only textarea, no editor
    assert re.search(r'<textarea name="sql_script"[^>]*readonly', page.text)
    assert 'id="save-draft-button"' not in page.text
    assert 'id="deploy-button"' not in page.text

    refused = await world.client.post(
        f"/console/drafts/{draft.id}/save",
        data={"csrf": csrf, "name": "orders", "sql_script": "SELECT 2", "folder_id": "0"},
    )
    assert refused.status_code == 400
    assert "locked by admin" in refused.text
    assert world.drafts.get(SCOPE, draft.id).spec.artifact.sql_script == SCRIPT  # type: ignore[union-attr]
    review = await world.client.get(f"/console/drafts/{draft.id}/deploy")
    assert "only they can deploy it until then" in review.text
    assert re.search(r'id="deploy-confirm" disabled', review.text)


async def test_opening_a_free_draft_takes_its_lock_and_saving_keeps_it(world: DraftWorld) -> None:
    draft = world.drafts.create(SCOPE, ADMIN, DraftChange(spec=_spec("orders")))
    csrf = await sign_in(world.client, "MSBOB", "b0b")
    page = await world.client.get(f"/console/drafts/{draft.id}")
    assert "Locked by you until" in page.text
    lock = world.drafts.get(SCOPE, draft.id).lock
    assert lock is not None
    assert lock.holder_id == BOB.id
    saved = await world.client.post(
        f"/console/drafts/{draft.id}/save",
        data={"csrf": csrf, "name": "orders-2", "sql_script": "SELECT 2", "folder_id": "0"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    stored = world.drafts.get(SCOPE, draft.id)
    assert stored.spec.name == "orders-2"
    assert stored.spec.artifact is not None
    assert stored.spec.artifact.sql_script == "SELECT 2"


async def test_folders_are_created_renamed_and_kept_while_they_hold_a_draft(
    world: DraftWorld,
) -> None:
    csrf = await sign_in(world.client)
    made = await world.client.post(
        "/console/folders/new",
        data={"csrf": csrf, "parent": "/", "name": "reports"},
        follow_redirects=True,
    )
    assert made.status_code == 200  # followed to the drafts page
    assert 'data-folder-path="/reports"' in made.text
    renamed = await world.client.post(
        "/console/folders/rename",
        data={"csrf": csrf, "path": "/reports", "name": "daily"},
        follow_redirects=True,
    )
    assert 'data-folder-path="/daily"' in renamed.text
    assert 'data-folder-path="/reports"' not in renamed.text
    folder = world.services.folders.get(SCOPE, "/daily")  # type: ignore[union-attr]
    created = await world.client.post(
        "/console/drafts/new",
        data={"csrf": csrf, "name": "in-daily", "folder_id": str(folder.id)},
        follow_redirects=False,
    )
    assert created.status_code == 303
    refused = await world.client.post(
        "/console/folders/delete", data={"csrf": csrf, "path": "/daily"}
    )
    assert refused.status_code == 409
    assert "holds 1 draft(s)" in refused.text
    bad = await world.client.post(
        "/console/folders/new", data={"csrf": csrf, "parent": "/", "name": "a/b"}
    )
    assert bad.status_code == 400
    assert "contains a slash" in bad.text


async def test_deploy_page_diffs_the_draft_against_the_deployment(world: DraftWorld) -> None:
    deployment = world.services.deployments.create(
        SCOPE,
        ADMIN,
        DeploymentPatch(
            name="orders", artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script="SELECT 1;\n")
        ),
    )
    csrf = await sign_in(world.client)
    created = await world.client.post(
        "/console/drafts/new",
        data={"csrf": csrf, "name": "", "folder_id": "0", "deployment_id": deployment.id},
        follow_redirects=False,
    )
    draft_url = created.headers["location"]
    review = await world.client.post(
        f"{draft_url}/review",
        data={"csrf": csrf, "name": "orders", "sql_script": "SELECT 2;\n", "folder_id": "0"},
        follow_redirects=True,
    )
    assert review.status_code == 200
    assert '<span class="diff-del">-SELECT 1;</span>' in review.text
    assert '<span class="diff-add">+SELECT 2;</span>' in review.text
    assert "current spec is kept" in review.text
    listed, _ = world.drafts.list(SCOPE, Page(0, 10))
    assert [d.deployment_id for d in listed] == [deployment.id]
    again = await world.client.post(  # "Edit in a draft" once more reopens that draft
        "/console/drafts/new",
        data={"csrf": csrf, "deployment_id": deployment.id},
        follow_redirects=False,
    )
    assert again.headers["location"] == draft_url


async def test_catalog_and_preview_say_when_the_server_has_none(world: DraftWorld) -> None:
    csrf = await sign_in(world.client)
    catalog = await world.client.get("/console/sql/catalog", headers={"hx-request": "true"})
    assert 'id="catalog-unavailable"' in catalog.text
    preview = await world.client.post(
        "/console/sql/preview",
        data={"csrf": csrf, "sql_script": "SELECT 1"},
        headers={"hx-request": "true"},
    )
    assert "Preview is unavailable on this server." in preview.text
    assert "<table" not in preview.text
