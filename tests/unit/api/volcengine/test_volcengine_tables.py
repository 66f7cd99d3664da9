"""The dialect's tables are total: every domain error code has a Volcengine code, every
error class a 4xx/5xx status, every domain state a Volcengine name; and every failure,
expected or not, is answered in the envelope."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from millstream.api.volcengine import states
from millstream.api.volcengine.envelope import Metadata
from millstream.api.volcengine.errors import (
    STATUS_BY_ERROR,
    VOLCENGINE_CODES,
    DialectError,
    error_response,
    status_for,
)
from millstream.domain import errors as domain_errors
from millstream.domain.clusters import ClusterStatus
from millstream.domain.errors import ErrorCode, MillstreamError
from millstream.domain.jobs import DesiredState, JobStatus
from millstream.domain.savepoints import SavepointOrigin, SavepointState

_CODE = re.compile(r"^[A-Z][A-Za-z]+(\.[A-Z][A-Za-z0-9]+)*$")
META = Metadata(request_id="REQ1", action="GetApplicationInstance", region="cn-shanghai")


def _classes(root: type[MillstreamError] = MillstreamError) -> Iterator[type[MillstreamError]]:
    """The domain's error classes (adapters subclass them; those are not the domain's)."""
    if root.__module__ == domain_errors.__name__:
        yield root
    for sub in root.__subclasses__():
        yield from _classes(sub)


def _body(response: Any) -> dict[str, Any]:
    decoded = json.loads(bytes(response.body))
    assert isinstance(decoded, dict)
    return decoded


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_error_code_has_a_volcengine_code(code: ErrorCode) -> None:
    assert _CODE.match(VOLCENGINE_CODES[code]), VOLCENGINE_CODES[code]


def test_the_code_table_has_nothing_but_domain_codes() -> None:
    assert set(VOLCENGINE_CODES) == set(ErrorCode)


@pytest.mark.parametrize("cls", list(_classes()), ids=lambda cls: cls.__name__)
def test_every_error_class_is_answered_in_the_envelope(cls: type[MillstreamError]) -> None:
    error = cls("what to fix")
    response = error_response(error, META)
    body = _body(response)
    metadata = body["ResponseMetadata"]
    assert response.status_code >= 400
    assert metadata["RequestId"] == "REQ1"
    assert (metadata["Action"], metadata["Version"], metadata["Service"], metadata["Region"]) == (
        "GetApplicationInstance",
        "2025-01-01",
        "flink",
        "cn-shanghai",
    )
    assert "Result" not in body
    assert response.headers["x-tt-logid"] == "REQ1"
    if cls is MillstreamError:  # the base class is an unmapped internal failure
        assert response.status_code == 500
        assert metadata["Error"]["Code"] == "InternalError"
        assert "what to fix" not in metadata["Error"]["Message"]
    else:
        assert 400 <= response.status_code < 500 or response.status_code == 503
        assert metadata["Error"] == {"Code": VOLCENGINE_CODES[error.code], "Message": "what to fix"}


def test_statuses_follow_the_most_specific_class() -> None:
    assert status_for(domain_errors.JobAlreadyLive("x")) == 409
    assert status_for(domain_errors.InvalidSql("x")) == 400
    assert status_for(domain_errors.EngineUnavailable("x")) == 503
    assert status_for(domain_errors.Unauthenticated("x")) == 401
    assert status_for(domain_errors.Throttled("x")) == 429
    assert set(STATUS_BY_ERROR.values()) <= {400, 401, 403, 404, 409, 413, 429, 503}


def test_code_follows_the_error_code_not_the_class() -> None:
    error = domain_errors.NotFound("job 'x' not found", code=ErrorCode.JOB_NOT_FOUND)
    body = _body(error_response(error, META))
    assert body["ResponseMetadata"]["Error"]["Code"] == "NotFound.ApplicationInstance"


def test_dialect_errors_keep_their_status_and_code() -> None:
    response = error_response(DialectError(404, "InvalidActionOrVersion", "no such Action"), META)
    assert response.status_code == 404
    assert _body(response)["ResponseMetadata"]["Error"]["Code"] == "InvalidActionOrVersion"


def test_validation_errors_name_the_wire_field() -> None:
    class _Model(BaseModel):
        count: int

    with pytest.raises(ValidationError) as caught:
        _Model.model_validate({"count": "many"})
    response = error_response(caught.value, META)
    assert response.status_code == 400
    error = _body(response)["ResponseMetadata"]["Error"]
    assert error["Code"] == "InvalidParameter"
    assert error["Message"].startswith("count:")


def test_unexpected_exceptions_are_500_without_details() -> None:
    response = error_response(RuntimeError("secret detail"), META)
    assert response.status_code == 500
    assert "secret detail" not in bytes(response.body).decode()


@pytest.mark.parametrize(
    ("enum", "table"),
    [
        (JobStatus, states.INSTANCE_STATES),
        (DesiredState, states.DESIRED_STATES),
        (SavepointState, states.SAVEPOINT_STATES),
        (SavepointOrigin, states.SAVEPOINT_CREATE_TYPES),
        (ClusterStatus, states.POOL_STATES),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_every_domain_state_has_a_volcengine_name(enum: Any, table: Any) -> None:
    assert set(table) == set(enum)
    assert all(re.fullmatch(r"[A-Z_]+", name) for name in table.values())


@pytest.mark.parametrize("status", list(JobStatus))
def test_state_filter_selects_the_status_it_names(status: JobStatus) -> None:
    selected = states.statuses_of(states.instance_state(status).lower())
    assert selected is not None
    assert status in selected


def test_state_filter_all_selects_everything_and_unknown_is_refused() -> None:
    assert states.statuses_of("ALL") is None
    assert states.statuses_of("") is None
    with pytest.raises(domain_errors.InvalidInput, match="RUNNING"):
        states.statuses_of("SLEEPING")


def test_application_state_is_created_before_the_first_instance() -> None:
    assert states.application_state(None) == "CREATED"
    assert states.application_state(JobStatus.CANCELLED) == "STOPPED"
