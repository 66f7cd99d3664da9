"""Fixtures for console tests: real control services over the in-memory store and fake
engine, a fake access service with one key per role, and an httpx client on the router
(through ``ASGITransport``: no sockets)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI

from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.services import (
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.domain.access import Permission, Role
from millstream.domain.clusters import ClusterKind
from millstream.domain.errors import NotFound, PermissionDenied, Unauthenticated
from millstream.web import build_console
from tests.fakes import FakeEngine, InMemoryStore

WS, NS = "default", "default-namespace"
ADMIN = Actor(id="u-admin", name="admin")
VIEWER = Actor(id="u-viewer", name="vera")


@dataclass(frozen=True)
class _Resolved:
    actor: Actor
    secret: str


@dataclass(frozen=True)
class _Choice:
    workspace: str
    namespace: str


@dataclass
class FakeAccess:
    """Keys -> (actor, secret); roles per (actor id, namespace)."""

    keys: dict[str, tuple[Actor, str]] = field(
        default_factory=lambda: {"MSADMIN": (ADMIN, "s3cret"), "MSVIEW": (VIEWER, "v1ew")}
    )
    roles: dict[tuple[str, str], Role] = field(
        default_factory=lambda: {
            (ADMIN.id, NS): Role.OWNER,
            (ADMIN.id, "other"): Role.OWNER,
            (VIEWER.id, NS): Role.VIEWER,
        }
    )

    def resolve(self, key_id: str) -> _Resolved:
        if key_id not in self.keys:
            raise Unauthenticated("the AccessKey ID does not exist")
        actor, secret = self.keys[key_id]
        return _Resolved(actor, secret)

    def authorize(self, actor: Actor, scope: Scope, permission: Permission) -> Role:
        role = self.roles.get((actor.id, scope.namespace))
        if role is None:
            raise NotFound(f"namespace {scope.namespace!r} not found")
        if not role.allows(permission):
            raise PermissionDenied(f"role {role.value} does not allow {permission.value}")
        return role

    def editable_namespaces(
        self, actor: Actor, *, workspace: str | None = None, namespace: str | None = None
    ) -> Sequence[_Choice]:
        del workspace, namespace
        return [
            _Choice(WS, ns)
            for (actor_id, ns), role in sorted(self.roles.items())
            if actor_id == actor.id and role.can_edit
        ]


@dataclass
class World:
    services: Services
    engine: FakeEngine
    store: InMemoryStore
    access: FakeAccess
    client: httpx.AsyncClient


@pytest.fixture
async def world() -> AsyncIterator[World]:
    store = InMemoryStore()
    engine = FakeEngine()
    for namespace in (NS, "other"):
        ensure_defaults(
            store,
            workspace=WS,
            namespace=namespace,
            cluster_kind=ClusterKind.EXTERNAL,
            rest_url="http://fake-flink",
        )
    notifier = Notifier()
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    services = Services(
        deployments=DeploymentService(store, engine, versions),
        jobs=JobService(store, engine, notifier),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace=WS,
    )
    access = FakeAccess()
    app = FastAPI()
    app.include_router(
        build_console(
            services,
            access=access,
            flink_ui_url=lambda: "http://flink-ui:8081/",
            secret_key=b"k" * 32,
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as client:
        yield World(services, engine, store, access, client)


async def sign_in_form(client: httpx.AsyncClient) -> str:
    """Open the sign-in page (which sets its pre-session cookie); its form token."""
    page = await client.get("/console/sign-in")
    found = re.search(r'name="sign_in_token" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, key: str = "MSADMIN", secret: str = "s3cret") -> str:
    """Sign in through the form and return the CSRF token of the new session."""
    token = await sign_in_form(client)
    response = await client.post(
        "/console/sign-in",
        data={"access_key_id": key, "access_key_secret": secret, "sign_in_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = await client.get("/console/deployments")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)
