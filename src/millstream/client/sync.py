"""``MillstreamClient``: the blocking client of the native API (httpx.Client).

Used by the CLI and by scripts. Every method is one ``Operation`` from ``operations.py``
sent through ``_call``; the async twin in ``asynchronous.py`` has the same methods.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from millstream.client import alerts as alert_ops
from millstream.client import health as health_ops
from millstream.client import insights as insight_ops
from millstream.client import operations as ops
from millstream.client import savepoint_schedules as schedules
from millstream.client import sql as sql_ops
from millstream.client import udfs as udf_ops
from millstream.client import uploads, waiting
from millstream.client.config import ClientConfig
from millstream.client.development import DevelopmentMethods
from millstream.client.errors import map_transport_errors
from millstream.client.insight_models import (
    JobCheckpoints,
    JobConfiguration,
    JobExceptions,
    JobGraphInsight,
    JobLoad,
    JobTaskManagers,
    JobVertexMetrics,
    MetricSeries,
)
from millstream.client.models import (
    AccessKey,
    ArtifactRef,
    Deployment,
    EngineVersions,
    Event,
    HotUpdateResult,
    Job,
    JobDiagnosis,
    JobLog,
    Page,
    Queue,
    RestoreStrategy,
    Savepoint,
    SqlValidation,
    StopStrategy,
    Variable,
)

__all__ = ["MillstreamClient"]

T = TypeVar("T")


class MillstreamClient(DevelopmentMethods):
    """Blocking client; ``transport`` lets tests answer with ``httpx.MockTransport``."""

    def __init__(
        self,
        config: ClientConfig | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.config = config or ClientConfig.load()
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(transport=transport, timeout=self.config.timeout)

    def __enter__(self) -> MillstreamClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections (also done on leaving a ``with`` block)."""
        if self._owns_http:
            self._http.close()

    @property
    def namespace(self) -> str:
        """The namespace every call works in (from the config)."""
        return self.config.namespace

    def _call(self, op: ops.Operation[T]) -> T:
        request = ops.build_request(self._http, self.config, op)
        with map_transport_errors(self.config.url):
            response = self._http.send(request)
        return ops.read_response(op, response)

    # ------------------------------------------------------------------ deployments

    def create_deployment(self, deployment: Deployment) -> Deployment:
        """Create a deployment; the answer carries its ``deployment_id``."""
        return self._call(ops.create_deployment(self.namespace, deployment))

    def get_deployment(self, deployment_id: str) -> Deployment:
        """One deployment by id (``NotFoundError`` if there is none)."""
        return self._call(ops.get_deployment(self.namespace, deployment_id))

    def get_deployment_by_name(self, name: str) -> Deployment:
        """One deployment by name (``NotFoundError`` if there is none)."""
        return self._call(ops.get_deployment_by_name(self.namespace, name))

    def list_deployments(
        self, *, name: str | None = None, page_index: int = 1, page_size: int = 100
    ) -> Page[Deployment]:
        """One page of the namespace's deployments (only those named ``name`` if
        given), each with its ``job_summary``: job counts per state."""
        op = ops.list_deployments(
            self.namespace, name=name, page_index=page_index, page_size=page_size
        )
        return self._call(op)

    def update_deployment(self, deployment_id: str, deployment: Deployment) -> Deployment:
        """Replace a deployment's spec; a stale ``resource_version`` is a
        ``ConflictError``."""
        return self._call(ops.update_deployment(self.namespace, deployment_id, deployment))

    def delete_deployment(self, deployment_id: str) -> None:
        """Delete a deployment (``ConflictError`` while it has a live job)."""
        self._call(ops.delete_deployment(self.namespace, deployment_id))

    def validate_sql(
        self, statement: str, *, engine_version: str | None = None, batch: bool = False
    ) -> SqlValidation:
        """Flink's verdict on a SQL script: check ``.valid``, and ``.error_details``
        (``line``, ``column``, ``message``) when it is not."""
        op = ops.validate_sql(self.namespace, statement, engine_version=engine_version, batch=batch)
        return self._call(op)

    # ------------------------------------------------------------------ jobs

    def start_job(
        self,
        deployment_id: str,
        *,
        restore: RestoreStrategy | None = None,
        local_variables: Mapping[str, str] | None = None,
        client_token: str | None = None,
        queue: str | None = None,
    ) -> Job:
        """Start the deployment's next job. A retry that sends the same ``client_token``
        gets the job the first call created (never a second one); ``queue`` admits this
        job through that queue instead of the deployment's."""
        op = ops.start_job(
            self.namespace,
            deployment_id,
            restore=restore,
            local_variables=local_variables,
            client_token=client_token,
            queue=queue,
        )
        return self._call(op)

    def get_job(self, job_id: str) -> Job:
        """One job by id."""
        return self._call(ops.get_job(self.namespace, job_id))

    def list_jobs(self, deployment_id: str, page_index: int = 1, page_size: int = 100) -> Page[Job]:
        """One page of a deployment's jobs, newest first. The deployment is required:
        the native API (ListJobs) lists jobs per deployment only; for the whole namespace,
        list the deployments and read their ``job_summary``."""
        op = ops.list_jobs(
            self.namespace, deployment_id, page_index=page_index, page_size=page_size
        )
        return self._call(op)

    def stop_job(
        self, job_id: str, strategy: StopStrategy | str = StopStrategy.STOP_WITH_SAVEPOINT
    ) -> Job:
        """Stop a job: with a savepoint (default), draining first, or cancelled (``NONE``).
        A string is accepted in any case; an unknown one is a ``ValueError``."""
        chosen = StopStrategy.parse(strategy)
        return self._call(ops.stop_job(self.namespace, job_id, chosen.value))

    def suspend_job(self, job_id: str) -> Job:
        """Stop the job with a savepoint and keep it SUSPENDED (``resume_job`` runs it again)."""
        return self._call(ops.suspend_job(self.namespace, job_id))

    def resume_job(self, job_id: str) -> Job:
        """Run a SUSPENDED job again (same job id) from its suspend savepoint."""
        return self._call(ops.resume_job(self.namespace, job_id))

    def delete_job(self, job_id: str) -> None:
        """Delete an ended job's record."""
        self._call(ops.delete_job(self.namespace, job_id))

    def get_latest_job_start_log(self, deployment_id: str) -> str:
        """The log of the deployment's latest job start (submission output)."""
        return self._call(ops.get_latest_job_start_log(self.namespace, deployment_id))

    def get_job_logs(self, job_id: str, kind: str = "jobmanager", scope: str = "job") -> JobLog:
        """The job's ``jobmanager``, ``taskmanager`` or ``stdout`` log (also once ended):
        the job's lines (``scope="job"``) or its whole cluster's (``"cluster"``)."""
        return self._call(ops.get_job_logs(self.namespace, job_id, kind, scope))

    def hot_update_job(
        self,
        job_id: str,
        *,
        parallelism: int | None = None,
        flink_conf: Mapping[str, Any] | None = None,
    ) -> HotUpdateResult:
        """Rescale or reconfigure a running job (savepoint, then restart); poll the result
        with ``get_hot_update_result`` or ``wait_for_hot_update``. A ``None`` conf value
        removes the key; with neither argument the deployment's settings are applied."""
        op = ops.hot_update_job(
            self.namespace, job_id, parallelism=parallelism, flink_conf=flink_conf
        )
        return self._call(op)

    def get_hot_update_result(self, hot_update_id: str) -> HotUpdateResult:
        """The state of a hot update started by ``hot_update_job``."""
        return self._call(ops.get_hot_update_result(self.namespace, hot_update_id))

    def get_job_diagnosis(self, deployment_id: str, job_id: str) -> JobDiagnosis:
        """Rule-based findings on a job: health score, risk level, symptoms."""
        return self._call(ops.get_job_diagnosis(self.namespace, deployment_id, job_id))

    # ------------------------------------------------------------------ savepoints

    def create_savepoint(
        self,
        deployment_id: str,
        *,
        description: str | None = None,
        native_format: bool | None = None,
    ) -> Savepoint:
        """Trigger a savepoint of the deployment's running job (``wait_for_savepoint``
        waits for it)."""
        op = ops.create_savepoint(
            self.namespace, deployment_id, description=description, native_format=native_format
        )
        return self._call(op)

    def get_savepoint(self, savepoint_id: str) -> Savepoint:
        """One savepoint by id."""
        return self._call(ops.get_savepoint(self.namespace, savepoint_id))

    def list_savepoints(
        self,
        *,
        deployment_id: str | None = None,
        job_id: str | None = None,
        page_index: int = 1,
        page_size: int = 100,
    ) -> Page[Savepoint]:
        """One page of savepoints, of one deployment or job if given."""
        op = ops.list_savepoints(
            self.namespace,
            deployment_id=deployment_id,
            job_id=job_id,
            page_index=page_index,
            page_size=page_size,
        )
        return self._call(op)

    def delete_savepoint(self, savepoint_id: str) -> None:
        """Delete a savepoint's record and its files."""
        self._call(ops.delete_savepoint(self.namespace, savepoint_id))

    def get_savepoint_schedule(self, deployment_id: str) -> dict[str, Any]:
        """The deployment's periodic-savepoint schedule (a Millstream extension)."""
        return self._call(schedules.get_savepoint_schedule(self.namespace, deployment_id))

    def put_savepoint_schedule(
        self, deployment_id: str, schedule: dict[str, Any]
    ) -> dict[str, Any]:
        """Set (replace) the deployment's periodic-savepoint schedule."""
        op = schedules.put_savepoint_schedule(self.namespace, deployment_id, schedule)
        return self._call(op)

    def delete_savepoint_schedule(self, deployment_id: str) -> None:
        """Turn the deployment's periodic savepoints off (its savepoints stay)."""
        self._call(schedules.delete_savepoint_schedule(self.namespace, deployment_id))

    def get_deployment_health(self, deployment_id: str) -> dict[str, Any]:
        """The deployment's health and policy (a Millstream extension)."""
        return self._call(health_ops.get_deployment_health(self.namespace, deployment_id))

    def put_health_policy(self, deployment_id: str, policy: dict[str, Any]) -> dict[str, Any]:
        """Set (replace) the deployment's health policy."""
        return self._call(health_ops.put_health_policy(self.namespace, deployment_id, policy))

    def delete_health_policy(self, deployment_id: str) -> None:
        """Stop checking the deployment's health."""
        self._call(health_ops.delete_health_policy(self.namespace, deployment_id))

    # ------------------------------------------------------------------ job insights

    def job_graph(self, job_id: str) -> JobGraphInsight:
        """The job's graph from Flink: vertices (parallelism, chained operators, busy and
        backpressure ratios) and edges (ship strategy). ``.live`` is False, with a
        ``.note``, when Flink has no live data for the job."""
        return self._call(insight_ops.job_graph(self.namespace, job_id))

    def job_vertex_metrics(self, job_id: str) -> JobVertexMetrics:
        """Each vertex's records and bytes in/out per second, busy / idle /
        back-pressured ms per second and input watermark (epoch ms)."""
        return self._call(insight_ops.job_vertex_metrics(self.namespace, job_id))

    def job_checkpoints(self, job_id: str) -> JobCheckpoints:
        """Checkpoint counts, durations, sizes, the last completed and failed ones, what
        the run restored from, and the recent history."""
        return self._call(insight_ops.job_checkpoints(self.namespace, job_id))

    def job_exceptions(self, job_id: str, *, limit: int = 50) -> JobExceptions:
        """Every failure Flink keeps of the job (newest first, at most ``limit``, up to
        200) with its time, root cause, task and TaskManager."""
        return self._call(insight_ops.job_exceptions(self.namespace, job_id, limit=limit))

    def job_configuration(self, job_id: str) -> JobConfiguration:
        """The job's effective Flink configuration (``.get(key)``); each entry's
        ``source`` is JOB, CLUSTER or DEPLOYMENT (kept, when Flink forgot the job)."""
        return self._call(insight_ops.job_configuration(self.namespace, job_id))

    def job_taskmanagers(self, job_id: str) -> JobTaskManagers:
        """The TaskManagers and slots of the job's cluster with CPU and memory use."""
        return self._call(insight_ops.job_taskmanagers(self.namespace, job_id))

    def job_metric_history(
        self,
        job_id: str,
        metric: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        step_seconds: int | None = None,
    ) -> MetricSeries:
        """A series Millstream kept of the job (also after it ended): ``metric`` is one
        of ``insight_models.METRICS`` (``recordsInPerSecond``, ``checkpointDurationMs``,
        ``restarts``...); no ``start``: the whole retention period; ``step_seconds``
        averages per step."""
        op = insight_ops.job_metric_history(
            self.namespace,
            job_id,
            metric,
            start_ms=_epoch_ms(start),
            end_ms=_epoch_ms(end),
            step_seconds=step_seconds,
        )
        return self._call(op)

    def job_loads(self) -> list[JobLoad]:
        """The namespace's running jobs with records in/out per second, the highest
        backpressure, the busiest vertex and restarts (what ``millstream top`` shows)."""
        return self._call(insight_ops.job_loads(self.namespace))

    # ------------------------------------------------------------------ UDFs, connectors

    def create_udf_artifact(
        self, name: str, jar_url: str, dependencies: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Register an uploaded jar of function classes (``createSuccess`` false: its
        classes collide with another artifact's, ``collidingClasses``)."""
        return self._call(udf_ops.create_udf_artifact(self.namespace, name, jar_url, dependencies))

    def udf_artifacts(self, name: str | None = None) -> list[dict[str, Any]]:
        """The namespace's UDF artifacts with their classes and function names."""
        return self._call(udf_ops.get_udf_artifacts(self.namespace, name))

    def delete_udf_artifact(self, name: str) -> dict[str, Any]:
        """Delete a UDF artifact and its functions (refused while a live job uses them)."""
        return self._call(udf_ops.delete_udf_artifact(self.namespace, name))

    def register_udf_function(
        self, artifact: str, class_name: str, function_name: str | None = None
    ) -> dict[str, Any]:
        """Make ``class_name`` of an artifact callable in the namespace's SQL as
        ``function_name`` (default: the class's simple name in snake case)."""
        op = udf_ops.register_udf_function(self.namespace, artifact, class_name, function_name)
        return self._call(op)

    def delete_udf_function(self, name: str) -> None:
        """Unregister a function (refused while a live job calls it)."""
        self._call(udf_ops.delete_udf_function(self.namespace, name))

    def register_custom_connector(self, jar_url: str) -> list[dict[str, Any]]:
        """Register every table factory of an uploaded connector jar."""
        return self._call(udf_ops.register_custom_connector(self.namespace, jar_url))

    def custom_connectors(self) -> list[dict[str, Any]]:
        """The namespace's custom connectors with their identifiers and options."""
        return self._call(udf_ops.list_custom_connectors(self.namespace))

    def delete_custom_connector(self, name: str) -> None:
        """Unregister a connector (refused while a live job uses it)."""
        self._call(udf_ops.delete_custom_connector(self.namespace, name))

    # ------------------------------------------------------------------ SQL catalog

    def execute_sql_statement(self, statement: str) -> dict[str, Any]:
        """Run one DDL statement against the namespace's persistent catalog (vvp)."""
        return self._call(sql_ops.execute_sql_statement(self.namespace, statement))

    def catalogs(self) -> list[dict[str, Any]]:
        """The namespace's catalogs (``vvp`` and Flink's ``default_catalog``)."""
        return self._call(sql_ops.get_catalogs(self.namespace))

    def databases(self, catalog: str = "vvp") -> list[dict[str, Any]]:
        """The databases of a catalog of the namespace."""
        return self._call(sql_ops.get_databases(self.namespace, catalog))

    def tables(
        self, catalog: str = "vvp", database: str = "default", table: str | None = None
    ) -> list[dict[str, Any]]:
        """Tables and views with their schema; ``metadata.ddl`` is each one's DDL."""
        return self._call(sql_ops.get_tables(self.namespace, catalog, database, table))

    def submit_sql_preview(
        self,
        statement: str,
        *,
        max_rows: int | None = None,
        timeout: float | None = None,
        cluster: str | None = None,
    ) -> dict[str, Any]:
        """Start a query with a row and time budget; answers its ``queryId`` and columns."""
        op = sql_ops.submit_sql_preview(
            self.namespace, statement, max_rows=max_rows, timeout=timeout, cluster=cluster
        )
        return self._call(op)

    def fetch_sql_preview_results(self, query_id: str) -> dict[str, Any]:
        """The rows not fetched before; ``resultType`` EOS once the query ended."""
        return self._call(sql_ops.fetch_sql_preview_results(self.namespace, query_id))

    def cancel_sql_preview(self, query_id: str) -> None:
        """Stop a preview and cancel its Flink job."""
        self._call(sql_ops.cancel_sql_preview(self.namespace, query_id))

    # ------------------------------------------------------------------ alerts

    def create_alert_rule(self, rule: dict[str, Any]) -> dict[str, Any]:
        """Create an alert rule (a Millstream extension; the wire dict of the native API)."""
        return self._call(alert_ops.create_alert_rule(self.namespace, rule))

    def list_alert_rules(self) -> list[dict[str, Any]]:
        """The namespace's alert rules."""
        return self._call(alert_ops.list_alert_rules(self.namespace))

    def delete_alert_rule(self, name: str) -> None:
        """Delete an alert rule, its alerts and its undelivered notifications."""
        self._call(alert_ops.delete_alert_rule(self.namespace, name))

    def list_alerts(self, *, include_pending: bool = False) -> list[dict[str, Any]]:
        """The namespace's firing alerts (and pending ones if asked)."""
        return self._call(alert_ops.list_alerts(self.namespace, include_pending=include_pending))

    # ------------------------------------------------------------------ artifacts

    def upload_artifact(self, path: Path, name: str | None = None) -> ArtifactRef:
        """Upload a local file (as ``name``, default its file name) through a pre-signed
        URL, streamed; the answer's ``uri`` is what a deployment references.

        Raises ``OSError`` when the file cannot be read.
        """
        size = path.stat().st_size
        presigned = self._call(ops.get_pre_signed_url(self.namespace, name or path.name))
        url = uploads.target_url(self.config, presigned)
        chunks = uploads.file_chunks(path)
        request = uploads.build_upload_request(self._http, url, chunks, size)
        with map_transport_errors(self.config.url):
            response = self._http.send(request)
        stored = ops.read_response(ops.put_pre_signed(), response)
        return stored if stored.uri else stored.model_copy(update={"uri": presigned.jar_url})

    def list_artifacts(self) -> list[ArtifactRef]:
        """The namespace's uploaded JARs and Python files."""
        return self._call(ops.list_artifacts(self.namespace))

    def delete_artifact(self, name: str) -> None:
        """Delete an uploaded artifact by name."""
        self._call(ops.delete_artifact(self.namespace, name))

    # ------------------------------------------------------------------ variables

    def create_variable(
        self,
        name: str,
        value: str,
        kind: str = "Plain",
        description: str | None = None,
    ) -> Variable:
        """A new namespace variable; ``kind`` ``Plain`` or ``Encrypted`` (then masked)."""
        variable = Variable(name=name, value=value, kind=kind, description=description)
        return self._call(ops.create_variable(self.namespace, variable))

    def list_variables(self, *, page_index: int = 1, page_size: int = 100) -> Page[Variable]:
        """One page of namespace variables (encrypted values are masked)."""
        op = ops.list_variables(self.namespace, page_index=page_index, page_size=page_size)
        return self._call(op)

    def update_variable(
        self,
        name: str,
        *,
        value: str | None = None,
        kind: str | None = None,
        description: str | None = None,
    ) -> Variable:
        """Change what is given; changing ``kind`` needs a ``value`` too."""
        variable = Variable(value=value, kind=kind, description=description)
        return self._call(ops.update_variable(self.namespace, name, variable))

    def delete_variable(self, name: str) -> None:
        """Delete a namespace variable."""
        self._call(ops.delete_variable(self.namespace, name))

    # ------------------------------------------------------------------ queues

    def list_queues(self) -> list[Queue]:
        """Every queue with its use (used / waiting / free CU and the waiting jobs)."""
        return self._call(ops.list_queues())

    def get_queue(self, name: str) -> Queue:
        """One queue by name, with its usage."""
        return self._call(ops.get_queue(name))

    def create_queue(self, queue: Queue) -> Queue:
        """Needs at least ``name`` and ``capacity_cu``; the cluster defaults to ``default``."""
        return self._call(ops.create_queue(queue))

    def update_queue(self, name: str, queue: Queue) -> Queue:
        """Change what is set; a capacity change applies at the next admission."""
        return self._call(ops.update_queue(name, queue))

    def delete_queue(self, name: str) -> None:
        """Refused (409) while live jobs use or wait on the queue."""
        self._call(ops.delete_queue(name))

    # ------------------------------------------------------------------ the rest

    def get_events(
        self, *, deployment_id: str | None = None, page_index: int = 1, page_size: int = 100
    ) -> Page[Event]:
        """One page of events of the namespace, or of one deployment, newest first."""
        op = ops.get_events(
            self.namespace, deployment_id=deployment_id, page_index=page_index, page_size=page_size
        )
        return self._call(op)

    def list_engine_versions(self) -> EngineVersions:
        """The engine versions the server offers; ``default_engine_version`` marks
        the default."""
        return self._call(ops.list_engine_versions())

    def create_key(self, *, user: str | None = None, create_user: bool = False) -> AccessKey:
        """A new key (for ``user``, created too if ``create_user``); its secret is in it."""
        return self._call(ops.create_key(user=user, create_user=create_user))

    def list_keys(self) -> list[AccessKey]:
        """Access keys (an admin sees all; others their own)."""
        return self._call(ops.list_keys())

    def disable_key(self, access_key_id: str) -> AccessKey:
        """Disable an access key (it can be enabled again)."""
        return self._call(ops.disable_key(access_key_id))

    def enable_key(self, access_key_id: str) -> AccessKey:
        """Enable a disabled access key."""
        return self._call(ops.enable_key(access_key_id))

    def revoke_key(self, access_key_id: str) -> None:
        """Delete an access key for good."""
        self._call(ops.revoke_key(access_key_id))

    def health(self) -> dict[str, Any]:
        """``GET /healthz``; raises ``TransportError`` when the server is down."""
        return self._call(ops.health())

    def server_status(self) -> dict[str, Any]:
        """``GET /api/millstream/v1/status`` (``NotFoundError`` on servers without it)."""
        return self._call(ops.server_status())

    # ------------------------------------------------------------------ waiting

    def wait_for_job(
        self,
        job_id: str,
        statuses: str | Iterable[str] = "RUNNING",
        timeout: float = 300.0,
        poll: float = 1.0,
        *,
        on_status: waiting.StatusCallback | None = None,
    ) -> Job:
        """Poll until the job is in one of ``statuses``; ``WaitTimeoutError`` otherwise."""
        wanted = waiting.wanted_set(statuses)
        deadline = time.monotonic() + timeout
        last: str | None = None
        while True:
            job = self.get_job(job_id)
            last = job.state
            if on_status is not None:
                on_status(last)
            if waiting.job_reached(job, wanted):
                return job
            if time.monotonic() >= deadline:
                raise waiting.timeout_error(f"job {job_id}", wanted, last)
            time.sleep(poll)

    def wait_for_savepoint(
        self,
        savepoint_id: str,
        states: str | Iterable[str] = "COMPLETED",
        timeout: float = 300.0,
        poll: float = 1.0,
        *,
        on_status: waiting.StatusCallback | None = None,
    ) -> Savepoint:
        """Poll until the savepoint is in one of ``states``; ``WaitTimeoutError`` otherwise."""
        wanted = waiting.wanted_set(states)
        deadline = time.monotonic() + timeout
        while True:
            savepoint = self.get_savepoint(savepoint_id)
            if on_status is not None:
                on_status(savepoint.state)
            if waiting.savepoint_reached(savepoint, wanted):
                return savepoint
            if time.monotonic() >= deadline:
                raise waiting.timeout_error(f"savepoint {savepoint_id}", wanted, savepoint.state)
            time.sleep(poll)

    def wait_for_hot_update(
        self,
        hot_update_id: str,
        timeout: float = 300.0,
        poll: float = 1.0,
        *,
        on_status: waiting.StatusCallback | None = None,
    ) -> HotUpdateResult:
        """Poll until the hot update is ``HOT_UPDATED``; ``UnexpectedStatusError`` when it
        failed, ``WaitTimeoutError`` when not done in time."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.get_hot_update_result(hot_update_id)
            progress = waiting.hot_update_progress(result)
            if on_status is not None:
                on_status(progress)
            if waiting.hot_update_reached(result):
                return result
            if time.monotonic() >= deadline:
                raise waiting.timeout_error(
                    f"hot update {hot_update_id}", frozenset({waiting.HOT_UPDATED}), progress
                )
            time.sleep(poll)


def _epoch_ms(moment: datetime | None) -> int | None:
    """Epoch milliseconds of ``moment`` (naive: taken as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
