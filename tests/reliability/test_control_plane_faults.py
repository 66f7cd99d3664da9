"""Issue 20: a crash of the control plane touches no job, and status tells the truth.

One server runs its own embedded Flink cluster (its own data dir, free API and REST
ports) with two streaming SQL jobs. In order, the tests:

- SIGKILL the server and start it again: the embedded cluster is adopted (same
  JobManager pid), the same Flink jobs keep running (same JobIDs and start times, more
  checkpoints, no resubmission, same attempt);
- SIGKILL a TaskManager: Flink's RESTARTING is visible in the job's observed state and
  the restart is an event;
- SIGKILL the JobManager: within a bound the API stops saying RUNNING (observed state
  UNKNOWN, reason CLUSTER_UNREACHABLE), then the jobs run again;
- restart the server with a different Flink configuration: the old cluster is stopped
  (the log says why) and the jobs are resubmitted from their latest state. The time
  without processing on this path is what every restart cost before adoption.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import free_port
from tests.reliability.conftest import (
    Server,
    all_events,
    live_flink_jobs,
    new_deployment,
    report,
    start_job,
    wait_until,
)

pytestmark = pytest.mark.flink

UNREACHABLE_BOUND = 3.0  # seconds: a 0.5 s tick plus a refused connection, with slack


class Embedded:
    """The server under test and its embedded Flink, seen from outside."""

    def __init__(self, server: Server, rest_port: int) -> None:
        self.server = server
        self.rest_url = f"http://127.0.0.1:{rest_port}"
        self.jobs: list[dict[str, Any]] = []  # {"jobId", "deploymentId", "name"}

    @property
    def state_file(self) -> Path:
        return self.server.data_dir / "flink" / "run" / "cluster.json"

    def pids(self) -> dict[str, int]:
        pids: dict[str, int] = json.loads(self.state_file.read_text())["pids"]
        return pids

    def flink_job(self, name: str) -> dict[str, Any]:
        live = live_flink_jobs(self.rest_url, name)
        assert len(live) == 1, live
        return live[0]

    def completed_checkpoints(self, jid: str) -> int:
        answer = httpx.get(f"{self.rest_url}/jobs/{jid}/checkpoints", timeout=10).json()
        return int(answer["counts"]["completed"])

    def job(self, job_id: str) -> dict[str, Any]:
        job: dict[str, Any] = self.server.api.ok("GET", f"jobs/{job_id}")
        return job

    def events(self, deployment_id: str, name: str) -> list[dict[str, Any]]:
        return [e for e in all_events(self.server.api, deployment_id) if e["eventName"] == name]


def _observed(job: dict[str, Any]) -> str | None:
    running = job["status"].get("running") or {}
    return running.get("observedFlinkJobStatus")


def _all_running(embedded: Embedded) -> bool:
    for job in embedded.jobs:
        try:
            live = live_flink_jobs(embedded.rest_url, job["name"])
        except httpx.HTTPError:  # the JobManager is (re)starting
            return False
        if [j["state"] for j in live] != ["RUNNING"]:
            return False
        answer = embedded.job(job["jobId"])
        if answer["status"]["currentJobStatus"] != "RUNNING" or _observed(answer) != "RUNNING":
            return False
    return True


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    rest_port = free_port()
    server = Server(
        tmp_path_factory.mktemp("control-plane-faults"),
        {
            "MILLSTREAM_FLINK__REST_PORT": str(rest_port),
            "MILLSTREAM_FLINK__CHECKPOINT_INTERVAL": "1s",
            "MILLSTREAM_RECONCILER__INTERVAL": "0.5",
            "MILLSTREAM_RECONCILER__DETAILS_INTERVAL": "1",
        },
    )
    found = Embedded(server, rest_port)
    try:
        server.start(timeout=180)
        for _ in range(2):
            deployment = new_deployment(server.api)
            job = start_job(server.api, deployment["deploymentId"])
            found.jobs.append(
                {
                    "jobId": job["jobId"],
                    "deploymentId": deployment["deploymentId"],
                    "name": deployment["name"],
                }
            )
        wait_until("both jobs RUNNING", lambda: _all_running(found), timeout=120, interval=0.5)
        yield found
    finally:
        server.kill()
        # The cluster outlives a SIGKILLed server by design: a clean stop ends it.
        with contextlib.suppress(Exception):
            server.start(timeout=180)
        server.stop()
        server.close()


def test_server_kill_adopts_the_embedded_cluster_and_its_jobs(embedded: Embedded) -> None:
    server = embedded.server
    jobmanager = embedded.pids()["jobmanager"]
    before = {j["name"]: embedded.flink_job(j["name"]) for j in embedded.jobs}
    checkpoints = {
        name: wait_until(
            "a checkpoint",
            functools.partial(embedded.completed_checkpoints, job["jid"]),
            timeout=30,
        )
        for name, job in before.items()
    }
    submissions = {j["jobId"]: _submissions(embedded, j["deploymentId"]) for j in embedded.jobs}

    killed_at = time.monotonic()
    server.kill()
    server.start(timeout=180)
    healthy_after = time.monotonic() - killed_at
    wait_until("both jobs RUNNING", lambda: _all_running(embedded), timeout=60, interval=0.3)

    assert "adopted the running Flink cluster" in server.log(), server.log_tail()
    assert "stopping a stale Flink cluster" not in server.log()
    assert embedded.pids()["jobmanager"] == jobmanager
    assert os.path.exists(f"/proc/{jobmanager}")
    for job in embedded.jobs:
        after = embedded.flink_job(job["name"])
        assert after["jid"] == before[job["name"]]["jid"]
        assert after["start-time"] == before[job["name"]]["start-time"]
        # Checkpoints went on across the crash: the job never stopped processing.
        count = functools.partial(embedded.completed_checkpoints, after["jid"])
        done = checkpoints[job["name"]]
        wait_until("a newer checkpoint", lambda: count() > done, timeout=30)  # noqa: B023
        assert not embedded.events(job["deploymentId"], "JOB_RESUBMITTING")
        # No new attempt: the submissions recorded before the crash are all there are.
        assert _submissions(embedded, job["deploymentId"]) == submissions[job["jobId"]]
    report(
        f"\n[control-plane] server SIGKILL + restart: healthy again after {healthy_after:.1f} s, "
        "time without processing 0 s (same Flink jobs, checkpoints continued)"
    )


def _submissions(embedded: Embedded, deployment_id: str) -> set[str]:
    """The deployment's submission events (they name the attempt's Flink JobID)."""
    return {
        e["message"]
        for e in all_events(embedded.server.api, deployment_id)
        if e["eventName"] in ("JOB_SUBMITTED", "JOB_SUBMITTING", "JOB_RESUBMITTING")
    }


def test_taskmanager_kill_shows_restarting(embedded: Embedded) -> None:
    job = embedded.jobs[0]
    taskmanager = embedded.pids()["taskmanager-0"]
    seen: set[str] = set()
    os.killpg(taskmanager, signal.SIGKILL)

    def restarting() -> bool:
        state = _observed(embedded.job(job["jobId"]))
        if state is not None:
            seen.add(state)
        return "RESTARTING" in seen

    wait_until("observed RESTARTING", restarting, timeout=60, interval=0.1)
    wait_until(
        "JOB_RESTARTED",
        lambda: embedded.events(job["deploymentId"], "JOB_RESTARTED"),
        timeout=60,
        interval=0.5,
    )
    wait_until("both jobs RUNNING", lambda: _all_running(embedded), timeout=120, interval=0.5)
    report(f"\n[control-plane] TaskManager SIGKILL: observed states {sorted(seen)}")


def test_jobmanager_kill_shows_unknown_then_recovers(embedded: Embedded) -> None:
    job = embedded.jobs[0]
    jobmanager = embedded.pids()["jobmanager"]
    os.killpg(jobmanager, signal.SIGKILL)
    killed_at = time.monotonic()

    def unknown() -> dict[str, Any] | None:
        answer = embedded.job(job["jobId"])
        unreachable = answer["status"].get("reason") == "CLUSTER_UNREACHABLE"
        return answer if unreachable and _observed(answer) == "UNKNOWN" else None

    seen = wait_until("observed UNKNOWN", unknown, timeout=30, interval=0.05)
    elapsed = time.monotonic() - killed_at
    assert seen["status"]["currentJobStatus"] == "RUNNING"
    assert elapsed < UNREACHABLE_BOUND, f"the API said RUNNING for {elapsed:.1f} s"
    assert embedded.events(job["deploymentId"], "CLUSTER_UNREACHABLE")
    wait_until("both jobs RUNNING", lambda: _all_running(embedded), timeout=180, interval=0.5)
    recovered = time.monotonic() - killed_at
    for each in embedded.jobs:
        answer = embedded.job(each["jobId"])
        assert answer["status"].get("reason") is None, answer["status"]
    assert embedded.events(job["deploymentId"], "CLUSTER_REACHABLE")
    assert embedded.pids()["jobmanager"] != jobmanager
    report(
        f"\n[control-plane] JobManager SIGKILL: UNKNOWN after {elapsed:.2f} s, "
        f"jobs RUNNING again after {recovered:.1f} s"
    )


def test_different_configuration_restarts_the_cluster(embedded: Embedded) -> None:
    server = embedded.server
    jobmanager = embedded.pids()["jobmanager"]
    before = {j["name"]: embedded.flink_job(j["name"])["jid"] for j in embedded.jobs}
    server.kill()
    server.env["MILLSTREAM_FLINK__CHECKPOINT_INTERVAL"] = "2s"
    started = time.monotonic()
    server.start(timeout=180)
    wait_until("both jobs RUNNING", lambda: _all_running(embedded), timeout=180, interval=0.3)
    gap = time.monotonic() - started
    log = server.log()
    assert "stopping a stale Flink cluster" in log
    assert "different configuration" in log
    assert embedded.pids()["jobmanager"] != jobmanager
    for job in embedded.jobs:
        assert embedded.flink_job(job["name"])["jid"] != before[job["name"]]
        assert embedded.events(job["deploymentId"], "JOB_RESUBMITTING")
    report(
        f"\n[control-plane] restart with a changed Flink configuration (the pre-adoption path "
        f"of every restart): {gap:.1f} s without processing"
    )
