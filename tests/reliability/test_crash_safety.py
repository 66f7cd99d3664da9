"""Issue 6 point 1: randomized start / stop-with-savepoint / restart cycles on real Flink
while the server is SIGKILLed at random points and restarted on the same SQLite data dir.

Each cycle acts on some of three deployments (start NONE or LATEST_SAVEPOINT when idle,
stop with savepoint when running), then kills the server after a random delay — sometimes
while the requests are still in flight, mostly while the reconciler submits or stops (the
window between "Flink accepted" and "the store recorded it" included) — and restarts it.
At the end every deployment's Flink jobs match its desired state, no deployment has two
live Flink jobs, no live Flink job is unknown to Millstream, and every acknowledged
savepoint is listed and restorable. Seed: ``MILLSTREAM_CRASH_SEED`` (printed).
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from millstream.engine import LocalCluster
from tests.e2e.conftest import Api
from tests.reliability.conftest import (
    SOAK,
    Server,
    all_events,
    all_jobs,
    live_flink_jobs,
    local_path,
    new_deployment,
    report,
    server_env,
    start_job,
    status_of,
    stop_job,
    wait_until,
)

pytestmark = pytest.mark.flink

CYCLES = 100 if SOAK else 12
DEPLOYMENTS = 3
TERMINAL = frozenset({"CANCELLED", "FAILED", "FINISHED"})
_FLINK_ID = re.compile(r"Flink job ([0-9a-f]{32})")


@dataclass
class Counts:
    cycles: int = 0
    kills: int = 0
    kills_mid_request: int = 0
    actions_acknowledged: int = 0
    actions_lost: int = 0
    submissions: int = 0
    resubmissions: int = 0
    savepoints_completed: int = 0
    restores_checked: int = 0
    seconds: float = 0.0
    per_action: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def server(flink: LocalCluster, servers: list[Server], tmp_path: Path) -> Server:
    started = Server(tmp_path / "crash", server_env(flink)).start()
    servers.append(started)
    return started


def _live_job(api: Api, deployment_id: str) -> dict[str, Any] | None:
    live = [j for j in all_jobs(api, deployment_id) if status_of(j) not in TERMINAL]
    assert len(live) <= 1, f"two non-terminal jobs for {deployment_id}: {live}"
    return live[0] if live else None


def _settled(api: Api, deployment_id: str) -> bool:
    """Nothing in flight: no job, or the live one RUNNING (STARTING/CANCELLING move on)."""
    job = _live_job(api, deployment_id)
    return job is None or status_of(job) == "RUNNING"


def _completed_savepoints(
    api: Api, deployment_id: str, *, retained: bool = False
) -> list[dict[str, Any]]:
    """COMPLETED savepoints; retained checkpoints only when asked."""
    savepoints = api.ok("GET", "savepoints", params={"deploymentId": deployment_id})
    return [
        s
        for s in savepoints
        if s["status"]["state"] == "COMPLETED"
        and (retained or s["savepointOrigin"] != "RETAINED_CHECKPOINT")
    ]


def _act(api: Api, deployment_id: str, rng: random.Random) -> str | None:
    """One user action fitting the deployment's state; None when nothing fits now."""
    job = _live_job(api, deployment_id)
    if job is None:
        if _completed_savepoints(api, deployment_id) and rng.random() < 0.8:
            start_job(api, deployment_id, "LATEST_SAVEPOINT")
            return "restart LATEST_SAVEPOINT"
        start_job(api, deployment_id)
        return "start NONE"
    if status_of(job) == "RUNNING":
        stop_job(api, job["jobId"], "STOP_WITH_SAVEPOINT")
        return "stop STOP_WITH_SAVEPOINT"
    return None


def _assert_no_duplicates(flink: LocalCluster, names: list[str]) -> None:
    for name in names:
        live = live_flink_jobs(flink.rest_url, name)
        assert len(live) <= 1, f"two live Flink jobs for {name}: {live}"


def _flink_ids(events: list[dict[str, Any]], job_id: str) -> set[str]:
    return {
        match.group(1)
        for e in events
        if e["eventName"] in ("JOB_SUBMITTING", "JOB_RESUBMITTING") and e["jobId"] == job_id
        for match in [_FLINK_ID.search(e["message"] or "")]
        if match
    }


def test_random_kills_lose_duplicate_and_orphan_nothing(
    server: Server, flink: LocalCluster
) -> None:
    seed = int(os.environ.get("MILLSTREAM_CRASH_SEED", str(random.SystemRandom().randrange(10**9))))
    report(f"\n[crash-safety] seed={seed} cycles={CYCLES}")
    rng = random.Random(seed)
    counts = Counts()
    began = time.monotonic()
    api = server.api
    deployments = [new_deployment(api) for _ in range(DEPLOYMENTS)]
    ids = [d["deploymentId"] for d in deployments]
    names = [d["name"] for d in deployments]
    budget = time.monotonic() + (3 * 3600 if SOAK else 420)

    for cycle in range(CYCLES):
        assert time.monotonic() < budget, f"cycle {cycle}: over the time budget (seed {seed})"
        chosen = [d for d in ids if rng.random() < 0.7] or [rng.choice(ids)]
        mid_request = rng.random() < 0.2
        killer: threading.Timer | None = None
        fired = threading.Event()
        if mid_request:

            def crash(fired: threading.Event = fired) -> None:
                fired.set()
                server.kill()

            killer = threading.Timer(rng.uniform(0.0, 0.15), crash)
            killer.start()
        for deployment_id in chosen:
            try:
                action = _act(api, deployment_id, rng)
            except (httpx.HTTPError, AssertionError):
                if not fired.is_set():
                    raise
                counts.actions_lost += 1
                continue
            if action is not None:
                counts.actions_acknowledged += 1
                counts.per_action[action] = counts.per_action.get(action, 0) + 1
        if killer is not None:
            killer.join()
            counts.kills_mid_request += 1
        else:
            time.sleep(rng.uniform(0.0, 3.0))
        server.kill()
        counts.kills += 1
        _assert_no_duplicates(flink, names)
        server.start()
        for deployment_id in ids:
            wait_until(
                f"cycle {cycle} (seed {seed}): {deployment_id} settles",
                lambda d=deployment_id: _settled(api, d),  # type: ignore[misc]
                timeout=90,
            )
        _assert_no_duplicates(flink, names)
        counts.cycles += 1

    # ---- the end state: Flink matches what Millstream shows, nothing twice or unknown
    time.sleep(2.0)  # a few ticks on the settled state
    known: set[str] = set()
    for deployment_id, name in zip(ids, names, strict=True):
        events = all_events(api, deployment_id)
        counts.submissions += sum(e["eventName"] == "JOB_SUBMITTING" for e in events)
        counts.resubmissions += sum(e["eventName"] == "JOB_RESUBMITTING" for e in events)
        live = live_flink_jobs(flink.rest_url, name)
        job = _live_job(api, deployment_id)
        if job is None:
            assert live == [], f"{name}: stopped in Millstream but live in Flink: {live}"
        else:
            assert status_of(job) == "RUNNING"
            assert len(live) == 1, f"{name}: {live}"
            assert live[0]["jid"] in _flink_ids(events, job["jobId"]), (live, events)
        for jobs_of_deployment in all_jobs(api, deployment_id):
            known |= _flink_ids(events, jobs_of_deployment["jobId"])
    ours = [j for j in live_flink_jobs(flink.rest_url) if j["name"] in names]
    unknown = [j for j in ours if j["jid"] not in known]
    assert unknown == [], f"live Flink jobs Millstream does not know: {unknown}"

    # ---- every acknowledged savepoint is listed, on disk and restorable
    savepoints = {d: _completed_savepoints(api, d) for d in ids}
    for listed in savepoints.values():
        counts.savepoints_completed += len(listed)
        for savepoint in listed:
            location = savepoint["savepointLocation"]
            assert (local_path(location) / "_metadata").exists(), (seed, savepoint)
    for deployment_id in ids:
        job = _live_job(api, deployment_id)
        if job is not None:
            stop_job(api, job["jobId"], "NONE")
            api.wait_status(job["jobId"], "CANCELLED")
    rounds = max((len(v) for v in savepoints.values()), default=0) if SOAK else 1
    for index in range(rounds):
        started: list[tuple[str, dict[str, Any]]] = []
        for deployment_id, listed in savepoints.items():
            newest_first = sorted(listed, key=lambda s: s["createdAt"] or 0, reverse=True)
            if index < len(newest_first):
                savepoint = newest_first[index]
                started.append(
                    (
                        savepoint["savepointLocation"],
                        start_job(
                            api,
                            deployment_id,
                            "FROM_SAVEPOINT",
                            savepointId=savepoint["savepointId"],
                        ),
                    )
                )
        for location, job in started:
            running = api.wait_status(job["jobId"], "RUNNING", "FAILED")
            assert status_of(running) == "RUNNING", (location, running)
            counts.restores_checked += 1
        for _, job in started:
            stop_job(api, job["jobId"], "NONE")
        for _, job in started:
            api.wait_status(job["jobId"], "CANCELLED")

    counts.seconds = round(time.monotonic() - began, 1)
    report(f"[crash-safety] seed={seed} {counts}")
    assert counts.cycles == CYCLES


def test_stop_with_savepoint_lists_only_restorable_state(
    flink: LocalCluster, servers: list[Server], tmp_path: Path
) -> None:
    server = Server(
        tmp_path / "retained", server_env(flink, MILLSTREAM_FLINK__CHECKPOINT_INTERVAL="1s")
    ).start()
    servers.append(server)
    api = server.api
    deployment = new_deployment(api)
    dep_id = deployment["deploymentId"]
    job = start_job(api, dep_id)
    api.wait_status(job["jobId"], "RUNNING")
    jid = live_flink_jobs(flink.rest_url, deployment["name"])[0]["jid"]
    wait_until(
        "three checkpoints",
        lambda: (
            httpx.get(f"{flink.rest_url}/jobs/{jid}/checkpoints", timeout=10).json()["counts"][
                "completed"
            ]
            >= 3
        ),
        timeout=60,
    )
    time.sleep(2.5)  # the reconciler reads the job's checkpoints every second
    stop_job(api, job["jobId"], "STOP_WITH_SAVEPOINT")
    api.wait_status(job["jobId"], "CANCELLED")
    try:
        for savepoint in _completed_savepoints(api, dep_id, retained=True):
            location = local_path(savepoint["savepointLocation"])
            assert (location / "_metadata").exists(), savepoint
        restarted = start_job(api, dep_id, "LATEST_STATE")
        assert status_of(api.wait_status(restarted["jobId"], "RUNNING", "FAILED")) == "RUNNING"
    finally:
        live = _live_job(api, dep_id)
        if live is not None:
            stop_job(api, live["jobId"], "NONE")
