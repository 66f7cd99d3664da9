"""SQL previews and SQL executions: one query run on the namespace's cluster with a
bounded row and time budget, its rows fetched page by page (Submit/Fetch/CancelSqlPreview,
Start/Fetch/StopSqlExecution).

Runs are kept in memory, in the API process that started them: their rows are a
throwaway, bounded buffer produced by a JVM that lives in this process (``SqlSessions``),
so storing them would add database writes for results nobody keeps; a server restart
ends them (the JVM dies with it and its Flink job is cancelled by its budget). Cancel
kills the JVM and cancels the Flink job by its fixed id.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from millstream.control.context import Scope
from millstream.control.ports import Engine, Store
from millstream.control.services.common import require_namespace, resolve_cluster
from millstream.control.services.sql_catalog import SqlCatalogService
from millstream.control.sql_session_ports import QueryRequest, QueryRun, SqlSessions
from millstream.domain.errors import (
    Conflict,
    EnginePermanentError,
    EngineUnavailable,
    InvalidInput,
    NotFound,
)
from millstream.domain.sql_previews import QueryProgress, QueryState, ResultRow

__all__ = ["PreviewLimits", "SqlPreview", "SqlPreviewService"]


@dataclass(frozen=True, slots=True)
class PreviewLimits:
    default_rows: int = 100
    max_rows: int = 1000
    default_timeout: float = 30.0
    max_timeout: float = 300.0
    max_running: int = 4  # each run is a JVM (~300 MB) and a Flink job
    keep_ended: float = 600.0  # seconds an ended run's rows stay fetchable


@dataclass(slots=True)
class SqlPreview:
    id: str
    scope: Scope
    script: str
    cluster: str
    flink_job_id: str
    max_rows: int
    timeout: float
    run: QueryRun
    started: float
    batch: bool = False
    description: str | None = None
    sql_file_id: str | None = None
    cursor: int = 0  # rows already handed out by fetch
    ended_at: float | None = None
    extra: dict[str, str] = field(default_factory=dict)


class SqlPreviewService:
    def __init__(
        self,
        store: Store,
        engine: Engine,
        sessions: SqlSessions,
        catalog: SqlCatalogService,
        *,
        limits: PreviewLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._engine = engine
        self._sessions = sessions
        self._catalog = catalog
        self._limits = limits or PreviewLimits()
        self._clock = clock
        self._lock = threading.Lock()
        self._runs: dict[str, SqlPreview] = {}

    def submit(
        self,
        scope: Scope,
        script: str,
        *,
        cluster: str | None = None,
        batch: bool = False,
        max_rows: int | None = None,
        timeout: float | None = None,
        description: str | None = None,
        sql_file_id: str | None = None,
    ) -> SqlPreview:
        """Start the script's query on the cluster; its rows arrive in the background."""
        limits = self._limits
        rows = limits.default_rows if max_rows is None else max_rows
        seconds = limits.default_timeout if timeout is None else timeout
        if not 1 <= rows <= limits.max_rows:
            raise InvalidInput(f"the row budget is 1 to {limits.max_rows} rows, got {rows}")
        if not 1 <= seconds <= limits.max_timeout:
            raise InvalidInput(
                f"the time budget is 1 to {limits.max_timeout:g} seconds, got {seconds:g}"
            )
        if not script.strip():
            raise InvalidInput("the SQL text is empty: send a query such as SELECT 1")
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            target = resolve_cluster(repos, scope, cluster)
        flink = self._engine.cluster(target)
        self._forget_ended()
        with self._lock:
            running = sum(1 for p in self._runs.values() if p.ended_at is None)
            if running >= limits.max_running:
                raise Conflict(
                    f"{running} previews are running on this server (at most "
                    f"{limits.max_running}): cancel one or wait for it to end"
                )
        preview_id = str(uuid.uuid4())
        flink_job_id = uuid.uuid4().hex
        run = self._sessions.start_query(
            QueryRequest(
                rest_url=flink.rest_url,
                flink_job_id=flink_job_id,
                job_name=f"millstream-preview-{preview_id[:8]}",
                catalog_ddl=self._catalog.ddl(scope),
                script=script,
                max_rows=rows,
                timeout=seconds,
                batch=batch,
            )
        )
        preview = SqlPreview(
            id=preview_id,
            scope=scope,
            script=script,
            cluster=target.name,
            flink_job_id=flink_job_id,
            max_rows=rows,
            timeout=seconds,
            run=run,
            started=self._clock(),
            batch=batch,
            description=description,
            sql_file_id=sql_file_id,
        )
        with self._lock:
            self._runs[preview_id] = preview
        return preview

    def get(self, scope: Scope, preview_id: str) -> SqlPreview:
        with self._lock:
            found = self._runs.get(preview_id)
        if found is None or found.scope != scope:
            raise NotFound(
                f"SQL preview {preview_id!r} not found in namespace {scope.namespace!r} "
                "(previews are kept for 10 minutes after they end, by the server that ran them)"
            )
        return found

    def running_for_file(self, scope: Scope, sql_file_id: str) -> SqlPreview | None:
        with self._lock:
            for preview in self._runs.values():
                if (
                    preview.scope == scope
                    and preview.sql_file_id == sql_file_id
                    and preview.run.progress().state is QueryState.RUNNING
                ):
                    return preview
        return None

    def fetch(self, scope: Scope, preview_id: str) -> tuple[QueryProgress, list[ResultRow]]:
        """The run's state and the rows not handed out yet (the cursor moves on)."""
        preview = self.get(scope, preview_id)
        progress = preview.run.progress()
        if progress.state.ended and preview.ended_at is None:
            preview.ended_at = self._clock()
            self._cancel_job(preview)  # a budget stop already did; a crash may not have
        with self._lock:
            fresh = list(progress.rows[preview.cursor :])
            preview.cursor = len(progress.rows)
        return progress, fresh

    def cancel(self, scope: Scope, preview_id: str) -> QueryProgress:
        """Stop the run: kill its JVM and cancel its Flink job."""
        preview = self.get(scope, preview_id)
        preview.run.cancel()
        if preview.ended_at is None:
            preview.ended_at = self._clock()
        self._cancel_job(preview)
        return preview.run.progress()

    def _cancel_job(self, preview: SqlPreview) -> None:
        with self._store.transaction() as repos:
            target = resolve_cluster(repos, preview.scope, preview.cluster)
        # Never submitted, or already ended: nothing to cancel.
        with contextlib.suppress(EngineUnavailable, EnginePermanentError, NotFound):
            self._engine.cluster(target).cancel(preview.flink_job_id)

    def _forget_ended(self) -> None:
        now = self._clock()
        with self._lock:
            for key, preview in list(self._runs.items()):
                if preview.ended_at is None and preview.run.progress().state.ended:
                    preview.ended_at = now
                if (
                    preview.ended_at is not None
                    and now - preview.ended_at > self._limits.keep_ended
                ):
                    del self._runs[key]

    def close(self) -> None:
        """Stop every run (server shutdown)."""
        with self._lock:
            runs = list(self._runs.values())
        for preview in runs:
            if preview.ended_at is None:
                preview.run.cancel()
                self._cancel_job(preview)
