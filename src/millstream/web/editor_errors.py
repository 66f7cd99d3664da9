"""Where an error of the SQL editor belongs: at a line and column of the script, at a line
of the Flink configuration field, or on the form as a whole.

``routes/editor.py`` turns every error of validating or saving into an ``EditorError``;
``templates/_validation.html`` renders it with its position in ``data-*`` attributes, which
the browser editor (``web-editor/editor.js``) turns into in-editor diagnostics, and
``templates/editor.html`` marks the configuration field with it. Pure, so
``tests/unit/web`` covers it.

Flink refuses a bad configuration value while planning, with an error that rarely names
the key ("NumberFormatException: For input string: "many""). ``locate_error`` finds the
line by the key or the value the message quotes; when neither is quoted, the route plans
the script once more without the configuration and, if that passes, calls
``configuration_error``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from millstream.domain.errors import EnginePermanentError, InvalidSql, MillstreamError
from millstream.web.forms import InvalidFlinkConf, flink_conf_lines

__all__ = ["EditorError", "Field", "configuration_error", "locate_error", "may_be_configuration"]


class Field(enum.StrEnum):
    """The editor field an error is shown at (the form field's ``name``)."""

    SQL_SCRIPT = "sql_script"
    FLINK_CONF = "flink_conf"
    FORM = "form"  # no one field: shown above the buttons


@dataclass(frozen=True, slots=True)
class EditorError:
    field: Field
    message: str  # without the position, which the fields below carry
    line: int | None = None  # 1-based, in the field's text
    column: int | None = None  # 1-based
    end_line: int | None = None  # where Flink says the offending text ends (inclusive)
    end_column: int | None = None
    conf_key: str | None = None  # the Flink configuration key at fault

    @property
    def where(self) -> str:
        """``Line 14, column 25`` (or ``Line 2 (key)`` in the configuration), or ''."""
        if self.line is None:
            return ""
        if self.field is Field.FLINK_CONF:
            return f"Line {self.line}" + (f" ({self.conf_key})" if self.conf_key else "")
        return f"Line {self.line}" + (f", column {self.column}" if self.column else "")


# Calcite's validation errors name the span they are about (positions already mapped to
# the whole script by the engine): "SQL validation failed. From line 14, column 25 to line
# 14, column 27: Column 'nme' not found in any table".
_SPAN = re.compile(
    r"\bFrom line (?P<line>\d+), column (?P<column>\d+) "
    r"to line (?P<end_line>\d+), column (?P<end_column>\d+):\s*"
)
# The engine's account of a failed REST call ("Flink POST /jars/<id>/plan answered 500: ")
# and Java package paths say nothing to the person typing.
_REST_CALL = re.compile(r"^Flink [A-Z]+ \S+ answered \d+: ")
_PACKAGE = re.compile(r"\b(?:[a-z_$][\w$]*\.)+(?=[A-Z][\w$]*(?:Exception|Error)\b)")


def locate_error(error: MillstreamError, *, flink_conf: str) -> EditorError:
    """Where ``error``, raised validating or saving the editor's fields, is shown;
    ``flink_conf`` is the configuration text as typed (to find a key Flink refused)."""
    if isinstance(error, InvalidFlinkConf):
        return EditorError(Field.FLINK_CONF, error.problem, line=error.line, conf_key=error.key)
    if isinstance(error, InvalidSql) and error.line is not None:
        return _sql_error(error)  # Flink ran the script to a statement: the SQL is at fault
    message = _flink_says(error.message)
    refused = _configuration_line(message, flink_conf)
    if refused is not None:
        number, key = refused
        return EditorError(Field.FLINK_CONF, message, line=number, conf_key=key)
    if isinstance(error, InvalidSql):
        return _sql_error(error)
    return EditorError(Field.FORM, message)


def may_be_configuration(located: EditorError, error: MillstreamError, flink_conf: str) -> bool:
    """Whether Flink's refusal, placed nowhere in particular, may be the configuration's:
    worth planning the script once more without it to tell."""
    unplaced = located.field is Field.FORM or (
        located.field is Field.SQL_SCRIPT and located.line is None
    )
    from_planning = isinstance(error, InvalidSql | EnginePermanentError)
    return unplaced and from_planning and bool(flink_conf_lines(flink_conf))


def configuration_error(error: MillstreamError) -> EditorError:
    """``error`` shown at the configuration field: the script plans fine without it."""
    return EditorError(Field.FLINK_CONF, _flink_says(error.message))


def _sql_error(error: InvalidSql) -> EditorError:
    span = _SPAN.search(error.message)
    if span is None:
        return EditorError(
            Field.SQL_SCRIPT,
            _without_position(_flink_says(error.message), error.line, error.column),
            line=error.line,
            column=error.column,
        )
    line, column = int(span["line"]), int(span["column"])
    rest = error.message[: span.start()] + error.message[span.end() :]
    return EditorError(
        Field.SQL_SCRIPT,
        _without_position(rest, line, column),
        line=line,
        column=column,
        end_line=int(span["end_line"]),
        end_column=int(span["end_column"]),
    )


def _flink_says(message: str) -> str:
    return _PACKAGE.sub("", _REST_CALL.sub("", message))


def _without_position(message: str, line: int | None, column: int | None) -> str:
    """``message`` without its own mention of the error's position ("Encountered "x" at
    line 3, column 5."), which the page shows once, where the error is."""
    if line is None or column is None:
        return message
    return re.sub(rf"\s*\bat line {line}, column {column}\b", "", message, count=1)


def _configuration_line(message: str, flink_conf: str) -> tuple[int, str] | None:
    """(line, key) of the typed configuration entry Flink's ``message`` names: by its key
    ("Could not parse value 'x' for key 'y'") or, failing that, by its value quoted or
    ending the message ("For input string: "many"", "… duration format: soon"). A key
    without a dot counts only quoted, lest a column of the same name in a SQL error match."""
    entries = flink_conf_lines(flink_conf)
    for number, key, _ in entries:
        bare = rf"(?<![\w.-]){re.escape(key)}(?![\w-]|\.\w)"
        if _quoted(key, message) or ("." in key and re.search(bare, message)):
            return number, key
    for number, key, value in entries:
        ending = rf":\s*{re.escape(value)}\W*$"
        if value and (_quoted(value, message) or re.search(ending, message)):
            return number, key
    return None


def _quoted(text: str, message: str) -> bool:
    return re.search(rf"(['\"`]){re.escape(text)}\1", message) is not None
