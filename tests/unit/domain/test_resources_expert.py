"""EXPERT resource plans: what is honoured, what is refused and why; batch maxSlot."""

from __future__ import annotations

import json
from typing import Any

import pytest

from millstream.domain.clusters import cluster_size
from millstream.domain.errors import InvalidInput
from millstream.domain.resources import (
    ResourceMode,
    ResourceSetting,
    ResourceSpec,
    parse_resource_plan,
)

# Seed 000's plan (streamingResourceSetting.expertResourceSetting.resourcePlan).
SEED_PLAN = (
    '{"ssgProfiles":[{"name":"default","cpu":1.13,"heap":"1 gb","offHeap":"32 mb",'
    '"managed":{},"extended":{}}],"nodes":[{"id":1,"type":"StreamExecTableSourceScan",'
    '"desc":"Source: datagen_source[78]","profile":{"group":"default","parallelism":1,'
    '"maxParallelism":32768,"minParallelism":1}},{"id":2,"type":"StreamExecSink",'
    '"desc":"Sink: blackhole_sink[79]","profile":{"group":"default","parallelism":1,'
    '"maxParallelism":32768,"minParallelism":1}}],"edges":[{"source":1,"target":2,'
    '"mode":"PIPELINED","strategy":"FORWARD"}],"vertices":{"717c7b8afebbfb7137f6f0f99beb2a94":[1,2]}}'
)


def _plan(**changes: Any) -> dict[str, Any]:
    plan: dict[str, Any] = json.loads(SEED_PLAN)
    plan.update(changes)
    return plan


def test_seed_plan_is_honoured() -> None:
    plan = parse_resource_plan(SEED_PLAN)
    assert (plan.parallelism, plan.max_parallelism, plan.nodes) == (1, 32768, 2)
    setting = ResourceSetting(mode=ResourceMode.EXPERT, parallelism=4, resource_plan=SEED_PLAN)
    setting.validate()
    assert setting.effective_parallelism() == 1
    assert setting.flink_conf() == {"pipeline.max-parallelism": 32768}


def _with_node_profile(index: int, **profile: Any) -> str:
    plan = _plan()
    plan["nodes"][index]["profile"].update(profile)
    return json.dumps(plan)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ("[]", "JSON object"),
        (json.dumps(_plan(nodes=[])), "non-empty list"),
        (json.dumps(_plan(operators=[])), "unknown field"),
        (_with_node_profile(1, parallelism=2), "per-operator parallelism differs"),
        (_with_node_profile(1, maxParallelism=128), "maxParallelism differs"),
        (_with_node_profile(0, parallelism=0), "between 1 and 32768"),
        (_with_node_profile(0, minParallelism=5), "minParallelism"),
        (_with_node_profile(0, cpu=2), "unknown field"),
        (
            json.dumps(_plan(ssgProfiles=[{"name": "a"}, {"name": "b"}])),
            "2 slot-sharing groups",
        ),
        (json.dumps(_plan(ssgProfiles=[{"name": "a", "managed": {"x": 1}}])), "managed"),
    ],
)
def test_what_cannot_be_honoured_is_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        ResourceSetting(mode=ResourceMode.EXPERT, resource_plan=text).validate()
    assert "cannot be honoured" in str(info.value)


def test_max_slot_caps_the_parallelism_of_batch_jobs() -> None:
    assert ResourceSetting(parallelism=8, max_slot=3).effective_parallelism() == 3
    assert ResourceSetting(parallelism=2, max_slot=3).effective_parallelism() == 2
    with pytest.raises(InvalidInput, match="maximum slot count"):
        ResourceSetting(max_slot=0).validate()


def test_cluster_size_from_parallelism_and_slots() -> None:
    setting = ResourceSetting(parallelism=5, taskmanager=ResourceSpec(2.0, "4 GiB"))
    size = cluster_size(setting, {"taskmanager.numberOfTaskSlots": 2}, default_slots=4)
    assert (size.taskmanagers, size.slots, size.taskmanager_memory) == (3, 2, "4096m")
    assert cluster_size(setting, {}, default_slots=4).taskmanagers == 2
