"""The documented foas operations this server does not serve yet: each answers
501 ``NotImplemented`` in the foas envelope (after the caller is authenticated), never a
404, so an SDK user learns which operation is missing rather than a bare "not found".

``UNBUILT`` lists them with the method and path of ``aliyun-python-sdk-foas``
(``spec/ops/foas-2018-11-11.tsv``) and, where it is known, why (``REASONS``); building
one means moving it from this table to a module of its own. ``CreateCellClusterOrder``
(buying capacity) will stay here: it has no meaning for a self-hosted installation. The
four autoscale operations stay here while Millstream has no autoscaler: answering the
job's current resources as an "autoscale plan", or accepting ``autoscale.enable`` that
nothing acts on, would be a fake success.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Response

from millstream.api.dialect import Context
from millstream.api.foas.errors import not_implemented
from millstream.api.foas.routing import JOB, foas_router

__all__ = ["REASONS", "UNBUILT", "router"]

router = foas_router()

UNBUILT: tuple[tuple[str, str, str], ...] = (
    ("GET", JOB + "/autoscale/latestplanjson", "GetJobLatestAutoScalePlan"),
    ("PUT", JOB + "/instance/{instanceId}/autoscale/config", "UpdateAutoScaleConfig"),
    (
        "GET",
        JOB + "/instance/{instanceId}/autoscale/plancontent",
        "GetInstanceHistoryAutoScalePlanContent",
    ),
    (
        "GET",
        JOB + "/instance/{instanceId}/autoscale/planlist",
        "GetInstanceHistoryAutoScalePlanList",
    ),
    ("POST", "/api/v2/realtime-compute/cell/buy", "CreateCellClusterOrder"),
)


_NO_AUTOSCALER = (
    "Millstream has no autoscaler: a job runs with the parallelism and resources its "
    "configuration sets (change them with UpdateJob and restart the instance); "
    "CommitJob's AutoScale settings are recorded and shown, never applied"
)

REASONS: dict[str, str] = {
    "GetJobLatestAutoScalePlan": _NO_AUTOSCALER,
    "UpdateAutoScaleConfig": _NO_AUTOSCALER,
    "GetInstanceHistoryAutoScalePlanContent": _NO_AUTOSCALER,
    "GetInstanceHistoryAutoScalePlanList": _NO_AUTOSCALER,
    "CreateCellClusterOrder": (
        "a self-hosted installation buys no capacity: start a session cluster "
        "(CreateCluster) or size the installation's Flink instead"
    ),
}


def _refuse(operation: str) -> Callable[[Context], Awaitable[Response]]:
    async def endpoint(ctx: Context) -> Response:  # noqa: ARG001 (authenticated first)
        raise not_implemented(operation, REASONS.get(operation))

    return endpoint


for _method, _path, _operation in UNBUILT:
    router.add_api_route(_path, _refuse(_operation), methods=[_method], name=_operation)
