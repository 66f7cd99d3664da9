"""An ``AccessService`` over the in-memory store, a controllable clock and an
``Authenticator`` with both Alibaba verifiers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from millstream.api.auth import Acs3Verifier, Authenticator, BasicVerifier, RoaVerifier
from millstream.control.services.access import AccessService, IssuedKey
from tests.unit.auth.fakes import InMemoryAccessStore, PlainCipher

START = datetime(2026, 11, 23, 9, 40, 48, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def access_store() -> InMemoryAccessStore:
    store = InMemoryAccessStore()
    store.state.namespaces |= {("ws1", "ns1"), ("ws1", "ns2"), ("ws2", "ns1")}
    return store


@pytest.fixture
def access(access_store: InMemoryAccessStore, clock: Clock) -> AccessService:
    return AccessService(access_store, PlainCipher(), clock=clock)


@pytest.fixture
def admin(access: AccessService) -> IssuedKey:
    issued = access.ensure_admin()
    assert issued is not None
    return issued


@pytest.fixture
def authenticator(access: AccessService, clock: Clock) -> Authenticator:
    return Authenticator(
        access,
        [Acs3Verifier(), RoaVerifier(default_workspace="ws1"), BasicVerifier()],
        clock=clock,
    )
