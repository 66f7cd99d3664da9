"""Whether a Flink cluster left running by an earlier Millstream may be adopted.

``LocalCluster.start`` and ``LocalCluster.adopt`` (the embedded cluster after a crash of
the server, managed session clusters through ``ClusterManager``) gather what they find
into a ``FoundCluster`` and ask ``adoption_verdict``: adopt it (no restart, its jobs keep
running) or stop it and start a fresh one, with the reason for the log. Pure: no I/O, so
every case is a unit test with plain values.

A cluster is adopted only when it is provably the one we would start now: its processes
carry this data dir's marker, its recorded REST port and configuration fingerprint (the
Flink configuration, log4j, distribution and OS user it was started with) are ours, its
JobManager is alive and answers on that port with our Flink version, and all of its
TaskManagers are registered. The TaskManager count is not part of the fingerprint: a
cluster scaled while it ran records its TaskManagers in its state file, and the caller
asks for as many as were recorded (``LocalCluster`` then starts any it wants more of).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FoundCluster", "Verdict", "adoption_verdict", "config_fingerprint"]

# Chosen afresh for every start (a free port); not part of what makes a cluster "ours".
_RPC_PORT_KEY = "jobmanager.rpc.port"


def config_fingerprint(
    *,
    config: Mapping[str, Any],
    log4j_properties: str | None,
    flink_home: str,
    flink_version: str,
    os_user: str | None,
) -> str:
    """A stable digest of everything a start decides; two starts with the same inputs
    (the free RPC port aside) give the same fingerprint."""
    flat = {k: v for k, v in config.items() if k != _RPC_PORT_KEY}
    material = {
        "config": flat,
        "log4j": log4j_properties,
        "flink_home": flink_home,
        "flink_version": flink_version,
        "os_user": os_user,
    }
    encoded = json.dumps(material, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True, slots=True)
class FoundCluster:
    """What a start found of an earlier cluster on this data dir.

    ``marked_pids``: live processes with our marker; ``recorded``: the state file's
    content (None when missing or unreadable); ``overview``: Flink's ``GET /overview``
    answer on the recorded port (None when it did not answer)."""

    marked_pids: frozenset[int]
    recorded: Mapping[str, Any] | None
    overview: Mapping[str, Any] | None = None
    overview_error: str | None = None
    pids: Mapping[str, int] = field(default_factory=dict)  # role -> pid, from ``recorded``


@dataclass(frozen=True, slots=True)
class Verdict:
    adopt: bool
    reason: str


def adoption_verdict(
    found: FoundCluster,
    *,
    rest_port: int,
    fingerprint: str,
    flink_version: str,
    taskmanagers: int,
) -> Verdict:
    """Adopt ``found`` or restart it; the first reason against adoption wins."""
    if not found.marked_pids:
        return Verdict(False, "no process of an earlier cluster is running")
    recorded = found.recorded
    if recorded is None:
        return Verdict(False, "its state file is missing or unreadable")
    if recorded.get("rest_port") != rest_port:
        return Verdict(
            False, f"it was started on REST port {recorded.get('rest_port')}, not {rest_port}"
        )
    if recorded.get("fingerprint") != fingerprint:
        return Verdict(
            False,
            "it was started with a different configuration "
            "(Flink settings, flinkConf, log4j, distribution or OS user changed)",
        )
    jobmanager = found.pids.get("jobmanager")
    if jobmanager is None or jobmanager not in found.marked_pids:
        return Verdict(False, "its JobManager process is gone")
    missing = sorted(r for r, p in found.pids.items() if p not in found.marked_pids)
    if missing:
        return Verdict(False, f"its processes {', '.join(missing)} are gone")
    overview = found.overview
    if overview is None:
        why = f": {found.overview_error}" if found.overview_error else ""
        return Verdict(False, f"its REST endpoint on port {rest_port} does not answer{why}")
    version = overview.get("flink-version")
    if version != flink_version:
        return Verdict(False, f"it runs Flink {version}, not {flink_version}")
    registered = _int(overview.get("taskmanagers"))
    if registered < taskmanagers:
        return Verdict(False, f"{registered} of its {taskmanagers} TaskManagers are registered")
    return Verdict(True, f"healthy: Flink {version}, {registered} TaskManager(s)")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
