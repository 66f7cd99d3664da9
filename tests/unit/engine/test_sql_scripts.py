"""Statement splitting, statement sets, SET parsing and position mapping (no Flink)."""

from __future__ import annotations

import pytest

from millstream.domain.errors import InvalidSql
from millstream.engine.sql_scripts import (
    Statement,
    StatementKind,
    map_positions,
    split_statements,
    to_script_position,
)
from millstream.engine.submitters import sql_error


def texts(script: str) -> list[str]:
    return [s.text for s in split_statements(script)]


def test_split_ignores_semicolons_in_quotes_and_comments() -> None:
    script = """\
-- a comment; not a statement end
CREATE TABLE t (`a;b` INT) WITH ('k' = 'v;w', 'q' = 'it''s;');
/* block; comment */ INSERT INTO s SELECT "x;y" FROM t;
"""
    assert texts(script) == [
        "CREATE TABLE t (`a;b` INT) WITH ('k' = 'v;w', 'q' = 'it''s;')",
        'INSERT INTO s SELECT "x;y" FROM t',
    ]


def test_split_records_where_each_statement_starts() -> None:
    script = "SET 'a' = 'b';\n\n  -- note\n  CREATE VIEW v AS SELECT 1;  INSERT INTO s SELECT 1"
    positions = [(s.line, s.column) for s in split_statements(script)]
    assert positions == [(1, 1), (4, 3), (4, 31)]


def test_last_statement_needs_no_semicolon_and_empty_ones_vanish() -> None:
    assert texts(";;\nINSERT INTO s SELECT 1 ;\n-- trailing comment\n") == [
        "INSERT INTO s SELECT 1"
    ]
    assert texts("  \n-- only a comment") == []


@pytest.mark.parametrize(
    ("statement", "key", "value"),
    [
        ("SET 'table.exec.mini-batch.enabled' = 'true'", "table.exec.mini-batch.enabled", "true"),
        ("set 'pipeline.name'='it''s; fine'", "pipeline.name", "it's; fine"),
        ("SET parallelism.default = 2", "parallelism.default", "2"),
    ],
)
def test_set_statements_are_parsed(statement: str, key: str, value: str) -> None:
    [parsed] = split_statements(statement + ";")
    assert (parsed.kind, parsed.key, parsed.value) == (StatementKind.SET, key, value)


def test_statements_are_classified() -> None:
    kinds = [
        s.kind
        for s in split_statements(
            "RESET 'a'; CREATE TABLE t (x INT); INSERT INTO t VALUES (1); "
            "INSERT OVERWRITE t SELECT 1; USE CATALOG c"
        )
    ]
    assert kinds == [
        StatementKind.RESET,
        StatementKind.SQL,
        StatementKind.INSERT,
        StatementKind.INSERT,
        StatementKind.SQL,
    ]


def test_execute_statement_set_is_unwrapped() -> None:
    script = """\
EXECUTE STATEMENT SET BEGIN
  INSERT INTO a SELECT 1;
  INSERT INTO b SELECT 2;
END;
"""
    statements = split_statements(script)
    assert [(s.text, s.line, s.column) for s in statements] == [
        ("INSERT INTO a SELECT 1", 2, 3),
        ("INSERT INTO b SELECT 2", 3, 3),
    ]


def test_begin_statement_set_is_unwrapped() -> None:
    script = "BEGIN STATEMENT SET;\nINSERT INTO a SELECT 1;\nEND;\nINSERT INTO b SELECT 2;"
    assert texts(script) == ["INSERT INTO a SELECT 1", "INSERT INTO b SELECT 2"]


@pytest.mark.parametrize(
    ("script", "line"),
    [
        ("BEGIN STATEMENT SET;\nINSERT INTO a SELECT 1;", 1),
        ("INSERT INTO a SELECT 1;\nEND;", 2),
        ("BEGIN STATEMENT SET;\nCREATE TABLE t (x INT);\nEND;", 2),
        ("CREATE TABLE t (x INT);\n\nSELECT * FROM t;", 3),
        ("SET 'a';", 1),
    ],
)
def test_malformed_scripts_are_rejected_with_a_line(script: str, line: int) -> None:
    with pytest.raises(InvalidSql) as caught:
        split_statements(script)
    assert caught.value.line == line


def test_positions_on_the_first_line_shift_by_the_start_column() -> None:
    statement = Statement("INSERT ...", line=4, column=29, kind=StatementKind.INSERT)
    assert to_script_position(statement, 1, 5) == (4, 33)
    assert to_script_position(statement, 3, 5) == (6, 5)


def test_map_positions_rewrites_every_position() -> None:
    message, line, column = map_positions(
        "From line 1, column 8 to line 2, column 3: Column 'x' not found", 5, 3
    )
    assert message == "From line 5, column 10 to line 6, column 3: Column 'x' not found"
    assert (line, column) == (5, 10)
    assert map_positions("no position here", 5, 3) == ("no position here", None, None)


def test_sql_error_reads_the_runner_marker_from_flink_text() -> None:
    detail = (
        "org.apache.flink.client.program.ProgramInvocationException: The main method caused"
        " an error: MILLSTREAM-SQL[statement=2 line=7 column=3] SQL parse failed. "
        'Encountered "FROM" at line 2, column 14.\nWas expecting one of:\n'
        + "".join(f'    "T{i}" ...\n' for i in range(20))
        + "\tat org.apache.flink.client.program.PackagedProgram.callMainMethod(X.java:1)\n"
    )
    error = sql_error(detail)
    assert error is not None
    assert (error.line, error.column) == (8, 14)
    assert error.message.startswith('SQL parse failed. Encountered "FROM" at line 8, column 14.')
    assert "(12 more)" in error.message
    assert "\tat " not in error.message


def test_sql_error_without_position_points_at_the_statement() -> None:
    detail = (
        "x: MILLSTREAM-SQL[statement=0 line=3 column=1] SQL validation failed. "
        "SQL validation failed. Non-query expression encountered in illegal context\n\tat y"
    )
    error = sql_error(detail)
    assert error is not None
    assert (error.line, error.column) == (3, 1)
    assert error.message == (
        "SQL validation failed. Non-query expression encountered in illegal context"
    )
    assert sql_error("java.lang.RuntimeException: boom") is None
