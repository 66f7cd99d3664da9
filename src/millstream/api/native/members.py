"""Native member operations: CreateMember, GetMember, UpdateMember, DeleteMember,
ListMembers and ListEditableNamespace, under ``/gateway/v2`` exactly as the official SDK
sends them.

A member on the wire is the SDK's ``Member {member, role}``; ``member`` is
``user:<name>`` (as Alibaba's ``user:<uid>``), and on input ``user:<id or name>`` or a bare
id or name. Roles are OWNER, EDITOR, VIEWER (``ADMIN`` is read as OWNER). Who may do what
is decided by ``AccessService`` (owners manage members, any member reads them), so these
operations are unscoped in the operation table: the guard only authenticates.
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import Context, Guard, RequestContext
from millstream.api.native.params import PageIndex, PageSize
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok, page
from millstream.api.native.schemas import WireModel
from millstream.control.ports import Page
from millstream.control.services.access import AccessService
from millstream.domain.access import Member, parse_role
from millstream.domain.errors import ErrorCode, InvalidInput

__all__ = ["MemberBody", "access_service", "build_members_router", "router"]

router = native_router()

_PATH = "/gateway/v2/namespaces"
MemberName = Annotated[str, Path(min_length=1, max_length=256)]


class MemberBody(WireModel):
    """SDK ``Member``: the body of CreateMember and UpdateMember."""

    member: str | None = None
    role: str | None = None

    def required(self) -> tuple[str, str]:
        if not self.member or not self.role:
            raise InvalidInput(
                'member and role are required, e.g. {"member": "user:alice", "role": "VIEWER"}',
                code=ErrorCode.INVALID_INPUT,
            )
        return self.member, self.role


def access_service(ctx: RequestContext) -> AccessService:
    if ctx.services.access is None:
        raise not_enabled("members and access keys")
    return ctx.services.access


def _names(access: AccessService) -> dict[str, str]:
    return {user.id: user.name for user in access.list_users()}


def _wire(member: Member, user_names: dict[str, str]) -> dict[str, Any]:
    name = user_names.get(member.user_id, member.user_id)
    return {"member": f"user:{name}", "role": member.role.value}


@router.post(_PATH + "/{namespace}/members", name="CreateMember")
def create_member(ctx: Ctx, body: MemberBody) -> JSONResponse:
    member, role = body.required()
    access = access_service(ctx)
    created = access.create_member(ctx.actor, ctx.scope, member, parse_role(role))
    return ok(ctx, _wire(created, _names(access)))


@router.put(_PATH + "/{namespace}/members", name="UpdateMember")
def update_member(ctx: Ctx, body: MemberBody) -> JSONResponse:
    member, role = body.required()
    access = access_service(ctx)
    updated = access.update_member(ctx.actor, ctx.scope, member, parse_role(role))
    return ok(ctx, _wire(updated, _names(access)))


@router.get(_PATH + "/{namespace}/members", name="ListMembers")
def list_members(ctx: Ctx, page_index: PageIndex = 1, page_size: PageSize = 10) -> JSONResponse:
    access = access_service(ctx)
    members, total = access.list_members(
        ctx.actor, ctx.scope, Page(offset=(page_index - 1) * page_size, limit=page_size)
    )
    user_names = _names(access)
    return page(ctx, [_wire(m, user_names) for m in members], page_index, page_size, total)


@router.get(_PATH + "/{namespace}/members/{member}", name="GetMember")
def get_member(ctx: Ctx, member: MemberName) -> JSONResponse:
    access = access_service(ctx)
    return ok(ctx, _wire(access.read_member(ctx.actor, ctx.scope, member), _names(access)))


@router.delete(_PATH + "/{namespace}/members/{member}", name="DeleteMember")
def delete_member(ctx: Ctx, member: MemberName) -> JSONResponse:
    access_service(ctx).delete_member(ctx.actor, ctx.scope, member)
    return ok(ctx)


@router.get(_PATH + "/editable", name="ListEditableNamespace")
def list_editable_namespace(
    ctx: Context,
    workspace_id: Annotated[str | None, Query(alias="workspaceId")] = None,
    namespace: Annotated[str | None, Query()] = None,
    page_index: PageIndex = 1,
    page_size: PageSize = 10,
) -> JSONResponse:
    # SDK ListEditableNamespaceResponseBody: the page sits inside ``data`` and its
    # items use PascalCase (EditableNamespace: Namespace, Role, WorkspaceId).
    found = access_service(ctx).editable_namespaces(
        ctx.actor, workspace=workspace_id, namespace=namespace
    )
    start = (page_index - 1) * page_size
    items = [
        {"WorkspaceId": n.workspace, "Namespace": n.namespace, "Role": n.role.value}
        for n in found[start : start + page_size]
    ]
    data = {
        "editableNamespaces": items,
        "pageIndex": page_index,
        "pageSize": page_size,
        "total": len(found),
    }
    return ok(ctx, data, message="", reason="")


def build_members_router(
    access: AccessService, authenticate: Guard, *, default_workspace: str
) -> APIRouter:
    """The member routes alone, over one service (tests and tools)."""
    from millstream.api.native.standalone import standalone_router

    return standalone_router([router], authenticate, default_workspace, access=access)
