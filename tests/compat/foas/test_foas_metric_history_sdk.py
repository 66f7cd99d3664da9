"""GetInstanceMetric's history through the official ``aliyun-python-sdk-foas``, against a
REAL server process (sampling every second: ``MILLSTREAM_METRICS__SAMPLE_INTERVAL=1``)
on the session's REAL Flink cluster: a window wholly in the past answers the samples the
sampler stored there (several points, no live one), ``downsample`` buckets them, a window
before the job ran answers none, and a malformed ``downsample`` is the SDK's
``ServerException`` 400 ``InvalidParameter``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkfoas.request.v20181111 import GetInstanceMetricRequest
from tests.compat.foas.test_foas_sdk import PROJECT, Foas, _client, _create, _flink_id
from tests.e2e.conftest import ServerHandle, free_port, start_server, stop_server, wait_healthy

from millstream.engine import LocalCluster

pytestmark = pytest.mark.flink

# A window ending within this many seconds gets a live point (the server's
# metrics.live_window: a minute by default, shortened here so the test need not wait one).
_LIVE_TOLERANCE_S = 5


@pytest.fixture(scope="module")
def sampling_server(
    flink: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerHandle]:
    data_dir = tmp_path_factory.mktemp("millstream-metric-history")
    port = free_port()
    process, log_file = start_server(
        data_dir=data_dir,
        port=port,
        env_overrides={
            "MILLSTREAM_FLINK__EXTERNAL_REST_URL": flink.rest_url,
            "MILLSTREAM_METRICS__SAMPLE_INTERVAL": "1",
            "MILLSTREAM_METRICS__LIVE_WINDOW": str(_LIVE_TOLERANCE_S),
        },
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log_file, timeout=120)
        yield ServerHandle(url, data_dir, data_dir / "credentials", log_file, process, flink)
    finally:
        stop_server(process)


@pytest.fixture
def foas(sampling_server: ServerHandle) -> Iterator[Foas]:
    tracker = Foas(sampling_server, _client(sampling_server))
    yield tracker
    tracker.stop_all()


def _flink_vertex_metrics(foas: Foas, job: str) -> dict[str, Any]:
    """What Flink itself lists for the job's vertices (a failure's context)."""
    flink_id = _flink_id(foas.summary(job))
    base = f"{foas.server.flink.rest_url}/jobs/{flink_id}"
    plan = httpx.get(f"{base}/plan", timeout=10).json()
    found: dict[str, Any] = {"plan": plan}
    for node in plan["plan"]["nodes"]:
        url = f"{base}/vertices/{node['id']}/subtasks/metrics"
        found[node["id"]] = {
            "names": httpx.get(url, timeout=10).json(),
            "asked": httpx.get(
                url, params={"get": "numRecordsOutPerSecond", "agg": "sum,max"}, timeout=10
            ).json(),
        }
    return found


def _metric(foas: Foas, job: str, **query: Any) -> list[dict[str, Any]]:
    request = foas.job_request(GetInstanceMetricRequest.GetInstanceMetricRequest, job)
    request.set_instanceId("-1")
    request.set_metricJson(json.dumps(query))
    # A signed nonce: the same query twice within a second is not a replay.
    request.add_header("x-acs-signature-nonce", uuid.uuid4().hex)
    found: list[dict[str, Any]] = foas.call(request)["Metrics"]["Metric"]
    return found


def _first_task_sample_ms(foas: Foas, job: str, since_ms: int) -> int:
    """When the sampler first stored a task metric: Flink's REST serves those only once
    its metric fetcher has polled the TaskManagers, some seconds after the job runs."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        (tps,) = _metric(foas, job, start=since_ms, queries=[{"metric": "tps.rate"}])
        stored = sorted(int(second) for second in tps["Dps"])[:-1]  # the last one is live
        if stored:
            return stored[0] * 1000
        time.sleep(1)
    raise AssertionError(f"no task metric sampled: {_flink_vertex_metrics(foas, job)}")


def test_a_past_window_answers_the_stored_samples(foas: Foas) -> None:
    name = f"history-{uuid.uuid4().hex[:6]}"
    _create(foas, name)
    foas.start(name)
    foas.wait(name, "RUNNING")
    running_ms = int(time.time() * 1000)
    # A window from the first task metric on, asked once it aged past the live window in
    # which a window still gets the live value.
    start = _first_task_sample_ms(foas, name, running_ms)
    end = start + 10_000
    time.sleep(max(0.0, (end + _LIVE_TOLERANCE_S * 1000) / 1000 - time.time() + 3))
    queries = [
        {"metric": f"blink.{PROJECT}.{name}.checkpoints", "aggregator": "max"},
        {"metric": f"blink.{PROJECT}.{name}.task_failover.rate"},
        {"metric": "tps.rate", "downsample": "3s-avg"},
        {"metric": "tps.rate"},
        {"metric": "buffers.outPoolUsage"},
    ]
    checkpoints, restarts, tps, raw_tps, out_pool = _metric(
        foas, name, start=start, end=end, queries=queries
    )

    assert checkpoints["MetricName"] == f"blink.{PROJECT}.{name}.checkpoints"
    seconds = sorted(int(second) for second in checkpoints["Dps"])
    assert len(seconds) >= 4, checkpoints  # one a second; no live point (the window is old)
    assert all(start // 1000 <= second <= end // 1000 for second in seconds), seconds
    values = [checkpoints["Dps"][str(second)] for second in seconds]
    assert values == sorted(values)  # Flink's completed checkpoints only grow
    assert checkpoints["Summary"] == max(values)
    assert set(restarts["Dps"].values()) == {0.0}  # the job never restarted
    # 3-second buckets keyed by their start, each the average of the raw points in it.
    assert raw_tps["Dps"], (raw_tps, _flink_vertex_metrics(foas, name))
    expected: dict[str, list[float]] = {}
    for second, value in raw_tps["Dps"].items():
        expected.setdefault(str(int(second) // 3 * 3), []).append(value)
    assert tps["Dps"] == pytest.approx({k: sum(v) / len(v) for k, v in expected.items()})
    assert all(value >= 0 for value in raw_tps["Dps"].values())
    assert len(tps["Dps"]) <= len(raw_tps["Dps"])
    # Flink 2's name of the output buffer pool usage: a share, sampled like the others.
    assert out_pool["Dps"], out_pool
    assert all(0 <= value <= 1 for value in out_pool["Dps"].values())

    before = _metric(
        foas,
        name,
        start=running_ms - 600_000,
        end=running_ms - 300_000,
        queries=[{"metric": "checkpoints"}],
    )
    assert before[0]["Dps"] == {}
    assert "Summary" not in before[0]

    # A window reaching now: the stored samples and the live value at its end.
    now = _metric(foas, name, start=running_ms, queries=[{"metric": "checkpoints"}])
    assert len(now[0]["Dps"]) > 10  # about one a second since it ran, and the live one

    request = foas.job_request(GetInstanceMetricRequest.GetInstanceMetricRequest, name)
    request.set_instanceId("-1")
    request.set_metricJson(json.dumps({"queries": [{"metric": "checkpoints", "downsample": "1m"}]}))
    with pytest.raises(ServerException) as caught:
        foas.call(request)
    assert (caught.value.get_http_status(), caught.value.get_error_code()) == (
        400,
        "InvalidParameter",
    )
    assert "downsample" in caught.value.get_error_msg()
