"""The namespace's persistent SQL catalog over the SQL store, on SQLite and PostgreSQL:
a DDL statement's result is stored and read back by a new store (a restart), in
creation order; a concurrent statement loses nothing (compare-and-set), and the DDL a
SQL deployment gets in front of its script follows the catalog. Flink's planner is a
fake here (``FakeSessions``); tests/compat runs the real one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from millstream.control.context import Actor, Scope
from millstream.control.services.sql_catalog import SqlCatalogService
from millstream.control.sql_session_ports import QueryRequest, QueryRun
from millstream.domain.errors import Conflict, InvalidSql, NotFound
from millstream.domain.sql_catalog import SqlCatalog
from millstream.store import SqlStore
from millstream.store.namespaces import SqlNamespaceStore
from millstream.store.sql_catalogs import NamespaceCatalogStore
from tests.factories import make_namespace

SCOPE = Scope("ws", "ns")
ALICE = Actor(id="u-alice", name="alice")


def _table(name: str, database: str = "default") -> dict[str, Any]:
    return {
        "kind": "TABLE",
        "database": database,
        "name": name,
        "ddl": f"CREATE TABLE `vvp`.`{database}`.`{name}` (\n  `id` BIGINT\n)\n",
        "comment": "",
        "options": {"connector": "datagen"},
        "columns": [{"name": "id", "type": "BIGINT", "nullable": True}],
        "partitionKeys": [],
        "watermarks": [],
    }


class FakeSessions:
    """Flink's planner as a dict: CREATE TABLE x adds x, DROP TABLE x removes it."""

    def __init__(self) -> None:
        self.seen: list[tuple[list[str], str]] = []

    def describe(self, catalog_ddl: Sequence[str], statement: str) -> dict[str, Any]:
        self.seen.append((list(catalog_ddl), statement))
        names = [d.split("`")[5] for d in catalog_ddl if d.startswith("CREATE TABLE")]
        verb, _, name = statement.split()[:3]
        if verb == "CREATE":
            names.append(name)
        elif verb == "DROP":
            names.remove(name)
        else:
            raise InvalidSql("Non-query expression encountered", line=1, column=1)
        return {
            "databases": [{"name": "default"}],
            "objects": [_table(n) for n in sorted(names, reverse=True)],
        }

    def start_query(self, request: QueryRequest) -> QueryRun:
        raise NotImplementedError


@pytest.fixture
def catalog(store: SqlStore) -> SqlCatalogService:
    with store.transaction() as repos:
        repos.create_namespace(namespace=make_namespace(workspace="ws", name="ns"))
    return SqlCatalogService(store, NamespaceCatalogStore(store.engine), FakeSessions())


def test_created_tables_survive_a_new_store_in_creation_order(
    store: SqlStore, catalog: SqlCatalogService
) -> None:
    catalog.execute(SCOPE, ALICE, "CREATE TABLE a")
    catalog.execute(SCOPE, ALICE, "CREATE TABLE c")
    catalog.execute(SCOPE, ALICE, "CREATE TABLE b")

    reopened = NamespaceCatalogStore(store.engine.url.render_as_string(hide_password=False))
    try:
        again = reopened.read_catalog(workspace="ws", namespace="ns")
    finally:
        reopened.close()
    assert [o.name for o in again.objects] == ["a", "c", "b"]  # not Flink's listing order
    assert again.revision == 3
    assert again.modifier == ALICE.id
    assert again.objects[0].columns[0].type == "BIGINT"
    assert catalog.preamble(SCOPE)[:2] == [
        "CREATE CATALOG `vvp` WITH ('type' = 'generic_in_memory', 'default-database' = 'default')",
        "USE CATALOG `vvp`",
    ]
    assert catalog.preamble(SCOPE)[2:] == [o.ddl for o in again.objects]


def test_a_refused_statement_changes_nothing(catalog: SqlCatalogService) -> None:
    catalog.execute(SCOPE, ALICE, "CREATE TABLE a")
    with pytest.raises(InvalidSql):
        catalog.execute(SCOPE, ALICE, "ALTER TABLE a")
    assert [t.name for t in catalog.tables(SCOPE, "vvp", "default")] == ["a"]
    assert catalog.catalog(SCOPE).revision == 1


def test_dropping_the_last_object_empties_the_preamble(catalog: SqlCatalogService) -> None:
    assert catalog.preamble(SCOPE) == []
    catalog.execute(SCOPE, ALICE, "CREATE TABLE a")
    catalog.execute(SCOPE, ALICE, "DROP TABLE a")
    assert catalog.preamble(SCOPE) == []
    assert catalog.tables(SCOPE, "vvp", "default") == []


def test_a_stale_revision_is_a_conflict(store: SqlStore) -> None:
    catalogs = NamespaceCatalogStore(store.engine)
    first = SqlCatalog(workspace="ws", namespace="ns")
    catalogs.write_catalog(catalog=first, expected_revision=0)
    with pytest.raises(Conflict, match="run it again"):
        catalogs.write_catalog(catalog=first, expected_revision=0)  # insert raced
    catalogs.write_catalog(catalog=first, expected_revision=1)
    with pytest.raises(Conflict):
        catalogs.write_catalog(catalog=first, expected_revision=1)  # update raced
    assert catalogs.read_catalog(workspace="ws", namespace="ns").revision == 2


def test_catalogs_and_databases_and_unknown_names(catalog: SqlCatalogService) -> None:
    assert [c.name for c in catalog.catalogs(SCOPE)] == ["vvp", "default_catalog"]
    assert [c.name for c in catalog.catalogs(SCOPE, "vvp")] == ["vvp"]
    assert [d.name for d in catalog.databases(SCOPE, "vvp")] == ["default"]
    assert [d.name for d in catalog.databases(SCOPE, "default_catalog")] == ["default_database"]
    with pytest.raises(NotFound, match="catalog 'hive' not found"):
        catalog.databases(SCOPE, "hive")
    with pytest.raises(NotFound, match="database 'sales' not found"):
        catalog.tables(SCOPE, "vvp", "sales")
    with pytest.raises(NotFound, match="namespace"):
        catalog.catalogs(Scope("ws", "missing"))


def test_deleting_the_namespace_deletes_its_catalog(
    store: SqlStore, catalog: SqlCatalogService
) -> None:
    catalog.execute(SCOPE, ALICE, "CREATE TABLE a")
    with SqlNamespaceStore(store.engine).transaction() as repos:
        repos.delete_namespace(workspace="ws", name="ns")
    found = NamespaceCatalogStore(store.engine).read_catalog(workspace="ws", namespace="ns")
    assert (found.revision, found.objects) == (0, ())
