"""Flink REST error translation, through ``httpx.MockTransport`` (no network)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from millstream.domain.errors import EnginePermanentError, EngineUnavailable
from millstream.engine.rest import (
    FlinkNotFound,
    FlinkRequestRejected,
    FlinkRestClient,
    FlinkServerError,
    summarize_errors,
)

SERVER_SIDE = (
    "<Exception on server side:\norg.apache.flink.runtime.rest.handler.RestHandlerException: "
    "Could not execute application.\n\tat Foo.bar(Foo.java:1)\n"
    "Caused by: org.apache.flink.client.program.ProgramInvocationException: The main method"
    " caused an error: boom\n\tat Baz.qux(Baz.java:2)\n"
    "Caused by: org.apache.flink.table.api.ValidationException: Column 'x' not found\n"
    "\tat Q.q(Q.java:3)\n>"
)


def client(handler: Callable[[httpx.Request], httpx.Response]) -> FlinkRestClient:
    return FlinkRestClient("http://flink.test", timeout=1.0, transport=httpx.MockTransport(handler))


def answering(status: int, errors: list[str]) -> FlinkRestClient:
    return client(lambda _request: httpx.Response(status, json={"errors": errors}))


def test_connect_error_is_transient() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(EngineUnavailable) as caught:
        client(refuse).jobs_overview()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_timeout_is_transient() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(FlinkServerError, match="timed out"):
        client(slow).overview()


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_transient(status: int) -> None:
    with pytest.raises(FlinkServerError) as caught:
        answering(status, ["Service temporarily unavailable"]).overview()
    assert caught.value.status == status


def test_internal_error_not_about_the_program_is_transient() -> None:
    with pytest.raises(FlinkServerError):
        answering(500, ["Internal server error.", "<Exception on server side: busy>"]).overview()


def test_program_error_is_permanent_with_its_deepest_cause() -> None:
    with pytest.raises(FlinkRequestRejected) as caught:
        answering(500, ["Internal server error.", SERVER_SIDE]).run_jar("j.jar", {})
    error = caught.value
    assert isinstance(error, EnginePermanentError)
    assert error.status == 500
    assert "Column 'x' not found" in error.message
    assert "ValidationException" in error.detail
    assert isinstance(error.__cause__, httpx.HTTPStatusError)


def test_client_errors_are_permanent_and_404_is_not_found() -> None:
    with pytest.raises(FlinkRequestRejected) as rejected:
        answering(400, ["bad request body"]).stop_job("j", target_directory="/x", drain=False)
    assert rejected.value.message.endswith("answered 400: bad request body")
    with pytest.raises(FlinkNotFound):
        answering(404, ["Could not find Flink job (abc)"]).job("abc")


def test_body_that_is_not_json_is_kept_as_text() -> None:
    plain = client(lambda _request: httpx.Response(400, text="plain failure"))
    with pytest.raises(FlinkRequestRejected, match="plain failure"):
        plain.overview()


def test_summarize_errors_prefers_the_deepest_cause() -> None:
    assert summarize_errors([]) == ""
    assert summarize_errors(["<Exception on server side:\nsome failure\n>"]) == "some failure"
    assert summarize_errors([SERVER_SIDE]).endswith("Column 'x' not found")


def test_successful_answers_are_parsed() -> None:
    def flink(request: httpx.Request) -> httpx.Response:
        routes = {
            "/jobs/overview": {"jobs": [{"jid": "a", "state": "RUNNING"}]},
            "/jobs/a/metrics": [{"id": "numRestarts", "value": "2"}],
        }
        return httpx.Response(200, json=routes[request.url.path])

    rest = client(flink)
    assert rest.jobs_overview() == [{"jid": "a", "state": "RUNNING"}]
    assert rest.job_metrics("a", ["numRestarts"]) == {"numRestarts": "2"}
