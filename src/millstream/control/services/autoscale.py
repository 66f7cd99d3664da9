"""Autoscaling use cases the API serves: read and change a deployment's autoscaling
settings, read the plans the autoscaler recorded.

Settings live per deployment (a dialect that sets them per run, as foas'
UpdateAutoScaleConfig does, writes them to the run's deployment, so every later run keeps
them). Changing them only writes; ``control.autoscaler.Autoscaler`` reads them each round.
The store port is ``control.autoscale_ports.AutoscaleStore``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from millstream.control.autoscale_ports import AutoscaleStore, StoredAutoscaleConfig
from millstream.control.context import Actor, Scope
from millstream.control.services.deployments import DeploymentService
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.autoscale import AutoscaleConfig, AutoscaleConfigPatch, AutoscalePlan
from millstream.domain.errors import ErrorCode, InvalidInput, NotFound

__all__ = ["AutoscaleService"]

_MAX_LISTED = 500


class AutoscaleService:
    def __init__(
        self,
        store: AutoscaleStore,
        deployments: DeploymentService,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._deployments = deployments
        self._clock = clock

    def config(self, scope: Scope, deployment_id: str) -> AutoscaleConfig:
        """The deployment's settings (the defaults, autoscaling off, if never set)."""
        self._deployments.get(scope, deployment_id)  # NotFound outside the scope
        with self._store.transaction() as repos:
            stored = repos.read_autoscale_config(deployment_id=deployment_id)
        return stored.config if stored is not None else AutoscaleConfig()

    def update_config(
        self, scope: Scope, actor: Actor, deployment_id: str, patch: AutoscaleConfigPatch
    ) -> AutoscaleConfig:
        """Apply ``patch`` to the deployment's settings (validated) and store them."""
        deployment = self._deployments.get(scope, deployment_id)
        with self._store.transaction() as repos:
            stored = repos.read_autoscale_config(deployment_id=deployment_id)
            current = stored.config if stored is not None else AutoscaleConfig()
            updated = patch.apply(current)
            if updated.enabled and deployment.execution_mode is ExecutionMode.BATCH:
                raise InvalidInput(
                    f"deployment {deployment.name!r} runs in batch mode: only streaming jobs "
                    "can be autoscaled"
                )
            repos.write_autoscale_config(
                stored=StoredAutoscaleConfig(
                    deployment_id=deployment_id,
                    workspace=scope.workspace,
                    namespace=scope.namespace,
                    config=updated,
                    modifier=actor.id,
                    modified_at=self._clock(),
                )
            )
        return updated

    def plans(
        self, scope: Scope, deployment_id: str, *, job_id: str | None = None, limit: int = 100
    ) -> list[AutoscalePlan]:
        """The deployment's recorded plans (of one job if given), newest first."""
        self._deployments.get(scope, deployment_id)
        with self._store.transaction() as repos:
            return repos.read_autoscale_plans(
                deployment_id=deployment_id, job_id=job_id, limit=min(max(limit, 1), _MAX_LISTED)
            )

    def plan(self, scope: Scope, deployment_id: str, name: str) -> AutoscalePlan:
        """The deployment's plan called ``name``; ``NotFound`` if none."""
        self._deployments.get(scope, deployment_id)
        with self._store.transaction() as repos:
            found = repos.read_autoscale_plan(deployment_id=deployment_id, name=name)
        if found is None:
            raise NotFound(
                f"deployment {deployment_id!r} has no autoscaling plan named {name[:64]!r}",
                code=ErrorCode.NOT_FOUND,
            )
        return found

    def latest_plan(self, scope: Scope, deployment_id: str) -> AutoscalePlan | None:
        """The deployment's newest plan, if the autoscaler ever made one."""
        found = self.plans(scope, deployment_id, limit=1)
        return found[0] if found else None
