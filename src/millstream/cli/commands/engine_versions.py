"""``millstream engine-versions``: the Flink engine versions the server can run."""

from __future__ import annotations

import typer

from millstream.cli.options import OutputOpt
from millstream.cli.output import render
from millstream.cli.state import OutputFormat, state_of

__all__ = ["register"]


def engine_versions(ctx: typer.Context, output: OutputOpt = None) -> None:
    """List engine versions; the default one is marked."""
    state = state_of(ctx)
    index = state.client().list_engine_versions()
    if state.format(output) is not OutputFormat.TABLE:
        render(state, index, output)
        return
    default = index.default_engine_version
    render(
        state,
        index.engine_version_metadata,
        output,
        columns=[
            ("ENGINE VERSION", lambda v: v.engine_version),
            ("RUNS ON FLINK", lambda v: v.flink_version),
            ("STATUS", lambda v: v.status),
            ("DEFAULT", lambda v: "*" if v.engine_version == default else ""),
        ],
    )


def register(app: typer.Typer) -> None:
    app.command("engine-versions")(engine_versions)
