"""Where a dialect's requests carry their (workspace, namespace): the scope resolver.

Each dialect lists, for the workspace and for the namespace, the places to look in order
(the first one present wins): a path parameter, a header, a query parameter or a field of
the JSON body. The native dialect reads the ``workspace`` header and the ``{namespace}``
path parameter (``namespace`` query parameter for FlinkApiProxy); Volcengine sends
``ProjectId`` in the JSON body of a POST; DLI has ``/v1.0/{project_id}/...`` and
``X-Project-Id``. RBAC, the audit log and the handlers all use the one resolved scope
(``api.dialect.routing.resolved_scope`` caches it per request).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from starlette.requests import Request

from millstream.control.context import Scope

__all__ = [
    "ScopeResolver",
    "ScopeSource",
    "SourceKind",
    "header",
    "json_field",
    "path_param",
    "query_param",
]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SourceKind(StrEnum):
    PATH = "path"
    HEADER = "header"
    QUERY = "query"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class ScopeSource:
    """One place a value may be: ``path_param("namespace")``, ``json_field("ProjectId")``."""

    kind: SourceKind
    name: str

    async def read(self, request: Request) -> str | None:
        """The value there, or None when absent or empty."""
        value: Any
        if self.kind is SourceKind.PATH:
            value = request.path_params.get(self.name)
        elif self.kind is SourceKind.HEADER:
            value = request.headers.get(self.name)
        elif self.kind is SourceKind.QUERY:
            value = request.query_params.get(self.name)
        else:
            value = await _json_value(request, self.name)
        if isinstance(value, bool) or not isinstance(value, str | int):
            return None
        text = str(value)
        return text or None


def path_param(name: str) -> ScopeSource:
    return ScopeSource(SourceKind.PATH, name)


def header(name: str) -> ScopeSource:
    return ScopeSource(SourceKind.HEADER, name)


def query_param(name: str) -> ScopeSource:
    return ScopeSource(SourceKind.QUERY, name)


def json_field(name: str) -> ScopeSource:
    """A top-level field of a JSON object body (dots name nested fields: ``a.b``)."""
    return ScopeSource(SourceKind.JSON, name)


async def _json_value(request: Request, dotted: str) -> Any:
    if request.method.upper() not in _BODY_METHODS:
        return None
    body = await request.body()  # Starlette caches it: the handler still reads it
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        value: Any = json.loads(body)
    except (ValueError, RecursionError):
        # Malformed or absurdly nested: the route's own body validation answers it.
        return None
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


async def _first(request: Request, sources: Sequence[ScopeSource]) -> str | None:
    for source in sources:
        value = await source.read(request)
        if value is not None:
            return value
    return None


@dataclass(frozen=True, slots=True)
class ScopeResolver:
    """``ScopeResolver(namespace=(path_param("namespace"),), workspace=(header("workspace"),))``."""

    namespace: tuple[ScopeSource, ...]
    workspace: tuple[ScopeSource, ...] = ()

    async def resolve(self, request: Request, *, default_workspace: str) -> Scope | None:
        """The request's scope; None when it names no namespace (an unscoped operation)."""
        namespace = await _first(request, self.namespace)
        if namespace is None:
            return None
        workspace = await _first(request, self.workspace)
        return Scope(workspace=workspace or default_workspace, namespace=namespace)
