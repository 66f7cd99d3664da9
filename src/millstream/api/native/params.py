"""Path prefixes and the typed parameters the native route modules share."""

from typing import Annotated

from fastapi import Header, Path, Query

__all__ = [
    "NAMESPACE",
    "Identifier",
    "Namespace",
    "PageIndex",
    "PageSize",
    "Workspace",
]

# Every namespaced native operation lives under this path.
NAMESPACE = "/api/v2/namespaces/{namespace}"

PageIndex = Annotated[int, Query(alias="pageIndex", ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=100)]
Identifier = Annotated[str, Path(min_length=1, max_length=256)]
# Declared by handlers so the OpenAPI schema and validation see them; the scope itself
# comes from ``ctx.scope`` (the dialect's resolver), never from these values.
Namespace = Annotated[str, Path(min_length=1, max_length=128)]
Workspace = Annotated[str | None, Header()]
