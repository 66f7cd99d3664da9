"""Savepoints (and retained checkpoints) a job can be restored from (DESIGN.md §4)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Savepoint", "SavepointOrigin", "SavepointState"]


class SavepointOrigin(enum.StrEnum):
    USER_REQUEST = "USER_REQUEST"
    STOP_WITH_SAVEPOINT = "STOP_WITH_SAVEPOINT"
    RETAINED_CHECKPOINT = "RETAINED_CHECKPOINT"
    SCHEDULE = "SCHEDULE"


class SavepointState(enum.StrEnum):
    STARTED = "STARTED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


@dataclass(slots=True)
class Savepoint:
    id: str
    workspace: str
    namespace: str
    deployment_id: str
    job_id: str | None
    origin: SavepointOrigin
    state: SavepointState = SavepointState.STARTED
    location: str | None = None
    trigger_id: str | None = None  # Flink's request-id while the savepoint is in flight
    failure: str | None = None
    description: str | None = None
    native_format: bool = False
    stop_with_drain: bool = False
    created_at: datetime | None = None
    modified_at: datetime | None = None
