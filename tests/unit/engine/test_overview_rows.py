"""``RestFlinkCluster.list_jobs``: a row as in the previous answer is not converted again."""

from __future__ import annotations

from typing import Any

import httpx

from millstream.domain.observed import ObservedState
from millstream.engine.flink_cluster import RestFlinkCluster
from millstream.engine.rest import FlinkRestClient
from millstream.engine.submitters import SqlSubmitter


def _row(jid: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "jid": jid,
        "name": f"job-{jid}",
        "start-time": 1_000,
        "end-time": -1,
        "duration": 5,
        "state": "RUNNING",
        "last-modification": 2_000,
        "tasks": {"total": 2, "running": 2},
    }
    return row | changes


def _cluster(rows: list[dict[str, Any]]) -> RestFlinkCluster:
    def serve(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/jobs/overview"
        return httpx.Response(200, json={"jobs": rows})

    rest = FlinkRestClient("http://flink", timeout=5, transport=httpx.MockTransport(serve))
    return RestFlinkCluster(rest, sql=SqlSubmitter(None))  # type: ignore[arg-type]


def test_an_unchanged_row_gives_the_same_observed_job_and_a_changed_one_a_new() -> None:
    rows = [_row("a"), _row("b"), _row("c")]
    cluster = _cluster(rows)
    first = {job.flink_job_id: job for job in cluster.list_jobs()}
    rows[0] = _row("a", duration=6)  # only the duration grew: nothing we read changed
    rows[1] = _row("b", state="RESTARTING", **{"last-modification": 2_001})
    rows[2] = _row("c", tasks={"total": 2, "running": 1})
    second = {job.flink_job_id: job for job in cluster.list_jobs()}
    assert second["a"] is first["a"]
    assert (second["b"].state, second["b"].last_modification_ms) == (
        ObservedState.RESTARTING,
        2_001,
    )
    assert first["b"].state is ObservedState.RUNNING
    assert (second["c"].tasks_running, second["c"].all_running) == (1, False)
    rows.pop(0)  # gone from the cluster: gone from the answer
    assert [job.flink_job_id for job in cluster.list_jobs()] == ["b", "c"]
    rows.insert(0, _row("a", state="CANCELED"))  # back, in another state: converted anew
    assert cluster.list_jobs()[0].state is ObservedState.CANCELED
    cluster.close()
