"""``millstream lineage [DEPLOYMENT | --table T]``: which tables a SQL deployment reads
and writes (and which column feeds which, with ``--columns``), from Flink's plan, as a
tree; ``-o json|yaml`` prints the SDK's ``LineageInfo``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from millstream.cli.options import OutputOpt
from millstream.cli.output import render
from millstream.cli.plan_views import lineage_tree
from millstream.cli.resolve import resolve_deployment
from millstream.cli.state import OutputFormat, state_of
from millstream.client import LineageDirection

__all__ = ["register"]


def lineage(
    ctx: typer.Context,
    deployment: Annotated[
        str | None, typer.Argument(help="Deployment name or id (or use --table).")
    ] = None,
    table: Annotated[
        str | None, typer.Option("--table", help="A table: catalog.database.table.")
    ] = None,
    direction: Annotated[
        LineageDirection, typer.Option("--direction", case_sensitive=False, help="Which way.")
    ] = LineageDirection.BOTH,
    depth: Annotated[int, typer.Option("--depth", min=1, max=10, help="Table hops to follow.")] = 1,
    columns: Annotated[bool, typer.Option("--columns", help="Also column-level lineage.")] = False,
    output: OutputOpt = None,
) -> None:
    """Show table (and column) lineage of a deployment or around a table."""
    if (deployment is None) == (table is None):
        raise typer.BadParameter("give a DEPLOYMENT or --table, not both or neither")
    cli = state_of(ctx)
    client = cli.client()
    target = resolve_deployment(client, deployment).deployment_id if deployment else None
    found = client.get_lineage(
        deployment_id=target,
        table=table,
        direction=direction,
        depth=depth,
        column_level=columns or cli.format(output) is not OutputFormat.TABLE,
    )
    if cli.format(output) is not OutputFormat.TABLE:
        render(cli, found, output)
    else:
        typer.echo(lineage_tree(found, columns=columns))


def register(app: typer.Typer) -> None:
    app.command()(lineage)
