"""Option types shared by several commands (Typer ``Annotated`` aliases)."""

from __future__ import annotations

from typing import Annotated

import typer

from millstream.cli.state import OutputFormat

__all__ = ["OutputOpt", "TimeoutOpt", "WaitOpt"]

# Accepted after the command too (``savepoints list -o json``), not only globally.
OutputOpt = Annotated[
    OutputFormat | None,
    typer.Option("--output", "-o", help="Output format (default: the global one, table)."),
]
WaitOpt = Annotated[bool, typer.Option("--wait", help="Wait until done, with a progress display.")]
TimeoutOpt = Annotated[
    float, typer.Option("--timeout", help="Seconds to wait before giving up (exit code 5).")
]
