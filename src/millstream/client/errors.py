"""The exceptions the Millstream client raises, and the mapping from HTTP answers to them.

The client never lets an ``httpx`` exception escape: transport failures are translated
where they enter (``map_transport_errors``), error envelopes by ``error_for_response``.

    MillstreamClientError
    ├── ConfigError                  the profile file or settings cannot be used
    ├── TransportError               the server cannot be reached (connection, timeout, TLS)
    ├── ApiError                     the server answered with an error envelope
    │   ├── InvalidRequestError      400: the request is malformed or breaks a rule
    │   ├── AuthError                401/403: unknown key, bad signature, not allowed
    │   ├── NotFoundError            404: no such resource (or not visible to this key)
    │   ├── ConflictError            409: contradicts the current state (stale version, live job)
    │   └── ServerError              5xx: the server or one of its dependencies failed
    ├── UnexpectedStatusError        a waited-for resource ended in another terminal status
    └── WaitTimeoutError             (also a TimeoutError) the status was not reached in time
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

__all__ = [
    "ApiError",
    "AuthError",
    "ConfigError",
    "ConflictError",
    "InvalidRequestError",
    "MillstreamClientError",
    "NotFoundError",
    "ServerError",
    "TransportError",
    "UnexpectedStatusError",
    "WaitTimeoutError",
    "error_for_response",
    "map_transport_errors",
]


class MillstreamClientError(Exception):
    """Base of every error the client raises."""


class ConfigError(MillstreamClientError):
    """The credentials file or the settings given cannot be used."""


class TransportError(MillstreamClientError):
    """The server could not be reached or did not answer in time."""


class ApiError(MillstreamClientError):
    """The server answered with an error envelope (or a non-JSON error body)."""

    def __init__(
        self, status: int, code: str | None, message: str, request_id: str | None = None
    ) -> None:
        super().__init__(f"{status} {code or 'Error'}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id


class InvalidRequestError(ApiError):
    """400: the request is malformed or breaks a rule."""


class AuthError(ApiError):
    """401 or 403: the key is unknown, the signature wrong, or the role insufficient."""


class NotFoundError(ApiError):
    """404: the resource does not exist or is not visible to this key."""


class ConflictError(ApiError):
    """409: the request contradicts the resource's current state."""


class ServerError(ApiError):
    """5xx: the server or a dependency (Flink, the database) failed."""


class UnexpectedStatusError(MillstreamClientError):
    """A waited-for job or savepoint reached a terminal status that was not asked for."""

    def __init__(self, what: str, status: str | None, detail: str | None = None) -> None:
        text = f"{what} ended in status {status}"
        super().__init__(f"{text}: {detail}" if detail else text)
        self.status = status
        self.detail = detail


class WaitTimeoutError(MillstreamClientError, TimeoutError):
    """The wanted status was not reached in time; ``last_status`` is the last one seen."""

    def __init__(self, what: str, wanted: frozenset[str], last_status: str | None) -> None:
        super().__init__(
            f"timed out waiting for {what} to be {'/'.join(sorted(wanted))} "
            f"(last status: {last_status or 'unknown'})"
        )
        self.wanted = wanted
        self.last_status = last_status


def _error_class(status: int) -> type[ApiError]:
    if status in (401, 403):
        return AuthError
    if status == 404:
        return NotFoundError
    if status == 409:
        return ConflictError
    if status >= 500:
        return ServerError
    if status == 400:
        return InvalidRequestError
    return ApiError


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def error_for_response(status: int, body: Any, headers: httpx.Headers | None = None) -> ApiError:
    """The exception for an error answer, reading both envelope conventions.

    The native envelope carries ``errorCode``/``errorMessage``; the tea SDK convention
    ``code``/``message``; Alibaba's RPC one ``Code``/``Message`` (sdk-wire-notes §1.D).
    """
    request_id = headers.get("x-acs-request-id") if headers is not None else None
    code: str | None = None
    message: str | None = None
    if isinstance(body, dict):
        code = _text(body.get("errorCode") or body.get("code") or body.get("Code"))
        message = _text(body.get("errorMessage") or body.get("message") or body.get("Message"))
        request_id = _text(body.get("requestId") or body.get("RequestId")) or request_id
    elif isinstance(body, str) and body.strip():
        message = body.strip()[:500]
    return _error_class(status)(
        status, code, message or f"HTTP {status} without an error message", request_id
    )


@contextmanager
def map_transport_errors(url: str) -> Iterator[None]:
    """Re-raise httpx's transport failures as ``TransportError`` (as httpx maps httpcore's)."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise TransportError(f"no answer from {url} in time: {exc}") from exc
    except httpx.TransportError as exc:
        raise TransportError(f"cannot reach Millstream at {url}: {exc}") from exc
