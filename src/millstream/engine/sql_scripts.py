"""SQL scripts: split a multi-statement script and map Flink's error positions back to it.

The SQL submitter splits a script here (so the Java runner stays dumb) and sends every
statement with the line/column where it starts. Flink reports positions relative to the
one statement it parsed; ``to_script_position`` and ``map_positions`` turn them into
positions in the script the user wrote. Pure functions, no I/O.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass

from millstream.domain.errors import InvalidSql

__all__ = [
    "Statement",
    "StatementKind",
    "map_positions",
    "split_raw",
    "split_statements",
    "to_script_position",
]


class StatementKind(enum.StrEnum):
    SET = "set"  # SET 'key' = 'value': applied to the table config, not sent to the parser
    RESET = "reset"  # RESET 'key'
    INSERT = "insert"  # INSERT INTO / OVERWRITE: collected into one statement set
    SQL = "sql"  # everything else (DDL, USE, ...) goes through executeSql


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement, without its ``;``; ``line``/``column`` (1-based) locate its first
    character in the script."""

    text: str
    line: int
    column: int
    kind: StatementKind
    key: str | None = None  # SET / RESET
    value: str | None = None  # SET


_POSITION = re.compile(r"\b((?i:line)) (\d+), ((?i:column)) (\d+)")
_SET = re.compile(
    r"""SET\s+(?:'(?P<qkey>(?:[^']|'')*)'|(?P<key>[^\s=]+))\s*=\s*
        (?:'(?P<qvalue>(?:[^']|'')*)'|(?P<value>.*?))\s*\Z""",
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)
_RESET = re.compile(
    r"RESET\s+(?:'(?P<qkey>(?:[^']|'')*)'|(?P<key>\S+))\s*\Z", re.IGNORECASE | re.DOTALL
)
_EXECUTE_SET = re.compile(r"EXECUTE\s+STATEMENT\s+SET\s+BEGIN\b", re.IGNORECASE)
_BEGIN_SET = re.compile(r"BEGIN\s+STATEMENT\s+SET\s*\Z", re.IGNORECASE)
_END = re.compile(r"END\s*\Z", re.IGNORECASE)
_FIRST_WORD = re.compile(r"[A-Za-z]+")


def split_statements(script: str) -> list[Statement]:
    """Split on top-level ``;`` (not inside quotes or comments), unwrap statement-set
    blocks, classify each statement; raise ``InvalidSql`` for a malformed block."""
    lines = _LineIndex(script)
    result: list[Statement] = []
    in_set: Statement | None = None  # the BEGIN that opened the current block
    for start, end in _raw_statements(script):
        text = script[start:end]
        line, column = lines.position(start)
        if match := _EXECUTE_SET.match(text):
            if in_set is not None:
                raise InvalidSql("statement sets cannot be nested", line=line, column=column)
            in_set = _statement(text, line, column)
            start = _skip_trivia(script, start + match.end(), end)
            if start == end:
                continue
            text = script[start:end]
            line, column = lines.position(start)
        elif _BEGIN_SET.match(text):
            if in_set is not None:
                raise InvalidSql("statement sets cannot be nested", line=line, column=column)
            in_set = _statement(text, line, column)
            continue
        elif _END.match(text):
            if in_set is None:
                raise InvalidSql("END without a statement set to close", line=line, column=column)
            in_set = None
            continue
        statement = _statement(text, line, column)
        if in_set is not None and statement.kind is not StatementKind.INSERT:
            raise InvalidSql(
                "only INSERT statements are allowed inside a statement set",
                line=line,
                column=column,
            )
        result.append(statement)
    if in_set is not None:
        raise InvalidSql(
            "statement set is not closed with END;", line=in_set.line, column=in_set.column
        )
    return result


def to_script_position(statement: Statement, line: int, column: int) -> tuple[int, int]:
    """Map a (line, column) inside ``statement`` to the same place in the whole script."""
    if line <= 1:
        return statement.line, statement.column + column - 1
    return statement.line + line - 1, column


def map_positions(message: str, line: int, column: int) -> tuple[str, int | None, int | None]:
    """Rewrite every ``line L, column C`` in a Flink message, where positions are relative
    to a statement starting at (line, column), to script positions. Returns the new
    message and the first mapped position (None when the message carries none)."""
    anchor = Statement(text="", line=line, column=column, kind=StatementKind.SQL)
    first: tuple[int, int] | None = None

    def rewrite(match: re.Match[str]) -> str:
        nonlocal first
        mapped = to_script_position(anchor, int(match.group(2)), int(match.group(4)))
        if first is None:
            first = mapped
        return f"{match.group(1)} {mapped[0]}, {match.group(3)} {mapped[1]}"

    text = _POSITION.sub(rewrite, message)
    if first is None:
        return text, None, None
    return text, first[0], first[1]


# --------------------------------------------------------------------------- helpers


def _statement(text: str, line: int, column: int) -> Statement:
    word = _FIRST_WORD.match(text)
    first = word.group(0).upper() if word else ""
    if first == "SET":
        match = _SET.match(text)
        if match is None:
            raise InvalidSql(
                "SET needs a key and a value: SET 'key' = 'value'", line=line, column=column
            )
        key = _unquote(match.group("qkey"), match.group("key"))
        value = _unquote(match.group("qvalue"), match.group("value"))
        return Statement(text, line, column, StatementKind.SET, key=key, value=value)
    if first == "RESET":
        match = _RESET.match(text)
        if match is None:
            raise InvalidSql("RESET needs a key: RESET 'key'", line=line, column=column)
        key = _unquote(match.group("qkey"), match.group("key"))
        return Statement(text, line, column, StatementKind.RESET, key=key)
    if first == "INSERT":
        return Statement(text, line, column, StatementKind.INSERT)
    if first in {"SELECT", "WITH", "VALUES"}:
        # executeSql would start a collect job nobody reads; say what to write instead.
        raise InvalidSql(
            "a query alone cannot be deployed; write its result with INSERT INTO <table>",
            line=line,
            column=column,
        )
    return Statement(text, line, column, StatementKind.SQL)


def _unquote(quoted: str | None, bare: str | None) -> str:
    if quoted is not None:
        return quoted.replace("''", "'")
    return (bare or "").strip()


def _raw_statements(script: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every non-empty statement: start at its first token, end before
    its ``;`` with trailing whitespace dropped."""
    n = len(script)
    i = _skip_trivia(script, 0, n)
    start = i
    while i < n:
        ch = script[i]
        if ch in "'\"`":
            i = _skip_quoted(script, i, ch)
        elif script.startswith("--", i):
            i = _line_end(script, i)
        elif script.startswith("/*", i):
            i = _block_end(script, i)
        elif ch == ";":
            if (end := len(script[start:i].rstrip()) + start) > start:
                yield start, end
            i = _skip_trivia(script, i + 1, n)
            start = i
        else:
            i += 1
    # A last statement without ';' counts; a trailing comment alone does not.
    if start < n and (end := len(script[start:n].rstrip()) + start) > start:
        yield start, end


def _skip_trivia(script: str, i: int, end: int) -> int:
    """First index at or after ``i`` that is neither whitespace nor inside a comment."""
    while i < end:
        if script[i].isspace():
            i += 1
        elif script.startswith("--", i):
            i = _line_end(script, i)
        elif script.startswith("/*", i):
            i = _block_end(script, i)
        else:
            break
    return min(i, end)


def _skip_quoted(script: str, i: int, quote: str) -> int:
    # SQL escapes a quote by doubling it, so '' inside a literal does not close it.
    i += 1
    while i < len(script):
        if script[i] == quote:
            if script.startswith(quote, i + 1):
                i += 2
                continue
            return i + 1
        i += 1
    return i


def _line_end(script: str, i: int) -> int:
    newline = script.find("\n", i)
    return len(script) if newline < 0 else newline + 1


def _block_end(script: str, i: int) -> int:
    close = script.find("*/", i + 2)
    return len(script) if close < 0 else close + 2


class _LineIndex:
    """Offsets of line starts, to turn a character offset into (line, column)."""

    def __init__(self, script: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", script)]

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1


def split_raw(script: str) -> list[tuple[str, int, int]]:
    """Every statement of ``script`` as (text, line, column), unclassified: for
    interactive SQL, where a query is the point (``split_statements`` refuses one)."""
    lines = _LineIndex(script)
    return [(script[s:e], *lines.position(s)) for s, e in _raw_statements(script)]
