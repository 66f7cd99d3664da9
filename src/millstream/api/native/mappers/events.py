"""Events as the wire model (``createdAt`` as epoch-second text)."""

from __future__ import annotations

from millstream.api.native import schemas
from millstream.api.native.mappers.common import seconds_text
from millstream.domain.events import Event

__all__ = ["event_to_wire"]


def event_to_wire(event: Event) -> schemas.Event:
    return schemas.Event(
        event_id=event.id,
        event_name=event.name.value,
        message=event.message,
        created_at=seconds_text(event.created_at),
        deployment_id=event.deployment_id,
        job_id=event.job_id,
        namespace=event.namespace,
        workspace=event.workspace,
    )
