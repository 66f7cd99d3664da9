"""Property tests: every value object survives the trip to a JSON document and back."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.deployments import Logging
from millstream.domain.jobs import Failure, RestoreKind, RestoreStrategy
from millstream.domain.resources import ResourceMode, ResourceSetting, ResourceSpec
from millstream.store import mappers

_text = st.text(max_size=20)
_optional_text = st.none() | _text
_texts = st.lists(_text, max_size=3).map(tuple)

artifacts = st.builds(
    Artifact,
    kind=st.sampled_from(ArtifactKind),
    sql_script=_optional_text,
    jar_uri=_optional_text,
    entry_class=_optional_text,
    python_artifact_uri=_optional_text,
    entry_module=_optional_text,
    main_args=_optional_text,
    additional_dependencies=_texts,
    additional_python_libraries=_texts,
    additional_python_archives=_texts,
    extra=st.dictionaries(_text, _text, max_size=3),
)
_specs = st.builds(
    ResourceSpec,
    cpu=st.floats(min_value=0.01, max_value=1024, allow_nan=False),
    memory=st.sampled_from(["1 GiB", "512m", "2048 MiB"]),
)
resources = st.builds(
    ResourceSetting,
    mode=st.sampled_from(ResourceMode),
    parallelism=st.integers(1, 32768),
    jobmanager=_specs,
    taskmanager=_specs,
    resource_plan=_optional_text,
    max_slot=st.none() | st.integers(1, 64),
)
loggings = st.builds(
    Logging,
    logging_profile=_optional_text,
    log4j2_configuration_template=_optional_text,
    log4j_loggers=st.lists(st.tuples(_text, _text), max_size=3).map(tuple),
    log_reserve_open_history=st.none() | st.booleans(),
    log_reserve_expiration_days=st.none() | st.integers(0, 365),
)
restores = st.builds(
    RestoreStrategy,
    kind=st.sampled_from(RestoreKind),
    savepoint_id=_optional_text,
    allow_non_restored_state=st.booleans(),
    job_start_time_ms=st.none() | st.integers(0, 2**53),
)
failures = st.builds(
    Failure, message=_text, reason=_text, failed_at=st.datetimes(timezones=st.just(UTC))
)


def _through_json(document: dict[str, Any] | None) -> Any:
    return json.loads(json.dumps(document))


@given(artifacts)
def test_artifact_round_trips(artifact: Artifact) -> None:
    assert mappers.artifact_from_json(_through_json(mappers.artifact_to_json(artifact))) == artifact


@given(resources)
def test_resources_round_trip(setting: ResourceSetting) -> None:
    document = _through_json(mappers.resources_to_json(setting))
    assert mappers.resources_from_json(document) == setting


@given(loggings)
def test_logging_round_trips(logging: Logging) -> None:
    assert mappers.logging_from_json(_through_json(mappers.logging_to_json(logging))) == logging


@given(restores)
def test_restore_strategy_round_trips(restore: RestoreStrategy) -> None:
    assert mappers.restore_from_json(_through_json(mappers.restore_to_json(restore))) == restore


@given(st.none() | failures)
def test_failure_round_trips(failure: Failure | None) -> None:
    assert mappers.failure_from_json(_through_json(mappers.failure_to_json(failure))) == failure


def test_missing_keys_fall_back_to_defaults() -> None:
    assert mappers.resources_from_json({}) == ResourceSetting()
    assert mappers.logging_from_json({}) == Logging()
    assert mappers.restore_from_json({}) == RestoreStrategy()
