"""Shared fixtures. ``flink``: one real local Flink cluster per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from millstream.config import FlinkSettings
from millstream.engine import LocalCluster
from tests.ports import free_port

# A shared 2-core machine: wall-clock deadlines would make property tests flaky.
settings.register_profile("millstream", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("millstream")


@pytest.fixture(scope="session")
def flink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A LocalCluster (1 TaskManager, 4 slots) on a free port, stopped at session end;
    fails the session if any of its processes survives the stop."""
    port = free_port()
    cluster = LocalCluster(
        data_dir=tmp_path_factory.mktemp("flink-data"),
        flink=FlinkSettings(rest_port=port, taskmanager_slots=4, checkpoint_interval="2s"),
    )
    cluster.start()
    yield cluster
    cluster.stop()
    assert cluster.surviving_pids() == []
