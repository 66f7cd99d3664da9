"""The store port of health checks: one health policy and one health status per
deployment.

``control.services.health`` (the API's policy get/put/delete and health reads) and
``control.health_checks`` (the leader's periodic task) use it; ``store.health``
implements it.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from typing import Protocol

from millstream.domain.health import HealthPolicy, HealthStatus

__all__ = ["HealthRepositories", "HealthStore"]


class HealthRepositories(Protocol):
    def read_health_policy(self, *, deployment_id: str) -> HealthPolicy | None: ...
    def read_health_policies(self) -> list[HealthPolicy]:
        """Every deployment's policy."""
        ...

    def write_health_policy(self, *, policy: HealthPolicy) -> None:
        """Create or replace the deployment's policy."""
        ...

    def delete_health_policy(self, *, deployment_id: str) -> bool:
        """Whether there was one (the status goes with it)."""
        ...

    def read_health_status(self, *, deployment_id: str) -> HealthStatus | None: ...
    def read_health_statuses(self, *, deployment_ids: Collection[str]) -> list[HealthStatus]: ...
    def write_health_status(self, *, status: HealthStatus) -> None:
        """Create or replace the deployment's status."""
        ...


class HealthStore(Protocol):
    def transaction(self) -> AbstractContextManager[HealthRepositories]: ...
