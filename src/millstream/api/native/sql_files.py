"""Native SQL file operations: CreateSqlFile, GetSqlFile, UpdateSqlFile and DeleteSqlFile
at the paths the official SDK sends (``/api/v2/namespaces/{ns}/sql-file``).

A SQL file on the wire is the SDK's ``SqlFile {sqlFileId, name, parentId, sqlScript,
description, sessionClusterName, batchMode, namespace, workspace}``; ``parentId`` is the
folder id (``"0"``: the root folder), ``batchMode`` the string ``"true"`` or ``"false"``.
Answers also carry ``creator``, ``modifier``, ``createdAt`` and ``modifiedAt`` (epoch
milliseconds), which the SDK model does not declare. Create needs ``name``,
``parentId`` and ``sqlScript``; Update changes only the fields it sends (a new
``name`` or ``parentId`` renames or moves the file); names are unique per folder (409).
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from typing import Annotated, Any

from fastapi import Path
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native.folders import folder_id_of
from millstream.api.native.params import NAMESPACE
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.api.native.schemas import WireModel
from millstream.control.services.sql_files import SqlFileDraft, SqlFilePatch, SqlFileService
from millstream.domain.errors import InvalidInput
from millstream.domain.sql_files import SqlFile

__all__ = ["SqlFileBody", "router", "sql_file_to_wire"]

router = native_router()

_PATH = NAMESPACE + "/sql-file"
# Ids are UUIDs; anything else cannot name a SQL file (and never reaches the database).
SqlFileId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class SqlFileBody(WireModel):
    """SDK ``SqlFile``: the body of CreateSqlFile and UpdateSqlFile."""

    name: str | None = None
    parent_id: str | None = None
    sql_script: str | None = None
    description: str | None = None
    session_cluster_name: str | None = None
    batch_mode: str | bool | None = None


def sql_file_to_wire(sql_file: SqlFile) -> dict[str, Any]:
    """SDK ``SqlFile`` plus who changed it when."""
    return {
        "sqlFileId": sql_file.id,
        "name": sql_file.name,
        "parentId": str(sql_file.folder_id),
        "sqlScript": sql_file.script,
        "description": sql_file.description,
        "sessionClusterName": sql_file.session_cluster,
        "batchMode": "true" if sql_file.batch else "false",
        "namespace": sql_file.namespace,
        "workspace": sql_file.workspace,
        "creator": sql_file.creator,
        "modifier": sql_file.modifier,
        "createdAt": int(sql_file.created_at.timestamp() * 1000) if sql_file.created_at else None,
        "modifiedAt": (
            int(sql_file.modified_at.timestamp() * 1000) if sql_file.modified_at else None
        ),
    }


def _batch(raw: str | bool | None) -> bool | None:
    if raw is None or isinstance(raw, bool):
        return raw
    text = raw.strip().lower()
    if text in ("", "false"):
        return False if text else None
    if text == "true":
        return True
    raise InvalidInput(f"batchMode is 'true' or 'false', got {raw[:20]!r}")


def _sql_files(ctx: RequestContext) -> SqlFileService:
    if ctx.services.sql_files is None:
        raise not_enabled("SQL files")
    return ctx.services.sql_files


@router.post(_PATH, name="CreateSqlFile")
def create_sql_file(ctx: Ctx, body: SqlFileBody) -> JSONResponse:
    if body.name is None or body.parent_id is None or body.sql_script is None:
        raise InvalidInput(
            "name, parentId and sqlScript are required, e.g. "
            '{"name": "report.sql", "parentId": "0", "sqlScript": "SELECT 1;"}'
        )
    created = _sql_files(ctx).create(
        ctx.scope,
        ctx.actor,
        SqlFileDraft(
            name=body.name,
            folder_id=folder_id_of(body.parent_id, field="parentId"),
            script=body.sql_script,
            description=body.description,
            session_cluster=body.session_cluster_name,
            batch=bool(_batch(body.batch_mode)),
        ),
    )
    return ok(ctx, sql_file_to_wire(created))


@router.get(_PATH + "/{sql_file_id}", name="GetSqlFile")
def get_sql_file(ctx: Ctx, sql_file_id: SqlFileId) -> JSONResponse:
    return ok(ctx, sql_file_to_wire(_sql_files(ctx).get(ctx.scope, sql_file_id)))


@router.patch(_PATH + "/{sql_file_id}", name="UpdateSqlFile")
def update_sql_file(ctx: Ctx, sql_file_id: SqlFileId, body: SqlFileBody) -> JSONResponse:
    patch = SqlFilePatch(
        name=body.name,
        folder_id=(
            folder_id_of(body.parent_id, field="parentId")
            if body.parent_id is not None and body.parent_id.strip()
            else None
        ),
        script=body.sql_script,
        description=body.description,
        session_cluster=body.session_cluster_name,
        batch=_batch(body.batch_mode),
    )
    updated = _sql_files(ctx).update(ctx.scope, ctx.actor, sql_file_id, patch)
    return ok(ctx, sql_file_to_wire(updated))


@router.delete(_PATH + "/{sql_file_id}", name="DeleteSqlFile")
def delete_sql_file(ctx: Ctx, sql_file_id: SqlFileId) -> JSONResponse:
    deleted = _sql_files(ctx).delete(ctx.scope, ctx.actor, sql_file_id)
    return ok(ctx, sql_file_to_wire(deleted))
