"""Application-instance operations: StartApplicationInstance (seed 001),
GetApplicationInstance, ListApplicationInstance and CancelApplicationInstance.
An application instance is a job.

StartApplicationInstance names its application by ``Id``, or describes it in ``App``
(created the first time, found again by its ``UniqueKey`` and updated afterwards), and
starts it. The SDK retries a 5xx by itself, so a start is idempotent: its client token is
the ``UniqueKey`` (one instance per key, kept at least a day) or, without one, the SDK's
``X-Sdk-Invocation-Id`` (the same on every retry of one call). Cancel is idempotent too:
cancelling an instance that is already stopping or stopped answers success.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from millstream.api.volcengine import applications, mappers, schemas, states
from millstream.api.volcengine.context import Call
from millstream.control.context import Scope
from millstream.control.ports import Page
from millstream.control.services import DeploymentPatch
from millstream.domain.deployments import Deployment
from millstream.domain.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    InvalidTransition,
    JobAlreadyLive,
    NotFound,
)
from millstream.domain.jobs import DesiredState, Job, StopStrategy

__all__ = ["cancel_instance", "get_instance", "list_instances", "start_instance"]

_NO_APP = "app id is empty or invalid, at the same time, not found app Resource"
_TOKEN_PREFIX = "volcengine.unique-key:"
_MAX_TOKEN = 128
_SCAN_PAGE = 500
_SORT_FIELDS = {
    "": "start_time",
    "start_time": "start_time",
    "starttime": "start_time",
    "create_time": "start_time",
    "createtime": "start_time",
    "end_time": "end_time",
    "endtime": "end_time",
}


def _unique_token(unique_key: str) -> str:
    token = _TOKEN_PREFIX + unique_key
    if len(token) <= _MAX_TOKEN and token.isprintable():
        return token
    return _TOKEN_PREFIX + hashlib.sha256(unique_key.encode()).hexdigest()


def _has_content(app: schemas.App) -> bool:
    return bool(app.job_type or app.sql_text or app.jar)


def _app_patch(app: schemas.App, current: Deployment | None) -> DeploymentPatch:
    if current is not None and not app.job_type:
        job_type = mappers.job_type(current.execution_mode, current.artifact)
        app = app.model_copy(update={"job_type": job_type})
    labels = None
    if app.unique_key:
        base = dict(current.labels) if current is not None else {}
        labels = {**base, mappers.LABEL_UNIQUE_KEY: app.unique_key}
    return mappers.patch_from_app(app, labels=labels)


def _by_unique_key(call: Call, scope: Scope, unique_key: str) -> Deployment | None:
    found, _ = call.backend.services.deployments.list(
        scope, Page(offset=0, limit=1), labels={mappers.LABEL_UNIQUE_KEY: unique_key}
    )
    return found[0] if found else None


def _application(call: Call, request: schemas.StartInstanceRequest) -> tuple[Scope, Deployment]:
    """The application to start: by ``Id`` (updated by ``App`` when it has content), or
    the one ``App.UniqueKey`` names (updated), or a new one made of ``App``."""
    services = call.backend.services
    app = request.app
    if request.id:
        try:
            scope, deployment = applications.deployment_of(call, request.id)
        except NotFound as exc:
            raise NotFound(
                f"{_NO_APP}: application {request.id!r} not found", code=exc.code
            ) from exc
        if app is not None and _has_content(app):
            deployment = services.deployments.update(
                scope, call.actor, deployment.id, _app_patch(app, deployment)
            )
        return scope, deployment
    if app is None or not (app.unique_key or _has_content(app)):
        raise NotFound(_NO_APP, code=ErrorCode.DEPLOYMENT_NOT_FOUND)
    scope = call.project(app.project_id or request.project_id)
    existing = _by_unique_key(call, scope, app.unique_key) if app.unique_key else None
    if existing is not None:
        if _has_content(app):
            existing = services.deployments.update(
                scope, call.actor, existing.id, _app_patch(app, existing)
            )
        return scope, existing
    if not _has_content(app):
        raise NotFound(
            f"{_NO_APP}: no application has UniqueKey {app.unique_key!r}",
            code=ErrorCode.DEPLOYMENT_NOT_FOUND,
        )
    if not app.job_name:
        raise InvalidInput("App.JobName is required to create an application")
    patch = _app_patch(app, None)
    if patch.labels is None:
        patch = dataclasses.replace(patch, labels={})
    try:
        return scope, services.deployments.create(scope, call.actor, patch)
    except Conflict:
        # An SDK retry of this very call (it retries on a read timeout while the first
        # attempt still plans the SQL) created it first: that one is the application.
        created = _by_unique_key(call, scope, app.unique_key) if app.unique_key else None
        if created is None:
            raise
        return scope, created


def start_instance(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.StartInstanceRequest)
    restore = mappers.restore_of(request.restore_strategy)
    scope, deployment = _application(call, request)
    unique_key = request.app.unique_key if request.app is not None else None
    token = _unique_token(unique_key) if unique_key else call.client_token
    ids = call.backend.ids
    try:
        job = call.backend.services.jobs.start(
            scope, call.actor, deployment.id, restore=restore, client_token=token
        )
    except JobAlreadyLive:
        # The domain's message names a deployment and a job UUID; say it in the ids and
        # states the SDK's user sees.
        live = [j for j in _jobs_of(call, scope, deployment.id) if not j.is_terminal]
        running = (
            f" instance {ids.instance(live[0].id)} ({states.instance_state(live[0].status)})"
            if live
            else " instance"
        )
        raise JobAlreadyLive(
            f"application {ids.application(deployment.id)} ({deployment.name!r}) already has "
            f"a running{running}; cancel it first"
        ) from None
    return schemas.IdResult(
        id=ids.application(deployment.id), instance_id=ids.instance(job.id)
    ).wire()


def _job_of(call: Call, instance_id: str) -> tuple[Scope, Job]:
    job_id = call.backend.ids.job_id(instance_id)
    scope = call.job_scope(job_id)
    return scope, call.backend.services.jobs.get(scope, job_id)


def _deployment(call: Call, scope: Scope, deployment_id: str) -> Deployment | None:
    try:
        return call.backend.services.deployments.get(scope, deployment_id)
    except NotFound:
        return None


def get_instance(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.GetInstanceRequest)
    scope, job = _job_of(call, request.instance_id)
    ids = call.backend.ids
    return mappers.instance_detail(
        job,
        instance_id=ids.instance(job.id),
        application_id=ids.application(job.deployment_id),
        deployment=_deployment(call, scope, job.deployment_id),
    ).wire()


def cancel_instance(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.CancelInstanceRequest)
    scope, job = _job_of(call, request.instance_id)
    if not job.is_terminal and job.desired is DesiredState.RUNNING:
        try:
            call.backend.services.jobs.stop(scope, call.actor, job.id, StopStrategy.NONE)
        except InvalidTransition:
            # Ended or asked to stop since we read it (a retried cancel): nothing to do.
            job = call.backend.services.jobs.get(scope, job.id)
            if not (job.is_terminal or job.desired is DesiredState.STOPPED):
                raise
    ids = call.backend.ids
    return schemas.IdResult(
        id=ids.application(job.deployment_id), instance_id=ids.instance(job.id)
    ).wire()


def _jobs_of(call: Call, scope: Scope, deployment_id: str) -> list[Job]:
    found: list[Job] = []
    offset = 0
    while True:
        jobs, total = call.backend.services.jobs.list(
            scope, deployment_id, Page(offset=offset, limit=_SCAN_PAGE)
        )
        found.extend(jobs)
        offset += len(jobs)
        if not jobs or offset >= total:
            return found


def list_instances(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.ListInstancesRequest)
    scope = call.project(request.project_id)
    wanted = states.statuses_of(request.state)
    services = call.backend.services
    deployments: list[Deployment]
    # The SDK makes JobId mandatory: 0 (or none) lists the instances of every application.
    if request.job_id and request.job_id != "0":
        deployment_id = call.backend.ids.deployment_id(request.job_id)
        deployments = [services.deployments.get(scope, deployment_id)]
    else:
        deployments = list(applications.scan_deployments(call, scope))
    if request.job_name:
        deployments = [d for d in deployments if d.name == request.job_name]
    by_id = {d.id: d for d in deployments}
    jobs = [
        job
        for deployment in deployments
        for job in _jobs_of(call, scope, deployment.id)
        if (wanted is None or job.status in wanted)
        and (not request.resource_pool or job.cluster == request.resource_pool)
    ]
    field = _SORT_FIELDS.get((request.sort_field or "").strip().lower())
    if field is None:
        raise InvalidInput(f"unknown SortField {request.sort_field!r}; use start_time or end_time")
    descending = (request.sort_order or "DESC").strip().upper() != "ASC"
    jobs.sort(key=lambda job: _sort_key(job, field), reverse=descending)
    start = (request.page_num - 1) * request.page_size
    page = jobs[start : start + request.page_size]
    ids = call.backend.ids
    instance_ids = ids.instances(job.id for job in page)
    application_ids = ids.applications(job.deployment_id for job in page)
    records = [
        mappers.instance_record(
            job,
            instance_id=instance_ids[job.id],
            application_id=application_ids[job.deployment_id],
            deployment=by_id.get(job.deployment_id),
        )
        for job in page
    ]
    return schemas.ListInstancesResult(
        current=request.page_num, size=request.page_size, total=len(jobs), records=records
    ).wire()


def _sort_key(job: Job, field: str) -> tuple[float, str]:
    at = job.end_time if field == "end_time" else (job.start_time or job.created_at)
    return (at.timestamp() if at is not None else 0.0, job.id)
