"""Shared plumbing of the benchmark scripts: statistics, machine info, result files,
tables, and the processes a benchmark starts (a real local Flink cluster, the Millstream
server, a scratch PostgreSQL database).

Every benchmark script imports this module (``benchmarks/`` is on ``sys.path`` when a
script runs). Everything a helper starts it also stops, in ``finally`` blocks; nothing
here signals a process it did not start.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PYTHON = sys.executable
PG_ADMIN_URL = os.environ.get(
    "MILLSTREAM_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

console = Console(width=None if sys.stdout.isatty() else 150)

__all__ = [
    "PG_ADMIN_URL",
    "PYTHON",
    "ROOT",
    "FlinkProbe",
    "ServerProcess",
    "client_config",
    "console",
    "flink_cluster",
    "free_port",
    "machine_info",
    "pct",
    "postgres_database",
    "print_table",
    "process_tree_rss",
    "rss_bytes",
    "summarize",
    "wait_until",
    "write_results",
]


# --------------------------------------------------------------------------- statistics


def percentile(samples: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(samples: Sequence[float]) -> dict[str, float | int | None]:
    """n, median, p90, p99, min, max, mean of ``samples`` (all None when empty)."""
    if not samples:
        return dict.fromkeys(("median", "p90", "p99", "min", "max", "mean"), None) | {"n": 0}
    return {
        "n": len(samples),
        "median": statistics.median(samples),
        "p90": percentile(samples, 90),
        "p99": percentile(samples, 99),
        "min": min(samples),
        "max": max(samples),
        "mean": statistics.fmean(samples),
    }


def pct(value: float | None, base: float | None) -> float | None:
    """Overhead of ``value`` over ``base`` in percent."""
    if value is None or base is None or base == 0:
        return None
    return (value / base - 1.0) * 100.0


def fmt(value: Any, unit: str = "", digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


# --------------------------------------------------------------------------- machine & results


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_total() -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def _flink_version() -> str:
    try:
        from millstream.engine.runtime import FlinkRuntime

        return FlinkRuntime.detect().version
    except Exception as exc:  # a benchmark without Flink still records the rest
        return f"unknown ({type(exc).__name__})"


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on (goes into every results file)."""
    java = shutil.which("java")
    java_version = ""
    if java:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            done = subprocess.run(
                [java, "-version"], capture_output=True, text=True, check=False, timeout=20
            )
            java_version = (done.stderr or done.stdout).splitlines()[0] if done.stderr else ""
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_bytes": _mem_total(),
        "ram_gib": round(_mem_total() / 1024**3, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "flink": _flink_version(),
        "java": java_version,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        # Shared machine: other work ran beside the benchmarks; this says how much.
        "load_average_1_5_15m": [round(x, 2) for x in os.getloadavg()],
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def write_results(name: str, payload: Mapping[str, Any]) -> Path:
    """``benchmarks/results/<name>.json`` with the machine info added."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    document = {"benchmark": name, "machine": machine_info(), **payload}
    path.write_text(json.dumps(document, indent=2, sort_keys=False, default=str) + "\n")
    console.print(f"[dim]wrote {path.relative_to(ROOT)}[/dim]")
    return path


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*(fmt(cell) if not isinstance(cell, str) else cell for cell in row))
    console.print(table)


# --------------------------------------------------------------------------- small helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    if port in (8080, 8081):  # never the defaults a developer's own instance may use
        return free_port()
    return port


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, interval: float = 0.02, what: str = ""
) -> float:
    """Poll ``predicate`` until true; return the monotonic time it first was; raise
    TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return time.monotonic()
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def rss_bytes(pid: int) -> int:
    """Resident set size of one process (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found.append(int(entry.name))
    return found


def process_tree_rss(pid: int) -> dict[int, tuple[str, int]]:
    """pid -> (command line, RSS) for ``pid`` and all its descendants."""
    tree: dict[int, tuple[str, int]] = {}
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            cmd = Path(f"/proc/{current}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        tree[current] = (cmd.strip(), rss_bytes(current))
        todo.extend(_children(current))
    return tree


# --------------------------------------------------------------------------- Flink


@contextlib.contextmanager
def flink_cluster(*, slots: int = 4, checkpoint_interval: str = "10s") -> Iterator[Any]:
    """A real ``LocalCluster`` on a free port in a temporary data dir; always stopped."""
    from millstream.config import FlinkSettings
    from millstream.engine import LocalCluster

    data_dir = Path(tempfile.mkdtemp(prefix="millstream-bench-flink-"))
    cluster = LocalCluster(
        data_dir=data_dir,
        flink=FlinkSettings(
            rest_port=free_port(),
            taskmanager_slots=slots,
            checkpoint_interval=checkpoint_interval,
        ),
    )
    console.print(f"[dim]starting Flink at {cluster.rest_url} ({data_dir})[/dim]")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        left = cluster.surviving_pids()
        if left:
            console.print(f"[red]Flink processes survived stop(): {left}[/red]")
        shutil.rmtree(data_dir, ignore_errors=True)


# --------------------------------------------------------------------------- PostgreSQL


@contextlib.contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh database on the PostgreSQL of ``PG_ADMIN_URL``, dropped afterwards; yields
    its SQLAlchemy URL, or None (with a message) when PostgreSQL is unreachable."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(PG_ADMIN_URL)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"millstream_bench_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        console.print(f"[yellow]PostgreSQL unreachable ({exc}); skipping it[/yellow]")
        yield None
        return
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- server


def client_config(server: ServerProcess) -> Any:
    """A ``ClientConfig`` for ``server`` that signs every request (ACS3-HMAC-SHA256) with
    the admin key the server issued on its first start."""
    from millstream.client import ClientConfig

    key_id, secret = server.credentials()
    return ClientConfig(
        url=server.url,
        access_key_id=key_id,
        access_key_secret=secret,
        workspace="default",
        namespace="default-namespace",
        timeout=60.0,
    )


@dataclass
class ServerProcess:
    """``millstream.server.serve()`` in a child process, configured by environment only.

    ``flink_url`` set: that cluster is the default cluster (no embedded Flink); unset: the
    server starts its own embedded Flink (on a free port) and stops it on SIGTERM.
    Authentication stays on: the admin key the server issues on first start is written to
    ``MILLSTREAM_CREDENTIALS_FILE`` (in the scratch dir, never ``~/.millstream``) and
    ``credentials()`` reads it back for signing.
    """

    store_url: str | None = None
    flink_url: str | None = None
    reconciler_interval: float | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    startup_timeout: float = 180.0
    data_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ms-bench-")))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MILLSTREAM_")}
        env |= {
            "MILLSTREAM_CONFIG": str(self.data_dir / "no-such-millstream.toml"),
            "MILLSTREAM_DATA_DIR": str(self.data_dir / "data"),
            "MILLSTREAM_API__PORT": str(self.port),
            "MILLSTREAM_API__HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
        env["MILLSTREAM_CREDENTIALS_FILE"] = str(self.data_dir / "credentials")
        if self.store_url:
            env["MILLSTREAM_STORE__URL"] = self.store_url
        if self.flink_url:
            env["MILLSTREAM_FLINK__EXTERNAL_REST_URL"] = self.flink_url
        else:
            env["MILLSTREAM_FLINK__REST_PORT"] = str(free_port())
        if self.reconciler_interval is not None:
            env["MILLSTREAM_RECONCILER__INTERVAL"] = str(self.reconciler_interval)
        return env | self.extra_env

    def start(self) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [PYTHON, str(ROOT / "benchmarks" / "serve.py")],
            env=self.environment(),
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited during start-up:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(f"{self.url}/healthz").status_code == 200:
                        return self
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not healthy after {self.startup_timeout} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM (the server stops its reconciler and any Flink it started), SIGKILL
        after ``timeout``."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def credentials(self) -> tuple[str, str]:
        """(AccessKey ID, secret) of the admin key this server issued."""
        from millstream.client import read_profile

        profile = read_profile(self.data_dir / "credentials", "default") or {}
        key_id, secret = profile.get("access_key_id"), profile.get("access_key_secret")
        if not key_id or not secret:
            raise RuntimeError(f"server wrote no admin key to {self.data_dir / 'credentials'}")
        return key_id, secret

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> ServerProcess:
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


class FlinkProbe:
    """Reads a Flink cluster's REST API directly (the ground truth a benchmark compares
    Millstream's answers with)."""

    TERMINAL = frozenset({"CANCELED", "FAILED", "FINISHED"})

    def __init__(self, rest_url: str) -> None:
        self.rest_url = rest_url.rstrip("/")
        self.http = httpx.Client(base_url=self.rest_url, timeout=30.0)

    def close(self) -> None:
        self.http.close()

    def job(self, jid: str) -> dict[str, Any] | None:
        response = self.http.get(f"/jobs/{jid}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def all_vertices_running(self, jid: str) -> bool:
        job = self.job(jid)
        if job is None or job.get("state") != "RUNNING":
            return False
        vertices = job.get("vertices") or []
        return bool(vertices) and all(v.get("status") == "RUNNING" for v in vertices)

    def state(self, jid: str) -> str | None:
        job = self.job(jid)
        return None if job is None else str(job.get("state"))

    def job_named(self, name: str) -> str | None:
        for row in self.http.get("/jobs/overview").json().get("jobs", []):
            if row.get("name") == name:
                return str(row["jid"])
        return None

    def newest_job_named(self, name: str) -> str | None:
        rows = [
            r
            for r in self.http.get("/jobs/overview").json().get("jobs", [])
            if r.get("name") == name
        ]
        rows.sort(key=lambda r: int(r.get("start-time") or 0))
        return str(rows[-1]["jid"]) if rows else None

    def cancel(self, jid: str) -> None:
        self.http.patch(f"/jobs/{jid}", params={"mode": "cancel"})

    def wait_terminal(self, jid: str, timeout: float = 60.0) -> str:
        state: str | None = None

        def ended() -> bool:
            nonlocal state
            state = self.state(jid)
            return state in self.TERMINAL

        wait_until(ended, timeout=timeout, interval=0.1, what=f"Flink job {jid} to end")
        return state or ""

    def free_slots(self) -> int:
        return int(self.http.get("/overview").json().get("slots-available", 0))
