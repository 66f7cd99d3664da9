"""Start and stop strategies: ``restoreStrategy`` (aliases of older SDK samples included)
and ``stopStrategy``, wire <-> domain."""

from __future__ import annotations

from millstream.api.native import schemas
from millstream.api.native.mappers.common import parse_enum
from millstream.domain.errors import InvalidInput
from millstream.domain.jobs import RestoreKind, RestoreStrategy, StopStrategy

__all__ = [
    "RESTORE_KINDS",
    "restore_from_wire",
    "restore_kind_from_wire",
    "restore_to_wire",
    "stop_strategy_from_wire",
]


# ``restoreStrategy.kind`` on the wire -> domain. ``FROM_NEW`` and ``FROM_LATEST`` are the
# names older SDK samples send; the error lists only the current ones.
RESTORE_KINDS: dict[str, RestoreKind] = {
    "NONE": RestoreKind.NONE,
    "LATEST_SAVEPOINT": RestoreKind.LATEST_SAVEPOINT,
    "LATEST_STATE": RestoreKind.LATEST_STATE,
    "FROM_SAVEPOINT": RestoreKind.FROM_SAVEPOINT,
    "FROM_NEW": RestoreKind.NONE,
    "FROM_LATEST": RestoreKind.LATEST_STATE,
}


_RESTORE_KIND_NAMES = ("NONE", "LATEST_SAVEPOINT", "LATEST_STATE", "FROM_SAVEPOINT")


def restore_kind_from_wire(value: str) -> RestoreKind:
    """A wire ``restoreStrategy.kind`` (any case, aliases included) as a domain kind."""
    kind = RESTORE_KINDS.get(value.upper())
    if kind is None:
        valid = ", ".join(_RESTORE_KIND_NAMES)
        raise InvalidInput(f"unknown restoreStrategy.kind {value!r}; use one of {valid}")
    return kind


def restore_from_wire(wire: schemas.DeploymentRestoreStrategy | None) -> RestoreStrategy:
    """A restore strategy; absent (or without ``kind``) means start without state."""
    if wire is None:
        return RestoreStrategy()
    kind = RestoreKind.NONE if not wire.kind else restore_kind_from_wire(wire.kind)
    if kind is RestoreKind.FROM_SAVEPOINT and not wire.savepoint_id:
        raise InvalidInput("restoreStrategy.savepointId is required with FROM_SAVEPOINT")
    strategy = RestoreStrategy(
        kind=kind,
        savepoint_id=wire.savepoint_id or None,
        allow_non_restored_state=bool(wire.allow_non_restored_state),
        job_start_time_ms=wire.job_start_time_in_ms,
    )
    strategy.validate()
    return strategy


def stop_strategy_from_wire(value: str | None) -> StopStrategy:
    if not value:
        valid = ", ".join(strategy.value for strategy in StopStrategy)
        raise InvalidInput(f"stopStrategy is required; use one of {valid}")
    return parse_enum(StopStrategy, value, "stopStrategy")


def restore_to_wire(restore: RestoreStrategy) -> schemas.DeploymentRestoreStrategy:
    return schemas.DeploymentRestoreStrategy(
        kind=restore.kind.value,
        savepoint_id=restore.savepoint_id,
        allow_non_restored_state=restore.allow_non_restored_state,
        job_start_time_in_ms=restore.job_start_time_ms,
    )
