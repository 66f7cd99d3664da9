"""The composition of the leader's operational tasks, beside the reconciler: the metric
sampler, the autoscaler, JobManager resizes that carry jobs, periodic savepoints, patrol,
alerts and health checks, with the services the API reaches them through.

``composition.build_runtime`` calls ``wire_leader_tasks`` once and hands the result's
``after_tick`` and ``periodic`` tasks to the ``ReconcilerDaemon`` (they run on the
reconciler leader only) and its ``services`` fields to ``Services``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from millstream.config import Settings
from millstream.control.alert_inputs import FlinkLiveMetrics
from millstream.control.alerting import Alerter
from millstream.control.autoscaler import Autoscaler
from millstream.control.cluster_restarts import ClusterRestartCoordinator
from millstream.control.health_actions import HealthActions
from millstream.control.health_checks import HealthChecker
from millstream.control.metric_catalog import FlinkMetricReader
from millstream.control.metric_sampler import MetricSampler
from millstream.control.patrol_evidence import PatrolEvidence
from millstream.control.savepoint_scheduler import SavepointScheduler
from millstream.control.scheduled_plans import ScheduledPlanRunner
from millstream.control.services import Services
from millstream.control.services.alerts import AlertService
from millstream.control.services.autoscale import AutoscaleService
from millstream.control.services.cluster_restarts import ClusterRestartService
from millstream.control.services.clusters import ClusterService
from millstream.control.services.diagnosis import DiagnosisService
from millstream.control.services.health import HealthService
from millstream.control.services.hot_updates import HotUpdateService
from millstream.control.services.job_insights import JobInsightsService
from millstream.control.services.lineage import LineageService
from millstream.control.services.metric_history import MetricHistoryService
from millstream.control.services.patrol import PatrolService
from millstream.control.services.resource_plans import ResourcePlanService
from millstream.control.services.savepoint_schedules import SavepointScheduleService
from millstream.control.services.scheduled_plans import ScheduledPlanService
from millstream.control.vertex_loads import FlinkVertexLoads
from millstream.engine.downloads import HostPolicy
from millstream.engine.inspect import FlinkInspector
from millstream.engine.job_insights import FlinkInsightSource
from millstream.engine.sql_lineage import plan_table_edges, sql_lineage
from millstream.engine.webhooks import HttpWebhookSender
from millstream.store import SqlStore
from millstream.store.alerts import SqlAlertStore
from millstream.store.autoscale import SqlAutoscaleStore
from millstream.store.cipher import FernetCipher
from millstream.store.cluster_restarts import SqlClusterRestartStore
from millstream.store.drafts import DraftStore
from millstream.store.health import SqlHealthStore
from millstream.store.hot_updates import SqlHotUpdateStore
from millstream.store.metric_samples import SqlMetricSampleStore
from millstream.store.patrol import SqlPatrolStore
from millstream.store.savepoint_schedules import SqlSavepointScheduleStore
from millstream.store.scheduled_plans import SqlScheduledPlanStore

__all__ = ["LeaderTasks", "wire_leader_tasks"]

# Seconds between savepoint-schedule rounds: the finest schedule is one second.
_SAVEPOINT_SCHEDULE_INTERVAL = 1.0
# Seconds between scheduled-plan rounds: boundaries are to the second.
_SCHEDULED_PLAN_INTERVAL = 1.0
# Seconds between patrol-schedule rounds: cron times are whole minutes.
_PATROL_INTERVAL = 30.0

Task = Callable[[], object]


@dataclass
class LeaderTasks:
    """What the leader runs (after every tick, or at its own interval) and the services
    that reach it from the API (``Services`` fields by name)."""

    after_tick: list[Task] = field(default_factory=list)
    periodic: list[tuple[float, Task]] = field(default_factory=list)
    services: dict[str, Any] = field(default_factory=dict)


def wire_leader_tasks(
    settings: Settings,
    store: SqlStore,
    services: Services,
    *,
    inspector: FlinkInspector,
    diagnosis: DiagnosisService,
    hot_update_store: SqlHotUpdateStore,
    hot_updates: HotUpdateService,
    cluster_service: ClusterService,
    cipher: FernetCipher,
    flink_endpoints: Callable[[], list[str]],
    wake: Callable[[], None],
) -> LeaderTasks:
    tasks = LeaderTasks()
    metric_samples = SqlMetricSampleStore(store.engine)
    metric_reader = FlinkMetricReader(inspector)
    vertex_loads = FlinkVertexLoads(diagnosis)
    tasks.services["metric_history"] = MetricHistoryService(
        store,
        metric_samples,
        metric_reader,
        max_points=settings.metrics.max_points,
        retention=settings.metrics.retention,
        live_window=settings.metrics.live_window,
    )
    tasks.services["job_insights"] = JobInsightsService(
        store, FlinkInsightSource(inspector), tasks.services["metric_history"]
    )
    if settings.metrics.enabled:
        sampler = MetricSampler(
            store,
            metric_samples,
            metric_reader,
            retention=settings.metrics.retention,
            max_samples_per_job=settings.metrics.max_samples_per_job,
            sweep_interval=settings.metrics.sweep_interval,
            max_concurrency=settings.metrics.max_concurrency,
        )
        tasks.periodic.append((settings.metrics.sample_interval, sampler.start_round))

    autoscale_store = SqlAutoscaleStore(store.engine)
    tasks.services["autoscale"] = AutoscaleService(autoscale_store, services.deployments)
    if settings.autoscaler.enabled:
        autoscaler = Autoscaler(
            autoscale_store,
            store,
            hot_update_store,
            hot_updates,
            vertex_loads,
            stabilization=settings.autoscaler.stabilization,
            keep_plans=settings.autoscaler.keep_plans,
        )
        tasks.periodic.append((settings.autoscaler.interval, autoscaler.run_iteration))

    restart_store = SqlClusterRestartStore(store.engine)
    tasks.services["cluster_restarts"] = ClusterRestartService(
        restart_store, store, services.jobs, cluster_service, wake=wake
    )
    restarts = ClusterRestartCoordinator(restart_store, store, services.jobs, cluster_service)
    tasks.after_tick.append(restarts.run_iteration)

    schedule_store = SqlSavepointScheduleStore(store.engine)
    tasks.services["savepoint_schedules"] = SavepointScheduleService(
        schedule_store, services.deployments
    )
    scheduler = SavepointScheduler(schedule_store, store, services.savepoints)
    tasks.periodic.append((_SAVEPOINT_SCHEDULE_INTERVAL, scheduler.run_iteration))

    # Scheduled plans (boundaries applied through hot updates), resource plans, lineage.
    plan_store = SqlScheduledPlanStore(store.engine)
    tasks.services["scheduled_plans"] = ScheduledPlanService(
        plan_store, services.deployments, hot_update_store
    )
    tasks.services["resource_plans"] = ResourcePlanService(
        plan_store, services.deployments, slots_per_taskmanager=settings.flink.taskmanager_slots
    )
    tasks.services["lineage"] = LineageService(
        plan_store, services.deployments, sql_lineage, plan_table_edges
    )
    plan_runner = ScheduledPlanRunner(plan_store, store, services.deployments, hot_updates)
    tasks.periodic.append((_SCHEDULED_PLAN_INTERVAL, plan_runner.run_iteration))

    patrol = PatrolService(
        SqlPatrolStore(store.engine), store, PatrolEvidence(store, inspector, metric_samples)
    )
    tasks.services["patrol"] = patrol
    tasks.periodic.append((_PATROL_INTERVAL, patrol.run_iteration))

    health_store = SqlHealthStore(store.engine)
    health_service = HealthService(health_store, services.deployments)
    alert_store = SqlAlertStore(store.engine)
    webhooks = HttpWebhookSender(
        HostPolicy(
            allowed_hosts=frozenset(settings.alerts.allowed_hosts),
            flink_endpoints=flink_endpoints,
        ),
        timeout=settings.alerts.timeout,
    )
    tasks.services["alerts"] = AlertService(alert_store, webhooks, cipher)
    if settings.alerts.enabled:
        alerter = Alerter(
            alert_store,
            store,
            metric_samples,
            webhooks,
            cipher,
            live=FlinkLiveMetrics(store, metric_reader, vertex_loads),
            health=health_service.statuses,
            max_outbox=settings.alerts.max_outbox,
            max_attempts=settings.alerts.max_attempts,
        )
        tasks.periodic.append((settings.alerts.interval, alerter.start_round))

    tasks.services["health"] = health_service
    if settings.health.enabled:
        checker = HealthChecker(
            health_store,
            store,
            HealthActions(
                store,
                services.jobs,
                services.deployments,
                revisions=DraftStore(store.engine),
            ),
            metric_reader,
        )
        tasks.periodic.append((settings.health.interval, checker.start_round))
    return tasks
