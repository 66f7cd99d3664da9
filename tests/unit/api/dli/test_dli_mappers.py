"""DLI requests -> domain deployments and domain state -> DLI answers: seed 002's
example request, the CU arithmetic (1 CU = 1 vCPU + 4 GiB, the tm_slot_num default
formula), runtime_config forms, restart policy, tags, queue and Flink version names, the
derived job states, and the request schemas' limits."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import ValidationError
from tests.factories import make_deployment, make_job

from millstream.api.dli.mappers import (
    JobKind,
    deployment_patch,
    engine_version,
    flink_job,
    job_status,
    merged_spec,
    millstream_queue,
    parse_runtime_config,
    resources_of,
    spec_from,
    spec_of,
    tm_slots,
)
from millstream.api.dli.schemas import JarJob, SqlJob
from millstream.api.dli.states import status_of
from millstream.domain.artifacts import ArtifactKind
from millstream.domain.errors import InvalidInput
from millstream.domain.jobs import DesiredState, JobStatus, StopStrategy

# Seed 002's example request, as sent.
SEED_002: dict[str, Any] = {
    "name": "test",
    "desc": "job for test",
    "queue_name": "testQueue",
    "manager_cu_number": 1,
    "cu_number": 2,
    "parallel_number": 1,
    "tm_cus": 1,
    "tm_slot_num": 1,
    "log_enabled": True,
    "obs_bucket": "bucketName",
    "smn_topic": "topic",
    "main_class": "org.apache.flink.examples.streaming.JavaQueueStream",
    "restart_when_exception": False,
    "entrypoint": "javaQueueStream.jar",
    "entrypoint_args": "-windowSize 2000 -rate 3",
    "dependency_jars": ["myGroup/test.jar", "myGroup/test1.jar"],
    "dependency_files": ["myGroup/test.csv", "myGroup/test1.csv"],
}


def _jar(**changes: Any) -> dict[str, Any]:
    return spec_from(JarJob.model_validate({**SEED_002, **changes}))


def test_seed_002_becomes_a_jar_deployment() -> None:
    patch = deployment_patch(JobKind.JAR, _jar())
    assert patch.name == "test"
    assert patch.description == "job for test"
    assert patch.queue == "testqueue"
    artifact = patch.artifact
    assert artifact is not None
    assert artifact.kind is ArtifactKind.JAR
    assert artifact.jar_uri == "javaQueueStream.jar"
    assert artifact.entry_class == "org.apache.flink.examples.streaming.JavaQueueStream"
    assert artifact.main_args == "-windowSize 2000 -rate 3"
    assert artifact.additional_dependencies == ("myGroup/test.jar", "myGroup/test1.jar")
    resources = patch.streaming_resource
    assert resources is not None
    assert resources.parallelism == 1
    assert (resources.jobmanager.cpu, resources.jobmanager.memory) == (1.0, "4 GiB")
    assert (resources.taskmanager.cpu, resources.taskmanager.memory) == (1.0, "4 GiB")
    assert patch.flink_conf == {"taskmanager.numberOfTaskSlots": 1}
    assert patch.restart_policy is not None
    assert not patch.restart_policy.enabled


def test_the_settings_round_trip_through_the_deployment() -> None:
    patch = deployment_patch(JobKind.JAR, _jar())
    assert patch.artifact is not None
    deployment = make_deployment(
        name="test", artifact=patch.artifact, streaming_resource=patch.streaming_resource
    )
    assert spec_of(deployment)["obs_bucket"] == "bucketName"
    rendered = flink_job(deployment, None, job_id=138, project_id="p", detail=True)
    assert rendered["job_id"] == 138
    assert rendered["status"] == "job_init"
    assert rendered["job_type"] == "flink_jar_job"
    config = rendered["job_config"]
    assert config["cu_number"] == 2
    assert config["manager_cu_number"] == 1
    assert config["tm_slot_num"] == 1
    assert config["dependency_files"] == ["myGroup/test.csv", "myGroup/test1.csv"]
    assert config["log_enabled"] is True
    assert "job_config" not in flink_job(deployment, None, job_id=1, project_id="p", detail=False)


def test_an_update_keeps_what_it_omits() -> None:
    merged = merged_spec(_jar(), JarJob(parallel_number=3))
    assert merged["parallel_number"] == 3
    assert merged["entrypoint"] == "javaQueueStream.jar"


@pytest.mark.parametrize(
    ("spec", "slots"),
    [
        ({"cu_number": 5, "manager_cu_number": 1, "parallel_number": 8, "tm_cus": 1}, 2),
        ({"cu_number": 3, "parallel_number": 1}, 1),
        ({"tm_slot_num": 4, "cu_number": 2}, 4),
        ({"parallel_number": 4}, None),
    ],
)
def test_tm_slot_num_defaults_to_the_seed_formula(spec: dict[str, Any], slots: int | None) -> None:
    assert tm_slots(spec) == slots


def test_the_taskmanagers_need_at_least_one_cu() -> None:
    with pytest.raises(InvalidInput, match="cu_number"):
        resources_of({"cu_number": 1, "manager_cu_number": 1})


def test_cus_size_the_processes() -> None:
    resources = resources_of({"manager_cu_number": 2, "tm_cus": 3, "parallel_number": 6})
    assert resources.jobmanager.cpu == 2.0
    assert resources.jobmanager.memory_bytes() == 8 * 1024**3
    assert resources.taskmanager.memory_bytes() == 12 * 1024**3
    assert resources.parallelism == 6


@pytest.mark.parametrize(
    "text",
    [
        "a.b=1\nc.d = two",
        '{"a.b": 1, "c.d": "two"}',
        '[{"key": "a.b", "value": 1}, {"key": "c.d", "value": "two"}]',
    ],
)
def test_runtime_config_forms(text: str) -> None:
    assert parse_runtime_config(text) == {"a.b": "1", "c.d": "two"}


def test_runtime_config_garbage_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_runtime_config("no separator here")


def test_restart_policy_and_checkpoints_and_tags() -> None:
    spec = _jar(
        restart_when_exception=True,
        resume_max_num=5,
        checkpoint_interval=30,
        checkpoint_mode=2,
        runtime_config="state.backend.type=rocksdb",
        tags=[{"key": "team", "value": "data"}],
    )
    patch = deployment_patch(JobKind.JAR, spec)
    assert patch.restart_policy is not None
    assert patch.restart_policy.enabled
    assert patch.restart_policy.max_restarts_per_hour == 5
    assert patch.flink_conf is not None
    assert patch.flink_conf["execution.checkpointing.interval"] == "30s"
    assert patch.flink_conf["execution.checkpointing.mode"] == "AT_LEAST_ONCE"
    assert patch.flink_conf["state.backend.type"] == "rocksdb"
    assert patch.labels == {"team": "data"}
    unlimited = deployment_patch(JobKind.JAR, _jar(restart_when_exception=True))
    assert unlimited.restart_policy is not None
    assert unlimited.restart_policy.max_restarts_per_hour == 1000


def test_a_sql_job_needs_its_sql() -> None:
    with pytest.raises(InvalidInput, match="sql_body"):
        deployment_patch(JobKind.SQL, spec_from(SqlJob(name="s")))
    patch = deployment_patch(JobKind.SQL, spec_from(SqlJob(name="s", sql_body="SELECT 1")))
    assert patch.artifact is not None
    assert patch.artifact.sql_script == "SELECT 1"


def test_logs_need_a_bucket() -> None:
    with pytest.raises(InvalidInput, match="obs_bucket"):
        deployment_patch(JobKind.JAR, _jar(obs_bucket=None, log_enabled=True))


def test_a_jar_job_needs_its_jar() -> None:
    with pytest.raises(InvalidInput, match="entrypoint"):
        deployment_patch(JobKind.JAR, spec_from(JarJob(name="j")))


def test_names_of_versions_and_queues() -> None:
    assert engine_version("1.15") == "flink-1.15"
    assert engine_version("1.17.2") == "flink-1.17.2"
    assert engine_version("vvr-8.0.9-flink-1.17") == "vvr-8.0.9-flink-1.17"
    assert engine_version(None) is None
    assert millstream_queue("testQueue") == "testqueue"
    assert millstream_queue("my_queue") == "my-queue"


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x" * 58},
        {"name": "n", "desc": "d" * 513},
        {"name": "n", "resume_max_num": 0},
        {"name": "n", "tags": [{"key": " lead", "value": "v"}]},
        {"name": "n", "tags": [{"key": "k", "value": "a=b"}]},
        {"name": "n", "tags": [{"key": "k" * 37, "value": "v"}]},
        {"name": "n", "tags": [{"key": "k", "value": "v" * 44}]},
        {"name": "n", "cu_number": "many"},
    ],
)
def test_the_seed_limits_are_enforced(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        JarJob.model_validate(body)


def test_states_the_table_cannot_see() -> None:
    deployment = make_deployment()
    assert status_of(None) == "job_init"
    failed = make_job(deployment, status=JobStatus.FAILED, flink_job_id=None)
    assert status_of(failed) == "job_submit_fail"
    running = make_job(deployment, status=JobStatus.RUNNING, flink_job_id="f" * 32)
    assert status_of(running) == "job_running"
    saving = dataclasses.replace(
        running, desired=DesiredState.STOPPED, stop_strategy=StopStrategy.STOP_WITH_SAVEPOINT
    )
    assert status_of(saving) == "job_savepointing"
    cancelling = dataclasses.replace(
        running, desired=DesiredState.STOPPED, stop_strategy=StopStrategy.NONE
    )
    assert status_of(cancelling) == "job_canceling"
    assert job_status(7, running) == {
        "job_id": 7,
        "status_name": "job_running",
        "status_desc": "Running",
    }
