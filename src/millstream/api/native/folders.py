"""Native folder operations: CreateFolder, GetFolder, UpdateFolder and DeleteFolder at the
paths the official SDK sends (``/api/v2/namespaces/{ns}/folder``).

The same folder tree the foas dialect serves (``control.services.folders``): a folder on
the wire is the SDK's ``Folder {folderId, name, parentId, subFolder, createdAt,
modifiedAt, namespace, workspace}`` with ids as decimal strings; the root is ``"0"``
(GetFolder without ``folderId``). UpdateFolder renames (``name``) and moves
(``parentId``) a folder with everything below it. A folder holding sub-folders, SQL
files or deployment drafts cannot be deleted (409 ``Conflict``).
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native.params import NAMESPACE
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.api.native.schemas import WireModel
from millstream.control.services.folders import FolderService
from millstream.domain.errors import Conflict, InvalidInput
from millstream.domain.folders import ROOT, ROOT_ID, Folder, parent_path

__all__ = ["FolderBody", "folder_id_of", "router"]

router = native_router()

_PATH = NAMESPACE + "/folder"
FolderId = Annotated[str, Path(min_length=1, max_length=20)]


class FolderBody(WireModel):
    """SDK ``Folder``: the body of CreateFolder and UpdateFolder."""

    name: str | None = None
    parent_id: str | None = None


def folder_id_of(raw: str | None, *, field: str = "folderId") -> int:
    """A wire folder id as the domain's integer (empty: the root)."""
    text = (raw or "").strip()
    if not text:
        return ROOT_ID
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise InvalidInput(f"{field} is a folder id (digits, '0' for the root), got {text[:40]!r}")
    return int(text)


def _folders(ctx: RequestContext) -> FolderService:
    if ctx.services.folders is None:
        raise not_enabled("folders")
    return ctx.services.folders


def _millis(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def _child_path(parent: Folder, name: str | None) -> str:
    if not name or "/" in name or name in (".", ".."):
        raise InvalidInput(
            f"a folder name is one path segment without '/', got {(name or '')[:40]!r}"
        )
    return (parent.path.rstrip("/") or "") + "/" + name


def _parent_id(service: FolderService, ctx: RequestContext, folder: Folder) -> str | None:
    if folder.path == ROOT:
        return None
    return str(service.get(ctx.scope, parent_path(folder.path)).id)


def _wire(ctx: RequestContext, folder: Folder, *, with_children: bool) -> dict[str, Any]:
    service = _folders(ctx)
    view: dict[str, Any] = {
        "folderId": str(folder.id),
        "name": folder.name,
        "parentId": _parent_id(service, ctx, folder),
        "namespace": ctx.scope.namespace,
        "workspace": ctx.scope.workspace,
        "createdAt": _millis(folder.created_at),
        "modifiedAt": _millis(folder.modified_at),
    }
    if with_children:
        view["subFolder"] = [
            {"folderId": str(child.id), "name": child.name, "parentId": str(folder.id)}
            for child in service.children(ctx.scope, folder.path)
        ]
    return view


@router.post(_PATH, name="CreateFolder")
def create_folder(ctx: Ctx, body: FolderBody) -> JSONResponse:
    service = _folders(ctx)
    parent = service.get_by_id(ctx.scope, folder_id_of(body.parent_id, field="parentId"))
    created = service.create(ctx.scope, ctx.actor, _child_path(parent, body.name))
    return ok(ctx, _wire(ctx, created, with_children=True))


@router.get(_PATH, name="GetFolder")
def get_folder(
    ctx: Ctx,
    folder_id: Annotated[str | None, Query(alias="folderId", max_length=20)] = None,
) -> JSONResponse:
    folder = _folders(ctx).get_by_id(ctx.scope, folder_id_of(folder_id))
    return ok(ctx, _wire(ctx, folder, with_children=True))


@router.patch(_PATH + "/{folder_id}", name="UpdateFolder")
def update_folder(ctx: Ctx, folder_id: FolderId, body: FolderBody) -> JSONResponse:
    service = _folders(ctx)
    folder = service.get_by_id(ctx.scope, folder_id_of(folder_id))
    if folder.path == ROOT:
        raise InvalidInput("the root folder (id 0) cannot be renamed or moved")
    if body.parent_id is not None and body.parent_id.strip():
        parent = service.get_by_id(ctx.scope, folder_id_of(body.parent_id, field="parentId"))
    else:
        parent = service.get(ctx.scope, parent_path(folder.path))
    destination = _child_path(parent, body.name if body.name is not None else folder.name)
    if destination != folder.path:
        folder = service.move(ctx.scope, ctx.actor, folder.path, destination)
    return ok(ctx, _wire(ctx, folder, with_children=True))


@router.delete(_PATH + "/{folder_id}", name="DeleteFolder")
def delete_folder(ctx: Ctx, folder_id: FolderId) -> JSONResponse:
    service = _folders(ctx)
    folder = service.get_by_id(ctx.scope, folder_id_of(folder_id))
    sql_files = ctx.services.sql_files
    drafts = ctx.services.drafts

    def holds(candidate: Folder) -> int:
        held = sql_files.count_in_folder(ctx.scope, candidate.id) if sql_files else 0
        return held + (drafts.count_in_folder(ctx.scope, candidate.id) if drafts else 0)

    held = holds(folder)
    if held:
        raise Conflict(
            f"folder {folder.path!r} holds {held} SQL file(s) or deployment draft(s); "
            "delete or move them first"
        )
    service.delete(ctx.scope, ctx.actor, folder.path, holds=holds)
    return ok(ctx)
