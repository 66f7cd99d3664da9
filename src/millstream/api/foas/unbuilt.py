"""The documented foas operations this server does not serve yet: each answers
501 ``NotImplemented`` in the foas envelope (after the caller is authenticated), never a
404, so an SDK user learns which operation is missing rather than a bare "not found".

``UNBUILT`` lists them with the method and path of ``aliyun-python-sdk-foas``
(``spec/ops/foas-2018-11-11.tsv``) and, where it is known, why (``REASONS``); building
one means moving it from this table to a module of its own (the autoscale operations
moved to ``autoscale``). ``CreateCellClusterOrder`` (buying capacity) will stay here: it
has no meaning for a self-hosted installation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Response

from millstream.api.dialect import Context
from millstream.api.foas.errors import not_implemented
from millstream.api.foas.routing import foas_router

__all__ = ["REASONS", "UNBUILT", "router"]

router = foas_router()

UNBUILT: tuple[tuple[str, str, str], ...] = (
    ("POST", "/api/v2/realtime-compute/cell/buy", "CreateCellClusterOrder"),
)

REASONS: dict[str, str] = {
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
