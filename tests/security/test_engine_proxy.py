"""Issue 19, item 1: a VIEWER must not cancel a job through FlinkApiProxy.

Flink 2.3 still cancels a job on ``GET /jobs/<id>/yarn-cancel``; the proxy used to admit
any GET under the job's path. Through the official SDK, signed as a VIEWER, against the
real server on real Flink: the write is refused and the job keeps running, while the
read-only endpoints stay readable.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from alibabacloud_ververica20220718 import models as vv

from millstream.engine import LocalCluster
from tests.security.engine_stack import (
    NS,
    RT,
    WS,
    EngineStack,
    engine_stack,
    error_of,
    flink_state,
)

pytestmark = pytest.mark.flink


@pytest.fixture(scope="module")
def stack(flink: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineStack]:
    with engine_stack(tmp_path_factory.mktemp("proxy") / "data", flink.rest_url) as running:
        yield running


def _proxy(stack: EngineStack, job_id: str, path: str) -> Any:
    return (
        stack.sdk(stack.viewer)
        .flink_api_proxy_with_options(
            vv.FlinkApiProxyRequest(
                namespace=NS, resource_id=job_id, resource_type="jobs", flink_api_path=path
            ),
            vv.FlinkApiProxyHeaders(workspace=WS),
            RT,
        )
        .body
    )


def test_viewer_cannot_cancel_a_job_through_the_proxy(
    stack: EngineStack, flink: LocalCluster
) -> None:
    job = stack.running_demo(stack.editor, NS)
    fid = _flink_job_id(stack, job.job_id)
    for write in (f"/jobs/{fid}/yarn-cancel", f"/jobs/{fid}/yarn-stop", f"/jobs/{fid}?mode=cancel"):
        refused = error_of(functools.partial(_proxy, stack, job.job_id, write))
        assert (refused.status_code, refused.code) == (400, "FlinkApiPathNotAllowed"), write
    time.sleep(2)  # a cancellation would have reached Flink by now
    assert flink_state(flink.rest_url, fid) == "RUNNING"
    assert stack.job(stack.viewer, NS, job.job_id).status.current_job_status == "RUNNING"
    # Reads still work for the VIEWER.
    overview = json.loads(_proxy(stack, job.job_id, f"/jobs/{fid}").data)
    assert overview["state"] == "RUNNING"
    assert "exceptionHistory" in json.loads(
        _proxy(stack, job.job_id, f"/jobs/{fid}/exceptions").data
    )


def _flink_job_id(stack: EngineStack, job_id: str) -> str:
    with stack.runtime.store.transaction() as repos:
        found = repos.read_job(job_id=job_id)
    assert found is not None
    assert found.flink_job_id is not None
    return found.flink_job_id


def test_viewer_cannot_cancel_another_job_by_its_flink_id(
    stack: EngineStack, flink: LocalCluster
) -> None:
    own = stack.running_demo(stack.editor, NS)
    victim = stack.running_demo(stack.victim, "ns-b")
    victim_fid = _flink_job_id(stack, victim.job_id)
    refused = error_of(lambda: _proxy(stack, own.job_id, f"/jobs/{victim_fid}/yarn-cancel"))
    assert (refused.status_code, refused.code) == (400, "FlinkApiPathNotAllowed")
    time.sleep(1)
    assert flink_state(flink.rest_url, victim_fid) == "RUNNING"
