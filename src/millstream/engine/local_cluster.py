"""``LocalCluster``: the embedded Flink standalone session cluster Millstream owns.

The app factory starts it when ``flink.embedded`` is set; tests start one per session.
It runs the wheel's ``jobmanager.sh`` / ``taskmanager.sh start-foreground`` as our own
child processes (each in its own process group, so a kill reaches the JVM and anything
it spawned, e.g. Python workers), with its configuration, logs and uploads under
``<data_dir>/flink``; the wheel itself is never written. A supervisor thread restarts a
TaskManager (or the JobManager) that dies. Every process carries an environment marker,
so a cluster left behind by a crashed Millstream is found and stopped on the next start,
and nothing of ours survives ``stop()``.

The ``ClusterManager`` runs more of them (session and dedicated clusters), each in its
own data directory, with the cluster's own ``extra_config`` (its flinkConf) and log4j
configuration, and may ``adopt()`` one a previous Millstream left running instead of
restarting it (its jobs keep running).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from millstream.config import FlinkSettings, Settings
from millstream.domain.errors import EngineUnavailable
from millstream.engine.rest import FlinkRestClient
from millstream.engine.runtime import FlinkRuntime

__all__ = ["LocalCluster", "cluster_config"]

_log = logging.getLogger(__name__)

# Set on every process we start (children inherit it): the one reliable way to find
# our processes again, even after the pid files went stale.
_MARKER = "MILLSTREAM_FLINK_CLUSTER"
_JOBMANAGER = "jobmanager"
_PINNED_PREFIXES = (
    "rest.",
    "jobmanager.rpc.",
    "jobmanager.bind-host",
    "taskmanager.host",
    "taskmanager.bind-host",
    "web.",
    "io.tmp.dirs",
)


@dataclass(slots=True)
class _Child:
    role: str  # "jobmanager" or "taskmanager-<n>"
    process: subprocess.Popen[bytes]
    started_at: float
    backoff: float = 1.0
    restart_at: float | None = None  # when a dead child is due to be started again
    console: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid


class LocalCluster:
    """Start, supervise and stop a standalone Flink session cluster on 127.0.0.1."""

    def __init__(
        self,
        *,
        data_dir: Path,
        flink: FlinkSettings,
        runtime: FlinkRuntime | None = None,
        startup_timeout: float = 120.0,
        stop_grace: float = 10.0,
        extra_config: Mapping[str, Any] | None = None,
        log4j_properties: str | None = None,
    ) -> None:
        self._settings = flink
        self._extra_config = dict(extra_config or {})
        self._log4j_properties = log4j_properties
        self._adopted = False
        self._runtime = runtime or FlinkRuntime.detect(flink.flink_home)
        self._startup_timeout = startup_timeout
        self._stop_grace = stop_grace
        self.data_dir = data_dir.resolve()
        self.flink_dir = self.data_dir / "flink"
        self.conf_dir = self.flink_dir / "conf"
        self.log_dir = self.flink_dir / "log"
        self._state_file = self.flink_dir / "run" / "cluster.json"
        self._children: dict[str, _Child] = {}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalCluster:
        return cls(data_dir=settings.data_dir, flink=settings.flink)

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self._settings.rest_port}"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start (after stopping a stale cluster of ours) and wait until every
        TaskManager registered; raise ``EngineUnavailable`` with the log tail if not."""
        with self._lock:
            if self._children:
                return
            self._stop_stale()
            self._wait_port_free()
            self._write_config()
            self._stopping.clear()
            self._start_all()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self._supervisor = threading.Thread(
            target=self._supervise, name="flink-supervisor", daemon=True
        )
        self._supervisor.start()

    def stop(self) -> None:
        """SIGTERM every process group, SIGKILL what is left after the grace period,
        then sweep any straggler carrying our marker (orphaned Python workers)."""
        self._stopping.set()
        if self._adopted:
            self._adopted = False
            self._stop_stale()  # SIGTERM what carries our marker, SIGKILL after the grace
            deadline = time.monotonic() + self._stop_grace
            while _marked_pids(self._marker_value) and time.monotonic() < deadline:
                time.sleep(0.1)  # SIGKILLed processes take a moment to be gone
        if self._supervisor is not None:
            self._supervisor.join()
            self._supervisor = None
        with self._lock:
            children = list(self._children.values())
            self._children.clear()
            _terminate([c.process for c in children], self._stop_grace)
            for child in children:
                _close(child)
            _kill_marked(self._marker_value, signal.SIGKILL)
            self._state_file.unlink(missing_ok=True)

    def is_running(self) -> bool:
        with self._lock:
            if self._adopted:
                return bool(_marked_pids(self._marker_value))
            return bool(self._children) and all(
                c.process.poll() is None for c in self._children.values()
            )

    def adopt(self) -> bool:
        """Take over this data dir's cluster left running by an earlier Millstream: its
        processes carry our marker, it was started on our REST port and it answers
        there. Not supervised afterwards (we hold no process handles), but ``stop()``
        ends it. False (and nothing changed) when there is nothing to adopt."""
        with self._lock:
            if self._children or self._adopted:
                return self.is_running()
            if not _marked_pids(self._marker_value):
                return False
            try:
                port = int(json.loads(self._state_file.read_text())["rest_port"])
            except (OSError, ValueError, KeyError, TypeError):
                return False
            if port != self._settings.rest_port:
                return False
            rest = FlinkRestClient(self.rest_url, timeout=2.0)
            try:
                if int(rest.overview().get("taskmanagers", 0)) < 1:
                    return False
            except EngineUnavailable:
                return False
            finally:
                rest.close()
            self._adopted = True
            _log.info(
                "adopted the running Flink cluster of %s at %s", self.flink_dir, self.rest_url
            )
            return True

    def surviving_pids(self) -> list[int]:
        """Processes started for this cluster (JVMs, Python workers) still alive; empty
        after ``stop()``."""
        return _marked_pids(self._marker_value)

    def taskmanager_pids(self) -> list[int]:
        with self._lock:
            return [c.pid for r, c in sorted(self._children.items()) if r != _JOBMANAGER]

    def restart_jobmanager(self) -> None:
        """Kill the JobManager like a crash (SIGKILL) and start a fresh one; the
        TaskManagers are restarted too, since they do not re-register by themselves.
        Returns when the new cluster is ready. For fault tests."""
        with self._lock:
            children = list(self._children.values())
            for child in children:
                _signal_group(child.pid, signal.SIGKILL)
            for child in children:
                child.process.wait()
                _close(child)
            self._children.clear()
            self._start_all()
        self._wait_ready()

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ processes

    @property
    def _marker_value(self) -> str:
        return str(self.flink_dir)

    def _start_all(self) -> None:
        self._spawn(_JOBMANAGER)
        for index in range(self._settings.taskmanagers):
            self._spawn(f"taskmanager-{index}")

    def _spawn(self, role: str) -> _Child:
        script = "jobmanager.sh" if role == _JOBMANAGER else "taskmanager.sh"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        console = (self.log_dir / f"{role}.console").open("ab")
        env = os.environ | self._runtime.environment()
        env |= {
            "FLINK_CONF_DIR": str(self.conf_dir),
            "FLINK_LOG_DIR": str(self.log_dir),
            "FLINK_PID_DIR": str(self._state_file.parent),
            "FLINK_IDENT_STRING": "millstream",
            # JVM stdout/stderr go to Flink's .out/.err files (the web UI's "Stdout" tab).
            "STD_REDIRECT_TO_FILE": "true",
            _MARKER: self._marker_value,
        }
        process = subprocess.Popen(
            [str(self._runtime.home / "bin" / script), "start-foreground"],
            env=env,
            cwd=self.flink_dir,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: killpg reaches its children
        )
        previous = self._children.get(role)
        child = _Child(role, process, time.monotonic(), console=console)
        if previous is not None:
            child.backoff = previous.backoff
        self._children[role] = child
        self._save_state()
        _log.info("started Flink %s (pid %d)", role, process.pid)
        return child

    def _supervise(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                if self._stopping.is_set():
                    return
                try:
                    self._check_children()
                except Exception:  # keep supervising; the next round retries
                    _log.exception("Flink supervisor round failed")

    def _check_children(self) -> None:
        now = time.monotonic()
        for role, child in list(self._children.items()):
            if child.process.poll() is None:
                continue
            if child.restart_at is None:
                # Reap what the dead JVM left in its group (Python workers), then wait
                # out the backoff: a crash loop must not spin.
                _signal_group(child.pid, signal.SIGKILL)
                lived = now - child.started_at
                child.backoff = 1.0 if lived > 60 else min(child.backoff * 2, 30.0)
                child.restart_at = now + (0.0 if lived > 60 else child.backoff / 2)
                _log.warning(
                    "Flink %s (pid %d) exited with %s after %.0f s; restarting in %.1f s",
                    role,
                    child.pid,
                    child.process.returncode,
                    lived,
                    child.restart_at - now,
                )
            if now < child.restart_at:
                continue
            _close(child)
            if role == _JOBMANAGER:
                # A new JobManager has no jobs and old TaskManagers do not re-register
                # quickly: restart them all (the reconciler resubmits the jobs).
                for other in self._children.values():
                    if other is not child:
                        _signal_group(other.pid, signal.SIGKILL)
                        other.process.wait()
                        _close(other)
                self._children.clear()
                self._start_all()
                return
            self._spawn(role)

    def _save_state(self) -> None:
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "rest_port": self._settings.rest_port,
            "pids": {role: c.pid for role, c in self._children.items()},
        }
        self._state_file.write_text(json.dumps(state))

    def _stop_stale(self) -> None:
        """Stop processes a previous Millstream left running on this data dir. Its pid
        file may be stale or gone; the environment marker proves a process is ours."""
        stale = _marked_pids(self._marker_value)
        if not stale:
            return
        recorded = "unknown"
        with contextlib.suppress(OSError, ValueError, KeyError):
            recorded = str(json.loads(self._state_file.read_text())["pids"])
        _log.warning(
            "stopping a stale Flink cluster of %s (pids %s, recorded %s)",
            self.flink_dir,
            stale,
            recorded,
        )
        _kill_marked(self._marker_value, signal.SIGTERM)
        deadline = time.monotonic() + self._stop_grace
        while _marked_pids(self._marker_value) and time.monotonic() < deadline:
            time.sleep(0.2)
        _kill_marked(self._marker_value, signal.SIGKILL)

    # ------------------------------------------------------------------ config & readiness

    def _write_config(self) -> None:
        # A fresh copy of the wheel's conf/ each start; our config.yaml replaces its own.
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        wheel_conf = self._runtime.home / "conf"
        for item in wheel_conf.iterdir():
            if item.is_file() and item.name != "config.yaml":
                shutil.copy2(item, self.conf_dir / item.name)
        if self._log4j_properties is not None:
            (self.conf_dir / "log4j-console.properties").write_text(self._log4j_properties)
        base = yaml.safe_load((wheel_conf / "config.yaml").read_text()) or {}
        for directory in ("uploads", "tmp"):
            (self.flink_dir / directory).mkdir(parents=True, exist_ok=True)
        # The cluster's own flinkConf over our defaults; addresses, ports and directories
        # stay ours (the cluster must be reachable where we think it is).
        overrides = self._overrides()
        pinned = {k: v for k, v in overrides.items() if k.startswith(_PINNED_PREFIXES)}
        config = cluster_config(base, {**overrides, **self._extra_config, **pinned})
        (self.conf_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=True))

    def _overrides(self) -> dict[str, Any]:
        s = self._settings
        return {
            "rest.port": s.rest_port,
            "rest.address": "127.0.0.1",
            "rest.bind-address": "127.0.0.1",
            "jobmanager.rpc.address": "127.0.0.1",
            # Not the default 6123: another Flink on this machine must not collide.
            "jobmanager.rpc.port": _free_port(),
            "jobmanager.bind-host": "127.0.0.1",
            "jobmanager.memory.process.size": s.jobmanager_memory,
            "taskmanager.host": "127.0.0.1",
            "taskmanager.bind-host": "127.0.0.1",
            "taskmanager.memory.process.size": s.taskmanager_memory,
            "taskmanager.numberOfTaskSlots": s.taskmanager_slots,
            "parallelism.default": s.default_parallelism,
            # Uploaded jars survive a JobManager restart (Flink's default is a temp dir).
            "web.upload.dir": str(self.flink_dir / "uploads"),
            "web.tmpdir": str(self.flink_dir / "tmp"),
            "io.tmp.dirs": str(self.flink_dir / "tmp"),
            # Flink 2.x default is no restarts: a lost TaskManager would fail every job.
            "restart-strategy.type": "exponential-delay",
            "restart-strategy.exponential-delay.initial-backoff": "1 s",
            "restart-strategy.exponential-delay.max-backoff": "30 s",
            "restart-strategy.exponential-delay.backoff-multiplier": 2.0,
            "restart-strategy.exponential-delay.reset-backoff-threshold": "5 min",
            "restart-strategy.exponential-delay.jitter-factor": 0.1,
            # A killed TaskManager is noticed in seconds (2 failed heartbeat RPCs), a hung
            # one after 10 s; the defaults (10 s / 50 s) leave jobs stuck far longer.
            "heartbeat.interval": "2 s",
            "heartbeat.timeout": "10 s",
            "execution.checkpointing.interval": s.checkpoint_interval,
            # The JobManager (not the job) decides how many checkpoints survive. The
            # reconciler resubmits a lost job from the newest checkpoint it has seen,
            # which may be a few behind Flink's: with the default of 1 it is already gone.
            "execution.checkpointing.num-retained": 5,
            # TaskManagers start together with the JobManager and retry registering with
            # this delay while it is not up yet (default 10 s: slow starts and restarts).
            "cluster.registration.error-delay": "1 s",
            # REST metrics (numRestarts) are cached this long; Flink's 10 s default makes
            # the reconciler see restarts late.
            "metrics.fetcher.update-interval": "2 s",
        }

    def _wait_port_free(self) -> None:
        deadline = time.monotonic() + self._stop_grace
        while _port_in_use(self._settings.rest_port):
            if time.monotonic() > deadline:
                raise EngineUnavailable(
                    f"port {self._settings.rest_port} is in use by another program; "
                    "stop it or set flink.rest_port"
                )
            time.sleep(0.2)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._startup_timeout
        want = self._settings.taskmanagers
        rest = FlinkRestClient(self.rest_url, timeout=2.0)
        seen = 0
        try:
            while time.monotonic() < deadline:
                with self._lock:
                    dead = [c for c in self._children.values() if c.process.poll() is not None]
                if dead:
                    raise EngineUnavailable(
                        f"Flink {dead[0].role} exited with {dead[0].process.returncode} "
                        f"during start-up\n{self._log_tail(dead[0].role)}"
                    )
                with contextlib.suppress(EngineUnavailable):
                    seen = int(rest.overview().get("taskmanagers", 0))
                    if seen >= want:
                        return
                time.sleep(0.25)
        finally:
            rest.close()
        raise EngineUnavailable(
            f"Flink at {self.rest_url} showed {seen}/{want} TaskManagers after "
            f"{self._startup_timeout:.0f} s\n{self._log_tail(_JOBMANAGER)}"
        )

    def _log_tail(self, role: str, lines: int = 30) -> str:
        kind = "standalonesession" if role == _JOBMANAGER else "taskexecutor"
        files = [self.log_dir / f"{role}.console"]
        logs = sorted(self.log_dir.glob(f"flink-*-{kind}-*.log"), key=lambda p: p.stat().st_mtime)
        files += logs[-1:]
        parts = []
        for path in files:
            with contextlib.suppress(OSError):
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path} ---\n" + "\n".join(tail))
        return "\n".join(parts)


def cluster_config(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Flink 2.x ``config.yaml`` content: ``base`` (nested or flat keys) with
    ``overrides`` (flat keys) applied, as strict nested YAML without duplicate keys.
    Raise ValueError when a key is both a value and a prefix of another key."""
    flat = dict(_flatten(base))
    flat.update(overrides)
    nested: dict[str, Any] = {}
    for key in sorted(flat):
        node = nested
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"config key {key!r} collides with a value at {part!r}")
            node = child
        if isinstance(node.get(leaf), dict):
            raise ValueError(f"config key {key!r} is also a prefix of other keys")
        node[leaf] = flat[key]
    return nested


def _flatten(config: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{name}.")
        else:
            yield name, value


# --------------------------------------------------------------------------- OS helpers


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _terminate(processes: list[subprocess.Popen[bytes]], grace: float) -> None:
    for process in processes:
        _signal_group(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
    for process in processes:
        # Also when the JVM exited: its group may still hold Python workers.
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()


def _close(child: _Child) -> None:
    if child.console is not None:
        child.console.close()
        child.console = None


def _marked_pids(marker: str) -> list[int]:
    """Live processes whose environment carries our marker (other users' are unreadable)."""
    needle = f"{_MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def _kill_marked(marker: str, sig: signal.Signals) -> None:
    for pid in _marked_pids(marker):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
