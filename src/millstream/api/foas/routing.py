"""How the foas dialect's routes run: its route class, its routers and the request
parameters.

``FoasRoute`` names the dialect's envelope (every failure under its routes, including
the guard's signature failures, answers ``{"RequestId", "HostId", "Code", "Message"}``),
its operation table and an empty scope resolver (``context`` resolves the project
itself), and answers in XML while the request asks ``Format=XML``.

``Params`` reads what ``aliyun-python-sdk-foas`` sends: path parameters, the query and an
``application/x-www-form-urlencoded`` body (sdk-wire-notes.md §2; a JSON object body,
as the document's examples print, is read too). Booleans arrive as ``True``/``False``
(Python's ``str(bool)``), ``true``/``false`` are accepted as well. A malformed or
missing parameter is a 400 ``InvalidParameter`` / ``MissingParameter`` naming it. Used
by every operation module.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response

from millstream.api.dialect import DialectRoute, ScopeResolver
from millstream.api.foas.envelope import use_format, wants_xml
from millstream.api.foas.errors import INVALID_PARAMETER, FoasEnvelope, FoasError
from millstream.api.foas.operations import DIALECT, OPERATIONS
from millstream.api.json_shape import check_json_shape

__all__ = [
    "CLUSTERS",
    "INSTANCE",
    "JOB",
    "PROJECT",
    "FoasRoute",
    "Params",
    "foas_router",
    "read_params",
]

PROJECT = "/api/v2/projects/{projectName}"
JOB = PROJECT + "/jobs/{jobName}"
INSTANCE = JOB + "/instances/{instanceId}"
CLUSTERS = "/api/v2/clusters"

MISSING_PARAMETER = "MissingParameter"
_BOOLEANS = {"true": True, "false": False}
_FORM = "application/x-www-form-urlencoded"


class FoasRoute(DialectRoute):
    dialect = DIALECT
    envelope = FoasEnvelope()
    operations = OPERATIONS
    scopes = ScopeResolver(namespace=())

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        root = f"{self.name}Response"

        async def formatted(request: Request) -> Response:
            with use_format(root if wants_xml(request.query_params) else None):
                return await handler(request)

        return formatted


def foas_router() -> APIRouter:
    return APIRouter(route_class=FoasRoute)


@dataclass(frozen=True, slots=True)
class Params:
    """A request's parameters: the body's fields over the query's."""

    values: Mapping[str, str]

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return value if value not in (None, "") else None

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise FoasError(400, MISSING_PARAMETER, f"{name} is required")
        return value

    def integer(self, name: str, default: int | None = None, *, low: int = 0) -> int | None:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise FoasError(
                400, INVALID_PARAMETER, f"{name} must be an integer, not {raw[:40]!r}"
            ) from None
        if value < low:
            raise FoasError(400, INVALID_PARAMETER, f"{name} must be at least {low}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        found = _BOOLEANS.get(raw.lower())
        if found is None:
            raise FoasError(
                400, INVALID_PARAMETER, f"{name} must be True or False, not {raw[:40]!r}"
            )
        return found


def _decode_json(raw: bytes) -> dict[str, str]:
    try:
        decoded = json.loads(raw)
        check_json_shape(decoded)
    except RecursionError:
        raise FoasError(400, INVALID_PARAMETER, "the body is nested too deeply") from None
    except ValueError as exc:
        raise FoasError(400, INVALID_PARAMETER, f"the body is not valid JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise FoasError(400, INVALID_PARAMETER, "a JSON body must be an object")
    # Nested values (parameterJson sent as an object) are kept as their JSON text.
    return {
        str(k): v if isinstance(v, str) else json.dumps(v)
        for k, v in decoded.items()
        if v is not None
    }


async def read_params(request: Request) -> Params:
    """The query, then the body's fields (form or JSON), as one ``Params``."""
    values = dict(request.query_params)
    raw = await request.body()
    if raw.strip():
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        looks_json = content_type != _FORM and raw.lstrip()[:1] == b"{"
        if content_type == "application/json" or looks_json:
            values.update(_decode_json(raw))
        else:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise FoasError(400, INVALID_PARAMETER, "the body is not UTF-8") from None
            values.update(parse_qsl(text, keep_blank_values=True))
    return Params(values)
