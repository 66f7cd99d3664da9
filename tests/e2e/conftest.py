"""End-to-end fixtures: a real Millstream server process on the session's real Flink cluster.

``millstream_server`` runs ``millstream.server.serve`` in a subprocess (its own data dir and
SQLite file) pointed at the ``flink`` session cluster; ``api`` talks to it over real HTTP,
signing requests with the admin key the server wrote on first start when there is one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from millstream.client.config import ClientConfig
from millstream.client.signing import sign_request
from millstream.engine import LocalCluster
from tests.ports import free_port as free_port  # re-exported for the e2e tests

NS = "default-namespace"
WS = "default"


@dataclass
class ServerHandle:
    url: str
    data_dir: Path
    credentials_file: Path
    log_file: Path
    process: subprocess.Popen[bytes]
    flink: LocalCluster

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def start_server(
    *, data_dir: Path, env_overrides: dict[str, str], port: int, args: str = ""
) -> tuple[subprocess.Popen[bytes], Path]:
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = data_dir / "server.log"
    env = {
        **os.environ,
        "MILLSTREAM_DATA_DIR": str(data_dir),
        "MILLSTREAM_API__PORT": str(port),
        "MILLSTREAM_CREDENTIALS_FILE": str(data_dir / "credentials"),
        "MILLSTREAM_RECONCILER__INTERVAL": "0.5",
        **env_overrides,
    }
    with log_file.open("ab") as out:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-c", f"from millstream.server import serve; serve({args})"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, log_file


def wait_healthy(
    url: str, process: subprocess.Popen[bytes], log_file: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited {process.returncode}:\n{log_file.read_text()[-4000:]}"
            )
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server not healthy in {timeout}s:\n{log_file.read_text()[-4000:]}")


def stop_server(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    return process.returncode


@pytest.fixture(scope="session")
def millstream_server(
    flink: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerHandle]:
    data_dir = tmp_path_factory.mktemp("millstream-e2e")
    port = free_port()
    process, log_file = start_server(
        data_dir=data_dir,
        port=port,
        env_overrides={
            "MILLSTREAM_FLINK__EXTERNAL_REST_URL": flink.rest_url,
            # Health checks and alerts in seconds, webhooks to the tests' local receiver.
            "MILLSTREAM_HEALTH__INTERVAL": "1",
            "MILLSTREAM_ALERTS__INTERVAL": "1",
            "MILLSTREAM_ALERTS__ALLOWED_HOSTS": '["127.0.0.1"]',
        },
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log_file, timeout=120)
        yield ServerHandle(url, data_dir, data_dir / "credentials", log_file, process, flink)
    finally:
        stop_server(process)


Signer = Callable[[httpx.Request], None]


def signer(credentials_file: Path) -> Signer:
    """Sign like the official SDK with the admin key the server wrote on first start."""
    config = ClientConfig.load(credentials_file=credentials_file, env={})

    def sign(request: httpx.Request) -> None:
        sign_request(request, config.access_key_id or "", config.access_key_secret or "")

    return sign


class Api:
    """Real HTTP to the native API; returns (status, envelope) and never hides errors."""

    def __init__(self, url: str, credentials_file: Path, log_tail: Callable[[], str]) -> None:
        self._log_tail = log_tail
        self._http = httpx.Client(base_url=url, timeout=60)
        self._sign = signer(credentials_file)

    def close(self) -> None:
        self._http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        params: dict[str, Any] | None = None,
        namespace: str = NS,
    ) -> tuple[int, dict[str, Any]]:
        url = path if path.startswith("/") else f"/api/v2/namespaces/{namespace}/{path}"
        content = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        headers = {"workspace": WS, "accept": "application/json"}
        if content is not None:
            headers["content-type"] = "application/json; charset=utf-8"
        request = self._http.build_request(
            method, url, content=content, params=params, headers=headers
        )
        self._sign(request)
        response = self._http.send(request)
        envelope = response.json()
        assert isinstance(envelope, dict), response.text
        return response.status_code, envelope

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        status, envelope = self.call(method, path, **kwargs)
        assert status == 200, envelope
        assert envelope["success"] is True, envelope
        return envelope["data"]

    def wait_job(
        self, job_id: str, until: Callable[[dict[str, Any]], bool], timeout: float = 90
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        job: dict[str, Any] = {}
        while time.monotonic() < deadline:
            job = self.ok("GET", f"jobs/{job_id}")
            if until(job):
                return job
            time.sleep(0.3)
        raise AssertionError(
            f"job {job_id} did not get there in {timeout}s; last: {json.dumps(job)[:2000]}\n"
            f"server log:\n{self._log_tail()}"
        )

    def wait_status(self, job_id: str, *statuses: str, timeout: float = 90) -> dict[str, Any]:
        return self.wait_job(
            job_id, lambda j: j["status"]["currentJobStatus"] in statuses, timeout=timeout
        )


@pytest.fixture
def api(millstream_server: ServerHandle) -> Iterator[Api]:
    client = Api(
        millstream_server.url, millstream_server.credentials_file, millstream_server.log_tail
    )
    yield client
    client.close()


def sql_deployment(name: str, script: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "executionMode": "STREAMING",
        "engineVersion": "vvr-8.0.9-flink-1.17",
        "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": script}},
        "streamingResourceSetting": {
            "resourceSettingMode": "BASIC",
            "basicResourceSetting": {
                "parallelism": 1,
                "jobmanagerResourceSettingSpec": {"cpu": 1, "memory": "1 GiB"},
                "taskmanagerResourceSettingSpec": {"cpu": 1, "memory": "2 GiB"},
            },
        },
        "localVariables": [],
    }
    body.update(extra)
    return body


DATAGEN_SQL = """CREATE TEMPORARY TABLE src (
  id BIGINT,
  name VARCHAR
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '50'
);
CREATE TEMPORARY TABLE snk (
  id BIGINT,
  name VARCHAR
) WITH (
  'connector' = 'blackhole'
);
INSERT INTO snk SELECT id, name FROM src;
"""
