"""``SqlCatalogStore``: the ``CatalogStore`` port over the ``folders``, ``packages`` and
``resource_tags`` tables (``models.FolderRow``, ``PackageRow``, ``ResourceTagRow``,
migration 0010).

The app factory builds ``SqlCatalogStore(sql_store.engine)`` so it shares the main
store's connection pool; the folder, package and tag services are its callers. A unique
violation (a path or a package name taken by a concurrent writer) becomes ``Conflict``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from millstream.domain.errors import Conflict
from millstream.domain.folders import Folder
from millstream.domain.packages import Package, PackageKind
from millstream.domain.tags import ResourceTag
from millstream.store.errors import integrity_violation
from millstream.store.models import FolderRow, PackageRow, ResourceTagRow
from millstream.store.store import SessionStore

__all__ = ["SqlCatalogRepositories", "SqlCatalogStore"]


def _now() -> datetime:
    return datetime.now(UTC)


def _folder(row: FolderRow) -> Folder:
    return Folder(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        path=row.path,
        creator=row.creator,
        modifier=row.modifier,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


def _package(row: PackageRow) -> Package:
    return Package(
        workspace=row.workspace,
        namespace=row.namespace,
        name=row.name,
        kind=PackageKind(row.kind),
        location=row.location,
        description=row.description,
        tag=row.tag,
        md5=row.md5,
        origin_name=row.origin_name,
        attributes={str(k): str(v) for k, v in row.attributes.items()},
        creator=row.creator,
        modifier=row.modifier,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


def _fill_package(row: PackageRow, package: Package) -> None:
    row.kind = package.kind.value
    row.location = package.location
    row.description = package.description
    row.tag = package.tag
    row.md5 = package.md5
    row.origin_name = package.origin_name
    row.attributes = dict(package.attributes)
    row.modifier = package.modifier
    row.modified_at = package.modified_at or _now()


class SqlCatalogRepositories:
    """The ``CatalogRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # ------------------------------------------------------------------ folders

    def read_folder(self, *, workspace: str, namespace: str, path: str) -> Folder | None:
        row = self._session.scalar(
            select(FolderRow).where(
                FolderRow.workspace == workspace,
                FolderRow.namespace == namespace,
                FolderRow.path == path,
            )
        )
        return _folder(row) if row is not None else None

    def read_folder_by_id(self, *, workspace: str, namespace: str, folder_id: int) -> Folder | None:
        row = self._session.get(FolderRow, folder_id)
        if row is None or row.workspace != workspace or row.namespace != namespace:
            return None
        return _folder(row)

    def read_folders(self, *, workspace: str, namespace: str) -> list[Folder]:
        rows = self._session.scalars(
            select(FolderRow)
            .where(FolderRow.workspace == workspace, FolderRow.namespace == namespace)
            .order_by(FolderRow.path)
        )
        return [_folder(row) for row in rows]

    def create_folder(self, *, folder: Folder) -> Folder:
        now = _now()
        row = FolderRow(
            workspace=folder.workspace,
            namespace=folder.namespace,
            path=folder.path,
            creator=folder.creator,
            modifier=folder.modifier,
            created_at=folder.created_at or now,
            modified_at=folder.modified_at or now,
        )
        self._session.add(row)
        try:
            with self._session.begin_nested():
                self._session.flush()
        except IntegrityError as error:
            if integrity_violation(error) == "unique":
                raise Conflict(f"folder {folder.path!r} already exists") from None
            raise
        return _folder(row)

    def update_folder(self, *, folder: Folder) -> None:
        row = self._session.get(FolderRow, folder.id)
        if row is None:
            return
        row.path = folder.path
        row.modifier = folder.modifier
        row.modified_at = folder.modified_at or _now()
        try:
            with self._session.begin_nested():
                self._session.flush()
        except IntegrityError as error:
            if integrity_violation(error) == "unique":
                raise Conflict(f"folder {folder.path!r} already exists") from None
            raise

    def delete_folder(self, *, folder_id: int) -> None:
        self._session.execute(delete(FolderRow).where(FolderRow.id == folder_id))

    # ------------------------------------------------------------------ packages

    def read_package(self, *, workspace: str, namespace: str, name: str) -> Package | None:
        row = self._session.get(PackageRow, (workspace, namespace, name))
        return _package(row) if row is not None else None

    def read_packages(self, *, workspace: str, namespace: str) -> list[Package]:
        rows = self._session.scalars(
            select(PackageRow)
            .where(PackageRow.workspace == workspace, PackageRow.namespace == namespace)
            .order_by(PackageRow.name)
        )
        return [_package(row) for row in rows]

    def create_package(self, *, package: Package) -> None:
        row = PackageRow(
            workspace=package.workspace,
            namespace=package.namespace,
            name=package.name,
            creator=package.creator,
            created_at=package.created_at or _now(),
        )
        _fill_package(row, package)
        self._session.add(row)
        try:
            with self._session.begin_nested():
                self._session.flush()
        except IntegrityError as error:
            if integrity_violation(error) == "unique":
                raise Conflict(f"package {package.name!r} already exists") from None
            raise

    def update_package(self, *, package: Package) -> None:
        row = self._session.get(PackageRow, (package.workspace, package.namespace, package.name))
        if row is not None:
            _fill_package(row, package)

    def delete_package(self, *, workspace: str, namespace: str, name: str) -> None:
        self._session.execute(
            delete(PackageRow).where(
                PackageRow.workspace == workspace,
                PackageRow.namespace == namespace,
                PackageRow.name == name,
            )
        )

    # ------------------------------------------------------------------ tags

    def read_tags(
        self, *, workspace: str, resource_type: str, resource_ids: Collection[str] | None
    ) -> list[ResourceTag]:
        query = select(ResourceTagRow).where(
            ResourceTagRow.workspace == workspace, ResourceTagRow.resource_type == resource_type
        )
        if resource_ids is not None:
            if not resource_ids:
                return []
            query = query.where(ResourceTagRow.resource_id.in_(list(resource_ids)))
        rows = self._session.scalars(query.order_by(ResourceTagRow.resource_id, ResourceTagRow.key))
        return [
            ResourceTag(
                workspace=row.workspace,
                resource_type=row.resource_type,
                resource_id=row.resource_id,
                key=row.key,
                value=row.value,
            )
            for row in rows
        ]

    def put_tag(self, *, tag: ResourceTag) -> None:
        key = (tag.workspace, tag.resource_type, tag.resource_id, tag.key)
        row = self._session.get(ResourceTagRow, key)
        if row is not None:
            row.value = tag.value
            return
        self._session.add(
            ResourceTagRow(
                workspace=tag.workspace,
                resource_type=tag.resource_type,
                resource_id=tag.resource_id,
                key=tag.key,
                value=tag.value,
                created_at=_now(),
            )
        )
        self._session.flush()

    def delete_tags(
        self,
        *,
        workspace: str,
        resource_type: str,
        resource_id: str,
        keys: Collection[str] | None,
    ) -> int:
        query = delete(ResourceTagRow).where(
            ResourceTagRow.workspace == workspace,
            ResourceTagRow.resource_type == resource_type,
            ResourceTagRow.resource_id == resource_id,
        )
        if keys is not None:
            query = query.where(ResourceTagRow.key.in_(list(keys)))
        result = self._session.execute(query)
        return int(getattr(result, "rowcount", 0) or 0)


class SqlCatalogStore(SessionStore[SqlCatalogRepositories]):
    """The ``CatalogStore`` port; shares ``engine`` (the main store's pool) or owns one."""

    def __init__(self, url_or_engine: str | Engine) -> None:
        super().__init__(url_or_engine, SqlCatalogRepositories)
