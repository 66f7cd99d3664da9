"""``millstream up`` (run the server) and ``millstream status`` (is it up?)."""

from __future__ import annotations

import contextlib
import importlib
from pathlib import Path
from typing import Annotated, Any

import typer

from millstream.cli.exit_codes import ExitCode
from millstream.cli.options import OutputOpt
from millstream.cli.output import render
from millstream.cli.state import state_of
from millstream.client import NotFoundError, TransportError
from millstream.server_logging import LogFormat, LogLevel

__all__ = ["register"]


def up(
    demo: Annotated[
        bool, typer.Option("--demo", help="Also create a demo deployment to play with.")
    ] = False,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to listen on.")] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where the server keeps its state.")
    ] = None,
    log_format: Annotated[
        LogFormat,
        typer.Option("--log-format", help="Log lines as text, or as JSON for log shippers."),
    ] = LogFormat.TEXT,
    log_level: Annotated[
        LogLevel,
        typer.Option(
            "--log-level", help="Least severe level logged; debug adds HTTP traffic and polls."
        ),
    ] = LogLevel.INFO,
    summary: Annotated[
        bool,
        typer.Option(
            "--summary/--no-summary",
            help="A live one-line summary (jobs, clusters) under the log, on a terminal.",
        ),
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="API processes sharing the port (one more process runs the reconciler "
            "and Flink when above 1).",
        ),
    ] = 1,
) -> None:
    """Run the Millstream server with an embedded Flink, in the foreground (Ctrl-C stops it)."""
    # Imported here, not at the top: the CLI must work with only the client installed,
    # and the server's imports (FastAPI, SQLAlchemy, Flink) are slow.
    server_module: Any = importlib.import_module("millstream.server")
    server_module.serve(
        demo=demo,
        host=host,
        port=port,
        data_dir=data_dir,
        log_format=log_format,
        log_level=log_level,
        summary=summary,
        workers=workers,
    )


def status(ctx: typer.Context, output: OutputOpt = None) -> None:
    """Show whether the server is up (exit code 6 when it cannot be reached)."""
    state = state_of(ctx)
    client = state.client()
    try:
        health = client.health()
    except TransportError as exc:
        state.err().print(f"[red]down:[/red] {exc}", highlight=False)
        raise typer.Exit(int(ExitCode.UNREACHABLE)) from exc
    info: dict[str, Any] = {"url": client.config.url, "health": health.get("status", "ok")}
    # A server without the status endpoint: its health is all we know.
    with contextlib.suppress(NotFoundError):
        info.update(client.server_status())
    render(state, info, output)


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(status)
