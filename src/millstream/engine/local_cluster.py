"""``LocalCluster``: the embedded Flink standalone session cluster Millstream owns.

The app factory starts it when ``flink.embedded`` is set; tests start one per session.
It runs the wheel's ``jobmanager.sh`` / ``taskmanager.sh start-foreground`` as our own
child processes (``engine.processes``: each in its own process group, so a kill reaches
the JVM and anything it spawned, e.g. Python workers), with its configuration
(``engine.flink_config``), logs and uploads under ``<data_dir>/flink``; the wheel itself is
never written. A supervisor thread restarts a TaskManager (or the JobManager) that dies.
Every process carries an environment marker, so a cluster left behind by a crashed
Millstream is found on the next start: ``start()`` adopts it when it is healthy and
started with the configuration we would start now (``engine.adoption`` decides; its jobs
keep running, the supervisor watches its processes by pid), and stops it otherwise,
saying why. Nothing of ours survives ``stop()``.

``scale()`` changes the number of TaskManagers of the running cluster: new ones start at
once, surplus ones stop only when Flink reports all their slots free (each TaskManager's
Flink resource id is its role, ``taskmanager-<n>``); the state file records every role's
pid, so an adoption after a crash keeps the new size.

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
import functools
import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from millstream.config import FlinkSettings, Settings
from millstream.domain.clusters import TaskManagerSlots, idle_newest_first
from millstream.domain.errors import EngineUnavailable, InvalidInput
from millstream.engine.adoption import FoundCluster, Verdict, adoption_verdict, config_fingerprint
from millstream.engine.flink_config import cluster_config, flatten, local_config, write_conf_dir
from millstream.engine.flink_user import OsUser, hand_over, require_reachable
from millstream.engine.processes import (
    JOBMANAGER,
    free_port,
    kill_marked_and_wait,
    launch,
    marked_pids,
    port_in_use,
    stop_marked,
)
from millstream.engine.rest import FlinkRestClient
from millstream.engine.runtime import FlinkRuntime
from millstream.engine.startup import wait_ready
from millstream.engine.supervisor import Supervisor
from millstream.engine.taskmanagers import new_roles, read_taskmanagers

__all__ = ["LocalCluster", "cluster_config"]

_log = logging.getLogger(__name__)


class LocalCluster:
    """Start, supervise, scale and stop a standalone Flink session cluster on 127.0.0.1."""

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
        self._runtime = runtime or FlinkRuntime.detect(flink.flink_home)
        self._startup_timeout = startup_timeout
        self._stop_grace = stop_grace
        self.data_dir = data_dir.resolve()
        # Real path: ``flink`` may be a link to where the Flink user can reach it.
        self.flink_dir = (self.data_dir / "flink").resolve()
        self.conf_dir = self.flink_dir / "conf"
        self.log_dir = self.flink_dir / "log"
        self._state_file = self.flink_dir / "run" / "cluster.json"
        self._processes = Supervisor(
            launch=functools.partial(
                launch,
                runtime=self._runtime,
                flink_dir=self.flink_dir,
                conf_dir=self.conf_dir,
                log_dir=self.log_dir,
                pid_dir=self._state_file.parent,
                os_user=self._os_user,
            ),
            marker=self._marker_value,
            taskmanagers=lambda: self._settings.taskmanagers,
            on_change=self._save_state,
        )
        self._lock = self._processes.lock

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
            if self._processes:
                return
            verdict = self._adopt_if_healthy()
            if verdict.adopt:
                self._processes.start()
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
            self._processes.start_all()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self._processes.start()

    def stop(self) -> None:
        """SIGTERM every process group, SIGKILL what is left after the grace period,
        then sweep any straggler carrying our marker (orphaned Python workers)."""
        self._processes.stop()
        with self._lock:
            if self._processes.adopted:
                self._processes.adopted.clear()
                stop_marked(self._marker_value, self._stop_grace)
            self._processes.terminate_children(self._stop_grace)
            # ... and returns once they are gone (``surviving_pids`` is empty after it).
            kill_marked_and_wait(self._marker_value, self._stop_grace)
            self._state_file.unlink(missing_ok=True)

    def is_running(self) -> bool:
        with self._lock:
            return bool(self._processes) and self._processes.alive()

    @property
    def adopted(self) -> bool:
        """Whether this cluster's processes were started by an earlier Millstream."""
        with self._lock:
            return bool(self._processes.adopted)

    def adopt(self) -> bool:
        """Take over this data dir's cluster left running by an earlier Millstream when
        ``engine.adoption`` finds it healthy and started with our configuration; it is
        supervised from then on and ``stop()`` ends it. False (and nothing changed, the
        reason logged) when there is nothing to adopt."""
        with self._lock:
            if self._processes:
                return self.is_running()
            verdict = self._adopt_if_healthy()
            if not verdict.adopt:
                _log.info(
                    "not adopting the Flink cluster of %s: %s", self.flink_dir, verdict.reason
                )
                return False
        self._processes.start()
        return True

    def _adopt_if_healthy(self) -> Verdict:
        """Adopt what an earlier Millstream left running here when it passes every check;
        TaskManagers it had fewer of than we want now are started next to it."""
        found = self._find()
        recorded = [role for role in found.pids if role != JOBMANAGER]
        verdict = adoption_verdict(
            found,
            rest_port=self._settings.rest_port,
            fingerprint=self._fingerprint(),
            flink_version=self._runtime.version,
            # It was scaled to what it recorded (``scale``), whatever it started with.
            taskmanagers=len(recorded) if found.pids else self._settings.taskmanagers,
        )
        if not verdict.adopt:
            return verdict
        self._processes.adopted.update(found.pids)
        _log.info(
            "adopted the running Flink cluster of %s at %s (pids %s): %s",
            self.flink_dir,
            self.rest_url,
            dict(found.pids),
            verdict.reason,
        )
        for role in new_roles(recorded, self._settings.taskmanagers - len(recorded)):
            self._processes.spawn(role)
        return verdict

    def _find(self) -> FoundCluster:
        """What is left here of an earlier cluster: marked processes, the state file and
        (only when something runs) Flink's overview on the recorded port."""
        marked = frozenset(marked_pids(self._marker_value))
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
            config=dict(flatten(self._config(rpc_port=0))),
            log4j_properties=self._log4j_properties,
            flink_home=str(self._runtime.home),
            flink_version=self._runtime.version,
            os_user=None if self._os_user is None else self._os_user.name,
        )

    def surviving_pids(self) -> list[int]:
        """Processes started for this cluster (JVMs, Python workers) still alive; empty
        after ``stop()``."""
        return marked_pids(self._marker_value)

    def taskmanager_pids(self) -> list[int]:
        pids = self._processes.pids()
        return [pid for role, pid in sorted(pids.items()) if role != JOBMANAGER]

    def taskmanager_roles(self) -> list[str]:
        """The TaskManagers running now (``taskmanager-<n>``: also their Flink ids)."""
        return [role for role in self._processes.roles() if role != JOBMANAGER]

    @property
    def wanted_taskmanagers(self) -> int:
        """How many TaskManagers this cluster runs once ``scale`` could do its work."""
        return self._settings.taskmanagers

    def jobmanager_pid(self) -> int | None:
        return self._processes.pids().get(JOBMANAGER)

    def scale(self, taskmanagers: int) -> int:
        """Run ``taskmanagers`` TaskManagers from now on (restarts keep the count): missing
        ones start at once; surplus ones are stopped only when Flink reports all their
        slots free (the newest first), never one whose slots a job uses. Returns how many
        surplus TaskManagers had to stay for that (a later call tries again)."""
        if not 1 <= taskmanagers <= 1024:
            raise InvalidInput(f"a cluster runs 1 to 1024 TaskManagers, not {taskmanagers}")
        with self._lock:
            if not self._processes:
                raise EngineUnavailable(f"the Flink cluster of {self.flink_dir} is not running")
            self._settings = self._settings.model_copy(update={"taskmanagers": taskmanagers})
            roles = self.taskmanager_roles()
            for role in new_roles(roles, taskmanagers - len(roles)):
                self._processes.spawn(role)
            if len(roles) <= taskmanagers:
                return 0
        observed = read_taskmanagers(self.rest_url, timeout=5.0)  # no lock held over HTTP
        with self._lock:
            roles = self.taskmanager_roles()
            surplus = len(roles) - self._settings.taskmanagers
            registered = {tm.id: tm for tm in observed if tm.id in roles}
            # One Flink does not know yet runs nothing: as idle as it gets.
            candidates = list(registered.values()) + [
                TaskManagerSlots(role, 0, 0) for role in roles if role not in registered
            ]
            chosen = idle_newest_first(candidates)[: max(0, surplus)]
            stops = [self._processes.detach(role, self._stop_grace) for role in chosen]
        for stop in stops:
            stop()
        if chosen:
            _log.info("stopped idle Flink TaskManager(s) %s of %s", chosen, self.flink_dir)
        return max(0, surplus - len(chosen))

    def restart_jobmanager(self) -> None:
        """Kill the JobManager like a crash (SIGKILL) and start a fresh one; the
        TaskManagers are restarted too, since they do not re-register by themselves.
        Returns when the new cluster is ready. For fault tests."""
        with self._lock:
            self._processes.kill_children()
            self._processes.start_all()
        self._wait_ready()

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ state & config

    @property
    def _marker_value(self) -> str:
        return str(self.flink_dir)

    def _save_state(self) -> None:
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        # What ``engine.adoption`` compares on the next start: the fingerprint of the
        # configuration these processes run with, and which pid plays which role.
        state = {
            "rest_port": self._settings.rest_port,
            "fingerprint": self._fingerprint(),
            "pids": self._processes.pids(),
        }
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self._state_file)  # a crash mid-write never leaves half a file

    def _stop_stale(self, reason: str = "") -> None:
        """Stop processes a previous Millstream left running on this data dir. Its pid
        file may be stale or gone; the environment marker proves a process is ours."""
        stale = marked_pids(self._marker_value)
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
        stop_marked(self._marker_value, self._stop_grace)

    def _write_config(self) -> None:
        write_conf_dir(
            runtime=self._runtime,
            conf_dir=self.conf_dir,
            flink_dir=self.flink_dir,
            # Not the default 6123: another Flink on this machine must not collide.
            config=self._config(rpc_port=free_port()),
            log4j_properties=self._log4j_properties,
        )

    def _config(self, *, rpc_port: int) -> dict[str, Any]:
        return local_config(
            runtime=self._runtime,
            settings=self._settings,
            flink_dir=self.flink_dir,
            extra_config=self._extra_config,
            rpc_port=rpc_port,
        )

    def _wait_port_free(self) -> None:
        deadline = time.monotonic() + self._stop_grace
        while port_in_use(self._settings.rest_port):
            if time.monotonic() > deadline:
                raise EngineUnavailable(
                    f"port {self._settings.rest_port} is in use by another program; "
                    "stop it or set flink.rest_port"
                )
            time.sleep(0.2)

    def _wait_ready(self) -> None:
        wait_ready(
            self.rest_url,
            taskmanagers=self._settings.taskmanagers,
            timeout=self._startup_timeout,
            dead=self._processes.dead_child,
            log_dir=self.log_dir,
        )
