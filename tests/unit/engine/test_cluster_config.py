"""The embedded cluster's config.yaml: strict nested YAML without duplicate keys."""

from __future__ import annotations

import pytest

from millstream.engine.local_cluster import cluster_config


def test_cluster_config_nests_keys_and_rejects_collisions() -> None:
    base = {"env": {"java": {"opts": {"all": "--add-opens x"}}}, "rest.port": 8081}
    config = cluster_config(base, {"rest.port": 9000, "restart-strategy.type": "none"})
    assert config == {
        "env": {"java": {"opts": {"all": "--add-opens x"}}},
        "rest": {"port": 9000},
        "restart-strategy": {"type": "none"},
    }
    with pytest.raises(ValueError, match="restart-strategy"):
        cluster_config({}, {"restart-strategy": "none", "restart-strategy.type": "none"})
