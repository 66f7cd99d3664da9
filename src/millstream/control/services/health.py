"""Health-check use cases the API, CLI and console serve: read, set and remove a
deployment's health policy (``domain.health``) and read its health.

Setting a policy only writes it (validated); ``control.health_checks`` judges the
deployments each round, records their health, restarts and rolls back. The store port
is ``control.health_ports.HealthStore``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection
from datetime import UTC, datetime

from millstream.control.context import Actor, Scope
from millstream.control.health_ports import HealthStore
from millstream.control.services.deployments import DeploymentService
from millstream.domain.errors import NotFound
from millstream.domain.health import HealthPolicy, HealthStatus

__all__ = ["HealthService", "PolicyFields"]


@dataclasses.dataclass(frozen=True, slots=True)
class PolicyFields:
    """What a user sets; the defaults are ``HealthPolicy``'s."""

    max_restarts: int | None = None
    restart_window_seconds: int = 600
    checkpoint_stall_seconds: int | None = None
    source_idle_seconds: int | None = None
    auto_restart: bool = False
    rollback: bool = False
    readiness_timeout_seconds: int = 300
    stable_period_seconds: int = 60


class HealthService:
    def __init__(
        self,
        store: HealthStore,
        deployments: DeploymentService,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._deployments = deployments
        self._clock = clock

    def get_policy(self, scope: Scope, deployment_id: str) -> HealthPolicy:
        """The deployment's policy; ``NotFound`` when it has none."""
        deployment = self._deployments.get(scope, deployment_id)  # NotFound outside scope
        with self._store.transaction() as repos:
            policy = repos.read_health_policy(deployment_id=deployment_id)
        if policy is None:
            raise NotFound(f"deployment {deployment.name!r} has no health policy")
        return policy

    def put_policy(
        self, scope: Scope, actor: Actor, deployment_id: str, fields: PolicyFields
    ) -> HealthPolicy:
        """Create or replace the policy (validated); the health status stays."""
        self._deployments.get(scope, deployment_id)
        now = self._clock()
        policy = HealthPolicy(
            deployment_id=deployment_id,
            workspace=scope.workspace,
            namespace=scope.namespace,
            **dataclasses.asdict(fields),
            modifier=actor.id,
            created_at=now,
            modified_at=now,
        )
        policy.validate()
        with self._store.transaction() as repos:
            current = repos.read_health_policy(deployment_id=deployment_id)
            if current is not None:
                policy = dataclasses.replace(policy, created_at=current.created_at)
            repos.write_health_policy(policy=policy)
        return policy

    def delete_policy(self, scope: Scope, deployment_id: str) -> None:
        """Stop checking the deployment (its health is forgotten too)."""
        deployment = self._deployments.get(scope, deployment_id)
        with self._store.transaction() as repos:
            if not repos.delete_health_policy(deployment_id=deployment_id):
                raise NotFound(f"deployment {deployment.name!r} has no health policy")

    def health(self, scope: Scope, deployment_id: str) -> tuple[HealthPolicy | None, HealthStatus]:
        """The deployment's policy (if any) and health (UNKNOWN before the first check)."""
        deployment = self._deployments.get(scope, deployment_id)
        with self._store.transaction() as repos:
            policy = repos.read_health_policy(deployment_id=deployment_id)
            status = repos.read_health_status(deployment_id=deployment_id)
        return policy, status or HealthStatus(deployment.id, scope.workspace, scope.namespace)

    def statuses(self, deployment_ids: Collection[str]) -> dict[str, HealthStatus]:
        """The stored health of deployments already read in their scope, by id."""
        with self._store.transaction() as repos:
            found = repos.read_health_statuses(deployment_ids=deployment_ids)
        return {status.deployment_id: status for status in found}
