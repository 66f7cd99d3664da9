"""SQL validation results in Ververica's shape: the kind of a valid script, or Flink's
rejection with the line and column it reported."""

from __future__ import annotations

from collections.abc import Sequence

from millstream.api.native import schemas
from millstream.domain.errors import InvalidInput, InvalidSql

__all__ = ["sql_invalid_to_wire", "sql_valid_to_wire"]


_DDL = frozenset({"CREATE", "DROP", "ALTER"})


def _statement_kind(statement: str) -> str:
    """Ververica's validationResult for a valid script, from its statements' verbs."""
    verbs: Sequence[str] = [
        part.split(maxsplit=1)[0].upper() for part in statement.split(";") if part.strip()
    ]
    if any(verb in {"INSERT", "EXECUTE", "BEGIN"} for verb in verbs):
        return "VALIDATION_RESULT_VALID_INSERT_QUERY"
    if any(verb in {"SELECT", "WITH"} for verb in verbs):
        return "VALIDATION_RESULT_VALID_SELECT_QUERY"
    if verbs and all(verb in _DDL for verb in verbs):
        return "VALIDATION_RESULT_VALID_DDL_STATEMENT"
    return "VALIDATION_RESULT_VALID_COMMAND_STATEMENT"


def sql_valid_to_wire(statement: str) -> schemas.SqlStatementValidationResult:
    return schemas.SqlStatementValidationResult(
        success=True, message="", validation_result=_statement_kind(statement)
    )


def sql_invalid_to_wire(error: InvalidInput) -> schemas.SqlStatementValidationResult:
    """Flink's rejection with the line/column it reported (strings, as the SDK types them)."""
    line = column = None
    if isinstance(error, InvalidSql):
        line, column = error.line, error.column
    return schemas.SqlStatementValidationResult(
        success=True,  # the validation ran; the statement is what failed (ververica sample)
        message=error.message,
        validation_result="VALIDATION_RESULT_INVALID",
        error_details=schemas.ValidationErrorDetails(
            line_number=None if line is None else str(line),
            column_number=None if column is None else str(column),
            end_line_number=None,
            end_column_number=None,
            message=error.message,
        ),
    )
