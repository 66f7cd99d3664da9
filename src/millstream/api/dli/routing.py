"""How the DLI dialect's routes run: its route class, its routers and the body parser.

``DliRoute`` names the dialect's envelope (every failure under its routes, including the
guard's signature failures, answers ``{"error_code": "DLI.xxxx", "error_msg", ...}`` with
``X-Request-Id``), its operation table and an empty scope resolver (``context``
resolves the project itself). ``parse_body`` reads a JSON object body under the shared
JSON limits and validates it against a schema: malformed JSON, a body that is not an
object and a field of the wrong type are all a 400 ``DLI.0001`` naming the problem.
Used by ``jobs`` and ``queues``.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel

from millstream.api.dialect import DialectRoute, ScopeResolver
from millstream.api.dli.errors import BAD_PARAMETER, DialectError, DliEnvelope
from millstream.api.dli.operations import DIALECT, OPERATIONS
from millstream.api.json_shape import check_json_shape

__all__ = ["V1", "DliRoute", "dli_router", "parse_body"]

V1 = "/v1.0/{project_id}"

_M = TypeVar("_M", bound=BaseModel)


class DliRoute(DialectRoute):
    dialect = DIALECT
    envelope = DliEnvelope()
    operations = OPERATIONS
    scopes = ScopeResolver(namespace=())


def dli_router() -> APIRouter:
    return APIRouter(route_class=DliRoute)


async def parse_body(request: Request, model: type[_M]) -> _M:
    """The JSON object body as ``model`` (an empty body is ``{}``)."""
    raw = await request.body()
    decoded: Any = {}
    if raw.strip():
        try:
            decoded = json.loads(raw)
        except RecursionError:
            raise DialectError(400, BAD_PARAMETER, "the body is nested too deeply") from None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise DialectError(400, BAD_PARAMETER, f"the body is not valid JSON: {exc}") from None
        try:
            check_json_shape(decoded)
        except ValueError as exc:
            raise DialectError(400, BAD_PARAMETER, f"the body {exc}") from None
    if not isinstance(decoded, dict):
        raise DialectError(400, BAD_PARAMETER, "the body must be a JSON object")
    return model.model_validate(decoded)
