"""The store port of autoscaling: deployments' autoscaling settings and recorded plans.

``control.services.autoscale`` (the API's reads and UpdateAutoScaleConfig) and
``control.autoscaler`` (the periodic planner) use it; ``store.autoscale`` implements it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from millstream.domain.autoscale import AutoscaleConfig, AutoscalePlan, PlanOutcome

__all__ = ["AutoscaleRepositories", "AutoscaleStore", "StoredAutoscaleConfig"]


@dataclass(frozen=True, slots=True)
class StoredAutoscaleConfig:
    """A deployment's settings and where the deployment lives."""

    deployment_id: str
    workspace: str
    namespace: str
    config: AutoscaleConfig
    modifier: str | None = None
    modified_at: datetime | None = None


class AutoscaleRepositories(Protocol):
    def read_autoscale_config(self, *, deployment_id: str) -> StoredAutoscaleConfig | None: ...
    def read_enabled_autoscale_configs(self) -> list[StoredAutoscaleConfig]: ...
    def write_autoscale_config(self, *, stored: StoredAutoscaleConfig) -> None:
        """Create or replace the deployment's settings."""
        ...

    def create_autoscale_plan(self, *, plan: AutoscalePlan) -> None: ...
    def read_autoscale_plans(
        self,
        *,
        deployment_id: str,
        job_id: str | None = None,
        outcome: PlanOutcome | None = None,
        limit: int = 100,
    ) -> list[AutoscalePlan]:
        """Newest first."""
        ...

    def read_autoscale_plan(self, *, deployment_id: str, name: str) -> AutoscalePlan | None:
        """The newest plan of that name."""
        ...

    def delete_autoscale_plans(self, *, deployment_id: str, keep: int) -> int:
        """Delete all but the ``keep`` newest plans; how many went."""
        ...


class AutoscaleStore(Protocol):
    def transaction(self) -> AbstractContextManager[AutoscaleRepositories]: ...
