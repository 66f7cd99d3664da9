"""DLI Flink SQL job templates, kept as JSON files in the project's artifact store.

    POST   /v1.0/{project_id}/streaming/job-templates                CreateFlinkSqlJobTemplate
    PUT    /v1.0/{project_id}/streaming/job-templates/{template_id}  UpdateFlinkSqlJobTemplate
    DELETE /v1.0/{project_id}/streaming/job-templates/{template_id}  DeleteFlinkSqlJobTemplate
    GET    /v1.0/{project_id}/streaming/job-templates                ListFlinkSqlJobTemplates

A template is a named SQL text a Flink SQL job can start from (``template_id`` of
create_flink_sql_job without ``sql_body``). The domain has no templates and the store's
schema is fixed, so each one is the file ``templates/flink-sql/<template_id>.json`` of
the namespace in the artifact store (listed with the namespace's artifacts, under the
same roles); its id is a random 9-digit integer, checked unused. Names are unique per
project. Used by ``jobs`` (``template_sql``) and the router list.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.dli.context import Project, open_project
from millstream.api.dli.envelope import ok_json
from millstream.api.dli.errors import BAD_PARAMETER, DialectError
from millstream.api.dli.routing import V1, dli_router, parse_body
from millstream.api.dli.schemas import TemplateBody
from millstream.control.services.artifacts import ArtifactService
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound, Unavailable

__all__ = ["router", "template_sql"]

router = dli_router()

PREFIX = "templates/flink-sql/"
_MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
TemplateId = Annotated[int, Path(ge=0)]


def _store(project: Project) -> ArtifactService:
    if project.services.artifacts is None:
        raise Unavailable("the artifact store is not enabled on this server")
    return project.services.artifacts


def _not_found(template_id: int) -> NotFound:
    return NotFound(f"template {template_id} does not exist", code=ErrorCode.NOT_FOUND)


def _read(project: Project, template_id: int) -> dict[str, Any]:
    store = _store(project)
    try:
        stored, chunks = store.download(project.scope, f"{PREFIX}{template_id}.json")
    except NotFound:
        raise _not_found(template_id) from None
    if stored.size > _MAX_TEMPLATE_BYTES:
        raise _not_found(template_id)
    try:
        found = json.loads(b"".join(chunks))
    except ValueError:
        raise _not_found(template_id) from None
    if not isinstance(found, dict):
        raise _not_found(template_id)
    return found


def _all(project: Project) -> list[dict[str, Any]]:
    found = []
    for stored in _store(project).list(project.scope):
        stem = stored.name.removeprefix(PREFIX).removesuffix(".json")
        if stored.name.startswith(PREFIX) and stem.isdigit():
            try:
                found.append(_read(project, int(stem)))
            except NotFound:
                continue  # deleted meanwhile, or not a template file
    return found


def _write(project: Project, template: dict[str, Any]) -> None:
    upload = _store(project).begin_upload(
        project.scope, project.actor, f"{PREFIX}{template['template_id']}.json"
    )
    upload.write(json.dumps(template, sort_keys=True).encode())
    upload.commit()


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def _check_name(project: Project, name: str, template_id: int | None) -> None:
    for other in _all(project):
        if other.get("name") == name and other.get("template_id") != template_id:
            raise Conflict(f"a template named {name!r} already exists")


def _new_id(taken: set[Any]) -> int:
    while True:
        candidate = 100_000_000 + secrets.randbelow(900_000_000)
        if candidate not in taken:
            return candidate


def template_sql(project: Project, template_id: int) -> str:
    """The SQL text of a template (create_flink_sql_job with ``template_id``)."""
    return str(_read(project, template_id).get("sql_body") or "")


def _create(
    request: Request, ctx: RequestContext, project_id: str, body: TemplateBody
) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    if not body.name:
        raise InvalidInput("name is required: 1 to 64 characters")
    _check_name(project, body.name, None)
    template_id = _new_id({t.get("template_id") for t in _all(project)})
    now = _now_ms()
    template = {
        "template_id": template_id,
        "name": body.name,
        "desc": body.desc or "",
        "sql_body": body.sql_body or "",
        "job_type": body.job_type or "flink_opensource_sql_job",
        "tags": [tag.model_dump() for tag in body.tags or []],
        "create_time": now,
        "update_time": now,
    }
    _write(project, template)
    return ok_json(
        ctx.request_id,
        "A template is created successfully.",
        template={
            key: template[key] for key in ("template_id", "name", "desc", "create_time", "job_type")
        },
    )


def _update(
    request: Request, ctx: RequestContext, project_id: str, template_id: int, body: TemplateBody
) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    template = _read(project, template_id)
    if body.name is not None:
        _check_name(project, body.name, template_id)
    changes = body.model_dump(include={"name", "desc", "sql_body"}, exclude_none=True)
    template.update(changes, update_time=_now_ms())
    _write(project, template)
    return ok_json(ctx.request_id, "The template is updated successfully.")


def _delete(
    request: Request, ctx: RequestContext, project_id: str, template_id: int
) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    _read(project, template_id)
    _store(project).delete(project.scope, project.actor, f"{PREFIX}{template_id}.json")
    return ok_json(
        ctx.request_id,
        "The template is deleted successfully.",
        template={"template_id": template_id},
    )


def _param(request: Request, name: str, default: int, high: int) -> int:
    raw = request.query_params.get(name) or str(default)
    if not raw.isdigit() or int(raw) > high:
        raise DialectError(400, BAD_PARAMETER, f"{name} must be an integer from 0 to {high}")
    return int(raw)


def _list(request: Request, ctx: RequestContext, project_id: str) -> JSONResponse:
    limit = _param(request, "limit", 10, 100)
    offset = _param(request, "offset", 0, 1_000_000)
    order = (request.query_params.get("order") or "desc").lower()
    if order not in {"asc", "desc"}:
        raise DialectError(400, BAD_PARAMETER, f"order must be asc or desc, not {order!r}")
    name = request.query_params.get("name")
    project = open_project(request, ctx, project_id)
    found = [t for t in _all(project) if not name or name.lower() in str(t.get("name")).lower()]
    found.sort(key=lambda t: (t.get("create_time") or 0, t.get("template_id") or 0))
    if order == "desc":
        found.reverse()
    shown = [
        {
            key: t.get(key)
            for key in (
                "template_id",
                "name",
                "desc",
                "create_time",
                "update_time",
                "sql_body",
                "job_type",
            )
        }
        for t in found[offset : offset + limit]
    ]
    return ok_json(
        ctx.request_id,
        "The template list is obtained successfully.",
        template_list={"total_count": len(found), "templates": shown},
    )


@router.post(V1 + "/streaming/job-templates", name="CreateFlinkSqlJobTemplate")
async def create_template(project_id: str, request: Request, ctx: Context) -> JSONResponse:
    body = await parse_body(request, TemplateBody)
    return await run_in_threadpool(_create, request, ctx, project_id, body)


@router.put(V1 + "/streaming/job-templates/{template_id}", name="UpdateFlinkSqlJobTemplate")
async def update_template(
    project_id: str, template_id: TemplateId, request: Request, ctx: Context
) -> JSONResponse:
    body = await parse_body(request, TemplateBody)
    return await run_in_threadpool(_update, request, ctx, project_id, template_id, body)


@router.delete(V1 + "/streaming/job-templates/{template_id}", name="DeleteFlinkSqlJobTemplate")
async def delete_template(
    project_id: str, template_id: TemplateId, request: Request, ctx: Context
) -> JSONResponse:
    return await run_in_threadpool(_delete, request, ctx, project_id, template_id)


@router.get(V1 + "/streaming/job-templates", name="ListFlinkSqlJobTemplates")
async def list_templates(project_id: str, request: Request, ctx: Context) -> JSONResponse:
    return await run_in_threadpool(_list, request, ctx, project_id)
