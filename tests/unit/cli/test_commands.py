"""The CLI end to end against FakeServer: output formats, waits, name-or-id, exit codes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import yaml

from millstream.cli.exit_codes import ExitCode
from tests.unit.cli.conftest import Invoke
from tests.unit.cli.fake_server import FakeServer


def test_help_documents_exit_codes(invoke: Invoke) -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for fragment in [
        "3 not found",
        "5 timed out waiting",
        "6 cannot reach the server",
        "7 authentication failed",
    ]:
        assert fragment in text


def test_deploy_sql_start_wait_reaches_running(
    invoke: Invoke, server: FakeServer, tmp_path: Path
) -> None:
    script = tmp_path / "demo.sql"
    script.write_text("INSERT INTO sink SELECT * FROM src;\n")
    result = invoke(
        "deploy", "sql", str(script), "--name", "demo", "-p", "2", "--start", "--wait", "-o", "json"
    )
    assert result.exit_code == 0, result.output
    job = json.loads(result.stdout)
    assert job["status"]["currentJobStatus"] == "RUNNING"
    (deployment,) = server.deployments.values()
    assert deployment["name"] == "demo"
    assert deployment["engineVersion"] == "vvr-8.0.9-flink-1.17"  # the server's default
    assert deployment["streamingResourceSetting"]["basicResourceSetting"]["parallelism"] == 2
    assert deployment["artifact"]["sqlArtifact"]["sqlScript"].startswith("INSERT INTO sink")
    assert job["restoreStrategy"] == {"kind": "LATEST_STATE"}
    assert "Created deployment demo" in result.stderr


def test_deploy_twice_updates_the_existing_deployment(
    invoke: Invoke, server: FakeServer, tmp_path: Path
) -> None:
    script = tmp_path / "a.sql"
    script.write_text("SELECT 1;")
    assert invoke("deploy", "sql", str(script), "--name", "a").exit_code == 0
    script.write_text("SELECT 2;")
    result = invoke("deploy", "sql", str(script), "--name", "a")
    assert result.exit_code == 0, result.output
    (deployment,) = server.deployments.values()
    assert deployment["artifact"]["sqlArtifact"]["sqlScript"] == "SELECT 2;"
    assert deployment["resourceVersion"] == 2
    assert "Updated deployment a" in result.stderr


def test_deploy_jar_and_python_pass_uris(
    invoke: Invoke, server: FakeServer, tmp_path: Path
) -> None:
    result = invoke(
        "deploy",
        "jar",
        "s3://bucket/app.jar",
        "--entry-class",
        "com.x.Main",
        "--args",
        "--a 1",
        "--name",
        "j",
    )
    assert result.exit_code == 0, result.output
    local = tmp_path / "job.py"
    local.write_text("print(1)")
    assert invoke("deploy", "python", str(local), "--name", "py").exit_code == 0
    by_name = {d["name"]: d for d in server.deployments.values()}
    assert by_name["j"]["artifact"] == {
        "kind": "JAR",
        "jarArtifact": {
            "jarUri": "s3://bucket/app.jar",
            "entryClass": "com.x.Main",
            "mainArgs": "--a 1",
        },
    }
    # A local path is uploaded first (see test_deploy_uploads_local_files_first).
    assert by_name["py"]["artifact"]["pythonArtifact"]["pythonArtifactUri"] == (
        "artifacts://default/default-namespace/py/job.py"
    )


def test_deployments_list_in_all_formats(invoke: Invoke, server: FakeServer) -> None:
    first = server.add_deployment("orders")
    server.add_deployment("payments")
    table = invoke("deployments", "list")
    assert table.exit_code == 0
    assert "orders" in table.stdout
    assert first["deploymentId"] in table.stdout
    as_json = json.loads(invoke("-o", "json", "deployments", "list").stdout)
    assert [d["name"] for d in as_json] == ["orders", "payments"]
    as_yaml = yaml.safe_load(invoke("deployments", "list", "-o", "yaml").stdout)
    assert as_yaml[0]["deploymentId"] == first["deploymentId"]


def test_deployment_by_name_or_id(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    by_name = json.loads(invoke("deployments", "get", "orders", "-o", "json").stdout)
    by_id = json.loads(
        invoke("deployments", "get", deployment["deploymentId"], "-o", "json").stdout
    )
    assert by_name["deploymentId"] == by_id["deploymentId"] == deployment["deploymentId"]


def test_missing_deployment_exits_3(invoke: Invoke) -> None:
    result = invoke("deployments", "get", "nope")
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "no deployment named 'nope'" in result.stderr


def test_delete_asks_unless_yes(invoke: Invoke, server: FakeServer) -> None:
    server.add_deployment("orders")
    refused = invoke("deployments", "delete", "orders", input="n\n")
    assert refused.exit_code == 1
    assert server.deployments
    assert invoke("deployments", "delete", "orders", "--yes").exit_code == 0
    assert not server.deployments


def test_start_conflict_exits_4(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    server.add_job(deployment, "RUNNING")
    result = invoke("start", "orders")
    assert result.exit_code == ExitCode.CONFLICT
    assert "JobAlreadyLive" in result.stderr


def test_start_with_savepoint_restore(invoke: Invoke, server: FakeServer) -> None:
    server.add_deployment("orders")
    result = invoke("start", "orders", "--restore", "savepoint:sp-1", "-o", "json")
    assert result.exit_code == 0, result.output
    (job,) = server.jobs.values()
    assert job["restoreStrategy"] == {"kind": "FROM_SAVEPOINT", "savepointId": "sp-1"}


def test_bad_restore_value_is_a_usage_error(invoke: Invoke, server: FakeServer) -> None:
    server.add_deployment("orders")
    result = invoke("start", "orders", "--restore", "yesterday")
    assert result.exit_code == ExitCode.USAGE
    assert not server.jobs


def test_wait_for_running_times_out_with_exit_5(invoke: Invoke, server: FakeServer) -> None:
    server.add_deployment("orders")
    server.start_outcome = ["STARTING"]
    result = invoke("start", "orders", "--wait", "--timeout", "0")
    assert result.exit_code == ExitCode.TIMEOUT
    assert "last status: STARTING" in result.stderr


def test_wait_for_running_fails_with_exit_1_when_job_fails(
    invoke: Invoke, server: FakeServer
) -> None:
    server.add_deployment("orders")
    server.start_outcome = ["STARTING", "FAILED"]
    result = invoke("start", "orders", "--wait")
    assert result.exit_code == ExitCode.ERROR
    assert "FAILED" in result.stderr


def test_jobs_list_of_one_or_all_deployments(invoke: Invoke, server: FakeServer) -> None:
    a = server.add_deployment("a")
    b = server.add_deployment("b")
    server.add_job(a, "RUNNING")
    server.add_job(b, "FAILED")
    assert len(json.loads(invoke("jobs", "list", "--deployment", "a", "-o", "json").stdout)) == 1
    everything = invoke("jobs", "list")
    assert everything.exit_code == 0
    assert "RUNNING" in everything.stdout
    assert "FAILED" in everything.stdout


def test_stop_by_deployment_name_with_savepoint_and_wait(
    invoke: Invoke, server: FakeServer
) -> None:
    deployment = server.add_deployment("orders")
    server.add_job(deployment, "CANCELLED", start=1)
    live = server.add_job(deployment, "RUNNING", start=2)
    result = invoke("stop", "orders", "--savepoint", "--wait", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["jobId"] == live["jobId"]
    assert server.jobs[live["jobId"]]["stopStrategy"] == "STOP_WITH_SAVEPOINT"
    assert "Savepoint" in result.stderr
    assert "file:///tmp/savepoints/" in result.stderr


def test_stop_flags_are_exclusive(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    job = server.add_job(deployment, "RUNNING")
    result = invoke("stop", job["jobId"], "--drain", "--cancel")
    assert result.exit_code == ExitCode.USAGE
    assert invoke("stop", job["jobId"], "--cancel").exit_code == 0
    assert server.jobs[job["jobId"]]["stopStrategy"] == "NONE"


def test_stop_that_falls_back_to_running_is_an_error(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    job = server.add_job(deployment, "RUNNING")
    server.stop_outcome = ["CANCELLING", "RUNNING"]
    result = invoke("stop", job["jobId"], "--wait")
    assert result.exit_code == ExitCode.ERROR
    assert "the stop failed and the job kept running" in result.stderr


def test_savepoint_wait_and_list(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    server.add_job(deployment, "RUNNING")
    result = invoke("savepoint", "orders", "--wait", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"]["state"] == "COMPLETED"
    listed = json.loads(invoke("savepoints", "list", "-o", "json").stdout)
    assert len(listed) == 1
    assert listed[0]["savepointLocation"].startswith("file:///tmp/savepoints/")
    table = invoke("savepoints", "list", "--deployment", "orders")
    assert "COMPLETED" in table.stdout


def test_savepoint_without_running_job_exits_4(invoke: Invoke, server: FakeServer) -> None:
    server.add_deployment("orders")
    assert invoke("savepoint", "orders").exit_code == ExitCode.CONFLICT


def test_events_and_engine_versions(invoke: Invoke, server: FakeServer) -> None:
    server.add_deployment("orders")
    events = invoke("events", "--deployment", "orders", "--limit", "5")
    assert events.exit_code == 0
    assert "JOB_STARTED" in events.stdout
    assert "2023-11-14T22:13:20Z" in events.stdout
    versions = invoke("engine-versions")
    assert versions.exit_code == 0
    assert "vvr-8.0.9-flink-1.17" in versions.stdout
    index = json.loads(invoke("engine-versions", "-o", "json").stdout)
    assert index["defaultEngineVersion"] == "vvr-8.0.9-flink-1.17"


def test_logs_prints_the_jobmanager_log(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    server.add_job(deployment, "RUNNING")
    result = invoke("logs", "orders")
    assert result.exit_code == 0
    assert "INFO Job submitted" in result.stdout


def test_logs_follow_stops_when_the_job_ends(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    job = server.add_job(deployment, "RUNNING")
    server.upcoming[job["jobId"]] = ["RUNNING", "FINISHED"]
    result = invoke("logs", job["jobId"], "-f")
    assert result.exit_code == 0
    assert result.stdout.count("INFO Job submitted") == 1


def test_logs_on_a_server_without_them(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    server.add_job(deployment, "RUNNING")
    server.log_supported = False
    server.job_logs_supported = False
    result = invoke("logs", "orders")
    assert result.exit_code == ExitCode.ERROR
    assert "not supported by this server" in result.stderr


def test_validate_valid_and_invalid(invoke: Invoke, tmp_path: Path) -> None:
    good = tmp_path / "good.sql"
    good.write_text("INSERT INTO s SELECT * FROM t;\n")
    ok = invoke("validate", str(good))
    assert ok.exit_code == 0
    assert "valid" in ok.stdout
    bad = tmp_path / "bad.sql"
    bad.write_text("CREATE TABLE t (a INT);\n  SELEC a FROM t;\n")
    result = invoke("validate", str(bad))
    assert result.exit_code == ExitCode.ERROR
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{bad}:2:3: error: SQL parse failed")
    assert lines[1] == "   2 |   SELEC a FROM t;"
    assert lines[2] == "     |   ^"
    as_json = invoke("validate", str(bad), "-o", "json")
    assert as_json.exit_code == ExitCode.ERROR
    verdict = json.loads(as_json.stdout)
    assert verdict["valid"] is False
    assert "success" not in verdict  # the wire's "the request worked", not the verdict
    assert (verdict["lineNumber"], verdict["columnNumber"]) == (2, 3)
    assert verdict["message"].startswith("SQL parse failed")


def test_keys_lifecycle_and_save_profile(
    invoke: Invoke, server: FakeServer, tmp_path: Path
) -> None:
    created = invoke("keys", "create", "--user", "ann", "--save-profile", "ann")
    assert created.exit_code == 0, created.output
    assert "secret-AK0001" in created.stdout
    assert "cannot be shown again" in created.stderr
    credentials = tmp_path / "credentials"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert "secret-AK0001" in credentials.read_text()
    listed = invoke("keys", "list")
    assert "AK0001" in listed.stdout
    assert "ann" in listed.stdout
    assert "secret" not in listed.stdout
    disabled = json.loads(invoke("keys", "disable", "AK0001", "-o", "json").stdout)
    assert disabled["status"] == "DISABLED"
    enabled = json.loads(invoke("keys", "enable", "AK0001", "-o", "json").stdout)
    assert enabled["status"] == "ACTIVE"
    assert invoke("keys", "revoke", "AK0001", "--yes").exit_code == 0
    assert not server.keys
    assert invoke("keys", "revoke", "AK0001", "--yes").exit_code == ExitCode.NOT_FOUND


def test_saved_profile_is_used_by_later_commands(invoke: Invoke, server: FakeServer) -> None:
    server.add_deployment("orders")
    assert invoke("keys", "create", "--save-profile", "me").exit_code == 0
    # The fake only accepts AK-test; a profile with another key is refused: exit 7.
    env = {"MILLSTREAM_ACCESS_KEY_ID": "", "MILLSTREAM_ACCESS_KEY_SECRET": ""}
    result = invoke("--profile", "me", "deployments", "list", env=env)
    assert result.exit_code == ExitCode.AUTH
    assert "SignatureDoesNotMatch" in result.stderr


def test_wrong_secret_exits_7(invoke: Invoke) -> None:
    result = invoke("deployments", "list", env={"MILLSTREAM_ACCESS_KEY_SECRET": "wrong"})
    assert result.exit_code == ExitCode.AUTH


def test_unknown_profile_exits_1(invoke: Invoke) -> None:
    result = invoke("--profile", "ghost", "deployments", "list")
    assert result.exit_code == ExitCode.ERROR
    assert "profile 'ghost' not found" in result.stderr


def test_server_down_exits_6(invoke: Invoke, server: FakeServer) -> None:
    server.down = True
    result = invoke("deployments", "list")
    assert result.exit_code == ExitCode.UNREACHABLE
    assert "cannot reach Millstream at http://millstream.test:8080" in result.stderr
    status = invoke("status")
    assert status.exit_code == ExitCode.UNREACHABLE
    assert "down" in status.stderr


def test_status_shows_health_and_server_status(invoke: Invoke, server: FakeServer) -> None:
    plain = json.loads(invoke("status", "-o", "json").stdout)
    assert plain == {"url": "http://millstream.test:8080", "health": "ok"}
    server.status_endpoint = True
    rich = json.loads(invoke("status", "-o", "json").stdout)
    assert rich["version"] == "0.1.0"


def test_global_options_reach_the_request(invoke: Invoke, server: FakeServer) -> None:
    result = invoke(
        "--url", "http://other:9", "--workspace", "ws9", "--namespace", "ns9", "deployments", "list"
    )
    assert result.exit_code == 0, result.output
    request = server.requests[-1]
    assert request.url.host == "other"
    assert request.headers["workspace"] == "ws9"
    assert request.url.raw_path.startswith(b"/api/v2/namespaces/ns9/")


def test_usage_error_exits_2(invoke: Invoke) -> None:
    assert invoke("deploy", "sql", "--name", "x").exit_code == ExitCode.USAGE
    assert invoke("no-such-command").exit_code == ExitCode.USAGE
