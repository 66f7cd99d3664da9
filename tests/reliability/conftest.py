"""Reliability fixtures (issue 6): restartable server processes, a fresh PostgreSQL
database per module, and views of what the shared Flink cluster really runs.

Servers are real ``millstream.server.serve`` processes (``tests.e2e.conftest.start_server``)
that a test may SIGKILL and restart on the same data dir and port. Everything they create
on the session Flink cluster is named ``rel-...`` and cancelled when the module ends, so a
failing test never leaves jobs that eat the slots of the next one.

``SOAK`` (``MILLSTREAM_SOAK=1``, ``make soak``) turns on the long randomized variants.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import psycopg
import pytest

from millstream.engine import LocalCluster
from tests.e2e.conftest import (
    DATAGEN_SQL,
    Api,
    free_port,
    sql_deployment,
    start_server,
    stop_server,
    wait_healthy,
)

__all__ = [
    "DATAGEN_SQL",
    "PREFIX",
    "SOAK",
    "Server",
    "TcpProxy",
    "all_events",
    "flink_jobs",
    "live_flink_jobs",
    "local_path",
    "new_deployment",
    "pg_url",
    "report",
    "wait_until",
]

SOAK = os.environ.get("MILLSTREAM_SOAK") == "1"
PREFIX = "rel-"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
FLINK_ENDED = frozenset({"FINISHED", "CANCELED", "FAILED"})


def report(line: str) -> None:
    """A measured number for the test output (visible with ``-s``) and the CI log."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def wait_until(
    what: str, check: Callable[[], Any], *, timeout: float, interval: float = 0.3
) -> Any:
    """Poll ``check`` until it returns something truthy (returned); bounded in time."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def local_path(location: str) -> Path:
    return Path(urlparse(location).path) if location.startswith("file:") else Path(location)


# --------------------------------------------------------------------------- Flink views


def flink_jobs(rest_url: str) -> list[dict[str, Any]]:
    """Every job Flink's ``/jobs/overview`` lists (name = the deployment name)."""
    answer = httpx.get(f"{rest_url}/jobs/overview", timeout=10).json()
    # A JobManager still recovering its jobs answers {"errors": [...]}: none listed yet.
    jobs: list[dict[str, Any]] = answer.get("jobs", [])
    return jobs


def live_flink_jobs(rest_url: str, name: str | None = None) -> list[dict[str, Any]]:
    return [
        j
        for j in flink_jobs(rest_url)
        if j["state"] not in FLINK_ENDED and (name is None or j["name"] == name)
    ]


def _cancel_ours(rest_url: str) -> None:
    try:
        jobs = live_flink_jobs(rest_url)
    except httpx.HTTPError:
        return
    for job in jobs:
        if str(job["name"]).startswith(PREFIX):
            httpx.patch(f"{rest_url}/jobs/{job['jid']}", params={"mode": "cancel"}, timeout=10)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not any(str(j["name"]).startswith(PREFIX) for j in live_flink_jobs(rest_url)):
            return
        time.sleep(0.3)


class TcpProxy:
    """A TCP forwarder (to Flink's REST port, to PostgreSQL) that a test can take down and
    bring back: connections are refused while it is down."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self._target = target_port
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.2)
        self._listener = listener
        self._stopping.clear()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Refuse new connections and cut the open ones."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self._target), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        try:
            selector.register(a, selectors.EVENT_READ, b)
            selector.register(b, selectors.EVENT_READ, a)
            while not self._stopping.is_set():
                for key, _ in selector.select(0.2):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = source.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            for sock in (a, b):
                sock.close()
                with self._lock:
                    self._sockets.discard(sock)


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    """One Millstream server process that a test may kill and start again (same data dir,
    same port, same store); ``api`` stays valid across restarts."""

    data_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    credentials: Path | None = None  # default: <data_dir>/credentials (written on first start)
    starts: int = 0
    _api: Api | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def start(self, *, wait: bool = True, timeout: float = 90) -> Server:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.process, _ = start_server(
            data_dir=self.data_dir, env_overrides=self.env, port=self.port
        )
        self.starts += 1
        if wait:
            self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 90) -> None:
        assert self.process is not None
        wait_healthy(self.url, self.process, self.log_file, timeout)

    def kill(self) -> None:
        """SIGKILL, like a crash: no drain, no lock release, no cleanup."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.process is None:
            return None
        return stop_server(self.process, sig)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def api(self) -> Api:
        if self._api is None:
            credentials = self.credentials or self.data_dir / "credentials"
            self._api = Api(self.url, credentials, self.log_tail)
        return self._api

    def close(self) -> None:
        self.kill()
        if self._api is not None:
            self._api.close()
            self._api = None


@pytest.fixture(scope="module")
def servers(flink: LocalCluster) -> Iterator[list[Server]]:
    """Servers a module starts (append them); killed at module end, then every ``rel-``
    job they left on the session Flink is cancelled."""
    started: list[Server] = []
    yield started
    for server in started:
        server.close()
    _cancel_ours(flink.rest_url)


def server_env(flink: LocalCluster, **extra: str) -> dict[str, str]:
    return {
        "MILLSTREAM_FLINK__EXTERNAL_REST_URL": flink.rest_url,
        "MILLSTREAM_RECONCILER__INTERVAL": "0.5",
        "MILLSTREAM_RECONCILER__DETAILS_INTERVAL": "1",
        **extra,
    }


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_reachable() -> bool:
    try:
        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def pg_url(database: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"


def terminate_backends(database: str) -> int:
    """``pg_terminate_backend`` every connection to ``database`` except ours."""
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    return len(rows)


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the module (name returned), dropped afterwards."""
    with fresh_database() as name:
        yield name


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database (name returned), dropped afterwards."""
    if not _postgres_reachable():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = f"millstream_rel_{uuid.uuid4().hex[:10]}"
    assert re.fullmatch(r"[a-z0-9_]+", name)
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        terminate_backends(name)
        # FORCE: a module's servers are closed after its databases are dropped, and one
        # that reconnects between the terminate and the drop would fail the teardown.
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --------------------------------------------------------------------------- API helpers


def new_deployment(api: Api, script: str = DATAGEN_SQL, **extra: Any) -> dict[str, Any]:
    """A streaming SQL deployment named ``rel-<random>`` (parallelism 1)."""
    name = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    deployment: dict[str, Any] = api.ok(
        "POST", "deployments", body=sql_deployment(name, script, **extra)
    )
    return deployment


def all_events(api: Api, deployment_id: str, *, limit_pages: int = 50) -> list[dict[str, Any]]:
    """Every event of a deployment (pages of 100, bounded)."""
    events: list[dict[str, Any]] = []
    for page in range(1, limit_pages + 1):
        _, envelope = api.call(
            "GET",
            "events",
            params={"deploymentId": deployment_id, "pageIndex": page, "pageSize": 100},
        )
        assert envelope["success"] is True, envelope
        batch = envelope["data"] or []
        events.extend(batch)
        if len(batch) < 100:
            break
    return events


def all_jobs(api: Api, deployment_id: str) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    for page in range(1, 51):
        _, envelope = api.call(
            "GET",
            "jobs",
            params={"deploymentId": deployment_id, "pageIndex": page, "pageSize": 100},
        )
        assert envelope["success"] is True, envelope
        batch = envelope["data"] or []
        jobs.extend(batch)
        if len(batch) < 100:
            break
    return jobs


def start_job(api: Api, deployment_id: str, kind: str = "NONE", **restore: Any) -> dict[str, Any]:
    job: dict[str, Any] = api.ok(
        "POST",
        "jobs:start",
        body={"deploymentId": deployment_id, "restoreStrategy": {"kind": kind, **restore}},
    )
    return job


def stop_job(api: Api, job_id: str, strategy: str = "STOP_WITH_SAVEPOINT") -> dict[str, Any]:
    job: dict[str, Any] = api.ok("POST", f"jobs/{job_id}:stop", body={"stopStrategy": strategy})
    return job


def status_of(job: dict[str, Any]) -> str:
    return str(job["status"]["currentJobStatus"])
