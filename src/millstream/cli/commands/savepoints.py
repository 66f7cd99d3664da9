"""``millstream savepoint DEPLOYMENT`` and ``savepoints list|get|delete|schedule``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from millstream.cli.commands.deployments import YesOpt
from millstream.cli.options import OutputOpt, TimeoutOpt, WaitOpt
from millstream.cli.output import render
from millstream.cli.progress import wait_savepoint
from millstream.cli.resolve import resolve_deployment
from millstream.cli.state import state_of
from millstream.domain.errors import InvalidInput
from millstream.domain.savepoint_schedules import format_duration, parse_blackout, parse_duration

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


@savepoints_app.command("schedule")
def schedule(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="Deployment name or id.")],
    every: Annotated[
        str | None, typer.Option("--every", help="Interval: 90s, 15m, 1h, 1d.")
    ] = None,
    cron: Annotated[
        str | None, typer.Option("--cron", help="Cron expression, e.g. '0 * * * *'.")
    ] = None,
    keep: Annotated[
        int | None, typer.Option("--keep", min=1, help="Keep at most this many savepoints.")
    ] = None,
    max_age: Annotated[
        str | None, typer.Option("--max-age", help="Delete savepoints older than this: 7d.")
    ] = None,
    blackout: Annotated[
        list[str] | None,
        typer.Option("--blackout", help="Daily HH:MM-HH:MM with no savepoint (repeatable)."),
    ] = None,
    timezone: Annotated[
        str, typer.Option("--timezone", help="Time zone of --cron and --blackout.")
    ] = "UTC",
    show: Annotated[bool, typer.Option("--show", help="Show the schedule.")] = False,
    off: Annotated[bool, typer.Option("--off", help="Remove the schedule.")] = False,
    output: OutputOpt = None,
) -> None:
    """Take savepoints periodically (--every or --cron), with retention (--keep,
    --max-age) and blackout windows; --show shows the schedule, --off removes it."""
    if show and off:
        raise typer.BadParameter("use --show or --off, not both")
    body: dict[str, Any] | None = None
    if not (show or off):
        if (every is None) == (cron is None):
            raise typer.BadParameter("give exactly one of --every and --cron")
        body = _schedule_body(every, cron, keep, max_age, blackout or [], timezone)
    state = state_of(ctx)
    client = state.client()
    target = resolve_deployment(client, deployment)
    deployment_id = target.deployment_id or ""
    if off:
        client.delete_savepoint_schedule(deployment_id)
        state.err().print(f"Periodic savepoints of {target.name} are off")
        return
    if body is not None:
        client.put_savepoint_schedule(deployment_id, body)
        state.err().print(f"Periodic savepoints of {target.name} scheduled")
    shown = client.get_savepoint_schedule(deployment_id)
    if isinstance(shown.get("intervalSeconds"), int):
        shown["every"] = format_duration(shown["intervalSeconds"])  # 3600 -> 1h
    render(state, shown, output)


def _schedule_body(
    every: str | None,
    cron: str | None,
    keep: int | None,
    max_age: str | None,
    blackouts: list[str],
    timezone: str,
) -> dict[str, Any]:
    """The PutSavepointSchedule body; malformed durations and windows are usage errors."""
    try:
        windows = [str(parse_blackout(text)) for text in blackouts]
        return {
            "intervalSeconds": parse_duration(every) if every is not None else None,
            "cron": cron,
            "timezone": timezone,
            "maxCount": keep,
            "maxAgeSeconds": parse_duration(max_age) if max_age is not None else None,
            "blackouts": windows,
        }
    except InvalidInput as exc:
        raise typer.BadParameter(exc.message) from None


def register(app: typer.Typer) -> None:
    app.command()(savepoint)
    app.add_typer(savepoints_app, name="savepoints")
