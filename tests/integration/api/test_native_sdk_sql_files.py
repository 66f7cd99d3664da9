"""Folders and SQL files through the official ``alibabacloud-ververica20220718`` SDK.

A real uvicorn server in this process serves the native dialect over the fake services
of ``fakes.py`` plus the real folder and SQL file services on a migrated SQLite database;
the SDK is configured as sdk-wire-notes.md §1.A says. All eight operations, and the
errors a user meets: not found, duplicate names, bad names, oversize scripts, a folder
that still holds SQL files.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from darabonba.runtime import RuntimeOptions

from millstream.api.app import build_app
from millstream.control.services.folders import FolderService
from millstream.control.services.sql_files import SqlFileService
from millstream.domain.sql_files import MAX_SCRIPT_BYTES
from millstream.store import SqlStore, upgrade
from millstream.store.catalog import SqlCatalogStore
from millstream.store.sql_files import SqlFileStore
from tests.ports import free_port

from .conftest import authenticate_admin
from .fakes import FakeWorld, fake_services

NS = "ns1"
RT = RuntimeOptions()


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


@pytest.fixture
def sdk(tmp_path: Path) -> Iterator[Any]:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    folders = FolderService(SqlCatalogStore(store.engine))
    services = dataclasses.replace(
        fake_services(FakeWorld()),
        folders=folders,
        sql_files=SqlFileService(SqlFileStore(store.engine), folders),
    )
    port = _free_port()
    app = build_app(services, authenticate_admin)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    config = open_api_models.Config(
        access_key_id="x", access_key_secret="y", endpoint=f"127.0.0.1:{port}", protocol="http"
    )
    try:
        yield Client(config)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def _create_folder(sdk: Any, name: str, parent_id: str = "0") -> Any:
    response = sdk.create_folder_with_options(
        NS,
        vv.CreateFolderRequest(body=vv.Folder(name=name, parent_id=parent_id)),
        vv.CreateFolderHeaders(workspace="default"),
        RT,
    )
    assert response.body.success is True
    return response.body.data


def _get_folder(sdk: Any, folder_id: str | None = None) -> Any:
    return sdk.get_folder_with_options(
        NS, vv.GetFolderRequest(folder_id=folder_id), vv.GetFolderHeaders(workspace="default"), RT
    ).body.data


def _create_sql_file(sdk: Any, name: str, parent_id: str = "0", script: str = "SELECT 1;") -> Any:
    response = sdk.create_sql_file_with_options(
        NS,
        vv.CreateSqlFileRequest(
            body=vv.SqlFile(
                name=name,
                parent_id=parent_id,
                sql_script=script,
                session_cluster_name="sc-1",
                description="first draft",
            )
        ),
        vv.CreateSqlFileHeaders(workspace="default"),
        RT,
    )
    assert response.body.success is True
    return response.body.data


def _get_sql_file(sdk: Any, sql_file_id: str) -> Any:
    return sdk.get_sql_file_with_options(
        NS, sql_file_id, vv.GetSqlFileRequest(), vv.GetSqlFileHeaders(workspace="default"), RT
    ).body.data


def _update_sql_file(sdk: Any, sql_file_id: str, body: Any) -> Any:
    return sdk.update_sql_file_with_options(
        NS,
        sql_file_id,
        vv.UpdateSqlFileRequest(body=body),
        vv.UpdateSqlFileHeaders(workspace="default"),
        RT,
    ).body.data


def _delete_folder(sdk: Any, folder_id: str) -> Any:
    return sdk.delete_folder_with_options(
        NS, folder_id, vv.DeleteFolderHeaders(workspace="default"), RT
    )


def _delete_sql_file(sdk: Any, sql_file_id: str) -> Any:
    return sdk.delete_sql_file_with_options(
        NS,
        sql_file_id,
        vv.DeleteSqlFileRequest(),
        vv.DeleteSqlFileHeaders(workspace="default"),
        RT,
    )


def _refused(call: Any) -> ClientException:
    with pytest.raises(ClientException) as caught:
        call()
    return caught.value


def test_sdk_creates_gets_renames_moves_and_deletes_folders(sdk: Any) -> None:
    reports = _create_folder(sdk, "reports")
    assert reports.name == "reports"
    assert reports.parent_id == "0"
    assert reports.namespace == NS
    assert reports.created_at > 0
    daily = _create_folder(sdk, "daily", reports.folder_id)
    assert daily.parent_id == reports.folder_id

    root = _get_folder(sdk)
    assert root.folder_id == "0"
    assert [(f.name, f.folder_id) for f in root.sub_folder] == [("reports", reports.folder_id)]
    got = _get_folder(sdk, reports.folder_id)
    assert [f.name for f in got.sub_folder] == ["daily"]

    archive = _create_folder(sdk, "archive")
    moved = sdk.update_folder_with_options(
        NS,
        daily.folder_id,
        vv.UpdateFolderRequest(body=vv.Folder(name="nightly", parent_id=archive.folder_id)),
        vv.UpdateFolderHeaders(workspace="default"),
        RT,
    ).body.data
    assert (moved.folder_id, moved.name, moved.parent_id) == (
        daily.folder_id,
        "nightly",
        archive.folder_id,
    )
    assert [f.name for f in _get_folder(sdk, archive.folder_id).sub_folder] == ["nightly"]
    assert _get_folder(sdk, reports.folder_id).sub_folder == []

    assert _delete_folder(sdk, moved.folder_id).body.success is True
    missing = _refused(lambda: _get_folder(sdk, moved.folder_id))
    assert (missing.status_code, missing.code) == (404, "NotFound")


def test_sdk_folder_errors_are_client_exceptions(sdk: Any) -> None:
    _create_folder(sdk, "dup")
    duplicate = _refused(lambda: _create_folder(sdk, "dup"))
    assert (duplicate.status_code, duplicate.code) == (409, "Conflict")
    assert "already exists" in duplicate.message
    slash = _refused(lambda: _create_folder(sdk, "a/b"))
    assert (slash.status_code, slash.code) == (400, "InvalidParameter")
    no_parent = _refused(lambda: _create_folder(sdk, "orphan", "987"))
    assert no_parent.status_code == 404
    for bad in ("not-a-number", "\u00b2", "-1"):
        bad_id = _refused(lambda bad=bad: _get_folder(sdk, bad))
        assert (bad_id.status_code, bad_id.code) == (400, "InvalidParameter"), bad
    root = _refused(lambda: _delete_folder(sdk, "0"))
    assert root.status_code == 400


def test_sdk_creates_gets_updates_and_deletes_a_sql_file(sdk: Any) -> None:
    folder = _create_folder(sdk, "drafts")
    created = _create_sql_file(sdk, "report.sql", folder.folder_id)
    assert created.sql_file_id
    assert (created.name, created.parent_id, created.sql_script) == (
        "report.sql",
        folder.folder_id,
        "SELECT 1;",
    )
    assert (created.session_cluster_name, created.batch_mode) == ("sc-1", "false")
    assert (created.namespace, created.workspace) == (NS, "default")

    got = _get_sql_file(sdk, created.sql_file_id)
    assert got.to_map() == created.to_map()

    updated = _update_sql_file(
        sdk,
        created.sql_file_id,
        vv.SqlFile(sql_script="SELECT 2;", batch_mode="true", name="report-v2.sql"),
    )
    assert (updated.sql_script, updated.batch_mode, updated.name) == (
        "SELECT 2;",
        "true",
        "report-v2.sql",
    )
    assert updated.description == "first draft"
    assert _get_sql_file(sdk, created.sql_file_id).sql_script == "SELECT 2;"

    moved = _update_sql_file(sdk, created.sql_file_id, vv.SqlFile(parent_id="0"))
    assert moved.parent_id == "0"

    deleted = _delete_sql_file(sdk, created.sql_file_id)
    assert deleted.body.success is True
    assert deleted.body.data.sql_file_id == created.sql_file_id
    gone = _refused(lambda: _get_sql_file(sdk, created.sql_file_id))
    assert (gone.status_code, gone.code) == (404, "NotFound")


def test_sdk_sql_file_errors_are_client_exceptions(sdk: Any) -> None:
    first = _create_sql_file(sdk, "q.sql")
    duplicate = _refused(lambda: _create_sql_file(sdk, "q.sql"))
    assert (duplicate.status_code, duplicate.code) == (409, "Conflict")
    assert "already has a SQL file named 'q.sql'" in duplicate.message

    for bad in ("a/b.sql", " padded", "tab\there", "x" * 129):
        refused = _refused(lambda bad=bad: _create_sql_file(sdk, bad))
        assert (refused.status_code, refused.code) == (400, "InvalidParameter"), bad

    oversize = _refused(
        lambda: _create_sql_file(sdk, "big.sql", script="x" * (MAX_SCRIPT_BYTES + 1))
    )
    assert (oversize.status_code, oversize.code) == (413, "PayloadTooLarge")

    no_folder = _refused(lambda: _create_sql_file(sdk, "lost.sql", "4242"))
    assert (no_folder.status_code, no_folder.code) == (404, "NotFound")

    missing = _refused(lambda: _update_sql_file(sdk, "missing", vv.SqlFile(sql_script="x")))
    assert (missing.status_code, missing.code) == (404, "NotFound")
    _create_sql_file(sdk, "other.sql")
    taken = _refused(lambda: _update_sql_file(sdk, first.sql_file_id, vv.SqlFile(name="other.sql")))
    assert taken.status_code == 409
    bad_batch = _refused(
        lambda: _update_sql_file(sdk, first.sql_file_id, vv.SqlFile(batch_mode="maybe"))
    )
    assert bad_batch.status_code == 400
    assert _get_sql_file(sdk, first.sql_file_id).name == "q.sql"

    required = _refused(
        lambda: sdk.create_sql_file_with_options(
            NS,
            vv.CreateSqlFileRequest(body=vv.SqlFile(name="no-script.sql", parent_id="0")),
            vv.CreateSqlFileHeaders(workspace="default"),
            RT,
        )
    )
    assert required.status_code == 400
    assert "sqlScript" in required.message
    gone = _refused(lambda: _delete_sql_file(sdk, "missing"))
    assert gone.status_code == 404
    odd_id = _refused(lambda: _get_sql_file(sdk, "no such\x00id"))
    assert (odd_id.status_code, odd_id.code) == (400, "InvalidParameter")


def test_sdk_cannot_delete_a_folder_holding_sql_files(sdk: Any) -> None:
    folder = _create_folder(sdk, "busy")
    sql_file = _create_sql_file(sdk, "keep.sql", folder.folder_id)
    refused = _refused(lambda: _delete_folder(sdk, folder.folder_id))
    assert (refused.status_code, refused.code) == (409, "Conflict")
    assert "holds 1 SQL file(s)" in refused.message
    assert _get_folder(sdk, folder.folder_id).name == "busy"

    _delete_sql_file(sdk, sql_file.sql_file_id)
    assert _delete_folder(sdk, folder.folder_id).body.success is True
