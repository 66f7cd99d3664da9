"""Native alert rules and alerts, a Millstream extension (the Ververica SDK has no such
operation), served by ``services.alerts``:

- ``POST /api/v2/namespaces/{namespace}/alert-rules`` (CreateAlertRule),
  ``GET .../alert-rules`` (ListAlertRules), ``GET``/``DELETE .../alert-rules/{name}``
  (GetAlertRule, DeleteAlertRule);
- ``GET /api/v2/namespaces/{namespace}/alerts`` (ListAlerts): the firing alerts
  (``?includePending=true`` adds those still within their ``forSeconds``).

The wire (camelCase, the native envelope): ``name``, ``kind`` (``job_failed``,
``job_state_is``, ``restarts_over``, ``checkpoint_failures_over``, ``backpressure_over``,
``throughput_below``, ``source_lag_over``, ``unhealthy``: the deployment's health
check), ``threshold``, ``state``, ``windowSeconds``,
``forSeconds``, ``deploymentName``, ``labels``, ``enabled`` and ``webhook``: ``url``,
``format`` (``generic``, ``slack``, ``dingtalk``, ``feishu``) and ``secret`` (the
DingTalk/Feishu signing secret: write-only, a read says ``hasSecret``). A read shows the
webhook URL masked (scheme, host and the last four characters): Slack, DingTalk and Feishu
put the hook's token in its path or query, and every reader of the namespace may list rules.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from millstream.api.dialect import RequestContext
from millstream.api.native.params import NAMESPACE
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.control.services.alerts import AlertService
from millstream.domain.alerts import (
    MAX_WINDOW_SECONDS,
    AlertKind,
    AlertRule,
    AlertState,
    ChannelFormat,
    Condition,
)

__all__ = ["CreateAlertRuleBody", "WebhookBody", "alert_to_wire", "router", "rule_to_wire"]

router = native_router()

_RULES = NAMESPACE + "/alert-rules"
_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
RuleName = Annotated[str, Path(min_length=1, max_length=128, pattern=_NAME_PATTERN)]
_Label = Annotated[str, Field(min_length=1, max_length=128)]


class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class WebhookBody(_Body):
    url: Annotated[str, Field(min_length=1, max_length=2048, pattern=r"^[hH][tT][tT][pP][sS]?://")]
    format: ChannelFormat = ChannelFormat.GENERIC
    secret: Annotated[str | None, Field(min_length=1, max_length=512)] = None


class CreateAlertRuleBody(_Body):
    """A new rule; unknown fields are a 400."""

    name: Annotated[str, Field(min_length=1, max_length=128, pattern=_NAME_PATTERN)]
    kind: AlertKind
    threshold: Annotated[float | None, Field(ge=0, le=1e15, allow_inf_nan=False)] = None
    state: Annotated[str | None, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z_]+$")] = None
    window_seconds: Annotated[int | None, Field(ge=1, le=MAX_WINDOW_SECONDS)] = None
    for_seconds: Annotated[int, Field(ge=0, le=MAX_WINDOW_SECONDS)] = 0
    deployment_name: Annotated[str | None, Field(min_length=1, max_length=128)] = None
    labels: Annotated[dict[_Label, _Label], Field(max_length=32)] = Field(default_factory=dict)
    webhook: WebhookBody
    enabled: bool = True


def rule_to_wire(rule: AlertRule) -> dict[str, Any]:
    condition = rule.condition
    return {
        "id": rule.id,
        "name": rule.name,
        "namespace": rule.namespace,
        "kind": condition.kind.value,
        "threshold": condition.threshold,
        "state": condition.state,
        "windowSeconds": condition.window_seconds,
        "forSeconds": condition.for_seconds,
        "deploymentName": rule.selector.deployment_name,
        "labels": dict(rule.selector.labels),
        "webhook": {
            "url": masked_url(rule.channel.url),
            "format": rule.channel.format.value,
            "hasSecret": rule.channel.secret_ciphertext is not None,
        },
        "enabled": rule.enabled,
        "creator": rule.creator,
        "createdAt": _iso(rule.created_at),
        "modifiedAt": _iso(rule.modified_at),
    }


def masked_url(url: str) -> str:
    """``https://hooks.slack.com/…WXYZ``: who can read rules learns where alerts go, not
    the token the URL carries."""
    scheme, _, rest = url.partition("://")
    host, sep, tail = rest.partition("/")
    if "?" in host:
        host, _, query = host.partition("?")
        tail, sep = "?" + query, "/"
    if not sep or not tail:
        return url
    return f"{scheme}://{host}/…{tail[-4:]}" if len(tail) > 8 else f"{scheme}://{host}/…"


def alert_to_wire(state: AlertState, rules: dict[str, str]) -> dict[str, Any]:
    return {
        "fingerprint": state.fingerprint,
        "ruleName": rules.get(state.rule_id),
        "status": state.status.value,
        "deploymentId": state.deployment_id,
        "deploymentName": state.deployment_name,
        "summary": state.summary,
        "value": state.value,
        "firingSince": _iso(state.firing_since),
        "lastSentAt": _iso(state.last_sent_at),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _alerts(ctx: RequestContext) -> AlertService:
    if ctx.services.alerts is None:
        raise not_enabled("alerts")
    return ctx.services.alerts


@router.post(_RULES, name="CreateAlertRule")
def create_alert_rule(ctx: Ctx, body: CreateAlertRuleBody) -> JSONResponse:
    rule = _alerts(ctx).create(
        ctx.scope,
        ctx.actor,
        body.name,
        condition=Condition(
            kind=body.kind,
            threshold=body.threshold,
            state=body.state.upper() if body.state else None,
            window_seconds=body.window_seconds,
            for_seconds=body.for_seconds,
        ),
        url=body.webhook.url,
        fmt=body.webhook.format,
        secret=body.webhook.secret,
        deployment_name=body.deployment_name,
        labels=body.labels,
        enabled=body.enabled,
    )
    return ok(ctx, rule_to_wire(rule))


@router.get(_RULES, name="ListAlertRules")
def list_alert_rules(ctx: Ctx) -> JSONResponse:
    return ok(ctx, [rule_to_wire(rule) for rule in _alerts(ctx).rules(ctx.scope)])


@router.get(_RULES + "/{name}", name="GetAlertRule")
def get_alert_rule(ctx: Ctx, name: RuleName) -> JSONResponse:
    return ok(ctx, rule_to_wire(_alerts(ctx).get(ctx.scope, name)))


@router.delete(_RULES + "/{name}", name="DeleteAlertRule")
def delete_alert_rule(ctx: Ctx, name: RuleName) -> JSONResponse:
    _alerts(ctx).delete(ctx.scope, name)
    return ok(ctx)


@router.get(NAMESPACE + "/alerts", name="ListAlerts")
def list_alerts(
    ctx: Ctx,
    include_pending: Annotated[bool, Query(alias="includePending")] = False,
) -> JSONResponse:
    service = _alerts(ctx)
    names = {rule.id: rule.name for rule in service.rules(ctx.scope)}
    states = service.alerts(ctx.scope, include_pending=include_pending)
    return ok(ctx, [alert_to_wire(state, names) for state in states])
