"""Ports of the namespace use cases: a namespace's profile, what it still runs, and the
removal of everything it owns (``NamespaceStore``).

``store.namespaces.SqlNamespaceStore`` implements it over the main store's tables;
``control.services.namespaces.NamespaceService`` is the only caller. Separate from
``ports.Store`` because deleting a namespace reaches tables of several stores (variables,
members, catalog, queues) and must do so in one transaction.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from millstream.domain.namespace_profiles import NamespaceProfile, NamespaceUse

__all__ = ["NamespaceRepositories", "NamespaceStore"]


class NamespaceRepositories(Protocol):
    def read_profile(self, *, workspace: str, name: str) -> NamespaceProfile | None: ...
    def create_profile(self, *, profile: NamespaceProfile) -> None:
        """``Conflict`` when the workspace has a namespace of that name."""
        ...

    def update_profile(self, *, profile: NamespaceProfile) -> None: ...
    def read_use(self, *, workspace: str, name: str) -> NamespaceUse: ...
    def delete_namespace(self, *, workspace: str, name: str) -> None:
        """Remove the namespace and what belongs to it: variables, members, folders,
        packages, its project tags, terminal jobs with their savepoints, events and
        start tokens; it leaves the queues bound to it (with other namespaces) bound to
        those others only. The caller has checked ``read_use`` in the same transaction."""
        ...


class NamespaceStore(Protocol):
    def transaction(self) -> AbstractContextManager[NamespaceRepositories]:
        """One unit of work: commit on success, roll back on any exception."""
        ...
