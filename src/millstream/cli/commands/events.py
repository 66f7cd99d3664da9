"""``millstream events``: what happened to deployments and jobs, newest as the server orders."""

from __future__ import annotations

from typing import Annotated

import typer

from millstream.cli.options import OutputOpt
from millstream.cli.output import render
from millstream.cli.resolve import resolve_deployment
from millstream.cli.state import state_of

__all__ = ["register"]


def events(
    ctx: typer.Context,
    deployment: Annotated[
        str | None, typer.Option("--deployment", "-d", help="Deployment name or id.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    output: OutputOpt = None,
) -> None:
    """List events of the namespace or of one deployment."""
    state = state_of(ctx)
    client = state.client()
    deployment_id = resolve_deployment(client, deployment).deployment_id if deployment else None
    page = client.get_events(deployment_id=deployment_id, page_size=limit)
    render(state, page.items, output)


def register(app: typer.Typer) -> None:
    app.command()(events)
