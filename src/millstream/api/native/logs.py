"""Log routes of the native dialect: GetLatestJobStartLog (the SDK's
``GET .../deployments/{id}/latest_jobmanager_start_log``, ``data`` a string) and a
Millstream extension to read a job's logs, also after it ended:
``GET /api/v2/namespaces/{ns}/jobs/{job_id}/logs?kind=jobmanager|taskmanager|stdout``
answering ``data: {jobId, kind, source, truncated, files: [{source, name, truncated}],
content}``. Include this router before the native router (its ``/api/v2`` catch-all).
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from millstream.api.native.errors import NativeRoute, ok_response
from millstream.control.context import Actor, Scope
from millstream.control.services.logs import LogKind, LogService

__all__ = ["build_logs_router"]

_PREFIX = "/api/v2/namespaces/{namespace}"

Namespace = Annotated[str, Path(min_length=1, max_length=128)]
Identifier = Annotated[str, Path(min_length=1, max_length=256)]
Workspace = Annotated[str | None, Header()]


def build_logs_router(
    logs: LogService,
    authenticate: Callable[[Request], Actor | Awaitable[Actor]],
    *,
    default_workspace: str = "default",
) -> APIRouter:
    """The log routes; ``authenticate`` is the dependency the native router uses."""
    router = APIRouter(route_class=NativeRoute)
    Caller = Annotated[Actor, Depends(authenticate)]

    def scope(namespace: str, workspace: str | None) -> Scope:
        return Scope(workspace=workspace or default_workspace, namespace=namespace)

    @router.get(_PREFIX + "/deployments/{deployment_id}/latest_jobmanager_start_log")
    def get_latest_job_start_log(
        request: Request,
        actor: Caller,  # noqa: ARG001 (authentication)
        namespace: Namespace,
        deployment_id: Identifier,
        workspace: Workspace = None,
    ) -> JSONResponse:
        text = logs.latest_start_log(scope(namespace, workspace), deployment_id)
        return ok_response(request.state.request_id, text)

    @router.get(_PREFIX + "/jobs/{job_id}/logs")
    def get_job_logs(
        request: Request,
        actor: Caller,  # noqa: ARG001 (authentication)
        namespace: Namespace,
        job_id: Identifier,
        kind: Annotated[str | None, Query()] = None,
        workspace: Workspace = None,
    ) -> JSONResponse:
        log = logs.job_log(scope(namespace, workspace), job_id, LogKind.parse(kind))
        data = {
            "jobId": log.job_id,
            "kind": log.kind.value,
            "source": log.source,
            "truncated": any(f.truncated for f in log.files),
            "files": [
                {"source": f.source, "name": f.name, "truncated": f.truncated} for f in log.files
            ],
            "content": log.text,
        }
        return ok_response(request.state.request_id, data)

    return router
