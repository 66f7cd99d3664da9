"""``millstream suspend`` and ``resume``, and ``start``'s client token (one per
invocation, repeated by its retries), against ``FakeServer``."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from millstream.cli.exit_codes import ExitCode
from millstream.cli.starting import START_ATTEMPTS
from millstream.client.operations import CLIENT_TOKEN_HEADER
from tests.unit.cli.conftest import Invoke
from tests.unit.cli.fake_server import FakeServer


def _paths(server: FakeServer, method: str = "POST") -> list[str]:
    return [r.url.raw_path.decode() for r in server.requests if r.method == method]


def _start_tokens(server: FakeServer) -> list[str | None]:
    return [
        r.headers.get(CLIENT_TOKEN_HEADER)
        for r in server.requests
        if r.url.raw_path.decode().endswith("/jobs%3Astart")
    ]


# --------------------------------------------------------------------------- suspend


def test_suspend_by_deployment_name_waits_for_suspended_and_shows_the_savepoint(
    invoke: Invoke, server: FakeServer
) -> None:
    deployment = server.add_deployment("orders")
    server.add_job(deployment, "CANCELLED", start=1)
    live = server.add_job(deployment, "RUNNING", start=2)

    result = invoke("suspend", "orders", "--wait", "-o", "json")

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["jobId"], shown["status"]["currentJobStatus"]) == (live["jobId"], "SUSPENDED")
    assert f"/jobs/{live['jobId']}%3Asuspend" in "".join(_paths(server))
    assert "Savepoint" in result.stderr
    assert "file:///tmp/savepoints/" in result.stderr


def test_suspend_without_wait_answers_at_once(invoke: Invoke, server: FakeServer) -> None:
    job = server.add_job(server.add_deployment("orders"), "RUNNING")

    result = invoke("suspend", job["jobId"], "-o", "yaml")

    assert result.exit_code == 0, result.output
    # the answer records the wish; the job is suspended later
    assert yaml.safe_load(result.stdout)["status"]["currentJobStatus"] == "RUNNING"
    assert server.upcoming[job["jobId"]] == ["CANCELLING", "SUSPENDED"]
    assert f"Suspending job {job['jobId']}" in result.stderr


def test_suspending_a_job_that_is_not_running_exits_4(invoke: Invoke, server: FakeServer) -> None:
    job = server.add_job(server.add_deployment("orders"), "STARTING")

    result = invoke("suspend", job["jobId"])

    assert result.exit_code == ExitCode.CONFLICT
    assert "InvalidJobStatus" in result.stderr


def test_a_suspend_that_falls_back_to_running_is_an_error(
    invoke: Invoke, server: FakeServer
) -> None:
    job = server.add_job(server.add_deployment("orders"), "RUNNING")
    server.suspend_outcome = ["CANCELLING", "RUNNING"]

    result = invoke("suspend", job["jobId"], "--wait")

    assert result.exit_code == ExitCode.ERROR
    assert "the suspend failed and the job kept running" in result.stderr


def test_suspend_wait_times_out_with_exit_5(invoke: Invoke, server: FakeServer) -> None:
    job = server.add_job(server.add_deployment("orders"), "RUNNING")
    server.suspend_outcome = ["CANCELLING"]

    result = invoke("suspend", job["jobId"], "--wait", "--timeout", "0")

    assert result.exit_code == ExitCode.TIMEOUT
    assert "SUSPENDED" in result.stderr


# --------------------------------------------------------------------------- resume


def test_resume_waits_for_running_in_a_table(invoke: Invoke, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    job = server.add_job(deployment, "SUSPENDED")

    result = invoke("resume", "orders", "--wait", "-o", "table")

    assert result.exit_code == 0, result.output
    assert job["jobId"] in result.stdout
    assert "RUNNING" in result.stdout
    (posted,) = _paths(server)
    assert posted.endswith(f"/jobs/{job['jobId']}%3Aresume")
    assert "from its suspend savepoint" in result.stderr


def test_resume_that_fails_exits_1(invoke: Invoke, server: FakeServer) -> None:
    job = server.add_job(server.add_deployment("orders"), "SUSPENDED")
    server.resume_outcome = ["STARTING", "FAILED"]

    result = invoke("resume", job["jobId"], "--wait")

    assert result.exit_code == ExitCode.ERROR
    assert "FAILED" in result.stderr


def test_resuming_a_running_job_exits_4_and_a_missing_one_3(
    invoke: Invoke, server: FakeServer
) -> None:
    job = server.add_job(server.add_deployment("orders"), "RUNNING")

    assert invoke("resume", job["jobId"]).exit_code == ExitCode.CONFLICT
    assert invoke("resume", "no-such-deployment").exit_code == ExitCode.NOT_FOUND


def test_a_suspended_job_blocks_a_new_start(invoke: Invoke, server: FakeServer) -> None:
    server.add_job(server.add_deployment("orders"), "SUSPENDED")

    assert invoke("start", "orders").exit_code == ExitCode.CONFLICT


# --------------------------------------------------------------------------- start tokens


def test_start_retries_a_lost_answer_with_the_same_token_and_starts_one_job(
    invoke: Invoke, server: FakeServer
) -> None:
    server.add_deployment("orders")
    server.lost_start_answers = 1

    result = invoke("start", "orders", "-o", "json")

    assert result.exit_code == 0, result.output
    (job,) = server.jobs.values()
    assert json.loads(result.stdout)["jobId"] == job["jobId"]
    first, second = _start_tokens(server)
    assert first is not None
    assert first == second
    assert "retrying with the same client token" in result.stderr


def test_each_start_invocation_sends_a_fresh_token(invoke: Invoke, server: FakeServer) -> None:
    orders = server.add_deployment("orders")
    assert invoke("start", "orders").exit_code == 0
    for job in server.jobs.values():
        job["status"]["currentJobStatus"] = "CANCELLED"
    assert invoke("start", orders["deploymentId"]).exit_code == 0

    tokens = _start_tokens(server)
    assert len(tokens) == 2
    assert None not in tokens
    assert tokens[0] != tokens[1]
    assert len(server.jobs) == 2


def test_start_gives_up_after_its_attempts_with_exit_1(invoke: Invoke, server: FakeServer) -> None:
    server.add_deployment("orders")
    server.unavailable_starts = START_ATTEMPTS

    result = invoke("start", "orders")

    assert result.exit_code == ExitCode.ERROR
    assert "ServiceUnavailable" in result.stderr
    tokens = _start_tokens(server)
    assert len(tokens) == START_ATTEMPTS
    assert len(set(tokens)) == 1
    assert not server.jobs


def test_start_that_the_server_refuses_is_not_retried(invoke: Invoke, server: FakeServer) -> None:
    server.add_job(server.add_deployment("orders"), "RUNNING")

    result = invoke("start", "orders")

    assert result.exit_code == ExitCode.CONFLICT
    assert len(_start_tokens(server)) == 1


def test_deploy_start_sends_a_token_too(invoke: Invoke, server: FakeServer, tmp_path: Path) -> None:
    script = tmp_path / "job.sql"
    script.write_text("SELECT 1;")
    server.lost_start_answers = 1

    result = invoke("deploy", "sql", str(script), "--name", "demo", "--start")

    assert result.exit_code == 0, result.output
    assert len(server.jobs) == 1
    first, second = _start_tokens(server)
    assert first is not None
    assert first == second


def test_start_with_a_queue_sends_resource_queue_name(invoke: Invoke, server: FakeServer) -> None:
    server.add_deployment("orders")

    result = invoke("start", "orders", "--queue", "etl")

    assert result.exit_code == 0, result.output
    (job,) = server.jobs.values()
    assert job["queue"] == "etl"
