"""Native SQL previews and executions at the official SDK's paths:
SubmitSqlPreview (``POST .../sql-preview/submit``), FetchSqlPreviewResults (``GET
.../sql-preview/fetchResults``), CancelSqlPreview (``DELETE .../sql-preview/cancel``),
StartSqlExecution (``POST .../sql-execution``), FetchSqlExecutionResult (``GET
.../sql-execution/{id}:fetchSqlExecutionResult``), StopSqlExecution (``POST
.../sql-execution/{id}:stop``).

A preview runs the statement's query on the namespace's cluster (``sessionClusterName``,
default: the default cluster) with a row and a time budget, set per request in
``flinkConfiguration`` as ``millstream.preview.max-rows`` (default 100, at most 1000)
and ``millstream.preview.timeout-seconds`` (default 30, at most 300). Submit waits until
Flink has planned the query, so a query Flink refuses is an ``InvalidSql`` error envelope.
Each fetch answers the SDK's ``FetchResult`` with the rows not fetched before:
``resultType`` ``PAYLOAD`` (rows), ``NOT_READY`` (running, none new) or ``EOS`` (ended;
``resultMessage`` says why). ``queryId`` names a preview; ``sessionId`` is its cluster.
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

import time
from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native import schemas
from millstream.api.native.params import NAMESPACE
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.api.native.schemas import WireModel
from millstream.control.services.sql_previews import SqlPreview, SqlPreviewService
from millstream.domain.errors import InvalidInput, InvalidSql
from millstream.domain.sql_previews import QueryProgress, QueryState, ResultRow

__all__ = ["router"]

router = native_router()

_PREVIEW = NAMESPACE + "/sql-preview"
_EXECUTION = NAMESPACE + "/sql-execution"
_ROWS_KEY = "millstream.preview.max-rows"
_TIMEOUT_KEY = "millstream.preview.timeout-seconds"
_PLANNING_WAIT = 90.0  # a JVM start plus Flink's planning, on a busy machine
Id = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
ExecutionId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
ClusterName = Annotated[str | None, Query(alias="sessionClusterName", max_length=128)]


class StartSqlExecutionBody(WireModel):
    """SDK ``StartSqlExecutionBody``."""

    sql_file_id: str | None = None
    sql_script: str | None = None
    description: str | None = None


def _previews(ctx: RequestContext) -> SqlPreviewService:
    if ctx.services.sql_previews is None:
        raise not_enabled("SQL previews")
    return ctx.services.sql_previews


def _budget(conf: dict[str, Any], key: str) -> float | None:
    raw = conf.pop(key, None)
    if raw is None:
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"flinkConfiguration {key} is a number, got {str(raw)[:20]!r}") from None


def _planned(previews: SqlPreviewService, preview: SqlPreview) -> QueryProgress:
    """Wait until the query has columns (Flink planned it) or ended; a refused query is
    an error here, not a surprise at the first fetch."""
    deadline = time.monotonic() + _PLANNING_WAIT
    while True:
        progress = preview.run.progress()
        if progress.columns or progress.state.ended or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if progress.state is QueryState.FAILED and not progress.columns:
        previews.cancel(preview.scope, preview.id)
        raise InvalidSql(progress.message or "Flink refused the query")
    return progress


def _submit_result(preview: SqlPreview, progress: QueryProgress) -> dict[str, Any]:
    """SDK ``SubmitPreviewResult``."""
    return {
        "queryId": preview.id,
        "sessionId": preview.cluster,
        "tableSchemas": [
            {
                "tableName": preview.id,
                "collectSinkOperatorId": preview.flink_job_id,
                "schema": {
                    "columns": [
                        {"name": c.name, "type": c.type, "logicalType": c.type}
                        for c in progress.columns
                    ]
                },
            }
        ],
    }


def _table_result(preview: SqlPreview, rows: list[ResultRow]) -> dict[str, Any]:
    """SDK ``TableResult``."""
    return {
        "tableName": preview.id,
        "collectSinkOperatorId": preview.flink_job_id,
        "rowUpdates": [
            {"rowKind": r.kind, "row": {"cells": [{"value": v} for v in r.values]}} for r in rows
        ],
    }


def _result_type(progress: QueryProgress, rows: list[ResultRow]) -> str:
    if rows:
        return "PAYLOAD"
    return "EOS" if progress.state.ended else "NOT_READY"


@router.post(_PREVIEW + "/submit", name="SubmitSqlPreview")
def submit_sql_preview(
    ctx: Ctx, body: schemas.SqlStatementWithContext, cluster: ClusterName = None
) -> JSONResponse:
    if not body.statement or not body.statement.strip():
        raise InvalidInput('statement is required, e.g. {"statement": "SELECT 1"}')
    conf = {str(k): v for k, v in (body.flink_configuration or {}).items()}
    rows = _budget(conf, _ROWS_KEY)
    previews = _previews(ctx)
    preview = previews.submit(
        ctx.scope,
        body.statement,
        cluster=cluster or None,
        batch=bool(body.batch_mode),
        max_rows=int(rows) if rows is not None else None,
        timeout=_budget(conf, _TIMEOUT_KEY),
    )
    return ok(ctx, _submit_result(preview, _planned(previews, preview)))


@router.get(_PREVIEW + "/fetchResults", name="FetchSqlPreviewResults")
def fetch_sql_preview_results(
    ctx: Ctx,
    query_id: Annotated[Id, Query(alias="queryId")],
    cluster: ClusterName = None,  # noqa: ARG001 (the query id names the run)
    session_id: Annotated[str | None, Query(alias="sessionId", max_length=128)] = None,  # noqa: ARG001
) -> JSONResponse:
    previews = _previews(ctx)
    preview = previews.get(ctx.scope, query_id)
    progress, rows = previews.fetch(ctx.scope, query_id)
    return ok(
        ctx,
        {
            "resultType": _result_type(progress, rows),
            "resultMessage": progress.message,
            "tableResults": [_table_result(preview, rows)],
        },
    )


@router.delete(_PREVIEW + "/cancel", name="CancelSqlPreview")
def cancel_sql_preview(
    ctx: Ctx,
    query_id: Annotated[Id, Query(alias="queryId")],
    cluster: ClusterName = None,  # noqa: ARG001
    session_id: Annotated[str | None, Query(alias="sessionId", max_length=128)] = None,  # noqa: ARG001
) -> JSONResponse:
    _previews(ctx).cancel(ctx.scope, query_id)
    return ok(ctx)


@router.post(_EXECUTION, name="StartSqlExecution")
def start_sql_execution(ctx: Ctx, body: StartSqlExecutionBody) -> JSONResponse:
    previews = _previews(ctx)
    script, cluster, batch = body.sql_script, None, False
    if body.sql_file_id:
        if ctx.services.sql_files is None:
            raise not_enabled("SQL files")
        sql_file = ctx.services.sql_files.get(ctx.scope, body.sql_file_id)
        script = script or sql_file.script
        cluster, batch = sql_file.session_cluster, sql_file.batch
        running = previews.running_for_file(ctx.scope, body.sql_file_id)
        if running is not None:
            return ok(ctx, {"sqlExecutionId": running.id, "newlyCreated": False, "success": True})
    if not script or not script.strip():
        raise InvalidInput("sqlScript (or a sqlFileId whose file has a script) is required")
    preview = previews.submit(
        ctx.scope,
        script,
        cluster=cluster,
        batch=batch,
        description=body.description,
        sql_file_id=body.sql_file_id or None,
    )
    return ok(ctx, {"sqlExecutionId": preview.id, "newlyCreated": True, "success": True})


@router.get(_EXECUTION + "/{execution_id}:fetchSqlExecutionResult", name="FetchSqlExecutionResult")
def fetch_sql_execution_result(ctx: Ctx, execution_id: ExecutionId) -> JSONResponse:
    previews = _previews(ctx)
    preview = previews.get(ctx.scope, execution_id)
    progress, rows = previews.fetch(ctx.scope, execution_id)
    return ok(
        ctx,
        {
            "dqlResult": {
                "statementIndex": 0,
                "submitPreviewResult": _submit_result(preview, progress),
                "tableResults": [_table_result(preview, rows)],
            },
            "sqlExecution": _execution(ctx, preview, progress),
        },
    )


@router.post(_EXECUTION + "/{execution_id}:stop", name="StopSqlExecution")
def stop_sql_execution(ctx: Ctx, execution_id: ExecutionId) -> JSONResponse:
    progress = _previews(ctx).cancel(ctx.scope, execution_id)
    return ok(ctx, {"success": True, "message": progress.message or "stopped"})


def _execution(ctx: RequestContext, preview: SqlPreview, progress: QueryProgress) -> dict[str, Any]:
    """SDK ``SqlExecution``."""
    return {
        "sqlExecutionId": preview.id,
        "sqlFileId": preview.sql_file_id,
        "sqlScript": preview.script,
        "description": preview.description,
        "name": preview.id,
        "state": progress.state.value,
        "message": progress.message,
        "batchMode": preview.batch,
        "sessionClusterName": preview.cluster,
        "namespace": ctx.scope.namespace,
        "workspace": ctx.scope.workspace,
        "statements": [
            {
                "index": 0,
                "sqlScript": preview.script,
                "type": "DQL",
                "statusState": progress.state.value,
                "message": progress.message,
            }
        ],
    }
