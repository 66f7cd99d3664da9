"""Native background draft operations: ValidateDeploymentDraftAsync,
GetValidateDeploymentDraftResult, DeployDeploymentDraftAsync and
GetDeployDeploymentDraftResult at the SDK's paths, plus Millstream's rollback extension.

The async calls answer ``{ticketId}`` at once; the result calls answer the SDK's
``AsyncDraftValidateResult {ticketStatus, success, message, draftValidationDetail}`` or
``AsyncDraftDeployResult {ticketStatus, success, message, deploymentId,
artifactValidationDetail}``. ``ticketStatus`` is ``PROCESSING``, ``FINISHED`` or
``FAILED``; ``draftValidationDetail.sqlErrorDetail`` carries Flink's line and column.
A ticket is answered for an hour (404 afterwards), by any replica.

Rollback (Millstream extensions; the SDK has none): every deploy onto an existing
deployment keeps its previous spec. ``GET .../deployments/{id}/spec-revisions``
(ListDeploymentSpecRevisions) lists them, newest first; ``POST
.../deployments/{id}/rollback`` (RollbackDeployment, body ``{"revisionId": ...}``,
optional: the newest) puts one back and keeps the spec it replaced.
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from typing import Annotated, Any

from fastapi import Path
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native import mappers
from millstream.api.native.deployment_drafts import PATH, draft_id_of, drafts_of
from millstream.api.native.deployments import wire_deployment
from millstream.api.native.params import NAMESPACE, Identifier
from millstream.api.native.routing import Ctx, dump, native_router, ok
from millstream.api.native.schemas import WireModel
from millstream.domain.drafts import DraftOutcome, DraftTicket, SpecRevision, TicketKind

__all__ = ["router"]

router = native_router()

TicketId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class ValidateBody(WireModel):
    """SDK ``DraftValidateParams``."""

    deployment_draft_id: str | None = None
    deployment_target_name: str | None = None


class DeployBody(WireModel):
    """SDK ``DraftDeployParams`` (``deploymentTarget`` is taken from the draft here)."""

    deployment_draft_id: str | None = None
    skip_validate: bool | None = None


class RollbackBody(WireModel):
    revision_id: str | None = None


def _sql_error(outcome: DraftOutcome) -> dict[str, Any] | None:
    """SDK ``ValidationErrorDetails`` (line and column as strings, as the SDK types them)."""
    if outcome.ok or outcome.problems or not outcome.message:
        return None
    return {
        "lineNumber": None if outcome.line is None else str(outcome.line),
        "columnNumber": None if outcome.column is None else str(outcome.column),
        "endLineNumber": None,
        "endColumnNumber": None,
        "message": outcome.message,
    }


def _verdict(outcome: DraftOutcome) -> str:
    return "VALIDATION_RESULT_VALID" if outcome.ok else "VALIDATION_RESULT_INVALID"


def _detail(outcome: DraftOutcome | None) -> dict[str, Any] | None:
    """SDK ``DraftValidationDetail``."""
    if outcome is None:
        return None
    return {
        "sqlValidationResult": _verdict(outcome),
        "sqlErrorDetail": _sql_error(outcome),
        "draftMetaInfoErrorDetails": [
            {"reason": "INVALID_DRAFT", "message": problem} for problem in outcome.problems
        ],
    }


def _result(ticket: DraftTicket) -> dict[str, Any]:
    outcome = ticket.outcome
    view: dict[str, Any] = {
        "ticketStatus": ticket.status.value,
        "success": outcome.ok if outcome is not None else None,
        "message": outcome.message if outcome is not None else None,
    }
    if ticket.kind is TicketKind.VALIDATE:
        view["draftValidationDetail"] = _detail(outcome)
    else:
        view["deploymentId"] = outcome.deployment_id if outcome is not None else None
        view["previousSpecRevisionId"] = outcome.revision_id if outcome is not None else None
        # SDK ``ValidateStatementResult``: why the deploy's validation refused the draft.
        view["artifactValidationDetail"] = (
            {"validationResult": _verdict(outcome), "errorDetails": _sql_error(outcome)}
            if outcome is not None and not outcome.ok
            else None
        )
    return view


@router.post(PATH + "/async-validate", name="ValidateDeploymentDraftAsync")
def validate_deployment_draft_async(ctx: Ctx, body: ValidateBody) -> JSONResponse:
    draft_id = draft_id_of(body.deployment_draft_id)
    ticket = drafts_of(ctx).validate_async(ctx.scope, ctx.actor, draft_id)
    return ok(ctx, {"ticketId": ticket.id})


@router.get(PATH + "/tickets/{ticket_id}/async-validate", name="GetValidateDeploymentDraftResult")
def get_validate_deployment_draft_result(ctx: Ctx, ticket_id: TicketId) -> JSONResponse:
    ticket = drafts_of(ctx).ticket(ctx.scope, ticket_id, TicketKind.VALIDATE)
    return ok(ctx, _result(ticket))


@router.post(PATH + "/async-deploy", name="DeployDeploymentDraftAsync")
def deploy_deployment_draft_async(ctx: Ctx, body: DeployBody) -> JSONResponse:
    draft_id = draft_id_of(body.deployment_draft_id)
    ticket = drafts_of(ctx).deploy_async(
        ctx.scope, ctx.actor, draft_id, skip_validate=bool(body.skip_validate)
    )
    return ok(ctx, {"ticketId": ticket.id})


@router.get(PATH + "/tickets/{ticket_id}/async-deploy", name="GetDeployDeploymentDraftResult")
def get_deploy_deployment_draft_result(ctx: Ctx, ticket_id: TicketId) -> JSONResponse:
    ticket = drafts_of(ctx).ticket(ctx.scope, ticket_id, TicketKind.DEPLOY)
    return ok(ctx, _result(ticket))


def _revision_to_wire(ctx: RequestContext, revision: SpecRevision) -> dict[str, Any]:
    spec = revision.spec
    return {
        "revisionId": revision.id,
        "deploymentId": revision.deployment_id,
        "deploymentDraftId": revision.draft_id,
        "name": spec.name,
        "artifact": dump(mappers.artifact_to_wire(spec.artifact)) if spec.artifact else None,
        "executionMode": spec.execution_mode.value,
        "engineVersion": spec.engine_version,
        "labels": dict(spec.labels),
        "localVariables": [{"name": k, "value": v} for k, v in spec.variables.items()],
        "creator": revision.creator,
        "createdAt": int(revision.created_at.timestamp() * 1000),
        "namespace": ctx.scope.namespace,
        "workspace": ctx.scope.workspace,
    }


_DEPLOYMENT = NAMESPACE + "/deployments/{deployment_id}"


@router.get(_DEPLOYMENT + "/spec-revisions", name="ListDeploymentSpecRevisions")
def list_deployment_spec_revisions(ctx: Ctx, deployment_id: Identifier) -> JSONResponse:
    kept = drafts_of(ctx).revisions(ctx.scope, deployment_id)
    return ok(ctx, [_revision_to_wire(ctx, r) for r in kept])


@router.post(_DEPLOYMENT + "/rollback", name="RollbackDeployment")
def rollback_deployment(
    ctx: Ctx, deployment_id: Identifier, body: RollbackBody | None = None
) -> JSONResponse:
    raw = body.revision_id if body is not None else None
    revision_id = draft_id_of(raw, field="revisionId") if raw else None
    deployment, replaced = drafts_of(ctx).rollback(ctx.scope, ctx.actor, deployment_id, revision_id)
    view = wire_deployment(ctx, deployment)
    view["replacedSpecRevisionId"] = replaced.id
    return ok(ctx, view)
