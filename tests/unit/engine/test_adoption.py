"""``engine.adoption``: when a cluster an earlier Millstream left running is adopted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from millstream.config import FlinkSettings
from millstream.engine.adoption import FoundCluster, adoption_verdict, config_fingerprint
from millstream.engine.local_cluster import LocalCluster
from millstream.engine.runtime import FlinkRuntime

PORT = 18081
VERSION = "2.3.0"
CONFIG: dict[str, Any] = {"rest.port": PORT, "jobmanager.rpc.port": 40001, "a.b": 1}


def fingerprint(**changes: Any) -> str:
    inputs: dict[str, Any] = {
        "config": CONFIG,
        "log4j_properties": None,
        "flink_home": "/opt/flink",
        "flink_version": VERSION,
        "os_user": None,
    }
    inputs.update(changes)
    return config_fingerprint(**inputs)


OURS = fingerprint()


def found(**changes: Any) -> FoundCluster:
    """A healthy cluster of ours (JobManager 10, TaskManager 11), with ``changes``."""
    values: dict[str, Any] = {
        "marked_pids": frozenset({10, 11, 12}),  # 12: a Python worker of a job
        "recorded": {"rest_port": PORT, "fingerprint": OURS},
        "overview": {"flink-version": VERSION, "taskmanagers": 1},
        "pids": {"jobmanager": 10, "taskmanager-0": 11},
    }
    values.update(changes)
    return FoundCluster(**values)


def verdict(cluster: FoundCluster, taskmanagers: int = 1) -> tuple[bool, str]:
    result = adoption_verdict(
        cluster,
        rest_port=PORT,
        fingerprint=OURS,
        flink_version=VERSION,
        taskmanagers=taskmanagers,
    )
    return result.adopt, result.reason


def test_healthy_cluster_with_our_configuration_is_adopted() -> None:
    adopt, reason = verdict(found())
    assert adopt
    assert "healthy" in reason


def test_nothing_running_is_not_adopted() -> None:
    assert verdict(found(marked_pids=frozenset())) == (
        False,
        "no process of an earlier cluster is running",
    )


@pytest.mark.parametrize(
    ("cluster", "why"),
    [
        (found(recorded=None), "state file"),
        (found(recorded={"rest_port": PORT + 1, "fingerprint": OURS}), "REST port"),
        (found(recorded={"rest_port": PORT}), "different configuration"),
        (found(recorded={"rest_port": PORT, "fingerprint": "0" * 64}), "different configuration"),
        (found(pids={"taskmanager-0": 11}), "JobManager process is gone"),
        (found(marked_pids=frozenset({11})), "JobManager process is gone"),
        (found(marked_pids=frozenset({10})), "taskmanager-0 are gone"),
        (found(overview=None, overview_error="connection refused"), "connection refused"),
        (found(overview={"flink-version": "1.20.0", "taskmanagers": 1}), "runs Flink 1.20.0"),
        (found(overview={"flink-version": VERSION, "taskmanagers": 0}), "0 of its 1"),
        (found(overview={"flink-version": VERSION}), "0 of its 1"),
    ],
    ids=[
        "no-state-file",
        "other-port",
        "no-fingerprint",
        "other-configuration",
        "jobmanager-not-recorded",
        "jobmanager-dead",
        "taskmanager-dead",
        "rest-down",
        "other-flink",
        "taskmanager-unregistered",
        "overview-without-taskmanagers",
    ],
)
def test_unhealthy_or_different_cluster_is_restarted_and_says_why(
    cluster: FoundCluster, why: str
) -> None:
    adopt, reason = verdict(cluster)
    assert not adopt
    assert why in reason


def test_fewer_taskmanagers_than_configured_is_restarted() -> None:
    adopt, reason = verdict(found(), taskmanagers=2)
    assert not adopt
    assert "1 of its 2 TaskManagers" in reason


def test_fingerprint_ignores_the_rpc_port_chosen_per_start() -> None:
    assert fingerprint(config={**CONFIG, "jobmanager.rpc.port": 40999}) == OURS


@pytest.mark.parametrize(
    "change",
    [
        {"config": {**CONFIG, "a.b": 2}},
        {"config": {**CONFIG, "taskmanager.numberOfTaskSlots": 8}},
        {"log4j_properties": "rootLogger.level = DEBUG"},
        {"flink_home": "/opt/other-flink"},
        {"flink_version": "2.3.1"},
        {"os_user": "millstream-flink"},
    ],
)
def test_fingerprint_changes_with_what_a_start_decides(change: dict[str, Any]) -> None:
    assert fingerprint(**change) != OURS


def _cluster(tmp_path: Path, **flink: Any) -> LocalCluster:
    home = tmp_path / "flink-home"
    (home / "conf").mkdir(parents=True, exist_ok=True)
    (home / "conf" / "config.yaml").write_text("taskmanager:\n  numberOfTaskSlots: 1\n")
    runtime = FlinkRuntime(home=home, version=VERSION, java_home=None)
    settings = FlinkSettings(rest_port=PORT, **flink)
    return LocalCluster(data_dir=tmp_path / "data", flink=settings, runtime=runtime)


def test_a_restart_with_the_same_settings_expects_the_same_fingerprint(tmp_path: Path) -> None:
    first = _cluster(tmp_path)._fingerprint()
    assert _cluster(tmp_path)._fingerprint() == first  # the free RPC port aside, identical
    assert _cluster(tmp_path, checkpoint_interval="7s")._fingerprint() != first
    assert _cluster(tmp_path, taskmanager_slots=2)._fingerprint() != first
