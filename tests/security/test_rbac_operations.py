"""Issue 19 items 4 and 5: read or write is the operation's, never the method's or the
path's. Each test performs the attack over real HTTP (uvicorn on loopback, HTTP Basic
credentials of a VIEWER) against the production app (``create_api``: signatures, roles
per operation, audit) over real services on SQLite with Flink faked.

Before the dialect seam a VIEWER got 200 from ``GET .../getPreSignedUrlForPutObject`` (a
GET was a read) and from ``PUT``/``DELETE .../artifacts/<x>/sql-statement/validate`` (any
path ending in ``/sql-statement/validate`` was a read).
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from millstream.api.app import create_api
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
from millstream.control.services.access import AccessService
from millstream.control.services.artifacts import ArtifactService
from millstream.domain.access import Role
from millstream.domain.clusters import ClusterKind
from millstream.engine.artifacts import FsspecArtifactStore, load_signing_key
from millstream.store import SqlStore, upgrade
from millstream.store.access import SqlAccessStore
from millstream.store.cipher import load_cipher
from tests.fakes import FakeEngine, FakeFlink
from tests.ports import free_port

WS, NS = "default", "ns1"
PRESIGN = f"/artifacts/v2/namespaces/{NS}/getPreSignedUrlForPutObject"
ARTIFACTS = f"/api/v2/namespaces/{NS}/artifacts"


@dataclass
class Live:
    url: str
    access: AccessService
    admin: Actor
    viewer: dict[str, str]
    editor: dict[str, str]


def _basic(key_id: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "workspace": WS}


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


def _member(access: AccessService, admin: Actor, name: str, role: Role) -> dict[str, str]:
    issued = access.create_key(admin, user=name, create_user=True)
    access.create_member(admin, Scope(WS, NS), f"user:{name}", role)
    return _basic(issued.key.id, issued.secret)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data_dir: Path = tmp_path_factory.mktemp("rbac")
    url = f"sqlite:///{data_dir / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    flink = FakeFlink()
    ensure_defaults(
        store,
        workspace=WS,
        namespace=NS,
        cluster_kind=ClusterKind.EMBEDDED,
        rest_url=flink.rest_url,
    )
    engine = FakeEngine(flink)
    versions = EngineVersions(installed=list(engine.engine_versions()), aliases=DEFAULT_ALIASES)
    notifier = Notifier()
    access = AccessService(SqlAccessStore(store.engine), load_cipher(None, data_dir))
    services = Services(
        deployments=DeploymentService(store, engine, versions),
        jobs=JobService(store, engine, notifier),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace=WS,
        artifacts=ArtifactService(
            store,
            FsspecArtifactStore(str(data_dir / "artifacts"), max_upload_bytes=1 << 20),
            signing_key=load_signing_key(data_dir / "signing.key"),
        ),
    )
    issued = access.ensure_admin()
    assert issued is not None
    admin = Actor(id=issued.user.id, name=issued.user.name)
    app = create_api(services, access)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield Live(
            url=f"http://127.0.0.1:{port}",
            access=access,
            admin=admin,
            viewer=_member(access, admin, "vic", Role.VIEWER),
            editor=_member(access, admin, "eda", Role.EDITOR),
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def _audit_actions(live: Live, user: str, *, until: str) -> list[str]:
    """The user's audited actions once ``until`` is among them: the server writes an
    entry just after it has sent the answer."""
    deadline = time.monotonic() + 5
    while True:
        entries, _ = live.access.read_audit(live.admin, Scope(WS, NS), Page(offset=0, limit=500))
        actions = [entry.action for entry in entries if entry.actor_name == user]
        if until in actions or time.monotonic() > deadline:
            return actions
        time.sleep(0.05)


def test_viewer_cannot_get_an_upload_url(live: Live) -> None:
    answer = httpx.get(live.url + PRESIGN, params={"fileName": "v.jar"}, headers=live.viewer)
    assert (answer.status_code, answer.json()["code"]) == (403, "Forbidden")
    assert "preSignedUrl" not in (answer.json()["data"] or {})


def test_editor_gets_an_upload_url_and_the_audit_log_names_the_operation(live: Live) -> None:
    answer = httpx.get(live.url + PRESIGN, params={"fileName": "e.jar"}, headers=live.editor)
    assert answer.status_code == 200, answer.text
    assert "/artifacts/v2/upload/" in answer.json()["data"]["preSignedUrl"]
    action = "native:GetPreSignedUrlForPutObject"
    assert action in _audit_actions(live, "eda", until=action)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_viewer_cannot_write_through_a_validate_suffix(live: Live, method: str) -> None:
    path = f"{ARTIFACTS}/x/sql-statement/validate"
    answer = httpx.request(method, live.url + path, content=b"overwritten", headers=live.viewer)
    assert (answer.status_code, answer.json()["code"]) == (403, "Forbidden")
    listed = httpx.get(live.url + ARTIFACTS, headers=live.viewer)
    assert listed.status_code == 200
    assert [a["name"] for a in listed.json()["data"]] == []


def test_viewer_may_validate_sql_a_post_that_reads(live: Live) -> None:
    body = {"statement": "SELECT 1"}
    answer = httpx.post(
        live.url + f"/api/v2/namespaces/{NS}/sql-statement/validate", json=body, headers=live.viewer
    )
    assert answer.status_code == 200, answer.text
    # A read: not in the audit log, whatever its method. A refused write sent after it
    # is, so once that is there the validation would have been too.
    httpx.post(live.url + f"/api/v2/namespaces/{NS}/savepoints", json={}, headers=live.viewer)
    actions = _audit_actions(live, "vic", until="native:CreateSavepoint")
    assert "native:CreateSavepoint" in actions
    assert "native:ValidateSqlStatement" not in actions


def test_refused_writes_are_audited_with_dialect_operation_and_scope(live: Live) -> None:
    httpx.delete(live.url + f"{ARTIFACTS}/nothing.jar", headers=live.viewer)
    _audit_actions(live, "vic", until="native:DeleteArtifact")
    entries, _ = live.access.read_audit(live.admin, Scope(WS, NS), Page(offset=0, limit=500))
    refused = [e for e in entries if e.actor_name == "vic" and e.action == "native:DeleteArtifact"]
    assert refused, [e.action for e in entries]
    assert {(e.status_code, e.workspace, e.namespace) for e in refused} == {(403, WS, NS)}
    assert all(e.request_id for e in refused)
