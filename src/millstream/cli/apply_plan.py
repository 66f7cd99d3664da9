"""The plan of a declarative apply: what to create, update, leave or delete. Pure.

``commands/apply.py`` reads the file (``apply_documents``) and the server's deployments,
calls ``make_plan`` and prints or executes the result. Comparison rules, which make a
second apply of the same file a no-op:

- only fields the file sets are compared; a field left out stays as the server has it;
- nested objects (``artifact``, ``streamingResourceSetting``) are compared field by field,
  ``flinkConf``, ``labels`` and lists as a whole (the server replaces them whole);
- every applied deployment carries the label ``millstream.io/managed-by: apply``; with
  prune, deployments carrying it (and the ``--selector`` labels) but absent from the file
  are deleted — unless a job of theirs is live, then the deletion is blocked.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from millstream.cli.apply_documents import (
    MANAGED_BY,
    MANAGED_BY_VALUE,
    ApplyFileError,
    DesiredDeployment,
)

__all__ = [
    "Action",
    "Change",
    "FieldChange",
    "Plan",
    "desired_spec",
    "field_changes",
    "make_plan",
    "matches",
]

_WHOLE = frozenset({"flinkConf", "labels"})
# What a hot update (savepoint + restart, ``millstream hot-update``) can bring to a job.
_HOT = frozenset({"flinkConf", "streamingResourceSetting.basicResourceSetting.parallelism"})


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DELETE = "delete"


@dataclass(frozen=True)
class FieldChange:
    path: str  # wire names joined by dots, e.g. streamingResourceSetting.basicResourceSetting
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    """One deployment's step; ``spec`` is what create/update sends (wire names)."""

    action: Action
    name: str
    deployment_id: str | None = None
    spec: dict[str, Any] | None = None
    fields: tuple[FieldChange, ...] = ()
    live_jobs: tuple[str, ...] = ()  # "<job id> (<STATE>)"
    resource_version: int | None = None

    @property
    def blocked(self) -> bool:
        """A deletion that needs ``--force``: the deployment has a live job."""
        return self.action is Action.DELETE and bool(self.live_jobs)

    @property
    def hot_updatable(self) -> bool:
        """An update that only changes parallelism and Flink configuration."""
        return self.action is Action.UPDATE and all(diff.path in _HOT for diff in self.fields)


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...] = field(default_factory=tuple)

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action is action)

    @property
    def changed(self) -> int:
        return len(self.changes) - self.count(Action.UNCHANGED)

    @property
    def blocked(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.blocked)

    def summary(self) -> dict[str, int]:
        return {action.value: self.count(action) for action in Action}


def desired_spec(desired: DesiredDeployment) -> dict[str, Any]:
    """The file's spec plus the managed-by label that marks it as applied."""
    labels = {**(desired.spec.get("labels") or {}), MANAGED_BY: MANAGED_BY_VALUE}
    return {**desired.spec, "labels": labels}


def field_changes(
    want: Mapping[str, Any], have: Mapping[str, Any], prefix: str = ""
) -> list[FieldChange]:
    """Differences on the fields ``want`` sets, with their old and new values."""
    found: list[FieldChange] = []
    for key, new in want.items():
        path = f"{prefix}{key}"
        old = have.get(key)
        if isinstance(new, Mapping) and isinstance(old, Mapping) and key not in _WHOLE:
            found.extend(field_changes(new, old, path + "."))
        elif new != old:
            found.append(FieldChange(path, old, new))
    return found


def matches(labels: Mapping[str, Any] | None, selector: Mapping[str, str]) -> bool:
    """Whether labels carry every ``key=value`` of the selector."""
    have = labels or {}
    return all(key in have and str(have[key]) == value for key, value in selector.items())


def _unique(desired: Iterable[DesiredDeployment]) -> dict[str, DesiredDeployment]:
    by_name: dict[str, DesiredDeployment] = {}
    for item in desired:
        if item.name in by_name:
            raise ApplyFileError(
                f"{item.source}: deployment {item.name!r} is also defined in "
                f"{by_name[item.name].source}"
            )
        by_name[item.name] = item
    return by_name


def make_plan(
    desired: Sequence[DesiredDeployment],
    current: Sequence[Mapping[str, Any]],
    *,
    prune: bool = False,
    selector: Mapping[str, str] | None = None,
    live_jobs: Mapping[str, Sequence[str]] | None = None,
) -> Plan:
    """Steps that make ``current`` (server deployments, wire dicts) match ``desired``.

    Only desired deployments matching ``selector`` count (as ``kubectl apply -l``);
    ``live_jobs`` (by deployment name) marks updates of running deployments and blocks
    deletions.
    """
    selector = dict(selector or {})
    live = live_jobs or {}
    wanted = {
        name: item
        for name, item in _unique(desired).items()
        if matches(desired_spec(item).get("labels"), selector)
    }
    existing = {str(dep.get("name")): dep for dep in current}
    changes: list[Change] = []
    for name, item in wanted.items():
        spec = desired_spec(item)
        have = existing.get(name)
        if have is None:
            changes.append(Change(Action.CREATE, name, spec=spec))
            continue
        diffs = tuple(field_changes(spec, have))
        changes.append(
            Change(
                Action.UPDATE if diffs else Action.UNCHANGED,
                name,
                deployment_id=have.get("deploymentId"),
                spec=spec,
                fields=diffs,
                live_jobs=tuple(live.get(name, ())),
                resource_version=have.get("resourceVersion"),
            )
        )
    if prune:
        managed = {MANAGED_BY: MANAGED_BY_VALUE, **selector}
        for name, have in sorted(existing.items()):
            if name not in wanted and matches(have.get("labels"), managed):
                changes.append(
                    Change(
                        Action.DELETE,
                        name,
                        deployment_id=have.get("deploymentId"),
                        live_jobs=tuple(live.get(name, ())),
                    )
                )
    return Plan(tuple(changes))
