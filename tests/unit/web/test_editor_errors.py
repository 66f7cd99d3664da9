"""Where the SQL editor shows an error: at the script's line and column (said once), at a
line of the Flink configuration field, or on the form."""

from __future__ import annotations

import pytest

from millstream.domain.errors import EnginePermanentError, InvalidInput, InvalidSql
from millstream.web.editor_errors import (
    Field,
    configuration_error,
    locate_error,
    may_be_configuration,
)
from millstream.web.forms import InvalidFlinkConf, flink_conf_lines, parse_flink_conf


def test_calcite_span_becomes_the_position_and_leaves_the_message() -> None:
    error = InvalidSql(
        "SQL validation failed. From line 14, column 25 to line 14, column 27: "
        "Column 'nme' not found in any table",
        line=14,
        column=25,
    )
    located = locate_error(error, flink_conf="")
    assert located.field is Field.SQL_SCRIPT
    assert (located.line, located.column) == (14, 25)
    assert (located.end_line, located.end_column) == (14, 27)
    assert located.message == "SQL validation failed. Column 'nme' not found in any table"
    assert located.where == "Line 14, column 25"


def test_parse_error_position_is_said_once() -> None:
    error = InvalidSql(
        'SQL parse failed. Encountered "SELEC" at line 3, column 1. Was expecting one of: …',
        line=3,
        column=1,
    )
    located = locate_error(error, flink_conf="")
    assert located.message == 'SQL parse failed. Encountered "SELEC". Was expecting one of: …'
    assert located.where == "Line 3, column 1"


def test_sql_error_without_position_is_about_the_script() -> None:
    located = locate_error(InvalidSql("the script has no statement"), flink_conf="")
    assert located.field is Field.SQL_SCRIPT
    assert located.line is None
    assert located.where == ""


def test_unparsable_configuration_line_is_the_configuration_fields() -> None:
    with pytest.raises(InvalidFlinkConf) as caught:
        parse_flink_conf("a.b: 1\n# fine\nno separator here")
    located = locate_error(caught.value, flink_conf="")
    assert located.field is Field.FLINK_CONF
    assert located.line == 3
    assert located.message == "'no separator here' is not 'key: value'"
    assert located.where == "Line 3"


def test_value_flink_refuses_marks_the_line_of_its_key() -> None:
    conf = "parallelism.default: 1\n\nexecution.checkpointing.interval: soon\n"
    error = InvalidSql("Could not parse value 'soon' for key 'execution.checkpointing.interval'.")
    located = locate_error(error, flink_conf=conf)
    assert located.field is Field.FLINK_CONF
    assert (located.line, located.conf_key) == (3, "execution.checkpointing.interval")
    assert located.where == "Line 3 (execution.checkpointing.interval)"


@pytest.mark.parametrize(
    ("message", "line"),
    [
        ("Column state not found in any table", None),  # a dotless key counts only quoted
        ("Object state.backend.type2 not found", None),  # a dotted one only whole
        ("Unknown option 'state.backend.type'", 4),  # at a statement: the SQL's own SET
    ],
)
def test_errors_naming_no_typed_key_stay_with_the_script(message: str, line: int | None) -> None:
    conf = "state: x\nstate.backend.type: hashmap"
    located = locate_error(InvalidSql(message, line=line, column=1), flink_conf=conf)
    assert located.field is Field.SQL_SCRIPT


def test_other_errors_are_the_forms() -> None:
    located = locate_error(InvalidInput("a deployment needs a name"), flink_conf="")
    assert (located.field, located.line) == (Field.FORM, None)


@pytest.mark.parametrize(
    ("message", "line"),
    [
        # Flink's planner, answering 500 for a value it cannot read, seldom names the key
        (
            "Flink POST /jars/x.jar/plan answered 500: java.lang.NumberFormatException: "
            'For input string: "many"',
            1,
        ),
        (
            "Flink POST /jars/x.jar/plan answered 500: java.lang.NumberFormatException: text "
            "does not start with a number, and is not a valid ISO-8601 duration format: soon",
            2,
        ),
    ],
)
def test_value_flink_cannot_read_marks_its_line(message: str, line: int) -> None:
    conf = "parallelism.default: many\nexecution.checkpointing.interval: soon"
    located = locate_error(EnginePermanentError(message), flink_conf=conf)
    assert (located.field, located.line) == (Field.FLINK_CONF, line)
    assert located.message.startswith("NumberFormatException: ")  # no REST call, no package


def test_unplaced_planning_refusal_may_be_the_configurations() -> None:
    refusal = EnginePermanentError("IllegalArgumentException: must be greater than 0.")
    located = locate_error(refusal, flink_conf="pipeline.max-parallelism: -5")
    assert located.field is Field.FORM
    assert may_be_configuration(located, refusal, "pipeline.max-parallelism: -5")
    assert not may_be_configuration(located, refusal, "# nothing set\n")
    taken = InvalidInput("a deployment named 'x' already exists")
    assert not may_be_configuration(locate_error(taken, flink_conf="a.b: 1"), taken, "a.b: 1")
    marked = configuration_error(refusal)
    assert (marked.field, marked.line, marked.where) == (Field.FLINK_CONF, None, "")


def test_configuration_entries_by_line_skip_comments_and_bad_lines() -> None:
    text = "# c\na.b: 1\nbroken\n\nc.d = 2"
    assert flink_conf_lines(text) == [(2, "a.b", "1"), (5, "c.d", "2")]
