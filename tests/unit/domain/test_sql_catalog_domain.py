"""The persistent catalog's pure parts: which statements it runs, the DDL that rebuilds
it (views after their tables, functions before views), and its JSON round trip."""

from __future__ import annotations

import pytest

from millstream.domain.errors import InvalidSql
from millstream.domain.sql_catalog import (
    CatalogDatabase,
    CatalogObject,
    ObjectKind,
    SqlCatalog,
    catalog_ddl,
    catalog_from_json,
    catalog_to_json,
    check_ddl_statement,
    deployment_preamble,
    function_ddl,
    object_from_json,
    ordered_like,
    quote,
)


def _object(kind: ObjectKind, name: str, database: str = "default") -> CatalogObject:
    return CatalogObject(kind=kind, database=database, name=name, ddl=f"DDL {name}")


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE t (id INT)",
        "create view v as select 1",
        "ALTER TABLE t RENAME TO u",
        "DROP FUNCTION IF EXISTS f",
        "CREATE DATABASE sales",
    ],
)
def test_ddl_statements_are_accepted(statement: str) -> None:
    assert check_ddl_statement(statement) == statement


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("SELECT 1", "DDL only"),
        ("INSERT INTO t SELECT 1", "DDL only"),
        ("CREATE TEMPORARY TABLE t (id INT)", "TEMPORARY"),
        ("CREATE TEMPORARY SYSTEM FUNCTION f AS 'x'", "TEMPORARY"),
        ("DROP TEMPORARY VIEW v", "TEMPORARY"),
        ("CREATE CATALOG hive WITH ('type' = 'hive')", "one catalog"),
        ("", "DDL only"),
    ],
)
def test_other_statements_are_refused_with_what_to_do(statement: str, message: str) -> None:
    with pytest.raises(InvalidSql, match=message) as refused:
        check_ddl_statement(statement, line=3, column=2)
    assert (refused.value.line, refused.value.column) == (3, 2)


def test_rebuild_order_is_databases_functions_then_relations_in_creation_order() -> None:
    catalog = SqlCatalog(
        workspace="w",
        namespace="n",
        databases=(CatalogDatabase("default"), CatalogDatabase("sales", comment="it's")),
        objects=(
            _object(ObjectKind.TABLE, "orders"),
            _object(ObjectKind.VIEW, "big_orders"),
            _object(ObjectKind.FUNCTION, "f"),
        ),
    )
    assert catalog_ddl(catalog) == [
        "CREATE DATABASE IF NOT EXISTS `vvp`.`sales` COMMENT 'it''s'",
        "DDL f",
        "DDL orders",
        "DDL big_orders",
    ]
    assert deployment_preamble(catalog)[1] == "USE CATALOG `vvp`"
    assert deployment_preamble(SqlCatalog(workspace="w", namespace="n")) == []


def test_existing_objects_keep_their_place_and_new_ones_come_last() -> None:
    before = [_object(ObjectKind.TABLE, "b"), _object(ObjectKind.VIEW, "a")]
    after = [
        _object(ObjectKind.VIEW, "a"),
        _object(ObjectKind.TABLE, "z"),
        _object(ObjectKind.TABLE, "b"),
    ]
    assert [o.name for o in ordered_like(before, after)] == ["b", "a", "z"]


def test_a_function_without_ddl_gets_create_function() -> None:
    raw = {
        "kind": "FUNCTION",
        "database": "default",
        "name": "to_upper",
        "functionClass": "com.example.Upper",
        "functionLanguage": "JAVA",
        "resources": ["file:///u.jar"],
    }
    function = object_from_json(raw)
    assert function.ddl == function_ddl(
        "default", "to_upper", "com.example.Upper", "JAVA", ["file:///u.jar"]
    )
    assert function.ddl == (
        "CREATE FUNCTION `vvp`.`default`.`to_upper` AS 'com.example.Upper' LANGUAGE JAVA "
        "USING JAR 'file:///u.jar'"
    )


def test_json_round_trip_keeps_the_schema() -> None:
    raw = {
        "databases": [{"name": "default", "comment": None, "properties": {}}],
        "objects": [
            {
                "kind": "TABLE",
                "database": "default",
                "name": "orders",
                "ddl": "CREATE TABLE ...\n",
                "comment": "the orders",
                "options": {"connector": "datagen"},
                "partitionKeys": ["day"],
                "columns": [
                    {"name": "id", "type": "BIGINT NOT NULL", "nullable": False},
                    {"name": "d", "type": "INT", "nullable": True, "expression": "`id` * 2"},
                    {"name": "p", "type": "INT", "metadataKey": "partition", "virtual": True},
                ],
                "primaryKey": {"name": "PK_id", "columns": ["id"], "enforced": False},
                "watermarks": [{"column": "ts", "expression": "`ts` - INTERVAL '5' SECOND"}],
            }
        ],
    }
    catalog = catalog_from_json(raw, workspace="w", namespace="n", revision=4)
    table = catalog.objects[0]
    assert table.ddl == "CREATE TABLE ..."
    assert table.primary_key == ("PK_id", ("id",), False)
    assert table.columns[1].expression == "`id` * 2"
    assert table.columns[2].metadata_key == "partition"
    assert catalog_from_json(catalog_to_json(catalog), workspace="w", namespace="n") == (
        SqlCatalog(workspace="w", namespace="n", databases=catalog.databases, objects=(table,))
    )


def test_quote_doubles_backquotes() -> None:
    assert quote("we`ird") == "`we``ird`"
