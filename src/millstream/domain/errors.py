"""The error hierarchy every layer raises and every API dialect maps to its envelope.

Each error carries a stable, dialect-neutral ``code`` (an ``ErrorCode``) and a message in
domain words that says what to fix. Each dialect's ``api/<name>/errors.py`` maps every
``ErrorCode`` to its own wire code and every class (most specific first) to its HTTP
status; no cloud's code, field or operation name appears below ``api/``.

    MillstreamError                  code INTERNAL
    ├── InvalidInput                 INVALID_INPUT: the request is malformed or breaks a rule
    │   ├── InvalidSql               INVALID_SQL: Flink rejected the SQL (line/column if known)
    │   ├── InvalidArtifact          INVALID_ARTIFACT: an artifact URI, class or file is unusable
    │   └── UnknownVariable          UNKNOWN_VARIABLE: ${name} used but defined nowhere
    ├── NotFound                     NOT_FOUND: a named thing does not exist (or is not visible)
    ├── Conflict                     CONFLICT: the request contradicts the current state
    │   ├── JobAlreadyLive           JOB_ALREADY_LIVE: the deployment has a non-terminal job
    │   ├── InvalidTransition        INVALID_TRANSITION: the job cannot go to the asked status
    │   └── StaleVersion             STALE_VERSION: the version does not match (concurrent edit)
    ├── Unauthenticated              UNAUTHENTICATED: no or bad credentials / signature
    ├── PermissionDenied             PERMISSION_DENIED: the role does not allow the action
    ├── PayloadTooLarge              PAYLOAD_TOO_LARGE: body or upload over the configured limit
    ├── Unavailable                  UNAVAILABLE: a dependency is temporarily down
    │   ├── EngineUnavailable        ENGINE_UNAVAILABLE: Flink REST unreachable or 5xx (retry)
    │   ├── StoreUnavailable         STORE_UNAVAILABLE: the database connection failed (retry)
    │   └── Throttled                THROTTLED: too many failed attempts; retry later
    └── EnginePermanentError         ENGINE_REJECTED: Flink refused in a way retrying won't fix

Raise a class with a more specific code when one exists, e.g.
``NotFound(f"deployment {name!r} not found", code=ErrorCode.DEPLOYMENT_NOT_FOUND)``; the
class decides the HTTP status, the code tells clients (and dialect tables) what happened.
The reconciler records ``EnginePermanentError`` as the job's failure.
"""

from __future__ import annotations

import enum

__all__ = [
    "Conflict",
    "EnginePermanentError",
    "EngineUnavailable",
    "ErrorCode",
    "InvalidArtifact",
    "InvalidInput",
    "InvalidSql",
    "InvalidTransition",
    "JobAlreadyLive",
    "MillstreamError",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "StaleVersion",
    "StoreUnavailable",
    "Throttled",
    "Unauthenticated",
    "Unavailable",
    "UnknownVariable",
]


class ErrorCode(enum.StrEnum):
    """What went wrong, in domain words; each dialect renames every member on its wire.

    Adding a member fails ``tests/unit/api/test_dialect_mappings.py`` until every
    dialect's ``errors.py`` maps it.
    """

    # Defaults of the classes (one per class in the tree above).
    INTERNAL = "internal"
    INVALID_INPUT = "invalid_input"
    INVALID_SQL = "invalid_sql"
    INVALID_ARTIFACT = "invalid_artifact"
    UNKNOWN_VARIABLE = "unknown_variable"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    JOB_ALREADY_LIVE = "job_already_live"
    INVALID_TRANSITION = "invalid_transition"
    STALE_VERSION = "stale_version"
    UNAUTHENTICATED = "unauthenticated"
    PERMISSION_DENIED = "permission_denied"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNAVAILABLE = "unavailable"
    ENGINE_UNAVAILABLE = "engine_unavailable"
    STORE_UNAVAILABLE = "store_unavailable"
    ENGINE_REJECTED = "engine_rejected"

    # Namespaces, deployments, jobs, savepoints.
    NAMESPACE_NOT_FOUND = "namespace_not_found"
    DEPLOYMENT_NOT_FOUND = "deployment_not_found"
    DEPLOYMENT_NAME_TAKEN = "deployment_name_taken"
    DEPLOYMENT_HAS_LIVE_JOB = "deployment_has_live_job"
    UNSUPPORTED_RESOURCE_PLAN = "unsupported_resource_plan"
    INVALID_ENGINE_VERSION = "invalid_engine_version"
    JOB_NOT_FOUND = "job_not_found"
    JOB_NOT_RUNNING = "job_not_running"
    JOB_NOT_STOPPABLE = "job_not_stoppable"
    JOB_NOT_SUBMITTED = "job_not_submitted"
    JOB_NOT_TERMINAL = "job_not_terminal"
    SAVEPOINT_NOT_FOUND = "savepoint_not_found"
    SAVEPOINT_IN_PROGRESS = "savepoint_in_progress"
    SAVEPOINT_IN_USE = "savepoint_in_use"
    SAVEPOINT_NOT_COMPLETED = "savepoint_not_completed"
    SAVEPOINT_OF_OTHER_DEPLOYMENT = "savepoint_of_other_deployment"
    HOT_UPDATE_NOT_FOUND = "hot_update_not_found"
    HOT_UPDATE_IN_PROGRESS = "hot_update_in_progress"
    HOT_UPDATE_NO_CHANGE = "hot_update_no_change"

    # Artifacts and variables.
    ARTIFACT_NOT_FOUND = "artifact_not_found"
    PRESIGNED_URL_INVALID = "presigned_url_invalid"
    PRESIGNED_URL_EXPIRED = "presigned_url_expired"
    VARIABLE_NOT_FOUND = "variable_not_found"
    VARIABLE_EXISTS = "variable_exists"
    INVALID_VARIABLE_NAME = "invalid_variable_name"
    INVALID_VARIABLE_KIND = "invalid_variable_kind"
    INVALID_VARIABLE_VALUE = "invalid_variable_value"
    INVALID_SECRET_KEY = "invalid_secret_key"
    SECRET_KEY_MISMATCH = "secret_key_mismatch"

    # Clusters (session clusters Millstream runs, external clusters it reaches by URL).
    CLUSTER_NOT_FOUND = "cluster_not_found"
    CLUSTER_IN_USE = "cluster_in_use"
    INVALID_CLUSTER_NAME = "invalid_cluster_name"
    SESSION_CLUSTER_NOT_FOUND = "session_cluster_not_found"
    SESSION_CLUSTER_NOT_STOPPED = "session_cluster_not_stopped"
    EXTERNAL_CLUSTER_NOT_FOUND = "external_cluster_not_found"
    DEFAULT_CLUSTER_READ_ONLY = "default_cluster_read_only"
    CLUSTER_URL_REQUIRED = "cluster_url_required"
    CLUSTER_URL_INVALID = "cluster_url_invalid"
    CLUSTER_URL_UNREACHABLE = "cluster_url_unreachable"
    FLINK_API_PATH_NOT_ALLOWED = "flink_api_path_not_allowed"
    FLINK_API_NOT_FOUND = "flink_api_not_found"
    FLINK_API_REJECTED = "flink_api_rejected"

    # Queues (CU quotas) and admission.
    QUEUE_NOT_FOUND = "queue_not_found"
    QUEUE_EXISTS = "queue_exists"
    QUEUE_IN_USE = "queue_in_use"
    QUEUE_NOT_ALLOWED = "queue_not_allowed"
    JOB_TOO_LARGE = "job_too_large"

    # Queues.
    INVALID_QUEUE = "invalid_queue"
    INVALID_QUEUE_NAME = "invalid_queue_name"
    INVALID_QUEUE_CAPACITY = "invalid_queue_capacity"

    # Logs.
    JOB_LOG_NOT_FOUND = "job_log_not_found"
    INVALID_LOG_KIND = "invalid_log_kind"
    INVALID_LOG_LEVEL = "invalid_log_level"
    INVALID_LOGGER_NAME = "invalid_logger_name"
    INVALID_LOG_RETENTION = "invalid_log_retention"
    INVALID_LOG_TEMPLATE = "invalid_log_template"

    # Users, members, access keys and request signatures.
    USER_NOT_FOUND = "user_not_found"
    USER_EXISTS = "user_exists"
    MEMBER_NOT_FOUND = "member_not_found"
    MEMBER_EXISTS = "member_exists"
    INVALID_ROLE = "invalid_role"
    ACCESS_KEY_NOT_FOUND = "access_key_not_found"
    ACCESS_KEY_EXISTS = "access_key_exists"
    UNKNOWN_ACCESS_KEY = "unknown_access_key"
    ACCESS_KEY_DISABLED = "access_key_disabled"
    MISSING_CREDENTIALS = "missing_credentials"
    MALFORMED_SIGNATURE = "malformed_signature"
    SIGNATURE_MISMATCH = "signature_mismatch"
    INVALID_TIMESTAMP = "invalid_timestamp"
    REQUEST_TIME_SKEWED = "request_time_skewed"
    NONCE_REUSED = "nonce_reused"
    THROTTLED = "throttled"


class MillstreamError(Exception):
    """Base of every error Millstream raises on purpose."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidInput(MillstreamError):
    code = ErrorCode.INVALID_INPUT


class InvalidSql(InvalidInput):
    code = ErrorCode.INVALID_SQL

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        code: ErrorCode | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.line = line
        self.column = column


class InvalidArtifact(InvalidInput):
    code = ErrorCode.INVALID_ARTIFACT


class UnknownVariable(InvalidInput):
    code = ErrorCode.UNKNOWN_VARIABLE


class NotFound(MillstreamError):
    code = ErrorCode.NOT_FOUND


class Conflict(MillstreamError):
    code = ErrorCode.CONFLICT


class JobAlreadyLive(Conflict):
    code = ErrorCode.JOB_ALREADY_LIVE


class InvalidTransition(Conflict):
    code = ErrorCode.INVALID_TRANSITION


class StaleVersion(Conflict):
    code = ErrorCode.STALE_VERSION


class Unauthenticated(MillstreamError):
    code = ErrorCode.UNAUTHENTICATED


class PermissionDenied(MillstreamError):
    code = ErrorCode.PERMISSION_DENIED


class PayloadTooLarge(MillstreamError):
    code = ErrorCode.PAYLOAD_TOO_LARGE


class Unavailable(MillstreamError):
    code = ErrorCode.UNAVAILABLE


class EngineUnavailable(Unavailable):
    code = ErrorCode.ENGINE_UNAVAILABLE


class StoreUnavailable(Unavailable):
    code = ErrorCode.STORE_UNAVAILABLE


class Throttled(Unavailable):
    """The caller failed too often (e.g. authentication) and is refused for a while;
    dialects answer 429 where they can (503 otherwise, as any ``Unavailable``)."""

    code = ErrorCode.THROTTLED


class EnginePermanentError(MillstreamError):
    """Flink refused an action in a way retrying will not fix (bad jar, bad plan...)."""

    code = ErrorCode.ENGINE_REJECTED
