"""Native deployment draft operations: Create/Get/List/Update/DeleteDeploymentDraft and
GetDeploymentDraftLock at the SDK's paths (``/api/v2/namespaces/{ns}/deployment-drafts``).

A draft on the wire is the SDK's ``DeploymentDraft {deploymentDraftId, name, parentId,
artifact, executionMode, engineVersion, labels, localVariables, referencedDeploymentId,
lock, creator, creatorName, modifier, modifierName, createdAt, modifiedAt, namespace,
workspace}``; ``parentId`` is the folder id (``"0"``: the root), times are epoch
milliseconds. Create needs ``name`` and ``artifact``; Update changes only the fields it
sends. GetDeploymentDraftLock (``?deploymentDraftId=``) gives the caller the draft's
``Lock {id, holderId, holderName, namespace, workspace}`` (plus ``expiresAt``, a
Millstream extension; ``ttlSeconds``, also an extension, asks for 60-86400 seconds
instead of the server's default of 30 minutes). While another user's lock lasts, Update,
Delete and DeployDeploymentDraftAsync answer 409 naming the holder and the expiry.
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native import mappers, schemas
from millstream.api.native.folders import folder_id_of
from millstream.api.native.params import NAMESPACE, PageIndex, PageSize
from millstream.api.native.routing import Ctx, dump, native_router, not_enabled, ok, page
from millstream.api.native.schemas import WireModel
from millstream.control.ports import Page
from millstream.control.services.drafts import DraftChange, DraftService
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.drafts import DeploymentDraft, DraftLock, DraftSpec
from millstream.domain.errors import InvalidInput

__all__ = ["DraftBody", "draft_id_of", "drafts_of", "router"]

router = native_router()

PATH = NAMESPACE + "/deployment-drafts"
_ID_PATTERN = r"^[A-Za-z0-9._-]+$"
# Ids are UUIDs; anything else cannot name a draft (and never reaches the database).
DraftId = Annotated[str, Path(min_length=1, max_length=64, pattern=_ID_PATTERN)]


class DraftBody(WireModel):
    """SDK ``DeploymentDraft``: the body of Create/UpdateDeploymentDraft."""

    name: str | None = None
    parent_id: str | None = None
    artifact: schemas.Artifact | None = None
    execution_mode: str | None = None
    engine_version: str | None = None
    labels: dict[str, str] | None = None
    local_variables: list[schemas.LocalVariable] | None = None
    referenced_deployment_id: str | None = None


def drafts_of(ctx: RequestContext) -> DraftService:
    if ctx.services.drafts is None:
        raise not_enabled("deployment drafts")
    return ctx.services.drafts


def draft_id_of(raw: str | None, *, field: str = "deploymentDraftId") -> str:
    """A draft id from a query or body field; ``InvalidInput`` if absent or malformed."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput(f"{field} is required")
    if len(text) > 64 or not all(c.isascii() and (c.isalnum() or c in "._-") for c in text):
        raise InvalidInput(f"{field} is an id of letters, digits, '.', '_' and '-'")
    return text


def _millis(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def lock_to_wire(ctx: RequestContext, lock: DraftLock | None) -> dict[str, Any] | None:
    if lock is None:
        return None
    return {
        "id": lock.id,
        "holderId": lock.holder_id,
        "holderName": lock.holder_name,
        "namespace": ctx.scope.namespace,
        "workspace": ctx.scope.workspace,
        "expiresAt": _millis(lock.expires_at),
    }


def draft_to_wire(ctx: RequestContext, draft: DeploymentDraft) -> dict[str, Any]:
    """SDK ``DeploymentDraft``; an expired lock is not shown."""
    spec = draft.spec
    now = datetime.now(UTC)
    lock = draft.lock if draft.lock is not None and draft.lock.expires_at > now else None
    artifact = spec.artifact
    return {
        "deploymentDraftId": draft.id,
        "name": spec.name,
        "parentId": str(draft.folder_id),
        "artifact": dump(mappers.artifact_to_wire(artifact)) if artifact else None,
        "executionMode": spec.execution_mode.value,
        "engineVersion": spec.engine_version,
        "labels": dict(spec.labels),
        "localVariables": [{"name": k, "value": v} for k, v in spec.variables.items()],
        "referencedDeploymentId": draft.deployment_id,
        "lock": lock_to_wire(ctx, lock),
        "creator": draft.creator,
        "creatorName": draft.creator_name,
        "modifier": draft.modifier,
        "modifierName": draft.modifier_name,
        "createdAt": _millis(draft.created_at),
        "modifiedAt": _millis(draft.modified_at),
        "namespace": draft.namespace,
        "workspace": draft.workspace,
    }


def _spec(body: DraftBody, base: DraftSpec | None) -> DraftSpec | None:
    if base is None and body.name is None and body.artifact is None:
        return None
    name = body.name if body.name is not None else (base.name if base else "")
    artifact = base.artifact if base else None
    if body.artifact is not None:
        artifact = mappers.artifact_from_wire(body.artifact, artifact)
    if body.execution_mode is not None:
        mode = mappers.execution_mode_from_wire(body.execution_mode)
    else:
        mode = base.execution_mode if base else ExecutionMode.STREAMING
    return DraftSpec(
        name=name,
        artifact=artifact,
        execution_mode=mode,
        engine_version=(
            body.engine_version
            if body.engine_version is not None
            else (base.engine_version if base else None)
        ),
        labels=dict(body.labels) if body.labels is not None else dict(base.labels if base else {}),
        variables=(
            mappers.variables_from_wire(body.local_variables)
            if body.local_variables is not None
            else dict(base.variables if base else {})
        ),
    )


def _folder(body: DraftBody) -> int | None:
    if body.parent_id is None or not body.parent_id.strip():
        return None
    return folder_id_of(body.parent_id, field="parentId")


@router.post(PATH, name="CreateDeploymentDraft")
def create_deployment_draft(ctx: Ctx, body: DraftBody) -> JSONResponse:
    if not body.name or body.artifact is None:
        raise InvalidInput(
            'name and artifact are required, e.g. {"name": "orders", "parentId": "0", '
            '"artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": "..."}}}'
        )
    change = DraftChange(
        spec=_spec(body, None),
        folder_id=_folder(body),
        deployment_id=body.referenced_deployment_id or None,
    )
    created = drafts_of(ctx).create(ctx.scope, ctx.actor, change)
    return ok(ctx, draft_to_wire(ctx, created))


@router.post(PATH + "/getLock", name="GetDeploymentDraftLock")
def get_deployment_draft_lock(
    ctx: Ctx,
    deployment_draft_id: Annotated[
        str | None, Query(alias="deploymentDraftId", max_length=64)
    ] = None,
    ttl_seconds: Annotated[int | None, Query(alias="ttlSeconds", ge=60, le=86_400)] = None,
) -> JSONResponse:
    ttl = timedelta(seconds=ttl_seconds) if ttl_seconds is not None else None
    lock = drafts_of(ctx).lock(ctx.scope, ctx.actor, draft_id_of(deployment_draft_id), ttl)
    return ok(ctx, lock_to_wire(ctx, lock))


@router.get(PATH, name="ListDeploymentDrafts")
def list_deployment_drafts(
    ctx: Ctx, page_index: PageIndex = 1, page_size: PageSize = 10
) -> JSONResponse:
    found, total = drafts_of(ctx).list(
        ctx.scope, Page(offset=(page_index - 1) * page_size, limit=page_size)
    )
    return page(ctx, [draft_to_wire(ctx, d) for d in found], page_index, page_size, total)


@router.get(PATH + "/{deployment_draft_id}", name="GetDeploymentDraft")
def get_deployment_draft(ctx: Ctx, deployment_draft_id: DraftId) -> JSONResponse:
    return ok(ctx, draft_to_wire(ctx, drafts_of(ctx).get(ctx.scope, deployment_draft_id)))


@router.patch(PATH + "/{deployment_draft_id}", name="UpdateDeploymentDraft")
def update_deployment_draft(
    ctx: Ctx, deployment_draft_id: DraftId, body: DraftBody
) -> JSONResponse:
    service = drafts_of(ctx)
    current = service.get(ctx.scope, deployment_draft_id)
    change = DraftChange(
        spec=_spec(body, current.spec),
        folder_id=_folder(body),
        deployment_id=body.referenced_deployment_id,
    )
    updated = service.update(ctx.scope, ctx.actor, deployment_draft_id, change)
    return ok(ctx, draft_to_wire(ctx, updated))


@router.delete(PATH + "/{deployment_draft_id}", name="DeleteDeploymentDraft")
def delete_deployment_draft(ctx: Ctx, deployment_draft_id: DraftId) -> JSONResponse:
    drafts_of(ctx).delete(ctx.scope, ctx.actor, deployment_draft_id)
    return ok(ctx)
