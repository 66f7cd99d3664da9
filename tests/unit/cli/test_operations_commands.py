"""The CLI's artifact, hot-update, diagnose, logs and variables commands against FakeServer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from millstream.cli.commands.jobs import new_log_text
from millstream.cli.exit_codes import ExitCode
from tests.unit.cli.conftest import Invoke
from tests.unit.cli.fake_server import UPLOAD, FakeServer

URI = "artifacts://default/default-namespace"


def _uploads(server: FakeServer) -> list[httpx.Request]:
    return [r for r in server.requests if r.url.path.startswith(UPLOAD)]


# --------------------------------------------------------------------------- deploy


def test_deploy_uploads_local_files_first(
    invoke: Invoke, server: FakeServer, tmp_path: Path
) -> None:
    jar = tmp_path / "app.jar"
    jar.write_bytes(b"PK\x03\x04 jar")
    result = invoke("deploy", "jar", str(jar), "--name", "orders", "--start", "--wait")
    assert result.exit_code == 0, result.output
    (deployment,) = server.deployments.values()
    assert deployment["artifact"]["jarArtifact"]["jarUri"] == f"{URI}/orders/app.jar"
    assert server.uploaded["orders/app.jar"] == b"PK\x03\x04 jar"
    (put,) = _uploads(server)
    assert "authorization" not in put.headers
    assert f"Uploaded {jar} as {URI}/orders/app.jar" in " ".join(result.stderr.split())
    assert "Started job" in result.stderr


def test_deploy_passes_uris_on_without_uploading(invoke: Invoke, server: FakeServer) -> None:
    result = invoke("deploy", "python", f"{URI}/shared/job.py", "--name", "py")
    assert result.exit_code == 0, result.output
    (deployment,) = server.deployments.values()
    assert deployment["artifact"]["pythonArtifact"]["pythonArtifactUri"] == f"{URI}/shared/job.py"
    assert not _uploads(server)


def test_deploy_of_a_missing_local_file_is_a_usage_error(
    invoke: Invoke, server: FakeServer, tmp_path: Path
) -> None:
    result = invoke("deploy", "jar", str(tmp_path / "nope.jar"), "--name", "x")
    assert result.exit_code == ExitCode.USAGE
    assert "no such local file" in result.output
    assert not server.deployments


# --------------------------------------------------------------------------- artifacts


def test_artifacts_upload_list_delete(invoke: Invoke, server: FakeServer, tmp_path: Path) -> None:
    data = os.urandom(2 * 1024 * 1024)
    local = tmp_path / "big.jar"
    local.write_bytes(data)
    uploaded = invoke("artifacts", "upload", str(local), "--name", "libs/big.jar", "-o", "json")
    assert uploaded.exit_code == 0, uploaded.output
    assert json.loads(uploaded.stdout)["uri"] == f"{URI}/libs/big.jar"
    assert server.uploaded["libs/big.jar"] == data
    (put,) = _uploads(server)
    assert put.headers["content-length"] == str(len(data))
    listed = invoke("artifacts", "list")
    assert listed.exit_code == 0
    assert "libs/big.jar" in listed.stdout
    assert "2097152" in listed.stdout
    assert invoke("artifacts", "delete", "libs/big.jar", "--yes").exit_code == 0
    assert not server.artifacts
    missing = invoke("artifacts", "delete", "libs/big.jar", "--yes")
    assert missing.exit_code == ExitCode.NOT_FOUND


def test_artifacts_upload_streams_the_file(
    invoke: Invoke, server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path) -> bytes:
        raise AssertionError(f"the upload read {path} whole")

    # MockTransport reads each body before the fake sees it: note what it was then.
    bodies: dict[str, object] = {}
    read = httpx.Request.read

    def spy(request: httpx.Request) -> bytes:
        bodies[request.url.path] = request.stream
        return read(request)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr(httpx.Request, "read", spy)
    local = tmp_path / "big.jar"
    with local.open("wb") as handle:
        handle.write(os.urandom(2 * 1024 * 1024))
    result = invoke("artifacts", "upload", str(local))
    assert result.exit_code == 0, result.output
    (put,) = _uploads(server)
    assert not isinstance(bodies[put.url.path], httpx.ByteStream)  # an iterator of chunks
    assert len(server.uploaded["big.jar"]) == 2 * 1024 * 1024


# --------------------------------------------------------------------------- hot updates


def test_hot_update_sends_parallelism_and_settings_and_waits(
    invoke: Invoke, server: FakeServer
) -> None:
    deployment = server.add_deployment("orders")
    job = server.add_job(deployment, "RUNNING")
    result = invoke(
        "hot-update", "orders", "--parallelism", "4",
        "--set", "taskmanager.numberOfTaskSlots=2", "--set", "pipeline.name=a=b",
        "--wait", "-o", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (update,) = server.hot_updates.values()
    assert update["jobId"] == job["jobId"]
    assert update["params"] == {
        "rescaleJobParam": {"jobParallelism": 4},
        "updateJobConfigParam": {
            "newFlinkConf": {"taskmanager.numberOfTaskSlots": "2", "pipeline.name": "a=b"}
        },
    }
    answer = json.loads(result.stdout)
    assert answer["status"]["status"] == "HOT_UPDATED"
    assert answer["newJobId"] == "new-job"
    assert "Job new-job runs with the new settings" in result.stderr


def test_hot_update_without_wait_shows_the_request(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    server.add_job(deployment, "RUNNING")
    result = invoke("hot-update", "orders")
    assert result.exit_code == 0, result.output
    assert "REQUESTED" in result.stdout
    (update,) = server.hot_updates.values()
    assert update["params"] is None  # no body: apply the deployment's settings


def test_hot_update_failure_and_timeout_exit_codes(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    server.add_job(deployment, "RUNNING")
    server.hot_update_outcome = ["STOPPING", "FAILED"]
    failed = invoke("hot-update", "orders", "-p", "2", "--wait")
    assert failed.exit_code == ExitCode.ERROR
    assert "the savepoint failed" in failed.stderr
    server.hot_update_outcome = ["STOPPING"]
    stuck = invoke("hot-update", "orders", "-p", "2", "--wait", "--timeout", "0")
    assert stuck.exit_code == ExitCode.TIMEOUT
    assert "last status: STOPPING" in stuck.stderr


def test_hot_update_bad_setting_is_a_usage_error(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    server.add_job(deployment, "RUNNING")
    result = invoke("hot-update", "orders", "--set", "no-equals-sign")
    assert result.exit_code == ExitCode.USAGE
    assert not server.hot_updates


def test_hot_update_of_a_stopped_job_exits_4(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    server.add_job(deployment, "CANCELLED")
    assert invoke("hot-update", "orders", "-p", "2").exit_code == ExitCode.CONFLICT


# --------------------------------------------------------------------------- diagnose


def test_diagnose_shows_score_and_symptoms(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    job = server.add_job(deployment, "RUNNING")
    table = invoke("diagnose", "orders")
    assert table.exit_code == 0, table.output
    for fragment in ["70", "MEDIUM", "HighBackpressure", "raise the parallelism", "runtime"]:
        assert fragment in table.stdout
    as_json = json.loads(invoke("diagnose", job["jobId"], "-o", "json").stdout)
    assert as_json["healthScore"] == 70
    assert as_json["deploymentId"] == deployment["deploymentId"]


# --------------------------------------------------------------------------- logs


@pytest.mark.parametrize("kind", ["jobmanager", "taskmanager", "stdout"])
def test_logs_reads_the_kind_asked_for(invoke: Invoke, server: FakeServer, kind: str) -> None:
    deployment = server.add_deployment("orders")
    job = server.add_job(deployment, "RUNNING")
    result = invoke("logs", "orders", "--kind", kind)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"[{kind}] INFO Job submitted\n"
    assert (
        server.requests[-1].url.raw_path.decode().endswith(f"/jobs/{job['jobId']}/logs?kind={kind}")
    )


def test_logs_falls_back_to_the_latest_start_log(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    server.add_job(deployment, "RUNNING")
    server.job_logs_supported = False
    result = invoke("logs", "orders")
    assert result.exit_code == 0, result.output
    assert "INFO JobManager started" in result.stdout
    other = invoke("logs", "orders", "--kind", "stdout")
    assert other.exit_code == ExitCode.ERROR
    assert "stdout logs are not supported by this server" in other.stderr


def test_logs_of_an_unknown_job_exit_3(invoke: Invoke) -> None:
    assert invoke("logs", "nope").exit_code == ExitCode.NOT_FOUND


def test_logs_rejects_an_unknown_kind(invoke: Invoke) -> None:
    assert invoke("logs", "orders", "--kind", "gc").exit_code == ExitCode.USAGE


@pytest.mark.parametrize(
    ("previous", "text", "new"),
    [
        ("", "a\nb\n", "a\nb\n"),
        ("a\n", "a\nb\n", "b\n"),
        ("a\nb\nc\n", "b\nc\nd\n", "d\n"),  # the window slid: the server keeps the tail
        ("a\nb\n", "x\n", "x\n"),  # a new start: print it whole
    ],
)
def test_follow_prints_only_what_is_new(previous: str, text: str, new: str) -> None:
    assert new_log_text(previous, text) == new


# --------------------------------------------------------------------------- variables


def test_variables_set_list_delete_with_masked_secret(invoke: Invoke, server: FakeServer) -> None:
    assert invoke("variables", "set", "rows", "10").exit_code == 0
    secret = invoke("variables", "set", "pw", "s3cret", "--encrypted", "--description", "db")
    assert secret.exit_code == 0, secret.output
    assert "s3cret" not in secret.stdout
    assert server.variables["pw"] == {
        "name": "pw",
        "value": "s3cret",
        "kind": "Encrypted",
        "description": "db",
    }
    listed = invoke("variables", "list")
    assert listed.exit_code == 0
    assert "******" in listed.stdout
    assert "s3cret" not in listed.stdout
    as_json = {v["name"]: v for v in json.loads(invoke("variables", "list", "-o", "json").stdout)}
    assert as_json["rows"]["value"] == "10"
    assert as_json["pw"] == {
        "name": "pw",
        "value": "******",
        "kind": "Encrypted",
        "description": "db",
    }
    assert invoke("variables", "delete", "pw", "--yes").exit_code == 0
    assert set(server.variables) == {"rows"}
    assert invoke("variables", "delete", "pw", "--yes").exit_code == ExitCode.NOT_FOUND


def test_variables_set_updates_and_keeps_secrets_encrypted(
    invoke: Invoke, server: FakeServer
) -> None:
    assert invoke("variables", "set", "pw", "one", "--encrypted").exit_code == 0
    updated = invoke("variables", "set", "pw", "-", input="two\n")
    assert updated.exit_code == 0, updated.output
    assert "Updated variable pw (Encrypted)" in updated.stderr
    assert server.variables["pw"]["value"] == "two"
    assert server.variables["pw"]["kind"] == "Encrypted"
    (patch,) = [r for r in server.requests if r.method == "PATCH"]
    assert json.loads(patch.content) == {"value": "two"}


def test_variables_list_reads_every_page(invoke: Invoke, server: FakeServer) -> None:
    for index in range(150):
        server.variables[f"v{index}"] = {"name": f"v{index}", "value": "x", "kind": "Plain"}
    listed = json.loads(invoke("variables", "list", "-o", "json").stdout)
    assert len(listed) == 150
