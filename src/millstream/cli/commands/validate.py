"""``millstream validate FILE.sql``: Flink's verdict, with a caret under the bad spot.

Exit code 0 when valid, 1 when Flink rejects the script, so it fits in CI and
pre-commit hooks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from millstream.cli.exit_codes import ExitCode
from millstream.cli.options import OutputOpt
from millstream.cli.output import render
from millstream.cli.state import OutputFormat, state_of
from millstream.client import SqlValidation

__all__ = ["caret_report", "register", "verdict"]


def caret_report(source: str, name: str, result: SqlValidation) -> str:
    """``file:line:col: error: message`` plus the line and a caret under the column."""
    details = result.error_details
    message = (details.message if details else None) or result.message or "invalid SQL"
    line = details.line if details else None
    column = details.column if details else None
    if line is None:
        return f"{name}: error: {message}"
    location = f"{name}:{line}:{column}" if column is not None else f"{name}:{line}"
    report = [f"{location}: error: {message}"]
    lines = source.splitlines()
    if 1 <= line <= len(lines):
        gutter = f"{line:>4} | "
        report.append(f"{gutter}{lines[line - 1]}")
        if column is not None and column >= 1:
            report.append(" " * (len(gutter) - 2) + "| " + " " * (column - 1) + "^")
    return "\n".join(report)


def verdict(name: str, result: SqlValidation) -> dict[str, Any]:
    """What ``-o json|yaml`` prints: ``valid`` and, when invalid, where (numbers).

    Not the wire's ``success``, which only says the validation request itself worked."""
    details = result.error_details
    report: dict[str, Any] = {
        "file": name,
        "valid": result.valid,
        "validationResult": result.validation_result,
    }
    if not result.valid:
        report["message"] = (details.message if details else None) or result.message
        report["lineNumber"] = details.line if details else None
        report["columnNumber"] = details.column if details else None
    return report


def validate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="SQL script.")],
    engine_version: Annotated[
        str | None, typer.Option("--engine-version", help="Validate for this engine version.")
    ] = None,
    batch: Annotated[bool, typer.Option("--batch", help="Validate in batch mode.")] = False,
    output: OutputOpt = None,
) -> None:
    """Validate a Flink SQL script (exit code 1 when invalid)."""
    state = state_of(ctx)
    source = file.read_text(encoding="utf-8")
    result = state.client().validate_sql(source, engine_version=engine_version, batch=batch)
    if state.format(output) is not OutputFormat.TABLE:
        render(state, verdict(str(file), result), output)
    elif result.valid:
        state.out().print(f"[green]valid[/green] {file} ({result.validation_result or 'ok'})")
    else:
        typer.echo(caret_report(source, str(file), result))
    if not result.valid:
        raise typer.Exit(int(ExitCode.ERROR))


def register(app: typer.Typer) -> None:
    app.command()(validate)
