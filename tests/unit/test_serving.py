"""``run_server`` freezes what start-up built out of the garbage collector before the
server serves (a full collection then skips it), and thaws nothing it did not freeze."""

from __future__ import annotations

import gc
import socket
from collections.abc import Iterator

import pytest
import uvicorn

from millstream.serving import run_server


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # other tests in this process collect as usual


class _Server(uvicorn.Server):
    """Serves nothing: records what the heap looked like when serving began."""

    def __init__(self) -> None:
        super().__init__(uvicorn.Config(app=_app, loop="asyncio"))
        self.frozen_at_start = -1
        self.built_before = {"a": [1, 2, 3]}
        self.built_before_was_tracked = False

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:  # noqa: ARG002
        self.frozen_at_start = gc.get_freeze_count()
        built = self.built_before
        self.built_before_was_tracked = any(o is built for o in gc.get_objects())


async def _app(scope: object, receive: object, send: object) -> None:  # noqa: ARG001
    raise AssertionError("not served")


def test_start_up_heap_is_frozen_before_serving() -> None:
    assert gc.get_freeze_count() == 0
    server = _Server()
    run_server(server)
    assert server.frozen_at_start > 10_000  # the interpreter, pytest and the libraries
    assert not server.built_before_was_tracked  # out of the collector's generations
