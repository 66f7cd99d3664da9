"""TaskManagers of a local cluster: their role names and what Flink says about their slots.

``LocalCluster.scale`` names new TaskManagers with ``new_roles`` and asks
``read_taskmanagers`` (Flink's ``GET /taskmanagers``) which ones are idle before stopping
any; ``FlinkProbe`` answers the control side's ``TaskManagerProbe`` with it. A
TaskManager's Flink resource id is its role (``processes.launch``), so the entries Flink
reports name our processes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import httpx

from millstream.domain.clusters import TaskManagerSlots
from millstream.engine.rest import translate_errors

__all__ = ["TASKMANAGER_PREFIX", "new_roles", "read_taskmanagers", "role_number"]

TASKMANAGER_PREFIX = "taskmanager-"
_ROLE = re.compile(rf"{TASKMANAGER_PREFIX}(\d+)")


def role_number(role: str) -> int | None:
    found = _ROLE.fullmatch(role)
    return int(found.group(1)) if found else None


def new_roles(existing: Iterable[str], count: int) -> list[str]:
    """``count`` TaskManager roles not in ``existing``, the lowest free numbers first."""
    taken = {n for n in map(role_number, existing) if n is not None}
    roles: list[str] = []
    number = 0
    while len(roles) < count:
        if number not in taken:
            roles.append(f"{TASKMANAGER_PREFIX}{number}")
        number += 1
    return roles


def read_taskmanagers(
    rest_url: str, *, timeout: float, transport: httpx.BaseTransport | None = None
) -> list[TaskManagerSlots]:
    """``GET /taskmanagers``: every registered TaskManager's id, slots and free slots;
    ``EngineUnavailable`` when Flink does not answer."""
    path = "/taskmanagers"
    with (
        httpx.Client(base_url=rest_url.rstrip("/"), timeout=timeout, transport=transport) as http,
        translate_errors("GET", path),
    ):
        response = http.get(path)
        response.raise_for_status()
        answer: Any = response.json()
    rows = answer.get("taskmanagers") if isinstance(answer, dict) else None
    found = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and "id" in row:
            slots = _int(row.get("slotsNumber"))
            found.append(TaskManagerSlots(str(row["id"]), slots, _int(row.get("freeSlots"))))
    return found


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
