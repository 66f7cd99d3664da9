"""Run a uvicorn server on the event loop its config picks: uvloop, with httptools for
HTTP parsing, when they are installed (both are dependencies; ``loop="auto"`` and
``http="auto"`` fall back to asyncio and h11 where they are not). Together they halve
the time a request spends outside our code.

Before it serves, what the process built at start (the app, the libraries, the store's
pools) is frozen out of Python's garbage collector (``HeapFreezer``), and again every
``REFREEZE_SECONDS``, with what survived each minute in between (``HeapFreezer.settle``).
An API process holds some 200,000 long-lived objects: a full
collection walked them all, 120 to 270 ms with every thread stopped, two or three times a
minute under load, and every request that arrived meanwhile waited for it. That was the
p99 of a 500-a-second load (``benchmarks/api_load.py``); frozen, a full collection walks
only what is new (under a millisecond to tens of ms).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import uvicorn

from millstream.control.heap import HeapFreezer

__all__ = ["run_server"]

# How often the heap is looked at; HeapFreezer itself refreezes every REFREEZE_SECONDS.
_LOOK_SECONDS = 60.0


def run_server(server: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
    """``server.serve()`` until it exits, on the loop of ``server.config``."""
    with asyncio.Runner(loop_factory=server.config.get_loop_factory()) as runner:
        runner.run(_serve(server, sockets))


async def _serve(server: uvicorn.Server, sockets: list[socket.socket] | None) -> None:
    freezer = HeapFreezer()
    freezer()  # what start-up built
    refreezing = asyncio.create_task(_refreeze(freezer))
    try:
        await server.serve(sockets=sockets)
    finally:
        refreezing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refreezing


async def _refreeze(freezer: HeapFreezer) -> None:
    while True:
        await asyncio.sleep(_LOOK_SECONDS)
        freezer.settle()  # what the last minute left (caches, compiled statements)
        freezer()  # everything, when REFREEZE_SECONDS have passed
