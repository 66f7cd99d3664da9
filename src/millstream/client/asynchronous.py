"""``AsyncMillstreamClient``: the asyncio client of the native API (httpx.AsyncClient).

The same methods as ``MillstreamClient`` in ``sync.py``, built from the same
``operations.py``; only sending and sleeping differ.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from millstream.client import insights as insight_ops
from millstream.client import operations as ops
from millstream.client import savepoint_schedules as schedules
from millstream.client import uploads, waiting
from millstream.client.config import ClientConfig
from millstream.client.development_async import AsyncDevelopmentMethods
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

__all__ = ["AsyncMillstreamClient"]

T = TypeVar("T")


class AsyncMillstreamClient(AsyncDevelopmentMethods):
    """Asyncio client; ``transport`` lets tests answer with ``httpx.MockTransport``."""

    def __init__(
        self,
        config: ClientConfig | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.config = config or ClientConfig.load()
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport, timeout=self.config.timeout
        )

    async def __aenter__(self) -> AsyncMillstreamClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP connections (also done on leaving a ``with`` block)."""
        if self._owns_http:
            await self._http.aclose()

    @property
    def namespace(self) -> str:
        """The namespace every call works in (from the config)."""
        return self.config.namespace

    async def _call(self, op: ops.Operation[T]) -> T:
        request = ops.build_request(self._http, self.config, op)
        with map_transport_errors(self.config.url):
            response = await self._http.send(request)
        return ops.read_response(op, response)

    # ------------------------------------------------------------------ deployments

    async def create_deployment(self, deployment: Deployment) -> Deployment:
        """Create a deployment; the answer carries its ``deployment_id``."""
        return await self._call(ops.create_deployment(self.namespace, deployment))

    async def get_deployment(self, deployment_id: str) -> Deployment:
        """One deployment by id (``NotFoundError`` if there is none)."""
        return await self._call(ops.get_deployment(self.namespace, deployment_id))

    async def get_deployment_by_name(self, name: str) -> Deployment:
        """One deployment by name (``NotFoundError`` if there is none)."""
        return await self._call(ops.get_deployment_by_name(self.namespace, name))

    async def list_deployments(
        self, *, name: str | None = None, page_index: int = 1, page_size: int = 100
    ) -> Page[Deployment]:
        """One page of the namespace's deployments (only those named ``name`` if
        given), each with its ``job_summary``: job counts per state."""
        op = ops.list_deployments(
            self.namespace, name=name, page_index=page_index, page_size=page_size
        )
        return await self._call(op)

    async def update_deployment(self, deployment_id: str, deployment: Deployment) -> Deployment:
        """Replace a deployment's spec; a stale ``resource_version`` is a
        ``ConflictError``."""
        return await self._call(ops.update_deployment(self.namespace, deployment_id, deployment))

    async def delete_deployment(self, deployment_id: str) -> None:
        """Delete a deployment (``ConflictError`` while it has a live job)."""
        await self._call(ops.delete_deployment(self.namespace, deployment_id))

    async def validate_sql(
        self, statement: str, *, engine_version: str | None = None, batch: bool = False
    ) -> SqlValidation:
        """Flink's verdict on a SQL script: check ``.valid``, and ``.error_details``
        (``line``, ``column``, ``message``) when it is not."""
        op = ops.validate_sql(self.namespace, statement, engine_version=engine_version, batch=batch)
        return await self._call(op)

    # ------------------------------------------------------------------ jobs

    async def start_job(
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
        return await self._call(op)

    async def get_job(self, job_id: str) -> Job:
        """One job by id."""
        return await self._call(ops.get_job(self.namespace, job_id))

    async def list_jobs(
        self, deployment_id: str, page_index: int = 1, page_size: int = 100
    ) -> Page[Job]:
        """One page of a deployment's jobs, newest first. The deployment is required:
        the native API (ListJobs) lists jobs per deployment only; for the whole namespace,
        list the deployments and read their ``job_summary``."""
        op = ops.list_jobs(
            self.namespace, deployment_id, page_index=page_index, page_size=page_size
        )
        return await self._call(op)

    async def stop_job(
        self, job_id: str, strategy: StopStrategy | str = StopStrategy.STOP_WITH_SAVEPOINT
    ) -> Job:
        """Stop a job: with a savepoint (default), draining first, or cancelled (``NONE``).
        A string is accepted in any case; an unknown one is a ``ValueError``."""
        chosen = StopStrategy.parse(strategy)
        return await self._call(ops.stop_job(self.namespace, job_id, chosen.value))

    async def suspend_job(self, job_id: str) -> Job:
        """Stop the job with a savepoint and keep it SUSPENDED (``resume_job`` runs it again)."""
        return await self._call(ops.suspend_job(self.namespace, job_id))

    async def resume_job(self, job_id: str) -> Job:
        """Run a SUSPENDED job again (same job id) from its suspend savepoint."""
        return await self._call(ops.resume_job(self.namespace, job_id))

    async def delete_job(self, job_id: str) -> None:
        """Delete an ended job's record."""
        await self._call(ops.delete_job(self.namespace, job_id))

    async def get_latest_job_start_log(self, deployment_id: str) -> str:
        """The log of the deployment's latest job start (submission output)."""
        return await self._call(ops.get_latest_job_start_log(self.namespace, deployment_id))

    async def get_job_logs(
        self, job_id: str, kind: str = "jobmanager", scope: str = "job"
    ) -> JobLog:
        """The job's ``jobmanager``, ``taskmanager`` or ``stdout`` log (also once ended):
        the job's lines (``scope="job"``) or its whole cluster's (``"cluster"``)."""
        return await self._call(ops.get_job_logs(self.namespace, job_id, kind, scope))

    async def hot_update_job(
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
        return await self._call(op)

    async def get_hot_update_result(self, hot_update_id: str) -> HotUpdateResult:
        """The state of a hot update started by ``hot_update_job``."""
        return await self._call(ops.get_hot_update_result(self.namespace, hot_update_id))

    async def get_job_diagnosis(self, deployment_id: str, job_id: str) -> JobDiagnosis:
        """Rule-based findings on a job: health score, risk level, symptoms."""
        return await self._call(ops.get_job_diagnosis(self.namespace, deployment_id, job_id))

    # ------------------------------------------------------------------ savepoints

    async def create_savepoint(
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
        return await self._call(op)

    async def get_savepoint(self, savepoint_id: str) -> Savepoint:
        """One savepoint by id."""
        return await self._call(ops.get_savepoint(self.namespace, savepoint_id))

    async def list_savepoints(
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
        return await self._call(op)

    async def delete_savepoint(self, savepoint_id: str) -> None:
        """Delete a savepoint's record and its files."""
        await self._call(ops.delete_savepoint(self.namespace, savepoint_id))

    async def get_savepoint_schedule(self, deployment_id: str) -> dict[str, Any]:
        """The deployment's periodic-savepoint schedule (a Millstream extension)."""
        return await self._call(schedules.get_savepoint_schedule(self.namespace, deployment_id))

    async def put_savepoint_schedule(
        self, deployment_id: str, schedule: dict[str, Any]
    ) -> dict[str, Any]:
        """Set (replace) the deployment's periodic-savepoint schedule."""
        op = schedules.put_savepoint_schedule(self.namespace, deployment_id, schedule)
        return await self._call(op)

    async def delete_savepoint_schedule(self, deployment_id: str) -> None:
        """Turn the deployment's periodic savepoints off (its savepoints stay)."""
        await self._call(schedules.delete_savepoint_schedule(self.namespace, deployment_id))

    # ------------------------------------------------------------------ artifacts

    async def upload_artifact(self, path: Path, name: str | None = None) -> ArtifactRef:
        """Upload a local file (as ``name``, default its file name) through a pre-signed
        URL, streamed; the answer's ``uri`` is what a deployment references.

        Raises ``OSError`` when the file cannot be read.
        """
        size = (await asyncio.to_thread(path.stat)).st_size
        presigned = await self._call(ops.get_pre_signed_url(self.namespace, name or path.name))
        url = uploads.target_url(self.config, presigned)
        chunks = uploads.async_file_chunks(path)
        request = uploads.build_upload_request(self._http, url, chunks, size)
        with map_transport_errors(self.config.url):
            response = await self._http.send(request)
        stored = ops.read_response(ops.put_pre_signed(), response)
        return stored if stored.uri else stored.model_copy(update={"uri": presigned.jar_url})

    async def list_artifacts(self) -> list[ArtifactRef]:
        """The namespace's uploaded JARs and Python files."""
        return await self._call(ops.list_artifacts(self.namespace))

    async def delete_artifact(self, name: str) -> None:
        """Delete an uploaded artifact by name."""
        await self._call(ops.delete_artifact(self.namespace, name))

    # ------------------------------------------------------------------ variables

    async def create_variable(
        self,
        name: str,
        value: str,
        kind: str = "Plain",
        description: str | None = None,
    ) -> Variable:
        """A new namespace variable; ``kind`` ``Plain`` or ``Encrypted`` (then masked)."""
        variable = Variable(name=name, value=value, kind=kind, description=description)
        return await self._call(ops.create_variable(self.namespace, variable))

    async def list_variables(self, *, page_index: int = 1, page_size: int = 100) -> Page[Variable]:
        """One page of namespace variables (encrypted values are masked)."""
        op = ops.list_variables(self.namespace, page_index=page_index, page_size=page_size)
        return await self._call(op)

    async def update_variable(
        self,
        name: str,
        *,
        value: str | None = None,
        kind: str | None = None,
        description: str | None = None,
    ) -> Variable:
        """Change what is given; changing ``kind`` needs a ``value`` too."""
        variable = Variable(value=value, kind=kind, description=description)
        return await self._call(ops.update_variable(self.namespace, name, variable))

    async def delete_variable(self, name: str) -> None:
        """Delete a namespace variable."""
        await self._call(ops.delete_variable(self.namespace, name))

    # ------------------------------------------------------------------ queues

    async def list_queues(self) -> list[Queue]:
        """Every queue with its use (used / waiting / free CU and the waiting jobs)."""
        return await self._call(ops.list_queues())

    async def get_queue(self, name: str) -> Queue:
        """One queue by name, with its usage."""
        return await self._call(ops.get_queue(name))

    async def create_queue(self, queue: Queue) -> Queue:
        """Needs at least ``name`` and ``capacity_cu``; the cluster defaults to ``default``."""
        return await self._call(ops.create_queue(queue))

    async def update_queue(self, name: str, queue: Queue) -> Queue:
        """Change what is set; a capacity change applies at the next admission."""
        return await self._call(ops.update_queue(name, queue))

    async def delete_queue(self, name: str) -> None:
        """Refused (409) while live jobs use or wait on the queue."""
        await self._call(ops.delete_queue(name))

    # ------------------------------------------------------------------ the rest

    async def get_events(
        self, *, deployment_id: str | None = None, page_index: int = 1, page_size: int = 100
    ) -> Page[Event]:
        """One page of events of the namespace, or of one deployment, newest first."""
        op = ops.get_events(
            self.namespace, deployment_id=deployment_id, page_index=page_index, page_size=page_size
        )
        return await self._call(op)

    async def list_engine_versions(self) -> EngineVersions:
        """The engine versions the server offers; ``default_engine_version`` marks
        the default."""
        return await self._call(ops.list_engine_versions())

    async def create_key(self, *, user: str | None = None, create_user: bool = False) -> AccessKey:
        """A new key (for ``user``, created too if ``create_user``); its secret is in it."""
        return await self._call(ops.create_key(user=user, create_user=create_user))

    async def list_keys(self) -> list[AccessKey]:
        """Access keys (an admin sees all; others their own)."""
        return await self._call(ops.list_keys())

    async def disable_key(self, access_key_id: str) -> AccessKey:
        """Disable an access key (it can be enabled again)."""
        return await self._call(ops.disable_key(access_key_id))

    async def enable_key(self, access_key_id: str) -> AccessKey:
        """Enable a disabled access key."""
        return await self._call(ops.enable_key(access_key_id))

    async def revoke_key(self, access_key_id: str) -> None:
        """Delete an access key for good."""
        await self._call(ops.revoke_key(access_key_id))

    async def health(self) -> dict[str, Any]:
        """``GET /healthz``; raises ``TransportError`` when the server is down."""
        return await self._call(ops.health())

    async def server_status(self) -> dict[str, Any]:
        """``GET /api/millstream/v1/status`` (``NotFoundError`` on servers without it)."""
        return await self._call(ops.server_status())

    # ------------------------------------------------------------------ job insights

    async def job_graph(self, job_id: str) -> JobGraphInsight:
        """The job's graph from Flink: vertices (parallelism, chained operators, busy and
        backpressure ratios) and edges (ship strategy). ``.live`` is False, with a
        ``.note``, when Flink has no live data for the job."""
        return await self._call(insight_ops.job_graph(self.namespace, job_id))

    async def job_vertex_metrics(self, job_id: str) -> JobVertexMetrics:
        """Each vertex's records and bytes in/out per second, busy / idle /
        back-pressured ms per second and input watermark (epoch ms)."""
        return await self._call(insight_ops.job_vertex_metrics(self.namespace, job_id))

    async def job_checkpoints(self, job_id: str) -> JobCheckpoints:
        """Checkpoint counts, durations, sizes, the last completed and failed ones, what
        the run restored from, and the recent history."""
        return await self._call(insight_ops.job_checkpoints(self.namespace, job_id))

    async def job_exceptions(self, job_id: str, *, limit: int = 50) -> JobExceptions:
        """Every failure Flink keeps of the job (newest first, at most ``limit``, up to
        200) with its time, root cause, task and TaskManager."""
        return await self._call(insight_ops.job_exceptions(self.namespace, job_id, limit=limit))

    async def job_configuration(self, job_id: str) -> JobConfiguration:
        """The job's effective Flink configuration (``.get(key)``); each entry's
        ``source`` is JOB, CLUSTER or DEPLOYMENT (kept, when Flink forgot the job)."""
        return await self._call(insight_ops.job_configuration(self.namespace, job_id))

    async def job_taskmanagers(self, job_id: str) -> JobTaskManagers:
        """The TaskManagers and slots of the job's cluster with CPU and memory use."""
        return await self._call(insight_ops.job_taskmanagers(self.namespace, job_id))

    async def job_metric_history(
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
        return await self._call(op)

    async def job_loads(self) -> list[JobLoad]:
        """The namespace's running jobs with records in/out per second, the highest
        backpressure, the busiest vertex and restarts (what ``millstream top`` shows)."""
        return await self._call(insight_ops.job_loads(self.namespace))

    # ------------------------------------------------------------------ waiting

    async def wait_for_job(
        self,
        job_id: str,
        statuses: str | Iterable[str] = "RUNNING",
        # A deadline of our own, not asyncio.timeout: it must report the last status seen.
        timeout: float = 300.0,  # noqa: ASYNC109
        poll: float = 1.0,
        *,
        on_status: waiting.StatusCallback | None = None,
    ) -> Job:
        """Poll until the job is in one of ``statuses``; ``WaitTimeoutError`` otherwise."""
        wanted = waiting.wanted_set(statuses)
        deadline = time.monotonic() + timeout
        last: str | None = None
        while True:
            job = await self.get_job(job_id)
            last = job.state
            if on_status is not None:
                on_status(last)
            if waiting.job_reached(job, wanted):
                return job
            if time.monotonic() >= deadline:
                raise waiting.timeout_error(f"job {job_id}", wanted, last)
            await asyncio.sleep(poll)

    async def wait_for_savepoint(
        self,
        savepoint_id: str,
        states: str | Iterable[str] = "COMPLETED",
        # A deadline of our own, not asyncio.timeout: it must report the last status seen.
        timeout: float = 300.0,  # noqa: ASYNC109
        poll: float = 1.0,
        *,
        on_status: waiting.StatusCallback | None = None,
    ) -> Savepoint:
        """Poll until the savepoint is in one of ``states``; ``WaitTimeoutError`` otherwise."""
        wanted = waiting.wanted_set(states)
        deadline = time.monotonic() + timeout
        while True:
            savepoint = await self.get_savepoint(savepoint_id)
            if on_status is not None:
                on_status(savepoint.state)
            if waiting.savepoint_reached(savepoint, wanted):
                return savepoint
            if time.monotonic() >= deadline:
                raise waiting.timeout_error(f"savepoint {savepoint_id}", wanted, savepoint.state)
            await asyncio.sleep(poll)

    async def wait_for_hot_update(
        self,
        hot_update_id: str,
        # A deadline of our own, not asyncio.timeout: it must report the last status seen.
        timeout: float = 300.0,  # noqa: ASYNC109
        poll: float = 1.0,
        *,
        on_status: waiting.StatusCallback | None = None,
    ) -> HotUpdateResult:
        """Poll until the hot update is ``HOT_UPDATED``; ``UnexpectedStatusError`` when it
        failed, ``WaitTimeoutError`` when not done in time."""
        deadline = time.monotonic() + timeout
        while True:
            result = await self.get_hot_update_result(hot_update_id)
            progress = waiting.hot_update_progress(result)
            if on_status is not None:
                on_status(progress)
            if waiting.hot_update_reached(result):
                return result
            if time.monotonic() >= deadline:
                raise waiting.timeout_error(
                    f"hot update {hot_update_id}", frozenset({waiting.HOT_UPDATED}), progress
                )
            await asyncio.sleep(poll)


def _epoch_ms(moment: datetime | None) -> int | None:
    """Epoch milliseconds of ``moment`` (naive: taken as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
