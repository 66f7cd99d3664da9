"""The foas wire: the envelope (JSON, XML under ``Format=XML``), the error table and the
request parameters (form bodies, JSON bodies, booleans as ``True``/``False``)."""

from __future__ import annotations

import json
from collections import Counter
from xml.etree import ElementTree

import pytest
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request

from millstream.api.foas import FOAS
from millstream.api.foas.envelope import ok, to_xml, use_format, wants_xml
from millstream.api.foas.errors import FOAS_CODES, FoasError, error_response, not_implemented
from millstream.api.foas.metrics import SOURCES, metric_key
from millstream.api.foas.operations import OPERATIONS
from millstream.api.foas.plans import MAX_RUNNING, PlanSessions
from millstream.api.foas.routing import Params, read_params
from millstream.api.foas.unbuilt import UNBUILT
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound


def test_every_error_code_has_a_dotted_or_pascal_case_foas_code() -> None:
    assert set(FOAS_CODES) == set(ErrorCode)
    for code in FOAS_CODES.values():
        assert code[0].isupper()
        assert " " not in code


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (NotFound("x", code=ErrorCode.DEPLOYMENT_NOT_FOUND), 404, "Job.NotFound"),
        (NotFound("x", code=ErrorCode.NAMESPACE_NOT_FOUND), 404, "Project.NotFound"),
        (Conflict("x", code=ErrorCode.DEPLOYMENT_NAME_TAKEN), 409, "Job.AlreadyExists"),
        (InvalidInput("x"), 400, "InvalidParameter"),
        (not_implemented("CreateFolder"), 501, "NotImplemented"),
        (HTTPException(404, "no route"), 404, "InvalidAction.NotFound"),
        (RuntimeError("boom"), 500, "InternalError"),
    ],
)
def test_errors_answer_request_id_host_id_code_and_message(
    error: Exception, status: int, code: str
) -> None:
    response = error_response(error, "RID")
    body = json.loads(bytes(response.body))
    assert response.status_code == status
    assert (body["Code"], body["RequestId"], body["HostId"]) == (code, "RID", "millstream")
    assert body["Message"]
    assert response.headers["x-acs-request-id"] == "RID"
    if isinstance(error, RuntimeError):
        assert "boom" not in body["Message"]  # unexpected errors are logged, not shown


def test_xml_repeats_list_items_and_errors_use_the_error_root() -> None:
    text = to_xml("ListJobResponse", {"Jobs": {"Job": [{"A": 1}, {"A": 2}]}, "Ok": True})
    root = ElementTree.fromstring(text)
    assert [e.text for e in root.findall("Jobs/Job/A")] == ["1", "2"]
    assert root.findtext("Ok") == "true"
    with use_format("GetJobResponse"):
        assert ElementTree.fromstring(bytes(ok("R", X="<&>").body)).findtext("X") == "<&>"
        error = ElementTree.fromstring(bytes(error_response(InvalidInput("bad"), "R").body))
        assert (error.tag, error.findtext("Code")) == ("Error", "InvalidParameter")
    assert json.loads(bytes(ok("R").body)) == {"RequestId": "R"}
    assert wants_xml({"Format": "xml"})
    assert not wants_xml({"Format": "JSON"})


def _request(body: bytes, content_type: str, query: bytes = b"") -> Request:
    sent = False

    async def receive() -> dict[str, object]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "query_string": query,
        "headers": [(b"content-type", content_type.encode())],
    }
    return Request(scope, receive)


async def test_form_and_json_bodies_become_params() -> None:
    form = await read_params(
        _request(
            b"jobName=j1&code=INSERT+INTO+s+SELECT+%2A+FROM+t&flag=True",
            "application/x-www-form-urlencoded",
            b"RegionId=cn-hangzhou",
        )
    )
    assert form.required("jobName") == "j1"
    assert form.text("code") == "INSERT INTO s SELECT * FROM t"
    assert form.boolean("flag", False) is True
    assert form.text("RegionId") == "cn-hangzhou"
    as_json = await read_params(
        _request(b'{"expectState": "RUNNING", "parameterJson": {"a": 1}}', "application/json")
    )
    assert as_json.text("expectState") == "RUNNING"
    assert json.loads(as_json.required("parameterJson")) == {"a": 1}
    with pytest.raises(Exception, match="not valid JSON"):
        await read_params(_request(b"{oops", "application/json"))


def test_params_refuse_what_they_cannot_read() -> None:
    params = Params({"n": "x", "b": "maybe", "neg": "-3"})
    with pytest.raises(Exception, match="integer"):
        params.integer("n")
    with pytest.raises(Exception, match="True or False"):
        params.boolean("b", False)
    with pytest.raises(Exception, match="at least 0"):
        params.integer("neg")
    with pytest.raises(Exception, match="required"):
        params.required("missing")
    assert params.integer("missing", 5) == 5


def test_every_sdk_operation_is_in_the_table_and_routed_once() -> None:
    assert len(OPERATIONS) == 67
    unbuilt = {name for _, _, name in UNBUILT}
    assert unbuilt <= set(OPERATIONS)
    routed = Counter(
        route.name
        for router in FOAS.routers
        for route in router.routes
        if isinstance(route, APIRoute)
    )
    assert set(routed) == set(OPERATIONS)
    assert [name for name, count in routed.items() if count > 1] == []


def test_metric_names_drop_the_project_and_job_prefix() -> None:
    assert metric_key("blink.p.j.tps.rate", project="p", job="j") == "tps.rate"
    assert metric_key("blink.q.j.tps.rate", project="p", job="j") == "blink.q.j.tps.rate"
    assert metric_key("checkpoints", project="p", job="j") in SOURCES


def test_plan_sessions_belong_to_their_job_and_limit_concurrent_plans() -> None:
    sessions = PlanSessions()
    owner = ("ws", "ns", "job")
    started = [sessions.start(owner) for _ in range(MAX_RUNNING)]
    with pytest.raises(FoasError, match="retry"):
        sessions.start(owner)
    session_id, session = started[0]
    assert sessions.get(session_id, owner) is session
    with pytest.raises(FoasError, match="sessionId"):
        sessions.get(session_id, ("ws", "ns", "other-job"))
    session.status = "success"
    sessions.start(owner)  # one finished: room for another
