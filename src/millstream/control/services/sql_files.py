"""SQL file use cases: named SQL scripts filed in a namespace's folders.

Create (the folder must exist and have no SQL file of that name), get, update (content,
description, session cluster, batch mode, rename, move to another folder) and delete.
``count_in_folder`` is what folder deletion asks (a folder holding SQL files cannot be
deleted). The native dialect calls it through ``Services.sql_files``; the files live
behind ``SqlFileStore``, the folders behind ``FolderService``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from millstream.control.context import Actor, Scope
from millstream.control.services.folders import FolderService
from millstream.control.sql_file_ports import SqlFileRepositories, SqlFileStore
from millstream.domain.errors import Conflict, ErrorCode, NotFound
from millstream.domain.sql_files import (
    SqlFile,
    check_description,
    check_script,
    check_session_cluster,
    check_sql_file_name,
)

__all__ = ["SqlFileDraft", "SqlFilePatch", "SqlFileService"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SqlFileDraft:
    """What a new SQL file is made of."""

    name: str
    folder_id: int
    script: str
    description: str | None = None
    session_cluster: str | None = None
    batch: bool = False


@dataclass(frozen=True, slots=True)
class SqlFilePatch:
    """The fields an update changes; ``None`` keeps the current value."""

    name: str | None = None
    folder_id: int | None = None
    script: str | None = None
    description: str | None = None
    session_cluster: str | None = None
    batch: bool | None = None


class SqlFileService:
    def __init__(
        self,
        store: SqlFileStore,
        folders: FolderService,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._folders = folders
        self._clock = clock

    def create(self, scope: Scope, actor: Actor, draft: SqlFileDraft) -> SqlFile:
        now = self._clock()
        sql_file = SqlFile(
            id=str(uuid.uuid4()),
            workspace=scope.workspace,
            namespace=scope.namespace,
            folder_id=draft.folder_id,
            name=check_sql_file_name(draft.name),
            script=check_script(draft.script),
            description=check_description(draft.description),
            session_cluster=check_session_cluster(draft.session_cluster),
            batch=draft.batch,
            creator=actor.id,
            modifier=actor.id,
            created_at=now,
            modified_at=now,
        )
        self._folders.get_by_id(scope, draft.folder_id)
        with self._store.transaction() as repos:
            _require_free_name(repos, sql_file)
            repos.create_sql_file(sql_file=sql_file)
        _log.info("SQL file %s created in %s/%s", sql_file.id, scope.workspace, scope.namespace)
        return sql_file

    def get(self, scope: Scope, sql_file_id: str) -> SqlFile:
        with self._store.transaction() as repos:
            return _require(repos, scope, sql_file_id)

    def update(self, scope: Scope, actor: Actor, sql_file_id: str, patch: SqlFilePatch) -> SqlFile:
        name = check_sql_file_name(patch.name) if patch.name is not None else None
        script = check_script(patch.script) if patch.script is not None else None
        description = check_description(patch.description)
        if patch.folder_id is not None:
            self._folders.get_by_id(scope, patch.folder_id)
        with self._store.transaction() as repos:
            sql_file = _require(repos, scope, sql_file_id)
            moved = (name is not None and name != sql_file.name) or (
                patch.folder_id is not None and patch.folder_id != sql_file.folder_id
            )
            sql_file.name = name if name is not None else sql_file.name
            sql_file.folder_id = (
                patch.folder_id if patch.folder_id is not None else sql_file.folder_id
            )
            sql_file.script = script if script is not None else sql_file.script
            if description is not None:
                sql_file.description = description
            if patch.session_cluster is not None:
                sql_file.session_cluster = check_session_cluster(patch.session_cluster)
            if patch.batch is not None:
                sql_file.batch = patch.batch
            sql_file.modifier = actor.id
            sql_file.modified_at = self._clock()
            if moved:
                _require_free_name(repos, sql_file)
            repos.update_sql_file(sql_file=sql_file)
        _log.info("SQL file %s updated by %s", sql_file_id, actor.name)
        return sql_file

    def delete(self, scope: Scope, actor: Actor, sql_file_id: str) -> SqlFile:
        with self._store.transaction() as repos:
            sql_file = _require(repos, scope, sql_file_id)
            repos.delete_sql_file(sql_file_id=sql_file.id)
        _log.info("SQL file %s deleted by %s", sql_file_id, actor.name)
        return sql_file

    def count_in_folder(self, scope: Scope, folder_id: int) -> int:
        """How many SQL files the folder holds (directly)."""
        with self._store.transaction() as repos:
            return repos.count_sql_files(
                workspace=scope.workspace, namespace=scope.namespace, folder_id=folder_id
            )


def _require(repos: SqlFileRepositories, scope: Scope, sql_file_id: str) -> SqlFile:
    found = repos.read_sql_file(
        workspace=scope.workspace, namespace=scope.namespace, sql_file_id=sql_file_id
    )
    if found is None:
        raise NotFound(f"SQL file {sql_file_id!r} does not exist", code=ErrorCode.NOT_FOUND)
    return found


def _require_free_name(repos: SqlFileRepositories, sql_file: SqlFile) -> None:
    taken = repos.read_sql_file_by_name(
        workspace=sql_file.workspace,
        namespace=sql_file.namespace,
        folder_id=sql_file.folder_id,
        name=sql_file.name,
    )
    if taken is not None and taken.id != sql_file.id:
        raise Conflict(
            f"folder {sql_file.folder_id} already has a SQL file named {sql_file.name!r}; "
            "choose another name"
        )
