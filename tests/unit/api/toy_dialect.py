"""A tiny second dialect for tests: its own envelope (``{"Error": {...}, "RequestId"}``),
request-id header, operation table and a scope in the JSON body (``ProjectId``), as a
Volcengine-like dialect would have. It shows two dialects coexisting on one app."""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response

from millstream.api.dialect import (
    Context,
    Dialect,
    DialectRoute,
    OperationTable,
    ScopeResolver,
    header,
    json_field,
    query_param,
    read,
    write,
)
from millstream.domain.errors import (
    InvalidInput,
    MillstreamError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Unauthenticated,
)

__all__ = ["REQUEST_ID_HEADER", "TOY"]

REQUEST_ID_HEADER = "x-toy-request-id"

_STATUS: tuple[tuple[type[MillstreamError], int, str], ...] = (
    (InvalidInput, 400, "Toy.InvalidParameter"),
    (Unauthenticated, 401, "Toy.Unauthorized"),
    (PermissionDenied, 403, "Toy.AccessDenied"),
    (NotFound, 404, "Toy.NotFound"),
    (PayloadTooLarge, 413, "Toy.TooLarge"),
)


class ToyEnvelope:
    request_id_header = REQUEST_ID_HEADER

    def new_request_id(self) -> str:
        return "toy-" + uuid.uuid4().hex

    def error(self, exc: Exception, request_id: str) -> Response:
        status, code, message = 500, "Toy.InternalError", "internal error"
        if isinstance(exc, MillstreamError):
            for cls, mapped, wire in _STATUS:
                if isinstance(exc, cls):
                    status, code, message = mapped, wire, exc.message
        elif isinstance(exc, RequestValidationError):
            status, code, message = 422, "Toy.Invalid", str(exc.errors()[0]["loc"])
        elif isinstance(exc, HTTPException):
            status, code, message = exc.status_code, f"Toy.{exc.status_code}", str(exc.detail)
        body = {"Error": {"Code": code, "Message": message}, "RequestId": request_id}
        return JSONResponse(body, status_code=status, headers={REQUEST_ID_HEADER: request_id})


TOY_OPERATIONS = OperationTable(
    "toy",
    [
        write("CreateThing"),
        read("DescribeThings"),  # a POST that reads
        read("Explode"),
        read("Version", scoped=False),
    ],
)


class ToyRoute(DialectRoute):
    dialect = "toy"
    envelope = ToyEnvelope()
    operations = TOY_OPERATIONS
    scopes = ScopeResolver(
        namespace=(json_field("ProjectId"), query_param("ProjectId")),
        workspace=(header("X-Account"),),
    )


router = APIRouter(route_class=ToyRoute)


class ThingBody(BaseModel):
    ProjectId: str
    Name: str


def _result(ctx: Context, **extra: Any) -> JSONResponse:
    scope = ctx.scope
    result = {"Workspace": scope.workspace, "Project": scope.namespace, "Actor": ctx.actor.name}
    return JSONResponse(
        {"Result": {**result, **extra}, "RequestId": ctx.request_id},
        headers={REQUEST_ID_HEADER: ctx.request_id},
    )


@router.post("/toy/v1/things", name="CreateThing")
def create_thing(ctx: Context, body: ThingBody) -> JSONResponse:
    return _result(ctx, Name=body.Name, Operation=ctx.operation.name)


@router.post("/toy/v1/things:describe", name="DescribeThings")
def describe_things(ctx: Context) -> JSONResponse:
    return _result(ctx, Operation=ctx.operation.name)


@router.get("/toy/v1/explode", name="Explode")
def explode(ctx: Context) -> JSONResponse:  # noqa: ARG001 (the guard must have run)
    raise RuntimeError("a secret stack trace")


@router.get("/toy/v1/version", name="Version")
def version(ctx: Context) -> JSONResponse:
    return JSONResponse({"Result": "1"}, headers={REQUEST_ID_HEADER: ctx.request_id})


TOY = Dialect(
    name="toy",
    route_class=ToyRoute,
    routers=[router],
    verifiers=(),
    prefixes=("/toy/v1/",),
)
