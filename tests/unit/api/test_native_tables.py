"""The native dialect's wire codes, state names and restore-kind aliases stay exactly the
ones the Ververica SDK and Millstream's clients have always seen."""

from __future__ import annotations

import json
import re

import pytest

from millstream.api.native import mappers, schemas
from millstream.api.native.errors import NATIVE_CODES, error_response, native_code
from millstream.api.native.states import JOB_STATUSES
from millstream.domain.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    JobAlreadyLive,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from millstream.domain.jobs import JobStatus, RestoreKind, StopStrategy


@pytest.mark.parametrize(
    ("code", "wire"),
    [
        (ErrorCode.DEPLOYMENT_NOT_FOUND, "DeploymentNotFound"),
        (ErrorCode.SESSION_CLUSTER_NOT_FOUND, "SessionClusterNotFound"),
        (ErrorCode.EXTERNAL_CLUSTER_NOT_FOUND, "DeploymentTargetNotFound"),
        (ErrorCode.UNKNOWN_ACCESS_KEY, "InvalidAccessKeyId.NotFound"),
        (ErrorCode.ACCESS_KEY_DISABLED, "InvalidAccessKeyId.Inactive"),
        (ErrorCode.INVALID_TIMESTAMP, "InvalidTimeStamp.Format"),
        (ErrorCode.INVALID_INPUT, "InvalidParameter"),
        (ErrorCode.PERMISSION_DENIED, "Forbidden"),
        (ErrorCode.JOB_ALREADY_LIVE, "JobAlreadyRunning"),
        (ErrorCode.INVALID_TRANSITION, "InvalidJobStatus"),
        (ErrorCode.STALE_VERSION, "ResourceVersionConflict"),
        (ErrorCode.ENGINE_UNAVAILABLE, "FlinkUnavailable"),
        (ErrorCode.HOT_UPDATE_NO_CHANGE, "HotUpdateNothingToChange"),
    ],
)
def test_native_wire_codes_are_the_historic_ones(code: ErrorCode, wire: str) -> None:
    assert native_code(code) == wire


def test_every_native_wire_code_is_in_the_sdk_shape() -> None:
    """PascalCase words, optionally dotted (``InvalidAccessKeyId.NotFound``), never ours."""
    for code, wire in NATIVE_CODES.items():
        assert wire != code.value
        assert all(part[:1].isupper() and part.isalnum() for part in wire.split(".")), wire


@pytest.mark.parametrize(
    ("error", "status", "wire"),
    [
        (
            NotFound("deployment 'd' not found", code=ErrorCode.DEPLOYMENT_NOT_FOUND),
            404,
            "DeploymentNotFound",
        ),
        (
            Unauthenticated("unknown key", code=ErrorCode.UNKNOWN_ACCESS_KEY),
            401,
            "InvalidAccessKeyId.NotFound",
        ),
        (JobAlreadyLive("deployment 'd' has a live job"), 409, "JobAlreadyRunning"),
        (Conflict("in use", code=ErrorCode.CLUSTER_IN_USE), 409, "ClusterInUse"),
        (PermissionDenied("no"), 403, "Forbidden"),
        (InvalidInput("bad"), 400, "InvalidParameter"),
    ],
)
def test_error_response_sends_the_native_code(error: Exception, status: int, wire: str) -> None:
    response = error_response(error, "RID")
    body = json.loads(bytes(response.body))
    assert response.status_code == status
    assert (body["errorCode"], body["code"]) == (wire, wire)


def test_job_status_names_are_the_sdk_ones() -> None:
    assert JOB_STATUSES[JobStatus.RUNNING] == "RUNNING"
    assert JOB_STATUSES[JobStatus.CANCELLED] == "CANCELLED"
    assert JOB_STATUSES[JobStatus.SUSPENDED] == "SUSPENDED"


@pytest.mark.parametrize(
    ("wire", "kind"),
    [
        ("FROM_NEW", RestoreKind.NONE),
        ("from_new", RestoreKind.NONE),
        ("FROM_LATEST", RestoreKind.LATEST_STATE),
        ("NONE", RestoreKind.NONE),
        ("LATEST_SAVEPOINT", RestoreKind.LATEST_SAVEPOINT),
        ("latest_state", RestoreKind.LATEST_STATE),
        ("FROM_SAVEPOINT", RestoreKind.FROM_SAVEPOINT),
    ],
)
def test_native_restore_kinds_accept_the_sdk_aliases(wire: str, kind: RestoreKind) -> None:
    assert mappers.restore_kind_from_wire(wire) is kind


def test_every_domain_restore_kind_round_trips_through_the_wire() -> None:
    for kind in RestoreKind:
        savepoint = "sp-1" if kind is RestoreKind.FROM_SAVEPOINT else None
        wire = schemas.DeploymentRestoreStrategy(kind=kind.value, savepoint_id=savepoint)
        assert mappers.restore_from_wire(wire).kind is kind


def test_unknown_restore_kind_names_the_wire_field_and_the_choices() -> None:
    with pytest.raises(InvalidInput) as caught:
        mappers.restore_kind_from_wire("SOMETIMES")
    assert caught.value.message == (
        "unknown restoreStrategy.kind 'SOMETIMES'; use one of NONE, LATEST_SAVEPOINT, "
        "LATEST_STATE, FROM_SAVEPOINT"
    )


def test_restore_from_savepoint_without_id_names_the_wire_field() -> None:
    wire = schemas.DeploymentRestoreStrategy(kind="FROM_SAVEPOINT")
    with pytest.raises(InvalidInput, match=r"restoreStrategy\.savepointId is required"):
        mappers.restore_from_wire(wire)


def test_stop_strategy_errors_name_the_wire_field() -> None:
    assert mappers.stop_strategy_from_wire("stop_with_drain") is StopStrategy.STOP_WITH_DRAIN
    with pytest.raises(InvalidInput, match="unknown stopStrategy 'KILL'; use one of NONE"):
        mappers.stop_strategy_from_wire("KILL")


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("SQLSCRIPT", "artifact.sqlArtifact.sqlScript"),
        ("JAR", "artifact.jarArtifact.jarUri"),
        ("PYTHON", "artifact.pythonArtifact.pythonArtifactUri"),
    ],
)
def test_an_artifact_without_its_file_names_the_wire_field(kind: str, field: str) -> None:
    artifact = mappers.artifact_from_wire(schemas.Artifact(kind=kind))
    with pytest.raises(InvalidInput, match=rf"^{re.escape(field)} is required for kind {kind}$"):
        mappers.require_artifact_file(artifact)


def test_an_artifact_update_keeps_the_base_file() -> None:
    base = mappers.artifact_from_wire(
        schemas.Artifact(kind="SQLSCRIPT", sql_artifact=schemas.SqlArtifact(sql_script="SELECT 1"))
    )
    merged = mappers.artifact_from_wire(schemas.Artifact(), base)
    mappers.require_artifact_file(merged)
    assert merged.sql_script == "SELECT 1"
