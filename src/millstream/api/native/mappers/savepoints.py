"""Savepoints as the wire model (``createdAt`` in int epoch seconds, states through
``states``)."""

from __future__ import annotations

from millstream.api.native import schemas, states
from millstream.api.native.mappers.common import seconds
from millstream.domain.savepoints import Savepoint, SavepointState

__all__ = ["savepoint_to_wire"]


def savepoint_to_wire(savepoint: Savepoint) -> schemas.Savepoint:
    failure = None
    if savepoint.failure is not None:
        failure = schemas.SavepointFailure(
            message=savepoint.failure,
            reason=None,
            failed_at=(
                seconds(savepoint.modified_at) if savepoint.state is SavepointState.FAILED else None
            ),
        )
    return schemas.Savepoint(
        savepoint_id=savepoint.id,
        deployment_id=savepoint.deployment_id,
        job_id=savepoint.job_id,
        namespace=savepoint.namespace,
        description=savepoint.description,
        native_format=savepoint.native_format,
        savepoint_location=savepoint.location,
        savepoint_origin=states.SAVEPOINT_ORIGINS[savepoint.origin],
        stop_with_drain_enabled=savepoint.stop_with_drain,
        status=schemas.SavepointStatus(
            state=states.SAVEPOINT_STATES[savepoint.state], failure=failure
        ),
        created_at=seconds(savepoint.created_at),
        modified_at=seconds(savepoint.modified_at),
    )
