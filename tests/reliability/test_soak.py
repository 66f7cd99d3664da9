"""Issue 20: the soak. Deployments cycle through start → savepoint → stop with savepoint →
restore on two server replicas sharing one PostgreSQL database, while a chaos thread
SIGKILLs a replica, a TaskManager or the JobManager at random moments.

It reports, and asserts to be 0: jobs lost (desired RUNNING, nothing live in Flink after
the chaos settles), duplicated (two live Flink jobs for one deployment, sampled all along),
orphaned (a live Flink job of a deployment whose job Millstream shows ended) and stops
that ended a job without the savepoint the stop promised. It also reports the RSS growth
of each server process over the second half of its life (asserted ≤ 5 % for lives of 5
minutes or more: a short life is mostly warm-up). In the second half of the chaos only
the second replica is killed, so the first one lives that long in a ``make soak``.

Length and size: ``MILLSTREAM_SOAK_SECONDS`` (chaos phase; 30 in the normal suite,
``make soak`` sets 1800) and ``MILLSTREAM_SOAK_DEPLOYMENTS`` (3; ``make soak``: 20).
Up to 3 deployments share the session Flink cluster; more get their own cluster with a
slot each. Seed: ``MILLSTREAM_SOAK_SEED`` (printed).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from millstream.config import FlinkSettings
from millstream.engine import LocalCluster
from tests.reliability.conftest import (
    SOAK,
    Server,
    live_flink_jobs,
    new_deployment,
    pg_url,
    report,
    server_env,
    wait_until,
)

pytestmark = [pytest.mark.flink, pytest.mark.postgres]

SECONDS = float(os.environ.get("MILLSTREAM_SOAK_SECONDS", "30"))
DEPLOYMENTS = int(os.environ.get("MILLSTREAM_SOAK_DEPLOYMENTS", "3"))
SHARED_CLUSTER_LIMIT = 3  # the session cluster has 4 slots
TERMINAL = frozenset({"CANCELLED", "FAILED", "FINISHED"})
SETTLED_FOR = 10.0  # seconds every deployment must stay RUNNING after the chaos
RSS_WARMUP = 30.0  # seconds of a server's life before its RSS baseline is taken
RSS_ASSERTED_LIFE = 300.0
RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


@dataclass
class Tally:
    seed: int
    deployments: int
    chaos_seconds: float
    cycles_completed: int = 0
    starts: int = 0
    savepoints_taken: int = 0
    stops_with_savepoint: int = 0
    restores: int = 0
    server_kills: int = 0
    taskmanager_kills: int = 0
    jobmanager_kills: int = 0
    api_calls_failed_over: int = 0
    jobs_failed: int = 0
    jobs_lost: int = 0
    jobs_duplicated: int = 0
    jobs_orphaned: int = 0
    stops_without_savepoint: int = 0
    rss_growth_percent: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- environment


@pytest.fixture(scope="module")
def soak_flink(
    flink: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalCluster]:
    """The session cluster for a few deployments; an own cluster with enough slots (two
    TaskManagers, so a TaskManager kill hits only part of the jobs) for more."""
    if DEPLOYMENTS <= SHARED_CLUSTER_LIMIT:
        yield flink
        return
    from tests.e2e.conftest import free_port

    cluster = LocalCluster(
        data_dir=tmp_path_factory.mktemp("soak-flink"),
        flink=FlinkSettings(
            rest_port=free_port(),
            taskmanagers=2,
            taskmanager_slots=_slots(),
            checkpoint_interval="2s",
        ),
    )
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def replicas(
    soak_flink: LocalCluster,
    pg_database: str,
    servers: list[Server],  # after pg_database: the servers stop before the database drops
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Server, Server]:
    root = tmp_path_factory.mktemp("soak")
    env = server_env(
        soak_flink,
        MILLSTREAM_STORE__URL=pg_url(pg_database),
        MILLSTREAM_SECRET_KEY=Fernet.generate_key().decode(),
        # the default queue's capacity follows the cluster's shape: one job per slot
        MILLSTREAM_FLINK__TASKMANAGERS=str(soak_flink.wanted_taskmanagers),
        MILLSTREAM_FLINK__TASKMANAGER_SLOTS=str(_slots()),
    )
    first = Server(root / "a", env).start()
    servers.append(first)
    second = Server(root / "b", env, credentials=first.data_dir / "credentials").start()
    servers.append(second)
    return first, second


def _slots() -> int:
    """Slots per TaskManager of the soak's cluster (the session cluster has 4)."""
    return DEPLOYMENTS // 2 + 2 if DEPLOYMENTS > SHARED_CLUSTER_LIMIT else 4


class Failover:
    """API calls through any live replica: a call that fails on a killed one (connection
    refused, reset, 5xx while it dies) is sent to the other."""

    def __init__(self, replicas: tuple[Server, Server], tally: Tally) -> None:
        self._replicas = replicas
        self._tally = tally

    def ok(
        self,
        method: str,
        path: str,
        *,
        conflict_ok: bool = False,
        conflict_ok_when_retried: bool = False,
        **kwargs: Any,
    ) -> Any:
        """The answer's data; with ``conflict_ok`` a 409 answers None (e.g. a stop sent
        again while the first one is still taking its savepoint). With
        ``conflict_ok_when_retried`` only after an attempt failed: a replica killed after
        it took a stop and before it answered leaves the job stopping, and the retry on
        the other replica is then refused as JobNotStoppable."""
        last: Exception | None = None
        for _ in range(40):  # bounded: both replicas may be down for a moment
            for server in random.sample(self._replicas, 2):
                if not server.alive:
                    continue
                try:
                    status, envelope = server.api.call(method, path, **kwargs)
                except (httpx.HTTPError, json.JSONDecodeError, ValueError) as error:
                    last = error
                    self._tally.api_calls_failed_over += 1
                    continue
                if status >= 500:
                    last = AssertionError(f"{status}: {envelope}")
                    self._tally.api_calls_failed_over += 1
                    continue
                if status == 409 and (conflict_ok or (conflict_ok_when_retried and last)):
                    return None
                assert status == 200, (method, path, envelope)
                assert envelope["success"] is True, (method, path, envelope)
                return envelope["data"]
            time.sleep(0.5)
        raise AssertionError(f"no replica answered {method} {path}: {last!r}")


# --------------------------------------------------------------------------- one deployment


@dataclass
class Cycle:
    """Where one deployment is in start → savepoint → stop with savepoint → restore."""

    deployment_id: str
    name: str
    job_id: str | None = None
    savepoint_id: str | None = None
    stopping_job: str | None = None
    stop_sent_at: float = 0.0
    cycles: int = 0

    def step(
        self, api: Failover, tally: Tally, rng: random.Random, *, settle: bool = False
    ) -> None:
        """One move; when ``settle``, a RUNNING job is left alone (no savepoint, no stop)
        and an ended one is started again."""
        if self.job_id is None:
            kind = "LATEST_SAVEPOINT" if self.cycles else "NONE"
            # A client token, as a careful client sends: a start answered by a replica
            # killed before its answer arrived is retried on the other one, which then
            # returns the job the first start made (not JobAlreadyRunning).
            job = api.ok(
                "POST",
                "jobs:start",
                body={
                    "deploymentId": self.deployment_id,
                    "restoreStrategy": {"kind": kind},
                    "clientToken": uuid.uuid4().hex,
                },
            )
            self.job_id, self.savepoint_id, self.stopping_job = job["jobId"], None, None
            tally.starts += 1
            tally.restores += kind != "NONE"
            return
        job = api.ok("GET", f"jobs/{self.job_id}")
        status = job["status"]["currentJobStatus"]
        if status in TERMINAL:
            self._ended(api, tally, status)
            return
        if status != "RUNNING" or settle:
            if settle and status == "RUNNING" and time.monotonic() - self.stop_sent_at > 30:
                self.stopping_job = None  # that stop failed (STOP_FAILED): the job runs on
            return
        if self.savepoint_id is None:
            savepoint = api.ok("POST", "savepoints", body={"deploymentId": self.deployment_id})
            self.savepoint_id = savepoint["savepointId"]
            return
        if self.stopping_job is None:
            savepoint = api.ok("GET", f"savepoints/{self.savepoint_id}")
            state = savepoint["status"]["state"]
            if state == "STARTED":
                return
            tally.savepoints_taken += state == "COMPLETED"
        if self.stopping_job is None or rng.random() < 0.1:  # a retry after STOP_FAILED
            api.ok(
                "POST",
                f"jobs/{self.job_id}:stop",
                body={"stopStrategy": "STOP_WITH_SAVEPOINT"},
                conflict_ok=self.stopping_job is not None,
                conflict_ok_when_retried=True,
            )
            self.stopping_job, self.stop_sent_at = self.job_id, time.monotonic()

    def _ended(self, api: Failover, tally: Tally, status: str) -> None:
        if status == "FAILED":
            tally.jobs_failed += 1
        elif self.stopping_job == self.job_id:
            tally.stops_with_savepoint += 1
            savepoints = api.ok("GET", "savepoints", params={"deploymentId": self.deployment_id})
            if not [
                s
                for s in savepoints
                if s["jobId"] == self.job_id
                and s["savepointOrigin"] == "STOP_WITH_SAVEPOINT"
                and s["status"]["state"] == "COMPLETED"
            ]:
                tally.stops_without_savepoint += 1
            self.cycles += 1
            tally.cycles_completed += 1
        self.job_id = None


# --------------------------------------------------------------------------- chaos


class Chaos(threading.Thread):
    """SIGKILLs a replica (started again 1 to 4 s later), a TaskManager (Flink's supervisor
    starts it again) or the JobManager (the cluster restarts it) every 4 to 12 s."""

    def __init__(
        self,
        replicas: tuple[Server, Server],
        cluster: LocalCluster,
        tally: Tally,
        rng: random.Random,
        rss: Callable[[], None],
    ) -> None:
        super().__init__(daemon=True)
        self._replicas, self._cluster, self._tally, self._rng = replicas, cluster, tally, rng
        self._rss = rss
        self._half_time = time.monotonic() + SECONDS / 2
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.wait(self._rng.uniform(4.0, 12.0)):
                self._rss()
                roll = self._rng.random()
                if roll < 0.5:
                    # The second half kills the second replica only: the first then
                    # lives long enough for its RSS to say whether the server leaks.
                    late = time.monotonic() >= self._half_time
                    server = self._replicas[1] if late else self._rng.choice(self._replicas)
                    server.kill()
                    self._tally.server_kills += 1
                    time.sleep(self._rng.uniform(1.0, 4.0))
                    server.start(timeout=120)
                elif roll < 0.8:
                    victims = self._cluster.taskmanager_pids()
                    if victims:
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(self._rng.choice(victims), signal.SIGKILL)
                        self._tally.taskmanager_kills += 1
                else:
                    self._cluster.restart_jobmanager()
                    self._tally.jobmanager_kills += 1
        except BaseException as error:  # reported by the test, not lost in a thread
            self.error = error


class RssWatch:
    """The RSS of each server process over the second half of its life (at least the
    warm-up after its start): what a leak adds, not what filling caches and pools does."""

    def __init__(self, replicas: tuple[Server, Server]) -> None:
        self._replicas = replicas
        self._born: dict[int, float] = {}
        self._samples: dict[int, list[tuple[float, int]]] = {}  # pid -> (age, KiB)
        self._lock = threading.Lock()

    def sample(self) -> None:
        now = time.monotonic()
        with self._lock:
            for server in self._replicas:
                if not server.alive or server.process is None:
                    continue
                pid = server.process.pid
                born = self._born.setdefault(pid, now)
                kib = _rss_kib(pid)
                if kib is not None and now - born >= RSS_WARMUP:
                    self._samples.setdefault(pid, []).append((now - born, kib))

    def growth(self) -> dict[int, tuple[float, float]]:
        """pid → (life in seconds, RSS growth in percent from the middle of its life)."""
        grown = {}
        with self._lock:
            for pid, samples in self._samples.items():
                life, last = samples[-1]
                base = next(kib for age, kib in samples if age >= life / 2)
                grown[pid] = (life, 100.0 * (last - base) / base)
        return grown


def _rss_kib(pid: int) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


# --------------------------------------------------------------------------- the soak


def test_soak_loses_duplicates_and_orphans_nothing(
    replicas: tuple[Server, Server], soak_flink: LocalCluster
) -> None:
    seed = int(os.environ.get("MILLSTREAM_SOAK_SEED", str(random.SystemRandom().randrange(10**9))))
    rng = random.Random(seed)
    tally = Tally(seed=seed, deployments=DEPLOYMENTS, chaos_seconds=SECONDS)
    report(f"\n[soak] seed={seed} deployments={DEPLOYMENTS} chaos={SECONDS:.0f}s")
    api = Failover(replicas, tally)
    created = [new_deployment(replicas[0].api) for _ in range(DEPLOYMENTS)]
    cycles = [Cycle(d["deploymentId"], d["name"]) for d in created]
    names = [c.name for c in cycles]
    rss = RssWatch(replicas)
    chaos = Chaos(replicas, soak_flink, tally, rng, rss.sample)
    chaos.start()
    chaos_ends = time.monotonic() + SECONDS
    try:
        while time.monotonic() < chaos_ends:
            for cycle in cycles:
                cycle.step(api, tally, rng)
            tally.jobs_duplicated += _duplicates(soak_flink, names)
            rss.sample()
            time.sleep(0.5)
    finally:
        chaos.stop.set()
        chaos.join(180)
    assert chaos.error is None, repr(chaos.error)
    for server in replicas:  # the chaos may have left one down
        if not server.alive:
            server.start(timeout=120)

    # ---- settle: every deployment reaches RUNNING (a stopped one is started again)
    # and stays there for SETTLED_FOR: the last kill's after-effects outlive the chaos
    # (a JobManager restarted just before it ended comes back without its jobs, which
    # are then resubmitted), so one look at "all RUNNING" can come too early.
    settle_ends = time.monotonic() + 180
    running_since: float | None = None
    while time.monotonic() < settle_ends:
        for cycle in cycles:
            cycle.step(api, tally, rng, settle=True)
        tally.jobs_duplicated += _duplicates(soak_flink, names)
        if not all(_running(api, c) for c in cycles):
            running_since = None
        elif running_since is None:
            running_since = time.monotonic()
        elif time.monotonic() - running_since >= SETTLED_FOR:
            break
        time.sleep(0.5)
    for cycle in cycles:
        live = live_flink_jobs(soak_flink.rest_url, cycle.name)
        if _running(api, cycle):
            tally.jobs_lost += not live
            tally.jobs_duplicated += max(0, len(live) - 1)
        else:
            tally.jobs_orphaned += len(live)
            tally.jobs_lost += 1
            report(f"[soak] not RUNNING after the settle: {_describe(api, cycle)}; Flink: {live}")
    for pid, (life, growth) in rss.growth().items():
        tally.rss_growth_percent[f"pid {pid} ({life:.0f}s)"] = round(growth, 1)
    report(f"[soak] {json.dumps(asdict(tally))}")
    if SOAK:  # `make soak` keeps its result; the suite's short run only prints it
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "soak.json").write_text(json.dumps(asdict(tally), indent=2) + "\n")

    for cycle in cycles:  # leave the shared cluster's slots free
        if cycle.job_id is not None:
            api.ok("POST", f"jobs/{cycle.job_id}:stop", body={"stopStrategy": "NONE"})
    for cycle in cycles:
        if cycle.job_id is not None:
            wait_until(
                "the soak's jobs to end",
                lambda c=cycle: not live_flink_jobs(soak_flink.rest_url, c.name),  # type: ignore[misc]
                timeout=60,
            )

    assert (tally.jobs_lost, tally.jobs_duplicated, tally.jobs_orphaned) == (0, 0, 0), tally
    assert tally.stops_without_savepoint == 0, tally
    assert tally.cycles_completed >= 1, tally  # the chaos left room for work
    for key, (life, growth) in {
        k: v for k, v in rss.growth().items() if v[0] >= RSS_ASSERTED_LIFE
    }.items():
        assert growth <= 5.0, f"server pid {key}: RSS grew {growth:.1f}% over {life:.0f}s"


def _running(api: Failover, cycle: Cycle) -> bool:
    """RUNNING and not being stopped (a stop with savepoint in flight still shows
    RUNNING until its savepoint is taken)."""
    if cycle.job_id is None or cycle.stopping_job == cycle.job_id:
        return False
    job = api.ok("GET", f"jobs/{cycle.job_id}")
    return bool(job["status"]["currentJobStatus"] == "RUNNING")


def _describe(api: Failover, cycle: Cycle) -> str:
    """What Millstream says of a deployment that did not settle, for the failure report."""
    job = api.ok("GET", f"jobs/{cycle.job_id}") if cycle.job_id else None
    events = api.ok("GET", "events", params={"deploymentId": cycle.deployment_id, "pageSize": 100})
    newest = sorted(events, key=lambda e: int(e["createdAt"] or 0), reverse=True)[:10]
    tail = [f"{e['eventName']}: {e['message']}" for e in newest]
    status = job["status"] if job else None
    return f"{cycle.name} job={cycle.job_id} status={status} events={tail}"


def _duplicates(cluster: LocalCluster, names: list[str]) -> int:
    try:
        live = live_flink_jobs(cluster.rest_url)
    except (httpx.HTTPError, KeyError, ValueError):
        return 0  # the JobManager is being killed: nothing to count right now
    counts: dict[str, int] = {}
    for job in live:
        counts[job["name"]] = counts.get(job["name"], 0) + 1
    return sum(n - 1 for name, n in counts.items() if name in names and n > 1)
