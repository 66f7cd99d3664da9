"""Console forms parsed into domain values, with messages for bad input."""

from __future__ import annotations

import pytest

from millstream.domain.artifacts import ArtifactKind, ExecutionMode
from millstream.domain.errors import InvalidInput
from millstream.domain.jobs import RestoreKind, StopStrategy
from millstream.domain.resources import ResourceMode
from millstream.web.forms import (
    EditorForm,
    format_flink_conf,
    parse_flink_conf,
    parse_restore,
    parse_stop,
)
from tests.factories import make_deployment


def test_flink_conf_lines() -> None:
    text = "# comment\n\na.b: 1\nc.d = x:y\n  e.f:  spaced  \n"
    assert parse_flink_conf(text) == {"a.b": "1", "c.d": "x:y", "e.f": "spaced"}
    assert parse_flink_conf(format_flink_conf({"b": 2, "a": "x"})) == {"a": "x", "b": "2"}


@pytest.mark.parametrize("line", ["no separator", ": value"])
def test_bad_flink_conf_line_names_its_number(line: str) -> None:
    with pytest.raises(InvalidInput, match="line 2"):
        parse_flink_conf(f"ok: 1\n{line}")


def test_editor_form_to_create_patch() -> None:
    form = EditorForm.from_fields(
        {
            "name": " orders ",
            "sql_script": "SELECT 1;\r\nSELECT 2;",
            "parallelism": "3",
            "taskmanager_memory": "4 GiB",
            "flink_conf": "a: b",
            "unknown": "ignored",
        }
    )
    patch = form.to_patch()
    assert patch.name == "orders"
    assert patch.artifact is not None
    assert patch.artifact.kind is ArtifactKind.SQLSCRIPT
    assert patch.artifact.sql_script == "SELECT 1;\nSELECT 2;"
    assert patch.execution_mode is ExecutionMode.STREAMING
    assert patch.streaming_resource is not None
    assert patch.batch_resource is None
    assert patch.streaming_resource.parallelism == 3
    assert patch.streaming_resource.taskmanager.memory == "4 GiB"
    assert patch.flink_conf == {"a": "b"}
    assert patch.engine_version is None
    assert patch.expected_version is None


def test_editor_form_round_trips_a_deployment_and_keeps_expert_fields() -> None:
    deployment = make_deployment()
    form = EditorForm.from_deployment(deployment)
    assert form.name == deployment.name
    assert form.expected_version == str(deployment.version)
    patch = form.to_patch(deployment)
    assert patch.expected_version == deployment.version
    assert patch.streaming_resource is not None
    assert patch.streaming_resource.mode is ResourceMode.BASIC


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("parallelism", "many", "parallelism must be a number"),
        ("jobmanager_cpu", "x", "JobManager CPU"),
        ("execution_mode", "MICRO", "STREAMING or BATCH"),
    ],
)
def test_editor_form_errors(field: str, value: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        EditorForm.from_fields({"name": "n", "sql_script": "x", field: value}).to_patch()


def test_restore_choices() -> None:
    assert parse_restore("NONE", "ignored").savepoint_id is None
    assert parse_restore("latest_state").kind is RestoreKind.LATEST_STATE
    chosen = parse_restore("FROM_SAVEPOINT", "sp-1", "on")
    assert (chosen.kind, chosen.savepoint_id, chosen.allow_non_restored_state) == (
        RestoreKind.FROM_SAVEPOINT,
        "sp-1",
        True,
    )
    with pytest.raises(InvalidInput, match="pick the savepoint"):
        parse_restore("FROM_SAVEPOINT", "")
    with pytest.raises(InvalidInput, match="unknown restore strategy"):
        parse_restore("SOMETIMES")


def test_stop_choices() -> None:
    assert parse_stop("") is StopStrategy.STOP_WITH_SAVEPOINT
    assert parse_stop("stop_with_drain") is StopStrategy.STOP_WITH_DRAIN
    with pytest.raises(InvalidInput):
        parse_stop("KILL")
