"""Native error mapping: every domain error class to its status, and the envelope shape."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from millstream.api.native.errors import (
    REQUEST_ID_HEADER,
    error_response,
    ok_response,
    status_for,
    validation_message,
)
from millstream.domain import errors as domain

EXPECTED: dict[type[domain.MillstreamError], int] = {
    domain.InvalidInput: 400,
    domain.InvalidSql: 400,
    domain.InvalidArtifact: 400,
    domain.UnknownVariable: 400,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.JobAlreadyLive: 409,
    domain.InvalidTransition: 409,
    domain.StaleVersion: 409,
    domain.Unauthenticated: 401,
    domain.PermissionDenied: 403,
    domain.PayloadTooLarge: 413,
    domain.Unavailable: 503,
    domain.EngineUnavailable: 503,
    domain.StoreUnavailable: 503,
    domain.Throttled: 429,
    domain.EnginePermanentError: 500,
    domain.MillstreamError: 500,
}


def _all_error_classes() -> set[type[domain.MillstreamError]]:
    found: set[type[domain.MillstreamError]] = set()
    pending: list[type[domain.MillstreamError]] = [domain.MillstreamError]
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending.extend(cls.__subclasses__())
    return {cls for cls in found if cls.__module__ == domain.__name__}


def test_every_domain_error_class_has_an_expected_status() -> None:
    assert _all_error_classes() == set(EXPECTED)


@pytest.mark.parametrize(
    ("cls", "status"), EXPECTED.items(), ids=lambda v: getattr(v, "__name__", str(v))
)
def test_status_by_class(cls: type[domain.MillstreamError], status: int) -> None:
    assert status_for(cls("m")) == status


def test_most_specific_mapped_class_wins_for_subclasses() -> None:
    class CustomConflict(domain.StaleVersion):
        code = domain.ErrorCode.CONFLICT

    assert status_for(CustomConflict("x")) == 409


def _body(response: JSONResponse) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(bytes(response.body))
    return loaded


def test_error_envelope_carries_code_and_message_twice() -> None:
    error = domain.NotFound("job 'j' not found", code=domain.ErrorCode.JOB_NOT_FOUND)
    response = error_response(error, "RID")
    assert response.status_code == 404
    assert response.headers[REQUEST_ID_HEADER] == "RID"
    assert _body(response) == {
        "requestId": "RID",
        "success": False,
        "httpCode": 404,
        "errorCode": "JobNotFound",
        "errorMessage": "job 'j' not found",
        "data": None,
        "code": "JobNotFound",
        "message": "job 'j' not found",
    }


def test_success_envelope_follows_the_seed() -> None:
    response = ok_response("RID", [1], pageIndex=1, pageSize=10, totalSize=1)
    assert _body(response) == {
        "requestId": "RID",
        "success": True,
        "httpCode": 200,
        "errorCode": "",
        "errorMessage": "",
        "data": [1],
        "pageIndex": 1,
        "pageSize": 10,
        "totalSize": 1,
    }


def test_unexpected_errors_are_logged_and_hidden(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        response = error_response(KeyError("password=hunter2"), "RID")
    body = _body(response)
    assert response.status_code == 500
    assert body["errorCode"] == "InternalError"
    assert "hunter2" not in json.dumps(body)
    assert "RID" in caplog.text


def test_unmapped_domain_error_is_a_500_without_its_message() -> None:
    response = error_response(domain.EnginePermanentError("jar is corrupt at /secret"), "RID")
    assert response.status_code == 500
    assert "/secret" not in json.dumps(_body(response))


def test_validation_errors_name_the_field() -> None:
    error = RequestValidationError(
        [
            {
                "type": "greater_than_equal",
                "loc": ("query", "pageSize"),
                "msg": "Input should be >= 1",
            },
            {
                "type": "string_type",
                "loc": ("body", "artifact", "kind"),
                "msg": "Input should be a string",
            },
        ]
    )
    code, message = validation_message(error)
    assert code == "InvalidParameter"
    assert message == "pageSize: Input should be >= 1; body.artifact.kind: Input should be a string"


def test_json_decode_errors_are_malformed_json() -> None:
    error = RequestValidationError(
        [
            {
                "type": "json_invalid",
                "loc": ("body", 3),
                "msg": "JSON decode error",
                "ctx": {"error": "Expecting value"},
            }
        ]
    )
    assert validation_message(error) == (
        "MalformedJson",
        "request body is not valid JSON: Expecting value",
    )


def test_http_exceptions_keep_their_status_in_the_envelope() -> None:
    response = error_response(
        HTTPException(status_code=400, detail="There was an error parsing the body"), "R"
    )
    assert (response.status_code, _body(response)["errorCode"]) == (400, "InvalidParameter")


def test_http_exception_caused_by_a_domain_error_maps_the_cause() -> None:
    wrapped = HTTPException(status_code=400, detail="There was an error parsing the body")
    wrapped.__cause__ = domain.PayloadTooLarge("too big")
    response = error_response(wrapped, "R")
    assert (response.status_code, _body(response)["errorCode"]) == (413, "PayloadTooLarge")
