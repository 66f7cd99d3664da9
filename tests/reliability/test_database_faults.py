"""Issue 6 point 4: database faults under load.

PostgreSQL is shared on this machine, so it is never restarted: every connection of the
server to the module's own database is killed with ``pg_terminate_backend`` (what a
restart does to a client) while API calls run. Requests either succeed or fail with a
retryable 503 ``StoreUnavailable`` envelope, and the reconciler (whose leader-lock session
dies too) resumes. SQLite on a full disk (a 2 MiB tmpfs) answers with a clear error and
the file stays intact.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from millstream.engine import LocalCluster
from tests.e2e.conftest import DATAGEN_SQL, Api, sql_deployment
from tests.reliability.conftest import (
    PREFIX,
    SOAK,
    Server,
    TcpProxy,
    fresh_database,
    new_deployment,
    pg_url,
    report,
    server_env,
    start_job,
    stop_job,
    terminate_backends,
    wait_until,
)

pytestmark = pytest.mark.flink

LOAD_SECONDS = 60.0 if SOAK else 8.0
WORKERS = 4


def _load(api_url: str, credentials: Path, stop: threading.Event, seen: Counter[str]) -> None:
    """Reads and writes until ``stop``; every outcome is counted as 'status code'."""
    api = Api(api_url, credentials, lambda: "")
    try:
        while not stop.is_set():
            name = f"{PREFIX}db-{uuid.uuid4().hex[:8]}"
            for method, path, body in (
                ("GET", "deployments", None),
                ("POST", "deployments", sql_deployment(name, DATAGEN_SQL)),
                ("GET", "deployments", None),
            ):
                try:
                    status, envelope = api.call(method, path, body=body)
                except httpx.HTTPError as exc:
                    seen[f"transport {type(exc).__name__}"] += 1
                    continue
                except json.JSONDecodeError:
                    seen[f"{method} not json"] += 1
                    continue
                seen[f"{status} {envelope.get('errorCode') or 'ok'}"] += 1
    finally:
        api.close()


@pytest.mark.postgres
def test_killed_postgres_connections_fail_cleanly_and_reconciler_resumes(
    flink: LocalCluster, servers: list[Server], pg_database: str, tmp_path: Path
) -> None:
    server = Server(
        tmp_path / "pg", server_env(flink, MILLSTREAM_STORE__URL=pg_url(pg_database))
    ).start()
    servers.append(server)
    credentials = server.data_dir / "credentials"
    stop = threading.Event()
    seen: Counter[str] = Counter()
    workers = [
        threading.Thread(target=_load, args=(server.url, credentials, stop, seen))
        for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    terminated = 0
    deadline = time.monotonic() + LOAD_SECONDS
    while time.monotonic() < deadline:
        time.sleep(1.0)
        terminated += terminate_backends(pg_database)
    stop.set()
    for worker in workers:
        worker.join(60)
    report(f"\n[db-faults] terminated {terminated} backends; outcomes {dict(seen)}")
    assert terminated > 0
    allowed = {"200 ok", "503 StoreUnavailable"}
    assert set(seen) <= allowed, (dict(seen), server.log_tail())
    assert seen["200 ok"] > 0
    assert server.alive

    # the reconciler resumes (its lock session was killed too)
    api = server.api
    deployment = new_deployment(api)
    job = start_job(api, deployment["deploymentId"])
    api.wait_status(job["jobId"], "RUNNING", timeout=60)
    stop_job(api, job["jobId"], "NONE")
    api.wait_status(job["jobId"], "CANCELLED")


@pytest.fixture
def own_database() -> Iterator[str]:
    """A database of its own: the module's other servers hold the reconciler lock and the
    admin key of ``pg_database``."""
    with fresh_database() as name:
        yield name


@pytest.mark.postgres
def test_postgres_outage_fails_requests_cleanly_and_reconciler_resumes(
    flink: LocalCluster, servers: list[Server], own_database: str, tmp_path: Path
) -> None:
    """A PostgreSQL restart as the server sees it, without restarting the shared one: the
    server reaches it through a proxy that refuses connections for a while."""
    proxy = TcpProxy(5432)
    proxy.up()
    url = pg_url(own_database).replace(":5432/", f":{proxy.port}/")
    server = Server(tmp_path / "pg-outage", server_env(flink, MILLSTREAM_STORE__URL=url))
    servers.append(server)
    try:
        server.start()
        api = server.api
        wait_until("the reconciler", lambda: "now runs the reconciler" in server.log(), timeout=60)
        proxy.down()
        outage: Counter[str] = Counter()
        outage_end = time.monotonic() + (30.0 if SOAK else 4.0)
        while time.monotonic() < outage_end:
            status, envelope = api.call("GET", "deployments")
            outage[f"{status} {envelope.get('errorCode') or 'ok'}"] += 1
            time.sleep(0.2)
        proxy.up()
        report(f"\n[db-faults] during a PostgreSQL outage: {dict(outage)}")
        assert set(outage) == {"503 StoreUnavailable"}, (dict(outage), server.log_tail())
        deployment = wait_until(
            "the API to write again",
            lambda: api.call("GET", "deployments")[0] == 200 and new_deployment(api),
            timeout=30,
        )
        job = start_job(api, deployment["deploymentId"])
        api.wait_status(job["jobId"], "RUNNING", timeout=60)
        stop_job(api, job["jobId"], "NONE")
        api.wait_status(job["jobId"], "CANCELLED")
    finally:
        proxy.down()
        server.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (root only); skipped where mounting is not permitted."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out, contextlib.suppress(OSError):
        for _ in range(4096):  # bounded: 16 MiB, far more than the disk
            out.write(b"\0" * 4096)
    return filler


def test_sqlite_disk_full_is_a_clear_error_without_corruption(
    flink: LocalCluster, servers: list[Server], small_disk: Path, tmp_path: Path
) -> None:
    database = small_disk / "millstream.db"
    server = Server(
        tmp_path / "sqlite", server_env(flink, MILLSTREAM_STORE__URL=f"sqlite:///{database}")
    ).start()
    servers.append(server)
    api = server.api
    kept = new_deployment(api)
    filler = _fill(small_disk)
    assert shutil.disk_usage(small_disk).free < 64 * 1024

    comment = "-- " + "x" * 1000 + "\n"
    failures: list[tuple[int, dict[str, object]]] = []
    for attempt in range(20):  # bounded: the WAL fills within a few writes
        body = sql_deployment(f"{PREFIX}full-{attempt}", comment * 200 + DATAGEN_SQL)
        status, envelope = api.call("POST", "deployments", body=body)
        if status != 200:
            failures.append((status, envelope))
            break
    assert failures, "writes kept succeeding on a full disk"
    status, envelope = failures[0]
    report(
        f"\n[db-faults] disk full -> {status} {envelope.get('errorCode')}: "
        f"{envelope.get('errorMessage')}"
    )
    assert status == 503, envelope
    assert envelope["success"] is False
    assert envelope["errorCode"] == "StoreUnavailable"
    assert "full" in str(envelope["errorMessage"]).lower()
    status, envelope = api.call("GET", f"deployments/{kept['deploymentId']}")
    assert status == 200 or envelope["errorCode"] == "StoreUnavailable", envelope

    filler.unlink()  # space again: the same server reads and writes again
    assert api.ok("GET", f"deployments/{kept['deploymentId']}")["name"] == kept["name"]
    assert api.ok("POST", "deployments", body=sql_deployment(f"{PREFIX}after", DATAGEN_SQL))
    assert server.stop() == 0
    with contextlib.closing(sqlite3.connect(database)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        names = {row[0] for row in conn.execute("SELECT name FROM deployments")}
    assert {kept["name"], f"{PREFIX}after"} <= names
