"""UpdateAutoScaleConfig's ``configJson``: every key read into the domain patch, and any
JSON at all either becomes a valid patch or a 400 (never another exception: no 500)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.api.foas.autoscale import CONFIG_KEYS, _patch
from millstream.api.foas.errors import FoasError
from millstream.api.foas.routing import Params
from millstream.domain.autoscale import AutoscaleConfig, AutoscaleConfigPatch
from millstream.domain.errors import InvalidInput


def _read(config: Any) -> AutoscaleConfigPatch:
    return _patch(Params({"configJson": json.dumps(config)}))


def test_every_key_reaches_the_domain_as_strings_or_json() -> None:
    patch = _read(
        {
            "autoscale.enable": "True",
            "autoscale.min-parallelism": "2",
            "autoscale.max-parallelism": 6.0,
            "autoscale.target-utilization": "0.5",
            "autoscale.utilization-boundary": 0.1,
            "autoscale.cool-down-seconds": 30,
            "autoscale.recommend-only": False,
        }
    )
    assert patch.apply(AutoscaleConfig()) == AutoscaleConfig(
        enabled=True,
        min_parallelism=2,
        max_parallelism=6,
        target_utilization=0.5,
        utilization_boundary=0.1,
        cool_down_seconds=30.0,
        recommend_only=False,
    )
    assert set(CONFIG_KEYS) == {
        "autoscale.enable",
        "autoscale.min-parallelism",
        "autoscale.max-parallelism",
        "autoscale.target-utilization",
        "autoscale.utilization-boundary",
        "autoscale.cool-down-seconds",
        "autoscale.recommend-only",
    }


def test_missing_and_deeply_nested_config_are_400() -> None:
    with pytest.raises(FoasError, match="configJson is required"):
        _patch(Params({}))
    with pytest.raises(FoasError, match="not valid JSON"):
        _patch(Params({"configJson": "[" * 100_000}))


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["true", "1", "0.5", "NaN", "-Infinity", "1e999"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@given(
    st.one_of(
        _JSON,
        st.dictionaries(st.sampled_from(sorted(CONFIG_KEYS)), _JSON, max_size=4),
    )
)
def test_any_json_is_a_valid_patch_or_a_400(config: Any) -> None:
    status = 200
    try:
        _read(config).apply(AutoscaleConfig())
    except FoasError as exc:
        status = exc.status
    except InvalidInput:
        status = 400  # the domain's own check: a 400 in the foas envelope
    assert status in (200, 400)
