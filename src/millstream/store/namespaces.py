"""``SqlNamespaceStore``: the ``NamespaceStore`` port (``control.namespace_ports``) over
the ``namespaces`` table's profile columns (migration 0011) and, for a deletion, every
table that holds rows of a namespace.

The app factory builds ``SqlNamespaceStore(sql_store.engine)`` (the main store's pool);
the namespace service is its only caller. Deletion runs in one transaction, so a
namespace is never left half removed: its variables, members, folders, packages, project
tags, jobs (terminal: the service refused live ones) with their savepoints, events,
start tokens and hot updates go with it; queues that list it keep their other
namespaces. Audit entries stay (they are the installation's history) and so do the
external-key counters (a number is never reused, even by a namespace of the same name).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from millstream.domain.errors import Conflict, ErrorCode
from millstream.domain.jobs import TERMINAL
from millstream.domain.namespace_profiles import NamespaceProfile, NamespaceUse
from millstream.store.access import MemberRow
from millstream.store.errors import integrity_violation
from millstream.store.hot_updates import HotUpdateRow
from millstream.store.models import (
    ClusterRow,
    DeploymentRow,
    EventRow,
    FolderRow,
    JobRow,
    NamespaceRow,
    PackageRow,
    QueueRow,
    ResourceTagRow,
    SavepointRow,
    SqlCatalogRow,
    SqlFileRow,
    StartTokenRow,
    VariableRow,
)
from millstream.store.store import SessionStore

__all__ = ["SqlNamespaceRepositories", "SqlNamespaceStore"]

# The catalog's resource type of a namespace seen as a foas project (api/foas/tags.py).
_PROJECT_TAG_TYPE = "project"
_TERMINAL = [status.value for status in TERMINAL]


def _profile(row: NamespaceRow) -> NamespaceProfile:
    return NamespaceProfile(
        workspace=row.workspace,
        name=row.name,
        id=row.id,
        created_at=row.created_at,
        description=row.description or "",
        attributes={str(k): str(v) for k, v in (row.attributes or {}).items()},
        creator=row.creator,
        modifier=row.modifier,
        modified_at=row.modified_at,
    )


def _queue_names(row: QueueRow) -> list[str]:
    names: Any = (row.namespaces or {}).get("names") or []
    return [str(name) for name in names]


class SqlNamespaceRepositories:
    """The ``NamespaceRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _row(self, workspace: str, name: str) -> NamespaceRow | None:
        return self._session.scalars(
            select(NamespaceRow).where(
                NamespaceRow.workspace == workspace, NamespaceRow.name == name
            )
        ).first()

    def read_profile(self, *, workspace: str, name: str) -> NamespaceProfile | None:
        row = self._row(workspace, name)
        return _profile(row) if row is not None else None

    def create_profile(self, *, profile: NamespaceProfile) -> None:
        self._session.add(
            NamespaceRow(
                id=profile.id,
                workspace=profile.workspace,
                name=profile.name,
                created_at=profile.created_at,
                description=profile.description,
                attributes=dict(profile.attributes),
                creator=profile.creator,
                modifier=profile.modifier,
                modified_at=profile.modified_at,
            )
        )
        try:
            self._session.flush()
        except IntegrityError as error:
            if integrity_violation(error) != "unique":
                raise
            raise Conflict(
                f"namespace {profile.name!r} already exists in workspace {profile.workspace!r}",
                code=ErrorCode.CONFLICT,
            ) from None

    def update_profile(self, *, profile: NamespaceProfile) -> None:
        row = self._row(profile.workspace, profile.name)
        if row is None:
            return
        row.description = profile.description
        row.attributes = dict(profile.attributes)
        row.modifier = profile.modifier
        row.modified_at = profile.modified_at or datetime.now(UTC)

    def read_use(self, *, workspace: str, name: str) -> NamespaceUse:
        session = self._session
        deployments = session.scalar(
            select(func.count())
            .select_from(DeploymentRow)
            .where(DeploymentRow.workspace == workspace, DeploymentRow.namespace == name)
        )
        live_jobs = session.scalar(
            select(func.count())
            .select_from(JobRow)
            .where(
                JobRow.workspace == workspace,
                JobRow.namespace == name,
                JobRow.status.not_in(_TERMINAL),
            )
        )
        clusters = session.scalars(
            select(ClusterRow.name).where(
                ClusterRow.workspace == workspace, ClusterRow.namespace == name
            )
        ).all()
        sole = [
            row.name
            for row in session.scalars(select(QueueRow).where(QueueRow.workspace == workspace))
            if _queue_names(row) == [name]
        ]
        return NamespaceUse(
            deployments=deployments or 0,
            live_jobs=live_jobs or 0,
            clusters=tuple(sorted(clusters)),
            sole_queues=tuple(sorted(sole)),
        )

    def delete_namespace(self, *, workspace: str, name: str) -> None:
        session = self._session
        for table in (
            VariableRow,
            MemberRow,
            SqlFileRow,
            SqlCatalogRow,  # the namespace's persistent SQL catalog (vvp)
            FolderRow,
            PackageRow,
            SavepointRow,
            EventRow,
            StartTokenRow,
            HotUpdateRow,
            JobRow,  # terminal only here; their external keys cascade
        ):
            session.execute(
                delete(table).where(table.workspace == workspace, table.namespace == name)
            )
        session.execute(
            delete(ResourceTagRow).where(
                ResourceTagRow.workspace == workspace,
                ResourceTagRow.resource_type == _PROJECT_TAG_TYPE,
                ResourceTagRow.resource_id == name,
            )
        )
        for queue in session.scalars(select(QueueRow).where(QueueRow.workspace == workspace)):
            names = _queue_names(queue)
            if name in names and len(names) > 1:
                queue.namespaces = {"names": [n for n in names if n != name]}
                queue.version += 1
        session.execute(
            delete(NamespaceRow).where(
                NamespaceRow.workspace == workspace, NamespaceRow.name == name
            )
        )


class SqlNamespaceStore(SessionStore[SqlNamespaceRepositories]):
    """The ``NamespaceStore`` port; shares a given engine or owns one made from a URL."""

    def __init__(self, url_or_engine: str | Engine) -> None:
        super().__init__(url_or_engine, SqlNamespaceRepositories)
