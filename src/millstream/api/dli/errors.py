"""Domain errors -> DLI error codes and HTTP statuses (both tables total).

``DLI_CODES`` names every ``ErrorCode`` with a code of DLI's public error table
(``DLI.0001`` parameter check failed, ``DLI.0002`` object does not exist, ``DLI.0003``
permission check failed, ``DLI.0005`` SQL semantic error, ``DLI.0006`` object exists,
``DLI.0007`` operation not supported, ``DLI.0009`` system restriction, ``DLI.0012``
resource unavailable, ``DLI.0013`` user authentication failed, ``DLI.0019`` task failed,
``DLI.0999`` server error, ``DLI.1028`` quota insufficient). The HTTP status comes from
the error's class, most specific first (``STATUS_BY_ERROR``, looked up along the MRO).
``error_response`` turns any exception into the envelope; unexpected ones are logged and
answered 500 ``DLI.0999`` with the request id only. Used by the route class, the app's
404/405 fallback and the 413 of ``api.limits`` through ``DliEnvelope``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from millstream.api.dli.envelope import REQUEST_ID_HEADER, error_json, new_request_id
from millstream.domain.errors import (
    Conflict,
    EnginePermanentError,
    ErrorCode,
    InvalidInput,
    MillstreamError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Throttled,
    Unauthenticated,
    Unavailable,
)

__all__ = [
    "BAD_PARAMETER",
    "DLI_CODES",
    "INTERNAL",
    "STATUS_BY_ERROR",
    "UNSUPPORTED",
    "DialectError",
    "DliEnvelope",
    "error_response",
    "status_for",
    "validation_message",
]

_log = logging.getLogger(__name__)

BAD_PARAMETER = "DLI.0001"
NOT_EXIST = "DLI.0002"
NO_PERMISSION = "DLI.0003"
SQL_ERROR = "DLI.0005"
EXISTS = "DLI.0006"
UNSUPPORTED = "DLI.0007"
RESTRICTED = "DLI.0009"
UNAVAILABLE = "DLI.0012"
AUTHENTICATION = "DLI.0013"
TASK_FAILED = "DLI.0019"
INTERNAL = "DLI.0999"
QUOTA = "DLI.1028"

STATUS_BY_ERROR: Mapping[type[MillstreamError], int] = MappingProxyType(
    {
        InvalidInput: 400,
        Unauthenticated: 401,
        PermissionDenied: 403,
        NotFound: 404,
        Conflict: 409,
        PayloadTooLarge: 413,
        Unavailable: 503,
        Throttled: 429,
        # Flink refused for good (bad jar, bad plan): a 4xx, retrying will not help.
        EnginePermanentError: 400,
    }
)

DLI_CODES: Mapping[ErrorCode, str] = MappingProxyType(
    {
        ErrorCode.INTERNAL: INTERNAL,
        ErrorCode.INVALID_INPUT: BAD_PARAMETER,
        ErrorCode.INVALID_SQL: SQL_ERROR,
        ErrorCode.INVALID_ARTIFACT: BAD_PARAMETER,
        ErrorCode.UNKNOWN_VARIABLE: BAD_PARAMETER,
        ErrorCode.NOT_FOUND: NOT_EXIST,
        ErrorCode.CONFLICT: UNSUPPORTED,
        ErrorCode.JOB_ALREADY_LIVE: UNSUPPORTED,
        ErrorCode.INVALID_TRANSITION: UNSUPPORTED,
        ErrorCode.STALE_VERSION: UNSUPPORTED,
        ErrorCode.UNAUTHENTICATED: AUTHENTICATION,
        ErrorCode.PERMISSION_DENIED: NO_PERMISSION,
        ErrorCode.PAYLOAD_TOO_LARGE: RESTRICTED,
        ErrorCode.UNAVAILABLE: UNAVAILABLE,
        ErrorCode.ENGINE_UNAVAILABLE: UNAVAILABLE,
        ErrorCode.STORE_UNAVAILABLE: UNAVAILABLE,
        ErrorCode.ENGINE_REJECTED: TASK_FAILED,
        ErrorCode.NAMESPACE_NOT_FOUND: NOT_EXIST,
        ErrorCode.DEPLOYMENT_NOT_FOUND: NOT_EXIST,
        ErrorCode.DEPLOYMENT_NAME_TAKEN: EXISTS,
        ErrorCode.DEPLOYMENT_HAS_LIVE_JOB: UNSUPPORTED,
        ErrorCode.UNSUPPORTED_RESOURCE_PLAN: BAD_PARAMETER,
        ErrorCode.INVALID_ENGINE_VERSION: BAD_PARAMETER,
        ErrorCode.JOB_NOT_FOUND: NOT_EXIST,
        ErrorCode.JOB_NOT_RUNNING: UNSUPPORTED,
        ErrorCode.JOB_NOT_STOPPABLE: UNSUPPORTED,
        ErrorCode.JOB_NOT_SUBMITTED: UNSUPPORTED,
        ErrorCode.JOB_NOT_TERMINAL: UNSUPPORTED,
        ErrorCode.SAVEPOINT_NOT_FOUND: NOT_EXIST,
        ErrorCode.SAVEPOINT_IN_PROGRESS: UNSUPPORTED,
        ErrorCode.SAVEPOINT_IN_USE: UNSUPPORTED,
        ErrorCode.SAVEPOINT_NOT_COMPLETED: BAD_PARAMETER,
        ErrorCode.SAVEPOINT_OF_OTHER_DEPLOYMENT: BAD_PARAMETER,
        ErrorCode.HOT_UPDATE_NOT_FOUND: NOT_EXIST,
        ErrorCode.HOT_UPDATE_IN_PROGRESS: UNSUPPORTED,
        ErrorCode.HOT_UPDATE_NO_CHANGE: BAD_PARAMETER,
        ErrorCode.ARTIFACT_NOT_FOUND: NOT_EXIST,
        ErrorCode.PRESIGNED_URL_INVALID: BAD_PARAMETER,
        ErrorCode.PRESIGNED_URL_EXPIRED: BAD_PARAMETER,
        ErrorCode.VARIABLE_NOT_FOUND: NOT_EXIST,
        ErrorCode.VARIABLE_EXISTS: EXISTS,
        ErrorCode.INVALID_VARIABLE_NAME: BAD_PARAMETER,
        ErrorCode.INVALID_VARIABLE_KIND: BAD_PARAMETER,
        ErrorCode.INVALID_VARIABLE_VALUE: BAD_PARAMETER,
        ErrorCode.INVALID_SECRET_KEY: BAD_PARAMETER,
        ErrorCode.SECRET_KEY_MISMATCH: INTERNAL,
        ErrorCode.CLUSTER_NOT_FOUND: NOT_EXIST,
        ErrorCode.CLUSTER_IN_USE: UNSUPPORTED,
        ErrorCode.INVALID_CLUSTER_NAME: BAD_PARAMETER,
        ErrorCode.SESSION_CLUSTER_NOT_FOUND: NOT_EXIST,
        ErrorCode.SESSION_CLUSTER_NOT_STOPPED: UNSUPPORTED,
        ErrorCode.EXTERNAL_CLUSTER_NOT_FOUND: NOT_EXIST,
        ErrorCode.DEFAULT_CLUSTER_READ_ONLY: UNSUPPORTED,
        ErrorCode.CLUSTER_URL_REQUIRED: BAD_PARAMETER,
        ErrorCode.CLUSTER_URL_INVALID: BAD_PARAMETER,
        ErrorCode.CLUSTER_URL_UNREACHABLE: UNAVAILABLE,
        ErrorCode.FLINK_API_PATH_NOT_ALLOWED: NO_PERMISSION,
        ErrorCode.FLINK_API_NOT_FOUND: NOT_EXIST,
        ErrorCode.FLINK_API_REJECTED: BAD_PARAMETER,
        ErrorCode.QUEUE_NOT_FOUND: NOT_EXIST,
        ErrorCode.QUEUE_EXISTS: EXISTS,
        ErrorCode.QUEUE_IN_USE: UNSUPPORTED,
        ErrorCode.QUEUE_NOT_ALLOWED: NO_PERMISSION,
        ErrorCode.JOB_TOO_LARGE: QUOTA,
        ErrorCode.INVALID_QUEUE: BAD_PARAMETER,
        ErrorCode.INVALID_QUEUE_NAME: BAD_PARAMETER,
        ErrorCode.INVALID_QUEUE_CAPACITY: BAD_PARAMETER,
        ErrorCode.JOB_LOG_NOT_FOUND: NOT_EXIST,
        ErrorCode.INVALID_LOG_KIND: BAD_PARAMETER,
        ErrorCode.INVALID_LOG_LEVEL: BAD_PARAMETER,
        ErrorCode.INVALID_LOGGER_NAME: BAD_PARAMETER,
        ErrorCode.INVALID_LOG_RETENTION: BAD_PARAMETER,
        ErrorCode.INVALID_LOG_TEMPLATE: BAD_PARAMETER,
        ErrorCode.USER_NOT_FOUND: NOT_EXIST,
        ErrorCode.USER_EXISTS: EXISTS,
        ErrorCode.MEMBER_NOT_FOUND: NOT_EXIST,
        ErrorCode.MEMBER_EXISTS: EXISTS,
        ErrorCode.INVALID_ROLE: BAD_PARAMETER,
        ErrorCode.ACCESS_KEY_NOT_FOUND: NOT_EXIST,
        ErrorCode.ACCESS_KEY_EXISTS: EXISTS,
        ErrorCode.UNKNOWN_ACCESS_KEY: AUTHENTICATION,
        ErrorCode.ACCESS_KEY_DISABLED: AUTHENTICATION,
        ErrorCode.MISSING_CREDENTIALS: AUTHENTICATION,
        ErrorCode.MALFORMED_SIGNATURE: AUTHENTICATION,
        ErrorCode.SIGNATURE_MISMATCH: AUTHENTICATION,
        ErrorCode.INVALID_TIMESTAMP: AUTHENTICATION,
        ErrorCode.REQUEST_TIME_SKEWED: AUTHENTICATION,
        ErrorCode.NONCE_REUSED: AUTHENTICATION,
        ErrorCode.THROTTLED: RESTRICTED,
    }
)

_INTERNAL_MESSAGE = "internal error; the server logged the details under this request id"

# Failures the HTTP layer raises itself (no domain error behind them).
_HTTP_CODES = {404: UNSUPPORTED, 405: UNSUPPORTED, 413: RESTRICTED, 415: BAD_PARAMETER}


class DialectError(Exception):
    """A request this dialect refuses before any use case runs (bad JSON, wrong project)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def status_for(error: MillstreamError) -> int:
    """HTTP status of a domain error: the entry of its most specific mapped class."""
    for cls in type(error).__mro__:
        status = STATUS_BY_ERROR.get(cls)
        if status is not None:
            return status
    return 500


def validation_message(errors: Sequence[object]) -> str:
    """One line naming each offending wire field (``cu_number: Input should be...``)."""
    problems = []
    for problem in errors:
        if not isinstance(problem, dict):
            continue
        loc = [str(part) for part in problem.get("loc", ()) or () if part != "body"]
        problems.append(f"{'.'.join(loc) or 'request'}: {problem.get('msg', 'invalid')}")
    return "; ".join(problems) or "invalid request"


def error_response(exc: Exception, request_id: str) -> JSONResponse:
    """The envelope for any exception; unexpected ones are logged and answered 500."""
    if isinstance(exc, HTTPException) and isinstance(exc.__cause__, MillstreamError):
        exc = exc.__cause__  # e.g. PayloadTooLarge raised while the body was read
    if isinstance(exc, DialectError):
        return error_json(request_id, exc.status, exc.code, exc.message)
    if isinstance(exc, MillstreamError):
        status = status_for(exc)
        if status == 500:
            _log.error("unmapped error %s (request %s)", exc.code, request_id, exc_info=exc)
            return error_json(request_id, 500, INTERNAL, _INTERNAL_MESSAGE)
        return error_json(request_id, status, DLI_CODES[exc.code], exc.message)
    if isinstance(exc, ValidationError | RequestValidationError):
        return error_json(request_id, 400, BAD_PARAMETER, validation_message(exc.errors()))
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        code = _HTTP_CODES.get(exc.status_code, BAD_PARAMETER)
        return error_json(request_id, exc.status_code, code, str(exc.detail))
    _log.error("unexpected error (request %s)", request_id, exc_info=exc)
    return error_json(request_id, 500, INTERNAL, _INTERNAL_MESSAGE)


class DliEnvelope:
    """The dialect's ``Envelope`` (``api.dialect``)."""

    @property
    def request_id_header(self) -> str:
        return REQUEST_ID_HEADER

    def new_request_id(self) -> str:
        return new_request_id()

    def error(self, exc: Exception, request_id: str) -> Response:
        return error_response(exc, request_id)
