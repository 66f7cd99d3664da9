"""``SqlAutoscaleStore``: the ``AutoscaleStore`` port of ``control.autoscale_ports`` over
the ``autoscale_configs`` and ``autoscale_plans`` tables (``AutoscaleConfigRow``,
``AutoscalePlanRow``, migration 0013).

The app factory builds ``SqlAutoscaleStore(sql_store.engine)`` so it shares the main
store's connection pool.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from millstream.control.autoscale_ports import StoredAutoscaleConfig
from millstream.domain.autoscale import (
    AutoscaleConfig,
    AutoscalePlan,
    PlanOutcome,
    ScalingDecision,
    VertexLoad,
)
from millstream.store.models import AutoscaleConfigRow, AutoscalePlanRow
from millstream.store.store import SessionStore

__all__ = ["SqlAutoscaleRepositories", "SqlAutoscaleStore"]


class SqlAutoscaleRepositories:
    """The ``AutoscaleRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def read_autoscale_config(self, *, deployment_id: str) -> StoredAutoscaleConfig | None:
        row = self._session.get(AutoscaleConfigRow, deployment_id)
        return _stored(row) if row is not None else None

    def read_enabled_autoscale_configs(self) -> list[StoredAutoscaleConfig]:
        query = (
            select(AutoscaleConfigRow)
            .where(AutoscaleConfigRow.enabled.is_(True))
            .order_by(AutoscaleConfigRow.deployment_id)
        )
        return [_stored(row) for row in self._session.scalars(query)]

    def write_autoscale_config(self, *, stored: StoredAutoscaleConfig) -> None:
        config = stored.config
        values: dict[str, Any] = {
            "workspace": stored.workspace,
            "namespace": stored.namespace,
            "enabled": config.enabled,
            "min_parallelism": config.min_parallelism,
            "max_parallelism": config.max_parallelism,
            "target_utilization": config.target_utilization,
            "utilization_boundary": config.utilization_boundary,
            "cool_down_seconds": config.cool_down_seconds,
            "recommend_only": config.recommend_only,
            "modifier": stored.modifier,
            "modified_at": stored.modified_at,
        }
        row = self._session.get(AutoscaleConfigRow, stored.deployment_id)
        if row is None:
            self._session.add(AutoscaleConfigRow(deployment_id=stored.deployment_id, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
        self._session.flush()

    def create_autoscale_plan(self, *, plan: AutoscalePlan) -> None:
        decision = plan.decision
        self._session.add(
            AutoscalePlanRow(
                id=plan.id,
                workspace=plan.workspace,
                namespace=plan.namespace,
                deployment_id=plan.deployment_id,
                job_id=plan.job_id,
                name=plan.name,
                current_parallelism=decision.current_parallelism,
                proposed_parallelism=decision.proposed_parallelism,
                outcome=plan.outcome.value,
                reason=decision.reason,
                utilization=decision.utilization,
                bottleneck=decision.bottleneck,
                message=plan.message,
                hot_update_id=plan.hot_update_id,
                inputs={"vertices": [_load_document(load) for load in plan.inputs]},
                config=_config_document(plan.config),
                created_at=plan.created_at,
            )
        )
        self._session.flush()

    def read_autoscale_plans(
        self,
        *,
        deployment_id: str,
        job_id: str | None = None,
        outcome: PlanOutcome | None = None,
        limit: int = 100,
    ) -> list[AutoscalePlan]:
        query = select(AutoscalePlanRow).where(AutoscalePlanRow.deployment_id == deployment_id)
        if job_id is not None:
            query = query.where(AutoscalePlanRow.job_id == job_id)
        if outcome is not None:
            query = query.where(AutoscalePlanRow.outcome == outcome.value)
        query = query.order_by(
            AutoscalePlanRow.created_at.desc(), AutoscalePlanRow.id.desc()
        ).limit(limit)
        return [_plan(row) for row in self._session.scalars(query)]

    def read_autoscale_plan(self, *, deployment_id: str, name: str) -> AutoscalePlan | None:
        query = (
            select(AutoscalePlanRow)
            .where(AutoscalePlanRow.deployment_id == deployment_id)
            .where(AutoscalePlanRow.name == name)
            .order_by(AutoscalePlanRow.created_at.desc(), AutoscalePlanRow.id.desc())
            .limit(1)
        )
        row = self._session.scalars(query).first()
        return _plan(row) if row is not None else None

    def delete_autoscale_plans(self, *, deployment_id: str, keep: int) -> int:
        kept = (
            select(AutoscalePlanRow.id)
            .where(AutoscalePlanRow.deployment_id == deployment_id)
            .order_by(AutoscalePlanRow.created_at.desc(), AutoscalePlanRow.id.desc())
            .limit(max(keep, 0))
        )
        # The ids to keep are read first: a LIMIT inside a DELETE's subquery is not
        # portable, and ``keep`` is small (a setting).
        keep_ids = list(self._session.scalars(kept))
        statement = delete(AutoscalePlanRow).where(AutoscalePlanRow.deployment_id == deployment_id)
        if keep_ids:
            statement = statement.where(AutoscalePlanRow.id.not_in(keep_ids))
        result = self._session.execute(statement.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)


def _config_document(config: AutoscaleConfig) -> dict[str, Any]:
    return {
        "enabled": config.enabled,
        "minParallelism": config.min_parallelism,
        "maxParallelism": config.max_parallelism,
        "targetUtilization": config.target_utilization,
        "utilizationBoundary": config.utilization_boundary,
        "coolDownSeconds": config.cool_down_seconds,
        "recommendOnly": config.recommend_only,
    }


def _config_of(document: dict[str, Any]) -> AutoscaleConfig:
    default = AutoscaleConfig()
    return AutoscaleConfig(
        enabled=bool(document.get("enabled", default.enabled)),
        min_parallelism=int(document.get("minParallelism", default.min_parallelism)),
        max_parallelism=int(document.get("maxParallelism", default.max_parallelism)),
        target_utilization=float(document.get("targetUtilization", default.target_utilization)),
        utilization_boundary=float(
            document.get("utilizationBoundary", default.utilization_boundary)
        ),
        cool_down_seconds=float(document.get("coolDownSeconds", default.cool_down_seconds)),
        recommend_only=bool(document.get("recommendOnly", default.recommend_only)),
    )


def _load_document(load: VertexLoad) -> dict[str, Any]:
    return {
        "id": load.vertex_id,
        "name": load.name,
        "parallelism": load.parallelism,
        "busyTimeMsPerSecond": load.busy_ms_per_second,
        "backPressuredTimeMsPerSecond": load.backpressured_ms_per_second,
    }


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _load_of(document: dict[str, Any]) -> VertexLoad:
    return VertexLoad(
        vertex_id=str(document.get("id", "")),
        name=str(document.get("name", "")),
        parallelism=int(document.get("parallelism", 0)),
        busy_ms_per_second=_optional_float(document.get("busyTimeMsPerSecond")),
        backpressured_ms_per_second=_optional_float(document.get("backPressuredTimeMsPerSecond")),
    )


def _stored(row: AutoscaleConfigRow) -> StoredAutoscaleConfig:
    return StoredAutoscaleConfig(
        deployment_id=row.deployment_id,
        workspace=row.workspace,
        namespace=row.namespace,
        config=AutoscaleConfig(
            enabled=row.enabled,
            min_parallelism=row.min_parallelism,
            max_parallelism=row.max_parallelism,
            target_utilization=row.target_utilization,
            utilization_boundary=row.utilization_boundary,
            cool_down_seconds=row.cool_down_seconds,
            recommend_only=row.recommend_only,
        ),
        modifier=row.modifier,
        modified_at=row.modified_at,
    )


def _plan(row: AutoscalePlanRow) -> AutoscalePlan:
    vertices = (row.inputs or {}).get("vertices") or []
    return AutoscalePlan(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        deployment_id=row.deployment_id,
        job_id=row.job_id,
        name=row.name,
        created_at=row.created_at,
        decision=ScalingDecision(
            current_parallelism=row.current_parallelism,
            proposed_parallelism=row.proposed_parallelism,
            reason=row.reason,
            utilization=row.utilization,
            bottleneck=row.bottleneck,
        ),
        inputs=tuple(_load_of(v) for v in vertices if isinstance(v, dict)),
        config=_config_of(row.config or {}),
        outcome=PlanOutcome(row.outcome),
        message=row.message,
        hot_update_id=row.hot_update_id,
    )


class SqlAutoscaleStore(SessionStore[SqlAutoscaleRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlAutoscaleRepositories, **engine_options)
