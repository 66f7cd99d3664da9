"""``millstream up --workers N``: N API processes on one port, one reconciler.

``server.serve`` calls ``serve_workers`` when N > 1. The calling (parent) process keeps
everything that must exist once: migrations, the embedded Flink cluster, the admin key,
the reconciler daemon with its leader lock and leader tasks, the banner and the live
summary. It serves no HTTP itself; it starts N worker processes (``spawn``: no state
forked from a process with threads and Flink children), restarts one that dies, and on
SIGTERM or Ctrl-C stops them before stopping the reconciler and Flink.

Each worker builds its own runtime without Flink and without the reconciler and serves
the API on its own ``SO_REUSEPORT`` socket bound to the shared address: the kernel
spreads new connections over the workers (one shared accept queue favours whichever
worker wakes first). What workers share goes through the database: access-key caches
follow a generation counter, signature nonces are rows, so a replay to another worker
is refused like one to the same worker.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess

import uvicorn

from millstream.config import Settings
from millstream.server_logging import LogFormat, LogLevel, configure_logging
from millstream.serving import run_server

__all__ = ["WorkerPool", "bind_socket", "check_port_free", "serve_workers"]

_log = logging.getLogger("millstream")

_STOP_TIMEOUT = 30.0  # seconds a worker gets to drain its requests before it is killed
_QUICK_DEATH = 10.0  # a worker that dies sooner than this after its start backs off...
_MAX_BACKOFF = 30.0  # ... doubling up to this many seconds between restarts
_PARENT_POLL = 1.0  # seconds between a worker's checks that its parent still lives


def _address(host: str, port: int) -> tuple[socket.AddressFamily, int, tuple[object, ...]]:
    family, _, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    return family, proto, address


def check_port_free(host: str, port: int) -> None:
    """Fail fast (``OSError``) when something already listens on the address: the
    workers' ``SO_REUSEPORT`` sockets would otherwise join another of our servers."""
    family, proto, address = _address(host, port)
    with socket.socket(family, socket.SOCK_STREAM, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on the shared address, one per worker (``SO_REUSEPORT``)."""
    family, proto, address = _address(host, port)
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say TCP,
    # and without it Nagle + delayed ACKs add ~40 ms to every response.
    sock = socket.socket(family, socket.SOCK_STREAM, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class _WorkerServer(uvicorn.Server):
    """The worker owns its signals: SIGTERM drains, SIGINT is left to the parent (a
    terminal's Ctrl-C reaches every process of the group; the parent orders the stop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def run_worker(settings: Settings, index: int, log_format: LogFormat, log_level: LogLevel) -> None:
    """A worker process's body (the ``spawn`` target): the API only, until SIGTERM."""
    # Imported here: the parent imports this module (server.py), which imports composition.
    from millstream.composition import build_runtime, create_app

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(log_format=log_format, level=log_level)
    parent = os.getppid()
    settings = settings.model_copy(
        update={"reconciler": settings.reconciler.model_copy(update={"enabled": False})}
    )
    runtime = build_runtime(settings, start_flink=False)
    try:
        server = _WorkerServer(uvicorn.Config(create_app(runtime), log_config=None, log_level=None))

        def _stop(_signum: int, _frame: object) -> None:
            server.should_exit = True

        signal.signal(signal.SIGTERM, _stop)
        _watch_parent(parent, lambda: setattr(server, "should_exit", True))
        sock = bind_socket(settings.api.host, settings.api.port)
        _log.info("API worker %d (pid %d) serving", index, os.getpid())
        try:
            run_server(server, sockets=[sock])
        finally:
            sock.close()
    finally:
        runtime.close(stop_flink=False)


def _watch_parent(parent: int, stop: Callable[[], None]) -> None:
    """Stop when the parent is gone (killed with SIGKILL): never an orphan worker."""

    def _watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL)
        _log.warning("the parent process %d is gone: stopping", parent)
        stop()

    threading.Thread(target=_watch, name="parent-watch", daemon=True).start()


@dataclass
class _Slot:
    index: int
    process: BaseProcess | None = None
    started_at: float = 0.0
    backoff: float = 1.0
    restart_at: float = 0.0


@dataclass
class WorkerPool:
    """N worker processes kept alive until ``stop``; a dead one comes back (after a
    back-off when it keeps dying at start, e.g. the port is taken)."""

    settings: Settings
    count: int
    log_format: LogFormat = LogFormat.TEXT
    log_level: LogLevel = LogLevel.INFO
    _slots: list[_Slot] = field(default_factory=list)

    def start(self) -> None:
        self._slots = [_Slot(index) for index in range(self.count)]
        for slot in self._slots:
            self._spawn(slot)

    def pids(self) -> list[int]:
        return [s.process.pid for s in self._slots if s.process and s.process.pid]

    def _spawn(self, slot: _Slot) -> None:
        context = multiprocessing.get_context("spawn")
        process = context.Process(
            target=run_worker,
            args=(self.settings, slot.index, self.log_format, self.log_level),
            name=f"millstream-api-{slot.index}",
        )
        process.start()
        slot.process, slot.started_at = process, time.monotonic()

    def supervise(self) -> None:
        """One round: restart the workers that exited (call it about once a second)."""
        now = time.monotonic()
        for slot in self._slots:
            process = slot.process
            if process is not None and process.is_alive():
                continue
            if process is not None:
                code = process.exitcode
                process.close()
                slot.process = None
                quick = now - slot.started_at < _QUICK_DEATH
                slot.backoff = min(slot.backoff * 2, _MAX_BACKOFF) if quick else 1.0
                slot.restart_at = now + (slot.backoff if quick else 0.0)
                _log.warning(
                    "API worker %d exited (code %s): restarting it%s",
                    slot.index,
                    code,
                    f" in {slot.backoff:.0f} s" if quick else "",
                )
            if now >= slot.restart_at:
                self._spawn(slot)

    def stop(self, timeout: float = _STOP_TIMEOUT) -> None:
        """SIGTERM every worker, wait for them to drain, kill the ones that do not."""
        live = [s.process for s in self._slots if s.process is not None and s.process.is_alive()]
        for process in live:
            process.terminate()
        deadline = time.monotonic() + timeout
        for process in live:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                _log.warning(
                    "API worker %s did not stop in %.0f s: killing it", process.pid, timeout
                )
                process.kill()
                process.join(5.0)
        for slot in self._slots:
            if slot.process is not None:
                with contextlib.suppress(ValueError):
                    slot.process.close()
                slot.process = None


def serve_workers(
    settings: Settings, count: int, *, log_format: LogFormat, log_level: LogLevel
) -> None:
    """Run ``count`` API workers until SIGTERM or Ctrl-C, then stop them all (the caller
    then stops the reconciler and Flink)."""
    try:
        check_port_free(settings.api.host, settings.api.port)
    except OSError as exc:
        # As uvicorn does with one process: say why, exit non-zero, no traceback.
        _log.error("cannot listen on %s:%s: %s", settings.api.host, settings.api.port, exc)
        raise SystemExit(1) from None
    stopping = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        _log.info("received %s: shutting down", signal.Signals(signum).name)
        stopping.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    pool = WorkerPool(settings, count, log_format=log_format, log_level=log_level)
    try:
        pool.start()
        _log.info("%d API workers started (pids %s)", count, pool.pids())
        while not stopping.wait(1.0):
            pool.supervise()
    finally:
        pool.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
