"""Use cases, one module per resource; ``Services`` bundles them for the API dialects.

The composition root (``server.build_runtime``) fills every field; an API dialect reaches
all it serves through this one bundle. Optional fields are ``None`` where a test or a tool
wires only part of the server (the API then answers that the feature is not enabled).
"""

from __future__ import annotations

from dataclasses import dataclass

from millstream.control.engine_versions import EngineVersions
from millstream.control.services.access import AccessService
from millstream.control.services.alerts import AlertService
from millstream.control.services.artifacts import ArtifactService
from millstream.control.services.autoscale import AutoscaleService
from millstream.control.services.cluster_restarts import ClusterRestartService
from millstream.control.services.clusters import ClusterService
from millstream.control.services.deployments import DeploymentPatch, DeploymentService
from millstream.control.services.diagnosis import DiagnosisService
from millstream.control.services.drafts import DraftService
from millstream.control.services.events import EventService
from millstream.control.services.external_keys import ExternalKeys
from millstream.control.services.folders import FolderService
from millstream.control.services.health import HealthService
from millstream.control.services.hot_updates import HotUpdateService
from millstream.control.services.job_insights import JobInsightsService
from millstream.control.services.jobs import JobService
from millstream.control.services.lineage import LineageService
from millstream.control.services.locator import Locator
from millstream.control.services.logs import LogService
from millstream.control.services.metric_history import MetricHistoryService
from millstream.control.services.namespaces import NamespaceService
from millstream.control.services.packages import PackageService
from millstream.control.services.patrol import PatrolService
from millstream.control.services.queues import QueueService
from millstream.control.services.resource_plans import ResourcePlanService
from millstream.control.services.savepoint_schedules import SavepointScheduleService
from millstream.control.services.savepoints import SavepointService
from millstream.control.services.scheduled_plans import ScheduledPlanService
from millstream.control.services.sql_catalog import SqlCatalogService
from millstream.control.services.sql_files import SqlFileService
from millstream.control.services.sql_previews import SqlPreviewService
from millstream.control.services.tags import TagService
from millstream.control.services.udfs import UdfService
from millstream.control.services.variables import VariableService

__all__ = [
    "ArtifactService",
    "DeploymentPatch",
    "DeploymentService",
    "EventService",
    "JobService",
    "SavepointService",
    "Services",
]


@dataclass(frozen=True, slots=True)
class Services:
    """Everything an API dialect, the console or the CLI server side may call."""

    deployments: DeploymentService
    jobs: JobService
    savepoints: SavepointService
    events: EventService
    versions: EngineVersions
    default_workspace: str
    variables: VariableService | None = None
    logs: LogService | None = None
    artifacts: ArtifactService | None = None
    clusters: ClusterService | None = None
    # JobManager resizes that carry a session cluster's running jobs over its restart.
    cluster_restarts: ClusterRestartService | None = None
    hot_updates: HotUpdateService | None = None
    # Job diagnosis and the Flink REST proxy (FlinkApiProxy).
    diagnosis: DiagnosisService | None = None
    access: AccessService | None = None
    queues: QueueService | None = None
    # Secondary keys (numbers, names) of deployments and jobs for dialects without UUIDs.
    external_keys: ExternalKeys | None = None
    # The scope of a deployment, job or cluster named only by id (dialects with global ids).
    locator: Locator | None = None
    # The installation's default namespace (dialects whose requests may omit it).
    default_namespace: str = "default-namespace"
    # The catalog: folders, registered packages and resource tags.
    folders: FolderService | None = None
    # Named SQL scripts filed in those folders (native dialect).
    sql_files: SqlFileService | None = None
    # Deployment drafts filed in those folders, their lock, validation and deploy (native).
    drafts: DraftService | None = None
    packages: PackageService | None = None
    tags: TagService | None = None
    # Namespace profiles, creation and deletion (administrators).
    namespaces: NamespaceService | None = None
    # Autoscaling settings and recorded plans (the autoscaler itself is a leader task).
    autoscale: AutoscaleService | None = None
    # Sampled Flink metrics of jobs over time (the metric sampler's history).
    metric_history: MetricHistoryService | None = None
    # A job's insides from Flink (graph, vertices, checkpoints...) and its kept series.
    job_insights: JobInsightsService | None = None
    # Periodic savepoints per deployment (the scheduler itself is a leader task).
    savepoint_schedules: SavepointScheduleService | None = None
    # Scheduled resource plans, generated EXPERT resource plans and SQL lineage (native;
    # the plans' boundaries are applied by a leader task).
    scheduled_plans: ScheduledPlanService | None = None
    resource_plans: ResourcePlanService | None = None
    lineage: LineageService | None = None
    # Patrol settings and reports (the scheduled runs are a leader task).
    patrol: PatrolService | None = None
    # Alert rules and their firing alerts (the alerter itself is a leader task).
    alerts: AlertService | None = None
    # The namespace's persistent SQL catalog (vvp) and interactive queries (native).
    sql_catalog: SqlCatalogService | None = None
    sql_previews: SqlPreviewService | None = None
    # Health policies and deployments' health (the checker itself is a leader task).
    health: HealthService | None = None
    # UDF artifacts, functions and custom connectors: jars that extend SQL (native).
    udfs: UdfService | None = None
