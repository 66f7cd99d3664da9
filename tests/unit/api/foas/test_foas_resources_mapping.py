"""The foas resource modules' pure mappings: queue names, the document's resource units,
cluster states, tag resource types."""

from __future__ import annotations

import pytest
from tests.factories import make_queue

from millstream.api.foas.clusters import CLUSTER_STATES, memory_mb, vcores
from millstream.api.foas.queues import foas_queue_name, millstream_queue_name
from millstream.api.foas.tags import RESOURCE_TYPES
from millstream.domain.clusters import ClusterStatus
from millstream.domain.errors import InvalidInput


@pytest.mark.parametrize(
    ("foas", "millstream"),
    [
        ("root.default", "default"),
        ("default", "default"),
        ("root.fast_lane", "fast-lane"),
        ("root.Team_A", "team-a"),
    ],
)
def test_foas_queue_names_map_onto_millstream_names(foas: str, millstream: str) -> None:
    assert millstream_queue_name(foas) == millstream


@pytest.mark.parametrize("foas", ["", "root.", "root.a.b", "root.-x", "root.a b"])
def test_queue_names_millstream_cannot_hold_are_refused(foas: str) -> None:
    with pytest.raises(InvalidInput):
        millstream_queue_name(foas)


def test_queues_are_shown_under_root() -> None:
    assert foas_queue_name(make_queue(name="etl")) == "root.etl"


def test_one_cu_is_100_vcores_and_4096_mb() -> None:
    assert (vcores(1.0), memory_mb(1.0)) == (100, 4096)
    assert (vcores(1.5), memory_mb(0.25)) == (150, 1024)


def test_every_cluster_status_has_a_foas_state() -> None:
    assert set(CLUSTER_STATES) == set(ClusterStatus)
    assert CLUSTER_STATES[ClusterStatus.STOPPED] == "DESTROYED"


def test_tag_resource_types_are_clusters_and_projects() -> None:
    assert set(RESOURCE_TYPES.values()) == {"cluster", "project"}
    assert RESOURCE_TYPES["aliyun::foas::cluster"] == "cluster"
