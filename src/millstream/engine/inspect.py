"""Read-only Flink REST for diagnosis and the FlinkApiProxy (``JobInspector`` port).

``FlinkInspector.snapshot`` reads ``/jobs/{id}``, ``/jobs/{id}/exceptions``,
``/jobs/{id}/checkpoints``, ``/jobs/{id}/metrics`` and each vertex's ``/backpressure``.
``FlinkInspector.proxy_get`` forwards one GET, but only to an endpoint of the explicit
read-only list in ``engine.proxy_paths`` (the job's own ``/jobs/{flinkJobId}/...`` reads
and ``/overview``, ``/taskmanagers``, ``/jobmanager/config``): the path is checked here,
at the last step before HTTP, so no caller can reach another job, another host, or a
write endpoint (Flink cancels a job on ``GET .../yarn-cancel``). Flink errors become
domain errors here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import httpx

from millstream.control.inspect_ports import FlinkJobSnapshot
from millstream.domain.clusters import Cluster
from millstream.domain.diagnosis import CheckpointStats, ExceptionEntry, VertexPressure
from millstream.domain.errors import ErrorCode, InvalidInput, NotFound
from millstream.engine.proxy_paths import CLUSTER_PATHS, check_proxy_path
from millstream.engine.rest import FlinkNotFound, FlinkRequestRejected, translate_errors

__all__ = ["CLUSTER_PATHS", "FlinkInspector", "check_proxy_path"]

_MAX_VERTICES = 32
_MAX_EXCEPTIONS = 20


class FlinkInspector:
    """One httpx client per REST URL, shared between threads; ``close`` releases them."""

    def __init__(self, *, timeout: float, transport: httpx.BaseTransport | None = None) -> None:
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._transport = transport
        self._clients: dict[str, httpx.Client] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    # ------------------------------------------------------------------ proxy

    def proxy_get(self, cluster: Cluster, path: str, *, flink_job_id: str | None) -> Any:
        target = check_proxy_path(path, flink_job_id=flink_job_id)
        with _as_domain_errors(target.path):
            return self._get(cluster, target.path, params=target.query)

    # ------------------------------------------------------------------ diagnosis

    def snapshot(self, cluster: Cluster, flink_job_id: str) -> FlinkJobSnapshot:
        base = f"/jobs/{flink_job_id}"
        try:
            job = cast(dict[str, Any], self._get(cluster, base))
        except FlinkNotFound:
            return FlinkJobSnapshot(found=False)
        state = str(job.get("state") or "") or None
        vertices = [v for v in job.get("vertices") or [] if isinstance(v, dict)]
        return FlinkJobSnapshot(
            state=state,
            uptime_ms=_int(job.get("duration")),
            restarts=self._restarts(cluster, base),
            exceptions=self._exceptions(cluster, base),
            checkpoints=self._checkpoints(cluster, base),
            backpressure=self._backpressure(cluster, base, vertices) if state == "RUNNING" else (),
        )

    def _restarts(self, cluster: Cluster, base: str) -> int | None:
        try:
            rows = self._get(cluster, f"{base}/metrics", params=[("get", "numRestarts")])
        except FlinkRequestRejected:
            return None
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and row.get("id") == "numRestarts":
                return _int(row.get("value"))
        return None

    def _exceptions(self, cluster: Cluster, base: str) -> tuple[ExceptionEntry, ...]:
        try:
            answer = self._get(
                cluster, f"{base}/exceptions", params=[("maxExceptions", str(_MAX_EXCEPTIONS))]
            )
        except FlinkRequestRejected:
            return ()
        history = answer.get("exceptionHistory") if isinstance(answer, dict) else None
        entries = history.get("entries") if isinstance(history, dict) else None
        found: list[ExceptionEntry] = []
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            name = str(entry.get("exceptionName") or "")
            found.append(
                ExceptionEntry(
                    name=name,
                    message=_exception_message(name, str(entry.get("stacktrace") or "")),
                    timestamp_ms=_int(entry.get("timestamp")),
                    task=str(entry["taskName"]) if entry.get("taskName") else None,
                )
            )
        found.sort(key=lambda e: e.timestamp_ms or 0, reverse=True)
        return tuple(found)

    def _checkpoints(self, cluster: Cluster, base: str) -> CheckpointStats | None:
        try:
            answer = self._get(cluster, f"{base}/checkpoints")
        except FlinkRequestRejected:
            return None  # checkpointing disabled: Flink has no statistics
        if not isinstance(answer, dict):
            return None
        counts = answer.get("counts") or {}
        latest = answer.get("latest") or {}
        completed = latest.get("completed") or {}
        failed = latest.get("failed") or {}
        history = [h for h in answer.get("history") or [] if isinstance(h, dict)]
        not_ready = sum(
            h.get("status") == "FAILED" and _tasks_not_ready(h.get("failure_message"))
            for h in history
        )
        message = failed.get("failure_message")
        return CheckpointStats(
            completed=_int(counts.get("completed")) or 0,
            failed=max(0, (_int(counts.get("failed")) or 0) - not_ready),
            in_progress=_int(counts.get("in_progress")) or 0,
            latest_failure=str(message) if message and not _tasks_not_ready(message) else None,
            latest_duration_ms=_int(completed.get("end_to_end_duration")),
        )

    def _backpressure(
        self, cluster: Cluster, base: str, vertices: list[dict[str, Any]]
    ) -> tuple[VertexPressure, ...]:
        found: list[VertexPressure] = []
        for vertex in vertices[:_MAX_VERTICES]:
            try:
                answer = self._get(cluster, f"{base}/vertices/{vertex.get('id')}/backpressure")
            except FlinkRequestRejected:
                continue
            if not isinstance(answer, dict) or answer.get("status") != "ok":
                continue  # "deprecated": sampling not finished yet
            ratios = [
                float(s["ratio"])
                for s in answer.get("subtasks") or []
                if isinstance(s, dict) and isinstance(s.get("ratio"), int | float)
            ]
            found.append(
                VertexPressure(
                    name=str(vertex.get("name") or vertex.get("id")),
                    level=str(answer.get("backpressureLevel") or "ok"),
                    ratio=max(ratios) if ratios else None,
                )
            )
        return tuple(found)

    # ------------------------------------------------------------------ plumbing

    def _client(self, cluster: Cluster) -> httpx.Client:
        url = cluster.rest_url.rstrip("/")
        with self._lock:
            client = self._clients.get(url)
            if client is None:
                client = httpx.Client(
                    base_url=url, timeout=self._timeout, transport=self._transport
                )
                self._clients[url] = client
            return client

    def _get(
        self, cluster: Cluster, path: str, *, params: list[tuple[str, str]] | None = None
    ) -> Any:
        with translate_errors("GET", path):
            response = self._client(cluster).get(path, params=tuple(params or ()))
            response.raise_for_status()
            return response.json()


@contextmanager
def _as_domain_errors(path: str) -> Iterator[None]:
    """Flink's 404 is the caller's NotFound and its other refusals bad input; an
    unreachable cluster stays ``EngineUnavailable`` (503)."""
    try:
        yield
    except FlinkNotFound as exc:
        raise NotFound(f"Flink has nothing at {path}", code=ErrorCode.FLINK_API_NOT_FOUND) from exc
    except FlinkRequestRejected as exc:
        raise InvalidInput(str(exc), code=ErrorCode.FLINK_API_REJECTED) from exc


def _exception_message(name: str, stacktrace: str) -> str:
    first = stacktrace.strip().splitlines()[0] if stacktrace.strip() else ""
    if first.startswith(name):
        first = first[len(name) :].lstrip(":").strip()
    return first[:2000]


def _int(value: Any) -> int | None:
    try:
        return int(float(value)) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


# A checkpoint triggered while the tasks still start is declined, and Flink counts it
# among the failed ones in its statistics, though its own failure counting ignores it
# (CheckpointFailureReason.NOT_ALL_REQUIRED_TASKS_RUNNING): neither is a failure here.
_NOT_READY = ("tasks not ready", "not all required tasks are currently running")


def _tasks_not_ready(message: Any) -> bool:
    text = str(message or "").lower()
    return any(marker in text for marker in _NOT_READY)
