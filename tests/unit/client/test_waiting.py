"""``wait_for_job`` / ``wait_for_savepoint`` / ``wait_for_hot_update``, sync and async."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from millstream.client import (
    AsyncMillstreamClient,
    ClientConfig,
    MillstreamClient,
    UnexpectedStatusError,
    WaitTimeoutError,
)


def _statuses(kind: str, sequence: list[str], failure: str | None = None) -> httpx.MockTransport:
    """Answers GetJob/GetSavepoint with the statuses in turn, then repeats the last."""
    remaining: Iterator[str] = iter(sequence)
    last = {"value": sequence[0]}

    def handler(request: httpx.Request) -> httpx.Response:  # noqa: ARG001
        last["value"] = next(remaining, last["value"])
        fail = {"message": failure} if failure else None
        data: dict[str, Any]
        if kind == "job":
            data = {"jobId": "j1", "status": {"currentJobStatus": last["value"], "failure": fail}}
        else:
            data = {"savepointId": "s1", "status": {"state": last["value"], "failure": fail}}
        return httpx.Response(200, json={"success": True, "data": data})

    return httpx.MockTransport(handler)


def test_wait_for_job_returns_once_running_and_reports_each_status() -> None:
    seen: list[str | None] = []
    client = MillstreamClient(
        ClientConfig(), transport=_statuses("job", ["STARTING", "STARTING", "RUNNING"])
    )
    job = client.wait_for_job("j1", "RUNNING", timeout=5, poll=0, on_status=seen.append)
    assert job.state == "RUNNING"
    assert seen == ["STARTING", "STARTING", "RUNNING"]


def test_wait_for_job_times_out_with_last_status() -> None:
    client = MillstreamClient(ClientConfig(), transport=_statuses("job", ["STARTING"]))
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait_for_job("j1", ["RUNNING"], timeout=0, poll=0)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.last_status == "STARTING"
    assert "last status: STARTING" in str(caught.value)


def test_wait_for_job_fails_fast_on_an_unwanted_terminal_status() -> None:
    transport = _statuses("job", ["STARTING", "FAILED"], failure="NoClassDefFoundError: x")
    client = MillstreamClient(ClientConfig(), transport=transport)
    with pytest.raises(UnexpectedStatusError, match="FAILED: NoClassDefFoundError") as caught:
        client.wait_for_job("j1", "RUNNING", timeout=60, poll=0)
    assert caught.value.status == "FAILED"


def test_wait_for_savepoint_completes_or_fails() -> None:
    ok = MillstreamClient(
        ClientConfig(), transport=_statuses("savepoint", ["STARTED", "COMPLETED"])
    )
    assert ok.wait_for_savepoint("s1", timeout=5, poll=0).state == "COMPLETED"
    bad = MillstreamClient(
        ClientConfig(), transport=_statuses("savepoint", ["FAILED"], "disk full")
    )
    with pytest.raises(UnexpectedStatusError, match="disk full"):
        bad.wait_for_savepoint("s1", timeout=5, poll=0)


async def test_async_client_waits_the_same_way() -> None:
    async with AsyncMillstreamClient(
        ClientConfig(), transport=_statuses("job", ["STARTING", "RUNNING"])
    ) as client:
        job = await client.wait_for_job("j1", "RUNNING", timeout=5, poll=0)
        assert job.state == "RUNNING"
    timeout_client = AsyncMillstreamClient(
        ClientConfig(), transport=_statuses("savepoint", ["STARTED"])
    )
    with pytest.raises(WaitTimeoutError) as caught:
        await timeout_client.wait_for_savepoint("s1", timeout=0, poll=0)
    assert caught.value.last_status == "STARTED"
    await timeout_client.close()


async def test_async_client_sends_signed_requests_like_the_sync_one() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "data": {"jobId": "j9"}})

    config = ClientConfig(access_key_id="AK", access_key_secret="SK", namespace="ns1")
    async with AsyncMillstreamClient(config, transport=httpx.MockTransport(handler)) as client:
        job = await client.start_job("d1")
    assert job.job_id == "j9"
    assert seen[0].url.raw_path == b"/api/v2/namespaces/ns1/jobs%3Astart"
    assert seen[0].headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=AK,")


def _hot_updates(phases: list[str], failure: str | None = None) -> httpx.MockTransport:
    """Answers GetHotUpdateJobResult with the phases in turn, then repeats the last."""
    remaining: Iterator[str] = iter(phases)
    last = {"value": phases[0]}

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.raw_path.endswith(b"/jobs/hot-updates/h1")
        last["value"] = next(remaining, last["value"])
        status = {"DONE": "HOT_UPDATED", "FAILED": "HOT_UPDATE_FAILED"}.get(
            last["value"], "HOT_UPDATING"
        )
        data = {
            "jobHotUpdateId": "h1",
            "jobId": "j1",
            "status": {"status": status, "failure": {"message": failure} if failure else None},
            "newJobId": "j2" if status == "HOT_UPDATED" else None,
            "phase": last["value"],
        }
        return httpx.Response(200, json={"success": True, "data": data})

    return httpx.MockTransport(handler)


def test_wait_for_hot_update_reports_phases_until_done() -> None:
    seen: list[str | None] = []
    client = MillstreamClient(
        ClientConfig(), transport=_hot_updates(["STOPPING", "STARTING", "DONE"])
    )
    result = client.wait_for_hot_update("h1", timeout=5, poll=0, on_status=seen.append)
    assert (result.state, result.new_job_id) == ("HOT_UPDATED", "j2")
    assert seen == ["STOPPING", "STARTING", "DONE"]


def test_wait_for_hot_update_fails_fast_or_times_out() -> None:
    failing = MillstreamClient(
        ClientConfig(), transport=_hot_updates(["STOPPING", "FAILED"], "savepoint failed")
    )
    with pytest.raises(UnexpectedStatusError, match="HOT_UPDATE_FAILED: savepoint failed"):
        failing.wait_for_hot_update("h1", timeout=60, poll=0)
    stuck = MillstreamClient(ClientConfig(), transport=_hot_updates(["STOPPING"]))
    with pytest.raises(WaitTimeoutError) as caught:
        stuck.wait_for_hot_update("h1", timeout=0, poll=0)
    assert caught.value.last_status == "STOPPING"


async def test_async_wait_for_hot_update() -> None:
    async with AsyncMillstreamClient(
        ClientConfig(), transport=_hot_updates(["STARTING", "DONE"])
    ) as client:
        result = await client.wait_for_hot_update("h1", timeout=5, poll=0)
    assert result.state == "HOT_UPDATED"
