"""The SQL session's Python side without a JVM: what a preview may run, Flink's messages
mapped to the user's positions, and the stdin protocol the Java helper reads."""

from __future__ import annotations

import base64

import pytest

from millstream.domain.errors import InvalidSql
from millstream.engine.sql_session import _query_statements, _sql_error, _stdin


def test_a_preview_is_settings_and_temporary_ddl_then_one_query() -> None:
    script = (
        "SET 'table.exec.resource.default-parallelism' = '1';\n"
        "CREATE TEMPORARY VIEW v AS SELECT 1 AS x;\n"
        "SELECT x FROM v"
    )
    statements = _query_statements(script)
    assert [(line, column) for _, line, column in statements] == [(1, 1), (2, 1), (3, 1)]
    assert statements[-1][0] == "SELECT x FROM v"


@pytest.mark.parametrize(
    ("script", "message", "line"),
    [
        ("", "empty", None),
        ("INSERT INTO t SELECT 1", "ends with a query", 1),
        ("CREATE TABLE t (x INT);\nSELECT 1", "TEMPORARY", 1),
        ("SELECT 1;\nINSERT INTO t SELECT 1", "ends with a query", 2),
        ("INSERT INTO t SELECT 1;\nSELECT 1", "may only SET", 1),
    ],
)
def test_anything_that_writes_is_refused(script: str, message: str, line: int | None) -> None:
    with pytest.raises(InvalidSql, match=message) as refused:
        _query_statements(script)
    assert refused.value.line == line


def test_flink_positions_map_to_the_statement_in_the_users_text() -> None:
    error = _sql_error(
        {
            "type": "error",
            "where": "statement",
            "message": "From line 1, column 8 to line 1, column 11: Column 'nope' not found",
        },
        (3, 5),
    )
    assert (error.line, error.column) == (3, 12)
    assert "line 3, column 12" in error.message
    unplaced = _sql_error({"message": "Object 'x' not found"}, (2, 1))
    assert (unplaced.line, unplaced.column) == (2, 1)


def test_a_view_the_statement_breaks_keeps_its_own_positions() -> None:
    message = "view `vvp`.`default`.`v` would no longer work (From line 2, column 6 ...)"
    error = _sql_error({"where": "view", "message": message}, (1, 1))
    assert error.message == message
    assert (error.line, error.column) == (1, 1)


def test_a_broken_catalog_is_said_to_be_the_catalog() -> None:
    error = _sql_error({"where": "catalog", "message": "Table already exists"}, (1, 1))
    assert "catalog no longer loads" in error.message


def test_stdin_tags_catalog_ddl_and_statements_in_base64() -> None:
    lines = _stdin(["CREATE TABLE a"], ["SELECT 'é'"]).splitlines()
    assert [line[:2] for line in lines] == ["P ", "S "]
    assert base64.b64decode(lines[1][2:]).decode() == "SELECT 'é'"
