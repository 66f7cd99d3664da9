"""Ports of the catalog use cases: a namespace's folders, registered packages and
resource tags (``CatalogStore``).

``store.catalog.SqlCatalogStore`` implements it; ``control.services.folders``,
``control.services.packages`` and ``control.services.tags`` are its callers. Separate
from ``ports.py`` so the catalog can be wired (and faked) on its own.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from typing import Protocol

from millstream.domain.folders import Folder
from millstream.domain.packages import Package
from millstream.domain.tags import ResourceTag

__all__ = ["CatalogRepositories", "CatalogStore"]


class CatalogRepositories(Protocol):
    # ------------------------------------------------------------------ folders
    def read_folder(self, *, workspace: str, namespace: str, path: str) -> Folder | None: ...
    def read_folder_by_id(
        self, *, workspace: str, namespace: str, folder_id: int
    ) -> Folder | None: ...
    def read_folders(self, *, workspace: str, namespace: str) -> list[Folder]: ...
    def create_folder(self, *, folder: Folder) -> Folder:
        """Insert and return it with its new id; ``Conflict`` if the path exists."""
        ...

    def update_folder(self, *, folder: Folder) -> None: ...
    def delete_folder(self, *, folder_id: int) -> None: ...

    # ------------------------------------------------------------------ packages
    def read_package(self, *, workspace: str, namespace: str, name: str) -> Package | None: ...
    def read_packages(self, *, workspace: str, namespace: str) -> list[Package]: ...
    def create_package(self, *, package: Package) -> None:
        """``Conflict`` if the namespace has a package of that name."""
        ...

    def update_package(self, *, package: Package) -> None: ...
    def delete_package(self, *, workspace: str, namespace: str, name: str) -> None: ...

    # ------------------------------------------------------------------ tags
    def read_tags(
        self, *, workspace: str, resource_type: str, resource_ids: Collection[str] | None
    ) -> list[ResourceTag]:
        """Tags of those resources (``None``: of every resource of the type)."""
        ...

    def put_tag(self, *, tag: ResourceTag) -> None:
        """Set the tag's value (insert or replace)."""
        ...

    def delete_tags(
        self,
        *,
        workspace: str,
        resource_type: str,
        resource_id: str,
        keys: Collection[str] | None,
    ) -> int:
        """Remove those keys (``None``: all); how many were removed."""
        ...


class CatalogStore(Protocol):
    def transaction(self) -> AbstractContextManager[CatalogRepositories]:
        """One unit of work: commit on success, roll back on any exception."""
        ...
