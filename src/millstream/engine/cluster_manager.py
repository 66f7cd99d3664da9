"""``ClusterManager``: the processes of session and dedicated clusters (embedded mode).

Implements ``control.cluster_ports.ClusterProcesses`` and ``ClusterProbe``. Each managed
cluster is a ``LocalCluster`` in ``<data_dir>/clusters/<workspace>/<name>`` on a free
REST port (kept across restarts when still free), sized from its ``ProcessSpec``.
Starts and stops run on a small thread pool: ``ensure``/``release`` only record the
wish and report the current state, so the reconciler's tick never waits for a JVM.

A running cluster follows its spec: a different TaskManager count is applied live
(``LocalCluster.scale``: new TaskManagers start, surplus ones stop only once idle, retried
every ``ensure`` until done), and a newer ``generation`` whose sizes or configuration
differ restarts the cluster with them (a JobManager resize; nothing else restarts a
running cluster). A cluster a crashed Millstream left running is adopted (found by its
data dir: the environment marker of its processes and the REST port in its state file;
healthy and started with the same configuration, as ``engine.adoption`` decides), so its
jobs keep running. The server calls ``stop_all()`` on shutdown: nothing we started
survives. A spec naming a runtime (``ProcessSpec.runtime``, e.g. ``1.20.5``: the on-demand
cluster of a runtime, or a session cluster whose engine version selects it) runs from that
runtime's Flink home (``RuntimeRegistry``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from millstream.config import FlinkSettings
from millstream.control.cluster_ports import ProcessSpec, ProcessState, ProcessStatus
from millstream.domain.clusters import TaskManagerSlots
from millstream.domain.deployments import Logging
from millstream.domain.errors import ErrorCode, InvalidInput
from millstream.engine.flink_user import OsUser
from millstream.engine.local_cluster import LocalCluster
from millstream.engine.processes import free_port, port_in_use
from millstream.engine.rest import FlinkRestClient
from millstream.engine.runtime import FlinkRuntime
from millstream.engine.runtime_registry import RuntimeRegistry
from millstream.engine.taskmanagers import read_taskmanagers

__all__ = ["ClusterManager", "FlinkProbe"]

_log = logging.getLogger(__name__)
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(slots=True)
class _Handle:
    key: str
    status: ProcessStatus
    generation: int
    cluster: LocalCluster | None = None
    rest_url: str | None = None
    failure: str | None = None
    future: Future[None] | None = None
    spec: ProcessSpec | None = None  # what the running processes were started with
    scaling: Future[int] | None = None  # a TaskManager count change in flight
    scaled: tuple[int, int] | None = None  # (running, wanted) last logged

    def state(self) -> ProcessState:
        return ProcessState(self.status, self.rest_url, self.failure)


class ClusterManager:
    """Start, adopt, watch and stop the local Flink clusters of managed clusters."""

    def __init__(
        self,
        *,
        data_dir: Path,
        flink: FlinkSettings,
        runtime: FlinkRuntime,
        max_parallel: int = 2,
        startup_timeout: float = 120.0,
        os_user: OsUser | None = None,
        runtimes: RuntimeRegistry | None = None,
    ) -> None:
        self._root = (data_dir / "clusters").resolve()
        # A spec naming a runtime (``ProcessSpec.runtime``) runs from that runtime's home.
        self._runtimes = runtimes or RuntimeRegistry(runtime)
        self._os_user = os_user  # the OS user the clusters' processes run as
        self._flink = flink
        self._runtime = runtime
        self._startup_timeout = startup_timeout
        self._handles: dict[str, _Handle] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="cluster")
        self._closed = False

    # ------------------------------------------------------------------ the port

    def ensure(self, spec: ProcessSpec) -> ProcessState:
        self._dir(spec.key)  # refuse an unsafe key before anything runs
        with self._lock:
            handle = self._handles.get(spec.key)
            if handle is not None:
                if handle.status in (ProcessStatus.STARTING, ProcessStatus.STOPPING):
                    return handle.state()
                if handle.status is ProcessStatus.RUNNING:
                    if handle.cluster is not None and handle.cluster.is_running():
                        if _needs_restart(handle, spec):
                            return self._restart(handle, spec)
                        handle.generation = max(handle.generation, spec.generation)
                        self._follow_size(handle, handle.cluster, spec.taskmanagers)
                        return handle.state()
                    _log.warning("Flink cluster %s is no longer running; starting it", spec.key)
                if handle.status is ProcessStatus.FAILED and spec.generation <= handle.generation:
                    return handle.state()
            if self._closed:
                return ProcessState(ProcessStatus.STOPPED, failure="Millstream is shutting down")
            handle = _Handle(spec.key, ProcessStatus.STARTING, spec.generation)
            self._handles[spec.key] = handle
            handle.future = self._pool.submit(self._start, handle, spec)
            return handle.state()

    def _restart(self, handle: _Handle, spec: ProcessSpec) -> ProcessState:
        """Stop the running cluster and start it again with ``spec`` (same port)."""
        _log.info("restarting Flink cluster %s with its new size or configuration", spec.key)
        restarting = _Handle(spec.key, ProcessStatus.STARTING, spec.generation)
        self._handles[spec.key] = restarting
        old = handle.cluster
        assert old is not None

        def restart() -> None:
            old.stop()
            self._start(restarting, replace(spec, preferred_rest_url=old.rest_url))

        restarting.future = self._pool.submit(restart)
        return restarting.state()

    def _follow_size(self, handle: _Handle, cluster: LocalCluster, taskmanagers: int) -> None:
        """Bring the TaskManager count to ``taskmanagers`` in the background; surplus
        TaskManagers still busy are tried again on the next call."""
        if handle.scaling is not None and not handle.scaling.done():
            return
        if handle.scaling is not None:
            with contextlib.suppress(Exception):
                if handle.scaling.result():
                    _log.debug("Flink cluster %s keeps busy TaskManagers", handle.key)
            handle.scaling = None
        current = len(cluster.taskmanager_roles())
        if current == taskmanagers and cluster.wanted_taskmanagers == taskmanagers:
            return
        if handle.scaled != (current, taskmanagers):  # once, not every tick of a retry
            handle.scaled = (current, taskmanagers)
            _log.info(
                "Flink cluster %s: %d TaskManager(s) running, %d wanted",
                handle.key,
                current,
                taskmanagers,
            )
        handle.scaling = self._pool.submit(cluster.scale, taskmanagers)

    def release(self, key: str) -> ProcessState:
        self._dir(key)
        with self._lock:
            handle = self._handles.get(key)
            if handle is not None and handle.status in (
                ProcessStatus.STARTING,
                ProcessStatus.STOPPING,
            ):
                return handle.state()  # a start finishes first; the next tick stops it
            if handle is not None and handle.status is ProcessStatus.STOPPED:
                return handle.state()
            if handle is None:
                if not self._has_processes(key):
                    return ProcessState(ProcessStatus.STOPPED)
                handle = _Handle(key, ProcessStatus.STOPPING, 0)
                self._handles[key] = handle
            generation = handle.generation
            stopping = _Handle(key, ProcessStatus.STOPPING, generation, cluster=handle.cluster)
            self._handles[key] = stopping
            stopping.future = self._pool.submit(self._stop, stopping)
            return stopping.state()

    def state(self, key: str) -> ProcessState:
        with self._lock:
            handle = self._handles.get(key)
            if handle is None:
                return ProcessState(ProcessStatus.STOPPED)
            if (
                handle.status is ProcessStatus.RUNNING
                and handle.cluster is not None
                and not handle.cluster.is_running()
            ):
                return ProcessState(ProcessStatus.FAILED, handle.rest_url, "processes exited")
            return handle.state()

    def wait(self, key: str, timeout: float | None = None) -> ProcessState:
        """Block until the start or stop in flight for ``key`` is done (tests, CLI)."""
        with self._lock:
            handle = self._handles.get(key)
            future = handle.future if handle else None
        if future is not None:
            future.result(timeout=timeout)
        return self.state(key)

    def log_dir(self, key: str) -> Path:
        """Where a managed cluster's Flink logs are (readable after it stopped)."""
        return self._dir(key) / "flink" / "log"

    def stop_all(self) -> None:
        """Stop every cluster we started or adopted and wait for it (server shutdown)."""
        with self._lock:
            self._closed = True
            handles = list(self._handles.values())
        for handle in handles:
            if handle.future is not None:
                with contextlib.suppress(Exception):
                    handle.future.result()
        self._pool.shutdown(wait=True)
        for handle in handles:
            if handle.cluster is not None:
                handle.cluster.stop()
        with self._lock:
            for handle in self._handles.values():
                handle.status = ProcessStatus.STOPPED

    # ------------------------------------------------------------------ background work

    def _start(self, handle: _Handle, spec: ProcessSpec) -> None:
        try:
            cluster = self._adopt_or_start(spec)
        except Exception as exc:
            _log.warning("Flink cluster %s failed to start: %s", spec.key, exc)
            with self._lock:
                handle.status = ProcessStatus.FAILED
                handle.failure = str(exc) or type(exc).__name__
            return
        with self._lock:
            handle.cluster = cluster
            handle.rest_url = cluster.rest_url
            handle.status = ProcessStatus.RUNNING
            handle.failure = None
            handle.spec = spec

    def _adopt_or_start(self, spec: ProcessSpec) -> LocalCluster:
        directory = self._dir(spec.key)
        port = self._previous_port(directory, spec.preferred_rest_url)
        if port is not None:
            cluster = self._local(directory, spec, port)
            if cluster.adopt():
                return cluster
            cluster.stop()  # whatever is left of ours there; frees our old port
            if port_in_use(port):
                port = None
        cluster = self._local(directory, spec, port or free_port())
        cluster.start()
        return cluster

    def _stop(self, handle: _Handle) -> None:
        cluster = handle.cluster or self._local(
            self._dir(handle.key), _placeholder(handle.key), self._flink.rest_port
        )
        try:
            cluster.stop()
        finally:
            with self._lock:
                handle.cluster = None
                handle.status = ProcessStatus.STOPPED

    def _local(self, directory: Path, spec: ProcessSpec, port: int) -> LocalCluster:
        settings = self._flink.model_copy(
            update={
                "rest_port": port,
                "taskmanagers": spec.taskmanagers,
                "taskmanager_slots": spec.slots,
                "jobmanager_memory": spec.jobmanager_memory,
                "taskmanager_memory": spec.taskmanager_memory,
                "default_parallelism": 1,
            }
        )
        return LocalCluster(
            data_dir=directory,
            flink=settings,
            runtime=self._runtimes.get(spec.runtime) if spec.runtime else self._runtime,
            startup_timeout=self._startup_timeout,
            extra_config=spec.flink_conf,
            log4j_properties=_log4j(spec.logging),
            os_user=self._os_user,
        )

    # ------------------------------------------------------------------ helpers

    def _dir(self, key: str) -> Path:
        parts = key.split("/")
        if len(parts) != 2 or not all(_SEGMENT.fullmatch(p) for p in parts):
            raise InvalidInput(f"cluster key {key!r} cannot name a directory")
        return self._root.joinpath(*parts)

    def _has_processes(self, key: str) -> bool:
        probe = self._local(self._dir(key), _placeholder(key), self._flink.rest_port)
        return bool(probe.surviving_pids())

    @staticmethod
    def _previous_port(directory: Path, preferred_rest_url: str | None) -> int | None:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            state = json.loads((directory / "flink" / "run" / "cluster.json").read_text())
            return int(state["rest_port"])
        if preferred_rest_url:
            return urlparse(preferred_rest_url).port
        return None


def _needs_restart(handle: _Handle, spec: ProcessSpec) -> bool:
    """A newer generation (a user's start or resize) whose processes would differ from
    the running ones; the TaskManager count and the port change without a restart."""
    if handle.spec is None or spec.generation <= handle.generation:
        return False
    running = replace(handle.spec, taskmanagers=0, generation=0, preferred_rest_url=None)
    return running != replace(spec, taskmanagers=0, generation=0, preferred_rest_url=None)


def _placeholder(key: str) -> ProcessSpec:
    """A spec for reaching a cluster's directory only (stop, pids): sizes do not matter."""
    return ProcessSpec(key, 1, 1, "1024m", "1024m")


def _log4j(logging_: Logging | None) -> str | None:
    """The job's log4j2 properties (dedicated clusters); None keeps Flink's default. An
    XML template cannot replace Flink's properties file and is skipped (logged)."""
    if logging_ is None or logging_ == Logging():
        return None
    try:
        from millstream.engine.logs import render_log4j_configuration
    except ImportError:  # the log module is optional in slim builds
        return None
    configuration = render_log4j_configuration(logging_)
    if configuration.format != "properties":
        _log.warning("an XML log4j2 template cannot configure a dedicated cluster; skipped")
        return None
    return configuration.text


class FlinkProbe:
    """``ClusterProbe``: is there a Flink session cluster at this REST URL?
    ``TaskManagerProbe``: its TaskManagers and their slots."""

    def __init__(self, *, timeout: float = 5.0, transport: httpx.BaseTransport | None = None):
        self._timeout = timeout
        self._transport = transport

    def check(self, rest_url: str) -> dict[str, Any]:
        parsed = urlparse(rest_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise InvalidInput(
                f"flinkRestUrl {rest_url!r} must be an http(s) URL such as http://host:8081",
                code=ErrorCode.CLUSTER_URL_INVALID,
            )
        rest = FlinkRestClient(rest_url, timeout=self._timeout, transport=self._transport)
        try:
            overview = rest.overview()
        finally:
            rest.close()
        if "taskmanagers" not in overview or "flink-version" not in overview:
            raise InvalidInput(
                f"{rest_url} answered GET /overview without taskmanagers/flink-version: "
                "not a Flink REST endpoint",
                code=ErrorCode.CLUSTER_URL_INVALID,
            )
        return overview

    def taskmanagers(self, rest_url: str) -> list[TaskManagerSlots]:
        return read_taskmanagers(rest_url, timeout=self._timeout, transport=self._transport)
