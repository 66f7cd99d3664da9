"""The store port of periodic savepoints: one schedule per deployment.

``control.services.savepoint_schedules`` (the API's get/put/delete) and
``control.savepoint_scheduler`` (the leader's periodic task) use it;
``store.savepoint_schedules`` implements it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from millstream.domain.savepoint_schedules import SavepointSchedule

__all__ = ["SavepointScheduleRepositories", "SavepointScheduleStore"]


class SavepointScheduleRepositories(Protocol):
    def read_savepoint_schedule(self, *, deployment_id: str) -> SavepointSchedule | None: ...
    def read_savepoint_schedules(self) -> list[SavepointSchedule]:
        """Every deployment's schedule."""
        ...

    def write_savepoint_schedule(self, *, schedule: SavepointSchedule) -> None:
        """Create or replace the deployment's schedule."""
        ...

    def delete_savepoint_schedule(self, *, deployment_id: str) -> bool:
        """Whether there was one."""
        ...


class SavepointScheduleStore(Protocol):
    def transaction(self) -> AbstractContextManager[SavepointScheduleRepositories]: ...
