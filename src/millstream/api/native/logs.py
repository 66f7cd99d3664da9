"""Native log operations: GetLatestJobStartLog (the SDK's ``GET .../deployments/{id}/
latest_jobmanager_start_log``, ``data`` a string) and Millstream's GetJobLogs to read a
job's logs, also after it ended: ``GET /api/v2/namespaces/{ns}/jobs/{job_id}/logs?kind=
jobmanager|taskmanager|stdout&scope=job|cluster`` answering ``data: {jobId, kind,
source, scope, note, truncated, files: [{source, name, truncated}], content}``. ``scope``
defaults to ``job``: only the job's lines of a session cluster; ``cluster`` is the whole
cluster log over the job's time (``note`` says what was left out, or null).
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import Guard, RequestContext
from millstream.api.native.params import NAMESPACE, Identifier
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.control.services.logs import LogKind, LogScope, LogService

__all__ = ["build_logs_router", "router"]

router = native_router()


def _logs(ctx: RequestContext) -> LogService:
    if ctx.services.logs is None:
        raise not_enabled("job logs")
    return ctx.services.logs


@router.get(
    NAMESPACE + "/deployments/{deployment_id}/latest_jobmanager_start_log",
    name="GetLatestJobStartLog",
)
def get_latest_job_start_log(ctx: Ctx, deployment_id: Identifier) -> JSONResponse:
    return ok(ctx, _logs(ctx).latest_start_log(ctx.scope, deployment_id))


@router.get(NAMESPACE + "/jobs/{job_id}/logs", name="GetJobLogs")
def get_job_logs(
    ctx: Ctx,
    job_id: Identifier,
    kind: Annotated[str | None, Query()] = None,
    scope: Annotated[str | None, Query()] = None,
) -> JSONResponse:
    log = _logs(ctx).job_log(ctx.scope, job_id, LogKind.parse(kind), LogScope.parse(scope))
    data = {
        "jobId": log.job_id,
        "kind": log.kind.value,
        "source": log.source,
        "scope": log.scope.value,
        "note": log.note,
        "truncated": any(f.truncated for f in log.files),
        "files": [
            {"source": f.source, "name": f.name, "truncated": f.truncated} for f in log.files
        ],
        "content": log.text,
    }
    return ok(ctx, data)


def build_logs_router(
    logs: LogService, authenticate: Guard, *, default_workspace: str = "default"
) -> APIRouter:
    """The log routes alone, over one service (tests and tools)."""
    from millstream.api.native.standalone import standalone_router

    return standalone_router([router], authenticate, default_workspace, logs=logs)
