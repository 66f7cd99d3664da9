"""``millstream health show|set|off DEPLOYMENT``: a deployment's health and its health
policy (restart limits, checkpoint stall, idle sources, auto restart, rollback to the
last stable spec), over the native API's health extension."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from millstream.cli.options import OutputOpt
from millstream.cli.output import render
from millstream.cli.resolve import resolve_deployment
from millstream.cli.state import state_of
from millstream.domain.errors import InvalidInput
from millstream.domain.savepoint_schedules import parse_duration

__all__ = ["register"]

health_app = typer.Typer(
    help="Show a deployment's health; set or remove its health policy (restart limits, "
    "auto restart, rollback)."
)

Deployment = Annotated[str, typer.Argument(help="Deployment name or id.")]


@health_app.command("show")
def show(ctx: typer.Context, deployment: Deployment, output: OutputOpt = None) -> None:
    """The deployment's health (HEALTHY, UNHEALTHY with the reason, UNKNOWN), the last
    stable spec and the policy."""
    state = state_of(ctx)
    client = state.client()
    target = resolve_deployment(client, deployment)
    render(state, client.get_deployment_health(target.deployment_id or ""), output)


@health_app.command("set")
def set_policy(
    ctx: typer.Context,
    deployment: Deployment,
    max_restarts: Annotated[
        int | None,
        typer.Option("--max-restarts", min=0, max=1000, help="Unhealthy above this many restarts."),
    ] = None,
    window: Annotated[
        str, typer.Option("--window", help="Window the restarts are counted in: 10m.")
    ] = "10m",
    checkpoint_stall: Annotated[
        str | None,
        typer.Option("--checkpoint-stall", help="Unhealthy after no checkpoint for this: 5m."),
    ] = None,
    source_idle: Annotated[
        str | None,
        typer.Option("--source-idle", help="Unhealthy after sources read nothing for this."),
    ] = None,
    auto_restart: Annotated[
        bool,
        typer.Option("--auto-restart", help="Restart an unhealthy job from its latest state."),
    ] = False,
    rollback: Annotated[
        bool,
        typer.Option("--rollback", help="Roll a new spec back if it is not stable in time."),
    ] = False,
    readiness_timeout: Annotated[
        str, typer.Option("--readiness-timeout", help="How long a new spec may take: 5m.")
    ] = "5m",
    stable_period: Annotated[
        str, typer.Option("--stable-period", help="Healthy this long makes a spec stable: 1m.")
    ] = "1m",
    output: OutputOpt = None,
) -> None:
    """Set (replace) the deployment's health policy."""
    body = _policy_body(
        max_restarts,
        window,
        checkpoint_stall,
        source_idle,
        auto_restart,
        rollback,
        readiness_timeout,
        stable_period,
    )
    state = state_of(ctx)
    client = state.client()
    target = resolve_deployment(client, deployment)
    shown = client.put_health_policy(target.deployment_id or "", body)
    state.err().print(f"Health policy of {target.name} set")
    render(state, shown, output)


@health_app.command("off")
def off(ctx: typer.Context, deployment: Deployment) -> None:
    """Stop checking the deployment's health."""
    state = state_of(ctx)
    client = state.client()
    target = resolve_deployment(client, deployment)
    client.delete_health_policy(target.deployment_id or "")
    state.err().print(f"Health checks of {target.name} are off")


def _policy_body(
    max_restarts: int | None,
    window: str,
    checkpoint_stall: str | None,
    source_idle: str | None,
    auto_restart: bool,
    rollback: bool,
    readiness_timeout: str,
    stable_period: str,
) -> dict[str, Any]:
    """The PutHealthPolicy body; malformed durations are usage errors."""
    try:
        return {
            "maxRestarts": max_restarts,
            "restartWindowSeconds": parse_duration(window),
            "checkpointStallSeconds": parse_duration(checkpoint_stall)
            if checkpoint_stall
            else None,
            "sourceIdleSeconds": parse_duration(source_idle) if source_idle else None,
            "autoRestart": auto_restart,
            "rollback": rollback,
            "readinessTimeoutSeconds": parse_duration(readiness_timeout),
            "stablePeriodSeconds": parse_duration(stable_period),
        }
    except InvalidInput as exc:
        raise typer.BadParameter(exc.message) from None


def register(app: typer.Typer) -> None:
    app.add_typer(health_app, name="health")
