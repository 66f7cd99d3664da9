"""Artifacts end to end: a real server process on the session's real Flink cluster.

Upload the shipped examples through the native API, run them as JAR and Python
deployments (start, RUNNING, stop with savepoint, restore), and get clear errors for a
missing jar and unsafe names. Needs the artifact router and the JAR/Python wiring in the
server (see the artifacts section of the wiring notes).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from millstream.engine.javac import compile_jar
from millstream.engine.runtime import FlinkRuntime

from .conftest import NS, WS, Api, ServerHandle, sql_deployment

pytestmark = pytest.mark.flink

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def upload(api: Api, name: str, content: bytes) -> str:
    data: dict[str, Any] = api.ok("PUT", f"artifacts/{name}", raw=content)
    assert data["uri"] == f"artifacts://{WS}/{NS}/{name}"
    return str(data["uri"])


def deployment(name: str, artifact: dict[str, Any], mode: str = "STREAMING") -> dict[str, Any]:
    body = sql_deployment(name, "unused", executionMode=mode)
    body["artifact"] = artifact
    if mode == "BATCH":
        body["batchResourceSetting"] = {
            "basicResourceSetting": body.pop("streamingResourceSetting")["basicResourceSetting"]
        }
    return body


def start(api: Api, deployment_id: str, kind: str = "NONE") -> dict[str, Any]:
    job: dict[str, Any] = api.ok(
        "POST",
        "jobs:start",
        body={"deploymentId": deployment_id, "restoreStrategy": {"kind": kind}},
    )
    return job


def flink_job_of(server: ServerHandle, name: str) -> dict[str, Any]:
    jobs = httpx.get(f"{server.flink.rest_url}/jobs/overview", timeout=10).json()["jobs"]
    live = [j for j in jobs if j["name"] == name and j["state"] == "RUNNING"]
    assert len(live) == 1, jobs
    return dict(live[0])


@pytest.fixture(scope="module")
def example_jar(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    jar = compile_jar(
        FlinkRuntime.detect(),
        [EXAMPLES / "java" / "src" / "main" / "java"],
        cache_dir=tmp_path_factory.mktemp("examples"),
        name="millstream-examples",
        main_class="millstream.examples.StreamingJob",
    )
    return jar.read_bytes()


def test_jar_deployment_runs_stops_with_savepoint_and_restores(
    api: Api, millstream_server: ServerHandle, example_jar: bytes
) -> None:
    uri = upload(api, f"e2e/{uuid.uuid4().hex[:8]}/streaming-job.jar", example_jar)
    listed = api.ok("GET", "artifacts")
    assert any(a["uri"] == uri for a in listed)
    name = f"e2e-jar-{uuid.uuid4().hex[:8]}"
    artifact = {
        "kind": "JAR",
        "jarArtifact": {
            "jarUri": uri,
            "entryClass": "millstream.examples.StreamingJob",
            "mainArgs": "--rows-per-second 50 --keys 4",
        },
    }
    created = api.ok("POST", "deployments", body=deployment(name, artifact))
    first = start(api, created["deploymentId"])
    api.wait_status(first["jobId"], "RUNNING")
    time.sleep(1)
    api.ok("POST", f"jobs/{first['jobId']}:stop", body={"stopStrategy": "STOP_WITH_SAVEPOINT"})
    assert api.wait_status(first["jobId"], "CANCELLED", "FAILED")["status"]["currentJobStatus"] == (
        "CANCELLED"
    )
    savepoints = api.ok("GET", "savepoints", params={"deploymentId": created["deploymentId"]})
    location = next(
        s["savepointLocation"] for s in savepoints if s["savepointOrigin"] == "STOP_WITH_SAVEPOINT"
    )

    second = start(api, created["deploymentId"], "LATEST_SAVEPOINT")
    api.wait_status(second["jobId"], "RUNNING")
    live = flink_job_of(millstream_server, name)
    checkpoints = httpx.get(
        f"{millstream_server.flink.rest_url}/jobs/{live['jid']}/checkpoints", timeout=10
    ).json()
    restored = checkpoints["latest"]["restored"]["external_path"]
    assert urlparse(restored).path.rstrip("/") == urlparse(location).path.rstrip("/")
    api.ok("POST", f"jobs/{second['jobId']}:stop", body={"stopStrategy": "NONE"})
    api.wait_status(second["jobId"], "CANCELLED")


def test_python_deployment_runs_and_cancels(api: Api) -> None:
    uri = upload(
        api,
        f"e2e/{uuid.uuid4().hex[:8]}/word_count.py",
        (EXAMPLES / "python" / "word_count.py").read_bytes(),
    )
    artifact = {
        "kind": "PYTHON",
        "pythonArtifact": {"pythonArtifactUri": uri, "mainArgs": "--rows-per-second 20"},
    }
    created = api.ok(
        "POST", "deployments", body=deployment(f"e2e-py-{uuid.uuid4().hex[:8]}", artifact)
    )
    job = start(api, created["deploymentId"])
    api.wait_status(job["jobId"], "RUNNING", timeout=180)
    api.ok("POST", f"jobs/{job['jobId']}:stop", body={"stopStrategy": "NONE"})
    api.wait_status(job["jobId"], "CANCELLED")


def test_batch_jar_deployment_finishes(api: Api, example_jar: bytes) -> None:
    uri = upload(api, f"e2e/{uuid.uuid4().hex[:8]}/bounded.jar", example_jar)
    artifact = {
        "kind": "JAR",
        "jarArtifact": {"jarUri": uri, "mainArgs": "--count 500"},
    }
    created = api.ok(
        "POST",
        "deployments",
        body=deployment(f"e2e-batch-{uuid.uuid4().hex[:8]}", artifact, mode="BATCH"),
    )
    job = start(api, created["deploymentId"])
    assert api.wait_status(job["jobId"], "FINISHED", "FAILED")["status"]["currentJobStatus"] == (
        "FINISHED"
    )


def test_missing_jar_is_a_clear_error(api: Api) -> None:
    artifact = {
        "kind": "JAR",
        "jarArtifact": {"jarUri": f"artifacts://{WS}/{NS}/missing-{uuid.uuid4().hex}.jar"},
    }
    status, envelope = api.call(
        "POST", "deployments", body=deployment(f"e2e-miss-{uuid.uuid4().hex[:8]}", artifact)
    )
    if status == 200:  # the create-time check is optional: then the start fails
        job = start(api, envelope["data"]["deploymentId"])
        failed = api.wait_status(job["jobId"], "FAILED")
        assert "not found" in failed["status"]["failure"]["message"]
    else:
        assert status == 400
        assert envelope["errorCode"] == "ArtifactNotFound"
        assert "not found" in envelope["errorMessage"]


def test_unsafe_artifact_name_is_400(api: Api) -> None:
    status, envelope = api.call("PUT", "artifacts/..%2F..%2Fevil.jar", raw=b"evil")
    assert status == 400, envelope
    assert envelope["errorCode"] == "InvalidArtifact"


def test_presigned_url_accepts_an_unauthenticated_put(api: Api) -> None:
    name = f"presigned-{uuid.uuid4().hex[:8]}.jar"
    data = api.ok(
        "GET",
        f"/artifacts/v2/namespaces/{NS}/getPreSignedUrlForPutObject",
        params={"fileName": name},
    )
    assert data["jarUrl"] == f"artifacts://{WS}/{NS}/{name}"
    assert httpx.put(data["preSignedUrl"], content=b"bytes", timeout=30).status_code == 200
    assert httpx.put(data["preSignedUrl"] + "0", content=b"x", timeout=30).status_code == 403
    listed = api.ok("GET", "artifacts")
    assert any(a["name"] == name for a in listed)
