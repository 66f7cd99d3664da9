"""Native deployment operations: Create/Get/List/Update/DeleteDeployment, their by-name
variants and GetDeploymentsByLabel, at the SDK's paths (ververica-2022-07-18.tsv).

Handlers are plain ``def`` (the services are synchronous) and convert with ``mappers``.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native import mappers, schemas
from millstream.api.native.params import NAMESPACE, Identifier, PageIndex, PageSize
from millstream.api.native.routing import Ctx, native_router, ok, page
from millstream.api.rendered_rows import RenderedRows
from millstream.api.safe_rows import dumped_one, dumped_rows
from millstream.control.context import Scope
from millstream.control.ports import Page
from millstream.control.services.deployments import DeploymentService
from millstream.domain.deployments import Deployment
from millstream.domain.errors import ErrorCode, InvalidInput, NotFound
from millstream.domain.jobs import JobStatus

__all__ = ["deployment_id_of", "router", "wire_deployment", "wire_deployments"]

router = native_router()

_PATH = NAMESPACE + "/deployments"
_SCAN_PAGE = 500  # page size when the API must filter what the store cannot


@router.post(_PATH, name="CreateDeployment")
def create_deployment(ctx: Ctx, body: schemas.Deployment) -> JSONResponse:
    deployments = ctx.services.deployments
    patch = mappers.deployment_patch(body)
    if patch.artifact is not None:
        mappers.require_artifact_file(patch.artifact)
    deployment = deployments.create(ctx.scope, ctx.actor, patch)
    # A deployment just created has no job: its summary is all zeros, nothing to count.
    return ok(ctx, dumped_one(deployment, lambda d: mappers.deployment_to_wire(d, {})))


@router.get(_PATH + "/name/{deployment_name}", name="GetDeploymentsByName")
def get_deployments_by_name(ctx: Ctx, deployment_name: Identifier) -> JSONResponse:
    try:
        found = [ctx.services.deployments.get_by_name(ctx.scope, deployment_name)]
    except NotFound as exc:
        if exc.code != ErrorCode.DEPLOYMENT_NOT_FOUND:
            raise
        found = []
    return ok(ctx, wire_deployments(ctx, found))


@router.get(_PATH + "/getDeployments/byLabel", name="GetDeploymentsByLabel")
def get_deployments_by_label(
    ctx: Ctx,
    label_key: Annotated[str, Query(alias="labelKey", min_length=1)],
    label_value: Annotated[str | None, Query(alias="labelValue")] = None,
    label_value_array: Annotated[str | None, Query(alias="labelValueArray")] = None,
) -> JSONResponse:
    values = _label_values(label_value if label_value is not None else label_value_array)
    found = _with_label(ctx.services.deployments, ctx.scope, label_key, values)
    return ok(ctx, wire_deployments(ctx, found))


@router.delete(_PATH + "/deleteDeployment/byName", name="DeleteDeploymentByName")
def delete_deployment_by_name(
    ctx: Ctx,
    deployment_name: Annotated[str | None, Query(alias="deploymentName")] = None,
    name: Annotated[str | None, Query()] = None,
) -> JSONResponse:
    wanted = deployment_name or name
    if not wanted:
        raise InvalidInput("deploymentName is required")
    deployments = ctx.services.deployments
    deployment = deployments.get_by_name(ctx.scope, wanted)
    deployments.delete(ctx.scope, ctx.actor, deployment.id)
    return ok(ctx)


@router.put(_PATH + "/updateDeployment/byName", name="UpdateDeploymentByName")
def update_deployment_by_name(
    ctx: Ctx,
    body: schemas.Deployment,
    deployment_name: Annotated[str | None, Query(alias="deploymentName")] = None,
    name: Annotated[str | None, Query()] = None,
) -> JSONResponse:
    wanted = deployment_name or name or body.name
    if not wanted:
        raise InvalidInput("deploymentName is required (query parameter or body name)")
    current = ctx.services.deployments.get_by_name(ctx.scope, wanted)
    return ok(ctx, wire_deployment(ctx, _update(ctx, current, body)))


@router.get(_PATH + "/{deployment_id}", name="GetDeployment")
def get_deployment(ctx: Ctx, deployment_id: Identifier) -> JSONResponse:
    # The deployment's version and job counts, then its rendering at those if kept.
    deployments = ctx.services.deployments
    version, counts = deployments.stamp(ctx.scope, deployment_id)
    key = (deployment_id, _Counted.stamp_of(version, counts))
    found = _rendered(ctx).page([key], lambda _: _loaded(deployments, ctx.scope, deployment_id))
    if not found:  # deleted since (NotFound), or it cannot be rendered at all (logged)
        deployment, counts = deployments.get_counted(ctx.scope, deployment_id)
        return ok(ctx, dumped_one(deployment, lambda d: mappers.deployment_to_wire(d, counts)))
    return ok(ctx, found[0])


@dataclasses.dataclass(frozen=True, slots=True)
class _Counted:
    """A deployment with its job counts: what its rendering depends on."""

    deployment: Deployment
    counts: Mapping[JobStatus, int]

    @property
    def id(self) -> str:
        return self.deployment.id

    @property
    def version(self) -> int:
        return self.deployment.version

    @property
    def stamp(self) -> Hashable:
        return self.stamp_of(self.version, self.counts)

    @staticmethod
    def stamp_of(version: int, counts: Mapping[JobStatus, int]) -> Hashable:
        return version, frozenset(counts.items())

    def wire(self) -> schemas.Deployment:
        return mappers.deployment_to_wire(self.deployment, self.counts)


def _loaded(
    deployments: DeploymentService, scope: Scope, deployment_id: str
) -> dict[str, _Counted]:
    try:
        deployment, counts = deployments.get_counted(scope, deployment_id)
    except NotFound:
        return {}  # deleted since: the caller answers get_counted's NotFound
    return {deployment.id: _Counted(deployment, counts)}


def _rendered(ctx: RequestContext) -> RenderedRows[_Counted]:
    """Deployments' wire JSON by (id, version and job counts), for GetDeployment."""
    return ctx.kept(
        "native.deployments",
        lambda: RenderedRows[_Counted](_Counted.wire, stamp=lambda row: row.stamp),
    )


@router.put(_PATH + "/{deployment_id}", name="UpdateDeployment")
def update_deployment(
    ctx: Ctx, deployment_id: Identifier, body: schemas.Deployment
) -> JSONResponse:
    current = ctx.services.deployments.get(ctx.scope, deployment_id)
    return ok(ctx, wire_deployment(ctx, _update(ctx, current, body)))


@router.delete(_PATH + "/{deployment_id}", name="DeleteDeployment")
def delete_deployment(ctx: Ctx, deployment_id: Identifier) -> JSONResponse:
    ctx.services.deployments.delete(ctx.scope, ctx.actor, deployment_id)
    return ok(ctx)


@router.get(_PATH, name="ListDeployments")
def list_deployments(
    ctx: Ctx,
    page_index: PageIndex = 1,
    page_size: PageSize = 10,
    name: Annotated[str | None, Query()] = None,
    execution_mode: Annotated[str | None, Query(alias="executionMode")] = None,
    label_key: Annotated[str | None, Query(alias="labelKey")] = None,
    label_value_array: Annotated[str | None, Query(alias="labelValueArray")] = None,
    # Accepted so SDK calls work; the store cannot filter on them (yet).
    creator: Annotated[str | None, Query()] = None,  # noqa: ARG001
    modifier: Annotated[str | None, Query()] = None,  # noqa: ARG001
    status: Annotated[str | None, Query()] = None,  # noqa: ARG001
    sort_name: Annotated[str | None, Query(alias="sortName")] = None,  # noqa: ARG001
) -> JSONResponse:
    deployments = ctx.services.deployments
    mode = mappers.execution_mode_from_wire(execution_mode) if execution_mode else None
    values = _label_values(label_value_array)
    if label_key and len(values) != 1:
        # Several values (or any value): the store filters one exact label only.
        matching = [
            d
            for d in _with_label(deployments, ctx.scope, label_key, values)
            if (name is None or d.name == name) and (mode is None or d.execution_mode is mode)
        ]
        start = (page_index - 1) * page_size
        chunk = matching[start : start + page_size]
        wire = wire_deployments(ctx, chunk)
        return page(ctx, wire, page_index, page_size, len(matching))
    labels = {label_key: values[0]} if label_key else None
    found, total = deployments.list(
        ctx.scope,
        Page(offset=(page_index - 1) * page_size, limit=page_size),
        name=name,
        labels=labels,
        execution_mode=mode,
    )
    wire = wire_deployments(ctx, found)
    return page(ctx, wire, page_index, page_size, total)


def wire_deployments(ctx: RequestContext, found: Sequence[Deployment]) -> list[dict[str, Any]]:
    """Deployments as wire dicts with their ``jobSummary``: one grouped count for all."""
    counts = ctx.services.deployments.job_counts([d.id for d in found])
    return dumped_rows(found, lambda d: mappers.deployment_to_wire(d, counts.get(d.id, {})))


def wire_deployment(ctx: RequestContext, deployment: Deployment) -> dict[str, Any]:
    """One deployment as a wire dict with its ``jobSummary``."""
    counts = ctx.services.deployments.job_counts([deployment.id])
    return dumped_one(deployment, lambda d: mappers.deployment_to_wire(d, counts.get(d.id, {})))


def deployment_id_of(
    deployments: DeploymentService, scope: Scope, deployment_id: str | None, name: str | None
) -> str | None:
    """The id a call names by id or by name (GetEvents takes either)."""
    if deployment_id:
        return deployment_id
    if name:
        return deployments.get_by_name(scope, name).id
    return None


def _update(ctx: RequestContext, current: Deployment, body: schemas.Deployment) -> Deployment:
    # Nested objects merge onto ``current``; pin its version so a concurrent edit
    # between the read and the write is a 409, never a silent merge.
    patch = mappers.deployment_patch(body, current)
    if patch.artifact is not None:
        mappers.require_artifact_file(patch.artifact)
    if patch.expected_version is None:
        patch = dataclasses.replace(patch, expected_version=current.version)
    return ctx.services.deployments.update(ctx.scope, ctx.actor, current.id, patch)


def _label_values(raw: str | None) -> list[str]:
    """``labelValueArray`` is comma-separated in a single query value."""
    if not raw:
        return []
    return [value.strip() for value in raw.split(",") if value.strip()]


def _with_label(
    deployments: DeploymentService, scope: Scope, key: str, values: list[str]
) -> list[Deployment]:
    """Deployments with label ``key`` set to any of ``values`` (any value if empty)."""
    if len(values) == 1:
        return _all(deployments, scope, labels={key: values[0]})
    return [
        d
        for d in _all(deployments, scope, labels=None)
        if key in d.labels and (not values or d.labels[key] in values)
    ]


def _all(
    deployments: DeploymentService, scope: Scope, labels: dict[str, str] | None
) -> list[Deployment]:
    collected: list[Deployment] = []
    while True:
        found, total = deployments.list(
            scope, Page(offset=len(collected), limit=_SCAN_PAGE), labels=labels
        )
        collected.extend(found)
        if not found or len(collected) >= total:
            return collected
