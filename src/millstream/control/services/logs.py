"""Job logs: JobManager, TaskManager and stdout of a job's cluster, the JobManager log of a
deployment's latest start (GetLatestJobStartLog), the kept history of ended jobs
(``logReservePolicy``) and the validation of a deployment's ``logging`` settings.

Logs are read through two ports: ``ClusterLogs`` (a live cluster's log files, from disk
for the embedded cluster or through Flink's REST API; ``engine.logs.FlinkLogReader``) and
``LogArchive`` (excerpts kept under ``<data_dir>/logs/<job_id>/``;
``engine.logs.FileLogArchive``). A job's log is its cluster's log between the job's
start and end. ``job_log`` serves by default only the job's records of a cluster that
is not the job's own (``LogScope.JOB``; which records: ``job_lines.JobLines``) and on
request the cluster's whole log (``LogScope.CLUSTER``), except on a cluster several
namespaces share (no namespace of its own, not dedicated to the job, more than one
namespace exists): other namespaces' lines are never served, and what is kept of such a
cluster are only the records naming the job (``own_records``). Every text served or
kept has the namespace's Encrypted variable values masked (``mask_secrets``).

Callers: the native log routes (``job_log``, ``latest_start_log``), the reconciler when a
job reaches a terminal status (``archive_job``) and the daemon once a minute (``sweep``).
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import jinja2

from millstream.control.context import Scope
from millstream.control.ports import Page, Repositories, Store
from millstream.control.services.common import require_namespace
from millstream.control.services.job_lines import JobLines
from millstream.control.services.variables import NamespaceVariables
from millstream.control.variables import mask_secrets
from millstream.domain.clusters import Cluster, ClusterKind
from millstream.domain.deployments import Logging
from millstream.domain.errors import (
    ErrorCode,
    InvalidInput,
    MillstreamError,
    NotFound,
    PermissionDenied,
)
from millstream.domain.jobs import Job

__all__ = [
    "DEFAULT_EXPIRATION_DAYS",
    "LOG_LEVELS",
    "ROOT_LOGGER",
    "ArchiveEntry",
    "ClusterLogs",
    "JobLog",
    "LogArchive",
    "LogFile",
    "LogKind",
    "LogScope",
    "LogService",
    "LogWindow",
    "SweepReport",
    "is_expired",
    "normalize_level",
    "own_records",
    "retention",
    "validate_logging",
]

_log = logging.getLogger(__name__)

LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF", "ALL")
ROOT_LOGGER = ""  # a log4jLoggers entry named "" (or "root") sets the root logger
DEFAULT_EXPIRATION_DAYS = 7
MAX_EXPIRATION_DAYS = 3650
DEFAULT_MAX_BYTES = 1024 * 1024
_LOGGER_NAME = re.compile(r"[A-Za-z0-9_$][A-Za-z0-9_$.\-]*")
_SLACK = timedelta(seconds=2)  # clocks of the control plane and Flink may differ a little
_RECORD_START = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


class LogScope(enum.StrEnum):
    """Whose lines a job log holds: the job's own (default) or its whole cluster's."""

    JOB = "job"
    CLUSTER = "cluster"

    @classmethod
    def parse(cls, value: str | None) -> LogScope:
        if not value:
            return cls.JOB
        try:
            return cls(value.lower())
        except ValueError:
            raise InvalidInput(
                f"unknown log scope {value!r}; use job (the job's lines) or cluster "
                "(the whole cluster log)"
            ) from None


class LogKind(enum.StrEnum):
    JOBMANAGER = "jobmanager"
    TASKMANAGER = "taskmanager"
    STDOUT = "stdout"

    @classmethod
    def parse(cls, value: str | None) -> LogKind:
        if not value:
            return cls.JOBMANAGER
        try:
            return cls(value.lower())
        except ValueError:
            valid = ", ".join(kind.value for kind in cls)
            raise InvalidInput(
                f"unknown log kind {value!r}; use one of {valid}", code=ErrorCode.INVALID_LOG_KIND
            ) from None


@dataclass(frozen=True, slots=True)
class LogWindow:
    """Which part of a log to read: lines stamped in [since, until] (``None``: open),
    at most ``max_bytes``, the first ones (``from_start``) or the last ones; ``keep``
    (when set) filters the lines first, e.g. to one job's (``JobLines.filter``)."""

    since: datetime | None = None
    until: datetime | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    from_start: bool = False
    keep: Callable[[Iterable[str]], Iterable[str]] | None = None


@dataclass(frozen=True, slots=True)
class LogFile:
    """One log of one process: ``source`` is ``jobmanager`` or ``taskmanager <id>``."""

    source: str
    name: str
    text: str
    truncated: bool = False


class ClusterLogs(Protocol):
    """Log files of a live (or stopped, when on this host) cluster. Unreachable clusters
    raise ``EngineUnavailable``."""

    def jobmanager_log(self, cluster: Cluster, window: LogWindow) -> LogFile: ...
    def taskmanager_logs(self, cluster: Cluster, window: LogWindow) -> list[LogFile]: ...
    def stdout(self, cluster: Cluster, window: LogWindow) -> list[LogFile]:
        """The ``.out`` files (System.out of the JobManager and TaskManagers)."""
        ...


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    job_id: str
    archived_at: datetime
    expires_at: datetime


class LogArchive(Protocol):
    """Kept log excerpts of ended jobs, one set of files per job."""

    def save(self, entry: ArchiveEntry, logs: dict[LogKind, list[LogFile]]) -> None: ...
    def read(self, job_id: str, kind: LogKind) -> list[LogFile] | None:
        """``None`` when nothing is kept for the job."""
        ...

    def entries(self) -> list[ArchiveEntry]: ...
    def delete(self, job_id: str) -> None: ...


# --------------------------------------------------------------------------- policy


def normalize_level(level: str, *, where: str = "log level") -> str:
    """A log4j level in upper case, or ``InvalidInput`` naming the valid ones."""
    upper = level.strip().upper()
    if upper == "WARNING":
        upper = "WARN"
    if upper not in LOG_LEVELS:
        raise InvalidInput(
            f"{where}: {level!r} is not a log level; use one of {', '.join(LOG_LEVELS)}",
            code=ErrorCode.INVALID_LOG_LEVEL,
        )
    return upper


def validate_logging(settings: Logging) -> None:
    """Reject logging settings that cannot become a log4j configuration (at create and
    update, before anything is stored)."""
    for index, (name, level) in enumerate(settings.log4j_loggers):
        where = f"logger #{index + 1}"
        normalize_level(level, where=f"the level of {where} ({name or 'root'})")
        if name not in (ROOT_LOGGER, "root", "ROOT") and not _LOGGER_NAME.fullmatch(name):
            raise InvalidInput(
                f"{where}: {name!r} is not a logger name (a class or package such as "
                "org.apache.flink, or empty for the root logger)",
                code=ErrorCode.INVALID_LOGGER_NAME,
            )
    days = settings.log_reserve_expiration_days
    if days is not None and not 1 <= days <= MAX_EXPIRATION_DAYS:
        raise InvalidInput(
            f"ended jobs' logs can be kept for 1 to {MAX_EXPIRATION_DAYS} days, not {days}",
            code=ErrorCode.INVALID_LOG_RETENTION,
        )
    template = settings.log4j2_configuration_template
    if template and template.strip():
        _check_template(template)


def _check_template(template: str) -> None:
    try:
        jinja2.Environment(autoescape=False).parse(template)
    except jinja2.TemplateSyntaxError as exc:
        raise InvalidInput(
            f"the log4j2 configuration template has an error on line {exc.lineno}: {exc.message}",
            code=ErrorCode.INVALID_LOG_TEMPLATE,
        ) from exc


def retention(settings: Logging) -> timedelta | None:
    """How long an ended job's logs are kept; ``None``: not kept."""
    if not settings.log_reserve_open_history:
        return None
    return timedelta(days=settings.log_reserve_expiration_days or DEFAULT_EXPIRATION_DAYS)


def is_expired(entry: ArchiveEntry, now: datetime) -> bool:
    return entry.expires_at <= now


def own_records(text: str, ids: Collection[str], *, stamped: bool = True) -> tuple[str, bool]:
    """The records of ``text`` that name one of ``ids``, and whether any was dropped. A
    record is a stamped line with the unstamped lines after it (a stack trace), or, for
    ``stamped=False`` (stdout), a single line."""
    names = [i for i in ids if i]
    kept: list[str] = []
    dropped = False
    record: list[str] = []

    def close() -> None:
        nonlocal dropped
        if not record:
            return
        joined = "".join(record)
        if any(name in joined for name in names):
            kept.append(joined)
        else:
            dropped = True
        record.clear()

    for line in text.splitlines(keepends=True):
        if not stamped or _RECORD_START.match(line):
            close()
        record.append(line)
    close()
    return "".join(kept), dropped


# --------------------------------------------------------------------------- service


@dataclass(frozen=True, slots=True)
class JobLog:
    """A job's log of one kind; ``source`` is ``cluster`` (read now) or ``archive``;
    ``scope`` says whether it holds the job's lines or the whole cluster's, ``note``
    what was left out or why it is the cluster's; ``cluster_log`` whether the whole
    cluster log may be read (no other namespace shares the cluster)."""

    job_id: str
    kind: LogKind
    source: str
    files: Sequence[LogFile]
    scope: LogScope = LogScope.JOB
    note: str | None = None
    cluster_log: bool = True

    @property
    def text(self) -> str:
        if len(self.files) == 1:
            return self.files[0].text
        return "".join(f"==> {f.source}: {f.name} <==\n{f.text}\n" for f in self.files)


@dataclass(frozen=True, slots=True)
class SweepReport:
    archived: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()


class LogService:
    def __init__(
        self,
        store: Store,
        logs: ClusterLogs,
        archive: LogArchive,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        variables: NamespaceVariables | None = None,
    ) -> None:
        self._store = store
        self._variables = variables
        self._logs = logs
        self._archive = archive
        self._max_bytes = max_bytes
        self._clock = clock
        self._live: set[str] = set()  # jobs seen live at the previous sweep

    def job_log(
        self, scope: Scope, job_id: str, kind: LogKind, log_scope: LogScope = LogScope.JOB
    ) -> JobLog:
        """The job's log: from its cluster, or what was kept once it ended. With
        ``LogScope.JOB`` only the job's records (``JobLines``); with ``CLUSTER`` the
        cluster's whole log over the job's time, unless other namespaces share it."""
        with self._store.transaction() as repos:
            job = _read_job(repos, scope, job_id)
            cluster = repos.read_cluster(workspace=job.workspace, name=job.cluster)
            shared = cluster is not None and _shared(repos, cluster, job)
        if log_scope is LogScope.CLUSTER and shared:
            raise PermissionDenied(
                f"cluster {job.cluster!r} runs jobs of other namespaces too, so its whole log "
                f"is not shown; read the lines of job {job.id} (scope=job)"
            )
        own = _job_scoped(cluster, job, log_scope, kind)
        lines = JobLines([job.id, job.flink_job_id or ""]) if own else None
        if job.is_terminal and (kept := self._archive.read(job.id, kind)) is not None:
            if lines is not None:
                kept = [_filtered(f, lines) for f in kept]
            files, source = kept, "archive"
        elif cluster is None:
            raise NotFound(
                f"the logs of job {job_id} are gone: its cluster {job.cluster!r} no longer "
                "exists and the deployment did not keep the logs of ended jobs",
                code=ErrorCode.JOB_LOG_NOT_FOUND,
            )
        else:
            window = self._window(job, from_start=False)
            if lines is not None:
                window = dataclasses.replace(window, keep=lines.filter)
            files, source = self._read(cluster, kind, window), "cluster"
            if shared and kind is LogKind.STDOUT:
                files = _own_files(files, job, cluster, stamped=False)
        note = _note(job, job.cluster, kind, lines, shared=shared)
        masked = self._masked(job, files)
        return JobLog(job.id, kind, source, masked, log_scope, note, cluster_log=not shared)

    def latest_start_log(self, scope: Scope, deployment_id: str) -> str:
        """The JobManager log of the deployment's newest job, from its start on."""
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            deployment = repos.read_deployment(
                workspace=scope.workspace, namespace=scope.namespace, deployment_id=deployment_id
            )
            if deployment is None:
                raise NotFound(
                    f"deployment {deployment_id!r} not found in namespace {scope.namespace!r}",
                    code=ErrorCode.DEPLOYMENT_NOT_FOUND,
                )
            jobs, _ = repos.read_jobs(
                workspace=scope.workspace,
                namespace=scope.namespace,
                deployment_id=deployment_id,
                page=Page(offset=0, limit=1),
            )
            if not jobs:
                raise NotFound(
                    f"deployment {deployment.name!r} has never been started",
                    code=ErrorCode.JOB_NOT_FOUND,
                )
            job = jobs[0]
            cluster = repos.read_cluster(workspace=job.workspace, name=job.cluster)
            shared = cluster is not None and _shared(repos, cluster, job)
        if job.is_terminal and (kept := self._archive.read(job.id, LogKind.JOBMANAGER)):
            return self._masked(job, kept[:1])[0].text
        if cluster is None:
            raise NotFound(
                f"the start log of job {job.id} is gone with its cluster {job.cluster!r}",
                code=ErrorCode.JOB_LOG_NOT_FOUND,
            )
        window = self._window(job, from_start=True)
        files = [self._logs.jobmanager_log(cluster, window)]
        if shared:
            files = _own_files(files, job, cluster, stamped=True)
        return self._masked(job, files)[0].text

    def archive_job(self, job: Job) -> bool:
        """Keep an ended job's logs if its ``logReservePolicy`` says so; True if kept.
        Called when the job reached a terminal status (reconciler) or by ``sweep``."""
        keep = retention(job.logging)
        if keep is None or not job.is_terminal:
            return False
        with self._store.transaction() as repos:
            cluster = repos.read_cluster(workspace=job.workspace, name=job.cluster)
            shared = cluster is not None and _shared(repos, cluster, job)
        if cluster is None:
            return False
        window = self._window(job, from_start=False)
        logs = {kind: self._read(cluster, kind, window) for kind in LogKind}
        if shared:
            logs = {
                kind: _own_files(files, job, cluster, stamped=kind is not LogKind.STDOUT)
                for kind, files in logs.items()
            }
        logs = {kind: self._masked(job, files) for kind, files in logs.items()}
        now = self._clock()
        self._archive.save(ArchiveEntry(job.id, now, now + keep), logs)
        return True

    def sweep(self) -> SweepReport:
        """Delete expired kept logs, and keep the logs of jobs that ended since the
        previous sweep (for when the reconciler did not call ``archive_job``)."""
        now = self._clock()
        deleted = []
        for entry in self._archive.entries():
            if is_expired(entry, now):
                self._archive.delete(entry.job_id)
                deleted.append(entry.job_id)
        with self._store.transaction() as repos:
            live = {job.id for job in repos.read_active_jobs()}
            ended = [
                job
                for job_id in sorted(self._live - live)
                if (job := repos.read_job(job_id=job_id)) is not None and job.is_terminal
            ]
        self._live = live
        kept = {entry.job_id for entry in self._archive.entries()}
        archived = []
        for job in ended:
            if job.id in kept:
                continue
            try:
                if self.archive_job(job):
                    archived.append(job.id)
            except MillstreamError as exc:  # the cluster may be gone; keep sweeping
                _log.warning("could not keep the logs of job %s: %s", job.id, exc)
        return SweepReport(archived=tuple(archived), deleted=tuple(deleted))

    def _window(self, job: Job, *, from_start: bool) -> LogWindow:
        started = job.created_at or job.start_time
        return LogWindow(
            since=started - _SLACK if started else None,
            until=job.end_time + _SLACK if job.end_time and job.is_terminal else None,
            max_bytes=self._max_bytes,
            from_start=from_start,
        )

    def _masked(self, job: Job, files: Sequence[LogFile]) -> list[LogFile]:
        """``files`` with the namespace's Encrypted variable values masked."""
        if self._variables is None:
            return list(files)
        secrets = self._variables.resolve(Scope(job.workspace, job.namespace)).secret_values()
        if not secrets:
            return list(files)
        return [dataclasses.replace(f, text=mask_secrets(f.text, secrets)) for f in files]

    def _read(self, cluster: Cluster, kind: LogKind, window: LogWindow) -> list[LogFile]:
        if kind is LogKind.JOBMANAGER:
            return [self._logs.jobmanager_log(cluster, window)]
        if kind is LogKind.TASKMANAGER:
            return self._logs.taskmanager_logs(cluster, window)
        return self._logs.stdout(cluster, window)


def _job_scoped(cluster: Cluster | None, job: Job, log_scope: LogScope, kind: LogKind) -> bool:
    """Whether to keep only the job's records: asked for, the log has stamped records
    (stdout has none) and the cluster is not the job's own (then its whole log is)."""
    if log_scope is not LogScope.JOB or kind is LogKind.STDOUT:
        return False
    if cluster is None:
        return True
    own_cluster = cluster.kind is ClusterKind.DEDICATED or cluster.job_id == job.id
    return not own_cluster


def _filtered(log: LogFile, lines: JobLines) -> LogFile:
    text = "".join(lines.filter(log.text.splitlines(keepends=True)))
    return dataclasses.replace(log, text=text)


def _note(
    job: Job, cluster_name: str, kind: LogKind, lines: JobLines | None, *, shared: bool
) -> str | None:
    if lines is not None:
        if not lines.dropped:
            return None
        flink = f" (Flink job {job.flink_job_id})" if job.flink_job_id else ""
        return (
            f"Only the lines of job {job.id}{flink} and its tasks are shown; cluster "
            f"{cluster_name!r} runs other jobs too."
        )
    if kind is LogKind.STDOUT and not shared:  # shared: the text says what was dropped
        return (
            f"stdout of cluster {cluster_name!r}: Flink does not mark which job printed a "
            "line, so it may hold other jobs' output."
        )
    return None


def _shared(repos: Repositories, cluster: Cluster, job: Job) -> bool:
    """Whether other namespaces' jobs may write to ``cluster``'s logs."""
    if cluster.namespace is not None or cluster.kind is ClusterKind.DEDICATED:
        return False
    if cluster.job_id is not None and cluster.job_id == job.id:
        return False
    return len(repos.read_namespaces()) > 1


def _own_files(
    files: Sequence[LogFile], job: Job, cluster: Cluster, *, stamped: bool
) -> list[LogFile]:
    ids = [job.id, job.flink_job_id or ""]
    found = []
    for log in files:
        text, dropped = own_records(log.text, ids, stamped=stamped)
        if dropped:
            text = (
                f"[Millstream: cluster {cluster.name!r} is shared by several namespaces; only "
                f"the lines naming job {job.id} are shown. Run the deployment on a session "
                "cluster of its own namespace to see its whole log.]\n" + text
            )
        found.append(dataclasses.replace(log, text=text))
    return found


def _read_job(repos: Repositories, scope: Scope, job_id: str) -> Job:
    require_namespace(repos, scope)
    job = repos.read_job(job_id=job_id)
    if job is None or (job.workspace, job.namespace) != (scope.workspace, scope.namespace):
        raise NotFound(
            f"job {job_id!r} not found in namespace {scope.namespace!r}",
            code=ErrorCode.JOB_NOT_FOUND,
        )
    return job
