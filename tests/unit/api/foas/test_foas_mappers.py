"""foas requests to deployments and deployments/jobs to the document's shapes
(``api.foas.mappers``), the state table (``api.foas.states``) and ``table_io``."""

from __future__ import annotations

import json

import pytest
from tests.factories import make_deployment, make_job

from millstream.api.foas.jobs import table_io
from millstream.api.foas.mappers import (
    SPEC_KEY,
    deployment_patch,
    flink_conf_of,
    instance_view,
    job_view,
    parse_properties,
)
from millstream.api.foas.states import JOB_STATES, actual_state, expect_state
from millstream.control.context import Scope
from millstream.domain.artifacts import ArtifactKind, ExecutionMode
from millstream.domain.errors import InvalidInput
from millstream.domain.jobs import DesiredState, JobStatus

SCOPE = Scope("ws", "ns")


def test_properties_take_lines_colons_comments_and_json() -> None:
    text = "# comment\n-- another\na.b=1\nc.d: two\n\n"
    assert parse_properties(text) == {"a.b": "1", "c.d": "two"}
    assert parse_properties('{"x": 1, "y": true}') == {"x": "1", "y": "true"}
    assert parse_properties(None) == {}
    with pytest.raises(InvalidInput, match="line 1"):
        parse_properties("no separator here")


def test_blink_keys_become_flink_keys_and_blink_only_keys_stay_out() -> None:
    conf = flink_conf_of(
        {
            "blink.checkpoint.interval.ms": "180000",
            "blink.job.option.jmMemMB": "1024",
            "state.backend.niagara.ttl.ms": "1",
            "blink.main.class": "x.Y",
            "parallelism.default": "2",
        }
    )
    assert conf == {
        "execution.checkpointing.interval": "180000 ms",
        "jobmanager.memory.process.size": "1024m",
        "parallelism.default": "2",
    }
    with pytest.raises(InvalidInput):
        flink_conf_of({"blink.state.ttl.ms": "soon"})


def test_a_sql_job_is_a_sqlscript_deployment_with_its_fields_kept() -> None:
    spec = {
        "apiType": "sql",
        "jobType": "FLINK_BATCH",
        "code": "SELECT 1",
        "engineVersion": "blink-3.6.0",
        "properties": "blink.job.timeZone=UTC",
    }
    patch = deployment_patch(spec, SCOPE, name="j")
    assert patch.artifact is not None
    assert patch.artifact.kind is ArtifactKind.SQLSCRIPT
    assert patch.artifact.sql_script == "SELECT 1"
    assert json.loads(patch.artifact.extra[SPEC_KEY]) == spec
    assert patch.execution_mode is ExecutionMode.BATCH
    assert patch.engine_version is None  # Blink versions mean the installation's default
    assert patch.flink_conf == {"table.local-time-zone": "UTC"}
    assert (
        deployment_patch({**spec, "engineVersion": "flink-1.20"}, SCOPE, name="j").engine_version
        == "flink-1.20"
    )


def test_a_datastream_job_names_its_jar_and_class_in_code_or_packages() -> None:
    spec = {
        "apiType": "DATASTREAM",
        "code": "blink.main.class=com.example.Main\n--blink.main.jar=ignored.jar",
        "packages": "app.jar,lib.jar",
    }
    artifact = deployment_patch(spec, SCOPE, name="j").artifact
    assert artifact is not None
    assert artifact.kind is ArtifactKind.JAR
    assert artifact.jar_uri == "artifacts://ws/ns/app.jar"
    assert artifact.entry_class == "com.example.Main"
    assert artifact.additional_dependencies == ("artifacts://ws/ns/lib.jar",)
    explicit = deployment_patch(
        {**spec, "code": "blink.main.jar=lib.jar"}, SCOPE, name="j"
    ).artifact
    assert explicit is not None
    assert explicit.jar_uri == "artifacts://ws/ns/lib.jar"
    assert explicit.additional_dependencies == ("artifacts://ws/ns/app.jar",)
    with pytest.raises(InvalidInput, match="jar"):
        deployment_patch({"apiType": "DATASTREAM", "code": ""}, SCOPE, name="j")


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"apiType": "SCALA", "code": "x"}, "apiType"),
        ({"apiType": "SQL", "code": "  "}, "code"),
        ({"apiType": "SQL", "code": "x", "jobType": "FLINK_MICRO"}, "jobType"),
    ],
)
def test_bad_jobs_are_invalid_input(spec: dict[str, str], problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        deployment_patch(spec, SCOPE, name="j")


def test_job_and_instance_views_render_the_document_fields() -> None:
    spec = {"apiType": "SQL", "code": "SELECT 1", "packages": "a.jar", "folderId": "7"}
    patch = deployment_patch(spec, SCOPE, name="j1")
    assert patch.artifact is not None
    deployment = make_deployment(name="j1", artifact=patch.artifact)
    view = job_view(deployment, project="p")
    assert (view["JobName"], view["ApiType"], view["Code"], view["FolderId"]) == (
        "j1",
        "SQL",
        "SELECT 1",
        7,
    )
    assert (view["JobType"], view["ProjectName"], view["IsCommitted"]) == (
        "FLINK_STREAM",
        "p",
        False,
    )
    job = make_job(deployment, status=JobStatus.RUNNING, flink_job_id="f" * 32)
    instance = instance_view(job, number=400001, project="p")
    assert (instance["Id"], instance["ActualState"], instance["ExpectState"]) == (
        400001,
        "RUNNING",
        "RUNNING",
    )
    assert instance["EngineJobHandler"].endswith("|" + "f" * 32)
    assert instance["Packages"] == "a.jar"


def test_states_cover_every_status_and_distinguish_pausing() -> None:
    assert set(JOB_STATES) == set(JobStatus)
    assert actual_state(None) == expect_state(None) == "UNKNOWN"
    pausing = make_job(status=JobStatus.CANCELLING, desired=DesiredState.SUSPENDED)
    assert (actual_state(pausing), expect_state(pausing)) == ("PAUSING", "PAUSED")
    stopping = make_job(status=JobStatus.CANCELLING, desired=DesiredState.STOPPED)
    assert (actual_state(stopping), expect_state(stopping)) == ("TERMINATING", "TERMINATED")
    failed = make_job(status=JobStatus.FAILED, desired=DesiredState.RUNNING)
    assert (actual_state(failed), expect_state(failed)) == ("FAILED", "FAILED")
    suspended = make_job(status=JobStatus.SUSPENDED, desired=DesiredState.SUSPENDED)
    assert actual_state(suspended) == "PAUSED"


def test_table_io_splits_created_tables_into_inputs_and_outputs() -> None:
    script = (
        "CREATE TEMPORARY TABLE src (a INT) WITH ('connector' = 'datagen');\n"
        "CREATE TABLE IF NOT EXISTS `snk` (a INT) WITH ('connector'='print', 'x'='y');\n"
        "INSERT INTO `snk` SELECT a FROM src;"
    )
    io = table_io(script, project="p")
    assert [(t["Name"], t["Type"]) for t in io["Inputs"]] == [("src", "datagen")]
    assert [(t["Name"], t["Properties"]) for t in io["Outputs"]] == [
        ("snk", {"connector": "print", "x": "y"})
    ]
    assert io["Dims"] == []


def test_registered_packages_are_used_from_their_location() -> None:
    spec = {
        "apiType": "DATASTREAM",
        "code": "blink.main.class=com.example.Main",
        "packages": "udf.jar,words.txt,https://example.com/x.jar",
    }
    locations = {"udf.jar": "oss://bucket/path/a.jar"}
    artifact = deployment_patch(spec, SCOPE, name="j", locations=locations).artifact
    assert artifact is not None
    assert artifact.jar_uri == "oss://bucket/path/a.jar"
    # An unregistered name is a file of the artifact store; a URI stays itself.
    assert artifact.additional_dependencies == (
        "artifacts://ws/ns/words.txt",
        "https://example.com/x.jar",
    )
