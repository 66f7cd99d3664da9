"""Deployment drafts through the official ``alibabacloud-ververica20220718`` SDK.

A real uvicorn server in this process serves the native dialect over the fake services
of ``fakes.py`` (its deployments and its 'planner', which rejects ``SELEC`` with a line
and column) plus the real folder and draft services on a migrated SQLite database. All
nine draft operations, the lock between two users (the access key id names the caller),
the folder that holds a draft, and the rollback extension (over httpx: the SDK has none).
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from darabonba.runtime import RuntimeOptions
from fastapi import Request

from millstream.api.app import build_app
from millstream.control.context import Actor
from millstream.control.services.draft_runner import DraftRunner
from millstream.control.services.drafts import DraftService
from millstream.control.services.folders import FolderService
from millstream.domain.drafts import MAX_DRAFT_BYTES
from millstream.store import SqlStore, upgrade
from millstream.store.catalog import SqlCatalogStore
from millstream.store.drafts import DraftStore
from tests.ports import free_port

from .fakes import ADMIN, FakeWorld, fake_services

NS = "ns1"
RT = RuntimeOptions()
BOB = Actor(id="bob-id", name="bob")
SCRIPT = (
    "CREATE TEMPORARY TABLE s (id INT) WITH ('connector' = 'datagen');\n"
    "INSERT INTO k SELECT id FROM s;"
)


def _caller(request: Request) -> Actor:
    """Access key ``bob`` (``Credential=bob,...``) is Bob; any other key is the admin."""
    return BOB if "Credential=bob," in request.headers.get("authorization", "") else ADMIN


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


@dataclasses.dataclass
class Servers:
    admin: Any
    bob: Any
    base_url: str


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    base = fake_services(FakeWorld())
    folders = FolderService(SqlCatalogStore(store.engine))
    drafts = DraftService(
        DraftStore(store.engine), folders, base.deployments, runner=DraftRunner(workers=1)
    )
    services = dataclasses.replace(base, folders=folders, drafts=drafts)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(services, _caller), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)

    def client(key: str) -> Any:
        return Client(
            open_api_models.Config(
                access_key_id=key,
                access_key_secret="y",
                endpoint=f"127.0.0.1:{port}",
                protocol="http",
            )
        )

    try:
        yield Servers(client("x"), client("bob"), f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        drafts.close()
        store.close()


def _refused(call: Callable[[], Any]) -> ClientException:
    with pytest.raises(ClientException) as caught:
        call()
    return caught.value


def _h(cls: Any) -> Any:
    return cls(workspace="default")


def _artifact(script: str = SCRIPT) -> Any:
    return vv.Artifact(kind="SQLSCRIPT", sql_artifact=vv.SqlArtifact(sql_script=script))


def _create(sdk: Any, name: str = "orders", parent_id: str = "0", **extra: Any) -> Any:
    body = vv.DeploymentDraft(
        name=name, parent_id=parent_id, artifact=extra.pop("artifact", _artifact()), **extra
    )
    response = sdk.create_deployment_draft_with_options(
        NS, vv.CreateDeploymentDraftRequest(body=body), _h(vv.CreateDeploymentDraftHeaders), RT
    )
    assert response.body.success is True
    return response.body.data


def _get(sdk: Any, draft_id: str) -> Any:
    return sdk.get_deployment_draft_with_options(
        NS, draft_id, _h(vv.GetDeploymentDraftHeaders), RT
    ).body.data


def _update(sdk: Any, draft_id: str, body: Any) -> Any:
    return sdk.update_deployment_draft_with_options(
        NS,
        draft_id,
        vv.UpdateDeploymentDraftRequest(body=body),
        _h(vv.UpdateDeploymentDraftHeaders),
        RT,
    ).body.data


def _lock(sdk: Any, draft_id: str) -> Any:
    return sdk.get_deployment_draft_lock_with_options(
        NS,
        vv.GetDeploymentDraftLockRequest(deployment_draft_id=draft_id),
        _h(vv.GetDeploymentDraftLockHeaders),
        RT,
    ).body.data


def _validate(sdk: Any, draft_id: str) -> Any:
    ticket = sdk.validate_deployment_draft_async_with_options(
        NS,
        vv.ValidateDeploymentDraftAsyncRequest(
            body=vv.DraftValidateParams(deployment_draft_id=draft_id)
        ),
        _h(vv.ValidateDeploymentDraftAsyncHeaders),
        RT,
    ).body.data.ticket_id
    return _poll(
        lambda: (
            sdk.get_validate_deployment_draft_result_with_options(
                NS, ticket, _h(vv.GetValidateDeploymentDraftResultHeaders), RT
            ).body.data
        )
    )


def _deploy(sdk: Any, draft_id: str, *, skip_validate: bool = False) -> Any:
    ticket = sdk.deploy_deployment_draft_async_with_options(
        NS,
        vv.DeployDeploymentDraftAsyncRequest(
            body=vv.DraftDeployParams(deployment_draft_id=draft_id, skip_validate=skip_validate)
        ),
        _h(vv.DeployDeploymentDraftAsyncHeaders),
        RT,
    ).body.data.ticket_id
    return _poll(
        lambda: (
            sdk.get_deploy_deployment_draft_result_with_options(
                NS, ticket, _h(vv.GetDeployDeploymentDraftResultHeaders), RT
            ).body.data
        )
    )


def _poll(read: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + 10
    while True:
        result = read()
        if result.ticket_status != "PROCESSING":
            return result
        assert time.monotonic() < deadline, "ticket still PROCESSING after 10 s"
        time.sleep(0.05)


def test_sdk_creates_gets_lists_updates_and_deletes_drafts(servers: Servers) -> None:
    sdk = servers.admin
    created = _create(
        sdk, labels={"team": "data"}, local_variables=[vv.LocalVariable(name="v", value="1")]
    )
    assert created.deployment_draft_id
    assert (created.name, created.parent_id, created.namespace) == ("orders", "0", NS)
    assert created.artifact.sql_artifact.sql_script == SCRIPT
    assert created.labels == {"team": "data"}
    assert [(v.name, v.value) for v in created.local_variables] == [("v", "1")]
    assert created.execution_mode == "STREAMING"
    assert (created.creator, created.creator_name) == ("admin-id", "admin")
    assert created.lock is None

    assert _get(sdk, created.deployment_draft_id).name == "orders"
    _create(sdk, "second")
    listed = sdk.list_deployment_drafts_with_options(
        NS,
        vv.ListDeploymentDraftsRequest(page_index=1, page_size=1),
        _h(vv.ListDeploymentDraftsHeaders),
        RT,
    ).body
    assert (listed.total_size, len(listed.data), listed.data[0].name) == (2, 1, "orders")

    updated = _update(
        sdk,
        created.deployment_draft_id,
        vv.DeploymentDraft(name="orders-v2", execution_mode="BATCH"),
    )
    assert (updated.name, updated.execution_mode) == ("orders-v2", "BATCH")
    assert updated.artifact.sql_artifact.sql_script == SCRIPT  # kept

    deleted = sdk.delete_deployment_draft_with_options(
        NS, created.deployment_draft_id, _h(vv.DeleteDeploymentDraftHeaders), RT
    )
    assert deleted.body.success is True
    gone = _refused(lambda: _get(sdk, created.deployment_draft_id))
    assert (gone.status_code, gone.code) == (404, "NotFound")


def test_sdk_lock_keeps_other_editors_out(servers: Servers) -> None:
    draft = _create(servers.admin)
    lock = _lock(servers.bob, draft.deployment_draft_id)
    assert (lock.holder_id, lock.holder_name, lock.namespace) == ("bob-id", "bob", NS)
    assert _get(servers.admin, draft.deployment_draft_id).lock.holder_id == "bob-id"

    refused = _refused(
        lambda: _update(servers.admin, draft.deployment_draft_id, vv.DeploymentDraft(name="mine"))
    )
    assert (refused.status_code, refused.code) == (409, "Conflict")
    assert "locked by bob (bob-id) until " in refused.message
    assert _refused(lambda: _lock(servers.admin, draft.deployment_draft_id)).status_code == 409
    assert _refused(lambda: _deploy(servers.admin, draft.deployment_draft_id)).status_code == 409
    assert (
        _refused(
            lambda: servers.admin.delete_deployment_draft_with_options(
                NS, draft.deployment_draft_id, _h(vv.DeleteDeploymentDraftHeaders), RT
            )
        ).status_code
        == 409
    )
    # The holder edits and renews the same lock.
    assert (
        _update(servers.bob, draft.deployment_draft_id, vv.DeploymentDraft(name="bobs")).name
        == "bobs"
    )
    assert _lock(servers.bob, draft.deployment_draft_id).id == lock.id


def test_sdk_validation_reports_line_and_column(servers: Servers) -> None:
    sdk = servers.admin
    good = _validate(sdk, _create(sdk).deployment_draft_id)
    assert (good.ticket_status, good.success) == ("FINISHED", True)
    assert good.draft_validation_detail.sql_validation_result == "VALIDATION_RESULT_VALID"

    bad_draft = _create(sdk, "bad", artifact=_artifact("INSERT INTO k\n  SELEC id FROM s;"))
    bad = _validate(sdk, bad_draft.deployment_draft_id)
    assert (bad.ticket_status, bad.success) == ("FAILED", False)
    detail = bad.draft_validation_detail
    assert detail.sql_validation_result == "VALIDATION_RESULT_INVALID"
    assert (detail.sql_error_detail.line_number, detail.sql_error_detail.column_number) == (
        "2",
        "3",
    )
    assert "SELEC" in detail.sql_error_detail.message

    unknown = _refused(
        lambda: sdk.get_validate_deployment_draft_result_with_options(
            NS, "no-such-ticket", _h(vv.GetValidateDeploymentDraftResultHeaders), RT
        )
    )
    assert unknown.status_code == 404


def test_sdk_deploys_a_draft_and_the_previous_spec_rolls_back(servers: Servers) -> None:
    sdk = servers.admin
    draft = _create(sdk)
    first = _deploy(sdk, draft.deployment_draft_id)
    assert (first.ticket_status, first.success) == ("FINISHED", True)
    deployment = sdk.get_deployment_with_options(
        NS, first.deployment_id, _h(vv.GetDeploymentHeaders), RT
    ).body.data
    assert deployment.name == "orders"
    assert deployment.artifact.sql_artifact.sql_script == SCRIPT
    assert _get(sdk, draft.deployment_draft_id).referenced_deployment_id == first.deployment_id

    changed = SCRIPT.replace("SELECT id", "SELECT id + 1")
    _update(sdk, draft.deployment_draft_id, vv.DeploymentDraft(artifact=_artifact(changed)))
    second = _deploy(sdk, draft.deployment_draft_id)
    assert second.deployment_id == first.deployment_id
    assert (
        sdk.get_deployment_with_options(
            NS, first.deployment_id, _h(vv.GetDeploymentHeaders), RT
        ).body.data.artifact.sql_artifact.sql_script
        == changed
    )

    base = f"{servers.base_url}/api/v2/namespaces/{NS}/deployments/{first.deployment_id}"
    headers = {"workspace": "default"}
    revisions = httpx.get(f"{base}/spec-revisions", headers=headers).json()["data"]
    assert len(revisions) == 1
    assert revisions[0]["artifact"]["sqlArtifact"]["sqlScript"] == SCRIPT
    rolled = httpx.post(f"{base}/rollback", headers=headers).json()
    assert rolled["success"] is True
    assert rolled["data"]["artifact"]["sqlArtifact"]["sqlScript"] == SCRIPT
    assert rolled["data"]["replacedSpecRevisionId"]

    failing = _create(sdk, "broken", artifact=_artifact("SELEC 1"))
    refused = _deploy(sdk, failing.deployment_draft_id)
    assert (refused.ticket_status, refused.success, refused.deployment_id) == (
        "FAILED",
        False,
        None,
    )
    assert refused.artifact_validation_detail.error_details.line_number == "1"


def test_sdk_draft_errors_are_client_exceptions(servers: Servers) -> None:
    sdk = servers.admin
    _create(sdk, "dup")
    duplicate = _refused(lambda: _create(sdk, "dup"))
    assert (duplicate.status_code, duplicate.code) == (409, "Conflict")
    for bad in ("a/b", " padded", "tab\there", "x" * 129):
        refused = _refused(functools.partial(_create, sdk, bad))
        assert (refused.status_code, refused.code) == (400, "InvalidParameter"), bad
    oversize = _refused(
        lambda: _create(sdk, "big", artifact=_artifact("x" * (MAX_DRAFT_BYTES + 1)))
    )
    assert oversize.status_code == 413
    assert _refused(lambda: _create(sdk, "lost", "4242")).status_code == 404
    no_artifact = _refused(
        lambda: sdk.create_deployment_draft_with_options(
            NS,
            vv.CreateDeploymentDraftRequest(body=vv.DeploymentDraft(name="bare")),
            _h(vv.CreateDeploymentDraftHeaders),
            RT,
        )
    )
    assert no_artifact.status_code == 400
    assert "artifact" in no_artifact.message
    assert _refused(lambda: _lock(sdk, "")).status_code == 400
    assert _refused(lambda: _lock(sdk, "missing")).status_code == 404
    assert _refused(lambda: _validate(sdk, "missing")).status_code == 404
    assert (
        _refused(lambda: _update(sdk, "missing", vv.DeploymentDraft(name="x"))).status_code == 404
    )
    assert _refused(lambda: _get(sdk, "no such\x00id")).status_code == 400


def test_sdk_cannot_delete_a_folder_holding_a_draft(servers: Servers) -> None:
    sdk = servers.admin
    folder = sdk.create_folder_with_options(
        NS,
        vv.CreateFolderRequest(body=vv.Folder(name="busy", parent_id="0")),
        _h(vv.CreateFolderHeaders),
        RT,
    ).body.data
    draft = _create(sdk, "kept", folder.folder_id)
    assert draft.parent_id == folder.folder_id

    def delete_folder() -> Any:
        return sdk.delete_folder_with_options(NS, folder.folder_id, _h(vv.DeleteFolderHeaders), RT)

    refused = _refused(delete_folder)
    assert (refused.status_code, refused.code) == (409, "Conflict")
    assert "deployment draft(s)" in refused.message
    sdk.delete_deployment_draft_with_options(
        NS, draft.deployment_draft_id, _h(vv.DeleteDeploymentDraftHeaders), RT
    )
    assert delete_folder().body.success is True
