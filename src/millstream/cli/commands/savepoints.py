"""``millstream savepoint DEPLOYMENT`` and ``savepoints list|get|delete``."""

from __future__ import annotations

from typing import Annotated

import typer

from millstream.cli.commands.deployments import YesOpt
from millstream.cli.options import OutputOpt, TimeoutOpt, WaitOpt
from millstream.cli.output import render
from millstream.cli.progress import wait_savepoint
from millstream.cli.resolve import resolve_deployment
from millstream.cli.state import state_of

__all__ = ["register"]

savepoints_app = typer.Typer(help="List, show and delete savepoints.")


def savepoint(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="Deployment name or id (its running job).")],
    description: Annotated[str | None, typer.Option("--description", help="A note.")] = None,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = None,
) -> None:
    """Take a savepoint of a deployment's running job (wait for it with --wait)."""
    state = state_of(ctx)
    client = state.client()
    target = resolve_deployment(client, deployment)
    taken = client.create_savepoint(target.deployment_id or "", description=description)
    state.err().print(f"Savepoint {taken.savepoint_id} requested for {target.name}")
    if wait:
        taken = wait_savepoint(state, client, taken.savepoint_id or "", timeout)
    render(state, taken, output)


@savepoints_app.command("list")
def list_(
    ctx: typer.Context,
    deployment: Annotated[
        str | None, typer.Option("--deployment", "-d", help="Deployment name or id.")
    ] = None,
    job: Annotated[str | None, typer.Option("--job", help="Job id.")] = None,
    output: OutputOpt = None,
) -> None:
    """List savepoints (and retained checkpoints), optionally of one deployment or job."""
    state = state_of(ctx)
    client = state.client()
    deployment_id = resolve_deployment(client, deployment).deployment_id if deployment else None
    render(state, client.list_savepoints(deployment_id=deployment_id, job_id=job).items, output)


@savepoints_app.command("get")
def get(
    ctx: typer.Context,
    savepoint_id: Annotated[str, typer.Argument(help="Savepoint id.")],
    output: OutputOpt = None,
) -> None:
    """Show one savepoint."""
    state = state_of(ctx)
    render(state, state.client().get_savepoint(savepoint_id), output)


@savepoints_app.command("delete")
def delete(
    ctx: typer.Context,
    savepoint_id: Annotated[str, typer.Argument(help="Savepoint id.")],
    yes: YesOpt = False,
) -> None:
    """Delete a savepoint and its files (refused while a live job depends on it)."""
    state = state_of(ctx)
    if not yes:
        typer.confirm(f"Delete savepoint {savepoint_id} and its files?", abort=True)
    state.client().delete_savepoint(savepoint_id)
    state.err().print(f"Deleted savepoint {savepoint_id}")


def register(app: typer.Typer) -> None:
    app.command()(savepoint)
    app.add_typer(savepoints_app, name="savepoints")
