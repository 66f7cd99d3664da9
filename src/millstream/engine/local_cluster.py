"""``LocalCluster``: the embedded Flink standalone session cluster Millstream owns.

The app factory starts it when ``flink.embedded`` is set; tests start one per session.
It runs the wheel's ``jobmanager.sh`` / ``taskmanager.sh start-foreground`` as our own
child processes (each in its own process group, so a kill reaches the JVM and anything
it spawned, e.g. Python workers), with its configuration, logs and uploads under
``<data_dir>/flink``; the wheel itself is never written. A supervisor thread restarts a
TaskManager (or the JobManager) that dies. Every process carries an environment marker,
so a cluster left behind by a crashed Millstream is found on the next start: ``start()``
adopts it when it is healthy and started with the configuration we would start now
(``engine.adoption`` decides; its jobs keep running, the supervisor watches its processes
by pid), and stops it otherwise, saying why. Nothing of ours survives ``stop()``.

The ``ClusterManager`` runs more of them (session and dedicated clusters), each in its
own data directory, with the cluster's own ``extra_config`` (its flinkConf) and log4j
configuration, and may ``adopt()`` one a previous Millstream left running instead of
restarting it (its jobs keep running).

Given an ``os_user`` (``engine.flink_user``: the server runs as root), every process runs
as that user, in a working tree handed over to it, so a job cannot read the control
plane's files; Flink is given only real paths (the data directory may hold symbolic links
to where the Flink user can reach).
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
from millstream.engine.adoption import FoundCluster, Verdict, adoption_verdict, config_fingerprint
from millstream.engine.flink_user import OsUser, hand_over, require_reachable
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
        os_user: OsUser | None = None,
    ) -> None:
        self._settings = flink
        self._os_user = os_user
        self._extra_config = dict(extra_config or {})
        self._log4j_properties = log4j_properties
        # Processes an earlier Millstream started that we adopted (role -> pid): not our
        # children, so they are watched through /proc rather than waited for.
        self._adopted: dict[str, int] = {}
        self._runtime = runtime or FlinkRuntime.detect(flink.flink_home)
        self._startup_timeout = startup_timeout
        self._stop_grace = stop_grace
        self.data_dir = data_dir.resolve()
        # Real path: ``flink`` may be a link to where the Flink user can reach it.
        self.flink_dir = (self.data_dir / "flink").resolve()
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
            if self._children or self._adopted:
                return
            verdict = self._adopt_if_healthy()
            if verdict.adopt:
                self._start_supervisor()
                return
            self._stop_stale(verdict.reason)
            self._wait_port_free()
            self._write_config()
            if self._os_user is not None:
                # Every directory Flink writes to exists before the tree changes hands.
                for directory in (self.log_dir, self._state_file.parent):
                    directory.mkdir(parents=True, exist_ok=True)
                require_reachable(self.flink_dir, self._os_user)
                hand_over(self.flink_dir, self._os_user)
            self._stopping.clear()
            self._start_all()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self._start_supervisor()

    def _start_supervisor(self) -> None:
        self._stopping.clear()
        self._supervisor = threading.Thread(
            target=self._supervise, name="flink-supervisor", daemon=True
        )
        self._supervisor.start()

    def stop(self) -> None:
        """SIGTERM every process group, SIGKILL what is left after the grace period,
        then sweep any straggler carrying our marker (orphaned Python workers)."""
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join()
            self._supervisor = None
        with self._lock:
            if self._adopted:
                self._adopted.clear()
                self._stop_marked()
            children = list(self._children.values())
            self._children.clear()
            _terminate([c.process for c in children], self._stop_grace)
            for child in children:
                _close(child)
            _kill_marked(self._marker_value, signal.SIGKILL)
            self._state_file.unlink(missing_ok=True)

    def is_running(self) -> bool:
        with self._lock:
            if not (self._children or self._adopted):
                return False
            return all(c.process.poll() is None for c in self._children.values()) and all(
                _is_marked(pid, self._marker_value) for pid in self._adopted.values()
            )

    @property
    def adopted(self) -> bool:
        """Whether this cluster's processes were started by an earlier Millstream."""
        with self._lock:
            return bool(self._adopted)

    def adopt(self) -> bool:
        """Take over this data dir's cluster left running by an earlier Millstream when
        ``engine.adoption`` finds it healthy and started with our configuration; it is
        supervised from then on and ``stop()`` ends it. False (and nothing changed, the
        reason logged) when there is nothing to adopt."""
        with self._lock:
            if self._children or self._adopted:
                return self.is_running()
            verdict = self._adopt_if_healthy()
            if not verdict.adopt:
                _log.info(
                    "not adopting the Flink cluster of %s: %s", self.flink_dir, verdict.reason
                )
                return False
        self._start_supervisor()
        return True

    def _adopt_if_healthy(self) -> Verdict:
        """Adopt what an earlier Millstream left running here when it passes every check."""
        found = self._find()
        verdict = adoption_verdict(
            found,
            rest_port=self._settings.rest_port,
            fingerprint=self._fingerprint(),
            flink_version=self._runtime.version,
            taskmanagers=self._settings.taskmanagers,
        )
        if not verdict.adopt:
            return verdict
        self._adopted = dict(found.pids)
        self._stopping.clear()
        _log.info(
            "adopted the running Flink cluster of %s at %s (pids %s): %s",
            self.flink_dir,
            self.rest_url,
            self._adopted,
            verdict.reason,
        )
        return verdict

    def _find(self) -> FoundCluster:
        """What is left here of an earlier cluster: marked processes, the state file and
        (only when something runs) Flink's overview on the recorded port."""
        marked = frozenset(_marked_pids(self._marker_value))
        if not marked:
            return FoundCluster(marked, None)
        recorded: dict[str, Any] | None = None
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(self._state_file.read_text())
            recorded = loaded if isinstance(loaded, dict) else None
        if recorded is None:
            return FoundCluster(marked, None)
        raw_pids = recorded.get("pids")
        pids: dict[str, int] = {}
        if isinstance(raw_pids, dict):
            pids = {str(r): p for r, p in raw_pids.items() if isinstance(p, int)}
        port = recorded.get("rest_port")
        if not isinstance(port, int):
            return FoundCluster(marked, recorded, pids=pids)
        rest = FlinkRestClient(f"http://127.0.0.1:{port}", timeout=2.0)
        try:
            overview: dict[str, Any] | None = rest.overview()
            error = None
        except EngineUnavailable as exc:
            overview, error = None, str(exc)
        finally:
            rest.close()
        return FoundCluster(marked, recorded, overview, error, pids)

    def _fingerprint(self) -> str:
        return config_fingerprint(
            config=dict(_flatten(self._config(rpc_port=0))),
            log4j_properties=self._log4j_properties,
            flink_home=str(self._runtime.home),
            flink_version=self._runtime.version,
            os_user=None if self._os_user is None else self._os_user.name,
        )

    def surviving_pids(self) -> list[int]:
        """Processes started for this cluster (JVMs, Python workers) still alive; empty
        after ``stop()``."""
        return _marked_pids(self._marker_value)

    def taskmanager_pids(self) -> list[int]:
        with self._lock:
            pids = {r: c.pid for r, c in self._children.items()} | self._adopted
            return [pid for role, pid in sorted(pids.items()) if role != _JOBMANAGER]

    def jobmanager_pid(self) -> int | None:
        with self._lock:
            child = self._children.get(_JOBMANAGER)
            return child.pid if child is not None else self._adopted.get(_JOBMANAGER)

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
        identity: dict[str, Any] = {}
        if self._os_user is not None:
            # Its own user, no supplementary groups of ours, a home it owns.
            identity = {
                "user": self._os_user.uid,
                "group": self._os_user.gid,
                "extra_groups": [],
            }
            env |= {
                "HOME": str(self.flink_dir),
                "USER": self._os_user.name,
                "LOGNAME": self._os_user.name,
                "TMPDIR": str(self.flink_dir / "tmp"),
            }
        process = subprocess.Popen(
            [str(self._runtime.home / "bin" / script), "start-foreground"],
            env=env,
            cwd=self.flink_dir,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: killpg reaches its children
            **identity,
        )
        previous = self._children.get(role)
        child = _Child(role, process, time.monotonic(), console=console)
        if previous is not None:
            child.backoff = previous.backoff
        self._children[role] = child
        self._adopted.pop(role, None)
        self._save_state()
        _log.info("started Flink %s (pid %d)", role, process.pid)
        return child

    def _supervise(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                if self._stopping.is_set():
                    return
                try:
                    self._check_adopted()
                    self._check_children()
                except Exception:  # keep supervising; the next round retries
                    _log.exception("Flink supervisor round failed")

    def _check_adopted(self) -> None:
        """Adopted processes are not our children: a dead one is seen through /proc. A
        TaskManager is replaced by a child of ours, a JobManager restarts the cluster."""
        for role, pid in list(self._adopted.items()):
            if _is_marked(pid, self._marker_value):
                continue
            _signal_group(pid, signal.SIGKILL)  # what it left in its group (Python workers)
            _log.warning("adopted Flink %s (pid %d) exited; starting it again", role, pid)
            del self._adopted[role]
            if role == _JOBMANAGER:
                self._restart_all()
                return
            self._spawn(role)

    def _restart_all(self) -> None:
        """A new JobManager has no jobs and old TaskManagers do not re-register quickly:
        restart them all (the reconciler resubmits the jobs)."""
        for pid in self._adopted.values():
            _signal_group(pid, signal.SIGKILL)
        self._adopted.clear()
        for other in self._children.values():
            _signal_group(other.pid, signal.SIGKILL)
            other.process.wait()
            _close(other)
        self._children.clear()
        self._start_all()

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
                self._restart_all()
                return
            self._spawn(role)

    def _save_state(self) -> None:
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        # What ``engine.adoption`` compares on the next start: the fingerprint of the
        # configuration these processes run with, and which pid plays which role.
        state = {
            "rest_port": self._settings.rest_port,
            "fingerprint": self._fingerprint(),
            "pids": self._adopted | {role: c.pid for role, c in self._children.items()},
        }
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self._state_file)  # a crash mid-write never leaves half a file

    def _stop_stale(self, reason: str = "") -> None:
        """Stop processes a previous Millstream left running on this data dir. Its pid
        file may be stale or gone; the environment marker proves a process is ours."""
        stale = _marked_pids(self._marker_value)
        if not stale:
            return
        recorded = "unknown"
        with contextlib.suppress(OSError, ValueError, KeyError):
            recorded = str(json.loads(self._state_file.read_text())["pids"])
        _log.warning(
            "stopping a stale Flink cluster of %s (pids %s, recorded %s)%s",
            self.flink_dir,
            stale,
            recorded,
            f": {reason}" if reason else "",
        )
        self._stop_marked()

    def _stop_marked(self) -> None:
        """SIGTERM what carries our marker, SIGKILL it after the grace period."""
        _kill_marked(self._marker_value, signal.SIGTERM)
        deadline = time.monotonic() + self._stop_grace
        while _marked_pids(self._marker_value) and time.monotonic() < deadline:
            time.sleep(0.2)
        _kill_marked(self._marker_value, signal.SIGKILL)
        deadline = time.monotonic() + self._stop_grace
        while _marked_pids(self._marker_value) and time.monotonic() < deadline:
            time.sleep(0.1)  # SIGKILLed processes take a moment to be gone

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
        for directory in ("uploads", "tmp"):
            (self.flink_dir / directory).mkdir(parents=True, exist_ok=True)
        # Not the default 6123: another Flink on this machine must not collide.
        config = self._config(rpc_port=_free_port())
        (self.conf_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=True))

    def _config(self, *, rpc_port: int) -> dict[str, Any]:
        """The ``config.yaml`` a start writes: the wheel's, our defaults, the cluster's own
        flinkConf over them; addresses, ports and directories stay ours (the cluster must
        be reachable where we think it is)."""
        base = yaml.safe_load((self._runtime.home / "conf" / "config.yaml").read_text()) or {}
        overrides = self._overrides(rpc_port)
        pinned = {k: v for k, v in overrides.items() if k.startswith(_PINNED_PREFIXES)}
        return cluster_config(base, {**overrides, **self._extra_config, **pinned})

    def _overrides(self, rpc_port: int) -> dict[str, Any]:
        s = self._settings
        return {
            "rest.port": s.rest_port,
            "rest.address": "127.0.0.1",
            "rest.bind-address": "127.0.0.1",
            "jobmanager.rpc.address": "127.0.0.1",
            "jobmanager.rpc.port": rpc_port,
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


def _is_marked(pid: int, marker: str) -> bool:
    """``pid`` is alive (not a zombie: its environment is empty) and carries our marker;
    a recycled pid does not."""
    needle = f"{_MARKER}={marker}".encode()
    try:
        return needle in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


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
