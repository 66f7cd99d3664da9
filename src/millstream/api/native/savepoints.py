"""Native savepoint operations: CreateSavepoint, GetSavepoint, ListSavepoints and
DeleteSavepoint, at the SDK's paths."""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from typing import Annotated

from fastapi import Query
from fastapi.responses import JSONResponse

from millstream.api.native import mappers, schemas
from millstream.api.native.params import NAMESPACE, Identifier, PageIndex, PageSize
from millstream.api.native.routing import Ctx, dump, native_router, ok, page
from millstream.control.ports import Page
from millstream.domain.errors import InvalidInput

__all__ = ["router"]

router = native_router()

_PATH = NAMESPACE + "/savepoints"


@router.post(_PATH, name="CreateSavepoint")
def create_savepoint(ctx: Ctx, body: schemas.CreateSavepointBody) -> JSONResponse:
    if not body.deployment_id:
        raise InvalidInput("deploymentId is required")
    savepoint = ctx.services.savepoints.create(
        ctx.scope,
        ctx.actor,
        body.deployment_id,
        description=body.description,
        native_format=bool(body.native_format),
    )
    return ok(ctx, dump(mappers.savepoint_to_wire(savepoint)))


@router.get(_PATH + "/{savepoint_id}", name="GetSavepoint")
def get_savepoint(ctx: Ctx, savepoint_id: Identifier) -> JSONResponse:
    savepoint = ctx.services.savepoints.get(ctx.scope, savepoint_id)
    return ok(ctx, dump(mappers.savepoint_to_wire(savepoint)))


@router.get(_PATH, name="ListSavepoints")
def list_savepoints(
    ctx: Ctx,
    page_index: PageIndex = 1,
    page_size: PageSize = 10,
    deployment_id: Annotated[str | None, Query(alias="deploymentId")] = None,
    job_id: Annotated[str | None, Query(alias="jobId")] = None,
) -> JSONResponse:
    savepoints, total = ctx.services.savepoints.list(
        ctx.scope,
        Page(offset=(page_index - 1) * page_size, limit=page_size),
        deployment_id=deployment_id or None,
        job_id=job_id or None,
    )
    wire = [dump(mappers.savepoint_to_wire(s)) for s in savepoints]
    return page(ctx, wire, page_index, page_size, total)


@router.delete(_PATH + "/{savepoint_id}", name="DeleteSavepoint")
def delete_savepoint(ctx: Ctx, savepoint_id: Identifier) -> JSONResponse:
    ctx.services.savepoints.delete(ctx.scope, ctx.actor, savepoint_id)
    return ok(ctx)
