"""Folder use cases: a namespace's tree of folders that deployments are filed under.

Create (the parent must exist), get, list the children, move (with everything below it;
ids stay, so whatever is filed under an id moves along) and delete (refused while the
folder has sub-folders, or holds something: the caller says what via ``holds``). The
root ``/`` (id 0) always exists and cannot be moved or deleted. The API dialects call it
through ``Services.folders``; the folders live behind ``CatalogStore``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from millstream.control.catalog_ports import CatalogRepositories, CatalogStore
from millstream.control.context import Actor, Scope
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
from millstream.domain.folders import (
    ROOT,
    ROOT_ID,
    Folder,
    moved_path,
    normalize_folder_path,
    parent_path,
    within,
)

__all__ = ["FolderService"]

_log = logging.getLogger(__name__)


class FolderService:
    def __init__(
        self, store: CatalogStore, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._store = store
        self._clock = clock

    def create(self, scope: Scope, actor: Actor, path: str) -> Folder:
        wanted = normalize_folder_path(path)
        if wanted == ROOT:
            raise Conflict("the root folder '/' always exists")
        now = self._clock()
        with self._store.transaction() as repos:
            if repos.read_folder(workspace=scope.workspace, namespace=scope.namespace, path=wanted):
                raise Conflict(f"folder {wanted!r} already exists")
            self._require(repos, scope, parent_path(wanted), what="parent folder")
            folder = repos.create_folder(
                folder=Folder(
                    workspace=scope.workspace,
                    namespace=scope.namespace,
                    path=wanted,
                    creator=actor.id,
                    modifier=actor.id,
                    created_at=now,
                    modified_at=now,
                )
            )
        _log.info("folder %s created in %s/%s", wanted, scope.workspace, scope.namespace)
        return folder

    def get(self, scope: Scope, path: str) -> Folder:
        with self._store.transaction() as repos:
            return self._require(repos, scope, normalize_folder_path(path))

    def get_by_id(self, scope: Scope, folder_id: int) -> Folder:
        if folder_id == ROOT_ID:
            return _root(scope)
        with self._store.transaction() as repos:
            found = repos.read_folder_by_id(
                workspace=scope.workspace, namespace=scope.namespace, folder_id=folder_id
            )
        if found is None:
            raise NotFound(f"folder {folder_id} does not exist", code=ErrorCode.NOT_FOUND)
        return found

    def children(self, scope: Scope, path: str) -> list[Folder]:
        """The folders directly below ``path``, by path."""
        parent = normalize_folder_path(path)
        with self._store.transaction() as repos:
            self._require(repos, scope, parent)
            folders = repos.read_folders(workspace=scope.workspace, namespace=scope.namespace)
        return [f for f in folders if f.path != parent and parent_path(f.path) == parent]

    def move(self, scope: Scope, actor: Actor, source: str, destination: str) -> Folder:
        """``source`` and everything below it now live at ``destination``."""
        src = normalize_folder_path(source)
        dest = normalize_folder_path(destination)
        if src == ROOT:
            raise InvalidInput("the root folder '/' cannot be moved")
        if within(dest, src):
            raise InvalidInput(f"folder {src!r} cannot be moved into itself ({dest!r})")
        now = self._clock()
        with self._store.transaction() as repos:
            moved = self._require(repos, scope, src)
            if dest == ROOT or repos.read_folder(
                workspace=scope.workspace, namespace=scope.namespace, path=dest
            ):
                raise Conflict(f"folder {dest!r} already exists; choose a new path")
            self._require(repos, scope, parent_path(dest), what="destination's parent folder")
            for folder in repos.read_folders(workspace=scope.workspace, namespace=scope.namespace):
                if within(folder.path, src):
                    folder.path = moved_path(folder.path, src, dest)
                    folder.modifier = actor.id
                    folder.modified_at = now
                    repos.update_folder(folder=folder)
                    if folder.id == moved.id:
                        moved = folder
        _log.info("folder %s moved to %s in %s/%s", src, dest, scope.workspace, scope.namespace)
        return moved

    def delete(
        self, scope: Scope, actor: Actor, path: str, *, holds: Callable[[Folder], int] | None = None
    ) -> Folder:
        """Refused while the folder has sub-folders or ``holds(folder)`` counts anything
        filed in it (e.g. deployments)."""
        wanted = normalize_folder_path(path)
        if wanted == ROOT:
            raise InvalidInput("the root folder '/' cannot be deleted")
        with self._store.transaction() as repos:
            folder = self._require(repos, scope, wanted)
            folders = repos.read_folders(workspace=scope.workspace, namespace=scope.namespace)
            if any(parent_path(f.path) == wanted and f.path != wanted for f in folders):
                raise Conflict(f"folder {wanted!r} has sub-folders; delete or move them first")
            held = holds(folder) if holds is not None else 0
            if held:
                raise Conflict(
                    f"folder {wanted!r} holds {held} job(s) or SQL file(s); delete or move "
                    "them first"
                )
            repos.delete_folder(folder_id=folder.id)
        _log.info("folder %s deleted by %s", wanted, actor.name)
        return folder

    @staticmethod
    def _require(
        repos: CatalogRepositories, scope: Scope, path: str, *, what: str = "folder"
    ) -> Folder:
        if path == ROOT:
            return _root(scope)
        found = repos.read_folder(workspace=scope.workspace, namespace=scope.namespace, path=path)
        if found is None:
            raise NotFound(f"{what} {path!r} does not exist", code=ErrorCode.NOT_FOUND)
        return found


def _root(scope: Scope) -> Folder:
    return Folder(workspace=scope.workspace, namespace=scope.namespace, path=ROOT, id=ROOT_ID)
