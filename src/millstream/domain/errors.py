"""The error hierarchy every layer raises and every API dialect maps to its envelope.

Each error carries a stable ``code`` (dialects may rename it) and a message that says
what to fix. Dialects look errors up by class, most specific first.

    MillstreamError
    ├── InvalidInput                 the request is malformed or breaks a rule
    │   ├── InvalidSql               Flink rejected the SQL script (line/column when known)
    │   ├── InvalidArtifact          an artifact URI, entry class or file cannot be used
    │   └── UnknownVariable          ${name} used but defined nowhere
    ├── NotFound                     a named thing does not exist (or is not visible)
    ├── Conflict                     the request contradicts the current state
    │   ├── JobAlreadyLive           the deployment already has a job that is not terminal
    │   ├── InvalidTransition        the job cannot go from its status to the requested one
    │   └── StaleVersion             resourceVersion does not match (concurrent edit)
    ├── Unauthenticated              no or bad credentials / signature
    ├── PermissionDenied             authenticated, but the role does not allow the action
    ├── PayloadTooLarge              body or upload over the configured limit
    └── Unavailable                  a dependency (Flink, the database) is temporarily down
        ├── EngineUnavailable        Flink REST unreachable or answering 5xx (retry)
        └── StoreUnavailable         the database connection failed (retry)

``EnginePermanentError`` is raised by engine adapters for a Flink answer that retrying
cannot fix; the reconciler records it as the job's failure.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "EnginePermanentError",
    "EngineUnavailable",
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
    "Unauthenticated",
    "Unavailable",
    "UnknownVariable",
]


class MillstreamError(Exception):
    """Base of every error Millstream raises on purpose."""

    code = "Internal"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidInput(MillstreamError):
    code = "InvalidParameter"


class InvalidSql(InvalidInput):
    code = "InvalidSql"

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.line = line
        self.column = column


class InvalidArtifact(InvalidInput):
    code = "InvalidArtifact"


class UnknownVariable(InvalidInput):
    code = "UnknownVariable"


class NotFound(MillstreamError):
    code = "NotFound"


class Conflict(MillstreamError):
    code = "Conflict"


class JobAlreadyLive(Conflict):
    code = "JobAlreadyRunning"


class InvalidTransition(Conflict):
    code = "InvalidJobStatus"


class StaleVersion(Conflict):
    code = "ResourceVersionConflict"


class Unauthenticated(MillstreamError):
    code = "Unauthenticated"


class PermissionDenied(MillstreamError):
    code = "Forbidden"


class PayloadTooLarge(MillstreamError):
    code = "PayloadTooLarge"


class Unavailable(MillstreamError):
    code = "ServiceUnavailable"


class EngineUnavailable(Unavailable):
    code = "FlinkUnavailable"


class StoreUnavailable(Unavailable):
    code = "StoreUnavailable"


class EnginePermanentError(MillstreamError):
    """Flink refused an action in a way retrying will not fix (bad jar, bad plan...)."""

    code = "FlinkError"
