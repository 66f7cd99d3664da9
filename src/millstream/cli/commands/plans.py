"""``millstream plans``: scheduled plans, time-of-day resource changes of a deployment
(``--change "mon,fri 08:00 parallelism=8"``, UTC) applied by a savepoint and restart at
each boundary while the plan is applied; ``history`` lists every boundary applied.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

import typer
import yaml

from millstream.cli.commands.deployments import YesOpt
from millstream.cli.exit_codes import ExitCode
from millstream.cli.options import OutputOpt
from millstream.cli.output import Column, render, when
from millstream.cli.plan_views import EXECUTION_COLUMNS, PLAN_COLUMNS, parse_change
from millstream.cli.resolve import resolve_deployment
from millstream.cli.state import CliState, state_of
from millstream.client import MillstreamClient, ScheduledPlan, SchedulingPolicy

__all__ = ["register"]

plans_app = typer.Typer(
    help="List, create, apply, stop and delete scheduled plans; show what they applied."
)

PlanArg = Annotated[str, typer.Argument(help="Plan id or name.")]
DeploymentArg = Annotated[str, typer.Argument(help="Deployment name or id.")]
_APPLIED_COLUMNS: list[Column] = [
    ("PLAN", lambda a: a.scheduled_plan_name),
    ("ID", lambda a: a.scheduled_plan_id),
    ("DEPLOYMENT", lambda a: a.deployment_id),
    ("STATE", lambda a: a.status_state),
    ("MODIFIED", lambda a: when(a.modified_at)),
]


def _all(client: MillstreamClient, deployment_id: str | None = None) -> list[ScheduledPlan]:
    items: list[ScheduledPlan] = []
    page_index = 1
    while True:
        page = client.list_scheduled_plans(
            deployment_id=deployment_id, page_index=page_index, page_size=100
        )
        items += page.items
        if len(page.items) < 100:
            return items
        page_index += 1


def _resolve(client: MillstreamClient, ref: str) -> ScheduledPlan:
    found = [p for p in _all(client) if ref in (p.scheduled_plan_id, p.name)]
    if len(found) > 1:
        ids = ", ".join(p.scheduled_plan_id or "" for p in found)
        raise typer.BadParameter(f"{len(found)} plans are named {ref!r} ({ids}); give an id")
    if not found:
        CliState.err().print(f"[red]error:[/red] no scheduled plan {ref!r}", highlight=False)
        raise typer.Exit(int(ExitCode.NOT_FOUND))
    return found[0]


def _policies(changes: list[str] | None, file: Path | None) -> list[SchedulingPolicy]:
    policies = [parse_change(c) for c in changes or []]
    if file is not None:
        loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            loaded = loaded.get("periodicSchedulingPolicies")
        if not isinstance(loaded, list) or not all(isinstance(p, dict) for p in loaded):
            raise typer.BadParameter(
                "a list of PeriodicSchedulingPolicy objects (or a ScheduledPlan)",
                param_hint="--file",
            )
        policies += [SchedulingPolicy.model_validate(p) for p in loaded]
    return policies


ChangeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--change",
        help="'[daily|mon,fri|1,15] HH:MM parallelism=N conf.KEY=V' (UTC) or "
        "'2026-12-24T10:00Z parallelism=N' (repeatable).",
    ),
]
FileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file", exists=True, dir_okay=False, help="Policies as SDK JSON/YAML (wire names)."
    ),
]


@plans_app.command("list")
def list_plans(
    ctx: typer.Context,
    deployment: Annotated[
        str | None, typer.Argument(help="Only this deployment's (name or id).")
    ] = None,
    output: OutputOpt = None,
) -> None:
    """List scheduled plans, with their changes in --change words."""
    cli = state_of(ctx)
    client = cli.client()
    target = resolve_deployment(client, deployment).deployment_id if deployment else None
    render(cli, cast(Any, _all(client, target)), output, columns=PLAN_COLUMNS)


@plans_app.command("create")
def create(
    ctx: typer.Context,
    deployment: DeploymentArg,
    name: Annotated[str, typer.Argument(help="Plan name.")],
    change: ChangeOpt = None,
    file: FileOpt = None,
    apply: Annotated[bool, typer.Option("--apply", help="Apply it at once.")] = False,
    output: OutputOpt = None,
) -> None:
    """Create a scheduled plan for a deployment (not applied unless --apply)."""
    cli = state_of(ctx)
    policies = _policies(change, file)
    if not policies:
        raise typer.BadParameter("a plan needs at least one change", param_hint="--change")
    client = cli.client()
    target = resolve_deployment(client, deployment)
    plan = client.create_scheduled_plan(target.deployment_id or "", name, policies)
    cli.err().print(f"Created scheduled plan {plan.name} ({plan.scheduled_plan_id})")
    if apply:
        client.apply_scheduled_plan(plan.scheduled_plan_id or "")
        cli.err().print(f"Applied scheduled plan {plan.name}")
        plan = _resolve(client, plan.scheduled_plan_id or "")
    render(cli, plan, output, columns=PLAN_COLUMNS)


@plans_app.command("update")
def update(
    ctx: typer.Context,
    plan: PlanArg,
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    change: ChangeOpt = None,
    file: FileOpt = None,
    output: OutputOpt = None,
) -> None:
    """Rename a plan or replace its changes (given --change/--file)."""
    cli = state_of(ctx)
    policies = _policies(change, file) if change or file else None
    client = cli.client()
    found = _resolve(client, plan)
    updated = client.update_scheduled_plan(
        found.scheduled_plan_id or "", name=name, policies=policies
    )
    render(cli, updated, output, columns=PLAN_COLUMNS)


@plans_app.command("apply")
def apply_plan(ctx: typer.Context, plan: PlanArg, output: OutputOpt = None) -> None:
    """Apply a plan: its changes happen at their times from now on."""
    cli = state_of(ctx)
    client = cli.client()
    applied = client.apply_scheduled_plan(_resolve(client, plan).scheduled_plan_id or "")
    render(cli, applied, output, columns=_APPLIED_COLUMNS)


@plans_app.command("stop")
def stop_plan(ctx: typer.Context, plan: PlanArg, output: OutputOpt = None) -> None:
    """Stop applying a plan (the job keeps the resources it has)."""
    cli = state_of(ctx)
    client = cli.client()
    stopped = client.stop_scheduled_plan(_resolve(client, plan).scheduled_plan_id or "")
    render(cli, stopped, output, columns=_APPLIED_COLUMNS)


@plans_app.command("delete")
def delete(ctx: typer.Context, plan: PlanArg, yes: YesOpt = False) -> None:
    """Delete a scheduled plan."""
    cli = state_of(ctx)
    client = cli.client()
    found = _resolve(client, plan)
    if not yes:
        typer.confirm(f"Delete scheduled plan {found.name}?", abort=True)
    client.delete_scheduled_plan(found.scheduled_plan_id or "")
    cli.err().print(f"Deleted scheduled plan {found.name}")


@plans_app.command("history")
def history(ctx: typer.Context, deployment: DeploymentArg, output: OutputOpt = None) -> None:
    """The boundaries plans applied to a deployment, with their outcome."""
    cli = state_of(ctx)
    client = cli.client()
    target = resolve_deployment(client, deployment)
    done = client.list_scheduled_plan_history(target.deployment_id or "")
    render(cli, cast(Any, done), output, columns=EXECUTION_COLUMNS)


def register(app: typer.Typer) -> None:
    app.add_typer(plans_app, name="plans")
