"""The client's job-control extensions, sync and async: suspend and resume (the native
``:suspend`` / ``:resume`` operations), the start's client token (a signed
``x-millstream-client-token`` header) and its queue (the SDK's ``resourceQueueName``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from alibabacloud_ververica20220718.models import JobStartParameters

from millstream.client import AsyncMillstreamClient, ClientConfig, Job, MillstreamClient
from millstream.client.operations import CLIENT_TOKEN_HEADER

NS = "/api/v2/namespaces/ns1"
CONFIG = ClientConfig(namespace="ns1", workspace="ws1", access_key_id="AK", access_key_secret="SK")


def _answer(status: str) -> httpx.Response:
    data = {"jobId": "j1", "status": {"currentJobStatus": status}}
    return httpx.Response(200, json={"success": True, "data": data})


def _sent(call: Callable[[MillstreamClient], object], status: str = "RUNNING") -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _answer(status)

    with MillstreamClient(CONFIG, transport=httpx.MockTransport(handler)) as client:
        call(client)
    (request,) = seen
    return request


def _signed_headers(request: httpx.Request) -> list[str]:
    match = re.search(r"SignedHeaders=([^,]+),", request.headers["authorization"])
    assert match is not None, request.headers["authorization"]
    return match.group(1).split(";")


@pytest.mark.parametrize(
    ("operation", "suffix"), [("suspend_job", "suspend"), ("resume_job", "resume")]
)
def test_suspend_and_resume_post_to_the_job_operation(operation: str, suffix: str) -> None:
    answers: list[Job] = []
    request = _sent(lambda c: answers.append(getattr(c, operation)("j 1")), "SUSPENDED")

    assert request.method == "POST"
    assert request.url.raw_path.decode() == f"{NS}/jobs/j%201%3A{suffix}"
    assert request.content == b""
    assert (
        request.headers["x-acs-action"] == {"suspend": "SuspendJob", "resume": "ResumeJob"}[suffix]
    )
    assert [a.state for a in answers] == ["SUSPENDED"]


def test_start_with_a_client_token_sends_it_as_a_signed_header() -> None:
    request = _sent(lambda c: c.start_job("d1", client_token="tok-1"))

    assert request.headers[CLIENT_TOKEN_HEADER] == "tok-1"
    assert CLIENT_TOKEN_HEADER in _signed_headers(request)
    # the SDK's body is unchanged: the token travels beside it
    assert json.loads(request.content) == {"deploymentId": "d1", "localVariables": []}


def test_start_without_a_client_token_sends_no_token_header() -> None:
    request = _sent(lambda c: c.start_job("d1"))

    assert CLIENT_TOKEN_HEADER not in request.headers


def test_start_with_a_queue_sends_the_sdks_resource_queue_name() -> None:
    request = _sent(lambda c: c.start_job("d1", queue="etl"))

    sent: dict[str, Any] = json.loads(request.content)
    sdk = JobStartParameters(deployment_id="d1", resource_queue_name="etl").to_map()
    assert sent["resourceQueueName"] == sdk["resourceQueueName"] == "etl"


async def test_async_client_suspends_resumes_and_sends_the_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _answer("SUSPENDED")

    async with AsyncMillstreamClient(CONFIG, transport=httpx.MockTransport(handler)) as client:
        suspended = await client.suspend_job("j1")
        await client.resume_job("j1")
        await client.start_job("d1", client_token="tok-2", queue="etl")

    assert suspended.state == "SUSPENDED"
    assert [r.url.raw_path.decode() for r in seen] == [
        f"{NS}/jobs/j1%3Asuspend",
        f"{NS}/jobs/j1%3Aresume",
        f"{NS}/jobs%3Astart",
    ]
    assert seen[2].headers[CLIENT_TOKEN_HEADER] == "tok-2"
    assert json.loads(seen[2].content)["resourceQueueName"] == "etl"
