"""Fixtures: a ``FakeWorld``, the app built over it and an httpx client on ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request

from millstream.api.app import build_app
from millstream.control.context import Actor

from .fakes import ADMIN, FakeWorld, fake_services


def authenticate_admin(request: Request) -> Actor:  # noqa: ARG001 (the auth layer's shape)
    return ADMIN


@pytest.fixture
def world() -> FakeWorld:
    return FakeWorld()


@pytest.fixture
def app(world: FakeWorld) -> FastAPI:
    return build_app(fake_services(world), authenticate_admin, max_body_bytes=64 * 1024)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as c:
        yield c
