"""Autoscaling settings and plans in the SQL store (SQLite and PostgreSQL): round trips,
newest-first reads, filters, pruning, and deletion with the deployment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from millstream.control.autoscale_ports import StoredAutoscaleConfig
from millstream.domain.autoscale import (
    AutoscaleConfig,
    AutoscalePlan,
    PlanOutcome,
    ScalingDecision,
    VertexLoad,
)
from millstream.domain.deployments import Deployment
from millstream.store import SqlStore
from millstream.store.autoscale import SqlAutoscaleStore
from tests.factories import make_deployment, new_id

T0 = datetime(2026, 12, 4, 21, 30, 5, tzinfo=UTC)
CONFIG = AutoscaleConfig(
    enabled=True,
    min_parallelism=2,
    max_parallelism=6,
    target_utilization=0.6,
    utilization_boundary=0.15,
    cool_down_seconds=42.5,
    recommend_only=True,
)


def _deployment(store: SqlStore) -> Deployment:
    deployment = make_deployment()
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
    return deployment


def _plan(
    deployment: Deployment,
    at: datetime,
    *,
    job_id: str = "job-1",
    outcome: PlanOutcome = PlanOutcome.KEPT,
) -> AutoscalePlan:
    return AutoscalePlan(
        id=new_id(),
        workspace=deployment.workspace,
        namespace=deployment.namespace,
        deployment_id=deployment.id,
        job_id=job_id,
        name=at.strftime("%Y-%m-%d %H:%M:%S"),
        created_at=at,
        decision=ScalingDecision(2, 3, "busy", 0.91, "Calc -> Sink"),
        inputs=(
            VertexLoad("a1", "Source: src", 2, None, 812.5),
            VertexLoad("b2", "Calc -> Sink", 2, 910.0, 0.0),
        ),
        config=CONFIG,
        outcome=outcome,
        message="hot update h1" if outcome is PlanOutcome.APPLIED else None,
        hot_update_id="h1" if outcome is PlanOutcome.APPLIED else None,
    )


def test_settings_round_trip_and_only_enabled_are_listed(store: SqlStore) -> None:
    autoscale = SqlAutoscaleStore(store.engine)
    on, off = _deployment(store), _deployment(store)
    with autoscale.transaction() as repos:
        assert repos.read_autoscale_config(deployment_id=on.id) is None
        for deployment, config in ((on, CONFIG), (off, AutoscaleConfig())):
            repos.write_autoscale_config(
                stored=StoredAutoscaleConfig(
                    deployment.id, deployment.workspace, deployment.namespace, config, "alice", T0
                )
            )
    with autoscale.transaction() as repos:
        stored = repos.read_autoscale_config(deployment_id=on.id)
        assert stored == StoredAutoscaleConfig(
            on.id, on.workspace, on.namespace, CONFIG, "alice", T0
        )
        assert [s.deployment_id for s in repos.read_enabled_autoscale_configs()] == [on.id]
        repos.write_autoscale_config(
            stored=StoredAutoscaleConfig(
                on.id, on.workspace, on.namespace, AutoscaleConfig(), "bob", T0
            )
        )
    with autoscale.transaction() as repos:
        assert repos.read_enabled_autoscale_configs() == []
        replaced = repos.read_autoscale_config(deployment_id=on.id)
        assert replaced is not None
        assert replaced.modifier == "bob"


def test_plans_round_trip_newest_first_with_filters(store: SqlStore) -> None:
    autoscale = SqlAutoscaleStore(store.engine)
    deployment = _deployment(store)
    first = _plan(deployment, T0, outcome=PlanOutcome.APPLIED)
    second = _plan(deployment, T0 + timedelta(seconds=30), job_id="job-2")
    with autoscale.transaction() as repos:
        repos.create_autoscale_plan(plan=first)
        repos.create_autoscale_plan(plan=second)
    with autoscale.transaction() as repos:
        assert repos.read_autoscale_plans(deployment_id=deployment.id) == [second, first]
        assert repos.read_autoscale_plans(deployment_id=deployment.id, job_id="job-1") == [first]
        applied = repos.read_autoscale_plans(
            deployment_id=deployment.id, outcome=PlanOutcome.APPLIED
        )
        assert applied == [first]
        assert repos.read_autoscale_plans(deployment_id=deployment.id, limit=1) == [second]
        assert repos.read_autoscale_plan(deployment_id=deployment.id, name=first.name) == first
        assert repos.read_autoscale_plan(deployment_id=deployment.id, name="nope") is None
        assert repos.read_autoscale_plans(deployment_id="other") == []


def test_pruning_keeps_the_newest_of_one_deployment(store: SqlStore) -> None:
    autoscale = SqlAutoscaleStore(store.engine)
    mine, other = _deployment(store), _deployment(store)
    plans = [_plan(mine, T0 + timedelta(seconds=30 * i)) for i in range(5)]
    with autoscale.transaction() as repos:
        for plan in [*plans, _plan(other, T0)]:
            repos.create_autoscale_plan(plan=plan)
    with autoscale.transaction() as repos:
        assert repos.delete_autoscale_plans(deployment_id=mine.id, keep=2) == 3
    with autoscale.transaction() as repos:
        assert repos.read_autoscale_plans(deployment_id=mine.id) == [plans[4], plans[3]]
        assert len(repos.read_autoscale_plans(deployment_id=other.id)) == 1


def test_deleting_the_deployment_deletes_its_settings_and_plans(store: SqlStore) -> None:
    autoscale = SqlAutoscaleStore(store.engine)
    deployment = _deployment(store)
    with autoscale.transaction() as repos:
        repos.write_autoscale_config(
            stored=StoredAutoscaleConfig(
                deployment.id, deployment.workspace, deployment.namespace, CONFIG, None, T0
            )
        )
        repos.create_autoscale_plan(plan=_plan(deployment, T0))
    with store.transaction() as repos:
        repos.delete_deployment(deployment_id=deployment.id)
    with autoscale.transaction() as repos:
        assert repos.read_autoscale_config(deployment_id=deployment.id) is None
        assert repos.read_autoscale_plans(deployment_id=deployment.id) == []
