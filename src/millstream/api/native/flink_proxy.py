"""Native FlinkApiProxy: ``GET /flink-ui/v2/proxy?flinkApiPath=&namespace=&resourceId=
&resourceType=``, a read of Flink's REST API for one job of the namespace. The namespace
is a query parameter here; the native scope resolver reads it there, so roles apply as on
every other route. ``data`` is Flink's JSON answer as a string (the SDK types it so)."""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

import json
from typing import Annotated

from fastapi import Header, Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import Context
from millstream.api.native.diagnoses import diagnosis_service
from millstream.api.native.routing import native_router, ok
from millstream.control.services.diagnosis import ProxyResource

__all__ = ["router"]

router = native_router()


@router.get("/flink-ui/v2/proxy", name="FlinkApiProxy")
def flink_api_proxy(
    ctx: Context,
    namespace: Annotated[str, Query(min_length=1, max_length=128)],  # noqa: ARG001 (ctx.scope)
    flink_api_path: Annotated[str, Query(alias="flinkApiPath", min_length=1)],
    resource_id: Annotated[str, Query(alias="resourceId", min_length=1)],
    resource_type: Annotated[str, Query(alias="resourceType", min_length=1)],
    workspace: Annotated[str | None, Header()] = None,  # noqa: ARG001 (ctx.scope)
) -> JSONResponse:
    resource = ProxyResource.parse(resource_type, resource_id)
    answer = diagnosis_service(ctx).proxy(ctx.scope, resource, flink_api_path)
    return ok(ctx, json.dumps(answer, separators=(",", ":")))
