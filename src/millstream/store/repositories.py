"""``SqlRepositories``: the ``Repositories`` port on one SQLAlchemy session.

``SqlStore.transaction()`` creates one per unit of work; control/ services and the
reconciler call it through the port. Writes run immediately (so constraint violations
surface at the call that caused them, as ``Conflict`` or ``NotFound``); after one of
those the transaction can only be rolled back. Deployments and jobs are versioned: an
update matches on ``version`` and fails with ``StaleVersion`` if someone else wrote first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Row,
    Select,
    Update,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from millstream.control.ports import Page, StartToken
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.clusters import Cluster
from millstream.domain.deployments import Deployment
from millstream.domain.errors import Conflict, JobAlreadyLive, NotFound, StaleVersion
from millstream.domain.events import Event
from millstream.domain.jobs import TERMINAL, Job, JobStatus
from millstream.domain.namespaces import Namespace
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState
from millstream.store import mappers
from millstream.store.errors import integrity_violation, violated_constraint
from millstream.store.job_heads import SqlJobHeadRepositories
from millstream.store.models import (
    LIVE_JOB_GUARD,
    Base,
    ClusterRow,
    DeploymentRow,
    EventRow,
    JobRow,
    NamespaceRow,
    SavepointRow,
    StartTokenRow,
)
from millstream.store.queues import SqlQueueRepositories

__all__ = ["SqlRepositories"]

_Row = TypeVar("_Row", bound=Base)
_EntityModel = type[DeploymentRow] | type[JobRow] | type[SavepointRow] | type[ClusterRow]

_IMMUTABLE = frozenset({"id", "created_at"})
_TERMINAL_STATUSES = sorted(status.value for status in TERMINAL)
_SAVEPOINT_ORIGINS = (
    SavepointOrigin.USER_REQUEST.value,
    SavepointOrigin.STOP_WITH_SAVEPOINT.value,
    SavepointOrigin.SCHEDULE.value,
)


# The reads every API request makes, prepared once and run as Core statements: no ORM
# loading, no statement building per call (a third of a GetJob's CPU before).
_JOBS = JobRow.__table__.c
_NAMESPACE = select(NamespaceRow.__table__).where(
    NamespaceRow.workspace == bindparam("workspace"), NamespaceRow.name == bindparam("name")
)
_DEPLOYMENT = select(DeploymentRow.__table__).where(
    DeploymentRow.id == bindparam("deployment_id"),
    DeploymentRow.workspace == bindparam("workspace"),
    DeploymentRow.namespace == bindparam("namespace"),
)
_DEPLOYMENT_BY_NAME = select(DeploymentRow.__table__).where(
    DeploymentRow.workspace == bindparam("workspace"),
    DeploymentRow.namespace == bindparam("namespace"),
    DeploymentRow.name == bindparam("name"),
)
_CLUSTER_BY_NAME = select(ClusterRow.__table__).where(
    ClusterRow.workspace == bindparam("workspace"), ClusterRow.name == bindparam("name")
)
_DEPLOYMENT_EXISTS = select(DeploymentRow.id).where(
    DeploymentRow.id == bindparam("deployment_id"),
    DeploymentRow.workspace == bindparam("workspace"),
    DeploymentRow.namespace == bindparam("namespace"),
)
# The deployment's version and its jobs per status (a deployment without jobs: one row
# with a NULL status), in one statement: what a reader keeping renderings needs.
_DEPLOYMENT_STAMP = (
    select(DeploymentRow.version, JobRow.status, func.count(JobRow.id))
    .select_from(DeploymentRow)
    .outerjoin(JobRow, JobRow.deployment_id == DeploymentRow.id)
    .where(
        DeploymentRow.id == bindparam("deployment_id"),
        DeploymentRow.workspace == bindparam("workspace"),
        DeploymentRow.namespace == bindparam("namespace"),
    )
    .group_by(DeploymentRow.version, JobRow.status)
)
_JOB = select(JobRow.__table__).where(JobRow.id == bindparam("job_id"))
_JOB_VERSION = select(JobRow.version).where(
    JobRow.id == bindparam("job_id"),
    JobRow.workspace == bindparam("workspace"),
    JobRow.namespace == bindparam("namespace"),
)
_DEPLOYMENT_JOBS = (
    JobRow.deployment_id == bindparam("deployment_id"),
    JobRow.workspace == bindparam("workspace"),
    JobRow.namespace == bindparam("namespace"),
)
_DEPLOYMENT_JOB_COUNT = select(func.count()).select_from(JobRow).where(*_DEPLOYMENT_JOBS)
_JOB_COUNTS = (
    select(JobRow.deployment_id, JobRow.status, func.count())
    .where(JobRow.deployment_id.in_(bindparam("deployment_ids", expanding=True)))
    .group_by(JobRow.deployment_id, JobRow.status)
)
_DEPLOYMENT_JOB_ORDER = {
    True: (_JOBS.created_at.desc(), _JOBS.id.desc()),
    False: (_JOBS.created_at.asc(), _JOBS.id.asc()),
}
_DEPLOYMENT_JOB_PAGES = {
    newest_first: select(JobRow.__table__)
    .where(*_DEPLOYMENT_JOBS)
    .order_by(*order)
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
    for newest_first, order in _DEPLOYMENT_JOB_ORDER.items()
}
# The page's keys and, on each row, the count of all the deployment's jobs (a window
# is computed before LIMIT): a page and its total in one statement.
_DEPLOYMENT_JOB_KEY_PAGES = {
    newest_first: select(_JOBS.id, _JOBS.version, func.count().over())
    .where(*_DEPLOYMENT_JOBS)
    .order_by(*order)
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
    for newest_first, order in _DEPLOYMENT_JOB_ORDER.items()
}


def _now() -> datetime:
    return datetime.now(UTC)


class SqlRepositories(SqlQueueRepositories, SqlJobHeadRepositories):
    """Reads and writes inside one session; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # ----------------------------------------------------------------------- namespaces

    def read_namespace(self, *, workspace: str, name: str) -> Namespace | None:
        row = self._prepared_first(_NAMESPACE, workspace=workspace, name=name)
        return mappers.namespace_from_row(row) if row else None

    def read_namespaces(self, *, workspace: str | None = None) -> list[Namespace]:
        query = select(NamespaceRow).order_by(NamespaceRow.workspace, NamespaceRow.name)
        if workspace is not None:
            query = query.where(NamespaceRow.workspace == workspace)
        return [mappers.namespace_from_row(row) for row in self._all(query)]

    def create_namespace(self, *, namespace: Namespace) -> None:
        self._insert(
            NamespaceRow,
            mappers.namespace_columns(namespace),
            duplicate=f"namespace {namespace.name!r} already exists in workspace "
            f"{namespace.workspace!r}",
        )

    # ----------------------------------------------------------------------- deployments

    def read_deployment(
        self, *, workspace: str, namespace: str, deployment_id: str
    ) -> Deployment | None:
        row = self._prepared_first(
            _DEPLOYMENT, deployment_id=deployment_id, workspace=workspace, namespace=namespace
        )
        return mappers.deployment_from_row(row) if row else None

    def has_deployment(self, *, workspace: str, namespace: str, deployment_id: str) -> bool:
        scope = {"deployment_id": deployment_id, "workspace": workspace, "namespace": namespace}
        return self._session.connection().scalar(_DEPLOYMENT_EXISTS, scope) is not None

    def read_deployment_stamp(
        self, *, workspace: str, namespace: str, deployment_id: str
    ) -> tuple[int, dict[JobStatus, int]] | None:
        scope = {"deployment_id": deployment_id, "workspace": workspace, "namespace": namespace}
        rows = self._session.connection().execute(_DEPLOYMENT_STAMP, scope).all()
        if not rows:
            return None
        counts = {JobStatus(status): count for _, status, count in rows if status is not None}
        return rows[0][0], counts

    def read_deployment_by_name(
        self, *, workspace: str, namespace: str, name: str
    ) -> Deployment | None:
        row = self._prepared_first(
            _DEPLOYMENT_BY_NAME, workspace=workspace, namespace=namespace, name=name
        )
        return mappers.deployment_from_row(row) if row else None

    def read_deployments(
        self,
        *,
        workspace: str,
        namespace: str,
        page: Page,
        name: str | None = None,
        labels: dict[str, str] | None = None,
        execution_mode: ExecutionMode | None = None,
    ) -> tuple[list[Deployment], int]:
        """Newest first; ``name`` matches exactly, every given label must match."""
        where: list[ColumnElement[bool]] = [
            DeploymentRow.workspace == workspace,
            DeploymentRow.namespace == namespace,
        ]
        if name is not None:
            where.append(DeploymentRow.name == name)
        if execution_mode is not None:
            where.append(DeploymentRow.execution_mode == execution_mode.value)
        for key, value in (labels or {}).items():
            where.append(DeploymentRow.labels[key].as_string() == value)
        rows, total = self._page(
            DeploymentRow,
            where,
            page,
            order_by=(DeploymentRow.created_at.desc(), DeploymentRow.id.desc()),
        )
        return [mappers.deployment_from_row(row) for row in rows], total

    def create_deployment(self, *, deployment: Deployment) -> None:
        _stamp_created(deployment)
        self._insert(
            DeploymentRow,
            mappers.deployment_columns(deployment),
            duplicate=_duplicate_deployment(deployment),
        )

    def update_deployment(self, *, deployment: Deployment) -> None:
        """Persist; the stored version must equal ``deployment.version``, which is then
        incremented on the object (as is ``modified_at``)."""
        self._update_versioned(
            DeploymentRow,
            deployment,
            mappers.deployment_columns,
            what=f"deployment {deployment.name!r} ({deployment.id})",
            duplicate=_duplicate_deployment(deployment),
        )

    def delete_deployment(self, *, deployment_id: str) -> None:
        """Deletes its jobs and savepoints too (foreign keys cascade); events stay."""
        self._delete(DeploymentRow, deployment_id)

    # ----------------------------------------------------------------------- jobs

    def read_job(self, *, job_id: str) -> Job | None:
        row = self._prepared_first(_JOB, job_id=job_id)
        return mappers.job_from_row(row) if row else None

    def read_job_version(self, *, workspace: str, namespace: str, job_id: str) -> int | None:
        return self._session.connection().scalar(
            _JOB_VERSION, {"job_id": job_id, "workspace": workspace, "namespace": namespace}
        )

    def read_jobs(
        self,
        *,
        workspace: str,
        namespace: str,
        deployment_id: str,
        page: Page,
        newest_first: bool = True,
    ) -> tuple[list[Job], int]:
        scope = {"deployment_id": deployment_id, "workspace": workspace, "namespace": namespace}
        rows, total = self._job_page(_DEPLOYMENT_JOB_PAGES[newest_first], scope, page)
        return [mappers.job_from_row(row) for row in rows], total

    def read_job_keys(
        self,
        *,
        workspace: str,
        namespace: str,
        deployment_id: str,
        page: Page,
        newest_first: bool = True,
    ) -> tuple[list[tuple[str, int]], int]:
        scope = {"deployment_id": deployment_id, "workspace": workspace, "namespace": namespace}
        connection = self._session.connection()
        statement = _DEPLOYMENT_JOB_KEY_PAGES[newest_first]
        rows = connection.execute(
            statement, scope | {"offset": page.offset, "limit": page.limit}
        ).all()
        if rows:
            return [(job_id, version) for job_id, version, _ in rows], rows[0][2]
        # No row to carry the total: none at all, or a page past the end.
        total = connection.scalar(_DEPLOYMENT_JOB_COUNT, scope) if page.offset else 0
        return [], total or 0

    def _job_page(
        self, statement: Select[Any], scope: dict[str, str], page: Page
    ) -> tuple[Sequence[Any], int]:
        """A page of a deployment's jobs (``statement``'s columns) and their total."""
        connection = self._session.connection()
        total = connection.scalar(_DEPLOYMENT_JOB_COUNT, scope) or 0
        rows = connection.execute(statement, scope | {"offset": page.offset, "limit": page.limit})
        return rows.all(), total

    def read_active_jobs(self, *, deployment_id: str | None = None) -> list[Job]:
        """Jobs whose status is not terminal, oldest first."""
        query = (
            select(JobRow)
            .where(JobRow.status.not_in(_TERMINAL_STATUSES))
            .order_by(JobRow.created_at, JobRow.id)
        )
        if deployment_id is not None:
            query = query.where(JobRow.deployment_id == deployment_id)
        return [mappers.job_from_row(row) for row in self._all(query)]

    def count_jobs_by_status(
        self, *, deployment_ids: Collection[str]
    ) -> dict[str, dict[JobStatus, int]]:
        """Jobs per status of each deployment: one ``GROUP BY`` over the jobs table."""
        counts: dict[str, dict[JobStatus, int]] = {}
        if not deployment_ids:
            return counts
        rows = self._session.connection().execute(
            _JOB_COUNTS, {"deployment_ids": list(deployment_ids)}
        )
        for deployment_id, status, count in rows:
            counts.setdefault(deployment_id, {})[JobStatus(status)] = count
        return counts

    def create_job(self, *, job: Job) -> None:
        """``JobAlreadyLive`` if the deployment has a job that is not terminal."""
        _stamp_created(job)
        self._insert(
            JobRow,
            mappers.job_columns(job),
            duplicate=f"job {job.id} already exists",
            missing=f"deployment {job.deployment_id} of job {job.id} does not exist",
            live=_live_job(job),
        )

    def update_job(self, *, job: Job) -> None:
        """Optimistic: stored version must equal ``job.version``; then incremented."""
        self._update_versioned(
            JobRow,
            job,
            mappers.job_columns,
            what=f"job {job.id}",
            duplicate=f"job {job.id} already exists",
            live=_live_job(job),
        )

    def delete_job(self, *, job_id: str) -> None:
        """Its savepoints stay, detached from the job (``job_id`` becomes None)."""
        self._delete(JobRow, job_id)

    # ----------------------------------------------------------------------- savepoints

    def read_savepoint(self, *, savepoint_id: str) -> Savepoint | None:
        row = self._first(select(SavepointRow).where(SavepointRow.id == savepoint_id))
        return mappers.savepoint_from_row(row) if row else None

    def read_savepoints(
        self,
        *,
        workspace: str,
        namespace: str,
        page: Page,
        deployment_id: str | None = None,
        job_id: str | None = None,
    ) -> tuple[list[Savepoint], int]:
        """Newest first."""
        where: list[ColumnElement[bool]] = [
            SavepointRow.workspace == workspace,
            SavepointRow.namespace == namespace,
        ]
        if deployment_id is not None:
            where.append(SavepointRow.deployment_id == deployment_id)
        if job_id is not None:
            where.append(SavepointRow.job_id == job_id)
        rows, total = self._page(
            SavepointRow,
            where,
            page,
            order_by=(SavepointRow.created_at.desc(), SavepointRow.id.desc()),
        )
        return [mappers.savepoint_from_row(row) for row in rows], total

    def read_latest_savepoint(
        self, *, deployment_id: str, include_checkpoints: bool
    ) -> Savepoint | None:
        """Newest COMPLETED savepoint of a deployment (optionally retained checkpoints too)."""
        origins = list(_SAVEPOINT_ORIGINS)
        if include_checkpoints:
            origins.append(SavepointOrigin.RETAINED_CHECKPOINT.value)
        row = self._first(
            select(SavepointRow)
            .where(
                SavepointRow.deployment_id == deployment_id,
                SavepointRow.state == SavepointState.COMPLETED.value,
                SavepointRow.origin.in_(origins),
            )
            .order_by(SavepointRow.created_at.desc(), SavepointRow.id.desc())
            .limit(1)
        )
        return mappers.savepoint_from_row(row) if row else None

    def read_pending_savepoints(self) -> list[Savepoint]:
        """Savepoints in state STARTED (triggered, not yet confirmed), oldest first."""
        query = (
            select(SavepointRow)
            .where(SavepointRow.state == SavepointState.STARTED.value)
            .order_by(SavepointRow.created_at, SavepointRow.id)
        )
        return [mappers.savepoint_from_row(row) for row in self._all(query)]

    def create_savepoint(self, *, savepoint: Savepoint) -> None:
        _stamp_created(savepoint)
        self._insert(
            SavepointRow,
            mappers.savepoint_columns(savepoint),
            duplicate=f"savepoint {savepoint.id} already exists",
            missing=f"deployment {savepoint.deployment_id} or job {savepoint.job_id} "
            f"of savepoint {savepoint.id} does not exist",
        )

    def update_savepoint(self, *, savepoint: Savepoint) -> None:
        """Last writer wins; sets ``modified_at`` on the object."""
        savepoint.modified_at = _now()
        self._update(
            SavepointRow,
            savepoint.id,
            mappers.savepoint_columns(savepoint),
            what=f"savepoint {savepoint.id}",
        )

    def delete_savepoint(self, *, savepoint_id: str) -> None:
        self._delete(SavepointRow, savepoint_id)

    # ----------------------------------------------------------------------- events

    def create_event(self, *, event: Event) -> None:
        self._insert(
            EventRow, mappers.event_columns(event), duplicate=f"event {event.id} already exists"
        )

    def read_events(
        self,
        *,
        workspace: str,
        namespace: str,
        page: Page,
        deployment_id: str | None = None,
        job_id: str | None = None,
    ) -> tuple[list[Event], int]:
        """Newest first; events written in the same instant keep their write order."""
        where: list[ColumnElement[bool]] = [
            EventRow.workspace == workspace,
            EventRow.namespace == namespace,
        ]
        if deployment_id is not None:
            where.append(EventRow.deployment_id == deployment_id)
        if job_id is not None:
            where.append(EventRow.job_id == job_id)
        rows, total = self._page(
            EventRow, where, page, order_by=(EventRow.created_at.desc(), EventRow.seq.desc())
        )
        return [mappers.event_from_row(row) for row in rows], total

    # ----------------------------------------------------------------------- clusters

    def read_cluster(self, *, workspace: str, name: str) -> Cluster | None:
        row = self._prepared_first(_CLUSTER_BY_NAME, workspace=workspace, name=name)
        return mappers.cluster_from_row(row) if row else None

    def read_clusters(self, *, workspace: str | None = None) -> list[Cluster]:
        query = select(ClusterRow).order_by(ClusterRow.workspace, ClusterRow.name)
        if workspace is not None:
            query = query.where(ClusterRow.workspace == workspace)
        return [mappers.cluster_from_row(row) for row in self._all(query)]

    def create_cluster(self, *, cluster: Cluster) -> None:
        _stamp_created(cluster)
        self._insert(
            ClusterRow, mappers.cluster_columns(cluster), duplicate=_duplicate_cluster(cluster)
        )

    def update_cluster(self, *, cluster: Cluster) -> None:
        """Optimistic: the stored version must equal ``cluster.version`` (else
        ``StaleVersion``), which is then incremented; sets ``modified_at`` on the object."""
        modified_at = _now()
        columns = mappers.cluster_columns(cluster) | {
            "modified_at": modified_at,
            "version": cluster.version + 1,
        }
        columns = {k: v for k, v in columns.items() if k not in _IMMUTABLE}
        what = f"cluster {cluster.name!r} ({cluster.id})"
        try:
            result = self._execute_update(
                update(ClusterRow).where(
                    ClusterRow.id == cluster.id, ClusterRow.version == cluster.version
                ),
                columns,
            )
        except IntegrityError as error:
            translated = _translate_integrity(error, duplicate=_duplicate_cluster(cluster))
            if translated is None:
                raise
            raise translated from error
        if result.rowcount == 0:
            exists = self._first(select(ClusterRow).where(ClusterRow.id == cluster.id))
            if exists is None:
                raise NotFound(f"{what} does not exist")
            raise StaleVersion(
                f"{what} was changed by someone else (version {exists.version}, "
                f"yours {cluster.version}); read it again and retry"
            )
        cluster.version += 1
        cluster.modified_at = modified_at

    def delete_cluster(self, *, cluster_id: str) -> None:
        self._delete(ClusterRow, cluster_id)

    # ----------------------------------------------------------------------- start tokens

    def read_start_token(self, *, workspace: str, namespace: str, token: str) -> StartToken | None:
        row = self._session.get(StartTokenRow, (workspace, namespace, token))
        if row is None:
            return None
        return StartToken(
            workspace=row.workspace,
            namespace=row.namespace,
            token=row.token,
            deployment_id=row.deployment_id,
            job_id=row.job_id,
            created_at=row.created_at,
        )

    def create_start_token(self, *, start_token: StartToken) -> None:
        """``Conflict`` when the token is already recorded in its namespace (a
        concurrent start with the same token committed first)."""
        self._insert(
            StartTokenRow,
            {
                "workspace": start_token.workspace,
                "namespace": start_token.namespace,
                "token": start_token.token,
                "deployment_id": start_token.deployment_id,
                "job_id": start_token.job_id,
                "created_at": start_token.created_at,
            },
            duplicate=f"client token {start_token.token!r} was already used",
            missing=f"job {start_token.job_id} of client token {start_token.token!r} "
            "does not exist",
        )

    def delete_start_tokens(self, *, created_before: datetime) -> int:
        result = self._session.execute(
            delete(StartTokenRow)
            .where(StartTokenRow.created_at < created_before)
            .execution_options(synchronize_session=False)
        )
        return int(cast("CursorResult[Any]", result).rowcount)

    # ----------------------------------------------------------------------- helpers

    def _first(self, query: Select[_Row]) -> _Row | None:
        # populate_existing: a row updated by an UPDATE statement in this session must
        # not come back from the identity map with its old values.
        return self._session.scalars(query.execution_options(populate_existing=True)).first()

    def _prepared_first(self, statement: Select[Any], **params: Any) -> Row[Any] | None:
        """The first row of a prepared Core ``statement`` (module level, bound
        parameters): columns by name, no ORM loading, always read from the database."""
        return self._session.connection().execute(statement, params).first()

    def _all(self, query: Select[_Row]) -> Sequence[_Row]:
        return self._session.scalars(query.execution_options(populate_existing=True)).all()

    def _page(
        self,
        model: type[_Row],
        where: list[ColumnElement[bool]],
        page: Page,
        *,
        order_by: tuple[ColumnElement[Any], ...],
    ) -> tuple[Sequence[_Row], int]:
        total = self._session.scalar(select(func.count()).select_from(model).where(*where))
        rows = self._all(
            select(model).where(*where).order_by(*order_by).offset(page.offset).limit(page.limit)
        )
        return rows, total or 0

    def _insert(
        self,
        model: type[Base],
        columns: dict[str, Any],
        *,
        duplicate: str,
        missing: str | None = None,
        live: str | None = None,
    ) -> None:
        try:
            # Core, not the ORM's bulk insert, and the values as parameters of one
            # statement per table (a statement holding them is keyed by all of them).
            self._session.connection().execute(insert(model), columns)
        except IntegrityError as error:
            translated = _translate_integrity(
                error, duplicate=duplicate, missing=missing, live=live
            )
            if translated is None:
                raise
            raise translated from error

    def _update(
        self,
        model: _EntityModel,
        row_id: str,
        columns: dict[str, Any],
        *,
        what: str,
        duplicate: str | None = None,
    ) -> None:
        columns = {k: v for k, v in columns.items() if k not in _IMMUTABLE}
        try:
            result = self._execute_update(update(model).where(model.id == row_id), columns)
        except IntegrityError as error:
            translated = _translate_integrity(error, duplicate=duplicate)
            if translated is None:
                raise
            raise translated from error
        if result.rowcount == 0:
            raise NotFound(f"{what} does not exist")

    def _update_versioned(
        self,
        model: type[DeploymentRow] | type[JobRow],
        entity: Deployment | Job,
        to_columns: Callable[[Any], dict[str, Any]],
        *,
        what: str,
        duplicate: str,
        live: str | None = None,
    ) -> None:
        expected = entity.version
        modified_at = _now()
        columns = {k: v for k, v in to_columns(entity).items() if k not in _IMMUTABLE}
        columns.update(version=expected + 1, modified_at=modified_at)
        try:
            result = self._execute_update(
                update(model).where(model.id == entity.id, model.version == expected), columns
            )
        except IntegrityError as error:
            translated = _translate_integrity(error, duplicate=duplicate, live=live)
            if translated is None:
                raise
            raise translated from error
        if result.rowcount == 0:
            current = self._session.scalar(select(model.version).where(model.id == entity.id))
            if current is None:
                raise NotFound(f"{what} does not exist")
            raise StaleVersion(
                f"{what} was changed concurrently: you sent version {expected}, the stored "
                f"version is {current}; read it again and reapply your change"
            )
        entity.version = expected + 1
        entity.modified_at = modified_at

    def _execute_update(self, statement: Update, columns: dict[str, Any]) -> CursorResult[Any]:
        # Core, not the ORM's bulk update (nothing is loaded in the session to sync).
        return self._session.connection().execute(statement.values(**columns))

    def _delete(self, model: _EntityModel, row_id: str) -> None:
        """Deleting a row that does not exist is not an error."""
        self._session.execute(
            delete(model).where(model.id == row_id).execution_options(synchronize_session=False)
        )


def _stamp_created(entity: Deployment | Job | Savepoint | Cluster) -> None:
    if entity.created_at is None:
        entity.created_at = _now()
    if entity.modified_at is None:
        entity.modified_at = entity.created_at


def _duplicate_deployment(deployment: Deployment) -> str:
    return (
        f"a deployment named {deployment.name!r} already exists in namespace "
        f"{deployment.namespace!r}; choose another name"
    )


def _live_job(job: Job) -> str:
    return (
        f"deployment {job.deployment_name!r} already has a job that is not finished; "
        "stop it before starting another"
    )


def _duplicate_cluster(cluster: Cluster) -> str:
    return (
        f"a cluster named {cluster.name!r} already exists in workspace "
        f"{cluster.workspace!r}; choose another name"
    )


def _translate_integrity(
    error: IntegrityError,
    *,
    duplicate: str | None,
    missing: str | None = None,
    live: str | None = None,
) -> Conflict | NotFound | None:
    kind = integrity_violation(error)
    if (
        live is not None
        and kind == "unique"
        and violated_constraint(error) in (LIVE_JOB_GUARD, "jobs.deployment_id")
    ):
        return JobAlreadyLive(live)
    if kind == "unique" and duplicate is not None:
        return Conflict(duplicate)
    if kind == "foreign_key" and missing is not None:
        return NotFound(missing)
    return None
