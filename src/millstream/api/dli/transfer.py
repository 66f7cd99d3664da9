"""Exporting and importing DLI Flink jobs: a zip of job definitions in the artifact store.

    POST /v1.0/{project_id}/streaming/jobs/export   ExportFlinkJobs -> {"zip_file": [uri]}
    POST /v1.0/{project_id}/streaming/jobs/import   ImportFlinkJobs -> {"job_mapping": [...]}

An export writes one zip into the project's namespace of the artifact store
(``exports/flink-jobs-<UTC time>-<random>.zip``; ``obs_dir`` is not a place Millstream
writes to, the store is): one ``<job_id>.json`` per job, ``{"job_id", "job_type",
"settings"}`` with the job's DLI settings exactly as they were sent (every job of the
project, or ``job_selected`` when ``is_selected``). An import reads such a zip
(``zip_file``: the URI the export answered, or the file's name in the namespace) and
creates each job from its settings; a job whose name exists is updated with them when
``is_cover``, else left alone (``new_job_id`` -1 and a remark). Exporting then importing
round-trips every setting.
"""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.dli.context import Project, open_project
from millstream.api.dli.envelope import ok_json
from millstream.api.dli.errors import validation_message
from millstream.api.dli.mappers import JobKind, deployment_patch, kind_of, spec_from, spec_of
from millstream.api.dli.routing import V1, dli_router, parse_body
from millstream.api.dli.schemas import ExportJobs, ImportJobs, JarJob, SqlJob
from millstream.control.ports import Page
from millstream.control.services.artifacts import ArtifactService
from millstream.domain.deployments import Deployment
from millstream.domain.errors import InvalidInput, MillstreamError, NotFound, Unavailable

__all__ = ["router"]

router = dli_router()

_MAX_ZIP_BYTES = 16 * 1024 * 1024
_MAX_ENTRIES = 1000
_PAGE = 500


def _artifacts(project: Project) -> ArtifactService:
    if project.services.artifacts is None:
        raise Unavailable("the artifact store is not enabled on this server")
    return project.services.artifacts


def _deployments(project: Project, body: ExportJobs) -> list[tuple[int, Deployment]]:
    if body.is_selected:
        if not body.job_selected:
            raise InvalidInput("job_selected names the jobs to export when is_selected is true")
        found = []
        for job_id in body.job_selected:
            deployment_id = project.ids.deployment_id(job_id)
            found.append((job_id, project.services.deployments.get(project.scope, deployment_id)))
        return found
    every: list[Deployment] = []
    while True:
        page, total = project.services.deployments.list(project.scope, Page(len(every), _PAGE))
        every.extend(page)
        if not page or len(every) >= total:
            break
    numbers = project.ids.job_ids(d.id for d in every)
    return sorted(((numbers[d.id], d) for d in every), key=lambda pair: pair[0])


def _export(
    request: Request, ctx: RequestContext, project_id: str, body: ExportJobs
) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    store = _artifacts(project)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for job_id, deployment in _deployments(project, body):
            entry = {
                "job_id": job_id,
                "job_type": kind_of(deployment).value,
                "settings": spec_of(deployment),
            }
            archive.writestr(f"{job_id}.json", json.dumps(entry, sort_keys=True, indent=2))
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    name = f"exports/flink-jobs-{stamp}-{secrets.token_hex(3)}.zip"
    upload = store.begin_upload(project.scope, project.actor, name)
    upload.write(buffer.getvalue())
    stored = upload.commit()
    return ok_json(ctx.request_id, "The jobs are exported successfully.", zip_file=[stored.uri])


def _read_zip(project: Project, reference: str) -> bytes:
    prefix = f"artifacts://{project.scope.workspace}/{project.scope.namespace}/"
    name = reference.removeprefix(prefix)
    if "://" in name:
        raise InvalidInput(
            f"zip_file {reference!r} is not a file of this project's artifact store: give "
            f"the URI the export answered ({prefix}...) or the file's name"
        )
    stored, chunks = _artifacts(project).download(project.scope, name)
    if stored.size > _MAX_ZIP_BYTES:
        raise InvalidInput(f"zip_file {reference!r} is larger than {_MAX_ZIP_BYTES} bytes")
    return b"".join(chunks)


def _entries(data: bytes, reference: str) -> list[dict[str, Any]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InvalidInput(f"zip_file {reference!r} is not a zip file") from None
    with archive:
        names = [n for n in archive.namelist() if n.endswith(".json")]
        if len(names) > _MAX_ENTRIES:
            raise InvalidInput(f"zip_file {reference!r} holds more than {_MAX_ENTRIES} jobs")
        entries = []
        for entry_name in sorted(names):
            if archive.getinfo(entry_name).file_size > _MAX_ZIP_BYTES:
                raise InvalidInput(f"{entry_name} in {reference!r} is too large")
            try:
                entry = json.loads(archive.read(entry_name))
            except ValueError:
                raise InvalidInput(f"{entry_name} in {reference!r} is not JSON") from None
            if not isinstance(entry, dict) or not isinstance(entry.get("settings"), dict):
                raise InvalidInput(f"{entry_name} in {reference!r} is not an exported job")
            entries.append(entry)
    return entries


def _import_one(project: Project, entry: dict[str, Any], cover: bool) -> dict[str, Any]:
    old_id = entry.get("job_id") if isinstance(entry.get("job_id"), int) else -1
    try:
        kind = JobKind(str(entry.get("job_type")))
    except ValueError:
        return {"old_job_id": old_id, "new_job_id": -1, "remark": "unknown job_type"}
    model = JarJob if kind is JobKind.JAR else SqlJob
    try:
        settings = spec_from(model.model_validate(entry["settings"]))
        patch = deployment_patch(kind, settings)
        name = str(settings.get("name") or "")
        existing = _by_name(project, name)
        if existing is None:
            created = project.services.deployments.create(project.scope, project.actor, patch)
            new_id = project.ids.job_id(created.id)
            return {"old_job_id": old_id, "new_job_id": new_id, "remark": "imported"}
        if not cover:
            return {
                "old_job_id": old_id,
                "new_job_id": -1,
                "remark": f"a job named {name!r} exists; import with is_cover to overwrite it",
            }
        project.services.deployments.update(project.scope, project.actor, existing.id, patch)
        new_id = project.ids.job_id(existing.id)
        return {"old_job_id": old_id, "new_job_id": new_id, "remark": "overwritten"}
    except ValidationError as exc:
        return {"old_job_id": old_id, "new_job_id": -1, "remark": validation_message(exc.errors())}
    except MillstreamError as exc:
        return {"old_job_id": old_id, "new_job_id": -1, "remark": exc.message}


def _by_name(project: Project, name: str) -> Deployment | None:
    try:
        return project.services.deployments.get_by_name(project.scope, name)
    except NotFound:
        return None


def _import(
    request: Request, ctx: RequestContext, project_id: str, body: ImportJobs
) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    entries = _entries(_read_zip(project, body.zip_file), body.zip_file)
    mapping = [_import_one(project, entry, body.is_cover) for entry in entries]
    return ok_json(ctx.request_id, "The jobs are imported.", job_mapping=mapping)


@router.post(V1 + "/streaming/jobs/export", name="ExportFlinkJobs")
async def export_flink_jobs(project_id: str, request: Request, ctx: Context) -> JSONResponse:
    body = await parse_body(request, ExportJobs)
    return await run_in_threadpool(_export, request, ctx, project_id, body)


@router.post(V1 + "/streaming/jobs/import", name="ImportFlinkJobs")
async def import_flink_jobs(project_id: str, request: Request, ctx: Context) -> JSONResponse:
    body = await parse_body(request, ImportJobs)
    return await run_in_threadpool(_import, request, ctx, project_id, body)
