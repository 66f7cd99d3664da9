"""Member routes of the native dialect: CreateMember, GetMember, UpdateMember,
DeleteMember, ListMembers and ListEditableNamespace, under ``/gateway/v2`` exactly as the
official SDK sends them.

A member on the wire is the SDK's ``Member {member, role}``; ``member`` is
``user:<name>`` (as Alibaba's ``user:<uid>``), and on input ``user:<id or name>`` or a bare
id or name. Roles are OWNER, EDITOR, VIEWER (``ADMIN`` is read as OWNER). Who may do what
is decided by ``AccessService`` (owners manage members, any member reads them), so these
routes only need an authenticated caller.
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from millstream.api.native.errors import NativeRoute, ok_response
from millstream.api.native.schemas import WireModel
from millstream.control.context import Actor, Scope
from millstream.control.ports import Page
from millstream.control.services.access import AccessService
from millstream.domain.access import Member, parse_role
from millstream.domain.errors import InvalidInput

__all__ = ["MemberBody", "build_members_router"]

_PREFIX = "/gateway/v2/namespaces"

PageIndex = Annotated[int, Query(alias="pageIndex", ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=100)]
Namespace = Annotated[str, Path(min_length=1, max_length=128)]
Workspace = Annotated[str | None, Header()]


class MemberBody(WireModel):
    """SDK ``Member``: the body of CreateMember and UpdateMember."""

    member: str | None = None
    role: str | None = None

    def required(self) -> tuple[str, str]:
        if not self.member or not self.role:
            raise InvalidInput(
                'member and role are required, e.g. {"member": "user:alice", "role": "VIEWER"}',
                code="InvalidParameter",
            )
        return self.member, self.role


def build_members_router(
    access: AccessService,
    authenticate: Callable[[Request], Awaitable[Actor]],
    *,
    default_workspace: str,
) -> APIRouter:
    """The member routes; ``authenticate`` is the same dependency the native router uses."""
    router = APIRouter(route_class=NativeRoute)
    Caller = Annotated[Actor, Depends(authenticate)]

    def names() -> dict[str, str]:
        return {user.id: user.name for user in access.list_users()}

    def wire(member: Member, user_names: dict[str, str]) -> dict[str, Any]:
        name = user_names.get(member.user_id, member.user_id)
        return {"member": f"user:{name}", "role": member.role.value}

    def scope(namespace: str, workspace: str | None) -> Scope:
        return Scope(workspace=workspace or default_workspace, namespace=namespace)

    @router.post(_PREFIX + "/{namespace}/members")
    def create_member(
        request: Request,
        actor: Caller,
        namespace: Namespace,
        body: MemberBody,
        workspace: Workspace = None,
    ) -> JSONResponse:
        member, role = body.required()
        created = access.create_member(actor, scope(namespace, workspace), member, parse_role(role))
        return ok_response(request.state.request_id, wire(created, names()))

    @router.put(_PREFIX + "/{namespace}/members")
    def update_member(
        request: Request,
        actor: Caller,
        namespace: Namespace,
        body: MemberBody,
        workspace: Workspace = None,
    ) -> JSONResponse:
        member, role = body.required()
        updated = access.update_member(actor, scope(namespace, workspace), member, parse_role(role))
        return ok_response(request.state.request_id, wire(updated, names()))

    @router.get(_PREFIX + "/{namespace}/members")
    def list_members(
        request: Request,
        actor: Caller,
        namespace: Namespace,
        workspace: Workspace = None,
        page_index: PageIndex = 1,
        page_size: PageSize = 10,
    ) -> JSONResponse:
        members, total = access.list_members(
            actor,
            scope(namespace, workspace),
            Page(offset=(page_index - 1) * page_size, limit=page_size),
        )
        user_names = names()
        return ok_response(
            request.state.request_id,
            [wire(member, user_names) for member in members],
            pageIndex=page_index,
            pageSize=page_size,
            totalSize=total,
        )

    @router.get(_PREFIX + "/{namespace}/members/{member}")
    def get_member(
        request: Request,
        actor: Caller,
        namespace: Namespace,
        member: Annotated[str, Path(min_length=1, max_length=256)],
        workspace: Workspace = None,
    ) -> JSONResponse:
        found = access.read_member(actor, scope(namespace, workspace), member)
        return ok_response(request.state.request_id, wire(found, names()))

    @router.delete(_PREFIX + "/{namespace}/members/{member}")
    def delete_member(
        request: Request,
        actor: Caller,
        namespace: Namespace,
        member: Annotated[str, Path(min_length=1, max_length=256)],
        workspace: Workspace = None,
    ) -> JSONResponse:
        access.delete_member(actor, scope(namespace, workspace), member)
        return ok_response(request.state.request_id, None)

    @router.get(_PREFIX + "/editable")
    def list_editable_namespace(
        request: Request,
        actor: Caller,
        workspace_id: Annotated[str | None, Query(alias="workspaceId")] = None,
        namespace: Annotated[str | None, Query()] = None,
        page_index: PageIndex = 1,
        page_size: PageSize = 10,
    ) -> JSONResponse:
        # SDK ListEditableNamespaceResponseBody: the page sits inside ``data`` and its
        # items use PascalCase (EditableNamespace: Namespace, Role, WorkspaceId).
        found = access.editable_namespaces(actor, workspace=workspace_id, namespace=namespace)
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
        return ok_response(request.state.request_id, data, message="", reason="")

    return router
