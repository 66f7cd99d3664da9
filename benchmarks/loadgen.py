"""An open-loop HTTP/1.1 load generator for loopback: requests leave on a fixed schedule
(``rate`` per second) whether or not earlier ones were answered, and each latency is
measured from the request's *scheduled* time, so a stalled server shows up as latency
instead of as a slower schedule (no coordinated omission).

Requests are prepared before the run (``prepare``), signed if the caller signs them,
serialised to bytes; the run only writes bytes and parses status lines, so one Python
process can drive 1,000 req/s on loopback. Signing plugs in where the requests are built
(``api_load.py`` uses ``millstream.client``'s ``build_request``, which signs with
ACS3-HMAC-SHA256; every request gets its own nonce).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import httpx

__all__ = ["LoadResult", "prepare", "run_open_loop"]


def prepare(request: httpx.Request) -> bytes:
    """The exact bytes httpx would send for ``request`` (HTTP/1.1, keep-alive)."""
    target = request.url.raw_path.decode("ascii")
    lines = [f"{request.method} {target} HTTP/1.1"]
    body = request.read()
    headers = {k.lower(): v for k, v in request.headers.items()}
    if body and "content-length" not in headers:
        headers["content-length"] = str(len(body))
    headers.pop("transfer-encoding", None)
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class LoadResult:
    scheduled: int = 0
    completed: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # successful requests only
    # (seconds from the first scheduled send, latency) of each successful request
    timeline: list[tuple[float, float]] = field(default_factory=list)
    seconds: float = 0.0  # first scheduled send -> last answer
    connections: int = 0

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


# uvicorn closes a keep-alive connection after 5 s idle; a request written on it as it
# closes is lost (IncompleteReadError), a client artefact: reuse younger ones only.
_MAX_IDLE_S = 4.0


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.idle_since = time.monotonic()

    async def exchange(self, payload: bytes) -> int:
        self.writer.write(payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        if headers.get("connection", "").lower() == "close":
            raise ConnectionResetError("server closed the connection")
        return status

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


async def _run(
    host: str,
    port: int,
    payloads: list[bytes],
    rate: float,
    request_timeout: float,
    max_connections: int,
) -> LoadResult:
    result = LoadResult(scheduled=len(payloads))
    idle: list[_Connection] = []
    opened = 0
    tasks: set[asyncio.Task[None]] = set()
    last_done = 0.0
    slots = asyncio.Semaphore(max_connections)

    async def one(payload: bytes, due: float) -> None:
        nonlocal opened, last_done
        async with slots:
            connection = idle.pop() if idle else None
            while connection is not None and time.monotonic() - connection.idle_since > _MAX_IDLE_S:
                connection.close()
                connection = idle.pop() if idle else None
            try:
                if connection is None:
                    reader, writer = await asyncio.open_connection(host, port)
                    connection = _Connection(reader, writer)
                    opened += 1
                status = await asyncio.wait_for(connection.exchange(payload), request_timeout)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                result.error(type(exc).__name__)
                if connection is not None:
                    connection.close()
                return
            done = time.monotonic()
            last_done = max(last_done, done)
            connection.idle_since = done
            idle.append(connection)
            if status >= 400:
                result.error(f"HTTP {status}")
                return
            result.completed += 1
            result.latencies.append(done - due)
            result.timeline.append((due - start, done - due))

    start = time.monotonic() + 0.05
    for index, payload in enumerate(payloads):
        due = start + index / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(payload, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(list(tasks), timeout=request_timeout + 5)
    for task in list(tasks):
        task.cancel()
    for connection in idle:
        connection.close()
    result.seconds = max(last_done, time.monotonic() if result.errors else last_done) - start
    result.connections = opened
    return result


def run_open_loop(
    url: str,
    payloads: Iterable[bytes],
    *,
    rate: float,
    timeout: float = 10.0,
    max_connections: int = 256,
) -> LoadResult:
    """Send ``payloads`` to ``url`` (http://host:port) at ``rate`` per second."""
    parsed = httpx.URL(url)
    prepared = list(payloads)
    with _collector_paused():
        return asyncio.run(
            _run(parsed.host, parsed.port or 80, prepared, rate, timeout, max_connections)
        )


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection in this process during a run. Its prepared requests and
    latencies are a few hundred thousand objects: a full collection walked them for 40 to
    70 ms, twice in a 20 s run, and every request due meanwhile left late and was counted
    as slow (latency runs from the scheduled time): the generator's pause, not the
    server's. A run's garbage is collected after it."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()
        gc.collect()
