"""Millstream's own admin API (native dialect): access keys and the audit log, for
``millstream keys`` and ``millstream audit`` (through ``client/``) and for scripts.

    POST   /api/millstream/v1/keys                       create a key (secret shown once)
    GET    /api/millstream/v1/keys[?user=]               list keys (no secrets)
    POST   /api/millstream/v1/keys/{id}:disable          disable (and :enable)
    DELETE /api/millstream/v1/keys/{id}                  revoke for good
    GET    /api/millstream/v1/namespaces/{ns}/audit      audit log, owners only

Part of the native dialect (its envelope, signed requests and operation table, where
these operations are unscoped: ``AccessService`` checks the caller). Everyone manages
their own keys; admins manage anybody's and may create a key for a new user.
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import Context, Guard
from millstream.api.native.members import access_service
from millstream.api.native.params import PageIndex, PageSize
from millstream.api.native.routing import Ctx, native_router, ok, page
from millstream.api.native.schemas import WireModel
from millstream.control.ports import Page
from millstream.control.services.access import AccessService
from millstream.domain.access import AccessKey, AuditEntry, User

__all__ = ["PREFIX", "CreateKeyBody", "build_admin_router", "router"]

PREFIX = "/api/millstream/v1"

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


router = native_router()


def _users(access: AccessService) -> dict[str, User]:
    return {user.id: user for user in access.list_users()}


@router.post(PREFIX + "/keys", name="CreateAccessKey")
def create_key(ctx: Context, body: CreateKeyBody | None = None) -> JSONResponse:
    body = body or CreateKeyBody()
    issued = access_service(ctx).create_key(ctx.actor, user=body.user, create_user=body.create_user)
    return ok(ctx, _key(issued.key, issued.user, issued.secret))


@router.get(PREFIX + "/keys", name="ListAccessKeys")
def list_keys(ctx: Context, user: Annotated[str | None, Query()] = None) -> JSONResponse:
    keys = access_service(ctx).list_keys(ctx.actor, user=user)
    return ok(ctx, [_key(key, owner) for key, owner in keys])


@router.post(PREFIX + "/keys/{key_id}:disable", name="DisableAccessKey")
def disable_key(ctx: Context, key_id: KeyId) -> JSONResponse:
    access = access_service(ctx)
    key = access.disable_key(ctx.actor, key_id)
    return ok(ctx, _key(key, _users(access)[key.user_id]))


@router.post(PREFIX + "/keys/{key_id}:enable", name="EnableAccessKey")
def enable_key(ctx: Context, key_id: KeyId) -> JSONResponse:
    access = access_service(ctx)
    key = access.enable_key(ctx.actor, key_id)
    return ok(ctx, _key(key, _users(access)[key.user_id]))


@router.delete(PREFIX + "/keys/{key_id}", name="RevokeAccessKey")
def revoke_key(ctx: Context, key_id: KeyId) -> JSONResponse:
    access_service(ctx).revoke_key(ctx.actor, key_id)
    return ok(ctx)


@router.get(PREFIX + "/namespaces/{namespace}/audit", name="ReadAuditLog")
def read_audit(ctx: Ctx, page_index: PageIndex = 1, page_size: PageSize = 20) -> JSONResponse:
    entries, total = access_service(ctx).read_audit(
        ctx.actor, ctx.scope, Page(offset=(page_index - 1) * page_size, limit=page_size)
    )
    return page(ctx, [_audit(entry) for entry in entries], page_index, page_size, total)


def build_admin_router(
    access: AccessService, authenticate: Guard, *, default_workspace: str
) -> APIRouter:
    """The admin routes alone, over one service (tests and tools)."""
    from millstream.api.native.standalone import standalone_router

    return standalone_router([router], authenticate, default_workspace, access=access)
