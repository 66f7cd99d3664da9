"""foas tags (``aliyun-python-sdk-foas`` only, not in the document): TagResources,
UntagResources and ListTagResources on ``/api/v2/cluster/tags`` over the workspace's
resource tags (``control.services.tags``).

The SDK's request classes declare no body fields for TagResources, so callers add them
(``add_query_param`` or ``add_body_params``) in Alibaba Cloud's tag-API shape, and both
spellings are read: ``ResourceType``; ``ResourceIds`` as a JSON array (or ``a,b``, or
``ResourceId.1``, ``ResourceId.2``...); ``Tags`` as a JSON array of ``{"Key", "Value"}``
(or ``Tag.1.Key``/``Tag.1.Value``...); UntagResources takes ``TagKeys`` (JSON array,
or ``TagKey.1``...) or ``All=True``. ``ResourceType`` is ``cluster`` (also spelled
``ALIYUN::FOAS::CLUSTER``) or ``project``; every resource must exist. ListTagResources
answers ``TagResources.TagResource[]`` (``ResourceType``, ``ResourceId``, ``TagKey``,
``TagValue``), 50 a page, with ``NextToken``. Authorized in the default project.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.foas.clusters import cluster_named, cluster_project
from millstream.api.foas.context import Project, project_scope
from millstream.api.foas.envelope import ok
from millstream.api.foas.errors import INVALID_PARAMETER, FoasError
from millstream.api.foas.routing import Params, foas_router, read_params
from millstream.control.services.tags import TagService
from millstream.domain.errors import Unavailable
from millstream.domain.tags import validate_resource_id

__all__ = ["RESOURCE_TYPES", "router"]

router = foas_router()

TAGS = "/api/v2/cluster/tags"
RESOURCE_TYPES = {"cluster": "cluster", "aliyun::foas::cluster": "cluster", "project": "project"}
_PAGE = 50
_MAX_ITEMS = 50


def _service(project: Project) -> TagService:
    service = project.services.tags
    if service is None:
        raise Unavailable("tags are not enabled on this server (no tag service wired)")
    return service


def _resource_type(params: Params) -> str:
    raw = params.required("ResourceType")
    found = RESOURCE_TYPES.get(raw.lower())
    if found is None:
        raise FoasError(
            400, INVALID_PARAMETER, f"ResourceType must be cluster or project, not {raw[:40]!r}"
        )
    return found


def _json_list(params: Params, name: str) -> list[Any] | None:
    raw = params.text(name)
    if raw is None:
        return None
    if raw.lstrip().startswith("["):
        try:
            decoded = json.loads(raw)
        except (ValueError, RecursionError):
            raise FoasError(400, INVALID_PARAMETER, f"{name} is not a valid JSON array") from None
        if not isinstance(decoded, list):
            raise FoasError(400, INVALID_PARAMETER, f"{name} must be a JSON array")
        return decoded
    return [part.strip() for part in raw.split(",") if part.strip()]


def _numbered(params: Params, prefix: str) -> list[str]:
    """``Prefix.1``, ``Prefix.2``... in order (the RPC spelling of a list)."""
    found = []
    for index in range(1, _MAX_ITEMS + 1):
        value = params.text(f"{prefix}.{index}")
        if value is None:
            break
        found.append(value)
    return found


def _strings(params: Params, name: str, numbered: str) -> list[str] | None:
    listed = _json_list(params, name)
    values = [str(v) for v in listed] if listed is not None else _numbered(params, numbered)
    if len(values) > _MAX_ITEMS:
        raise FoasError(400, INVALID_PARAMETER, f"{name} has more than {_MAX_ITEMS} items")
    return values or None


def _tags(params: Params) -> dict[str, str]:
    listed = _json_list(params, "Tags")
    pairs: list[tuple[str, str]] = []
    if listed is not None:
        for item in listed:
            if not isinstance(item, dict) or not item.get("Key"):
                raise FoasError(
                    400, INVALID_PARAMETER, 'Tags must be a JSON array of {"Key", "Value"}'
                )
            pairs.append((str(item["Key"]), str(item.get("Value") or "")))
    else:
        for index in range(1, _MAX_ITEMS + 1):
            key = params.text(f"Tag.{index}.Key")
            if key is None:
                break
            pairs.append((key, params.text(f"Tag.{index}.Value") or ""))
    return dict(pairs)


def _check_resources(project: Project, resource_type: str, ids: list[str]) -> None:
    for resource_id in ids:
        if resource_type == "cluster":
            if project.services.clusters is not None:
                cluster_named(project, resource_id)
        else:
            validate_resource_id(resource_id)  # before it reaches the store
            project_scope(project.services, resource_id)


def _tag(request: Request, ctx: RequestContext, params: Params) -> Response:
    resource_type = _resource_type(params)
    ids = _strings(params, "ResourceIds", "ResourceId")
    tags = _tags(params)
    if ids is None or not tags:
        raise FoasError(400, "MissingParameter", "ResourceIds and Tags are required")
    project = cluster_project(request, ctx)
    _check_resources(project, resource_type, ids)
    _service(project).tag(project.scope.workspace, resource_type, ids, tags)
    return ok(ctx.request_id)


@router.post(TAGS, name="TagResources")
async def tag_resources(request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_tag, request, ctx, params)


def _untag(request: Request, ctx: RequestContext, params: Params) -> Response:
    resource_type = _resource_type(params)
    ids = _strings(params, "ResourceIds", "ResourceId")
    if ids is None:
        raise FoasError(400, "MissingParameter", "ResourceIds is required")
    keys = _strings(params, "TagKeys", "TagKey")
    every = params.boolean("All", False)
    if keys is None and not every:
        raise FoasError(400, "MissingParameter", "TagKeys is required unless All is True")
    project = cluster_project(request, ctx)
    _service(project).untag(
        project.scope.workspace, resource_type, ids, None if keys is None else keys
    )
    return ok(ctx.request_id)


@router.delete(TAGS, name="UntagResources")
async def untag_resources(request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_untag, request, ctx, params)


def _list(request: Request, ctx: RequestContext, params: Params) -> Response:
    resource_type = _resource_type(params)
    ids = _strings(params, "ResourceIds", "ResourceId")
    having = _tags(params)
    token = params.text("NextToken") or "0"
    if not token.isdigit():
        raise FoasError(400, INVALID_PARAMETER, "NextToken is not one this server gave")
    start = int(token)
    project = cluster_project(request, ctx)
    tags = _service(project).list(project.scope.workspace, resource_type, ids, having or None)
    shown = tags[start : start + _PAGE]
    following = start + _PAGE if start + _PAGE < len(tags) else None
    return ok(
        ctx.request_id,
        NextToken="" if following is None else str(following),
        TagResources={
            "TagResource": [
                {
                    "ResourceId": t.resource_id,
                    "ResourceType": t.resource_type,
                    "TagKey": t.key,
                    "TagValue": t.value,
                }
                for t in shown
            ]
        },
    )


@router.get(TAGS, name="ListTagResources")
async def list_tag_resources(request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_list, request, ctx, params)
