"""The ``millstream`` app (entry point ``millstream.cli.main:app``).

Global options fill a ``CliState``; each command family registers itself from
``commands/``. Client errors are turned into a message on stderr and an exit code in
one place, ``_ErrorMappingGroup.invoke``, so commands never catch them.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from millstream.cli.commands import (
    artifacts,
    deploy,
    deployments,
    diagnosis,
    engine_versions,
    events,
    hot_updates,
    jobs,
    keys,
    queues,
    runtimes,
    savepoints,
    server,
    validate,
    variables,
)
from millstream.cli.exit_codes import EXIT_CODES_HELP, exit_code_for
from millstream.cli.state import CliState, OutputFormat, state_of
from millstream.client import MillstreamClientError

__all__ = ["app"]


class _ErrorMappingGroup(TyperGroup):
    """Runs every subcommand; maps client errors to a stderr message and an exit code."""

    # ctx is Typer's (vendored) click Context; Any avoids naming a private module.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except MillstreamClientError as exc:
            CliState.err().print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(int(exit_code_for(exc))) from exc


app = typer.Typer(
    name="millstream",
    cls=_ErrorMappingGroup,
    no_args_is_help=True,
    help=f"Millstream: a control plane for Apache Flink.\n\n{EXIT_CODES_HELP}",
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option("--url", help="Server URL (env MILLSTREAM_URL).")
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="Profile in the credentials file (env MILLSTREAM_PROFILE)."),
    ] = None,
    workspace: Annotated[
        str | None, typer.Option("--workspace", help="Workspace (env MILLSTREAM_WORKSPACE).")
    ] = None,
    namespace: Annotated[
        str | None, typer.Option("--namespace", help="Namespace (env MILLSTREAM_NAMESPACE).")
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="Output format.")
    ] = OutputFormat.TABLE,
) -> None:
    state = state_of(ctx)
    state.url, state.profile = url, profile
    state.workspace, state.namespace = workspace, namespace
    state.output = output
    ctx.call_on_close(state.close)


for _module in (
    server,
    deploy,
    deployments,
    jobs,
    hot_updates,
    diagnosis,
    savepoints,
    artifacts,
    variables,
    events,
    validate,
    keys,
    engine_versions,
    queues,
    runtimes,
):
    _module.register(app)
