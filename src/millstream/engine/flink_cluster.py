"""``RestFlinkCluster``: the ``FlinkCluster`` port over any Flink session cluster's REST API.

The reconciler calls it: one ``list_jobs`` per cluster per tick, then the actions.
Programs run as jars (``submitters.py``): each jar is uploaded once per cluster, found
again by name after our restart, and re-uploaded when the cluster lost it (a JobManager
restart without a persistent upload dir). A JAR job's dependency files are placed in the
working directory of a cluster Millstream runs while it is submitted (``user_data.py``).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from millstream.control.ports import JobDetails, ObservedJob, SavepointProgress, Submission
from millstream.domain.artifacts import ArtifactKind, ExecutionMode
from millstream.domain.errors import (
    EnginePermanentError,
    EngineUnavailable,
    ErrorCode,
    InvalidArtifact,
    InvalidInput,
    InvalidSql,
)
from millstream.domain.jobs import Failure
from millstream.engine.api_removals import missing_flink_class_hint
from millstream.engine.job_states import observed_state
from millstream.engine.rest import (
    FlinkNotFound,
    FlinkRequestRejected,
    FlinkRestClient,
    FlinkServerError,
    JarRunRequest,
    summarize_errors,
)
from millstream.engine.submitters import JarRun, SqlSubmitter, Submitter, sql_error
from millstream.engine.user_data import CACHED_FILES_KEY, UserDataDirectory, cached_files

__all__ = ["RestFlinkCluster"]

_T = TypeVar("_T")
_VERSION_TTL = 30.0  # seconds a cluster's reported Flink version is trusted


class RestFlinkCluster:
    """One Flink cluster reached at ``rest_url``; safe to share between threads."""

    def __init__(
        self,
        rest: FlinkRestClient,
        *,
        sql: SqlSubmitter,
        submitters: Mapping[ArtifactKind, Submitter] | None = None,
        user_data: UserDataDirectory | None = None,
        sql_for: Callable[[str], SqlSubmitter | None] | None = None,
        pyflink_version: str | None = None,
    ) -> None:
        self._rest = rest
        self._sql = sql
        # Per runtime (FlinkEngine): the SQL runner compiled against the lib/ of the Flink
        # version this cluster reports; ``sql`` when no such runtime is installed here.
        self._sql_for = sql_for
        # The Flink version whose PyFlink runs Python programs (None: not checked).
        self._pyflink_version = pyflink_version
        self._version: tuple[str, float] | None = None
        # The working directory of the cluster's processes, when Millstream runs them.
        self._user_data = user_data
        self._submitters: dict[ArtifactKind, Submitter] = {ArtifactKind.SQLSCRIPT: sql}
        self._submitters.update(submitters or {})
        self._jar_ids: dict[str, str] = {}  # jar file name -> Flink jar id
        # The last ``list_jobs`` answer: JobID -> (the row's fields, what they gave).
        self._rows: dict[str, tuple[tuple[Any, ...], ObservedJob]] = {}
        self._upload_lock = threading.Lock()

    @property
    def rest_url(self) -> str:
        return self._rest.base_url

    def close(self) -> None:
        self._rest.close()

    # ------------------------------------------------------------------ observe

    def list_jobs(self) -> list[ObservedJob]:
        """Every row of ``/jobs/overview``. A row whose fields are as in the previous
        answer gives the same ``ObservedJob`` as then: at scale nearly every row, every
        tick, so the rows are not converted again (the reconciler's tick reads this)."""
        before = self._rows
        seen: dict[str, tuple[tuple[Any, ...], ObservedJob]] = {}
        jobs: list[ObservedJob] = []
        for row in self._rest.jobs_overview():
            key = _row_key(row)
            known = before.get(row["jid"])
            if known is None or known[0] != key:
                known = (key, _observed(row))
            seen[row["jid"]] = known
            jobs.append(known[1])
        self._rows = seen  # one assignment: a concurrent caller sees either answer
        return jobs

    def job_details(self, flink_job_id: str) -> JobDetails:
        """Restarts, the newest failure and checkpoint paths (3 small requests)."""
        return JobDetails(
            restarts=self._restarts(flink_job_id),
            root_failure=self._root_failure(flink_job_id),
            **self._checkpoint_paths(flink_job_id),
        )

    def jobmanager_log(self) -> str:
        return self._rest.jobmanager_log()

    # ------------------------------------------------------------------ act

    def submit(self, submission: Submission) -> None:
        """Run the job under ``submission.flink_job_id``; a JobID Flink already has
        (a retried submission) counts as submitted."""
        submitter = self._submitters.get(submission.artifact.kind)
        if submission.artifact.kind is ArtifactKind.SQLSCRIPT:
            submitter = self._sql_submitter()
        elif submission.artifact.kind is ArtifactKind.PYTHON:
            self._check_pyflink()
        if submitter is None:
            raise InvalidArtifact(
                f"{submission.artifact.kind.value} deployments are not supported yet"
            )
        run = submitter.prepare(submission)
        request = _run_request(run, submission.flink_conf, submission.execution_mode)
        request["jobId"] = submission.flink_job_id
        request["parallelism"] = submission.parallelism
        request["flinkConfiguration"]["parallelism.default"] = str(submission.parallelism)
        request["flinkConfiguration"].setdefault("pipeline.name", submission.job_name)
        if submission.savepoint_path:
            request["savepointPath"] = submission.savepoint_path
            request["allowNonRestoredState"] = submission.allow_non_restored_state
        try:
            with self._user_files_placed(run, submission.flink_job_id) as placed:
                if placed:
                    conf = request["flinkConfiguration"]
                    conf[CACHED_FILES_KEY] = cached_files(placed, conf.get(CACHED_FILES_KEY))
                self._with_jar(run, lambda jar_id: self._rest.run_jar(jar_id, request))
        except (FlinkServerError, FlinkRequestRejected) as exc:
            # Flink never accepts a JobID twice (DuplicateApplicationSubmissionException:
            # a 400 from jars/run in 2.3, a generic 500 elsewhere): if the job exists, this
            # submission already happened. Asking beats parsing the error text.
            if self._job_exists(submission.flink_job_id):
                return
            if isinstance(exc, FlinkRequestRejected) and (error := sql_error(exc.detail)):
                where = f"line {error.line}, column {error.column}"
                message = error.message if where in error.message else f"{where}: {error.message}"
                raise EnginePermanentError(f"invalid SQL: {message}") from exc
            if isinstance(exc, FlinkRequestRejected) and (
                hint := missing_flink_class_hint(exc.detail, self._version_or_empty())
            ):
                raise EnginePermanentError(f"{hint}. Flink said: {exc}") from exc
            raise

    def cancel(self, flink_job_id: str) -> None:
        """Cancel; a job that already ended (Flink answers 409) is not an error."""
        try:
            self._rest.cancel_job(flink_job_id)
        except FlinkRequestRejected as exc:
            if exc.status != 409:
                raise

    def stop_with_savepoint(self, flink_job_id: str, *, target_directory: str, drain: bool) -> str:
        return self._rest.stop_job(flink_job_id, target_directory=target_directory, drain=drain)

    def trigger_savepoint(self, flink_job_id: str, *, target_directory: str) -> str:
        return self._rest.trigger_savepoint(flink_job_id, target_directory=target_directory)

    def savepoint_progress(self, flink_job_id: str, trigger_id: str) -> SavepointProgress:
        answer = self._rest.savepoint_status(flink_job_id, trigger_id)
        if answer.get("status", {}).get("id") != "COMPLETED":
            return SavepointProgress(done=False)
        operation: dict[str, Any] = answer.get("operation") or {}
        if cause := operation.get("failure-cause"):
            trace = str(cause.get("stack-trace") or cause.get("class") or "savepoint failed")
            return SavepointProgress(done=True, failure=summarize_errors([trace]))
        return SavepointProgress(done=True, location=operation.get("location"))

    def validate_sql(
        self,
        script: str,
        *,
        execution_mode: ExecutionMode,
        flink_conf: dict[str, Any],
        sql_preamble: Sequence[str] = (),
        sql_jars: Sequence[str] = (),
    ) -> None:
        """Plan the script in the JobManager without running it; raise ``InvalidSql``
        with Flink's message and positions in ``script``."""
        run = self._sql_submitter().plan(script, execution_mode, sql_preamble, jars=sql_jars)
        request = _run_request(run, flink_conf, execution_mode)
        try:
            self._with_jar(run, lambda jar_id: self._rest.plan_jar(jar_id, request))
        except FlinkRequestRejected as exc:
            raise (sql_error(exc.detail) or InvalidSql(summarize_errors(exc.errors))) from exc

    def plan_sql(
        self,
        script: str,
        *,
        execution_mode: ExecutionMode,
        flink_conf: dict[str, Any],
        sql_preamble: Sequence[str] = (),
        sql_jars: Sequence[str] = (),
    ) -> dict[str, Any]:
        """``validate_sql`` that keeps Flink's answer: the JobGraph plan."""
        run = self._sql_submitter().plan(script, execution_mode, sql_preamble, jars=sql_jars)
        request = _run_request(run, flink_conf, execution_mode)
        try:
            answer = self._with_jar(run, lambda jar_id: self._rest.plan_jar(jar_id, request))
        except FlinkRequestRejected as exc:
            raise (sql_error(exc.detail) or InvalidSql(summarize_errors(exc.errors))) from exc
        plan = answer.get("plan")
        return dict(plan) if isinstance(plan, dict) else {}

    # ------------------------------------------------------------------ runtimes

    def flink_version(self) -> str:
        """The Flink version this cluster reports (``/overview``), cached for a while."""
        now = time.monotonic()
        if self._version is not None and now - self._version[1] < _VERSION_TTL:
            return self._version[0]
        version = str(self._rest.overview().get("flink-version") or "")
        self._version = (version, now)
        return version

    def _version_or_empty(self) -> str:
        try:
            return self.flink_version()
        except EngineUnavailable:
            return ""

    def _sql_submitter(self) -> SqlSubmitter:
        if self._sql_for is None:
            return self._sql
        return self._sql_for(self.flink_version()) or self._sql

    def _check_pyflink(self) -> None:
        if self._pyflink_version is None:
            return
        version = self.flink_version()
        if version and version != self._pyflink_version:
            raise InvalidInput(
                f"Python deployments need PyFlink of the cluster's Flink version: this "
                f"cluster runs Flink {version}, and only Flink {self._pyflink_version} has "
                "PyFlink installed here; choose that engine version for Python deployments",
                code=ErrorCode.INVALID_ENGINE_VERSION,
            )

    # ------------------------------------------------------------------ helpers

    @contextlib.contextmanager
    def _user_files_placed(
        self, run: JarRun, flink_job_id: str
    ) -> Iterator[list[tuple[str, Path]]]:
        """The job's dependency files in the cluster's ``userData/`` (``user_data.py``),
        held while it is submitted; none placed (class path resources only) when the
        cluster's working directory is not ours."""
        if not run.user_files or self._user_data is None or not self._user_data.available:
            yield []
            return

        def live() -> set[str]:
            return {job.flink_job_id for job in self.list_jobs() if not job.state.is_terminal}

        with self._user_data.staged(flink_job_id, run.user_files, live) as placed:
            yield placed

    def _with_jar(self, run: JarRun, call: Callable[[str], _T]) -> _T:
        """Call ``call(jar_id)``; when Flink lost the jar, upload again and retry once."""
        jar_id = self._jar_id(run)
        try:
            result = call(jar_id)
        except (FlinkRequestRejected, FlinkServerError):
            # Flink says "Jar file ... does not exist" with a 500; asking is simpler than
            # parsing that text.
            if self._jar_still_there(jar_id):
                raise
            with self._upload_lock:
                self._jar_ids.pop(run.jar.name, None)
            result = call(self._jar_id(run))
        return result

    def _jar_id(self, run: JarRun) -> str:
        with self._upload_lock:
            if (jar_id := self._jar_ids.get(run.jar.name)) is None:
                # After our own restart the jar may already be there (persistent upload
                # dir): look it up by name before uploading another copy.
                known = {j["name"]: j["id"] for j in self._rest.list_jars()}
                jar_id = known.get(run.jar.name) or self._rest.upload_jar(run.jar)
                self._jar_ids[run.jar.name] = jar_id
            return jar_id

    def _jar_still_there(self, jar_id: str) -> bool:
        return any(j["id"] == jar_id for j in self._rest.list_jars())

    def _job_exists(self, flink_job_id: str) -> bool:
        try:
            self._rest.job(flink_job_id)
        except FlinkNotFound:
            return False
        return True

    def _restarts(self, flink_job_id: str) -> int | None:
        # Flink 2.3's job details carry no restart count; the metric does (None once the
        # job ended and its metrics are gone, or before the first metrics fetch).
        value = self._rest.job_metrics(flink_job_id, ["numRestarts"]).get("numRestarts")
        return int(value) if value is not None else None

    def _root_failure(self, flink_job_id: str) -> Failure | None:
        entries = self._rest.job_exceptions(flink_job_id).get("exceptionHistory", {})
        newest = next(iter(entries.get("entries") or []), None)
        if newest is None:
            return None
        trace = str(newest.get("stacktrace") or "")
        top = trace.strip().splitlines()[0] if trace.strip() else newest["exceptionName"]
        cause = summarize_errors([trace])
        message = top if cause == top else f"{top} (caused by {cause})"
        # The reason names the deepest cause (NumberFormatException), not Flink's wrapper
        # (JobException: Recovery is suppressed...): that is what a user has to fix.
        causes = _CAUSED_BY.findall(trace)
        return Failure(
            message=message,
            reason=causes[-1] if causes else str(newest["exceptionName"]),
            failed_at=datetime.fromtimestamp(int(newest["timestamp"]) / 1000, tz=UTC),
        )

    def _checkpoint_paths(self, flink_job_id: str) -> dict[str, str | None]:
        try:
            latest = self._rest.job_checkpoints(flink_job_id).get("latest") or {}
        except FlinkRequestRejected:
            # Jobs without checkpointing (batch) have no checkpoint statistics.
            return {"latest_checkpoint_path": None, "restored_from_path": None}
        return {
            "latest_checkpoint_path": _external_path(latest.get("completed")),
            "restored_from_path": _external_path(latest.get("restored")),
        }


_CAUSED_BY = re.compile(r"^Caused by: ([\w.$]+)", re.MULTILINE)


def _run_request(run: JarRun, flink_conf: Mapping[str, Any], mode: ExecutionMode) -> JarRunRequest:
    conf = {**run.flink_conf, **{key: _conf_value(value) for key, value in flink_conf.items()}}
    conf["execution.runtime-mode"] = mode.value
    return {
        "entryClass": run.entry_class,
        "programArgsList": list(run.program_args),
        "flinkConfiguration": conf,
    }


def _external_path(checkpoint: dict[str, Any] | None) -> str | None:
    path = (checkpoint or {}).get("external_path")
    # Without a checkpoint directory Flink keeps state in JobManager memory and says so
    # with a placeholder instead of a path.
    return None if not path or str(path).startswith("<") else str(path)


def _conf_value(value: Any) -> str:
    # Flink's configuration map is string -> string; YAML-ish spelling for the rest.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(_conf_value(v) for v in value)
    return str(value)


def _observed(row: dict[str, Any]) -> ObservedJob:
    tasks = row.get("tasks") or {}
    return ObservedJob(
        flink_job_id=str(row["jid"]),
        name=str(row.get("name", "")),
        state=observed_state(str(row["state"])),
        start_time_ms=_time(row.get("start-time")),
        end_time_ms=_time(row.get("end-time")),
        last_modification_ms=_time(row.get("last-modification")),
        tasks_total=int(tasks.get("total", 0)),
        tasks_running=int(tasks.get("running", 0)),
    )


def _row_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """What ``_observed`` reads of a row (not ``duration``, which grows every call)."""
    tasks = row.get("tasks") or {}
    return (
        row.get("state"),
        row.get("last-modification"),
        row.get("start-time"),
        row.get("end-time"),
        row.get("name"),
        tasks.get("total"),
        tasks.get("running"),
    )


def _time(value: Any) -> int | None:
    # Flink sends -1 (or 0) for "not yet".
    return int(value) if isinstance(value, int) and value > 0 else None
