"""Savepoint operations: CreateGWSSavepoint (of an application's running instance) and
ListGWSSavepoint (an application's savepoints and retained checkpoints, newest first).

``SavepointId`` on the wire is the savepoint's Millstream id; StartApplicationInstance and
RestartGWSApplication restore from it with ``FROM_SAVEPOINT``.
"""

from __future__ import annotations

from typing import Any

from millstream.api.volcengine import mappers, schemas
from millstream.api.volcengine.applications import deployment_of
from millstream.api.volcengine.context import Call
from millstream.control.ports import Page
from millstream.domain.errors import Conflict, ErrorCode

__all__ = ["create_savepoint", "list_savepoints"]

_LIMIT = 1000


def create_savepoint(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.CreateSavepointRequest)
    scope, deployment = deployment_of(call, request.id)
    ids = call.backend.ids
    try:
        savepoint = call.backend.services.savepoints.create(
            scope, call.actor, deployment.id, description=request.description or None
        )
    except Conflict as exc:
        if exc.code is not ErrorCode.JOB_NOT_RUNNING:
            raise
        # The domain's message names a deployment; say it in the SDK's words.
        raise Conflict(
            f"application {ids.application(deployment.id)} ({deployment.name!r}) has no "
            "RUNNING instance to take a savepoint of; wait until its instance is RUNNING",
            code=ErrorCode.JOB_NOT_RUNNING,
        ) from None
    return schemas.IdResult(
        id=ids.application(deployment.id),
        instance_id=ids.instance(savepoint.job_id) if savepoint.job_id else None,
    ).wire()


def list_savepoints(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.ListSavepointsRequest)
    scope, deployment = deployment_of(call, request.id)
    found, _ = call.backend.services.savepoints.list(
        scope, Page(offset=0, limit=_LIMIT), deployment_id=deployment.id
    )
    return schemas.ListSavepointsResult(
        savepoint_infos=[mappers.savepoint_info(savepoint) for savepoint in found]
    ).wire()
