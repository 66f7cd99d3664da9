"""The DLI tables: every domain error code is a ``DLI.dddd`` code, statuses follow the
error class, the envelope carries the request id in the header and the body shape the
SDK reads; every job status has a distinct DLI state; and, for any settings the schema
accepts, the deployment derived from them shows the same settings back (hypothesis)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.exceptions import HTTPException
from tests.factories import make_deployment

from millstream.api.dli.errors import DLI_CODES, DialectError, error_response
from millstream.api.dli.mappers import JobKind, deployment_patch, flink_job, spec_from
from millstream.api.dli.schemas import JarJob
from millstream.api.dli.states import JOB_STATES
from millstream.domain.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Throttled,
    Unauthenticated,
)
from millstream.domain.jobs import JobStatus


def test_every_code_is_a_dli_code() -> None:
    assert set(DLI_CODES) == set(ErrorCode)
    assert all(re.fullmatch(r"DLI\.\d{4}", code) for code in DLI_CODES.values())
    assert len(set(JOB_STATES.values())) == len(JobStatus)


def _answer(exc: Exception) -> tuple[int, dict[str, Any], str]:
    response = error_response(exc, "rid-1")
    return response.status_code, json.loads(bytes(response.body)), response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("exc", "status", "code", "message"),
    [
        (InvalidInput("bad"), 400, "DLI.0001", "bad"),
        (NotFound("gone", code=ErrorCode.JOB_NOT_FOUND), 404, "DLI.0002", "gone"),
        (Conflict("taken", code=ErrorCode.DEPLOYMENT_NAME_TAKEN), 409, "DLI.0006", "taken"),
        (Unauthenticated("who", code=ErrorCode.SIGNATURE_MISMATCH), 401, "DLI.0013", "who"),
        (PermissionDenied("no"), 403, "DLI.0003", "no"),
        (PayloadTooLarge("big"), 413, "DLI.0009", "big"),
        (Throttled("slow down"), 429, "DLI.0009", "slow down"),
        (DialectError(400, "DLI.0001", "not json"), 400, "DLI.0001", "not json"),
        (HTTPException(404, "no operation"), 404, "DLI.0007", "no operation"),
    ],
)
def test_statuses_follow_the_error_class(
    exc: Exception, status: int, code: str, message: str
) -> None:
    answered_status, body, request_id = _answer(exc)
    assert (answered_status, body["error_code"], request_id) == (status, code, "rid-1")
    assert body["is_success"] is False
    assert body["error_msg"] == body["message"] == message


def test_an_unexpected_error_is_a_500_without_details() -> None:
    status, body, request_id = _answer(RuntimeError("secret internals"))
    assert (status, body["error_code"], request_id) == (500, "DLI.0999", "rid-1")
    assert "secret" not in body["error_msg"]


_CU = st.integers(min_value=1, max_value=8)


@settings(max_examples=60, deadline=None)
@given(
    manager=_CU,
    extra=_CU,
    tm_cus=_CU,
    parallel=st.integers(min_value=1, max_value=64),
    slots=st.none() | st.integers(min_value=1, max_value=16),
    restart=st.booleans(),
    resume_max=st.sampled_from([-1, 1, 10]),
    args=st.none() | st.text(alphabet="abc -=0123", max_size=20),
)
def test_settings_come_back_as_sent(
    manager: int,
    extra: int,
    tm_cus: int,
    parallel: int,
    slots: int | None,
    restart: bool,
    resume_max: int,
    args: str | None,
) -> None:
    body = JarJob(
        name="job",
        entrypoint="obs://bucket/app.jar",
        manager_cu_number=manager,
        cu_number=manager + extra,
        tm_cus=tm_cus,
        parallel_number=parallel,
        tm_slot_num=slots,
        restart_when_exception=restart,
        resume_max_num=resume_max,
        entrypoint_args=args,
    )
    patch = deployment_patch(JobKind.JAR, spec_from(body))
    assert patch.artifact is not None
    assert patch.restart_policy is not None
    deployment = make_deployment(
        artifact=patch.artifact,
        streaming_resource=patch.streaming_resource,
        restart_policy=patch.restart_policy,
    )
    config = flink_job(deployment, None, job_id=1, project_id="p", detail=True)["job_config"]
    assert config["manager_cu_number"] == manager
    assert config["cu_number"] == manager + extra
    assert config["tm_cus"] == tm_cus
    assert config["parallel_number"] == parallel
    assert config["restart_when_exception"] is restart
    assert config["resume_max_num"] == resume_max
    assert config["entrypoint"] == "obs://bucket/app.jar"
    if slots is not None:
        assert config["tm_slot_num"] == slots
    assert deployment.streaming_resource.taskmanager.cpu == tm_cus
    assert deployment.streaming_resource.jobmanager.memory_bytes() == manager * 4 * 1024**3
