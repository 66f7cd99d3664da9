"""How ``millstream plans`` and ``millstream lineage`` read and show things: the
``--change`` mini-language of a scheduled plan, table columns, and lineage as a tree.
No I/O, so unit tests call these directly.

A change is ``[WHEN] HH:MM KEY=VALUE...`` in UTC: WHEN is ``daily`` (the default),
weekdays (``mon,fri``) or days of the month (``1,15``); or an ISO time
(``2026-12-24T10:00Z``) alone for a one-off. Keys: ``parallelism=N`` and ``conf.KEY=V``
(a Flink configuration entry).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import typer

from millstream.cli.output import Column, when
from millstream.client import Lineage, ScheduledPlan, ScheduleLevel, SchedulingPolicy

__all__ = [
    "EXECUTION_COLUMNS",
    "PLAN_COLUMNS",
    "describe_policy",
    "lineage_tree",
    "parse_change",
]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _bad(change: str, why: str) -> typer.BadParameter:
    return typer.BadParameter(f"{change!r}: {why}", param_hint="--change")


def _once(change: str, text: str) -> int:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise _bad(change, f"{text!r} is not an ISO time like 2026-12-24T10:00Z") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _day(word: str) -> int:
    """1 for ``mon``/``monday`` ... 7 for ``sun``; 0 for anything else."""
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return next((i + 1 for i, name in enumerate(names) if name.startswith(word)), 0)


def _when(change: str, text: str) -> tuple[ScheduleLevel, list[int]]:
    words = [w.strip().lower() for w in text.split(",") if w.strip()]
    if words in (["daily"], ["day"]):
        return ScheduleLevel.DAY, []
    if words and all(len(w) >= 3 and _day(w) for w in words):
        return ScheduleLevel.WEEK, sorted({_day(w) for w in words})
    if words and all(w.isdigit() and 1 <= int(w) <= 31 for w in words):
        return ScheduleLevel.MONTH, sorted({int(w) for w in words})
    raise _bad(change, f"{text!r} is not daily, weekdays (mon,fri) or days of the month (1,15)")


def _resources(change: str, assignments: list[str]) -> dict[str, Any]:
    conf: dict[str, str] = {}
    setting: dict[str, Any] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not value:
            raise _bad(change, f"{item!r} is not KEY=VALUE")
        if key == "parallelism":
            if not value.isdigit() or int(value) < 1:
                raise _bad(change, "parallelism is a whole number of at least 1")
            setting["streamingResourceSetting"] = {
                "resourceSettingMode": "BASIC",
                "basicResourceSetting": {"parallelism": int(value)},
            }
        elif key.startswith("conf.") and len(key) > 5:
            conf[key[5:]] = value
        else:
            raise _bad(change, f"unknown key {key!r}; use parallelism=N or conf.KEY=VALUE")
    if not setting and not conf:
        raise _bad(change, "say what changes: parallelism=N and/or conf.KEY=VALUE")
    if conf:
        setting["flinkConf"] = conf
    return setting


def parse_change(change: str) -> SchedulingPolicy:
    """One ``--change`` as the SDK's ``PeriodicSchedulingPolicy``."""
    tokens = change.split()
    if not tokens:
        raise _bad(change, "empty")
    first = tokens[0]
    if "T" in first.upper() and "-" in first:
        return SchedulingPolicy(
            only_once_trigger_time=_once(change, first),
            resource_setting=_resources(change, tokens[1:]),
        )
    level = ScheduleLevel.DAY
    values: list[int] = []
    if not _TIME.match(first):
        level, values = _when(change, first)
        tokens = tokens[1:]
    match = _TIME.match(tokens[0]) if tokens else None
    if match is None:
        raise _bad(change, "needs a time of day HH:MM (UTC)")
    at = (int(match.group(1)) * 60 + int(match.group(2))) * 60_000
    return SchedulingPolicy(
        periodic_scheduling_level=level,
        periodic_scheduling_values=values,
        periodic_trigger_time=at,
        resource_setting=_resources(change, tokens[1:]),
    )


def describe_policy(policy: SchedulingPolicy) -> str:
    """A policy back in ``--change`` words: ``mon,fri 20:00 parallelism=2``."""
    setting = policy.resource_setting or {}
    basic = (setting.get("streamingResourceSetting") or {}).get("basicResourceSetting") or {}
    what = [f"parallelism={basic['parallelism']}"] if basic.get("parallelism") else []
    what += [f"conf.{k}={v}" for k, v in sorted((setting.get("flinkConf") or {}).items())]
    if policy.only_once_trigger_time is not None and policy.periodic_scheduling_level is None:
        return " ".join([when(policy.only_once_trigger_time), *what])
    minutes = (policy.periodic_trigger_time or 0) // 60_000
    clock = f"{minutes // 60:02d}:{minutes % 60:02d}"
    values = policy.periodic_scheduling_values or []
    level = policy.periodic_scheduling_level
    if level is ScheduleLevel.WEEK:
        days = ",".join(_DAYS[v - 1] for v in values if 1 <= v <= 7)
    elif level is ScheduleLevel.MONTH:
        days = ",".join(str(v) for v in values)
    else:
        days = "daily"
    return " ".join([days, clock, *what])


def _policies(plan: ScheduledPlan) -> str:
    return "; ".join(describe_policy(p) for p in plan.periodic_scheduling_policies or [])


PLAN_COLUMNS: list[Column] = [
    ("NAME", lambda p: p.name),
    ("ID", lambda p: p.scheduled_plan_id),
    ("DEPLOYMENT", lambda p: p.deployment_id),
    ("STATUS", lambda p: p.status),
    ("CHANGES (UTC)", _policies),
    ("MODIFIED", lambda p: when(p.modified_at)),
]
EXECUTION_COLUMNS: list[Column] = [
    ("TIME", lambda e: when(e.created_at)),
    ("PLAN", lambda e: e.name),
    ("STATUS", lambda e: e.state),
    ("BOUNDARY", lambda e: when(e.boundary_at)),
    ("JOB", lambda e: e.origin_job_id),
    ("HOT UPDATE", lambda e: e.hot_update_id),
    ("MESSAGE", lambda e: e.message),
]


def _table(lineage: Lineage, table_id: str | None) -> str:
    for node in lineage.nodes or []:
        if node.id == table_id:
            return f"{table_id} ({node.connector})" if node.connector else str(table_id)
    return str(table_id)


def lineage_tree(lineage: Lineage, *, columns: bool = False) -> str:
    """Each deployment with the tables it reads and writes (and, with ``columns``, which
    column feeds which), as an indented tree; ``no lineage`` when there is none."""
    reads: dict[str | None, list[str]] = defaultdict(list)
    writes: dict[str | None, list[str]] = defaultdict(list)
    for edge in lineage.table_edges:
        if edge.source not in reads[edge.job_id]:
            reads[edge.job_id].append(edge.source or "")
        if edge.destination not in writes[edge.job_id]:
            writes[edge.job_id].append(edge.destination or "")
    flows: dict[str | None, list[str]] = defaultdict(list)
    for edge in lineage.column_edges if columns else []:
        flows[edge.job_id].append(f"{edge.source} -> {edge.destination}")
    jobs = list(dict.fromkeys([*reads, *writes]))
    if not jobs:
        return "no lineage"
    lines: list[str] = []
    for job in jobs:
        lines.append(f"deployment {lineage.deployment_name(job)} ({job})")
        branches = [f"reads  {_table(lineage, t)}" for t in reads[job]]
        branches += [f"writes {_table(lineage, t)}" for t in writes[job]]
        branches += [f"column {flow}" for flow in flows[job]]
        for index, branch in enumerate(branches):
            lines.append(("└── " if index == len(branches) - 1 else "├── ") + branch)
    return "\n".join(lines)
