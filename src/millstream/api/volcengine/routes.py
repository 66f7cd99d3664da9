"""The Volcengine dialect's one route: RPC on ``/`` with ``Action`` and ``Version`` in
the query (sdk-wire-notes.md §3), parameters in a JSON body (POST) or the query (GET,
GetGMCSResourcePool), merged: body fields win over query ones.

``VolcengineRoute`` picks the operation from ``Action`` before anything runs (an unknown
Action or a Version other than 2025-01-01 is a 404 ``InvalidActionOrVersion``), binds the
call's ``ResponseMetadata`` so that every error, including the guard's authentication
failures, is answered in the envelope with the Action, Version and Region the caller
sent, and then the shared guard authenticates the caller. ``dispatch`` parses the
parameters, runs the operation's handler (``operations.HANDLERS``) in the thread pool and
answers ``ResponseMetadata`` + ``Result``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import (
    Context,
    DialectRoute,
    Operation,
    ScopeResolver,
    query_param,
)
from millstream.api.json_shape import check_json_shape
from millstream.api.volcengine.context import Backend, Call
from millstream.api.volcengine.envelope import (
    VERSION,
    Metadata,
    bind_metadata,
    current_metadata,
    ok_json,
    reset_metadata,
)
from millstream.api.volcengine.errors import (
    INVALID_ACTION,
    MALFORMED_JSON,
    MISSING_PARAMETER,
    DialectError,
    VolcengineEnvelope,
)
from millstream.api.volcengine.ids import Ids
from millstream.api.volcengine.operations import DIALECT, HANDLERS, OPERATIONS
from millstream.api.volcengine.signature import credential_scope
from millstream.control.services import Services

__all__ = ["PATH", "VolcengineRoute", "backend_of", "router"]

PATH = "/"
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_CALL_METHODS = frozenset({"GET", "POST"})
_RESERVED = frozenset({"Action", "Version"})
INVOCATION_HEADER = "x-sdk-invocation-id"


def _metadata(request: Request) -> Metadata:
    scope = credential_scope(request.headers.get("authorization"))
    meta = Metadata(request_id="").with_call(
        action=request.query_params.get("Action"), version=request.query_params.get("Version")
    )
    if scope is not None:
        return Metadata(
            request_id="", action=meta.action, version=meta.version, region=scope.region
        )
    return meta


def _operation(request: Request) -> Operation:
    if request.method.upper() not in _CALL_METHODS:
        raise DialectError(
            405, "MethodNotAllowed", f"{request.method} is not allowed; call actions with POST"
        )
    action = request.query_params.get("Action")
    version = request.query_params.get("Version")
    if not action:
        raise DialectError(400, MISSING_PARAMETER, "the Action query parameter is required")
    if not version:
        raise DialectError(400, MISSING_PARAMETER, "the Version query parameter is required")
    if action not in OPERATIONS:
        raise DialectError(
            404,
            INVALID_ACTION,
            f"Action {action!r} is not an operation of Flink {VERSION}; see "
            "the operations of the volcenginesdkflink20250101 SDK",
        )
    if version != VERSION:
        raise DialectError(
            404, INVALID_ACTION, f"Version {version!r} of {action} is not supported; use {VERSION}"
        )
    return OPERATIONS[action]


class VolcengineRoute(DialectRoute):
    """``/?Action=...&Version=2025-01-01``: one route, 17 operations."""

    dialect = DIALECT
    envelope = VolcengineEnvelope()
    operations = OPERATIONS
    # Handlers resolve the project themselves (``ProjectId`` in the body or the query,
    # its ``default`` alias, or the project of the id a call names), check the role there
    # and hand that scope to the audit log (``Call.on_scope``); the shared resolver only
    # sees the query, so a body is parsed once, by ``_params``, under its limits.
    scopes = ScopeResolver(namespace=(query_param("ProjectId"),))

    def operation_for(self, request: Request) -> Operation:
        return _operation(request)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def volcengine_handler(request: Request) -> Response:
            token = bind_metadata(_metadata(request))
            try:
                return await handler(request)
            finally:
                reset_metadata(token)

        return volcengine_handler


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = {
        key: value for key, value in request.query_params.items() if key not in _RESERVED
    }
    body = await request.body()
    if request.method.upper() == "POST" and body.strip():
        try:
            decoded = json.loads(body)
            check_json_shape(decoded)
        except RecursionError:
            raise DialectError(400, MALFORMED_JSON, "the body is nested too deeply") from None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise DialectError(400, MALFORMED_JSON, f"the body is not valid JSON: {exc}") from None
        if not isinstance(decoded, dict):
            raise DialectError(400, MALFORMED_JSON, "the body must be a JSON object")
        params.update(decoded)
    return params


def backend_of(services: Services) -> Backend:
    """What the handlers call, from the services the app factory wired."""
    return Backend(
        services=services,
        access=services.access,
        locator=services.locator,
        ids=Ids(services.external_keys, workspace=services.default_workspace),
        default_namespace=services.default_namespace,
        clusters=services.clusters,
    )


router = APIRouter(route_class=VolcengineRoute)


# The route's own name must be an operation of the table; the call's operation is the
# Action (``VolcengineRoute.operation_for``), which is what roles and the audit log use.
@router.api_route(PATH, methods=_METHODS, name="StartApplicationInstance", include_in_schema=False)
async def dispatch(request: Request, ctx: Context) -> JSONResponse:
    params = await _params(request)
    call = Call(
        backend=backend_of(ctx.services),
        actor=ctx.actor,
        params=params,
        write=ctx.operation.writes,
        invocation_id=request.headers.get(INVOCATION_HEADER),
        # The audit log reads the call's scope from the request state.
        on_scope=lambda scope: setattr(request.state, "scope", scope),
    )
    result = await run_in_threadpool(HANDLERS[ctx.operation.name], call)
    return ok_json(current_metadata(ctx.request_id), result)
