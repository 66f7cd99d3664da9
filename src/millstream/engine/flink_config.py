"""The Flink configuration of a local cluster: its ``conf/`` directory and ``config.yaml``.

``LocalCluster`` writes it before every start and fingerprints it for adoption: the
wheel's ``config.yaml``, our defaults for a supervised standalone cluster on 127.0.0.1,
then the cluster's own flinkConf over them; addresses, ports and directories stay ours
(the cluster must be reachable where we think it is). The wheel itself is never written.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from millstream.config import FlinkSettings
from millstream.engine.runtime import FlinkRuntime

__all__ = ["cluster_config", "flatten", "local_config", "write_conf_dir"]

_PINNED_PREFIXES = (
    "rest.",
    "jobmanager.rpc.",
    "jobmanager.bind-host",
    "taskmanager.host",
    "taskmanager.bind-host",
    "web.",
    "io.tmp.dirs",
)


def local_config(
    *,
    runtime: FlinkRuntime,
    settings: FlinkSettings,
    flink_dir: Path,
    extra_config: Mapping[str, Any],
    rpc_port: int,
) -> dict[str, Any]:
    """The ``config.yaml`` a start writes (nested)."""
    base = yaml.safe_load((runtime.home / "conf" / "config.yaml").read_text()) or {}
    overrides = _overrides(settings, flink_dir, rpc_port)
    pinned = {k: v for k, v in overrides.items() if k.startswith(_PINNED_PREFIXES)}
    return cluster_config(base, {**overrides, **extra_config, **pinned})


def write_conf_dir(
    *,
    runtime: FlinkRuntime,
    conf_dir: Path,
    flink_dir: Path,
    config: Mapping[str, Any],
    log4j_properties: str | None,
) -> None:
    """A fresh copy of the wheel's conf/ each start; our config.yaml replaces its own."""
    conf_dir.mkdir(parents=True, exist_ok=True)
    for item in (runtime.home / "conf").iterdir():
        if item.is_file() and item.name != "config.yaml":
            shutil.copy2(item, conf_dir / item.name)
    if log4j_properties is not None:
        (conf_dir / "log4j-console.properties").write_text(log4j_properties)
    for directory in ("uploads", "tmp"):
        (flink_dir / directory).mkdir(parents=True, exist_ok=True)
    (conf_dir / "config.yaml").write_text(yaml.safe_dump(dict(config), sort_keys=True))


def _overrides(s: FlinkSettings, flink_dir: Path, rpc_port: int) -> dict[str, Any]:
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
        "web.upload.dir": str(flink_dir / "uploads"),
        "web.tmpdir": str(flink_dir / "tmp"),
        "io.tmp.dirs": str(flink_dir / "tmp"),
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


def cluster_config(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Flink 2.x ``config.yaml`` content: ``base`` (nested or flat keys) with
    ``overrides`` (flat keys) applied, as strict nested YAML without duplicate keys.
    Raise ValueError when a key is both a value and a prefix of another key."""
    flat = dict(flatten(base))
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


def flatten(config: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested configuration -> (dotted key, value) pairs."""
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, f"{name}.")
        else:
            yield name, value
