"""Issue 6 point 2: two servers on one PostgreSQL database, one reconciler between them.

Both serve the API (reads and writes through either); only the holder of the advisory
lock reconciles. SIGKILL the leader: the survivor takes over (the killed session frees the
lock), finishes what was in flight and never submits a job twice. With SQLite a second
server on the same file does not reconcile and says so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from millstream.engine import LocalCluster
from tests.reliability.conftest import (
    Server,
    all_events,
    live_flink_jobs,
    new_deployment,
    pg_url,
    report,
    server_env,
    start_job,
    status_of,
    stop_job,
    wait_until,
)

pytestmark = [pytest.mark.flink, pytest.mark.postgres]

LEADER_LINE = "this process now runs the reconciler"
# What a replica that could not take the lock should log (once), see the report's patch.
FOLLOWER_LINE = re.compile(r"another (process|replica) (runs|holds) the reconciler")


def _leads(server: Server) -> bool:
    return LEADER_LINE in server.log()


@pytest.fixture(scope="module")
def pair(
    flink: LocalCluster,
    servers: list[Server],
    pg_database: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Server, Server]:
    root = tmp_path_factory.mktemp("ha")
    env = server_env(
        flink,
        MILLSTREAM_STORE__URL=pg_url(pg_database),
        # Secrets (access keys) are encrypted at rest: replicas must share the key.
        MILLSTREAM_SECRET_KEY=Fernet.generate_key().decode(),
    )
    first = Server(root / "a", env)
    servers.append(first)
    first.start()
    wait_until("the first server to lead", lambda: _leads(first), timeout=20)
    second = Server(root / "b", env, credentials=first.data_dir / "credentials")
    servers.append(second)
    second.start()
    return first, second


def test_both_serve_the_api_and_exactly_one_reconciles(pair: tuple[Server, Server]) -> None:
    first, second = pair
    deployment = new_deployment(second.api)  # a write through the follower
    read = first.api.ok("GET", f"deployments/{deployment['deploymentId']}")
    assert read["name"] == deployment["name"]
    job = start_job(second.api, deployment["deploymentId"])
    first.api.wait_status(job["jobId"], "RUNNING")
    assert status_of(second.api.ok("GET", f"jobs/{job['jobId']}")) == "RUNNING"
    time.sleep(1.0)
    assert _leads(first)
    assert not _leads(second), second.log_tail()
    stop_job(first.api, job["jobId"], "NONE")
    second.api.wait_status(job["jobId"], "CANCELLED")


def test_survivor_takes_over_without_double_submission(
    pair: tuple[Server, Server], flink: LocalCluster
) -> None:
    first, second = pair
    assert _leads(first)
    api = second.api
    running = new_deployment(api)
    running_job = start_job(api, running["deploymentId"])
    api.wait_status(running_job["jobId"], "RUNNING")
    in_flight = new_deployment(api)
    after = new_deployment(api)

    # a start acknowledged just before the crash: the leader is submitting it
    in_flight_job = start_job(api, in_flight["deploymentId"])
    time.sleep(0.2)
    first.kill()
    killed_at = time.monotonic()
    after_job = start_job(api, after["deploymentId"])  # through the survivor, after the kill

    names = [running["name"], in_flight["name"], after["name"]]
    deadline = time.monotonic() + 60
    leader_at: float | None = None
    running_at: float | None = None
    while time.monotonic() < deadline:
        for name in names:  # never two live Flink jobs for one deployment
            live = live_flink_jobs(flink.rest_url, name)
            assert len(live) <= 1, f"double submission for {name}: {live}"
        if leader_at is None and _leads(second):
            leader_at = time.monotonic()
        if running_at is None and status_of(api.ok("GET", f"jobs/{after_job['jobId']}")) == (
            "RUNNING"
        ):
            running_at = time.monotonic()
        if running_at is not None and leader_at is not None:
            break
        time.sleep(0.2)
    assert leader_at is not None, second.log_tail()
    assert running_at is not None, second.log_tail()
    takeover, to_running = leader_at - killed_at, running_at - killed_at
    report(
        f"\n[ha] lock taken over {takeover:.2f}s after SIGKILL; "
        f"a job started through the survivor RUNNING after {to_running:.2f}s"
    )
    assert takeover < 15
    assert to_running < 45

    api.wait_status(in_flight_job["jobId"], "RUNNING")
    time.sleep(2.0)  # a few ticks of the new leader
    for deployment, job in (
        (running, running_job),
        (in_flight, in_flight_job),
        (after, after_job),
    ):
        live = live_flink_jobs(flink.rest_url, deployment["name"])
        assert len(live) == 1, (deployment["name"], live)
        assert status_of(api.ok("GET", f"jobs/{job['jobId']}")) == "RUNNING"
        events = all_events(api, deployment["deploymentId"])
        submissions = [e for e in events if e["eventName"] == "JOB_SUBMITTING"]
        assert len(submissions) == 1, submissions
        assert live[0]["jid"] in submissions[0]["message"]
        assert not [e for e in events if e["eventName"] == "JOB_RESUBMITTING"]
    for job in (running_job, in_flight_job, after_job):
        stop_job(api, job["jobId"], "NONE")
    for job in (running_job, in_flight_job, after_job):
        api.wait_status(job["jobId"], "CANCELLED")

    # the old leader comes back as a follower
    first.start()
    time.sleep(2.0)
    assert first.log().count(LEADER_LINE) == 1, first.log_tail()


@pytest.fixture
def sqlite_pair(
    flink: LocalCluster, servers: list[Server], tmp_path: Path
) -> Iterator[tuple[Server, Server]]:
    env = server_env(flink, MILLSTREAM_SECRET_KEY=Fernet.generate_key().decode())
    first = Server(tmp_path / "one", env)
    servers.append(first)
    first.start()
    wait_until("the first server to lead", lambda: _leads(first), timeout=20)
    database = first.data_dir.resolve() / "millstream.db"
    second = Server(
        tmp_path / "two",
        {**env, "MILLSTREAM_STORE__URL": f"sqlite:///{database}"},
        credentials=first.data_dir / "credentials",
    )
    servers.append(second)
    second.start()
    yield first, second
    second.stop()
    first.stop()


def test_second_sqlite_server_does_not_reconcile(sqlite_pair: tuple[Server, Server]) -> None:
    first, second = sqlite_pair
    deployment = new_deployment(second.api)
    assert first.api.ok("GET", f"deployments/{deployment['deploymentId']}")["name"]
    time.sleep(2.0)
    assert _leads(first)
    assert not _leads(second), second.log_tail()


def test_second_sqlite_server_says_why_it_does_not_reconcile(
    sqlite_pair: tuple[Server, Server],
) -> None:
    _, second = sqlite_pair
    wait_until(
        "a clear 'not the leader' message",
        lambda: FOLLOWER_LINE.search(second.log()),
        timeout=5,
    )
