"""The native dialect's envelope and its error mapping (sdk-wire-notes.md §1.D).

Every response, success or error, is ``{requestId, success, httpCode, errorCode,
errorMessage, data}``; errors also carry ``code`` and ``message`` because the tea SDK
reads only those into ``ClientException``/``ServerException``. The request id is also
sent as the ``x-acs-request-id`` header.

Domain errors map to a status by their class, most specific first (walking the MRO, as
Starlette's ``_exception_handler.py`` looks handlers up), and to a wire code by their
neutral ``ErrorCode`` through ``NATIVE_CODES``, a total table that reproduces the codes
the Ververica SDK and its users have always seen (``InvalidAccessKeyId.NotFound``,
``DeploymentNotFound``...). ``NativeRoute`` applies this to every route of the native
router only, so other dialects mounted on the same app keep their own envelopes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from millstream.api.json_response import JsonResponse
from millstream.domain.errors import (
    Conflict,
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
    "NATIVE_CODES",
    "REQUEST_ID_HEADER",
    "STATUS_BY_ERROR",
    "NativeRoute",
    "error_envelope",
    "error_response",
    "native_code",
    "new_request_id",
    "ok_response",
    "status_for",
    "validation_message",
]

_log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-acs-request-id"

STATUS_BY_ERROR: dict[type[MillstreamError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    Unavailable: 503,
    Throttled: 429,
}

# Every ErrorCode has its wire code here (tests/unit/api/test_dialect_mappings.py checks
# it); the values are the codes the native API answered before codes became neutral.
NATIVE_CODES: Mapping[ErrorCode, str] = MappingProxyType(
    {
        ErrorCode.INTERNAL: "Internal",
        ErrorCode.INVALID_INPUT: "InvalidParameter",
        ErrorCode.INVALID_SQL: "InvalidSql",
        ErrorCode.INVALID_ARTIFACT: "InvalidArtifact",
        ErrorCode.UNKNOWN_VARIABLE: "UnknownVariable",
        ErrorCode.NOT_FOUND: "NotFound",
        ErrorCode.CONFLICT: "Conflict",
        ErrorCode.JOB_ALREADY_LIVE: "JobAlreadyRunning",
        ErrorCode.INVALID_TRANSITION: "InvalidJobStatus",
        ErrorCode.STALE_VERSION: "ResourceVersionConflict",
        ErrorCode.UNAUTHENTICATED: "Unauthenticated",
        ErrorCode.PERMISSION_DENIED: "Forbidden",
        ErrorCode.PAYLOAD_TOO_LARGE: "PayloadTooLarge",
        ErrorCode.UNAVAILABLE: "ServiceUnavailable",
        ErrorCode.ENGINE_UNAVAILABLE: "FlinkUnavailable",
        ErrorCode.STORE_UNAVAILABLE: "StoreUnavailable",
        ErrorCode.ENGINE_REJECTED: "FlinkError",
        ErrorCode.NAMESPACE_NOT_FOUND: "NamespaceNotFound",
        ErrorCode.DEPLOYMENT_NOT_FOUND: "DeploymentNotFound",
        ErrorCode.DEPLOYMENT_NAME_TAKEN: "DeploymentNameExists",
        ErrorCode.DEPLOYMENT_HAS_LIVE_JOB: "DeploymentHasLiveJob",
        ErrorCode.UNSUPPORTED_RESOURCE_PLAN: "UnsupportedResourcePlan",
        ErrorCode.INVALID_ENGINE_VERSION: "InvalidEngineVersion",
        ErrorCode.JOB_NOT_FOUND: "JobNotFound",
        ErrorCode.JOB_NOT_RUNNING: "JobNotRunning",
        ErrorCode.JOB_NOT_STOPPABLE: "JobNotStoppable",
        ErrorCode.JOB_NOT_SUBMITTED: "JobNotSubmitted",
        ErrorCode.JOB_NOT_TERMINAL: "JobNotTerminal",
        ErrorCode.SAVEPOINT_NOT_FOUND: "SavepointNotFound",
        ErrorCode.SAVEPOINT_IN_PROGRESS: "SavepointInProgress",
        ErrorCode.SAVEPOINT_IN_USE: "SavepointInUse",
        ErrorCode.SAVEPOINT_NOT_COMPLETED: "SavepointNotCompleted",
        ErrorCode.SAVEPOINT_OF_OTHER_DEPLOYMENT: "SavepointOfOtherDeployment",
        ErrorCode.HOT_UPDATE_NOT_FOUND: "HotUpdateNotFound",
        ErrorCode.HOT_UPDATE_IN_PROGRESS: "HotUpdateInProgress",
        ErrorCode.HOT_UPDATE_NO_CHANGE: "HotUpdateNothingToChange",
        ErrorCode.ARTIFACT_NOT_FOUND: "ArtifactNotFound",
        ErrorCode.PRESIGNED_URL_INVALID: "InvalidSignature",
        ErrorCode.PRESIGNED_URL_EXPIRED: "SignatureExpired",
        ErrorCode.VARIABLE_NOT_FOUND: "VariableNotFound",
        ErrorCode.VARIABLE_EXISTS: "VariableAlreadyExists",
        ErrorCode.INVALID_VARIABLE_NAME: "InvalidVariableName",
        ErrorCode.INVALID_VARIABLE_KIND: "InvalidVariableKind",
        ErrorCode.INVALID_VARIABLE_VALUE: "InvalidVariableValue",
        ErrorCode.INVALID_SECRET_KEY: "InvalidSecretKey",
        ErrorCode.SECRET_KEY_MISMATCH: "SecretKeyMismatch",
        ErrorCode.CLUSTER_NOT_FOUND: "ClusterNotFound",
        ErrorCode.CLUSTER_IN_USE: "ClusterInUse",
        ErrorCode.INVALID_CLUSTER_NAME: "InvalidClusterName",
        ErrorCode.SESSION_CLUSTER_NOT_FOUND: "SessionClusterNotFound",
        ErrorCode.SESSION_CLUSTER_NOT_STOPPED: "SessionClusterNotStopped",
        ErrorCode.EXTERNAL_CLUSTER_NOT_FOUND: "DeploymentTargetNotFound",
        ErrorCode.DEFAULT_CLUSTER_READ_ONLY: "DeploymentTargetReadOnly",
        ErrorCode.CLUSTER_URL_REQUIRED: "FlinkRestUrlRequired",
        ErrorCode.CLUSTER_URL_INVALID: "InvalidFlinkRestUrl",
        ErrorCode.CLUSTER_URL_UNREACHABLE: "FlinkRestUrlUnreachable",
        ErrorCode.FLINK_API_PATH_NOT_ALLOWED: "FlinkApiPathNotAllowed",
        ErrorCode.FLINK_API_NOT_FOUND: "FlinkApiNotFound",
        ErrorCode.FLINK_API_REJECTED: "FlinkApiRejected",
        ErrorCode.QUEUE_NOT_FOUND: "QueueNotFound",
        ErrorCode.QUEUE_EXISTS: "QueueAlreadyExists",
        ErrorCode.QUEUE_IN_USE: "QueueInUse",
        ErrorCode.QUEUE_NOT_ALLOWED: "QueueNotAllowed",
        ErrorCode.JOB_TOO_LARGE: "InsufficientResources",
        ErrorCode.INVALID_QUEUE: "InvalidQueue",
        ErrorCode.INVALID_QUEUE_NAME: "InvalidQueueName",
        ErrorCode.INVALID_QUEUE_CAPACITY: "InvalidQueueCapacity",
        ErrorCode.JOB_LOG_NOT_FOUND: "JobLogNotFound",
        ErrorCode.INVALID_LOG_KIND: "InvalidLogKind",
        ErrorCode.INVALID_LOG_LEVEL: "InvalidLogLevel",
        ErrorCode.INVALID_LOGGER_NAME: "InvalidLoggerName",
        ErrorCode.INVALID_LOG_RETENTION: "InvalidLogReservePolicy",
        ErrorCode.INVALID_LOG_TEMPLATE: "InvalidLog4jTemplate",
        ErrorCode.USER_NOT_FOUND: "UserNotFound",
        ErrorCode.USER_EXISTS: "UserAlreadyExists",
        ErrorCode.MEMBER_NOT_FOUND: "MemberNotFound",
        ErrorCode.MEMBER_EXISTS: "MemberAlreadyExists",
        ErrorCode.INVALID_ROLE: "InvalidRole",
        ErrorCode.ACCESS_KEY_NOT_FOUND: "AccessKeyNotFound",
        ErrorCode.ACCESS_KEY_EXISTS: "AccessKeyAlreadyExists",
        ErrorCode.UNKNOWN_ACCESS_KEY: "InvalidAccessKeyId.NotFound",
        ErrorCode.ACCESS_KEY_DISABLED: "InvalidAccessKeyId.Inactive",
        ErrorCode.MISSING_CREDENTIALS: "MissingAuthorization",
        ErrorCode.MALFORMED_SIGNATURE: "IncompleteSignature",
        ErrorCode.SIGNATURE_MISMATCH: "SignatureDoesNotMatch",
        ErrorCode.INVALID_TIMESTAMP: "InvalidTimeStamp.Format",
        ErrorCode.REQUEST_TIME_SKEWED: "RequestTimeTooSkewed",
        ErrorCode.NONCE_REUSED: "SignatureNonceUsed",
        ErrorCode.THROTTLED: "Throttling.User",
    }
)

_INTERNAL_MESSAGE = "internal error; the server logged the details under this request id"

_STATUS_CODES = {
    400: "InvalidParameter",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    429: "Throttling",
    503: "ServiceUnavailable",
}


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


def native_code(code: ErrorCode) -> str:
    """The native wire code of a domain error code."""
    return NATIVE_CODES[code]


def status_for(error: MillstreamError) -> int:
    """HTTP status of a domain error: the entry of its most specific mapped class."""
    for cls in type(error).__mro__:
        status = STATUS_BY_ERROR.get(cls)
        if status is not None:
            return status
    return 500


def _envelope(
    request_id: str,
    *,
    http_code: int,
    data: Any = None,
    error_code: str = "",
    error_message: str = "",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "requestId": request_id,
        "success": http_code < 400,
        "httpCode": http_code,
        "errorCode": error_code,
        "errorMessage": error_message,
        "data": data,
    }
    if extra:
        body.update(extra)
    if http_code >= 400:
        body["code"] = error_code
        body["message"] = error_message
    return body


def ok_response(request_id: str, data: Any, **extra: Any) -> JSONResponse:
    """A 200 envelope; ``extra`` adds top-level fields (pageIndex, pageSize, totalSize)."""
    return JsonResponse(
        _envelope(request_id, http_code=200, data=data, extra=extra),
        headers={REQUEST_ID_HEADER: request_id},
    )


def error_envelope(request_id: str, status: int, code: str, message: str) -> JSONResponse:
    """An error envelope with an explicit status and code."""
    return JsonResponse(
        _envelope(request_id, http_code=status, error_code=code, error_message=message),
        status_code=status,
        headers={REQUEST_ID_HEADER: request_id},
    )


def _field(loc: Sequence[Any]) -> str:
    """``("query", "pageSize")`` -> ``pageSize``; ``("body", "artifact", "kind")`` ->
    ``body.artifact.kind``."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "request"


def validation_message(error: RequestValidationError) -> tuple[str, str]:
    """(errorCode, message naming each offending field) for a request validation error."""
    problems = list(error.errors())
    if any(problem.get("type") == "json_invalid" for problem in problems):
        detail = next(
            (p.get("ctx", {}).get("error") for p in problems if p.get("type") == "json_invalid"),
            None,
        )
        return "MalformedJson", f"request body is not valid JSON: {detail or 'decode error'}"
    messages = [f"{_field(p.get('loc', ()))}: {p.get('msg', 'invalid')}" for p in problems]
    return "InvalidParameter", "; ".join(messages) or "invalid request"


def error_response(exc: Exception, request_id: str) -> JSONResponse:
    """The envelope for any exception; unexpected ones are logged and answered 500."""
    if isinstance(exc, HTTPException) and isinstance(exc.__cause__, MillstreamError):
        exc = exc.__cause__  # e.g. PayloadTooLarge raised while FastAPI read the body
    if isinstance(exc, MillstreamError):
        status = status_for(exc)
        if status == 500:
            _log.error("unmapped error %s (request %s)", exc.code, request_id, exc_info=exc)
            return error_envelope(request_id, 500, "InternalError", _INTERNAL_MESSAGE)
        return error_envelope(request_id, status, native_code(exc.code), exc.message)
    if isinstance(exc, RequestValidationError):
        code, message = validation_message(exc)
        return error_envelope(request_id, 400, code, message)
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        code = _STATUS_CODES.get(exc.status_code, "InvalidRequest")
        return error_envelope(request_id, exc.status_code, code, str(exc.detail))
    _log.error("unexpected error (request %s)", request_id, exc_info=exc)
    return error_envelope(request_id, 500, "InternalError", _INTERNAL_MESSAGE)


class NativeRoute(APIRoute):
    """An ``APIRoute`` whose every outcome is the native envelope.

    A request id is made before anything runs (available as ``request.state.request_id``);
    any exception from body parsing, validation, dependencies (authentication) or the
    endpoint becomes ``error_response``.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def native_handler(request: Request) -> Response:
            request_id = new_request_id()
            request.state.request_id = request_id
            try:
                return await handler(request)
            except Exception as exc:
                return error_response(exc, request_id)

        return native_handler
