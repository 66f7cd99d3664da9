"""The hot update value objects: change validation, conf merge, diff, phase machine."""

from __future__ import annotations

import pytest

from millstream.domain.errors import InvalidInput, InvalidTransition
from millstream.domain.hot_updates import (
    HOT_UPDATE_TRANSITIONS,
    HotUpdate,
    HotUpdateChange,
    HotUpdatePhase,
    HotUpdateStatus,
    changed_settings,
)


def _update(phase: HotUpdatePhase) -> HotUpdate:
    return HotUpdate(
        id="h",
        workspace="ws",
        namespace="ns",
        deployment_id="d",
        job_id="j",
        change=HotUpdateChange(parallelism=2),
        target_parallelism=2,
        target_flink_conf={},
        phase=phase,
    )


@pytest.mark.parametrize("source", list(HotUpdatePhase))
@pytest.mark.parametrize("target", list(HotUpdatePhase))
def test_phase_transitions_follow_the_table(source: HotUpdatePhase, target: HotUpdatePhase) -> None:
    update = _update(source)
    if target is source or target in HOT_UPDATE_TRANSITIONS[source]:
        update.move_to(target)
        assert update.phase is target
    else:
        with pytest.raises(InvalidTransition):
            update.move_to(target)


@pytest.mark.parametrize(
    ("phase", "status"),
    [
        (HotUpdatePhase.REQUESTED, HotUpdateStatus.HOT_UPDATING),
        (HotUpdatePhase.STOPPING, HotUpdateStatus.HOT_UPDATING),
        (HotUpdatePhase.STARTING, HotUpdateStatus.HOT_UPDATING),
        (HotUpdatePhase.DONE, HotUpdateStatus.HOT_UPDATED),
        (HotUpdatePhase.FAILED, HotUpdateStatus.HOT_UPDATE_FAILED),
    ],
)
def test_wire_status_of_each_phase(phase: HotUpdatePhase, status: HotUpdateStatus) -> None:
    assert _update(phase).status is status


@pytest.mark.parametrize(
    "change",
    [
        HotUpdateChange(parallelism=0),
        HotUpdateChange(parallelism=40000),
        HotUpdateChange(flink_conf={" ": "x"}),
        HotUpdateChange(flink_conf={"k": ["list"]}),
        HotUpdateChange(flink_conf={f"k{i}": "v" for i in range(600)}),
    ],
)
def test_invalid_changes_raise(change: HotUpdateChange) -> None:
    with pytest.raises(InvalidInput):
        change.validate()


def test_merge_sets_and_removes_keys() -> None:
    change = HotUpdateChange(flink_conf={"a": "2", "gone": None, "n": 3})
    assert change.merged_conf({"a": "1", "gone": "x", "keep": True}) == {
        "a": "2",
        "keep": True,
        "n": 3,
    }


def test_changed_settings_is_the_difference() -> None:
    same = changed_settings(
        job_parallelism=2, job_conf={"a": "1"}, target_parallelism=2, target_conf={"a": "1"}
    )
    assert same.is_empty
    diff = changed_settings(
        job_parallelism=1,
        job_conf={"a": "1", "b": "x"},
        target_parallelism=4,
        target_conf={"a": "2"},
    )
    assert diff == HotUpdateChange(parallelism=4, flink_conf={"a": "2", "b": None})
