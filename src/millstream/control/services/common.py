"""Small helpers the services share: scope checks, cluster resolution, event recording."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import NoReturn, TypeVar

from millstream.control.context import Scope
from millstream.control.ports import Repositories
from millstream.domain.clusters import Cluster
from millstream.domain.deployments import Deployment
from millstream.domain.errors import ErrorCode, InvalidInput, NotFound, StaleVersion
from millstream.domain.events import Event, EventName
from millstream.domain.jobs import Job
from millstream.domain.namespaces import Namespace

_events = logging.getLogger("millstream.events")

__all__ = [
    "DEFAULT_CLUSTER",
    "missing_in_namespace",
    "planning_cluster",
    "record_event",
    "require_namespace",
    "resolve_cluster",
    "retry_on_stale",
]

DEFAULT_CLUSTER = "default"


def require_namespace(repos: Repositories, scope: Scope) -> Namespace:
    found = repos.read_namespace(workspace=scope.workspace, name=scope.namespace)
    if found is None:
        raise NotFound(
            f"namespace {scope.namespace!r} not found in workspace {scope.workspace!r}",
            code=ErrorCode.NAMESPACE_NOT_FOUND,
        )
    return found


def missing_in_namespace(
    repos: Repositories, scope: Scope, what: str, entity_id: str, code: ErrorCode
) -> NoReturn:
    """Raise the NotFound of an entity not found in ``scope``: the namespace's own when
    the namespace is missing. Called only then: a namespace holding deployments or jobs
    cannot be deleted, so a read that finds its entity needs no namespace query."""
    require_namespace(repos, scope)
    raise NotFound(f"{what} {entity_id!r} not found in namespace {scope.namespace!r}", code=code)


def resolve_cluster(repos: Repositories, scope: Scope, name: str | None) -> Cluster:
    cluster = repos.read_cluster(workspace=scope.workspace, name=name or DEFAULT_CLUSTER)
    if cluster is None or (cluster.namespace not in (None, scope.namespace)):
        if name is None:
            raise NotFound("no default cluster is registered", code=ErrorCode.CLUSTER_NOT_FOUND)
        raise InvalidInput(
            f"unknown session cluster {name!r} in namespace {scope.namespace!r}",
            code=ErrorCode.CLUSTER_NOT_FOUND,
        )
    return cluster


def planning_cluster(repos: Repositories, scope: Scope, cluster: Cluster) -> Cluster:
    """Where to plan (validate) SQL: the deployment's cluster when it is up, else the
    default cluster (a stopped session cluster must not make a script unvalidatable)."""
    return cluster if cluster.ready else resolve_cluster(repos, scope, None)


_T = TypeVar("_T")


def retry_on_stale(use_case: Callable[[], _T], attempts: int = 5) -> _T:
    """Run a use case again when a concurrent writer (the reconciler) changed the row
    between its read and its write; the last StaleVersion propagates as a 409."""
    for _ in range(attempts - 1):
        try:
            return use_case()
        except StaleVersion:
            continue
    return use_case()


def record_event(
    repos: Repositories,
    subject: Deployment | Job,
    name: EventName,
    message: str,
    *,
    now: datetime | None,
) -> Event:
    if isinstance(subject, Job):
        deployment_id, job_id = subject.deployment_id, subject.id
    else:
        deployment_id, job_id = subject.id, None
    event = Event(
        id=str(uuid.uuid4()),
        workspace=subject.workspace,
        namespace=subject.namespace,
        name=name,
        message=message,
        created_at=now or datetime.now().astimezone(),
        deployment_id=deployment_id,
        job_id=job_id,
    )
    repos.create_event(event=event)
    # Events are the state changes and actions users see: the server's INFO log carries
    # the same (one line each; polls and HTTP traffic stay at DEBUG).
    _events.info(
        "%s %s/%s %s: %s",
        name.value,
        subject.workspace,
        subject.namespace,
        job_id or deployment_id,
        message,
        extra={"event": name.value, "deployment_id": deployment_id, "job_id": job_id},
    )
    return event
