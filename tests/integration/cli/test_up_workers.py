"""``millstream up --workers 2`` as a real process tree on a temp SQLite data dir.

No Flink: the default cluster is an external URL on a closed port. Which worker answered
a connection is read from the kernel (the server end of the TCP connection belongs to one
worker's file table), and who holds the reconciler lock from ``/proc/locks``.
"""

from __future__ import annotations

import dataclasses
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from millstream.client import operations as ops
from millstream.client.config import ClientConfig
from millstream.store.locks import advisory_lock_key
from millstream.workers import bind_socket, check_port_free
from tests.integration.store.conftest import DEFAULT_POSTGRES_URL, PostgresSchemas
from tests.ports import free_port

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

_STARTUP = 90.0


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


@dataclass
class _Server:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log: Path
    store_url: str | None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self) -> str:
        return self.log.read_text()[-4000:]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _workers(server: _Server) -> list[int]:
    return sorted(p for p in _children(server.process.pid) if "spawn_main" in _cmdline(p))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(what: str, server: _Server, check: object, timeout: float = _STARTUP) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"server exited {server.process.returncode}:\n{server.tail()}")
        if callable(check) and check():
            return
        time.sleep(0.3)
    pytest.fail(f"{what} not within {timeout} s:\n{server.tail()}")


def _healthy(server: _Server) -> bool:
    try:
        return httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None: the data dir's SQLite; else a fresh PostgreSQL schema (skipped if none)."""
    if request.param == "sqlite":
        yield None
        return
    url = os.environ.get("MILLSTREAM_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        schemas = PostgresSchemas(url)
        created = schemas.create()
    except OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable at {url}: {error.orig}")
    yield created
    schemas.drop_all()


@pytest.fixture
def server(tmp_path: Path, store_url: str | None) -> Iterator[_Server]:
    port = _free_port()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MILLSTREAM_")}
    env |= {
        "MILLSTREAM_CONFIG": str(tmp_path / "no-such.toml"),
        "MILLSTREAM_DATA_DIR": str(data_dir),
        "MILLSTREAM_API__HOST": "127.0.0.1",
        "MILLSTREAM_API__PORT": str(port),
        "MILLSTREAM_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "MILLSTREAM_FLINK__EXTERNAL_REST_URL": f"http://127.0.0.1:{_free_port()}",
    }
    if store_url is not None:
        env["MILLSTREAM_STORE__URL"] = store_url
    log = tmp_path / "server.log"
    command = [str(Path(sys.executable).with_name("millstream")), "up", "--workers", "2"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    handle = _Server(process, port, data_dir, log, store_url)
    try:
        _wait_for("two healthy workers", handle, lambda: len(_workers(handle)) == 2)
        _wait_for("/healthz", handle, lambda: _healthy(handle))
        yield handle
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _socket_inodes(pid: int) -> set[int]:
    found = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(int(target[8:-1]))
    return found


def _server_inode(server_port: int, client_port: int) -> int | None:
    """The inode of the ``server_port`` end of the loopback connection with ``client_port``."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return int(fields[9])
    return None


def _connection_per_worker(
    server: _Server, workers: list[int]
) -> dict[int, http.client.HTTPConnection]:
    """Open connections until one lands on each worker; return one per worker pid."""
    found: dict[int, http.client.HTTPConnection] = {}
    spare: list[http.client.HTTPConnection] = []
    for _ in range(200):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/healthz")  # accepted: the server end exists
        connection.getresponse().read()
        assert connection.sock is not None
        inode = _server_inode(server.port, connection.sock.getsockname()[1])
        owner = next((pid for pid in workers if inode in _socket_inodes(pid)), None)
        if owner is not None and owner not in found:
            found[owner] = connection
        else:
            spare.append(connection)
        if len(found) == len(workers):
            break
    for connection in spare:
        connection.close()
    return found


def _lock_holders(server: _Server) -> set[int]:
    """The processes of the server that hold the reconciler lock."""
    if server.store_url is None:
        return _flock_holders(server.data_dir / "millstream.db.reconciler.lock")
    tree = [server.process.pid, *_children(server.process.pid)]
    engine = create_engine(server.store_url)
    try:
        with engine.connect() as connection:
            schema = connection.scalar(text("SELECT current_schema()"))
            key = advisory_lock_key(f"millstream.reconciler:{schema}") & 0xFFFFFFFFFFFFFFFF
            ports = connection.scalars(
                text(
                    "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                    "WHERE l.locktype = 'advisory' AND l.granted "
                    "AND l.classid::bigint = :high AND l.objid::bigint = :low"
                ),
                {"high": key >> 32, "low": key & 0xFFFFFFFF},
            ).all()
    finally:
        engine.dispose()
    server_port = make_url(server.store_url).port or 5432
    holders = set()
    for port in ports:
        inode = _server_inode(port, server_port)  # the client end, in one of our processes
        holders |= {pid for pid in tree if inode is not None and inode in _socket_inodes(pid)}
    assert len(ports) == 1, f"one session holds the lock: {ports}"
    return holders


def _flock_holders(lock_file: Path) -> set[int]:
    inode = lock_file.stat().st_ino
    holders = set()
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
        if len(fields) >= 6 and fields[1] == "FLOCK" and int(fields[5].rsplit(":", 1)[1]) == inode:
            holders.add(int(fields[4]))
    return holders


def _signed(server: _Server, tmp_path: Path) -> httpx.Request:
    """A signed ListDeployments, built like the client builds it (its own nonce)."""
    config = ClientConfig.load(credentials_file=tmp_path / "credentials", env={})
    config = dataclasses.replace(config, url=server.url)
    operation = ops.list_deployments(config.namespace, name=None, page_index=1, page_size=1)
    with httpx.Client() as http:
        return ops.build_request(http, config, operation)


def _send(connection: http.client.HTTPConnection, request: httpx.Request) -> tuple[int, str]:
    target = request.url.raw_path.decode()
    connection.request(request.method, target, headers=dict(request.headers))
    response = connection.getresponse()
    return response.status, response.read().decode()


def test_two_workers_answer_one_reconciler_replay_refused_sigterm_stops_all(
    server: _Server, tmp_path: Path
) -> None:
    workers = _workers(server)
    assert len(workers) == 2
    connections = _connection_per_worker(server, workers)
    assert sorted(connections) == workers, "both worker processes accept connections"

    # Exactly one process holds the reconciler lock, and it is the parent, no worker.
    assert _lock_holders(server) == {server.process.pid}

    # A signed request answered by one worker is a replay for the other.
    first, second = (connections[pid] for pid in workers)
    request = _signed(server, tmp_path)
    assert _send(first, request)[0] == 200
    status, body = _send(second, request)
    assert status == 401
    assert "nonce was already used" in body
    assert _send(second, _signed(server, tmp_path))[0] == 200  # a fresh signature works
    for connection in connections.values():
        connection.close()

    # A worker that dies comes back; the API keeps answering.
    os.kill(workers[0], signal.SIGKILL)
    _wait_for(
        "a replacement worker",
        server,
        lambda: len(_workers(server)) == 2 and workers[0] not in _workers(server),
    )
    _wait_for("/healthz after the restart", server, lambda: _healthy(server))
    everyone = [server.process.pid, *_children(server.process.pid)]

    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(60) == 0, server.tail()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in everyone) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in everyone if _alive(pid)], "no orphan process"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/healthz", timeout=2)


def test_worker_sockets_share_a_port_another_server_does_not() -> None:
    port = _free_port()
    first, second = bind_socket("127.0.0.1", port), bind_socket("127.0.0.1", port)
    try:
        # asyncio sets TCP_NODELAY on accepted connections of TCP-protocol sockets only.
        assert first.proto == socket.IPPROTO_TCP
        with pytest.raises(OSError, match="in use"):
            check_port_free("127.0.0.1", port)  # our own workers listen: refuse to join
    finally:
        first.close()
        second.close()
    check_port_free("127.0.0.1", port)
