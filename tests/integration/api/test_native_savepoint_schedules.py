"""Native periodic-savepoint schedules (GetSavepointSchedule, PutSavepointSchedule,
DeleteSavepointSchedule, a Millstream extension) through the app on ASGITransport, over
real services on SQLite: a round trip in the native envelope, bad input as 400s in that
envelope (never a 500), an unknown deployment as 404, and a schedule that outlives the
app (a control-plane restart) until it is deleted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from millstream.api.app import build_app
from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import SYSTEM, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.services import (
    DeploymentPatch,
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.services.savepoint_schedules import SavepointScheduleService
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import ClusterKind
from millstream.store import SqlStore, upgrade
from millstream.store.savepoint_schedules import SqlSavepointScheduleStore
from tests.fakes import FakeEngine

from .conftest import authenticate_admin

WS, NS = "default", "ns1"
SQL = (
    "CREATE TEMPORARY TABLE s (a INT) WITH ('connector' = 'datagen');\n"
    "CREATE TEMPORARY TABLE t (a INT) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO t SELECT a FROM s;"
)


def _services(store: SqlStore) -> Services:
    engine = FakeEngine()
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    notifier = Notifier()
    deployments = DeploymentService(store, engine, versions)
    return Services(
        deployments=deployments,
        jobs=JobService(store, engine, notifier),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace=WS,
        savepoint_schedules=SavepointScheduleService(
            SqlSavepointScheduleStore(store.engine), deployments
        ),
    )


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    with _open(url) as store:
        ensure_defaults(
            store,
            workspace=WS,
            namespace=NS,
            cluster_kind=ClusterKind.EXTERNAL,
            rest_url="http://flink.invalid:8081",
        )
    return url


class _open:
    def __init__(self, url: str) -> None:
        self.store = SqlStore(url)

    def __enter__(self) -> SqlStore:
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()


async def _client(store: SqlStore) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(_services(store), authenticate_admin, max_body_bytes=64 * 1024)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as c:
        yield c


def _deployment(store: SqlStore) -> str:
    created = _services(store).deployments.create(
        Scope(WS, NS),
        SYSTEM,
        DeploymentPatch(name="orders", artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=SQL)),
    )
    return created.id


def _path(deployment_id: str) -> str:
    return f"/api/v2/namespaces/{NS}/deployments/{deployment_id}/savepoint-schedule"


def _data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    data: dict[str, Any] = body["data"]
    return data


async def test_put_get_round_trip_survives_a_restart_and_delete(database_url: str) -> None:
    with _open(database_url) as store:
        deployment_id = _deployment(store)
        async for client in _client(store):
            put = await client.put(
                _path(deployment_id),
                json={
                    "cron": "0 * * * *",
                    "timezone": "Europe/Berlin",
                    "maxCount": 5,
                    "maxAgeSeconds": 604800,
                    "blackouts": ["09:00-10:00"],
                },
            )
            written = _data(put)
            assert written["cron"] == "0 * * * *"
            assert written["intervalSeconds"] is None
            assert written["blackouts"] == ["09:00-10:00"]
            assert written["nextDueAt"].endswith(":00:00+00:00")
    with _open(database_url) as store:  # a new app over the same database
        async for client in _client(store):
            read = _data(await client.get(_path(deployment_id)))
            assert {k: read[k] for k in ("cron", "timezone", "maxCount", "maxAgeSeconds")} == {
                "cron": "0 * * * *",
                "timezone": "Europe/Berlin",
                "maxCount": 5,
                "maxAgeSeconds": 604800,
            }
            assert (await client.delete(_path(deployment_id))).status_code == 200
            gone = await client.get(_path(deployment_id))
            assert gone.status_code == 404
            assert gone.json()["success"] is False
            assert (await client.delete(_path(deployment_id))).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"intervalSeconds": 60, "cron": "0 * * * *"},
        {"cron": "not a cron"},
        {"cron": "61 * * * *"},
        {"intervalSeconds": 0},
        {"intervalSeconds": "soon"},
        {"intervalSeconds": 60, "maxCount": 0},
        {"intervalSeconds": 60, "maxAgeSeconds": -1},
        {"intervalSeconds": 60, "timezone": "Mars/Olympus"},
        {"intervalSeconds": 60, "blackouts": ["25:00-26:00"]},
        {"intervalSeconds": 60, "blackouts": ["09:00-09:00"]},
        {"intervalSeconds": 60, "blackouts": "09:00-10:00"},
        {"intervalSeconds": 60, "everySoOften": True},
    ],
)
async def test_bad_schedules_are_400_in_the_native_envelope(
    database_url: str, body: dict[str, Any]
) -> None:
    with _open(database_url) as store:
        deployment_id = _deployment(store)
        async for client in _client(store):
            response = await client.put(_path(deployment_id), json=body)
            assert response.status_code == 400, response.text
            envelope = response.json()
            assert envelope["success"] is False
            assert envelope["httpCode"] == 400
            assert envelope["errorMessage"]


async def test_unknown_deployment_is_404(database_url: str) -> None:
    with _open(database_url) as store:
        async for client in _client(store):
            response = await client.put(_path("no-such-id"), json={"intervalSeconds": 60})
            assert response.status_code == 404
            assert response.json()["success"] is False
