"""Routes of the native dialect: the ververica 2022-07-18 job-management API.

Paths and parameters are exactly what the official SDK sends
(``/work/shared/spec/ops/ververica-2022-07-18.tsv``, sdk-wire-notes.md §1). The SDK
percent-encodes ``:`` as ``%3A``; the ASGI server decodes the path, so routes declare
``/jobs:start`` and ``/jobs/{job_id}:stop``. The namespace is in the path, the workspace in
the lowercase ``workspace`` header (default: ``services.default_workspace``).

Handlers are plain ``def`` (the services are synchronous), convert with ``mappers`` and
answer the envelope of ``errors``; ``NativeRoute`` turns every failure into that envelope.
The router ends with a catch-all for ``/api/v2/...`` so unknown paths and wrong methods get
the envelope too: include it after any dialect whose paths also start with ``/api/v2``.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations
# (``Ctx`` is local to ``build_router``) as objects, not as strings to resolve globally.

import dataclasses
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.routing import Match

from millstream.api.native import mappers, schemas
from millstream.api.native.errors import NativeRoute, error_envelope, error_response, ok_response
from millstream.control.context import Actor, Scope
from millstream.control.ports import Page
from millstream.control.services import Services
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.deployments import Deployment
from millstream.domain.errors import InvalidInput, InvalidSql, NotFound, UnknownVariable

__all__ = ["Authenticate", "build_router"]

# The auth layer's FastAPI dependency: the caller, sync or async (it may await the body).
Authenticate = Callable[[Request], Actor | Awaitable[Actor]]

_PREFIX = "/api/v2/namespaces/{namespace}"
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_SCAN_PAGE = 500  # page size when the API must filter what the store cannot
_JOB_SORT_NAMES = frozenset({"gmt_create", "gmt_modified"})

PageIndex = Annotated[int, Query(alias="pageIndex", ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=100)]
Identifier = Annotated[str, Path(min_length=1, max_length=256)]


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def _page(index: int, size: int) -> Page:
    return Page(offset=(index - 1) * size, limit=size)


@dataclass(frozen=True, slots=True)
class _Call:
    """What every handler needs: the request id, the (workspace, namespace) and the actor."""

    request_id: str
    scope: Scope
    actor: Actor

    def ok(self, data: Any = None, **extra: Any) -> JSONResponse:
        return ok_response(self.request_id, data, **extra)

    def page(self, items: Iterable[BaseModel], index: int, size: int, total: int) -> JSONResponse:
        data = [_dump(item) for item in items]
        return ok_response(self.request_id, data, pageIndex=index, pageSize=size, totalSize=total)


def build_router(services: Services, authenticate: Authenticate) -> APIRouter:
    """The native dialect's router; ``authenticate`` is a FastAPI dependency -> ``Actor``."""
    router = APIRouter(route_class=NativeRoute)

    def call(
        request: Request,
        namespace: Annotated[str, Path(min_length=1, max_length=128)],
        actor: Annotated[Actor, Depends(authenticate)],
        workspace: Annotated[str | None, Header()] = None,
    ) -> _Call:
        return _Call(
            request_id=request.state.request_id,
            scope=Scope(workspace=workspace or services.default_workspace, namespace=namespace),
            actor=actor,
        )

    Ctx = Annotated[_Call, Depends(call)]

    def deployment_id_of(ctx: _Call, deployment_id: str | None, name: str | None) -> str | None:
        if deployment_id:
            return deployment_id
        if name:
            return services.deployments.get_by_name(ctx.scope, name).id
        return None

    # ------------------------------------------------------------------ deployments

    @router.post(_PREFIX + "/deployments")
    def create_deployment(ctx: Ctx, body: schemas.Deployment) -> JSONResponse:
        deployment = services.deployments.create(
            ctx.scope, ctx.actor, mappers.deployment_patch(body)
        )
        return ctx.ok(_dump(mappers.deployment_to_wire(deployment)))

    @router.get(_PREFIX + "/deployments/name/{deployment_name}")
    def get_deployments_by_name(ctx: Ctx, deployment_name: Identifier) -> JSONResponse:
        try:
            found = [services.deployments.get_by_name(ctx.scope, deployment_name)]
        except NotFound as exc:
            if exc.code != "DeploymentNotFound":
                raise
            found = []
        return ctx.ok([_dump(mappers.deployment_to_wire(d)) for d in found])

    @router.get(_PREFIX + "/deployments/getDeployments/byLabel")
    def get_deployments_by_label(
        ctx: Ctx,
        label_key: Annotated[str, Query(alias="labelKey", min_length=1)],
        label_value: Annotated[str | None, Query(alias="labelValue")] = None,
        label_value_array: Annotated[str | None, Query(alias="labelValueArray")] = None,
    ) -> JSONResponse:
        values = _label_values(label_value if label_value is not None else label_value_array)
        found = _deployments_with_label(ctx.scope, label_key, values)
        return ctx.ok([_dump(mappers.deployment_to_wire(d)) for d in found])

    @router.delete(_PREFIX + "/deployments/deleteDeployment/byName")
    def delete_deployment_by_name(
        ctx: Ctx,
        deployment_name: Annotated[str | None, Query(alias="deploymentName")] = None,
        name: Annotated[str | None, Query()] = None,
    ) -> JSONResponse:
        wanted = deployment_name or name
        if not wanted:
            raise InvalidInput("deploymentName is required")
        deployment = services.deployments.get_by_name(ctx.scope, wanted)
        services.deployments.delete(ctx.scope, ctx.actor, deployment.id)
        return ctx.ok()

    @router.put(_PREFIX + "/deployments/updateDeployment/byName")
    def update_deployment_by_name(
        ctx: Ctx,
        body: schemas.Deployment,
        deployment_name: Annotated[str | None, Query(alias="deploymentName")] = None,
        name: Annotated[str | None, Query()] = None,
    ) -> JSONResponse:
        wanted = deployment_name or name or body.name
        if not wanted:
            raise InvalidInput("deploymentName is required (query parameter or body name)")
        current = services.deployments.get_by_name(ctx.scope, wanted)
        return ctx.ok(_dump(mappers.deployment_to_wire(update(ctx, current, body))))

    @router.get(_PREFIX + "/deployments/{deployment_id}")
    def get_deployment(ctx: Ctx, deployment_id: Identifier) -> JSONResponse:
        deployment = services.deployments.get(ctx.scope, deployment_id)
        return ctx.ok(_dump(mappers.deployment_to_wire(deployment)))

    @router.put(_PREFIX + "/deployments/{deployment_id}")
    def update_deployment(
        ctx: Ctx, deployment_id: Identifier, body: schemas.Deployment
    ) -> JSONResponse:
        current = services.deployments.get(ctx.scope, deployment_id)
        return ctx.ok(_dump(mappers.deployment_to_wire(update(ctx, current, body))))

    def update(ctx: _Call, current: Deployment, body: schemas.Deployment) -> Deployment:
        # Nested objects merge onto ``current``; pin its version so a concurrent edit
        # between the read and the write is a 409, never a silent merge.
        patch = mappers.deployment_patch(body, current)
        if patch.expected_version is None:
            patch = dataclasses.replace(patch, expected_version=current.version)
        return services.deployments.update(ctx.scope, ctx.actor, current.id, patch)

    @router.delete(_PREFIX + "/deployments/{deployment_id}")
    def delete_deployment(ctx: Ctx, deployment_id: Identifier) -> JSONResponse:
        services.deployments.delete(ctx.scope, ctx.actor, deployment_id)
        return ctx.ok()

    @router.get(_PREFIX + "/deployments")
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
        mode = mappers.execution_mode_from_wire(execution_mode) if execution_mode else None
        values = _label_values(label_value_array)
        if label_key and len(values) != 1:
            # Several values (or any value): the store filters one exact label only.
            matching = [
                d
                for d in _deployments_with_label(ctx.scope, label_key, values)
                if (name is None or d.name == name) and (mode is None or d.execution_mode is mode)
            ]
            start = (page_index - 1) * page_size
            chunk = matching[start : start + page_size]
            wire = [mappers.deployment_to_wire(d) for d in chunk]
            return ctx.page(wire, page_index, page_size, len(matching))
        labels = {label_key: values[0]} if label_key else None
        found, total = services.deployments.list(
            ctx.scope, _page(page_index, page_size), name=name, labels=labels, execution_mode=mode
        )
        return ctx.page(
            [mappers.deployment_to_wire(d) for d in found], page_index, page_size, total
        )

    def _deployments_with_label(scope: Scope, key: str, values: list[str]) -> list[Deployment]:
        """Deployments with label ``key`` set to any of ``values`` (any value if empty)."""
        if len(values) == 1:
            return _all_deployments(scope, labels={key: values[0]})
        return [
            d
            for d in _all_deployments(scope, labels=None)
            if key in d.labels and (not values or d.labels[key] in values)
        ]

    def _all_deployments(scope: Scope, labels: dict[str, str] | None) -> list[Deployment]:
        collected: list[Deployment] = []
        while True:
            found, total = services.deployments.list(
                scope, Page(offset=len(collected), limit=_SCAN_PAGE), labels=labels
            )
            collected.extend(found)
            if not found or len(collected) >= total:
                return collected

    # ------------------------------------------------------------------ jobs

    @router.post(_PREFIX + "/jobs:start")
    def start_job_with_params(
        ctx: Ctx, body: schemas.JobStartParameters | None = None
    ) -> JSONResponse:
        body = body or schemas.JobStartParameters()
        if not body.deployment_id:
            raise InvalidInput("deploymentId is required")
        job = services.jobs.start(
            ctx.scope,
            ctx.actor,
            body.deployment_id,
            restore=mappers.restore_from_wire(body.restore_strategy),
            local_variables=(
                None
                if body.local_variables is None
                else mappers.variables_from_wire(body.local_variables)
            ),
        )
        return ctx.ok(_dump(mappers.job_to_wire(job)))

    @router.post(_PREFIX + "/jobs")
    def start_job(ctx: Ctx, body: schemas.StartJobRequestBody) -> JSONResponse:
        """Deprecated StartJob; resources come from the deployment, never from the call."""
        if not body.deployment_id:
            raise InvalidInput("deploymentId is required")
        if body.resource_setting_spec:
            raise InvalidInput(
                "resourceSettingSpec is not supported: set resources on the deployment "
                "(UpdateDeployment), then start the job"
            )
        job = services.jobs.start(
            ctx.scope,
            ctx.actor,
            body.deployment_id,
            restore=mappers.restore_from_wire(body.restore_strategy),
        )
        return ctx.ok(_dump(mappers.job_to_wire(job)))

    @router.get(_PREFIX + "/jobs")
    def list_jobs(
        ctx: Ctx,
        deployment_id: Annotated[str, Query(alias="deploymentId", min_length=1)],
        page_index: PageIndex = 1,
        page_size: PageSize = 10,
        sort_name: Annotated[str | None, Query(alias="sortName")] = None,
        sort_order: Annotated[str | None, Query(alias="sortOrder")] = None,
    ) -> JSONResponse:
        # Jobs are ordered by creation; gmt_modified is accepted as the same order.
        if sort_name is not None and sort_name.lower() not in _JOB_SORT_NAMES:
            valid = ", ".join(sorted(_JOB_SORT_NAMES))
            raise InvalidInput(f"unknown sortName {sort_name!r}; use one of {valid}")
        order = (sort_order or "desc").lower()
        if order not in {"asc", "desc"}:
            raise InvalidInput(f"unknown sortOrder {sort_order!r}; use asc or desc")
        jobs, total = services.jobs.list(
            ctx.scope,
            deployment_id,
            _page(page_index, page_size),
            newest_first=order == "desc",
        )
        return ctx.page([mappers.job_to_wire(j) for j in jobs], page_index, page_size, total)

    @router.get(_PREFIX + "/jobs/{job_id}")
    def get_job(ctx: Ctx, job_id: Identifier) -> JSONResponse:
        return ctx.ok(_dump(mappers.job_to_wire(services.jobs.get(ctx.scope, job_id))))

    @router.post(_PREFIX + "/jobs/{job_id}:stop")
    def stop_job(ctx: Ctx, job_id: Identifier, body: schemas.StopJobRequestBody) -> JSONResponse:
        strategy = mappers.stop_strategy_from_wire(body.stop_strategy)
        job = services.jobs.stop(ctx.scope, ctx.actor, job_id, strategy)
        return ctx.ok(_dump(mappers.job_to_wire(job)))

    @router.delete(_PREFIX + "/jobs/{job_id}")
    def delete_job(ctx: Ctx, job_id: Identifier) -> JSONResponse:
        services.jobs.delete(ctx.scope, ctx.actor, job_id)
        return ctx.ok()

    # ------------------------------------------------------------------ savepoints

    @router.post(_PREFIX + "/savepoints")
    def create_savepoint(ctx: Ctx, body: schemas.CreateSavepointBody) -> JSONResponse:
        if not body.deployment_id:
            raise InvalidInput("deploymentId is required")
        savepoint = services.savepoints.create(
            ctx.scope,
            ctx.actor,
            body.deployment_id,
            description=body.description,
            native_format=bool(body.native_format),
        )
        return ctx.ok(_dump(mappers.savepoint_to_wire(savepoint)))

    @router.get(_PREFIX + "/savepoints/{savepoint_id}")
    def get_savepoint(ctx: Ctx, savepoint_id: Identifier) -> JSONResponse:
        savepoint = services.savepoints.get(ctx.scope, savepoint_id)
        return ctx.ok(_dump(mappers.savepoint_to_wire(savepoint)))

    @router.get(_PREFIX + "/savepoints")
    def list_savepoints(
        ctx: Ctx,
        page_index: PageIndex = 1,
        page_size: PageSize = 10,
        deployment_id: Annotated[str | None, Query(alias="deploymentId")] = None,
        job_id: Annotated[str | None, Query(alias="jobId")] = None,
    ) -> JSONResponse:
        savepoints, total = services.savepoints.list(
            ctx.scope,
            _page(page_index, page_size),
            deployment_id=deployment_id or None,
            job_id=job_id or None,
        )
        return ctx.page(
            [mappers.savepoint_to_wire(s) for s in savepoints], page_index, page_size, total
        )

    @router.delete(_PREFIX + "/savepoints/{savepoint_id}")
    def delete_savepoint(ctx: Ctx, savepoint_id: Identifier) -> JSONResponse:
        services.savepoints.delete(ctx.scope, ctx.actor, savepoint_id)
        return ctx.ok()

    # ------------------------------------------------------------------ events

    @router.get(_PREFIX + "/events")
    def get_events(
        ctx: Ctx,
        page_index: PageIndex = 1,
        page_size: PageSize = 10,
        deployment_id: Annotated[str | None, Query(alias="deploymentId")] = None,
        deployment_name: Annotated[str | None, Query(alias="deploymentName")] = None,
    ) -> JSONResponse:
        events, total = services.events.list(
            ctx.scope,
            _page(page_index, page_size),
            deployment_id=deployment_id_of(ctx, deployment_id, deployment_name),
        )
        return ctx.page([mappers.event_to_wire(e) for e in events], page_index, page_size, total)

    # ------------------------------------------------------------------ SQL, versions

    @router.post(_PREFIX + "/sql-statement/validate")
    def validate_sql_statement(ctx: Ctx, body: schemas.SqlStatementWithContext) -> JSONResponse:
        if not body.statement or not body.statement.strip():
            raise InvalidInput("statement is required")
        if body.version_name:
            services.versions.resolve(body.version_name)
        try:
            services.deployments.validate_sql(
                ctx.scope,
                body.statement,
                execution_mode=ExecutionMode.BATCH if body.batch_mode else ExecutionMode.STREAMING,
                flink_conf=dict(body.flink_configuration or {}),
            )
        except (InvalidSql, UnknownVariable) as exc:
            return ctx.ok(_dump(mappers.sql_invalid_to_wire(exc)))
        return ctx.ok(_dump(mappers.sql_valid_to_wire(body.statement)))

    @router.get("/api/v2/engine-version-meta.json")
    def list_engine_version_metadata(
        request: Request,
        actor: Annotated[Actor, Depends(authenticate)],  # noqa: ARG001 (authentication)
    ) -> JSONResponse:
        index = mappers.engine_versions_to_wire(services.versions)
        return ok_response(request.state.request_id, _dump(index))

    # ------------------------------------------------------------------ fallback (last)

    @router.api_route("/api/v2/{rest:path}", methods=_ALL_METHODS, include_in_schema=False)
    def not_found(request: Request, rest: str) -> JSONResponse:
        """Unknown ``/api/v2`` paths get 404 and known paths with a wrong method 405."""
        allowed = sorted(
            {
                method
                for route in router.routes
                if route.matches(request.scope)[0] is Match.PARTIAL
                for method in (getattr(route, "methods", None) or ())
            }
        )
        request_id: str = request.state.request_id
        if allowed:
            response = error_envelope(
                request_id,
                405,
                "MethodNotAllowed",
                f"{request.method} is not allowed on /api/v2/{rest}; use {', '.join(allowed)}",
            )
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return error_response(
            NotFound(f"no operation at {request.method} /api/v2/{rest}", code="NotFound"),
            request_id,
        )

    return router


def _label_values(raw: str | None) -> list[str]:
    """``labelValueArray`` is comma-separated in a single query value."""
    if not raw:
        return []
    return [value.strip() for value in raw.split(",") if value.strip()]
