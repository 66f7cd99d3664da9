"""Domain errors -> foas error codes and HTTP statuses (both tables total).

The document lists no error codes of its own (spec §1.6 defers to Alibaba Cloud's common
table), so the codes follow the style of that table and of the issue: ``InvalidParameter``,
``<Resource>.NotFound``, ``<Resource>.AlreadyExists``, ``<Resource>.InvalidState``, and
the common authentication codes (``InvalidAccessKeyId.NotFound``, ``SignatureDoesNotMatch``,
``IncompleteSignature``, ``InvalidTimeStamp.Expired``, ``SignatureNonceUsed``,
``Throttling``). The HTTP status comes from the error's class, most specific first
(``STATUS_BY_ERROR``, looked up along the MRO). ``error_response`` turns any exception
into the envelope; unexpected ones are logged and answered 500 ``InternalError`` with the
request id only; an operation not built yet is 501 ``NotImplemented``
(``not_implemented``). Used by the route class, the app's 404/405 fallback and the 413
of ``api.limits`` through ``FoasEnvelope``. The README lists the codes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from millstream.api.foas.envelope import REQUEST_ID_HEADER, error_body, new_request_id, render
from millstream.domain.errors import (
    Conflict,
    EnginePermanentError,
    ErrorCode,
    InvalidInput,
    InvalidSql,
    MillstreamError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Throttled,
    Unauthenticated,
    Unavailable,
)

__all__ = [
    "FOAS_CODES",
    "FOLDER_NOT_FOUND",
    "INTERNAL",
    "INVALID_PARAMETER",
    "NOT_IMPLEMENTED",
    "PROJECT_EXISTS",
    "PROJECT_IN_USE",
    "STATUS_BY_ERROR",
    "FoasEnvelope",
    "FoasError",
    "error_response",
    "not_implemented",
    "status_for",
]

_log = logging.getLogger(__name__)

INVALID_PARAMETER = "InvalidParameter"
MISSING_PARAMETER = "MissingParameter"
INTERNAL = "InternalError"
NOT_IMPLEMENTED = "NotImplemented"
UNSUPPORTED = "OperationDenied"
UNAVAILABLE = "ServiceUnavailable"
FORBIDDEN = "Forbidden.RAM"
NOT_FOUND = "ResourceNotFound"
ALREADY_EXISTS = "ResourceAlreadyExists"
JOB_NOT_FOUND = "Job.NotFound"
JOB_EXISTS = "Job.AlreadyExists"
JOB_INVALID_STATE = "Job.InvalidState"
INSTANCE_NOT_FOUND = "Instance.NotFound"
INSTANCE_INVALID_STATE = "Instance.InvalidState"
PROJECT_NOT_FOUND = "Project.NotFound"
PROJECT_EXISTS = "Project.AlreadyExists"
PROJECT_IN_USE = "Project.InUse"
FOLDER_NOT_FOUND = "Folder.NotFound"
INVALID_SQL = "Job.InvalidSql"
PACKAGE_NOT_FOUND = "Package.NotFound"
CLUSTER_NOT_FOUND = "Cluster.NotFound"
CLUSTER_IN_USE = "Cluster.InUse"
QUEUE_NOT_FOUND = "Queue.NotFound"
QUEUE_EXISTS = "Queue.AlreadyExists"
QUEUE_IN_USE = "Queue.InUse"
QUOTA = "QuotaExceeded"
CHECKPOINT_NOT_FOUND = "Checkpoint.NotFound"
CHECKPOINT_IN_PROGRESS = "Checkpoint.InProgress"
ENGINE_REJECTED = "Engine.Rejected"
ENGINE_UNAVAILABLE = "Engine.Unavailable"
AK_NOT_FOUND = "InvalidAccessKeyId.NotFound"
AK_DISABLED = "InvalidAccessKeyId.Inactive"
INCOMPLETE_SIGNATURE = "IncompleteSignature"
SIGNATURE_MISMATCH = "SignatureDoesNotMatch"
TIMESTAMP = "InvalidTimeStamp.Expired"
NONCE_USED = "SignatureNonceUsed"
THROTTLING = "Throttling"
TOO_LARGE = "RequestEntityTooLarge"

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

FOAS_CODES: Mapping[ErrorCode, str] = MappingProxyType(
    {
        ErrorCode.INTERNAL: INTERNAL,
        ErrorCode.INVALID_INPUT: INVALID_PARAMETER,
        ErrorCode.INVALID_SQL: INVALID_SQL,
        ErrorCode.INVALID_ARTIFACT: INVALID_PARAMETER,
        ErrorCode.UNKNOWN_VARIABLE: INVALID_PARAMETER,
        ErrorCode.NOT_FOUND: NOT_FOUND,
        ErrorCode.CONFLICT: UNSUPPORTED,
        ErrorCode.JOB_ALREADY_LIVE: JOB_INVALID_STATE,
        ErrorCode.INVALID_TRANSITION: INSTANCE_INVALID_STATE,
        ErrorCode.STALE_VERSION: UNSUPPORTED,
        ErrorCode.UNAUTHENTICATED: INCOMPLETE_SIGNATURE,
        ErrorCode.PERMISSION_DENIED: FORBIDDEN,
        ErrorCode.PAYLOAD_TOO_LARGE: TOO_LARGE,
        ErrorCode.UNAVAILABLE: UNAVAILABLE,
        ErrorCode.ENGINE_UNAVAILABLE: ENGINE_UNAVAILABLE,
        ErrorCode.STORE_UNAVAILABLE: UNAVAILABLE,
        ErrorCode.ENGINE_REJECTED: ENGINE_REJECTED,
        ErrorCode.NAMESPACE_NOT_FOUND: PROJECT_NOT_FOUND,
        ErrorCode.DEPLOYMENT_NOT_FOUND: JOB_NOT_FOUND,
        ErrorCode.DEPLOYMENT_NAME_TAKEN: JOB_EXISTS,
        ErrorCode.DEPLOYMENT_HAS_LIVE_JOB: JOB_INVALID_STATE,
        ErrorCode.UNSUPPORTED_RESOURCE_PLAN: INVALID_PARAMETER,
        ErrorCode.INVALID_ENGINE_VERSION: INVALID_PARAMETER,
        ErrorCode.JOB_NOT_FOUND: INSTANCE_NOT_FOUND,
        ErrorCode.JOB_NOT_RUNNING: INSTANCE_INVALID_STATE,
        ErrorCode.JOB_NOT_STOPPABLE: INSTANCE_INVALID_STATE,
        ErrorCode.JOB_NOT_SUBMITTED: INSTANCE_INVALID_STATE,
        ErrorCode.JOB_NOT_TERMINAL: INSTANCE_INVALID_STATE,
        ErrorCode.SAVEPOINT_NOT_FOUND: CHECKPOINT_NOT_FOUND,
        ErrorCode.SAVEPOINT_IN_PROGRESS: CHECKPOINT_IN_PROGRESS,
        ErrorCode.SAVEPOINT_IN_USE: UNSUPPORTED,
        ErrorCode.SAVEPOINT_NOT_COMPLETED: INVALID_PARAMETER,
        ErrorCode.SAVEPOINT_OF_OTHER_DEPLOYMENT: INVALID_PARAMETER,
        ErrorCode.HOT_UPDATE_NOT_FOUND: NOT_FOUND,
        ErrorCode.HOT_UPDATE_IN_PROGRESS: JOB_INVALID_STATE,
        ErrorCode.HOT_UPDATE_NO_CHANGE: INVALID_PARAMETER,
        ErrorCode.ARTIFACT_NOT_FOUND: PACKAGE_NOT_FOUND,
        ErrorCode.PRESIGNED_URL_INVALID: INVALID_PARAMETER,
        ErrorCode.PRESIGNED_URL_EXPIRED: INVALID_PARAMETER,
        ErrorCode.VARIABLE_NOT_FOUND: NOT_FOUND,
        ErrorCode.VARIABLE_EXISTS: ALREADY_EXISTS,
        ErrorCode.INVALID_VARIABLE_NAME: INVALID_PARAMETER,
        ErrorCode.INVALID_VARIABLE_KIND: INVALID_PARAMETER,
        ErrorCode.INVALID_VARIABLE_VALUE: INVALID_PARAMETER,
        ErrorCode.INVALID_SECRET_KEY: INVALID_PARAMETER,
        ErrorCode.SECRET_KEY_MISMATCH: INTERNAL,
        ErrorCode.CLUSTER_NOT_FOUND: CLUSTER_NOT_FOUND,
        ErrorCode.CLUSTER_IN_USE: CLUSTER_IN_USE,
        ErrorCode.INVALID_CLUSTER_NAME: INVALID_PARAMETER,
        ErrorCode.SESSION_CLUSTER_NOT_FOUND: CLUSTER_NOT_FOUND,
        ErrorCode.SESSION_CLUSTER_NOT_STOPPED: CLUSTER_IN_USE,
        ErrorCode.EXTERNAL_CLUSTER_NOT_FOUND: CLUSTER_NOT_FOUND,
        ErrorCode.DEFAULT_CLUSTER_READ_ONLY: UNSUPPORTED,
        ErrorCode.CLUSTER_URL_REQUIRED: INVALID_PARAMETER,
        ErrorCode.CLUSTER_URL_INVALID: INVALID_PARAMETER,
        ErrorCode.CLUSTER_URL_UNREACHABLE: ENGINE_UNAVAILABLE,
        ErrorCode.FLINK_API_PATH_NOT_ALLOWED: FORBIDDEN,
        ErrorCode.FLINK_API_NOT_FOUND: NOT_FOUND,
        ErrorCode.FLINK_API_REJECTED: INVALID_PARAMETER,
        ErrorCode.QUEUE_NOT_FOUND: QUEUE_NOT_FOUND,
        ErrorCode.QUEUE_EXISTS: QUEUE_EXISTS,
        ErrorCode.QUEUE_IN_USE: QUEUE_IN_USE,
        ErrorCode.QUEUE_NOT_ALLOWED: FORBIDDEN,
        ErrorCode.JOB_TOO_LARGE: QUOTA,
        ErrorCode.INVALID_QUEUE: INVALID_PARAMETER,
        ErrorCode.INVALID_QUEUE_NAME: INVALID_PARAMETER,
        ErrorCode.INVALID_QUEUE_CAPACITY: INVALID_PARAMETER,
        ErrorCode.JOB_LOG_NOT_FOUND: NOT_FOUND,
        ErrorCode.INVALID_LOG_KIND: INVALID_PARAMETER,
        ErrorCode.INVALID_LOG_LEVEL: INVALID_PARAMETER,
        ErrorCode.INVALID_LOGGER_NAME: INVALID_PARAMETER,
        ErrorCode.INVALID_LOG_RETENTION: INVALID_PARAMETER,
        ErrorCode.INVALID_LOG_TEMPLATE: INVALID_PARAMETER,
        ErrorCode.USER_NOT_FOUND: NOT_FOUND,
        ErrorCode.USER_EXISTS: ALREADY_EXISTS,
        ErrorCode.MEMBER_NOT_FOUND: NOT_FOUND,
        ErrorCode.MEMBER_EXISTS: ALREADY_EXISTS,
        ErrorCode.INVALID_ROLE: INVALID_PARAMETER,
        ErrorCode.ACCESS_KEY_NOT_FOUND: NOT_FOUND,
        ErrorCode.ACCESS_KEY_EXISTS: ALREADY_EXISTS,
        ErrorCode.UNKNOWN_ACCESS_KEY: AK_NOT_FOUND,
        ErrorCode.ACCESS_KEY_DISABLED: AK_DISABLED,
        ErrorCode.MISSING_CREDENTIALS: INCOMPLETE_SIGNATURE,
        ErrorCode.MALFORMED_SIGNATURE: INCOMPLETE_SIGNATURE,
        ErrorCode.SIGNATURE_MISMATCH: SIGNATURE_MISMATCH,
        ErrorCode.INVALID_TIMESTAMP: TIMESTAMP,
        ErrorCode.REQUEST_TIME_SKEWED: TIMESTAMP,
        ErrorCode.NONCE_REUSED: NONCE_USED,
        ErrorCode.THROTTLED: THROTTLING,
    }
)

_INTERNAL_MESSAGE = "internal error; the server logged the details under this request id"

# Failures the HTTP layer raises itself (no domain error behind them).
_HTTP_CODES = {
    404: "InvalidAction.NotFound",
    405: "InvalidAction.NotFound",
    413: TOO_LARGE,
    415: INVALID_PARAMETER,
}


class FoasError(Exception):
    """A request this dialect refuses before any use case runs (bad form, bad id)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_implemented(operation: str, reason: str | None = None) -> FoasError:
    """A documented operation this server does not serve (yet), and why if known."""
    message = f"{operation} (foas 2018-11-11) is not implemented by this Millstream server"
    return FoasError(501, NOT_IMPLEMENTED, f"{message}: {reason}" if reason else f"{message} yet")


def status_for(error: MillstreamError) -> int:
    """HTTP status of a domain error: the entry of its most specific mapped class."""
    for cls in type(error).__mro__:
        status = STATUS_BY_ERROR.get(cls)
        if status is not None:
            return status
    return 500


def _validation_message(errors: list[object]) -> str:
    problems = []
    for problem in errors:
        if isinstance(problem, dict):
            loc = [str(part) for part in problem.get("loc", ()) or () if part != "body"]
            problems.append(f"{'.'.join(loc) or 'request'}: {problem.get('msg', 'invalid')}")
    return "; ".join(problems) or "invalid request"


def _message(exc: MillstreamError) -> str:
    """The error's message; Flink's planner errors say where (the SDK shows only
    ``Message``)."""
    if isinstance(exc, InvalidSql) and exc.line is not None:
        where = f"line {exc.line}" + (f", column {exc.column}" if exc.column is not None else "")
        if where not in exc.message:
            return f"{exc.message} ({where})"
    return exc.message


def _answer(request_id: str, status: int, code: str, message: str) -> Response:
    return render(error_body(request_id, code, message), status, request_id, error=True)


def error_response(exc: Exception, request_id: str) -> Response:
    """The envelope for any exception; unexpected ones are logged and answered 500."""
    if isinstance(exc, HTTPException) and isinstance(exc.__cause__, MillstreamError):
        exc = exc.__cause__  # e.g. PayloadTooLarge raised while the body was read
    if isinstance(exc, FoasError):
        return _answer(request_id, exc.status, exc.code, exc.message)
    if isinstance(exc, MillstreamError):
        status = status_for(exc)
        if status == 500:
            _log.error("unmapped error %s (request %s)", exc.code, request_id, exc_info=exc)
            return _answer(request_id, 500, INTERNAL, _INTERNAL_MESSAGE)
        return _answer(request_id, status, FOAS_CODES[exc.code], _message(exc))
    if isinstance(exc, ValidationError | RequestValidationError):
        return _answer(request_id, 400, INVALID_PARAMETER, _validation_message(list(exc.errors())))
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        code = _HTTP_CODES.get(exc.status_code, INVALID_PARAMETER)
        return _answer(request_id, exc.status_code, code, str(exc.detail))
    _log.error("unexpected error (request %s)", request_id, exc_info=exc)
    return _answer(request_id, 500, INTERNAL, _INTERNAL_MESSAGE)


class FoasEnvelope:
    """The dialect's ``Envelope`` (``api.dialect``)."""

    @property
    def request_id_header(self) -> str:
        return REQUEST_ID_HEADER

    def new_request_id(self) -> str:
        return new_request_id()

    def error(self, exc: Exception, request_id: str) -> Response:
        return error_response(exc, request_id)
