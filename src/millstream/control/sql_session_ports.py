"""Ports of interactive SQL: ``NamespaceCatalogStore`` (the namespace's persistent catalog,
``store.sql_catalogs``) and ``SqlSessions`` (Flink's planner and query runs,
``engine.sql_session``). ``control.services.sql_catalog`` and ``sql_previews`` use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from millstream.domain.sql_catalog import SqlCatalog
from millstream.domain.sql_previews import QueryProgress

__all__ = ["NamespaceCatalogStore", "QueryRequest", "QueryRun", "SqlSessions"]


class NamespaceCatalogStore(Protocol):
    def read_catalog(self, *, workspace: str, namespace: str) -> SqlCatalog:
        """The namespace's catalog (revision 0 and only ``default`` when never changed)."""
        ...

    def write_catalog(self, *, catalog: SqlCatalog, expected_revision: int) -> SqlCatalog:
        """Store ``catalog`` as revision ``expected_revision + 1``; ``Conflict`` when
        another writer changed it since ``expected_revision`` was read."""
        ...

    def delete_catalog(self, *, workspace: str, namespace: str) -> None: ...


@dataclass(frozen=True, slots=True)
class QueryRequest:
    """One query to run on a cluster with a row and a time budget."""

    rest_url: str
    flink_job_id: str  # fixed, so the query's job can be cancelled by id
    job_name: str
    catalog_ddl: Sequence[str]
    script: str  # SET / temporary DDL, then the query last
    max_rows: int
    timeout: float  # seconds
    batch: bool = False
    parallelism: int = 1
    flink_conf: Mapping[str, str] = field(default_factory=dict)


class QueryRun(Protocol):
    def progress(self) -> QueryProgress: ...
    def cancel(self) -> None: ...


class SqlSessions(Protocol):
    def describe(self, catalog_ddl: Sequence[str], statement: str) -> dict[str, Any]:
        """Run the catalog's DDL and ``statement`` through Flink's planner; answer the
        catalog as Flink describes it afterwards (``{"databases", "objects"}``) or raise
        ``InvalidSql`` with the planner's message."""
        ...

    def start_query(self, request: QueryRequest) -> QueryRun: ...
