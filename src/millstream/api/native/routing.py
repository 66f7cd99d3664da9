"""The native dialect's route class and the request context its handlers take.

``NativeApiRoute`` is ``api.dialect.DialectRoute`` with the native envelope, operation
table and scope resolver: the ``workspace`` header (default: the server's default
workspace) and the ``{namespace}`` path parameter, or the ``namespace`` query parameter
(FlinkApiProxy). A route module makes its router with ``native_router()`` and names each
route after its operation::

    router = native_router()

    @router.get(NAMESPACE + "/jobs/{job_id}", name="GetJob")
    def get_job(ctx: Ctx, job_id: Identifier) -> JSONResponse: ...

``Ctx`` (namespaced routes) validates the native path parameters and yields the shared
``RequestContext``; routes outside a namespace take ``api.dialect.Context``.
"""

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from millstream.api.dialect import Context, DialectRoute, RequestContext, ScopeResolver
from millstream.api.dialect.scopes import header, json_field, path_param, query_param
from millstream.api.native.envelope import ENVELOPE
from millstream.api.native.errors import ok_response
from millstream.api.native.operation_table import OPERATIONS
from millstream.api.native.params import Namespace, Workspace
from millstream.domain.errors import NotFound

__all__ = [
    "SCOPES",
    "Ctx",
    "NativeApiRoute",
    "dump",
    "native_router",
    "not_enabled",
    "ok",
    "page",
]

SCOPES = ScopeResolver(
    # A JSON body's ``namespace`` last: GetLineageInfo (``/meta/v2/lineage``) has no path.
    namespace=(path_param("namespace"), query_param("namespace"), json_field("namespace")),
    workspace=(header("workspace"), json_field("workspace")),
)


class NativeApiRoute(DialectRoute):
    dialect = "native"
    envelope = ENVELOPE
    operations = OPERATIONS
    scopes = SCOPES


def native_router() -> APIRouter:
    """A route module's router: every route answers the native envelope."""
    return APIRouter(route_class=NativeApiRoute)


# async: FastAPI runs a sync dependency in a worker thread, a hop that did nothing here.
async def _namespaced(
    ctx: Context,
    namespace: Namespace,  # noqa: ARG001 (validated here; ctx.scope carries it)
    workspace: Workspace = None,  # noqa: ARG001 (documented here; ctx.scope carries it)
) -> RequestContext:
    return ctx


Ctx = Annotated[RequestContext, Depends(_namespaced)]


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def ok(ctx: RequestContext, data: Any = None, **extra: Any) -> JSONResponse:
    """The 200 envelope; ``extra`` adds top-level fields (pageIndex, pageSize...)."""
    return ok_response(ctx.request_id, data, **extra)


def page(
    ctx: RequestContext, items: Sequence[Any], index: int, size: int, total: int
) -> JSONResponse:
    """A page envelope; ``items``: wire dicts, or ready JSON (``orjson.Fragment``)."""
    return ok_response(ctx.request_id, items, pageIndex=index, pageSize=size, totalSize=total)


def not_enabled(feature: str) -> NotFound:
    """For a service this server was built without (a test app, a tool)."""
    return NotFound(f"{feature} are not enabled on this server")
