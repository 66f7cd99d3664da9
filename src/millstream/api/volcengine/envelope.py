"""The Volcengine OpenAPI envelope (sdk-wire-notes.md §3D): every answer carries
``ResponseMetadata {RequestId, Action, Version, Service, Region}``; a success adds
``Result``, an error adds ``ResponseMetadata.Error {Code, Message}`` and a 4xx/5xx status.

The SDK raises ``ApiException`` for any non-2xx status and for a 200 whose metadata has an
``Error``; a 200 without ``ResponseMetadata`` is an error to it too, so every answer of
this dialect, including authentication failures and unknown actions, goes through here.
The request id is also sent as ``X-Tt-Logid`` (Volcengine's header, read by the audit log).
Used by ``errors`` and ``routes``.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import JSONResponse

from millstream.api.json_response import JsonResponse

__all__ = [
    "DEFAULT_REGION",
    "REQUEST_ID_HEADER",
    "SERVICE",
    "VERSION",
    "Metadata",
    "bind_metadata",
    "current_metadata",
    "error_json",
    "new_request_id",
    "ok_json",
    "reset_metadata",
]

SERVICE = "flink"
VERSION = "2025-01-01"
DEFAULT_REGION = "cn-beijing"
REQUEST_ID_HEADER = "X-Tt-Logid"


def new_request_id(now: datetime | None = None) -> str:
    """Volcengine's shape: a UTC timestamp then random hex, 32 characters, upper case."""
    at = now or datetime.now(UTC)
    return at.strftime("%Y%m%d%H%M%S") + secrets.token_hex(9).upper()


@dataclass(frozen=True, slots=True)
class Metadata:
    """``ResponseMetadata`` of one call; Action and Version echo what the caller sent."""

    request_id: str
    action: str = ""
    version: str = VERSION
    region: str = DEFAULT_REGION

    def with_call(self, *, action: str | None, version: str | None) -> Metadata:
        return replace(self, action=action or "", version=version or VERSION)

    def wire(self) -> dict[str, Any]:
        return {
            "RequestId": self.request_id,
            "Action": self.action,
            "Version": self.version,
            "Service": SERVICE,
            "Region": self.region,
        }


# The metadata of the call being answered, so an error raised anywhere in it (the guard,
# the Action dispatch, a use case) is answered with the Action, Version and Region the
# caller sent. Set by the route class around each call.
_CURRENT: ContextVar[Metadata | None] = ContextVar("volcengine_metadata", default=None)


def bind_metadata(meta: Metadata) -> Token[Metadata | None]:
    """Make ``meta`` the current call's metadata; returns the token for ``reset_metadata``."""
    return _CURRENT.set(meta)


def reset_metadata(token: Token[Metadata | None]) -> None:
    _CURRENT.reset(token)


def current_metadata(request_id: str) -> Metadata:
    """The current call's metadata under ``request_id`` (bare metadata outside a call)."""
    found = _CURRENT.get()
    if found is None:
        return Metadata(request_id=request_id)
    return replace(found, request_id=request_id)


def ok_json(meta: Metadata, result: dict[str, Any]) -> JSONResponse:
    """A 200 with ``ResponseMetadata`` and ``Result``."""
    return JsonResponse(
        {"ResponseMetadata": meta.wire(), "Result": result},
        headers={REQUEST_ID_HEADER: meta.request_id},
    )


def error_json(meta: Metadata, status: int, code: str, message: str) -> JSONResponse:
    """An error: ``status`` >= 400 and ``ResponseMetadata.Error``."""
    body = {"ResponseMetadata": {**meta.wire(), "Error": {"Code": code, "Message": message}}}
    return JsonResponse(body, status_code=status, headers={REQUEST_ID_HEADER: meta.request_id})
