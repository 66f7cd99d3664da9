"""Engine versions select real runtimes: Flink 1.20 beside the bundled 2.3, from one server.

The server's default cluster is the session's Flink 2.3 cluster; Flink 1.20 is installed
once into a cache shared by test sessions (``MILLSTREAM_TEST_RUNTIMES_DIR``, default
``.millstream/test-runtimes``: only the first session downloads it) and its cluster is
started on demand by the server when the first deployment needing it starts.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from examples.build import LEGACY_JOB_CLASS, build_legacy_example

from millstream.engine import LocalCluster
from millstream.engine.runtimes import RuntimeCatalog
from tests.e2e.conftest import (
    DATAGEN_SQL,
    WS,
    Api,
    ServerHandle,
    free_port,
    sql_deployment,
    start_server,
    stop_server,
    wait_healthy,
)

pytestmark = pytest.mark.flink

_REPO = Path(__file__).resolve().parents[2]
RUNTIME_CLUSTER = "runtime-{}"

COUNT_SQL = """CREATE TEMPORARY TABLE src (id BIGINT) WITH (
  'connector' = 'datagen', 'rows-per-second' = '20', 'fields.id.min' = '1',
  'fields.id.max' = '5'
);
CREATE TEMPORARY TABLE snk (id BIGINT, n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT id, COUNT(*) FROM src GROUP BY id;
"""


@pytest.fixture(scope="module")
def runtime_120() -> tuple[Path, str]:
    """The newest Flink 1.20 runtime, installed once into the shared test cache."""
    root = Path(
        os.environ.get("MILLSTREAM_TEST_RUNTIMES_DIR", _REPO / ".millstream" / "test-runtimes")
    )
    catalog = RuntimeCatalog(root, bundled_home=None)
    found = [r for r in catalog.runtimes() if r.version.startswith("1.20.") and not r.problem]
    if found:
        return root, found[0].version
    result = catalog.install("1.20")  # pip from the package index; locked: one download
    return root, result.runtime.version


@pytest.fixture(scope="module")
def server(
    flink: LocalCluster, runtime_120: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerHandle]:
    data_dir = tmp_path_factory.mktemp("millstream-runtimes")
    port = free_port()
    process, log_file = start_server(
        data_dir=data_dir,
        port=port,
        env_overrides={
            "MILLSTREAM_FLINK__EXTERNAL_REST_URL": flink.rest_url,
            "MILLSTREAM_FLINK__RUNTIMES_DIR": str(runtime_120[0]),
            "MILLSTREAM_FLINK__RUNTIME_IDLE_STOP": "600",
        },
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log_file, timeout=120)
        yield ServerHandle(url, data_dir, data_dir / "credentials", log_file, process, flink)
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def rt_api(server: ServerHandle) -> Iterator[Api]:
    client = Api(server.url, server.credentials_file, server.log_tail)
    yield client
    client.close()


def _runtime_rest_url(server: ServerHandle, version: str) -> str:
    name = RUNTIME_CLUSTER.format(version.replace(".", "-"))
    state = server.data_dir / "clusters" / WS / name / "flink" / "run" / "cluster.json"
    return f"http://127.0.0.1:{json.loads(state.read_text())['rest_port']}"


def _flink_version(rest_url: str) -> str:
    return str(httpx.get(f"{rest_url}/config", timeout=10).json()["flink-version"])


def _start(api: Api, deployment_id: str, kind: str = "NONE") -> str:
    job = api.ok(
        "POST",
        "jobs:start",
        body={"deploymentId": deployment_id, "restoreStrategy": {"kind": kind}},
    )
    return str(job["jobId"])


def _stop(api: Api, job_id: str, strategy: str = "NONE") -> dict[str, Any]:
    api.ok("POST", f"jobs/{job_id}:stop", body={"stopStrategy": strategy})
    return api.wait_status(job_id, "CANCELLED", "FINISHED", "FAILED")


def _events(api: Api, deployment_id: str) -> list[str]:
    events = api.ok("GET", "events", params={"deploymentId": deployment_id, "pageSize": 100})
    return [str(e.get("message", "")) for e in events]


def test_engine_versions_list_both_runtimes(rt_api: Api, runtime_120: tuple[Path, str]) -> None:
    data = rt_api.ok("GET", "/api/v2/engine-version-meta.json")
    names = {m["engineVersion"]: m.get("flinkVersion") for m in data["engineVersionMetadata"]}
    assert data["defaultEngineVersion"] == "flink-2.3.0"
    assert names["flink-2.3.0"] == "2.3.0"
    assert names[f"flink-{runtime_120[1]}"] == runtime_120[1]
    assert names["vvr-8.0.9-flink-1.17"] == runtime_120[1]
    status, envelope = rt_api.call(
        "POST",
        "deployments",
        body=sql_deployment("e2e-rt-bad", DATAGEN_SQL, engineVersion="flink-1.9"),
    )
    assert status == 400, envelope
    assert "version_map does not map it" in envelope["errorMessage"]


def test_same_sql_job_on_1_20_and_2_3_side_by_side(
    rt_api: Api, server: ServerHandle, runtime_120: tuple[Path, str]
) -> None:
    version = runtime_120[1]
    suffix = uuid.uuid4().hex[:6]
    old = rt_api.ok("POST", "deployments", body=sql_deployment(f"e2e-rt-old-{suffix}", DATAGEN_SQL))
    new = rt_api.ok(
        "POST",
        "deployments",
        body=sql_deployment(f"e2e-rt-new-{suffix}", DATAGEN_SQL, engineVersion="flink-2.3.0"),
    )
    old_job, new_job = _start(rt_api, old["deploymentId"]), _start(rt_api, new["deploymentId"])
    on_120 = rt_api.wait_status(old_job, "RUNNING", timeout=150)
    on_23 = rt_api.wait_status(new_job, "RUNNING")
    assert on_120["flinkVersion"] == version
    assert on_120["sessionClusterName"] == RUNTIME_CLUSTER.format(version.replace(".", "-"))
    assert on_23["flinkVersion"] == "2.3.0"
    assert _flink_version(_runtime_rest_url(server, version)) == version
    assert _flink_version(server.flink.rest_url) == "2.3.0"
    assert any(
        f"runs on Flink {version} (requested vvr-8.0.9-flink-1.17" in message
        for message in _events(rt_api, old["deploymentId"])
    )
    _stop(rt_api, old_job)
    _stop(rt_api, new_job)


def test_source_function_jar_runs_on_1_20_and_fails_clearly_on_2_3(
    rt_api: Api, runtime_120: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    root, version = runtime_120
    jar = build_legacy_example(tmp_path_factory.mktemp("legacy"), flink_home=root / version)
    name = f"e2e/{uuid.uuid4().hex[:8]}/legacy-source.jar"
    uri = rt_api.ok("PUT", f"artifacts/{name}", raw=jar.read_bytes())["uri"]
    artifact = {"kind": "JAR", "jarArtifact": {"jarUri": uri, "entryClass": LEGACY_JOB_CLASS}}
    jobs = {}
    for engine in (f"flink-{version}", "flink-2.3.0"):
        body = sql_deployment(f"e2e-rt-jar-{engine.replace('.', '-')}-{uuid.uuid4().hex[:4]}", "x")
        body.update(artifact=artifact, engineVersion=engine)
        created = rt_api.ok("POST", "deployments", body=body)
        jobs[engine] = _start(rt_api, created["deploymentId"])
    running = rt_api.wait_status(jobs[f"flink-{version}"], "RUNNING", timeout=150)
    assert running["flinkVersion"] == version
    failed = rt_api.wait_status(jobs["flink-2.3.0"], "FAILED", "RUNNING")
    assert failed["status"]["currentJobStatus"] == "FAILED"
    message = failed["status"]["failure"]["message"]
    assert "functions.source.SourceFunction, which Flink 2.3.0 does not have" in message
    assert "Flink 1.x engine version" in message
    _stop(rt_api, jobs[f"flink-{version}"])


def test_savepoint_taken_on_1_20_restores_on_2_3_and_never_back(
    rt_api: Api, server: ServerHandle, runtime_120: tuple[Path, str]
) -> None:
    version = runtime_120[1]
    body = sql_deployment(f"e2e-rt-up-{uuid.uuid4().hex[:6]}", COUNT_SQL)
    body["engineVersion"] = f"flink-{version}"
    created = rt_api.ok("POST", "deployments", body=body)
    deployment_id = created["deploymentId"]
    first = _start(rt_api, deployment_id)
    rt_api.wait_status(first, "RUNNING", timeout=150)
    time.sleep(1)  # some state to carry
    assert _stop(rt_api, first, "STOP_WITH_SAVEPOINT")["status"]["currentJobStatus"] == "CANCELLED"
    savepoints = rt_api.ok("GET", "savepoints", params={"deploymentId": deployment_id})
    location = next(s["savepointLocation"] for s in savepoints if s["savepointLocation"])

    rt_api.ok("PUT", f"deployments/{deployment_id}", body={"engineVersion": "flink-2.3.0"})
    second = _start(rt_api, deployment_id, "LATEST_SAVEPOINT")
    running = rt_api.wait_status(second, "RUNNING")
    assert running["flinkVersion"] == "2.3.0"
    flink_jobs = httpx.get(f"{server.flink.rest_url}/jobs/overview", timeout=10).json()["jobs"]
    live = next(j for j in flink_jobs if j["name"] == body["name"] and j["state"] == "RUNNING")
    checkpoints = httpx.get(
        f"{server.flink.rest_url}/jobs/{live['jid']}/checkpoints", timeout=10
    ).json()
    restored = checkpoints["latest"]["restored"]["external_path"]
    assert urlparse(restored).path.rstrip("/") == urlparse(location).path.rstrip("/")

    status, envelope = rt_api.call(
        "PUT", f"deployments/{deployment_id}", body={"engineVersion": f"flink-{version}"}
    )
    assert status == 400, envelope
    assert "cannot restore" in envelope["errorMessage"]
    _stop(rt_api, second)


def test_volcengine_sdk_flink_version_1_17_runs_on_1_20(
    rt_api: Api, server: ServerHandle, runtime_120: tuple[Path, str]
) -> None:
    """The official Volcengine SDK's FLINK_VERSION_1_17 lands on the 1.20 runtime."""
    import volcenginesdkflink20250101 as fl

    from tests.compat.volcengine.test_volcengine_sdk import Instances, _client, _sql_app

    tracker = Instances(_client(server))
    name = f"e2e-rt-volc-{uuid.uuid4().hex[:6]}"
    try:
        started = tracker.start(fl.StartApplicationInstanceRequest(app=_sql_app(name)))
        tracker.wait(started.instance_id, "RUNNING", timeout=150)
        deployment = rt_api.ok("GET", f"deployments/name/{name}")
        deployment = deployment[0] if isinstance(deployment, list) else deployment
        jobs = rt_api.ok("GET", "jobs", params={"deploymentId": deployment["deploymentId"]})
        assert [job["flinkVersion"] for job in jobs] == [runtime_120[1]]
        assert jobs[0]["sessionClusterName"] == RUNTIME_CLUSTER.format(
            runtime_120[1].replace(".", "-")
        )
    finally:
        tracker.cancel_all()
