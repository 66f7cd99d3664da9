"""Application operations: drafts (create, update, deploy), ListGWSApplication,
RestartGWSApplication and GetGWSStartMethod. An application is a deployment.

Each handler takes the ``Call`` and answers the ``Result`` object; the router wraps it in
the envelope. Drafts are described in ``drafts``; restarting stops the live instance
(with a savepoint when it restarts FROM_LATEST), waits for it to end, then starts anew.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

from millstream.api.volcengine import mappers, schemas
from millstream.api.volcengine.context import Call
from millstream.api.volcengine.drafts import Draft, decode_draft, encode_draft
from millstream.control.context import Scope
from millstream.control.ports import Page
from millstream.control.services import DeploymentPatch
from millstream.domain.deployments import Deployment, validate_deployment_name
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
from millstream.domain.jobs import DesiredState, Job, JobStatus, RestoreKind, StopStrategy
from millstream.domain.savepoints import SavepointState

__all__ = [
    "create_draft",
    "deploy_draft",
    "deployment_of",
    "get_start_method",
    "list_applications",
    "newest_job",
    "restart_application",
    "scan_deployments",
    "update_draft",
]

_SCAN_PAGE = 500
STOP_WAIT_SECONDS = 120.0
_POLL_SECONDS = 0.5


def scan_deployments(call: Call, scope: Scope, *, name: str | None = None) -> Iterator[Deployment]:
    """Every deployment of the namespace (the store pages, this filters what it cannot)."""
    offset = 0
    while True:
        found, total = call.backend.services.deployments.list(
            scope, Page(offset=offset, limit=_SCAN_PAGE), name=name
        )
        yield from found
        offset += len(found)
        if not found or offset >= total:
            return


def newest_job(call: Call, scope: Scope, deployment_id: str) -> Job | None:
    jobs, _ = call.backend.services.jobs.list(scope, deployment_id, Page(offset=0, limit=1))
    return jobs[0] if jobs else None


def deployment_of(call: Call, application_id: str) -> tuple[Scope, Deployment]:
    """The deployment an application id names, in its scope (role checked)."""
    deployment_id = call.backend.ids.deployment_id(application_id)
    scope = call.deployment_scope(deployment_id)
    return scope, call.backend.services.deployments.get(scope, deployment_id)


def _by_name(call: Call, scope: Scope, name: str) -> Deployment | None:
    try:
        return call.backend.services.deployments.get_by_name(scope, name)
    except NotFound as exc:
        if exc.code is ErrorCode.NAMESPACE_NOT_FOUND:
            raise
        return None


# --------------------------------------------------------------------------- drafts


def create_draft(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.CreateDraftRequest)
    scope = call.project(request.project_id)
    mappers.parse_job_type(request.job_type)
    validate_deployment_name(request.job_name)
    if request.engine_version:
        call.backend.services.versions.resolve(request.engine_version)
    if _by_name(call, scope, request.job_name) is not None:
        raise Conflict(
            f"a deployment named {request.job_name!r} already exists in namespace "
            f"{scope.namespace!r}",
            code=ErrorCode.DEPLOYMENT_NAME_TAKEN,
        )
    draft = Draft(
        project=scope.namespace,
        name=request.job_name,
        job_type=request.job_type.strip().upper(),
        engine_version=request.engine_version,
    )
    draft_id = encode_draft(draft)
    return schemas.CreateDraftResult(
        id=draft_id,
        job_id=draft_id,
        job_name=draft.name,
        job_type=draft.job_type,
        engine_version=draft.engine_version,
        project_id=scope.namespace,
        directory_id=request.directory_id,
        user_id=call.actor.id,
        state=mappers.STAGE_DRAFT,
    ).wire()


def _draft_scope(call: Call, draft: Draft, project_id: str | None) -> Scope:
    scope = call.project(draft.project)
    if project_id and call.backend.namespace_of(project_id) != scope.namespace:
        raise InvalidInput(f"the draft belongs to project {draft.project!r}, not {project_id!r}")
    return scope


def _object_text(options: dict[str, Any] | None, key: str) -> str | None:
    value = (options or {}).get(key)
    return None if value is None else str(value)


def _object_list(options: dict[str, Any] | None, key: str) -> list[str]:
    value = (options or {}).get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"Dependency.{key} must be a list of strings")
    return [str(item) for item in value]


def update_draft(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.UpdateDraftRequest)
    draft = decode_draft(request.id)
    scope = _draft_scope(call, draft, request.project_id)
    if request.job_name and request.job_name != draft.name:
        raise InvalidInput(
            f"a draft keeps the JobName it was created with ({draft.name!r}); create a new "
            "draft for another name"
        )
    mode, kind = mappers.parse_job_type(request.job_type or draft.job_type)
    artifact = mappers.artifact_of(
        kind,
        sql_text=request.sql_text,
        jar=_object_text(request.options, "Jar"),
        main_class=_object_text(request.options, "MainClass"),
        args=_object_text(request.options, "Args"),
        jars=_object_list(request.dependency, "Jars"),
        py_libraries=_object_list(request.dependency, "PyLibraries"),
    )
    conf = (
        {str(k): str(v) for k, v in request.dynamic_options.items()}
        if request.dynamic_options is not None
        else None
    )
    existing = _by_name(call, scope, draft.name)
    services = call.backend.services
    patch = DeploymentPatch(
        name=draft.name,
        artifact=artifact,
        execution_mode=mode,
        engine_version=request.engine_version or draft.engine_version,
        flink_conf=conf,
    )
    if existing is None:
        labels = {mappers.LABEL_STAGE: mappers.STAGE_DRAFT}
        services.deployments.create(scope, call.actor, _with_labels(patch, labels))
    else:
        services.deployments.update(scope, call.actor, existing.id, patch)
    return schemas.IdResult(id=request.id).wire()


def _with_labels(patch: DeploymentPatch, labels: dict[str, str]) -> DeploymentPatch:
    return dataclasses.replace(patch, labels=labels)


def deploy_draft(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.DeployDraftRequest)
    draft = decode_draft(request.draft_id)
    scope = _draft_scope(call, draft, request.project_id)
    deployment = _by_name(call, scope, draft.name)
    if deployment is None:
        raise NotFound(
            f"draft {draft.name!r} has no SQL or JAR yet: update the draft before deploying it",
            code=ErrorCode.DEPLOYMENT_NOT_FOUND,
        )
    labels = {**deployment.labels, mappers.LABEL_STAGE: mappers.STAGE_DEPLOYED}
    patch = mappers.deploy_request_of(request, DeploymentPatch(labels=labels))
    updated = call.backend.services.deployments.update(scope, call.actor, deployment.id, patch)
    return schemas.IdResult(id=call.backend.ids.application(updated.id)).wire()


# --------------------------------------------------------------------------- applications


def _matches(deployment: Deployment, request: schemas.ListApplicationsRequest, state: str) -> bool:
    if deployment.labels.get(mappers.LABEL_STAGE) == mappers.STAGE_DRAFT:
        return False
    wanted_type = (request.job_type or "").strip().upper()
    if wanted_type and mappers.job_type(deployment.execution_mode, deployment.artifact) != (
        wanted_type
    ):
        return False
    if request.engine_version and deployment.engine_version != request.engine_version:
        return False
    if request.resource_pool and (deployment.cluster or "default") != request.resource_pool:
        return False
    wanted_state = (request.state or "").strip().upper()
    return not wanted_state or wanted_state == "ALL" or wanted_state == state


def list_applications(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.ListApplicationsRequest)
    scope = call.project(request.project_id)
    rows: list[tuple[Deployment, Job | None]] = []
    for deployment in scan_deployments(call, scope, name=request.job_name or None):
        newest = newest_job(call, scope, deployment.id)
        if _matches(deployment, request, mappers.application_state_of(deployment, newest)):
            rows.append((deployment, newest))
    start = (request.page_num - 1) * request.page_size
    page = rows[start : start + request.page_size]
    ids = call.backend.ids.applications(d.id for d, _ in page)
    records = [
        mappers.application_record(d, application_id=ids[d.id], newest=newest) for d, newest in page
    ]
    return schemas.ListApplicationsResult(
        current=request.page_num, size=request.page_size, total=len(rows), records=records
    ).wire()


def _wait_until_ended(call: Call, scope: Scope, job: Job) -> None:
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    while not job.is_terminal:
        if time.monotonic() > deadline:
            raise Conflict(
                f"job {job.id} did not stop within {int(STOP_WAIT_SECONDS)} s; try again "
                "once it has stopped",
                code=ErrorCode.JOB_NOT_TERMINAL,
            )
        time.sleep(_POLL_SECONDS)
        job = call.backend.services.jobs.get(scope, job.id)


def restart_application(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.RestartApplicationRequest)
    restore = mappers.restore_of(
        schemas.RestoreStrategy(type=request.type, savepoint_id=request.savepoint_id)
    )
    scope, deployment = deployment_of(call, request.id)
    services = call.backend.services
    live = newest_job(call, scope, deployment.id)
    if live is not None and not live.is_terminal:
        if live.desired is DesiredState.RUNNING:
            # FROM_LATEST restarts from the freshest state: take it on the way down.
            take_savepoint = (
                restore.kind is RestoreKind.LATEST_STATE and live.status is JobStatus.RUNNING
            )
            strategy = StopStrategy.STOP_WITH_SAVEPOINT if take_savepoint else StopStrategy.NONE
            live = services.jobs.stop(scope, call.actor, live.id, strategy)
        _wait_until_ended(call, scope, live)
    job = services.jobs.start(
        scope, call.actor, deployment.id, restore=restore, client_token=call.client_token
    )
    return schemas.IdResult(
        id=call.backend.ids.application(deployment.id),
        instance_id=call.backend.ids.instance(job.id),
    ).wire()


def get_start_method(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.GetStartMethodRequest)
    scope, deployment = deployment_of(call, request.id)
    savepoints, _ = call.backend.services.savepoints.list(
        scope, Page(offset=0, limit=_SCAN_PAGE), deployment_id=deployment.id
    )
    completed = [s for s in savepoints if s.state is SavepointState.COMPLETED and s.location]
    methods = ["FROM_NEW"]
    if completed or newest_job(call, scope, deployment.id) is not None:
        # FROM_LATEST falls back to a fresh start when no state was kept.
        methods.append("FROM_LATEST")
    if completed:
        methods.append("FROM_SAVEPOINT")
    return schemas.StartMethodResult(
        enable_start_methods=methods,
        available_savepoints=[mappers.savepoint_info(s) for s in completed],
        savepoint_info_status="AVAILABLE" if completed else "EMPTY",
    ).wire()
