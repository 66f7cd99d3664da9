"""Domain errors -> Volcengine error codes and HTTP statuses (both tables total).

``VOLCENGINE_CODES`` names every ``ErrorCode`` the way Volcengine's OpenAPI does
(``InvalidParameter``, ``SignatureDoesNotMatch``, dotted ``<Kind>.<Resource>`` codes such
as ``NotFound.ApplicationInstance``); the HTTP status comes from the error's class, most
specific first (``STATUS_BY_ERROR``, looked up along the MRO as Starlette looks up
exception handlers). ``error_response`` turns any exception into the envelope; only
unexpected ones are logged and answered 500 ``InternalError`` with the request id.
Dialect-level failures (unknown Action, wrong Version, bad JSON) have their own codes here
too, so the whole dialect speaks one vocabulary. Used by ``routes``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType

from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from millstream.api.volcengine.envelope import (
    REQUEST_ID_HEADER,
    Metadata,
    current_metadata,
    error_json,
    new_request_id,
)
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
    "INTERNAL_ERROR",
    "INVALID_ACTION",
    "MALFORMED_JSON",
    "MISSING_PARAMETER",
    "STATUS_BY_ERROR",
    "VOLCENGINE_CODES",
    "DialectError",
    "VolcengineEnvelope",
    "error_response",
    "status_for",
    "validation_message",
    "wire_code",
]

_log = logging.getLogger(__name__)

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
        # Flink refused for good (bad jar, bad plan): a 4xx, so the SDK does not retry it.
        EnginePermanentError: 400,
    }
)

VOLCENGINE_CODES: Mapping[ErrorCode, str] = MappingProxyType(
    {
        ErrorCode.INTERNAL: "InternalError",
        ErrorCode.INVALID_INPUT: "InvalidParameter",
        ErrorCode.INVALID_SQL: "InvalidParameter.SqlText",
        ErrorCode.INVALID_ARTIFACT: "InvalidParameter.Jar",
        ErrorCode.UNKNOWN_VARIABLE: "InvalidParameter.Variable",
        ErrorCode.NOT_FOUND: "NotFound",
        ErrorCode.CONFLICT: "Conflict",
        ErrorCode.JOB_ALREADY_LIVE: "OperationDenied.InstanceAlreadyRunning",
        ErrorCode.INVALID_TRANSITION: "OperationDenied.InstanceState",
        ErrorCode.STALE_VERSION: "OperationDenied.ConcurrentModification",
        ErrorCode.UNAUTHENTICATED: "InvalidAuthorization",
        ErrorCode.PERMISSION_DENIED: "AccessDenied",
        ErrorCode.PAYLOAD_TOO_LARGE: "RequestEntityTooLarge",
        ErrorCode.UNAVAILABLE: "ServiceUnavailableTemporary",
        ErrorCode.ENGINE_UNAVAILABLE: "ServiceUnavailableTemporary.Flink",
        ErrorCode.STORE_UNAVAILABLE: "ServiceUnavailableTemporary.Store",
        ErrorCode.ENGINE_REJECTED: "OperationFailed.Flink",
        ErrorCode.NAMESPACE_NOT_FOUND: "NotFound.Project",
        ErrorCode.DEPLOYMENT_NOT_FOUND: "NotFound.Application",
        ErrorCode.DEPLOYMENT_NAME_TAKEN: "AlreadyExists.JobName",
        ErrorCode.DEPLOYMENT_HAS_LIVE_JOB: "OperationDenied.ApplicationRunning",
        ErrorCode.UNSUPPORTED_RESOURCE_PLAN: "InvalidParameter.Resource",
        ErrorCode.INVALID_ENGINE_VERSION: "InvalidParameter.EngineVersion",
        ErrorCode.JOB_NOT_FOUND: "NotFound.ApplicationInstance",
        ErrorCode.JOB_NOT_RUNNING: "OperationDenied.InstanceNotRunning",
        ErrorCode.JOB_NOT_STOPPABLE: "OperationDenied.InstanceNotCancellable",
        ErrorCode.JOB_NOT_SUBMITTED: "OperationDenied.InstanceNotSubmitted",
        ErrorCode.JOB_NOT_TERMINAL: "OperationDenied.InstanceNotTerminated",
        ErrorCode.SAVEPOINT_NOT_FOUND: "NotFound.Savepoint",
        ErrorCode.SAVEPOINT_IN_PROGRESS: "OperationDenied.SavepointInProgress",
        ErrorCode.SAVEPOINT_IN_USE: "OperationDenied.SavepointInUse",
        ErrorCode.SAVEPOINT_NOT_COMPLETED: "InvalidParameter.SavepointNotCompleted",
        ErrorCode.SAVEPOINT_OF_OTHER_DEPLOYMENT: "InvalidParameter.SavepointId",
        ErrorCode.HOT_UPDATE_NOT_FOUND: "NotFound.Update",
        ErrorCode.HOT_UPDATE_IN_PROGRESS: "OperationDenied.UpdateInProgress",
        ErrorCode.HOT_UPDATE_NO_CHANGE: "InvalidParameter.NothingToUpdate",
        ErrorCode.ARTIFACT_NOT_FOUND: "NotFound.Jar",
        ErrorCode.PRESIGNED_URL_INVALID: "InvalidParameter.PresignedUrl",
        ErrorCode.PRESIGNED_URL_EXPIRED: "InvalidParameter.PresignedUrlExpired",
        ErrorCode.VARIABLE_NOT_FOUND: "NotFound.Variable",
        ErrorCode.VARIABLE_EXISTS: "AlreadyExists.Variable",
        ErrorCode.INVALID_VARIABLE_NAME: "InvalidParameter.VariableName",
        ErrorCode.INVALID_VARIABLE_KIND: "InvalidParameter.VariableKind",
        ErrorCode.INVALID_VARIABLE_VALUE: "InvalidParameter.VariableValue",
        ErrorCode.INVALID_SECRET_KEY: "InvalidParameter.SecretKey",
        ErrorCode.SECRET_KEY_MISMATCH: "InternalError.SecretKey",
        ErrorCode.CLUSTER_NOT_FOUND: "NotFound.ResourcePool",
        ErrorCode.CLUSTER_IN_USE: "OperationDenied.ResourcePoolInUse",
        ErrorCode.INVALID_CLUSTER_NAME: "InvalidParameter.ResourcePoolName",
        ErrorCode.SESSION_CLUSTER_NOT_FOUND: "NotFound.ResourcePool",
        ErrorCode.SESSION_CLUSTER_NOT_STOPPED: "OperationDenied.ResourcePoolNotStopped",
        ErrorCode.EXTERNAL_CLUSTER_NOT_FOUND: "NotFound.ResourcePool",
        ErrorCode.DEFAULT_CLUSTER_READ_ONLY: "OperationDenied.DefaultResourcePool",
        ErrorCode.CLUSTER_URL_REQUIRED: "MissingParameter.FlinkRestUrl",
        ErrorCode.CLUSTER_URL_INVALID: "InvalidParameter.FlinkRestUrl",
        ErrorCode.CLUSTER_URL_UNREACHABLE: "InvalidParameter.FlinkRestUrlUnreachable",
        ErrorCode.FLINK_API_PATH_NOT_ALLOWED: "AccessDenied.FlinkApiPath",
        ErrorCode.FLINK_API_NOT_FOUND: "NotFound.FlinkApi",
        ErrorCode.FLINK_API_REJECTED: "InvalidParameter.FlinkApi",
        ErrorCode.JOB_LOG_NOT_FOUND: "NotFound.Log",
        ErrorCode.INVALID_LOG_KIND: "InvalidParameter.LogKind",
        ErrorCode.INVALID_LOG_LEVEL: "InvalidParameter.LogLevel",
        ErrorCode.INVALID_LOGGER_NAME: "InvalidParameter.LoggerName",
        ErrorCode.INVALID_LOG_RETENTION: "InvalidParameter.LogRetention",
        ErrorCode.INVALID_LOG_TEMPLATE: "InvalidParameter.LogTemplate",
        ErrorCode.USER_NOT_FOUND: "NotFound.User",
        ErrorCode.USER_EXISTS: "AlreadyExists.User",
        ErrorCode.MEMBER_NOT_FOUND: "NotFound.Member",
        ErrorCode.MEMBER_EXISTS: "AlreadyExists.Member",
        ErrorCode.INVALID_ROLE: "InvalidParameter.Role",
        ErrorCode.ACCESS_KEY_NOT_FOUND: "NotFound.AccessKey",
        ErrorCode.ACCESS_KEY_EXISTS: "AlreadyExists.AccessKey",
        ErrorCode.UNKNOWN_ACCESS_KEY: "InvalidAccessKey",
        ErrorCode.ACCESS_KEY_DISABLED: "AccessKeyDisabled",
        ErrorCode.MISSING_CREDENTIALS: "MissingAuthenticationToken",
        ErrorCode.MALFORMED_SIGNATURE: "InvalidAuthorization",
        ErrorCode.SIGNATURE_MISMATCH: "SignatureDoesNotMatch",
        ErrorCode.INVALID_TIMESTAMP: "InvalidTimestamp",
        ErrorCode.REQUEST_TIME_SKEWED: "RequestExpired",
        ErrorCode.NONCE_REUSED: "RequestReplayed",
        ErrorCode.THROTTLED: "FlowLimitExceeded",
        ErrorCode.QUEUE_NOT_FOUND: "NotFound.Queue",
        ErrorCode.QUEUE_EXISTS: "AlreadyExists.Queue",
        ErrorCode.QUEUE_IN_USE: "OperationDenied.QueueInUse",
        ErrorCode.QUEUE_NOT_ALLOWED: "AccessDenied.Queue",
        ErrorCode.JOB_TOO_LARGE: "InvalidParameter.ResourceExceedsQueue",
        ErrorCode.INVALID_QUEUE: "InvalidParameter.Queue",
        ErrorCode.INVALID_QUEUE_NAME: "InvalidParameter.QueueName",
        ErrorCode.INVALID_QUEUE_CAPACITY: "InvalidParameter.QueueCapacity",
    }
)

# Failures of the dialect itself (no domain error behind them).
INVALID_ACTION = "InvalidActionOrVersion"
MISSING_PARAMETER = "MissingParameter"
MALFORMED_JSON = "InvalidParameter.MalformedJson"
INTERNAL_ERROR = "InternalError"
_INTERNAL_MESSAGE = "internal error; the server logged the details under this request id"

_HTTP_CODES = {
    404: INVALID_ACTION,
    405: "MethodNotAllowed",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
}


class DialectError(Exception):
    """A request this dialect refuses before any use case runs (unknown Action, bad JSON)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def wire_code(code: ErrorCode) -> str:
    """The Volcengine code of a domain error code."""
    return VOLCENGINE_CODES[code]


def status_for(error: MillstreamError) -> int:
    """HTTP status of a domain error: the entry of its most specific mapped class."""
    for cls in type(error).__mro__:
        status = STATUS_BY_ERROR.get(cls)
        if status is not None:
            return status
    return 500


def validation_message(error: ValidationError) -> str:
    """One line naming each offending wire field (``App.JobType: Input should be...``)."""
    problems = [
        f"{'.'.join(str(part) for part in problem.get('loc', ())) or 'request'}: "
        f"{problem.get('msg', 'invalid')}"
        for problem in error.errors()
    ]
    return "; ".join(problems) or "invalid request"


def error_response(exc: Exception, meta: Metadata) -> JSONResponse:
    """The envelope for any exception; unexpected ones are logged and answered 500."""
    if isinstance(exc, HTTPException) and isinstance(exc.__cause__, MillstreamError):
        exc = exc.__cause__  # e.g. PayloadTooLarge raised while the body was read
    if isinstance(exc, DialectError):
        return error_json(meta, exc.status, exc.code, exc.message)
    if isinstance(exc, MillstreamError):
        status = status_for(exc)
        if status == 500:
            _log.error("unmapped error %s (request %s)", exc.code, meta.request_id, exc_info=exc)
            return error_json(meta, 500, INTERNAL_ERROR, _INTERNAL_MESSAGE)
        return error_json(meta, status, wire_code(exc.code), exc.message)
    if isinstance(exc, ValidationError):
        return error_json(
            meta, 400, VOLCENGINE_CODES[ErrorCode.INVALID_INPUT], validation_message(exc)
        )
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        code = _HTTP_CODES.get(exc.status_code, "InvalidRequest")
        return error_json(meta, exc.status_code, code, str(exc.detail))
    _log.error("unexpected error (request %s)", meta.request_id, exc_info=exc)
    return error_json(meta, 500, INTERNAL_ERROR, _INTERNAL_MESSAGE)


class VolcengineEnvelope:
    """The dialect's ``Envelope`` (``api.dialect``): every failure under its route and
    the app's 404/405/413 answers for it go through ``error_response``."""

    @property
    def request_id_header(self) -> str:
        return REQUEST_ID_HEADER

    def new_request_id(self) -> str:
        return new_request_id()

    def error(self, exc: Exception, request_id: str) -> Response:
        return error_response(exc, current_metadata(request_id))
