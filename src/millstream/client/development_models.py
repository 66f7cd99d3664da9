"""Typed views of the SQL development surface of the native API: deployment drafts, their
background validate/deploy results, kept spec revisions, scheduled plans and lineage.

Same conventions as ``models.py`` (they subclass its ``WireModel``): camelCase on the wire,
snake_case in Python, unknown wire fields ignored, a misspelled keyword a ``TypeError``.
Fixed values are enums (``ScheduleLevel``, ``LineageDirection``, ``TicketStatus``).
"""

from __future__ import annotations

import enum
from typing import Any

from millstream.client.models import (
    Artifact,
    Deployment,
    LocalVariable,
    SqlValidation,
    SqlValidationError,
    WireModel,
)

__all__ = [
    "AppliedScheduledPlan",
    "DeploymentDraft",
    "DraftDeployResult",
    "DraftLock",
    "DraftValidation",
    "Lineage",
    "LineageDirection",
    "LineageNode",
    "LineageRelation",
    "PlanExecution",
    "RollbackResult",
    "ScheduleLevel",
    "ScheduledPlan",
    "SchedulingPolicy",
    "SpecRevision",
    "TicketStatus",
]


class TicketStatus(enum.StrEnum):
    """Where a background draft operation is."""

    PROCESSING = "PROCESSING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"


class ScheduleLevel(enum.StrEnum):
    """How often a scheduled-plan policy fires (WEEK/MONTH: on ``values`` days)."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


class LineageDirection(enum.StrEnum):
    UPSTREAM = "UPSTREAM"
    DOWNSTREAM = "DOWNSTREAM"
    BOTH = "BOTH"


# --------------------------------------------------------------------------- drafts


class DraftLock(WireModel):
    """One editor's hold on a draft; ``expires_at`` is epoch milliseconds."""

    id: str | None = None
    holder_id: str | None = None
    holder_name: str | None = None
    expires_at: int | None = None


class DeploymentDraft(WireModel):
    """A deployment being written: ``parent_id`` is its folder (``"0"``: the root);
    ``referenced_deployment_id`` the deployment a deploy updates (set after the first)."""

    deployment_draft_id: str | None = None
    name: str | None = None
    parent_id: str | None = None
    artifact: Artifact | None = None
    execution_mode: str | None = None
    engine_version: str | None = None
    labels: dict[str, str] | None = None
    local_variables: list[LocalVariable] | None = None
    referenced_deployment_id: str | None = None
    lock: DraftLock | None = None
    creator_name: str | None = None
    modifier_name: str | None = None
    created_at: int | None = None
    modified_at: int | None = None

    @property
    def kind(self) -> str | None:
        return self.artifact.kind if self.artifact else None


class _MetaError(WireModel):
    reason: str | None = None
    message: str | None = None


class _ValidationDetail(WireModel):
    sql_validation_result: str | None = None
    sql_error_detail: SqlValidationError | None = None
    draft_meta_info_error_details: list[_MetaError] | None = None


class _TicketResult(WireModel):
    ticket_status: TicketStatus | None = None
    success: bool | None = None
    message: str | None = None

    @property
    def done(self) -> bool:
        return self.ticket_status in (TicketStatus.FINISHED, TicketStatus.FAILED)


class DraftValidation(_TicketResult):
    """GetValidateDeploymentDraftResult: Flink's verdict on the draft, with line and column."""

    draft_validation_detail: _ValidationDetail | None = None

    @property
    def problems(self) -> list[str]:
        """What is wrong with the draft itself (not its SQL), e.g. a missing engine."""
        detail = self.draft_validation_detail
        items = (detail.draft_meta_info_error_details or []) if detail else []
        return [item.message or item.reason or "invalid draft" for item in items]

    @property
    def valid(self) -> bool:
        return self.success is True and not self.problems

    def as_sql_validation(self) -> SqlValidation:
        """The SQL part as ``validate_sql`` answers it, for the same error printing."""
        detail = self.draft_validation_detail
        return SqlValidation(
            success=self.success,
            message=self.message,
            validation_result=detail.sql_validation_result if detail else None,
            error_details=detail.sql_error_detail if detail else None,
        )


class _ArtifactValidation(WireModel):
    validation_result: str | None = None
    error_details: SqlValidationError | None = None


class DraftDeployResult(_TicketResult):
    """GetDeployDeploymentDraftResult: the deployment made or updated, and the revision
    keeping the spec it replaced (None on a first deploy)."""

    deployment_id: str | None = None
    previous_spec_revision_id: str | None = None
    artifact_validation_detail: _ArtifactValidation | None = None

    def as_sql_validation(self) -> SqlValidation:
        """Why validation refused the draft, as ``validate_sql`` answers it."""
        detail = self.artifact_validation_detail
        return SqlValidation(
            success=self.success,
            message=self.message,
            validation_result=detail.validation_result if detail else "VALIDATION_RESULT_INVALID",
            error_details=detail.error_details if detail else None,
        )


class SpecRevision(WireModel):
    """A deployment's spec as it was before a deploy replaced it (rollback target)."""

    revision_id: str | None = None
    deployment_id: str | None = None
    deployment_draft_id: str | None = None
    name: str | None = None
    artifact: Artifact | None = None
    execution_mode: str | None = None
    engine_version: str | None = None
    labels: dict[str, str] | None = None
    local_variables: list[LocalVariable] | None = None
    creator: str | None = None
    created_at: int | None = None


class RollbackResult(Deployment):
    """The deployment after a rollback; ``replaced_spec_revision_id`` keeps what it had."""

    replaced_spec_revision_id: str | None = None


# --------------------------------------------------------------------------- scheduled plans


class SchedulingPolicy(WireModel):
    """When a plan changes the resources: at ``periodic_trigger_time`` (milliseconds after
    midnight UTC) every ``DAY``, on ``WEEK`` days (1 = Monday) or ``MONTH`` days, or once
    at ``only_once_trigger_time`` (epoch ms). ``resource_setting`` is the SDK's
    ``BriefResourceSetting`` (``streamingResourceSetting``, ``flinkConf``)."""

    periodic_scheduling_level: ScheduleLevel | None = None
    periodic_scheduling_values: list[int] | None = None
    periodic_trigger_time: int | None = None
    only_once_trigger_time: int | None = None
    resource_setting: dict[str, Any] | None = None


class ScheduledPlan(WireModel):
    """Time-of-day resource changes of one deployment; ``status`` APPLIED or NOT_APPLIED."""

    scheduled_plan_id: str | None = None
    name: str | None = None
    deployment_id: str | None = None
    status: str | None = None
    origin: str | None = None
    creator_name: str | None = None
    created_at: str | None = None
    modified_at: str | None = None
    periodic_scheduling_policies: list[SchedulingPolicy] | None = None


class AppliedScheduledPlan(WireModel):
    """Which plan a deployment follows; ``status_state`` RUNNING or STOPPED."""

    scheduled_plan_id: str | None = None
    scheduled_plan_name: str | None = None
    deployment_id: str | None = None
    expected_state: str | None = None
    status_state: str | None = None
    modified_at: str | None = None


class PlanExecution(WireModel):
    """One applied boundary of a plan (a stop with savepoint and restart, or a hot update)."""

    job_resource_upgrading_id: str | None = None
    name: str | None = None
    scheduled_plan_id: str | None = None
    deployment_id: str | None = None
    origin_job_id: str | None = None
    hot_update_id: str | None = None
    message: str | None = None
    boundary_at: int | None = None
    created_at: str | None = None
    status: dict[str, Any] | None = None

    @property
    def state(self) -> str | None:
        return (self.status or {}).get("statusState")


# --------------------------------------------------------------------------- lineage


class LineageRelation(WireModel):
    """``source`` feeds ``destination`` through deployment ``job_id`` (columns are
    ``<table id>.<column>``)."""

    source: str | None = None
    destination: str | None = None
    job_id: str | None = None


class LineageNode(WireModel):
    """One table (``id`` is ``catalog.database.table``) with its connector."""

    id: str | None = None
    catalog_name: str | None = None
    database_name: str | None = None
    connector: str | None = None
    is_temporary: bool | None = None
    tables: list[dict[str, Any]] | None = None


class _Edges(WireModel):
    table_lineage: list[LineageRelation] | None = None
    column_lineage: list[LineageRelation] | None = None


class _JobInfo(WireModel):
    id: str | None = None
    properties: dict[str, Any] | None = None


class Lineage(WireModel):
    """GetLineageInfo: tables, table and column edges, and the deployments between them."""

    nodes: list[LineageNode] | None = None
    edges: _Edges | None = None
    job_infos: list[_JobInfo] | None = None

    @property
    def table_edges(self) -> list[LineageRelation]:
        return list(self.edges.table_lineage or []) if self.edges else []

    @property
    def column_edges(self) -> list[LineageRelation]:
        return list(self.edges.column_lineage or []) if self.edges else []

    def deployment_name(self, deployment_id: str | None) -> str | None:
        """The name of a deployment in ``job_infos`` (its id when not listed)."""
        for job in self.job_infos or []:
            if job.id == deployment_id:
                return str((job.properties or {}).get("deploymentName") or deployment_id)
        return deployment_id
