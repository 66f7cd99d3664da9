"""A live server for the edge-security tests: the production app (``create_api``:
signatures, roles, audit) over real services on SQLite with Flink faked
(``tests.integration.api.test_native_variables.build_stack``), served by uvicorn on a free
loopback port so the official SDK can talk to it, plus helpers to capture what the SDK
would send and to replay it changed.

Every test module starts its own server: failed authentications are throttled per source
address, and all of a module's requests come from 127.0.0.1.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_ververica20220718.client import Client
from darabonba.core import DaraCore
from darabonba.exceptions import UnretryableException

from millstream.control.bootstrap import ensure_defaults
from millstream.control.services.access import AccessService
from millstream.domain.clusters import ClusterKind
from millstream.store import SqlStore
from millstream.store.access import SqlAccessStore
from millstream.store.cipher import load_cipher
from tests.integration.api.test_native_variables import FLINK_URL, NS, WS, Stack, build_stack
from tests.ports import free_port

__all__ = ["NS", "OTHER_WS", "WS", "EdgeServer", "capture", "send", "serve"]

OTHER_WS = "ws2"  # a second workspace with a namespace of the same name


@dataclass
class EdgeServer:
    stack: Stack
    access: AccessService
    port: int
    admin_key: str
    admin_secret: str

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client(self, key: str | None = None, secret: str | None = None, **config: Any) -> Client:
        return Client(
            open_api_models.Config(
                access_key_id=key or self.admin_key,
                access_key_secret=secret or self.admin_secret,
                endpoint=self.endpoint,
                protocol="http",
                **config,
            )
        )


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


@contextmanager
def serve(data_dir: Path) -> Iterator[EdgeServer]:
    """The production app on a free port until the block ends."""
    services: list[AccessService] = []

    def access(store: SqlStore) -> AccessService:
        service = AccessService(SqlAccessStore(store.engine), load_cipher(None, data_dir))
        services.append(service)
        return service

    stack = build_stack(data_dir, access=access)
    ensure_defaults(
        stack.store,
        workspace=OTHER_WS,
        namespace=NS,
        cluster_kind=ClusterKind.EMBEDDED,
        rest_url=FLINK_URL,
    )
    service = services[0]
    admin = service.ensure_admin()
    assert admin is not None
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(stack.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield EdgeServer(stack, service, port, admin.key.id, admin.secret)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        stack.store.close()


def capture(monkeypatch: pytest.MonkeyPatch, call: Callable[[], Any]) -> Any:
    """The request the SDK would have sent (signed), without sending it."""
    captured: list[Any] = []

    def record(request: Any, _runtime: Any) -> Any:
        captured.append(request)
        raise ConnectionError("captured, not sent")

    with monkeypatch.context() as patch:
        patch.setattr(DaraCore, "do_action", staticmethod(record))
        with pytest.raises(UnretryableException):
            call()
    return captured[0]


def send(
    server: EdgeServer,
    request: Any,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Send a captured SDK request, optionally with another body or changed headers."""
    query = urlencode(request.query) if request.query else ""
    url = f"http://{server.endpoint}{request.pathname}" + (f"?{query}" if query else "")
    content = body if body is not None else (request.body or "").encode()
    sent = {**dict(request.headers), **(headers or {})}
    return httpx.request(request.method, url, headers=sent, content=content)
