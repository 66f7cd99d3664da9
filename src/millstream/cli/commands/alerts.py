"""``millstream alerts list`` and ``millstream alerts rules create|list|delete``: alert
rules of the namespace (a condition on its jobs, delivered to a webhook) and the alerts
firing now. A DingTalk/Feishu signing secret is write-only; pass ``--secret -`` to read it
from stdin and keep it out of shell history.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any, cast

import typer

from millstream.cli.commands.deployments import YesOpt
from millstream.cli.options import OutputOpt
from millstream.cli.output import Column, render, when
from millstream.cli.state import state_of

__all__ = ["register"]

alerts_app = typer.Typer(help="List firing alerts; create, list and delete alert rules.")
rules_app = typer.Typer(help="Create, list and delete alert rules.")
alerts_app.add_typer(rules_app, name="rules")


class Kind(StrEnum):
    JOB_FAILED = "job_failed"
    JOB_STATE_IS = "job_state_is"
    RESTARTS_OVER = "restarts_over"
    CHECKPOINT_FAILURES_OVER = "checkpoint_failures_over"
    BACKPRESSURE_OVER = "backpressure_over"
    THROUGHPUT_BELOW = "throughput_below"
    SOURCE_LAG_OVER = "source_lag_over"
    UNHEALTHY = "unhealthy"


class Format(StrEnum):
    GENERIC = "generic"
    SLACK = "slack"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"


_RULE_COLUMNS: list[Column] = [
    ("NAME", lambda r: r.get("name")),
    ("KIND", lambda r: r.get("kind")),
    ("CONDITION", lambda r: _condition(r)),
    ("DEPLOYMENTS", lambda r: _selector(r)),
    ("WEBHOOK", lambda r: (r.get("webhook") or {}).get("format")),
    ("ENABLED", lambda r: r.get("enabled")),
]
_ALERT_COLUMNS: list[Column] = [
    ("RULE", lambda a: a.get("ruleName")),
    ("STATUS", lambda a: a.get("status")),
    ("DEPLOYMENT", lambda a: a.get("deploymentName")),
    ("SINCE", lambda a: when(a.get("firingSince"))),
    ("SUMMARY", lambda a: a.get("summary")),
]


def _condition(rule: dict[str, Any]) -> str:
    parts = []
    if rule.get("state"):
        parts.append(f"state={rule['state']}")
    if rule.get("threshold") is not None:
        parts.append(f"threshold={rule['threshold']:g}")
    if rule.get("windowSeconds"):
        parts.append(f"window={rule['windowSeconds']}s")
    if rule.get("forSeconds"):
        parts.append(f"for={rule['forSeconds']}s")
    return " ".join(parts) or "-"


def _selector(rule: dict[str, Any]) -> str:
    parts = [f"name={rule['deploymentName']}"] if rule.get("deploymentName") else []
    parts += [f"{k}={v}" for k, v in sorted((rule.get("labels") or {}).items())]
    return " ".join(parts) or "all"


def _labels(values: list[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{value!r} is not KEY=VALUE", param_hint="--label")
        labels[key] = text
    return labels


@rules_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Rule name (unique in the namespace).")],
    kind: Annotated[Kind, typer.Option("--kind", help="What to watch.")],
    webhook: Annotated[str, typer.Option("--webhook", help="Webhook URL (http or https).")],
    fmt: Annotated[Format, typer.Option("--format", help="Payload shape.")] = Format.GENERIC,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Restarts, failed checkpoints, backpressure ratio (0-1), records/s or "
            "pending records.",
        ),
    ] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="Job state for job_state_is (e.g. RESTARTING).")
    ] = None,
    window: Annotated[
        int | None, typer.Option("--window", help="Seconds restarts are counted over.")
    ] = None,
    for_: Annotated[
        int, typer.Option("--for", help="Seconds the condition must hold before it fires.")
    ] = 0,
    deployment: Annotated[
        str | None, typer.Option("--deployment", help="Only the deployment of this name.")
    ] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="Only deployments with KEY=VALUE.")
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option("--secret", help="DingTalk/Feishu signing secret, or '-' for stdin."),
    ] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create it switched off.")] = False,
    output: OutputOpt = None,
) -> None:
    """Create an alert rule."""
    cli = state_of(ctx)
    if secret == "-":
        secret = sys.stdin.read().rstrip("\n")
    body: dict[str, Any] = {
        "name": name,
        "kind": kind.value,
        "threshold": threshold,
        "state": state,
        "windowSeconds": window,
        "forSeconds": for_,
        "deploymentName": deployment,
        "labels": _labels(label or []),
        "webhook": {"url": webhook, "format": fmt.value, "secret": secret or None},
        "enabled": not disabled,
    }
    rule = cli.client().create_alert_rule(body)
    cli.err().print(f"Created alert rule {name}")
    render(cli, rule, output)


@rules_app.command("list")
def list_rules(ctx: typer.Context, output: OutputOpt = None) -> None:
    """List the namespace's alert rules."""
    cli = state_of(ctx)
    render(cli, cast(Any, cli.client().list_alert_rules()), output, columns=_RULE_COLUMNS)


@rules_app.command("delete")
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Rule name.")],
    yes: YesOpt = False,
) -> None:
    """Delete an alert rule (its firing alerts go without a resolve message)."""
    cli = state_of(ctx)
    if not yes:
        typer.confirm(f"Delete alert rule {name}?", abort=True)
    cli.client().delete_alert_rule(name)
    cli.err().print(f"Deleted alert rule {name}")


@alerts_app.command("list")
def list_alerts(
    ctx: typer.Context,
    pending: Annotated[
        bool, typer.Option("--pending", help="Also alerts still waiting out --for.")
    ] = False,
    output: OutputOpt = None,
) -> None:
    """List the namespace's firing alerts."""
    cli = state_of(ctx)
    alerts = cli.client().list_alerts(include_pending=pending)
    render(cli, cast(Any, alerts), output, columns=_ALERT_COLUMNS)


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
