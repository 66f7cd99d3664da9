"""``millstream deployments list|get|delete``."""

from __future__ import annotations

from typing import Annotated

import typer

from millstream.cli.options import OutputOpt
from millstream.cli.output import render
from millstream.cli.resolve import resolve_deployment
from millstream.cli.state import state_of

__all__ = ["YesOpt", "register"]

deployments_app = typer.Typer(help="List, show and delete deployments.")

RefArg = Annotated[str, typer.Argument(help="Deployment name or id.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


@deployments_app.command("list")
def list_(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="Only this name.")] = None,
    output: OutputOpt = None,
) -> None:
    """List deployments of the namespace."""
    state = state_of(ctx)
    render(state, state.client().list_deployments(name=name).items, output)


@deployments_app.command("get")
def get(ctx: typer.Context, ref: RefArg, output: OutputOpt = None) -> None:
    """Show one deployment."""
    state = state_of(ctx)
    render(state, resolve_deployment(state.client(), ref), output)


@deployments_app.command("delete")
def delete(ctx: typer.Context, ref: RefArg, yes: YesOpt = False) -> None:
    """Delete a deployment (it must have no live job)."""
    state = state_of(ctx)
    client = state.client()
    deployment = resolve_deployment(client, ref)
    if not yes:
        typer.confirm(
            f"Delete deployment {deployment.name} ({deployment.deployment_id})?", abort=True
        )
    client.delete_deployment(deployment.deployment_id or "")
    state.err().print(f"Deleted deployment {deployment.name}")


def register(app: typer.Typer) -> None:
    app.add_typer(deployments_app, name="deployments")
