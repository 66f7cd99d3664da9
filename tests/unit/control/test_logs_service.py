"""Job logs: logging validation, retention policy, reading, keeping and sweeping."""

# ruff: noqa: ARG002 - the fakes implement ports whose arguments they ignore

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from millstream.control.context import Scope
from millstream.control.services.logs import (
    ArchiveEntry,
    LogFile,
    LogKind,
    LogService,
    LogWindow,
    is_expired,
    normalize_level,
    retention,
    validate_logging,
)
from millstream.domain.clusters import Cluster
from millstream.domain.deployments import Logging
from millstream.domain.errors import ErrorCode, InvalidInput, NotFound
from millstream.domain.jobs import JobStatus
from tests.factories import make_cluster, make_deployment, make_job, make_namespace
from tests.fakes import InMemoryStore

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SCOPE = Scope("ws", "ns")


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("level", "normalized"), [("info", "INFO"), ("Warning", "WARN"), ("OFF", "OFF")]
)
def test_levels_are_normalized(level: str, normalized: str) -> None:
    assert normalize_level(level) == normalized


def test_invalid_logger_level_is_rejected_with_the_valid_ones() -> None:
    settings = Logging(log4j_loggers=(("org.apache.flink", "INFO"), ("com.acme", "LOUD")))
    with pytest.raises(
        InvalidInput, match=r"level of logger #2 \(com.acme\): 'LOUD' is not.*TRACE, DEBUG"
    ) as caught:
        validate_logging(settings)
    assert caught.value.code == ErrorCode.INVALID_LOG_LEVEL


def test_invalid_logger_name_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="logger #1: 'bad name' is not a logger name"):
        validate_logging(Logging(log4j_loggers=(("bad name", "INFO"),)))


def test_root_logger_and_valid_settings_pass() -> None:
    validate_logging(
        Logging(
            logging_profile="default",
            log4j_loggers=(("", "WARN"), ("org.apache.kafka", "error")),
            log_reserve_open_history=True,
            log_reserve_expiration_days=7,
            log4j2_configuration_template="rootLogger.level = {{ rootLoggerLogLevel }}",
        )
    )


def test_bad_template_and_expiration_are_rejected() -> None:
    with pytest.raises(InvalidInput, match="template has an error on line 1"):
        validate_logging(Logging(log4j2_configuration_template="{% for x in %}"))
    with pytest.raises(InvalidInput, match="kept for 1 to"):
        validate_logging(Logging(log_reserve_expiration_days=0))


# --------------------------------------------------------------------------- policy


@pytest.mark.parametrize(
    ("open_history", "days", "kept"),
    [
        (None, None, None),
        (False, 30, None),
        (True, None, timedelta(days=7)),
        (True, 3, timedelta(days=3)),
    ],
)
def test_retention_follows_log_reserve_policy(
    open_history: bool | None, days: int | None, kept: timedelta | None
) -> None:
    settings = Logging(log_reserve_open_history=open_history, log_reserve_expiration_days=days)
    assert retention(settings) == kept


def test_entries_expire_at_their_expiry() -> None:
    entry = ArchiveEntry("j", NOW, NOW + timedelta(days=1))
    assert not is_expired(entry, NOW + timedelta(hours=23))
    assert is_expired(entry, NOW + timedelta(days=1))


# --------------------------------------------------------------------------- service


class FakeClusterLogs:
    def __init__(self) -> None:
        self.windows: list[LogWindow] = []
        self.fail = False

    def jobmanager_log(self, cluster: Cluster, window: LogWindow) -> LogFile:
        self.windows.append(window)
        return LogFile("jobmanager", "jm.log", f"jm of {cluster.name}\n")

    def taskmanager_logs(self, cluster: Cluster, window: LogWindow) -> list[LogFile]:
        return [
            LogFile("taskmanager tm1", "tm.log", "tm1\n"),
            LogFile("taskmanager tm2", "tm.log", "tm2\n"),
        ]

    def stdout(self, cluster: Cluster, window: LogWindow) -> list[LogFile]:
        return [LogFile("jobmanager", "jm.out", "printed\n")]


class MemoryArchive:
    def __init__(self) -> None:
        self.kept: dict[str, tuple[ArchiveEntry, dict[LogKind, list[LogFile]]]] = {}

    def save(self, entry: ArchiveEntry, logs: dict[LogKind, list[LogFile]]) -> None:
        self.kept[entry.job_id] = (entry, logs)

    def read(self, job_id: str, kind: LogKind) -> list[LogFile] | None:
        found = self.kept.get(job_id)
        return None if found is None else found[1][kind]

    def entries(self) -> list[ArchiveEntry]:
        return [entry for entry, _ in self.kept.values()]

    def delete(self, job_id: str) -> None:
        self.kept.pop(job_id, None)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Parts:
    store: InMemoryStore
    logs: FakeClusterLogs
    archive: MemoryArchive
    clock: Clock
    service: LogService


@pytest.fixture
def parts() -> Parts:
    store = InMemoryStore()
    with store.transaction() as repos:
        repos.create_namespace(namespace=make_namespace())
        repos.create_cluster(cluster=make_cluster(name="default"))
    logs, archive, clock = FakeClusterLogs(), MemoryArchive(), Clock()
    return Parts(store, logs, archive, clock, LogService(store, logs, archive, clock=clock))


def _job(
    store: InMemoryStore, *, logging: Logging | None = None, status: JobStatus = JobStatus.RUNNING
) -> str:
    deployment = make_deployment(logging=logging or Logging())
    job = make_job(deployment, status=status, created_at=NOW - timedelta(hours=1))
    job.cluster = "default"
    job.logging = deployment.logging
    if job.is_terminal:
        job.end_time = NOW - timedelta(minutes=1)
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
    return job.id


def test_job_log_reads_the_cluster_in_the_job_window(parts: Parts) -> None:
    store, service = parts.store, parts.service
    logs = parts.logs
    job_id = _job(store)
    log = service.job_log(SCOPE, job_id, LogKind.JOBMANAGER)
    assert (log.source, log.text) == ("cluster", "jm of default\n")
    window = logs.windows[-1]
    assert window.since == NOW - timedelta(hours=1, seconds=2)
    assert window.until is None
    both = service.job_log(SCOPE, job_id, LogKind.TASKMANAGER)
    assert "==> taskmanager tm1: tm.log <==\ntm1" in both.text


def test_latest_start_log_is_the_jobmanager_log_from_the_start(parts: Parts) -> None:
    store, service = parts.store, parts.service
    logs = parts.logs
    job_id = _job(store)
    with store.transaction() as repos:
        job = repos.read_job(job_id=job_id)
    assert job is not None
    assert service.latest_start_log(SCOPE, job.deployment_id) == "jm of default\n"
    assert logs.windows[-1].from_start is True


def test_latest_start_log_of_a_never_started_deployment_is_not_found(parts: Parts) -> None:
    store, service = parts.store, parts.service
    deployment = make_deployment()
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
    with pytest.raises(NotFound, match="never been started"):
        service.latest_start_log(SCOPE, deployment.id)
    with pytest.raises(NotFound) as caught:
        service.latest_start_log(SCOPE, "missing")
    assert caught.value.code == ErrorCode.DEPLOYMENT_NOT_FOUND


def test_ended_job_with_open_history_is_kept_and_read_back(parts: Parts) -> None:
    store, service = parts.store, parts.service
    archive = parts.archive
    clock = parts.clock
    policy = Logging(log_reserve_open_history=True, log_reserve_expiration_days=2)
    job_id = _job(store, logging=policy, status=JobStatus.FINISHED)
    with store.transaction() as repos:
        job = repos.read_job(job_id=job_id)
    assert job is not None
    assert service.archive_job(job) is True
    entry = archive.entries()[0]
    assert entry.expires_at == NOW + timedelta(days=2)
    with store.transaction() as repos:  # the cluster is gone: the kept copy still answers
        repos.d.clusters.clear()
    log = service.job_log(SCOPE, job_id, LogKind.STDOUT)
    assert (log.source, log.text) == ("archive", "printed\n")
    clock.now = NOW + timedelta(days=3)
    assert service.sweep().deleted == (job_id,)
    with pytest.raises(NotFound, match="no longer exists"):
        service.job_log(SCOPE, job_id, LogKind.JOBMANAGER)


def test_job_without_open_history_is_not_kept(parts: Parts) -> None:
    store, service = parts.store, parts.service
    archive = parts.archive
    job_id = _job(store, status=JobStatus.FAILED)
    with store.transaction() as repos:
        job = repos.read_job(job_id=job_id)
    assert job is not None
    assert service.archive_job(job) is False
    assert archive.entries() == []


def test_sweep_keeps_jobs_that_ended_since_the_last_sweep(parts: Parts) -> None:
    store, service = parts.store, parts.service
    archive = parts.archive
    job_id = _job(store, logging=Logging(log_reserve_open_history=True))
    assert service.sweep().archived == ()
    with store.transaction() as repos:
        job = repos.read_job(job_id=job_id)
        assert job is not None
        repos.update_job(job=dataclasses.replace(job, status=JobStatus.CANCELLED, end_time=NOW))
    assert service.sweep().archived == (job_id,)
    assert [e.job_id for e in archive.entries()] == [job_id]
