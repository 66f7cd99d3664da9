"""Client operations of periodic savepoints, a Millstream extension of the native API
(``GetSavepointSchedule``, ``PutSavepointSchedule``, ``DeleteSavepointSchedule``).

Values like those of ``client.operations``; ``MillstreamClient`` sends them. A schedule is
the plain wire dict (``intervalSeconds`` or ``cron``, ``timezone``, ``maxCount``,
``maxAgeSeconds``, ``blackouts``, and on reads ``nextDueAt``, ``lastTriggeredAt``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from millstream.client.envelopes import data_of as _data
from millstream.client.envelopes import nothing as _nothing
from millstream.client.operations import Operation

__all__ = [
    "delete_savepoint_schedule",
    "get_savepoint_schedule",
    "put_savepoint_schedule",
]


def _path(namespace: str, deployment_id: str) -> str:
    return (
        f"/api/v2/namespaces/{quote(namespace, safe='')}/deployments/"
        f"{quote(deployment_id, safe='')}/savepoint-schedule"
    )


def get_savepoint_schedule(namespace: str, deployment_id: str) -> Operation[dict[str, Any]]:
    return Operation("GetSavepointSchedule", "GET", _path(namespace, deployment_id), _data)


def put_savepoint_schedule(
    namespace: str, deployment_id: str, schedule: dict[str, Any]
) -> Operation[dict[str, Any]]:
    path = _path(namespace, deployment_id)
    return Operation("PutSavepointSchedule", "PUT", path, _data, body=schedule)


def delete_savepoint_schedule(namespace: str, deployment_id: str) -> Operation[None]:
    return Operation("DeleteSavepointSchedule", "DELETE", _path(namespace, deployment_id), _nothing)
