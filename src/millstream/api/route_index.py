"""Route lookup by path segments in front of FastAPI's routing, for an app of many routes.

FastAPI matches a request by asking every route in turn, through every included router
(twice per level: once to match, once to handle). With four dialects that is several
hundred regular expressions and scope rewrites per request, a quarter of the CPU of a
signed GetJob. ``index_routes(app)`` puts a segment trie in front: the request's path
selects the few routes whose literal segments it has, those are asked in FastAPI's own
order, and the first full match is handled exactly as FastAPI's router would handle it
(its effective route: prefix, router dependencies, path parameters, ``scope["route"]``).

The index only narrows where FastAPI would look; it never decides alone. A path whose
first matching candidate is not a FastAPI route (a mount, a plain route), or that no
route matches fully (only with another method, or not at all) goes through FastAPI's own
routing unchanged, so 404, 405, redirects and mounts behave as before. Routes the app
gets after the first request rebuild the index (an included router is complete before
it is included). On a FastAPI without the routing internals
it relies on, the app keeps FastAPI's routing (``index_routes`` returns False).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["index_routes"]

_log = logging.getLogger(__name__)

try:  # FastAPI's routing internals (>= 0.140): included routers and effective routes.
    from fastapi.routing import (
        _FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY,
        APIRoute,
        _EffectiveRouteContext,
        _get_fastapi_scope,
        _IncludedRouter,
        _update_scope,
    )

    _SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the installed FastAPI
    _SUPPORTED = False

try:
    from fastapi.telemetry._api import _route_selected
except ImportError:  # pragma: no cover - depends on the installed FastAPI

    def _route_selected(
        *, scope: MutableMapping[str, Any], path: str | None, mount: bool = False
    ) -> None:
        del scope, path, mount


@dataclass
class _Node:
    """Routes by their next path segment: a literal one, or a ``{parameter}``."""

    literal: dict[str, _Node] = field(default_factory=dict)
    parameter: _Node | None = None
    ends_here: list[int] = field(default_factory=list)  # positions of routes ending here


def _leaves(routes: list[BaseRoute]) -> Iterator[Any]:
    """Every route in the order FastAPI tries them, included routers expanded."""
    for route in routes:
        if isinstance(route, _IncludedRouter):
            yield from route.effective_route_contexts()
        else:
            yield route


def _is_api_route(leaf: Any) -> bool:
    """A FastAPI route, included (its effective route) or not."""
    if isinstance(leaf, _EffectiveRouteContext):
        return isinstance(leaf.original_route, APIRoute)
    return isinstance(leaf, APIRoute)


def _segments(template: str) -> list[str] | None:
    """A path template's segments, or None when one is not a plain literal or a whole
    ``{parameter}`` (converters such as ``{rest:path}``, ``{id}.json``)."""
    parts = template.split("/")[1:]
    for part in parts:
        if "{" in part or "}" in part:
            if not (part.startswith("{") and part.endswith("}")) or ":" in part:
                return None
            if part.count("{") != 1:
                return None
    return parts


class _RouteIndex:
    """The ASGI app that replaces the router's dispatch (``Router.middleware_stack``)."""

    def __init__(self, app: FastAPI, dispatch: ASGIApp) -> None:
        self._app = app
        self._dispatch = dispatch
        self._version: int | None = None
        self._leaves: list[Any] = []
        self._root = _Node()
        self._anywhere: list[int] = []  # positions checked for every path

    def _build(self) -> None:
        self._leaves = list(_leaves(self._app.router.routes))
        self._root, self._anywhere = _Node(), []
        for position, leaf in enumerate(self._leaves):
            template = getattr(leaf, "path_format", None)
            parts = _segments(template) if isinstance(template, str) else None
            if parts is None or not _is_api_route(leaf):
                self._anywhere.append(position)
                continue
            node = self._root
            for part in parts:
                if part.startswith("{"):
                    node.parameter = node.parameter or _Node()
                    node = node.parameter
                else:
                    node = node.literal.setdefault(part, _Node())
            node.ends_here.append(position)
        self._version = self._routes_version()

    def _routes_version(self) -> int:
        # The app's own routes only: FastAPI's recursive version costs more than the
        # lookup it guards, and routers are complete before they are included.
        router = self._app.router
        return len(router.routes) + getattr(router, "_routes_version", 0) * 1_000_003

    def _candidates(self, path: str) -> list[int]:
        found = list(self._anywhere)
        nodes = [self._root]
        for part in path.split("/")[1:]:
            following = []
            for node in nodes:
                if part in node.literal:
                    following.append(node.literal[part])
                if node.parameter is not None and part:
                    following.append(node.parameter)
            if not following:
                return sorted(found)
            nodes = following
        for node in nodes:
            found += node.ends_here
        return sorted(found)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("root_path"):
            await self._dispatch(scope, receive, send)
            return
        if self._version != self._routes_version():
            self._build()
        for position in self._candidates(scope["path"]):
            leaf = self._leaves[position]
            match, child_scope = leaf.matches(scope)
            if match is Match.NONE:
                continue
            if not _is_api_route(leaf):
                break  # a mount or a plain route: FastAPI handles it
            if match is Match.FULL:
                await self._handle(leaf, child_scope, scope, receive, send)
                return
            # Only the method differs: a later route may still match fully, as in
            # FastAPI's routing; if none does, FastAPI answers 405.
        await self._dispatch(scope, receive, send)

    async def _handle(
        self, leaf: Any, child_scope: Scope, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """What FastAPI's router does with the route it selected."""
        scope.setdefault("router", self._app.router)
        _update_scope(scope, child_scope)
        if isinstance(leaf, APIRoute):
            _route_selected(scope=scope, path=leaf.path_format)
            await leaf.handle(scope, receive, send)
            return
        _route_selected(scope=scope, path=leaf.path_format)
        _get_fastapi_scope(scope)[_FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY] = leaf
        scope["route"] = leaf.original_route
        await leaf.original_route.handle(scope, receive, send)


def index_routes(app: FastAPI) -> bool:
    """Route ``app``'s requests through a segment index; False when this FastAPI's
    routing cannot be indexed (the app then routes as FastAPI does)."""
    if not _SUPPORTED:
        _log.debug("FastAPI's routing internals are not there: routes are not indexed")
        return False
    router = app.router
    router.middleware_stack = _RouteIndex(app, router.middleware_stack)
    return True
