"""The autoscaling planner and settings: examples, then properties over any load."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.domain.autoscale import (
    AutoscaleConfig,
    AutoscaleConfigPatch,
    ScalingAction,
    VertexLoad,
    plan_parallelism,
)
from millstream.domain.errors import InvalidInput

CONFIG = AutoscaleConfig(enabled=True, min_parallelism=1, max_parallelism=8, target_utilization=0.5)


def _load(busy: float | None, backpressured: float | None = 0.0, name: str = "v") -> VertexLoad:
    return VertexLoad(name, name, 1, busy, backpressured)


def test_a_busy_vertex_scales_the_job_up_to_reach_the_target() -> None:
    decision = plan_parallelism(CONFIG, [_load(100.0, name="src"), _load(900.0, name="agg")], 2)
    assert decision.proposed_parallelism == 4  # ceil(2 * 0.9 / 0.5)
    assert decision.action is ScalingAction.SCALE_UP
    assert decision.bottleneck == "agg"
    assert decision.utilization == pytest.approx(0.9)
    assert "'agg' is 90% busy" in decision.reason


def test_within_the_band_nothing_changes() -> None:
    decision = plan_parallelism(CONFIG, [_load(600.0)], 3)
    assert (decision.proposed_parallelism, decision.action) == (3, ScalingAction.KEEP)
    assert "within the target band" in decision.reason


def test_an_idle_job_scales_down_but_not_while_backpressured() -> None:
    assert plan_parallelism(CONFIG, [_load(100.0)], 8).proposed_parallelism == 2
    held = plan_parallelism(CONFIG, [_load(100.0), _load(0.0, 600.0, name="src")], 8)
    assert held.action is ScalingAction.KEEP
    assert "'src' is 60% backpressured" in held.reason


def test_bounds_win_over_the_load() -> None:
    bounded = AutoscaleConfig(min_parallelism=2, max_parallelism=3, target_utilization=0.5)
    below = plan_parallelism(bounded, [_load(500.0)], 1)
    assert (below.proposed_parallelism, below.action) == (2, ScalingAction.SCALE_UP)
    assert "below the minimum 2" in below.reason
    assert plan_parallelism(bounded, [], 5).proposed_parallelism == 3
    capped = plan_parallelism(bounded, [_load(1000.0)], 3)
    assert capped.action is ScalingAction.KEEP
    assert "at the maximum 3" in capped.reason


def test_without_measurements_nothing_changes() -> None:
    for loads in ([], [_load(None)], [_load(math.nan)]):
        decision = plan_parallelism(CONFIG, loads, 2)
        assert decision.action is ScalingAction.KEEP
        assert "no busy time" in decision.reason


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (AutoscaleConfigPatch(min_parallelism=0), "minimum parallelism"),
        (AutoscaleConfigPatch(min_parallelism=5, max_parallelism=4), "maximum parallelism"),
        (AutoscaleConfigPatch(max_parallelism=40000), "maximum parallelism"),
        (AutoscaleConfigPatch(target_utilization=0.0), "target utilisation"),
        (AutoscaleConfigPatch(target_utilization=1.5), "target utilisation"),
        (AutoscaleConfigPatch(utilization_boundary=0.7), "boundary"),
        (AutoscaleConfigPatch(utilization_boundary=-0.1), "boundary"),
        (AutoscaleConfigPatch(cool_down_seconds=-1), "cool-down"),
    ],
)
def test_invalid_settings_are_refused(patch: AutoscaleConfigPatch, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        patch.apply(AutoscaleConfig())


def test_a_patch_changes_only_what_it_names() -> None:
    updated = AutoscaleConfigPatch(enabled=True, max_parallelism=6).apply(CONFIG)
    assert updated == AutoscaleConfig(
        enabled=True, min_parallelism=1, max_parallelism=6, target_utilization=0.5
    )


# ----------------------------------------------------------------- properties

_MS = st.one_of(st.none(), st.floats(min_value=0.0, max_value=1000.0))
_LOADS = st.lists(
    st.builds(_load, busy=_MS, backpressured=_MS, name=st.sampled_from(["a", "b", "c"])),
    max_size=6,
)


@st.composite
def _configs(draw: st.DrawFn) -> AutoscaleConfig:
    low = draw(st.integers(1, 64))
    target = draw(st.floats(0.05, 1.0))
    return AutoscaleConfig(
        enabled=True,
        min_parallelism=low,
        max_parallelism=draw(st.integers(low, 128)),
        target_utilization=target,
        utilization_boundary=draw(st.floats(0.0, target, exclude_max=True)),
    )


def _busiest(loads: list[VertexLoad]) -> float | None:
    measured = [u for u in (load.utilization for load in loads) if u is not None]
    return max(measured) if measured else None


@given(_configs(), _LOADS, st.integers(1, 256))
def test_the_proposal_is_always_within_the_bounds(
    config: AutoscaleConfig, loads: list[VertexLoad], current: int
) -> None:
    decision = plan_parallelism(config, loads, current)
    assert config.min_parallelism <= decision.proposed_parallelism <= config.max_parallelism
    assert decision.current_parallelism == current
    assert decision.reason


@given(_configs(), _LOADS, st.integers(1, 256))
def test_within_bounds_the_direction_follows_the_load(
    config: AutoscaleConfig, loads: list[VertexLoad], current: int
) -> None:
    current = min(max(current, config.min_parallelism), config.max_parallelism)
    decision = plan_parallelism(config, loads, current)
    busiest = _busiest(loads)
    target, boundary = config.target_utilization, config.utilization_boundary
    if busiest is None or target - boundary <= busiest <= target + boundary:
        assert decision.action is ScalingAction.KEEP  # hysteresis
    elif busiest > target:
        assert decision.proposed_parallelism >= current
    else:
        assert decision.proposed_parallelism <= current


@given(_configs(), _LOADS, st.integers(1, 256))
def test_no_scale_down_while_backpressured(
    config: AutoscaleConfig, loads: list[VertexLoad], current: int
) -> None:
    current = min(max(current, config.min_parallelism), config.max_parallelism)
    decision = plan_parallelism(config, loads, current)
    if any(load.backpressure > 0.1 for load in loads):
        assert decision.action is not ScalingAction.SCALE_DOWN


@given(_configs(), st.floats(0.0, 1000.0), st.floats(0.0, 1000.0), st.integers(1, 256))
def test_more_load_never_proposes_less(
    config: AutoscaleConfig, low: float, high: float, current: int
) -> None:
    low, high = min(low, high), max(low, high)
    current = min(max(current, config.min_parallelism), config.max_parallelism)
    lighter = plan_parallelism(config, [_load(low)], current)
    heavier = plan_parallelism(config, [_load(high)], current)
    assert heavier.proposed_parallelism >= lighter.proposed_parallelism


@given(_configs(), _LOADS, st.integers(1, 256))
def test_planning_is_deterministic(
    config: AutoscaleConfig, loads: list[VertexLoad], current: int
) -> None:
    assert plan_parallelism(config, loads, current) == plan_parallelism(config, loads, current)
