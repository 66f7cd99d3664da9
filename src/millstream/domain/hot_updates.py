"""Hot updates: change the parallelism or configuration of a running job as one operation.

A hot update (HotUpdateJob, ververica 2022-07-18) is carried out as an upgrade: stop the
job with a savepoint, then start a new job of the same deployment from that savepoint
with the changed settings. ``HotUpdate`` records the whole operation so it survives a
control-plane restart; ``control.hot_updates.HotUpdateCoordinator`` moves it along the
phases below, one step per tick, and nothing else changes ``phase``.

    REQUESTED ──> STOPPING ──> STARTING ──> DONE
        │             │            │
        └─────────────┴────────────┴──────> FAILED
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from millstream.domain.errors import InvalidInput, InvalidTransition

__all__ = [
    "HOT_UPDATE_TRANSITIONS",
    "HotUpdate",
    "HotUpdateChange",
    "HotUpdateFailure",
    "HotUpdatePhase",
    "HotUpdateStatus",
    "changed_settings",
]

_MAX_CONF_ENTRIES = 512
_MAX_CONF_TEXT = 16 * 1024


class HotUpdatePhase(enum.StrEnum):
    REQUESTED = "REQUESTED"  # deployment updated; the stop is not yet requested
    STOPPING = "STOPPING"  # stop-with-savepoint requested on the old job
    STARTING = "STARTING"  # new job started from the savepoint, not yet RUNNING
    DONE = "DONE"
    FAILED = "FAILED"


HOT_UPDATE_TRANSITIONS: dict[HotUpdatePhase, frozenset[HotUpdatePhase]] = {
    HotUpdatePhase.REQUESTED: frozenset({HotUpdatePhase.STOPPING, HotUpdatePhase.FAILED}),
    HotUpdatePhase.STOPPING: frozenset({HotUpdatePhase.STARTING, HotUpdatePhase.FAILED}),
    HotUpdatePhase.STARTING: frozenset({HotUpdatePhase.DONE, HotUpdatePhase.FAILED}),
    HotUpdatePhase.DONE: frozenset(),
    HotUpdatePhase.FAILED: frozenset(),
}


class HotUpdateStatus(enum.StrEnum):
    """The outcome a requester sees (dialects name it in their ``states.py``)."""

    HOT_UPDATING = "HOT_UPDATING"
    HOT_UPDATED = "HOT_UPDATED"
    HOT_UPDATE_FAILED = "HOT_UPDATE_FAILED"


@dataclass(frozen=True, slots=True)
class HotUpdateChange:
    """What to change: a new job parallelism and/or configuration entries to set.

    ``flink_conf`` entries are merged onto the deployment's Flink configuration; a ``None``
    value removes the key.
    """

    parallelism: int | None = None
    flink_conf: dict[str, Any] | None = None

    @property
    def is_empty(self) -> bool:
        return self.parallelism is None and not self.flink_conf

    def validate(self) -> None:
        if self.parallelism is not None and not 1 <= self.parallelism <= 32768:
            raise InvalidInput(
                f"the new parallelism must be between 1 and 32768, got {self.parallelism}"
            )
        conf = self.flink_conf or {}
        if len(conf) > _MAX_CONF_ENTRIES:
            raise InvalidInput(
                f"the configuration change has {len(conf)} entries; at most "
                f"{_MAX_CONF_ENTRIES} are allowed"
            )
        for key, value in conf.items():
            if not isinstance(key, str) or not key.strip() or len(key) > 256:
                raise InvalidInput(
                    f"configuration key {key!r} must be a non-empty string of at most 256 "
                    "characters"
                )
            if value is not None and not isinstance(value, str | int | float | bool):
                raise InvalidInput(
                    f"configuration value of {key!r} must be a string, number or boolean "
                    "(or null to remove the key)"
                )
            if isinstance(value, str) and len(value) > _MAX_CONF_TEXT:
                raise InvalidInput(
                    f"configuration value of {key!r} is longer than {_MAX_CONF_TEXT} characters"
                )

    def merged_conf(self, current: dict[str, Any]) -> dict[str, Any]:
        """``current`` with this change's entries set (and ``None`` entries removed)."""
        merged = dict(current)
        for key, value in (self.flink_conf or {}).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged


def changed_settings(
    *,
    job_parallelism: int,
    job_conf: dict[str, Any],
    target_parallelism: int,
    target_conf: dict[str, Any],
) -> HotUpdateChange:
    """The change that turns a job's settings into the target ones (empty if equal).

    Used when a hot update names no change (the native SDK sends none): the update then
    applies the deployment's current settings to its running job.
    """
    conf: dict[str, Any] = {
        key: value for key, value in target_conf.items() if job_conf.get(key) != value
    }
    conf.update({key: None for key in job_conf if key not in target_conf})
    return HotUpdateChange(
        parallelism=target_parallelism if target_parallelism != job_parallelism else None,
        flink_conf=conf or None,
    )


@dataclass(frozen=True, slots=True)
class HotUpdateFailure:
    """Why a hot update failed (HotUpdateJobFailureInfo)."""

    reason: str
    message: str
    severity: str = "HIGH"


@dataclass(slots=True)
class HotUpdate:
    id: str
    workspace: str
    namespace: str
    deployment_id: str
    job_id: str  # the job being updated
    change: HotUpdateChange
    target_parallelism: int
    target_flink_conf: dict[str, Any]
    phase: HotUpdatePhase = HotUpdatePhase.REQUESTED
    savepoint_id: str | None = None
    new_job_id: str | None = None
    failure: HotUpdateFailure | None = None
    request_id: str | None = None
    creator: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_finished(self) -> bool:
        return self.phase in (HotUpdatePhase.DONE, HotUpdatePhase.FAILED)

    @property
    def status(self) -> HotUpdateStatus:
        if self.phase is HotUpdatePhase.DONE:
            return HotUpdateStatus.HOT_UPDATED
        if self.phase is HotUpdatePhase.FAILED:
            return HotUpdateStatus.HOT_UPDATE_FAILED
        return HotUpdateStatus.HOT_UPDATING

    @property
    def current_job_id(self) -> str:
        """The job that carries the update: the new one once started, else the old one."""
        return self.new_job_id or self.job_id

    def move_to(self, phase: HotUpdatePhase) -> None:
        if phase is self.phase:
            return
        if phase not in HOT_UPDATE_TRANSITIONS[self.phase]:
            raise InvalidTransition(
                f"hot update {self.id} cannot go from {self.phase.value} to {phase.value}"
            )
        self.phase = phase

    def fail(self, reason: str, message: str) -> None:
        self.move_to(HotUpdatePhase.FAILED)
        self.failure = HotUpdateFailure(reason=reason, message=message)
