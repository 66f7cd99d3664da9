"""Operations of the SQL development surface as values (like ``client.operations``):
deployment drafts with their lock, background validate/deploy tickets, kept spec
revisions and rollback (Millstream extensions), scheduled plans and lineage, at the
official SDK's paths. ``DevelopmentMethods`` and ``AsyncDevelopmentMethods`` send them.
"""

from __future__ import annotations

from typing import Any

from millstream.client.development_models import (
    AppliedScheduledPlan,
    DeploymentDraft,
    DraftDeployResult,
    DraftLock,
    DraftValidation,
    Lineage,
    LineageDirection,
    PlanExecution,
    RollbackResult,
    ScheduledPlan,
    SchedulingPolicy,
    SpecRevision,
)
from millstream.client.models import Artifact, LocalVariable, Page
from millstream.client.operations import Operation, _items, _nothing, _ns, _one, _page, _seg

__all__ = [
    "DraftFields",
    "apply_scheduled_plan",
    "create_draft",
    "create_scheduled_plan",
    "delete_draft",
    "delete_scheduled_plan",
    "deploy_draft_async",
    "draft_fields",
    "get_applied_scheduled_plan",
    "get_deploy_draft_result",
    "get_draft",
    "get_lineage",
    "get_validate_draft_result",
    "list_drafts",
    "list_scheduled_plan_history",
    "list_scheduled_plans",
    "list_spec_revisions",
    "lock_draft",
    "rollback_deployment",
    "stop_scheduled_plan",
    "update_draft",
    "update_scheduled_plan",
    "validate_draft_async",
]

DraftFields = dict[str, Any]


def _drafts(namespace: str) -> str:
    return f"{_ns(namespace)}/deployment-drafts"


def _plans(namespace: str) -> str:
    return f"{_ns(namespace)}/scheduled-plans"


def _ticket(envelope: Any) -> str:
    data = envelope.get("data") if isinstance(envelope, dict) else None
    return str((data or {}).get("ticketId") or "")


def _applied_or_none(envelope: Any) -> AppliedScheduledPlan | None:
    data = envelope.get("data") if isinstance(envelope, dict) else None
    return AppliedScheduledPlan.model_validate(data) if data else None


def draft_fields(
    *,
    name: str | None = None,
    artifact: Artifact | None = None,
    folder_id: str | None = None,
    engine_version: str | None = None,
    execution_mode: str | None = None,
    labels: dict[str, str] | None = None,
    variables: dict[str, str] | None = None,
    deployment_id: str | None = None,
) -> DraftFields:
    """The SDK ``DeploymentDraft`` body of the given fields (None: left out/unchanged)."""
    body: dict[str, Any] = {
        "name": name,
        "artifact": artifact.to_wire() if artifact is not None else None,
        "parentId": folder_id,
        "engineVersion": engine_version,
        "executionMode": execution_mode,
        "labels": labels,
        "localVariables": (
            [LocalVariable(name=k, value=v).to_wire() for k, v in variables.items()]
            if variables is not None
            else None
        ),
        "referencedDeploymentId": deployment_id,
    }
    return {k: v for k, v in body.items() if v is not None}


# --------------------------------------------------------------------------- drafts


def create_draft(namespace: str, body: DraftFields) -> Operation[DeploymentDraft]:
    path = _drafts(namespace)
    return Operation("CreateDeploymentDraft", "POST", path, _one(DeploymentDraft), body=body)


def get_draft(namespace: str, draft_id: str) -> Operation[DeploymentDraft]:
    path = f"{_drafts(namespace)}/{_seg(draft_id)}"
    return Operation("GetDeploymentDraft", "GET", path, _one(DeploymentDraft))


def list_drafts(
    namespace: str, page_index: int, page_size: int
) -> Operation[Page[DeploymentDraft]]:
    query = {"pageIndex": str(page_index), "pageSize": str(page_size)}
    path = _drafts(namespace)
    return Operation("ListDeploymentDrafts", "GET", path, _page(DeploymentDraft), query=query)


def update_draft(namespace: str, draft_id: str, body: DraftFields) -> Operation[DeploymentDraft]:
    path = f"{_drafts(namespace)}/{_seg(draft_id)}"
    return Operation("UpdateDeploymentDraft", "PATCH", path, _one(DeploymentDraft), body=body)


def delete_draft(namespace: str, draft_id: str) -> Operation[None]:
    path = f"{_drafts(namespace)}/{_seg(draft_id)}"
    return Operation("DeleteDeploymentDraft", "DELETE", path, _nothing)


def lock_draft(namespace: str, draft_id: str, ttl_seconds: int | None) -> Operation[DraftLock]:
    query = {
        "deploymentDraftId": draft_id,
        "ttlSeconds": None if ttl_seconds is None else str(ttl_seconds),
    }
    path = f"{_drafts(namespace)}/getLock"
    return Operation("GetDeploymentDraftLock", "POST", path, _one(DraftLock), query=query)


def validate_draft_async(namespace: str, draft_id: str) -> Operation[str]:
    path = f"{_drafts(namespace)}/async-validate"
    body = {"deploymentDraftId": draft_id}
    return Operation("ValidateDeploymentDraftAsync", "POST", path, _ticket, body=body)


def get_validate_draft_result(namespace: str, ticket_id: str) -> Operation[DraftValidation]:
    path = f"{_drafts(namespace)}/tickets/{_seg(ticket_id)}/async-validate"
    return Operation("GetValidateDeploymentDraftResult", "GET", path, _one(DraftValidation))


def deploy_draft_async(namespace: str, draft_id: str, skip_validate: bool) -> Operation[str]:
    path = f"{_drafts(namespace)}/async-deploy"
    body = {"deploymentDraftId": draft_id, "skipValidate": skip_validate}
    return Operation("DeployDeploymentDraftAsync", "POST", path, _ticket, body=body)


def get_deploy_draft_result(namespace: str, ticket_id: str) -> Operation[DraftDeployResult]:
    path = f"{_drafts(namespace)}/tickets/{_seg(ticket_id)}/async-deploy"
    return Operation("GetDeployDeploymentDraftResult", "GET", path, _one(DraftDeployResult))


def list_spec_revisions(namespace: str, deployment_id: str) -> Operation[list[SpecRevision]]:
    path = f"{_ns(namespace)}/deployments/{_seg(deployment_id)}/spec-revisions"
    return Operation("ListDeploymentSpecRevisions", "GET", path, _items(SpecRevision))


def rollback_deployment(
    namespace: str, deployment_id: str, revision_id: str | None
) -> Operation[RollbackResult]:
    path = f"{_ns(namespace)}/deployments/{_seg(deployment_id)}/rollback"
    body = {"revisionId": revision_id} if revision_id else {}
    return Operation("RollbackDeployment", "POST", path, _one(RollbackResult), body=body)


# --------------------------------------------------------------------------- scheduled plans


def create_scheduled_plan(
    namespace: str, deployment_id: str, name: str, policies: list[SchedulingPolicy]
) -> Operation[ScheduledPlan]:
    body = {
        "deploymentId": deployment_id,
        "name": name,
        "periodicSchedulingPolicies": [p.to_wire() for p in policies],
    }
    path = _plans(namespace)
    return Operation("CreateScheduledPlan", "POST", path, _one(ScheduledPlan), body=body)


def update_scheduled_plan(
    namespace: str, plan_id: str, name: str | None, policies: list[SchedulingPolicy] | None
) -> Operation[ScheduledPlan]:
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    if policies is not None:
        body["periodicSchedulingPolicies"] = [p.to_wire() for p in policies]
    path = f"{_plans(namespace)}/{_seg(plan_id)}"
    return Operation("UpdateScheduledPlan", "PUT", path, _one(ScheduledPlan), body=body)


def delete_scheduled_plan(namespace: str, plan_id: str) -> Operation[ScheduledPlan]:
    path = f"{_plans(namespace)}/{_seg(plan_id)}"
    return Operation("DeleteScheduledPlan", "DELETE", path, _one(ScheduledPlan))


def list_scheduled_plans(
    namespace: str, deployment_id: str | None, page_index: int, page_size: int
) -> Operation[Page[ScheduledPlan]]:
    query = {
        "deploymentId": deployment_id,
        "pageIndex": str(page_index),
        "pageSize": str(page_size),
    }
    path = _plans(namespace)
    return Operation("ListScheduledPlan", "GET", path, _page(ScheduledPlan), query=query)


def apply_scheduled_plan(namespace: str, plan_id: str) -> Operation[AppliedScheduledPlan]:
    path = f"{_plans(namespace)}/{_seg(plan_id)}%3Aapply"
    return Operation("ApplyScheduledPlan", "POST", path, _one(AppliedScheduledPlan))


def stop_scheduled_plan(namespace: str, plan_id: str) -> Operation[AppliedScheduledPlan]:
    path = f"{_plans(namespace)}/{_seg(plan_id)}%3Astop"
    return Operation("StopApplyScheduledPlan", "PATCH", path, _one(AppliedScheduledPlan))


def get_applied_scheduled_plan(
    namespace: str, deployment_id: str
) -> Operation[AppliedScheduledPlan | None]:
    path = f"{_plans(namespace)}%3AgetExecutedScheduledPlan"
    query = {"deploymentId": deployment_id}
    return Operation("GetAppliedScheduledPlan", "GET", path, _applied_or_none, query=query)


def list_scheduled_plan_history(
    namespace: str, deployment_id: str
) -> Operation[list[PlanExecution]]:
    path = f"{_ns(namespace)}/job-resource-upgradings"
    query = {"deploymentId": deployment_id, "origin": "SCHEDULED_PLAN"}
    return Operation(
        "ListScheduledPlanExecutedHistory", "GET", path, _items(PlanExecution), query=query
    )


# --------------------------------------------------------------------------- lineage


def get_lineage(
    namespace: str,
    workspace: str,
    *,
    deployment_id: str | None,
    table: str | None,
    direction: LineageDirection | str,
    depth: int,
    column_level: bool,
) -> Operation[Lineage]:
    """``TypeError`` unless exactly one of ``deployment_id`` and ``table`` is given;
    ``ValueError`` for an unknown direction (both before anything is sent)."""
    if (deployment_id is None) == (table is None):
        raise TypeError("get_lineage() takes exactly one of deployment_id= or table=")
    body = {
        "id": deployment_id if deployment_id is not None else table,
        "idType": "JOB" if deployment_id is not None else "TABLE",
        "direction": LineageDirection(direction).value,
        "depth": depth,
        "isColumnLevel": column_level,
        "namespace": namespace,
        "workspace": workspace,
    }
    return Operation("GetLineageInfo", "POST", "/meta/v2/lineage", _one(Lineage), body=body)
