"""Event use cases: the history of a namespace, deployment or job (GetEvents)."""

from __future__ import annotations

from millstream.control.context import Scope
from millstream.control.ports import Page, Store
from millstream.control.services.common import require_namespace
from millstream.domain.events import Event

__all__ = ["EventService"]


class EventService:
    def __init__(self, store: Store) -> None:
        self._store = store

    def list(
        self,
        scope: Scope,
        page: Page,
        *,
        deployment_id: str | None = None,
        job_id: str | None = None,
    ) -> tuple[list[Event], int]:
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            return repos.read_events(
                workspace=scope.workspace,
                namespace=scope.namespace,
                page=page,
                deployment_id=deployment_id,
                job_id=job_id,
            )
