"""foas machine models as processes (``api.foas.machines``) and the sizes CreateCluster
records (``api.foas.cluster_changes.create_patch``)."""

from __future__ import annotations

import pytest

from millstream.api.foas.cluster_changes import create_patch
from millstream.api.foas.errors import FoasError
from millstream.api.foas.machines import (
    MODELS,
    instance_infos,
    model_of,
    process_spec,
    slave_model,
)
from millstream.api.foas.routing import Params
from millstream.domain.clusters import SLOTS_KEY, Cluster, ClusterKind, TaskManagerSlots
from millstream.domain.resources import ResourceSetting, ResourceSpec


@pytest.mark.parametrize("model", list(MODELS))
def test_every_model_is_one_gib_and_one_slot_per_core_and_maps_back(model: str) -> None:
    spec = process_spec(model, "slaveSpec")
    cores = MODELS[model]
    assert (spec.cpu, spec.memory_bytes()) == (cores, cores * 1024**3)
    assert model_of(spec) == model


def test_an_unknown_model_is_refused_naming_the_models() -> None:
    with pytest.raises(FoasError) as refused:
        process_spec("Ecs_2c8g", "masterTargetModel")
    assert (refused.value.status, refused.value.code) == (400, "InvalidParameter")
    assert "masterTargetModel 'Ecs_2c8g'" in refused.value.message
    assert "Ecs_64c256g" in refused.value.message
    assert model_of(ResourceSpec(4.0, "2 GiB")) is None


def _cluster(patch_resources: ResourceSetting, flink_conf: dict[str, object]) -> Cluster:
    return Cluster(
        id="c",
        workspace="ws",
        namespace="ns",
        name="big",
        kind=ClusterKind.SESSION,
        rest_url="",
        resources=patch_resources,
        flink_conf=dict(flink_conf),
    )


def test_create_cluster_is_sized_from_the_machines_of_the_request() -> None:
    patch = create_patch(
        Params({"masterSpec": "Ecs_8c32g", "slaveSpec": "Ecs_4c16g", "slaveNum": "3"}),
        "big",
        {},
    )
    assert patch.resources is not None
    assert patch.flink_conf == {SLOTS_KEY: 4}
    cluster = _cluster(patch.resources, patch.flink_conf)
    size = cluster.size(default_slots=1)
    assert (size.taskmanagers, size.slots) == (3, 4)
    assert (size.jobmanager_memory, size.taskmanager_memory) == ("8192m", "4096m")
    assert slave_model(cluster, default_slots=1) == "Ecs_4c16g"
    infos = instance_infos(cluster, None, default_slots=1)
    assert infos[0] == {"role": "master", "cpu": 8.0, "memory": "8192m", "model": "Ecs_8c32g"}
    assert [i["instanceId"] for i in infos[1:]] == [f"taskmanager-{n}" for n in range(3)]


def test_create_cluster_without_machines_keeps_the_default_size() -> None:
    patch = create_patch(Params({}), "small", {"description": "x"})
    assert (patch.resources, patch.flink_conf) == (None, None)
    only_count = create_patch(Params({"slaveNum": "2"}), "two", {})
    assert only_count.resources is not None
    assert only_count.resources.parallelism == 2 * 4  # two Ecs_4c16g machines


@pytest.mark.parametrize(
    "params",
    [{"slaveNum": "0"}, {"slaveNum": "65"}, {"slaveSpec": "Ecs_1c1g"}, {"slaveNum": "x"}],
)
def test_create_cluster_refuses_bad_sizes(params: dict[str, str]) -> None:
    with pytest.raises(FoasError) as refused:
        create_patch(Params(params), "c", {})
    assert refused.value.status == 400


def test_details_show_the_taskmanagers_flink_reports() -> None:
    patch = create_patch(Params({"slaveNum": "2"}), "c", {})
    assert patch.resources is not None
    assert patch.flink_conf is not None
    cluster = _cluster(patch.resources, patch.flink_conf)
    running = [TaskManagerSlots("taskmanager-10", 4, 4), TaskManagerSlots("taskmanager-2", 4, 1)]
    infos = instance_infos(cluster, running, default_slots=1)
    assert [(i["instanceId"], i["slots"], i["freeSlots"]) for i in infos[1:]] == [
        ("taskmanager-2", 4, 1),
        ("taskmanager-10", 4, 4),
    ]
