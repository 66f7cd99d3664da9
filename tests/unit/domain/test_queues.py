"""Queues: the CU cost of a job (BASIC and EXPERT), default capacity, validation."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.domain.errors import ErrorCode, InvalidInput
from millstream.domain.queues import (
    CU_MEMORY_BYTES,
    cluster_capacity_cu,
    job_cost,
    process_cost,
    validate_queue_name,
)
from millstream.domain.resources import ResourceMode, ResourceSetting, ResourceSpec
from tests.factories import make_queue

GIB = 1024**3


def test_a_default_job_costs_two_cu() -> None:
    # JobManager 1 vCPU / 1 GiB -> 1 CU; one TaskManager 1 vCPU / 2 GiB -> 1 CU.
    assert job_cost(ResourceSetting()) == 2.0


def test_memory_dominates_when_larger_than_cpu() -> None:
    setting = ResourceSetting(
        parallelism=2,
        jobmanager=ResourceSpec(0.5, "8 GiB"),  # 2 CU
        taskmanager=ResourceSpec(1.0, "6 GiB"),  # 1.5 CU each
    )
    assert job_cost(setting) == 2.0 + 2 * 1.5


def test_slots_per_taskmanager_reduce_the_taskmanager_count() -> None:
    setting = ResourceSetting(parallelism=5, taskmanager=ResourceSpec(2.0, "4 GiB"))
    assert job_cost(setting, slots_per_taskmanager=1) == 1.0 + 5 * 2.0
    assert job_cost(setting, slots_per_taskmanager=2) == 1.0 + 3 * 2.0


def test_expert_plan_with_a_profile_charges_each_slot() -> None:
    plan = {
        "ssgProfiles": [{"name": "default", "cpu": 0.5, "heap": "6 GiB", "offHeap": "2 GiB"}],
        "nodes": [{"id": 1, "type": "Source", "profile": {"group": "default", "parallelism": 3}}],
    }
    setting = ResourceSetting(
        mode=ResourceMode.EXPERT, resource_plan=json.dumps(plan), parallelism=9
    )
    # JobManager 1 CU + 3 slots x max(0.5, 8 GiB / 4 GiB = 2) CU; the plan's 3 wins over 9.
    assert job_cost(setting) == 1.0 + 3 * 2.0


def test_expert_plan_without_sizes_uses_the_taskmanager_spec() -> None:
    plan = {"nodes": [{"id": 1, "type": "Source", "profile": {"parallelism": 2}}]}
    setting = ResourceSetting(
        mode=ResourceMode.EXPERT,
        resource_plan=json.dumps(plan),
        taskmanager=ResourceSpec(3.0, "1 GiB"),
    )
    assert job_cost(setting) == 1.0 + 2 * 3.0


def test_batch_max_slot_caps_the_cost() -> None:
    assert job_cost(ResourceSetting(parallelism=10, max_slot=2)) == 1.0 + 2 * 1.0


@given(
    parallelism=st.integers(1, 512),
    slots=st.integers(1, 16),
    jm_cpu=st.floats(0.25, 64),
    jm_gib=st.integers(1, 256),
    tm_cpu=st.floats(0.25, 64),
    tm_gib=st.integers(1, 256),
)
def test_cost_is_jobmanager_plus_taskmanagers_each_the_larger_of_cpu_and_memory(
    parallelism: int, slots: int, jm_cpu: float, jm_gib: int, tm_cpu: float, tm_gib: int
) -> None:
    setting = ResourceSetting(
        parallelism=parallelism,
        jobmanager=ResourceSpec(jm_cpu, f"{jm_gib} GiB"),
        taskmanager=ResourceSpec(tm_cpu, f"{tm_gib} GiB"),
    )
    taskmanagers = -(-parallelism // slots)
    expected = max(jm_cpu, jm_gib / 4) + taskmanagers * max(tm_cpu, tm_gib / 4)
    cost = job_cost(setting, slots_per_taskmanager=slots)
    assert math.isclose(cost, expected, abs_tol=0.001)
    # Never below either resource taken alone: 1 CU covers 1 vCPU and 4 GiB.
    assert cost + 0.001 >= setting.total_cpu(slots)
    assert cost + 0.001 >= setting.total_memory_bytes(slots) / CU_MEMORY_BYTES


@given(parallelism=st.integers(1, 100))
def test_cost_grows_with_parallelism(parallelism: int) -> None:
    smaller = job_cost(ResourceSetting(parallelism=parallelism))
    larger = job_cost(ResourceSetting(parallelism=parallelism + 1))
    assert larger > smaller


def test_process_cost_is_one_cu_for_one_vcpu_and_four_gib() -> None:
    assert process_cost(1.0, 4 * GIB) == 1.0
    assert process_cost(2.0, 4 * GIB) == 2.0
    assert process_cost(1.0, 12 * GIB) == 3.0


def test_embedded_default_capacity_holds_one_default_job_per_slot() -> None:
    capacity = cluster_capacity_cu(
        taskmanagers=1, slots_per_taskmanager=4, taskmanager_cpu=1.0, taskmanager_memory="2048m"
    )
    assert capacity == 4 * job_cost(ResourceSetting())


def test_bigger_taskmanagers_give_a_bigger_default_capacity() -> None:
    small = cluster_capacity_cu(
        taskmanagers=2, slots_per_taskmanager=1, taskmanager_cpu=1.0, taskmanager_memory="4g"
    )
    big = cluster_capacity_cu(
        taskmanagers=2, slots_per_taskmanager=1, taskmanager_cpu=4.0, taskmanager_memory="4g"
    )
    assert (small, big) == (4.0, 10.0)


@pytest.mark.parametrize("name", ["", "Upper", "-dash", "dash-", "a/b", "x" * 65])
def test_bad_queue_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_queue_name(name)
    assert caught.value.code is ErrorCode.INVALID_QUEUE_NAME


@pytest.mark.parametrize(
    ("capacity", "max_job"), [(0.0, None), (-1.0, None), (4.0, 0.0), (2_000_000.0, None)]
)
def test_bad_capacities_are_refused(capacity: float, max_job: float | None) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_queue(capacity_cu=capacity, max_job_cu=max_job).validate()
    assert caught.value.code is ErrorCode.INVALID_QUEUE_CAPACITY


def test_a_queue_allows_its_namespaces_only() -> None:
    everyone = make_queue()
    some = make_queue(namespaces=("a", "b"))
    assert everyone.allows("ws", "anything")
    assert not everyone.allows("other-ws", "a")
    assert some.allows("ws", "a")
    assert not some.allows("ws", "c")


def test_never_fits_names_the_limit_it_breaks() -> None:
    queue = make_queue(capacity_cu=8.0, max_job_cu=3.0)
    assert queue.never_fits(3.0) is None
    assert "at most 3 CU per job" in (queue.never_fits(4.0) or "")
    assert "holds only 8 CU" in (make_queue(capacity_cu=8.0).never_fits(9.0) or "")
