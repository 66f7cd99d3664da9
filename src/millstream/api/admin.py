"""Millstream's own admin API: access keys and the audit log, for ``millstream keys`` and
``millstream audit`` (through ``client/``) and for scripts.

    POST   /api/millstream/v1/keys                       create a key (secret shown once)
    GET    /api/millstream/v1/keys[?user=]               list keys (no secrets)
    POST   /api/millstream/v1/keys/{id}:disable          disable (and :enable)
    DELETE /api/millstream/v1/keys/{id}                  revoke for good
    GET    /api/millstream/v1/namespaces/{ns}/audit      audit log, owners only

Same envelope as the native dialect (``NativeRoute``), same signed requests. Everyone
manages their own keys; admins manage anybody's and may create a key for a new user.
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from millstream.api.native.errors import NativeRoute, ok_response
from millstream.api.native.schemas import WireModel
from millstream.control.context import Actor, Scope
from millstream.control.ports import Page
from millstream.control.services.access import AccessService
from millstream.domain.access import AccessKey, AuditEntry, User

__all__ = ["PREFIX", "CreateKeyBody", "build_admin_router"]

PREFIX = "/api/millstream/v1"

PageIndex = Annotated[int, Query(alias="pageIndex", ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=100)]
KeyId = Annotated[str, Path(min_length=1, max_length=64)]


class CreateKeyBody(WireModel):
    """``{"user": "bob", "createUser": true}``; an empty body means a key for the caller."""

    user: str | None = None
    create_user: bool = False


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _key(key: AccessKey, user: User, secret: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "accessKeyId": key.id,
        "userId": user.id,
        "userName": user.name,
        "status": key.status.value,
        "createdAt": _time(key.created_at),
        "lastUsedAt": _time(key.last_used_at),
    }
    if secret is not None:
        data["accessKeySecret"] = secret
    return data


def _audit(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": _time(entry.at),
        "actorId": entry.actor_id,
        "actorName": entry.actor_name,
        "action": entry.action,
        "resource": entry.resource,
        "requestId": entry.request_id,
        "statusCode": entry.status_code,
        "workspace": entry.workspace,
        "namespace": entry.namespace,
    }


def build_admin_router(
    access: AccessService,
    authenticate: Callable[[Request], Awaitable[Actor]],
    *,
    default_workspace: str,
) -> APIRouter:
    router = APIRouter(prefix=PREFIX, route_class=NativeRoute)
    Caller = Annotated[Actor, Depends(authenticate)]

    def users() -> dict[str, User]:
        return {user.id: user for user in access.list_users()}

    @router.post("/keys")
    def create_key(
        request: Request, actor: Caller, body: CreateKeyBody | None = None
    ) -> JSONResponse:
        body = body or CreateKeyBody()
        issued = access.create_key(actor, user=body.user, create_user=body.create_user)
        return ok_response(request.state.request_id, _key(issued.key, issued.user, issued.secret))

    @router.get("/keys")
    def list_keys(
        request: Request, actor: Caller, user: Annotated[str | None, Query()] = None
    ) -> JSONResponse:
        keys = access.list_keys(actor, user=user)
        return ok_response(request.state.request_id, [_key(key, owner) for key, owner in keys])

    @router.post("/keys/{key_id}:disable")
    def disable_key(request: Request, actor: Caller, key_id: KeyId) -> JSONResponse:
        key = access.disable_key(actor, key_id)
        return ok_response(request.state.request_id, _key(key, users()[key.user_id]))

    @router.post("/keys/{key_id}:enable")
    def enable_key(request: Request, actor: Caller, key_id: KeyId) -> JSONResponse:
        key = access.enable_key(actor, key_id)
        return ok_response(request.state.request_id, _key(key, users()[key.user_id]))

    @router.delete("/keys/{key_id}")
    def revoke_key(request: Request, actor: Caller, key_id: KeyId) -> JSONResponse:
        access.revoke_key(actor, key_id)
        return ok_response(request.state.request_id, None)

    @router.get("/namespaces/{namespace}/audit")
    def read_audit(
        request: Request,
        actor: Caller,
        namespace: Annotated[str, Path(min_length=1, max_length=128)],
        workspace: Annotated[str | None, Header()] = None,
        page_index: PageIndex = 1,
        page_size: PageSize = 20,
    ) -> JSONResponse:
        entries, total = access.read_audit(
            actor,
            Scope(workspace=workspace or default_workspace, namespace=namespace),
            Page(offset=(page_index - 1) * page_size, limit=page_size),
        )
        return ok_response(
            request.state.request_id,
            [_audit(entry) for entry in entries],
            pageIndex=page_index,
            pageSize=page_size,
            totalSize=total,
        )

    return router
