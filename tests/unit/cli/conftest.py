"""Runs the real Typer app against ``FakeServer`` through the client factory hook."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from millstream.cli.main import app
from millstream.cli.state import CliState
from millstream.client import ClientConfig, MillstreamClient
from tests.unit.cli.fake_server import AK, SK, FakeServer

Invoke = Callable[..., Result]


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def invoke(server: FakeServer, tmp_path: Path) -> Invoke:
    """``invoke("deployments", "list", env={...})`` runs the CLI with fresh state."""

    def factory(config: ClientConfig) -> MillstreamClient:
        return MillstreamClient(config, transport=httpx.MockTransport(server.handle))

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        base = {
            "MILLSTREAM_CREDENTIALS_FILE": str(tmp_path / "credentials"),
            "MILLSTREAM_ACCESS_KEY_ID": AK,
            "MILLSTREAM_ACCESS_KEY_SECRET": SK,
            "MILLSTREAM_URL": "http://millstream.test:8080",
            "MILLSTREAM_PROFILE": "",
            "MILLSTREAM_WORKSPACE": "",
            "MILLSTREAM_NAMESPACE": "",
            "COLUMNS": "250",  # wide Rich tables, so ids are not folded
        }
        state = CliState(client_factory=factory, poll=0)
        return CliRunner().invoke(
            app, list(args), obj=state, env={**base, **(env or {})}, input=input
        )

    return run
