"""The namespace's persistent SQL catalog (``vvp``): ExecuteSqlStatement, GetCatalogs,
GetDatabases and GetTables; ``ddl`` is what SQL deployments of the namespace get in
front of their script (``DeploymentService``, ``JobService``, the reconciler).

A DDL statement runs through Flink's planner on top of the catalog's current DDL
(``SqlSessions.describe``, outside any transaction); what Flink describes afterwards is
stored as the next revision (compare-and-set), so a statement Flink refuses changes
nothing and a concurrent statement is never lost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from millstream.control.context import Actor, Scope
from millstream.control.ports import Store
from millstream.control.services.common import require_namespace
from millstream.control.sql_session_ports import NamespaceCatalogStore, SqlSessions
from millstream.domain.errors import InvalidInput, NotFound
from millstream.domain.sql_catalog import (
    CATALOG_NAME,
    MAX_CATALOG_OBJECTS,
    CatalogDatabase,
    CatalogObject,
    SqlCatalog,
    catalog_ddl,
    catalog_from_json,
    deployment_preamble,
    ordered_like,
)
from millstream.domain.sql_libraries import SqlLibraries

__all__ = [
    "BUILTIN_CATALOG",
    "BUILTIN_DATABASE",
    "CatalogInfo",
    "SqlCatalogService",
    "with_catalog",
]

# Flink's own session catalog: always there, empty between sessions (a catalog of
# TEMPORARY objects), listed so clients see what a script's plain names resolve against.
BUILTIN_CATALOG = "default_catalog"
BUILTIN_DATABASE = "default_database"


@dataclass(frozen=True, slots=True)
class CatalogInfo:
    name: str
    properties: dict[str, str]


class SqlCatalogService:
    def __init__(
        self, store: Store, catalogs: NamespaceCatalogStore, sessions: SqlSessions
    ) -> None:
        self._store = store
        self._catalogs = catalogs
        self._sessions = sessions

    def execute(self, scope: Scope, actor: Actor, statement: str) -> SqlCatalog:
        """Run one DDL statement against the catalog and keep the result."""
        if not statement.strip():
            raise InvalidInput("statement is empty: send one CREATE, ALTER or DROP statement")
        self._require(scope)
        current = self._catalogs.read_catalog(workspace=scope.workspace, namespace=scope.namespace)
        described = catalog_from_json(
            self._sessions.describe(catalog_ddl(current), statement),
            workspace=scope.workspace,
            namespace=scope.namespace,
        )
        if len(described.objects) > MAX_CATALOG_OBJECTS:
            raise InvalidInput(
                f"a namespace's catalog holds at most {MAX_CATALOG_OBJECTS} tables, views and "
                "functions: drop some first"
            )
        updated = SqlCatalog(
            workspace=scope.workspace,
            namespace=scope.namespace,
            databases=described.databases,
            objects=ordered_like(current.objects, described.objects),
            modifier=actor.id,
        )
        return self._catalogs.write_catalog(catalog=updated, expected_revision=current.revision)

    def ddl(self, scope: Scope) -> list[str]:
        """The statements that rebuild the catalog in front of a SQL script."""
        return catalog_ddl(
            self._catalogs.read_catalog(workspace=scope.workspace, namespace=scope.namespace)
        )

    def preamble(self, scope: Scope) -> list[str]:
        """What a SQL deployment of the namespace runs before its script (empty while
        the catalog is)."""
        return deployment_preamble(
            self._catalogs.read_catalog(workspace=scope.workspace, namespace=scope.namespace)
        )

    def catalog(self, scope: Scope) -> SqlCatalog:
        self._require(scope)
        return self._catalogs.read_catalog(workspace=scope.workspace, namespace=scope.namespace)

    def catalogs(self, scope: Scope, name: str | None = None) -> list[CatalogInfo]:
        self._require(scope)
        found = [
            CatalogInfo(CATALOG_NAME, {"type": "millstream", "default-database": "default"}),
            CatalogInfo(
                BUILTIN_CATALOG,
                {"type": "generic_in_memory", "default-database": BUILTIN_DATABASE},
            ),
        ]
        return [c for c in found if name is None or c.name == name]

    def databases(
        self, scope: Scope, catalog_name: str, name: str | None = None
    ) -> list[CatalogDatabase]:
        if catalog_name == BUILTIN_CATALOG:
            self._require(scope)
            found: tuple[CatalogDatabase, ...] = (CatalogDatabase(BUILTIN_DATABASE),)
        else:
            found = self._named(scope, catalog_name).databases
        return [d for d in found if name is None or d.name == name]

    def tables(
        self, scope: Scope, catalog_name: str, database: str, name: str | None = None
    ) -> list[CatalogObject]:
        """Tables and views of a database (functions are not tables)."""
        if catalog_name == BUILTIN_CATALOG:
            if database != BUILTIN_DATABASE:
                raise NotFound(f"database {database!r} not found in catalog {catalog_name!r}")
            self._require(scope)
            return []
        catalog = self._named(scope, catalog_name)
        if catalog.database(database) is None:
            raise NotFound(f"database {database!r} not found in catalog {catalog_name!r}")
        return [
            o
            for o in catalog.objects_in(database)
            if o.kind != "FUNCTION" and (name is None or o.name == name)
        ]

    def _named(self, scope: Scope, catalog_name: str) -> SqlCatalog:
        if catalog_name != CATALOG_NAME:
            raise NotFound(
                f"catalog {catalog_name!r} not found: the namespace has {CATALOG_NAME!r} "
                f"and {BUILTIN_CATALOG!r}"
            )
        return self.catalog(scope)

    def _require(self, scope: Scope) -> None:
        with self._store.transaction() as repos:
            require_namespace(repos, scope)


def with_catalog(
    catalog: SqlCatalogService, inner: Callable[[Scope, str], SqlLibraries] | None
) -> Callable[[Scope, str], SqlLibraries]:
    """The reconciler's ``sql_libraries`` with the namespace's catalog DDL after the
    registered functions' statements: what a SQL job runs before its script. The
    functions and connectors the catalog's own tables and views use count as used by
    the script (a catalog table of a custom connector needs its jar)."""

    def libraries(scope: Scope, script: str) -> SqlLibraries:
        preamble = catalog.preamble(scope)
        used = "\n".join((*preamble, script))
        found = inner(scope, used) if inner is not None else SqlLibraries()
        if not preamble:
            return found
        return dataclasses.replace(found, statements=(*found.statements, *preamble))

    return libraries
