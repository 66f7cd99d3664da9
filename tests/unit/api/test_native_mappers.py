"""Native mappers: domain -> wire -> domain round trips (hypothesis) and the edge cases."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.api.native import mappers, schemas
from millstream.control.engine_versions import EngineVersions
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.deployments import Deployment, Logging
from millstream.domain.errors import InvalidInput, InvalidSql
from millstream.domain.events import Event, EventName
from millstream.domain.jobs import (
    DesiredState,
    Failure,
    Job,
    JobStatus,
    RestoreKind,
    RestoreStrategy,
    StopStrategy,
)
from millstream.domain.observed import ObservedState, ObservedStatus
from millstream.domain.resources import ResourceMode, ResourceSetting, ResourceSpec
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState

# No NUL: the wire models refuse it (PostgreSQL cannot store it), so no domain value has it.
_CHARS = st.characters(codec="utf-8", exclude_characters="\x00")
text = st.text(_CHARS, min_size=1, max_size=20)
maybe_text = st.none() | text
texts = st.lists(text, max_size=3).map(tuple)
memory = st.builds(
    lambda n, unit: f"{n} {unit}", st.integers(1, 64), st.sampled_from(["MiB", "GiB", "m", "g"])
)
specs = st.builds(
    ResourceSpec, cpu=st.floats(0.25, 64, allow_nan=False).map(lambda c: round(c, 2)), memory=memory
)


@st.composite
def artifacts(draw: st.DrawFn) -> Artifact:
    kind = draw(st.sampled_from(ArtifactKind))
    if kind is ArtifactKind.SQLSCRIPT:
        return Artifact(kind=kind, sql_script=draw(text), additional_dependencies=draw(texts))
    if kind is ArtifactKind.JAR:
        return Artifact(
            kind=kind,
            jar_uri=draw(text),
            entry_class=draw(maybe_text),
            main_args=draw(maybe_text),
            additional_dependencies=draw(texts),
        )
    return Artifact(
        kind=kind,
        python_artifact_uri=draw(text),
        entry_module=draw(maybe_text),
        main_args=draw(maybe_text),
        additional_dependencies=draw(texts),
        additional_python_libraries=draw(texts),
        additional_python_archives=draw(texts),
    )


streaming_settings = st.builds(
    ResourceSetting,
    mode=st.sampled_from(ResourceMode),
    parallelism=st.integers(1, 32768),
    jobmanager=specs,
    taskmanager=specs,
    resource_plan=maybe_text,
    max_slot=st.none(),  # not part of the streaming wire model
)
batch_settings = st.builds(
    ResourceSetting,
    mode=st.just(ResourceMode.BASIC),  # batch has no mode or plan on the wire
    parallelism=st.integers(1, 32768),
    jobmanager=specs,
    taskmanager=specs,
    resource_plan=st.none(),
    max_slot=st.none() | st.integers(1, 1000),
)
loggings = st.builds(
    Logging,
    logging_profile=maybe_text,
    log4j2_configuration_template=maybe_text,
    log4j_loggers=st.lists(st.tuples(text, st.sampled_from(["INFO", "ERROR"])), max_size=3).map(
        tuple
    ),
    log_reserve_open_history=st.none() | st.booleans(),
    log_reserve_expiration_days=st.none() | st.integers(1, 30),
)
string_maps = st.dictionaries(text, st.text(_CHARS, max_size=10), max_size=4)
conf_values = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(_CHARS, max_size=10)
moments = st.none() | st.integers(0, 4_000_000_000).map(lambda s: datetime.fromtimestamp(s, tz=UTC))


@st.composite
def deployments(draw: st.DrawFn) -> Deployment:
    return Deployment(
        id=draw(text),
        workspace=draw(text),
        namespace=draw(text),
        name=draw(text),
        artifact=draw(artifacts()),
        execution_mode=draw(st.sampled_from(ExecutionMode)),
        engine_version=draw(maybe_text),
        description=draw(maybe_text),
        labels=draw(string_maps),
        flink_conf=draw(st.dictionaries(text, conf_values, max_size=4)),
        streaming_resource=draw(streaming_settings),
        batch_resource=draw(batch_settings),
        logging=draw(loggings),
        local_variables=draw(string_maps),
        cluster=draw(maybe_text),
        creator=draw(maybe_text),
        modifier=draw(maybe_text),
        created_at=draw(moments),
        modified_at=draw(moments),
        version=draw(st.integers(1, 10_000)),
    )


def _through_json(model: schemas.WireModel) -> schemas.Deployment:
    return schemas.Deployment.model_validate_json(model.model_dump_json(by_alias=True))


@given(deployments())
def test_deployment_round_trips_through_the_wire(deployment: Deployment) -> None:
    wire = _through_json(mappers.deployment_to_wire(deployment))
    blank = Deployment(
        id=deployment.id,
        workspace=deployment.workspace,
        namespace=deployment.namespace,
        name="placeholder",
        artifact=Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script="x"),
        creator=deployment.creator,
        modifier=deployment.modifier,
        created_at=deployment.created_at,
        modified_at=deployment.modified_at,
        version=deployment.version,
    )
    patch = mappers.deployment_patch(wire)
    assert patch.expected_version == deployment.version
    rebuilt = patch.apply(blank)
    if deployment.created_at is not None:
        assert wire.created_at == str(int(deployment.created_at.timestamp()))
    assert rebuilt == deployment


def _merged(wanted: Any, current: Any) -> Any:
    """What a merge gives: wanted's value where it has one, else current's (null = absent)."""
    changes = {
        f.name: getattr(current, f.name)
        for f in dataclasses.fields(wanted)
        if getattr(wanted, f.name) is None
    }
    return dataclasses.replace(wanted, **changes)


@given(deployments(), deployments())
def test_a_full_body_on_update_replaces_all_but_null_fields(
    current: Deployment, wanted: Deployment
) -> None:
    wire = _through_json(mappers.deployment_to_wire(wanted))
    rebuilt = mappers.deployment_patch(wire, current).apply(current)
    for field in ("artifact", "labels", "flink_conf", "local_variables", "execution_mode"):
        assert getattr(rebuilt, field) == getattr(wanted, field)
    for field in ("streaming_resource", "batch_resource", "logging"):
        assert getattr(rebuilt, field) == _merged(getattr(wanted, field), getattr(current, field))


@given(deployments())
def test_an_empty_body_on_update_changes_nothing(current: Deployment) -> None:
    assert mappers.deployment_patch(schemas.Deployment(), current).apply(current) == current


@given(streaming_settings, st.integers(1, 32768))
def test_partial_resource_setting_merges_onto_the_current_one(
    current: ResourceSetting, parallelism: int
) -> None:
    wire = schemas.StreamingResourceSetting(
        basic_resource_setting=schemas.BasicResourceSetting(parallelism=parallelism)
    )
    merged = mappers.streaming_resource_from_wire(wire, current)
    assert merged == dataclasses.replace(current, parallelism=parallelism)


@given(
    st.builds(
        RestoreStrategy,
        kind=st.sampled_from(RestoreKind),
        savepoint_id=text,
        allow_non_restored_state=st.booleans(),
        job_start_time_ms=st.none() | st.integers(0, 2**53),
    )
)
def test_restore_strategy_round_trips(restore: RestoreStrategy) -> None:
    assert mappers.restore_from_wire(mappers.restore_to_wire(restore)) == restore


@given(st.sampled_from(StopStrategy), st.sampled_from([str.lower, str.upper]))
def test_stop_strategy_parses_any_case(strategy: StopStrategy, case: Any) -> None:
    assert mappers.stop_strategy_from_wire(case(strategy.value)) is strategy


@pytest.mark.parametrize(("alias", "kind"), [("FROM_NEW", "NONE"), ("FROM_LATEST", "LATEST_STATE")])
def test_restore_aliases(alias: str, kind: str) -> None:
    wire = schemas.DeploymentRestoreStrategy(kind=alias)
    assert mappers.restore_from_wire(wire).kind.value == kind


def test_absent_restore_strategy_starts_without_state() -> None:
    assert mappers.restore_from_wire(None) == RestoreStrategy()
    assert mappers.restore_from_wire(schemas.DeploymentRestoreStrategy()) == RestoreStrategy()


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: mappers.stop_strategy_from_wire("GENTLY"), "STOP_WITH_SAVEPOINT"),
        (lambda: mappers.stop_strategy_from_wire(None), "stopStrategy is required"),
        (
            lambda: mappers.restore_from_wire(schemas.DeploymentRestoreStrategy(kind="X")),
            "restoreStrategy.kind",
        ),
        (
            lambda: mappers.restore_from_wire(
                schemas.DeploymentRestoreStrategy(kind="FROM_SAVEPOINT")
            ),
            "savepointId",
        ),
        (lambda: mappers.execution_mode_from_wire("LIVE"), "STREAMING, BATCH"),
        (lambda: mappers.artifact_from_wire(schemas.Artifact()), "artifact.kind is required"),
        (lambda: mappers.artifact_from_wire(schemas.Artifact(kind="ZIP")), "artifact.kind"),
        (
            lambda: mappers.streaming_resource_from_wire(
                schemas.StreamingResourceSetting(resource_setting_mode="AUTO")
            ),
            "resourceSettingMode",
        ),
        (
            lambda: mappers.logging_from_wire(
                schemas.Logging(log4j_loggers=[schemas.Log4jLogger(logger_name="x")])
            ),
            "log4jLoggers[0]",
        ),
    ],
)
def test_bad_enum_values_are_invalid_input_with_the_valid_values(call: Any, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        call()
    assert fragment in caught.value.message


def test_memory_strings_pass_through_untouched() -> None:
    wire = schemas.StreamingResourceSetting(
        basic_resource_setting=schemas.BasicResourceSetting(
            taskmanager_resource_setting_spec=schemas.BasicResourceSettingSpec(memory="4 GiB")
        )
    )
    setting = mappers.streaming_resource_from_wire(wire)
    assert setting.taskmanager.memory == "4 GiB"


def test_expert_jobmanager_wins_in_expert_mode() -> None:
    wire = schemas.StreamingResourceSetting(
        resource_setting_mode="EXPERT",
        basic_resource_setting=schemas.BasicResourceSetting(
            jobmanager_resource_setting_spec=schemas.BasicResourceSettingSpec(cpu=1)
        ),
        expert_resource_setting=schemas.ExpertResourceSetting(
            jobmanager_resource_setting_spec=schemas.BasicResourceSettingSpec(cpu=3),
            resource_plan="{}",
        ),
    )
    setting = mappers.streaming_resource_from_wire(wire)
    assert (setting.mode, setting.jobmanager.cpu, setting.resource_plan) == (
        ResourceMode.EXPERT,
        3,
        "{}",
    )


def test_session_target_names_the_cluster_and_per_job_means_default() -> None:
    session = schemas.Deployment(
        deployment_target=schemas.BriefDeploymentTarget(mode="session", name="s1")
    )
    assert mappers.deployment_patch(session).cluster == "s1"
    queue = schemas.Deployment(deployment_target=schemas.BriefDeploymentTarget(name="q"))
    assert mappers.deployment_patch(queue).cluster is None


def test_labels_become_strings() -> None:
    patch = mappers.deployment_patch(schemas.Deployment(labels={"a": 1, "b": True, "c": "x"}))
    assert patch.labels == {"a": "1", "b": "true", "c": "x"}


# --------------------------------------------------------------------------- domain -> wire


def _job(**overrides: Any) -> Job:
    fields: dict[str, Any] = {
        "id": "0b7f8e4a-4f0c-4f55-9d39-2b4ec5a9b6a1",
        "workspace": "ws",
        "namespace": "ns",
        "deployment_id": "d",
        "deployment_name": "flinktest",
        "artifact": Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script="INSERT INTO a SELECT 1"),
        "execution_mode": ExecutionMode.BATCH,
        "engine_version": "vvr-4.0.14-flink-1.13",
        "resources": ResourceSetting(
            parallelism=4,
            jobmanager=ResourceSpec(2, "4 GiB"),
            taskmanager=ResourceSpec(2, "4 GiB"),
            max_slot=10,
        ),
        "flink_conf": {"taskmanager.numberOfTaskSlots": "2", "table.exec.state.ttl": "128000s"},
        "user_flink_conf": {"table.exec.state.ttl": "128000s"},
        "logging": Logging(logging_profile="oss", log4j_loggers=(("Console", "ERROR"),)),
        "local_variables": {"test": "datagen"},
        "restore": RestoreStrategy(RestoreKind.LATEST_STATE, None, True, 1660293803155),
        "cluster": "preview",
        "status": JobStatus.FAILED,
        "desired": DesiredState.RUNNING,
        "observed": ObservedStatus(state=ObservedState.FAILED, restarts=4),
        "failure": Failure(
            "not progressing",
            "KubernetesDeploymentNotProgressing",
            datetime.fromtimestamp(1660120062, UTC),
        ),
        "start_time": datetime.fromtimestamp(1660190835, UTC),
        "end_time": datetime.fromtimestamp(1660277235, UTC),
        "creator": "u1",
        "modifier": "u2",
        "created_at": datetime.fromtimestamp(1714058507, UTC),
        "modified_at": datetime.fromtimestamp(1714058800, UTC),
    }
    fields.update(overrides)
    return Job(**fields)


def test_job_has_every_seed_000_field() -> None:
    wire = mappers.job_to_wire(_job()).model_dump(mode="json", by_alias=True)
    assert wire["startTime"] == 1660190835
    assert wire["endTime"] == 1660277235
    assert wire["createdAt"] == "1714058507"
    assert wire["status"] == {
        "currentJobStatus": "FAILED",
        "failure": {
            "message": "not progressing",
            "reason": "KubernetesDeploymentNotProgressing",
            "failedAt": 1660120062,
        },
        "running": {"observedFlinkJobRestarts": 4, "observedFlinkJobStatus": "FAILED"},
        "riskLevel": None,
        "healthScore": None,
        "reason": None,
        "scheduling": {
            "queue": None,
            "priority": 0,
            "costCu": None,
            "scheduleTimeoutSeconds": None,
            "enqueuedAt": None,
            "admittedAt": None,
        },
    }
    # parallelism 4, 2 slots per TM -> 2 TMs of 2 cpu / 4 GiB, plus the JM
    assert wire["metric"] == {"totalCpu": 6.0, "totalMemoryByte": 12 * 1024**3}
    assert wire["sessionClusterName"] == "preview"
    assert wire["streamingResourceSetting"] is None
    assert wire["batchResourceSetting"]["maxSlot"] == 10
    assert wire["userFlinkConf"] == {"table.exec.state.ttl": "128000s"}
    assert wire["flinkConf"]["taskmanager.numberOfTaskSlots"] == "2"
    assert wire["restoreStrategy"] == {
        "kind": "LATEST_STATE",
        "savepointId": None,
        "allowNonRestoredState": True,
        "jobStartTimeInMs": 1660293803155,
    }
    assert wire["logging"]["log4jLoggers"] == [{"loggerName": "Console", "loggerLevel": "ERROR"}]
    assert wire["localVariables"] == [{"name": "test", "value": "datagen"}]
    assert wire["creatorName"] is None


def test_job_metric_is_null_when_it_cannot_be_known() -> None:
    expert = ResourceSetting(mode=ResourceMode.EXPERT, resource_plan="{}")
    assert mappers.job_to_wire(_job(resources=expert)).metric is None
    odd = ResourceSetting(taskmanager=ResourceSpec(1, "lots"))
    assert mappers.job_to_wire(_job(resources=odd)).metric is None


def test_job_metric_defaults_to_one_slot_per_taskmanager() -> None:
    setting = ResourceSetting(
        parallelism=3, jobmanager=ResourceSpec(1, "1 GiB"), taskmanager=ResourceSpec(1, "1 GiB")
    )
    for conf in ({}, {"taskmanager.numberOfTaskSlots": "many"}):
        metric = mappers.job_to_wire(_job(resources=setting, flink_conf=conf)).metric
        assert metric == schemas.JobMetric(total_cpu=4.0, total_memory_byte=4 * 1024**3)


def test_fresh_job_has_no_running_block_or_times() -> None:
    job = _job(
        status=JobStatus.STARTING,
        observed=ObservedStatus(),
        failure=None,
        start_time=None,
        end_time=None,
    )
    wire = mappers.job_to_wire(job)
    assert wire.status == schemas.JobStatus(
        current_job_status="STARTING", scheduling=schemas.JobScheduling(priority=0)
    )
    assert (wire.start_time, wire.end_time) == (None, None)


def test_failed_savepoint_carries_its_failure() -> None:
    savepoint = Savepoint(
        id="s",
        workspace="w",
        namespace="n",
        deployment_id="d",
        job_id="j",
        origin=SavepointOrigin.STOP_WITH_SAVEPOINT,
        state=SavepointState.FAILED,
        failure="Checkpoint expired before completing",
        stop_with_drain=True,
        created_at=datetime.fromtimestamp(1659066711, UTC),
        modified_at=datetime.fromtimestamp(1659069473, UTC),
    )
    wire = mappers.savepoint_to_wire(savepoint)
    assert wire.status == schemas.SavepointStatus(
        state="FAILED",
        failure=schemas.SavepointFailure(
            message="Checkpoint expired before completing", failed_at=1659069473
        ),
    )
    assert (wire.created_at, wire.stop_with_drain_enabled) == (1659066711, True)


def test_event_to_wire() -> None:
    event = Event(
        id="e",
        workspace="w",
        namespace="n",
        name=EventName.JOB_FAILED,
        message="boom",
        created_at=datetime.fromtimestamp(10, UTC),
        deployment_id="d",
        job_id="j",
    )
    assert mappers.event_to_wire(event) == schemas.Event(
        event_id="e",
        event_name="JOB_FAILED",
        message="boom",
        created_at="10",
        deployment_id="d",
        job_id="j",
        namespace="n",
        workspace="w",
    )


def test_engine_versions_list_installed_newest_first_then_aliases() -> None:
    versions = EngineVersions(
        installed=["flink-1.20", "flink-2.0"],
        aliases={"vvr-*": "default", "vvr-8.0.9-flink-1.17": "flink-1.20"},
        offered=(),
    )
    index = mappers.engine_versions_to_wire(versions)
    assert index.default_engine_version == "flink-2.0"  # the newest
    metadata = index.engine_version_metadata or []
    # glob patterns resolve names but are not versions a user can pick from a list
    names = [m.engine_version for m in metadata]
    assert names == ["flink-2.0", "flink-1.20", "vvr-8.0.9-flink-1.17"]
    assert [m.flink_version for m in metadata] == ["2.0", "1.20", "1.20"]


@pytest.mark.parametrize(
    ("statement", "result"),
    [
        ("CREATE TABLE a (x INT); INSERT INTO a SELECT 1;", "VALIDATION_RESULT_VALID_INSERT_QUERY"),
        ("SELECT 1", "VALIDATION_RESULT_VALID_SELECT_QUERY"),
        ("CREATE TABLE a (x INT);\nDROP TABLE a;", "VALIDATION_RESULT_VALID_DDL_STATEMENT"),
        ("SET 'a' = 'b';", "VALIDATION_RESULT_VALID_COMMAND_STATEMENT"),
    ],
)
def test_valid_sql_result_names_the_statement_kind(statement: str, result: str) -> None:
    assert mappers.sql_valid_to_wire(statement).validation_result == result


def test_invalid_sql_result_has_line_and_column_as_strings() -> None:
    wire = mappers.sql_invalid_to_wire(InvalidSql("bad", line=3, column=7))
    assert wire.validation_result == "VALIDATION_RESULT_INVALID"
    assert wire.error_details == schemas.ValidationErrorDetails(
        line_number="3", column_number="7", message="bad"
    )


def test_a_waiting_job_shows_its_reason_queue_and_cost() -> None:
    enqueued = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    job = _job(
        status=JobStatus.STARTING,
        failure=None,
        queue="batch",
        priority=7,
        cost_cu=3.5,
        schedule_timeout_seconds=60,
        enqueued_at=enqueued,
        status_reason="WAITING_FOR_RESOURCES",
    )
    status = mappers.job_to_wire(job).model_dump(mode="json", by_alias=True)["status"]
    assert status["reason"] == "WAITING_FOR_RESOURCES"
    assert status["scheduling"] == {
        "queue": "batch",
        "priority": 7,
        "costCu": 3.5,
        "scheduleTimeoutSeconds": 60,
        "enqueuedAt": int(enqueued.timestamp()),
        "admittedAt": None,
    }


def test_deployment_queue_fields_round_trip() -> None:
    wire = schemas.Deployment.model_validate(
        {"queue": "batch", "priority": 3, "scheduleTimeoutSeconds": 120}
    )
    patch = mappers.deployment_patch(wire)
    assert (patch.queue, patch.priority, patch.schedule_timeout_seconds) == ("batch", 3, 120)
