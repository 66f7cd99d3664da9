"""Deployment drafts: a deployment being edited before it is deployed (issue 17).

A draft holds the part of a deployment a user writes (``DraftSpec``: name, artifact,
execution mode, engine version, labels, variables), lives in a folder (0: the root) and
may refer to the deployment it was made from. One editor at a time: a ``DraftLock``
names its holder and when it expires; ``require_editable`` refuses anyone else until
then. Validation and deployment run in the background and leave a ``DraftTicket`` with
its ``DraftOutcome``. Every deploy onto an existing deployment first keeps that
deployment's spec as a ``SpecRevision``, so it can be rolled back. The draft service
(``control.services.drafts``) calls the checks here; nothing here does I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from millstream.domain.artifacts import Artifact, ExecutionMode
from millstream.domain.errors import Conflict, InvalidInput, PayloadTooLarge
from millstream.domain.names import has_control_characters

__all__ = [
    "MAX_DRAFT_BYTES",
    "MAX_LABELS",
    "MAX_LOCK_TTL",
    "MAX_NAME",
    "MIN_LOCK_TTL",
    "DeploymentDraft",
    "DraftLock",
    "DraftOutcome",
    "DraftSpec",
    "DraftTicket",
    "SpecRevision",
    "TicketKind",
    "TicketStatus",
    "check_draft_name",
    "check_lock_ttl",
    "check_spec",
    "lock_held_by_other",
    "require_editable",
]

MAX_NAME = 128
MAX_LABELS = 64
MAX_DRAFT_BYTES = 1024 * 1024  # the script and every other text of a draft together
MIN_LOCK_TTL = timedelta(minutes=1)
MAX_LOCK_TTL = timedelta(hours=24)


@dataclass(slots=True)
class DraftSpec:
    """What a deploy writes onto a deployment (and what a rollback restores)."""

    name: str
    artifact: Artifact | None = None
    execution_mode: ExecutionMode = ExecutionMode.STREAMING
    engine_version: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DraftLock:
    """Who may edit a draft, until when."""

    id: str
    holder_id: str
    holder_name: str
    expires_at: datetime


@dataclass(slots=True)
class DeploymentDraft:
    """One draft; ``id`` is chosen by the service when it is created."""

    id: str
    workspace: str
    namespace: str
    folder_id: int
    spec: DraftSpec
    deployment_id: str | None = None  # the deployment it was made from / deployed as
    lock: DraftLock | None = None
    creator: str | None = None
    creator_name: str | None = None
    modifier: str | None = None
    modifier_name: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None


class TicketKind(enum.StrEnum):
    VALIDATE = "VALIDATE"
    DEPLOY = "DEPLOY"


class TicketStatus(enum.StrEnum):
    PROCESSING = "PROCESSING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class DraftOutcome:
    """What a validation or a deploy found: ``ok`` or why not (with the SQL position)."""

    ok: bool
    message: str | None = None
    line: int | None = None
    column: int | None = None
    problems: tuple[str, ...] = ()  # what the draft lacks (no artifact, no script, ...)
    deployment_id: str | None = None
    revision_id: str | None = None  # the previous spec a deploy kept


@dataclass(slots=True)
class DraftTicket:
    """One background validation or deploy; answered until ``expires_at``."""

    id: str
    workspace: str
    namespace: str
    draft_id: str
    kind: TicketKind
    status: TicketStatus
    created_at: datetime
    expires_at: datetime
    outcome: DraftOutcome | None = None


@dataclass(frozen=True, slots=True)
class SpecRevision:
    """A deployment's spec as it was before a deploy replaced it."""

    id: str
    workspace: str
    namespace: str
    deployment_id: str
    spec: DraftSpec
    created_at: datetime
    draft_id: str | None = None
    creator: str | None = None


def check_draft_name(name: str) -> str:
    """``name`` if it can name a draft (and the deployment it becomes)."""
    if not name or not name.strip():
        raise InvalidInput("a deployment draft needs a name, e.g. 'orders-to-lake'")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"a draft name has at most {MAX_NAME} characters, got {len(name)}")
    if name != name.strip() or has_control_characters(name) or not name.isprintable():
        raise InvalidInput(
            f"draft name {name[:40]!r} must be printable, without leading or trailing blanks"
        )
    if "/" in name or "\\" in name:
        raise InvalidInput(f"draft name {name[:40]!r} contains a slash; choose the folder instead")
    return name


def _text_size(text: str, what: str) -> int:
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} must be valid Unicode (no lone surrogates)") from None
    if "\x00" in text:
        raise InvalidInput(f"{what} cannot contain NUL characters")
    return size


def check_spec(spec: DraftSpec) -> DraftSpec:
    """``spec`` if its name, labels and variables are sound and it fits in
    ``MAX_DRAFT_BYTES``."""
    check_draft_name(spec.name)
    if len(spec.labels) > MAX_LABELS:
        raise InvalidInput(f"a draft has at most {MAX_LABELS} labels, got {len(spec.labels)}")
    size = 0
    for key, value in [*spec.labels.items(), *spec.variables.items()]:
        if not key or len(key) > MAX_NAME or has_control_characters(key):
            raise InvalidInput(f"label or variable name {key[:40]!r} must be 1-{MAX_NAME} chars")
        size += _text_size(key, "a label or variable name") + _text_size(value, f"{key!r}")
    if spec.engine_version is not None:
        size += _text_size(spec.engine_version, "engineVersion")
    if spec.artifact is not None:
        for text in (
            spec.artifact.sql_script,
            spec.artifact.jar_uri,
            spec.artifact.python_artifact_uri,
            spec.artifact.entry_class,
            spec.artifact.entry_module,
            spec.artifact.main_args,
        ):
            size += _text_size(text, "the artifact") if text else 0
    if size > MAX_DRAFT_BYTES:
        raise PayloadTooLarge(f"a draft has at most {MAX_DRAFT_BYTES} bytes of text, got {size}")
    return spec


def check_lock_ttl(ttl: timedelta) -> timedelta:
    """``ttl`` if a lock may last that long (``MIN_LOCK_TTL`` to ``MAX_LOCK_TTL``)."""
    if not MIN_LOCK_TTL <= ttl <= MAX_LOCK_TTL:
        raise InvalidInput(
            f"a draft lock lasts {int(MIN_LOCK_TTL.total_seconds())} to "
            f"{int(MAX_LOCK_TTL.total_seconds())} seconds, got {int(ttl.total_seconds())}"
        )
    return ttl


def lock_held_by_other(lock: DraftLock | None, holder_id: str, now: datetime) -> bool:
    """Whether ``lock`` keeps ``holder_id`` from editing at ``now``."""
    return lock is not None and lock.holder_id != holder_id and lock.expires_at > now


def require_editable(draft: DeploymentDraft, holder_id: str, now: datetime) -> None:
    """``Conflict`` naming the holder and expiry if someone else holds the draft's lock."""
    lock = draft.lock
    if lock is not None and lock_held_by_other(lock, holder_id, now):
        raise Conflict(
            f"deployment draft {draft.id!r} is locked by {lock.holder_name} "
            f"({lock.holder_id}) until {lock.expires_at.isoformat()}; "
            "wait for it to expire or ask them to finish"
        )
