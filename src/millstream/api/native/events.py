"""Native GetEvents: a deployment's (or the namespace's) events, newest first."""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from typing import Annotated

from fastapi import Query
from fastapi.responses import JSONResponse

from millstream.api.native import mappers
from millstream.api.native.deployments import deployment_id_of
from millstream.api.native.params import NAMESPACE, PageIndex, PageSize
from millstream.api.native.routing import Ctx, dump, native_router, page
from millstream.control.ports import Page

__all__ = ["router"]

router = native_router()


@router.get(NAMESPACE + "/events", name="GetEvents")
def get_events(
    ctx: Ctx,
    page_index: PageIndex = 1,
    page_size: PageSize = 10,
    deployment_id: Annotated[str | None, Query(alias="deploymentId")] = None,
    deployment_name: Annotated[str | None, Query(alias="deploymentName")] = None,
) -> JSONResponse:
    services = ctx.services
    events, total = services.events.list(
        ctx.scope,
        Page(offset=(page_index - 1) * page_size, limit=page_size),
        deployment_id=deployment_id_of(
            services.deployments, ctx.scope, deployment_id, deployment_name
        ),
    )
    return page(ctx, [dump(mappers.event_to_wire(e)) for e in events], page_index, page_size, total)
