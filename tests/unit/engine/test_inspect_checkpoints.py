"""``FlinkInspector.snapshot``'s checkpoint statistics: a checkpoint declined because the
tasks were still starting is not a failure (Flink's own failure counting ignores it; its
statistics do not), so a healthy job that started on a busy machine is not flagged."""

from __future__ import annotations

from typing import Any

import httpx

from millstream.engine.inspect import FlinkInspector
from tests.factories import make_cluster

NOT_READY = "Checkpoint was declined (tasks not ready)"


def _inspector(checkpoints: dict[str, Any]) -> FlinkInspector:
    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/jobs/f1":
            return httpx.Response(200, json={"state": "RUNNING", "duration": 5000})
        if path == "/jobs/f1/metrics":
            return httpx.Response(200, json=[{"id": "numRestarts", "value": "0"}])
        if path == "/jobs/f1/exceptions":
            return httpx.Response(200, json={"exceptionHistory": {"entries": []}})
        if path == "/jobs/f1/checkpoints":
            return httpx.Response(200, json=checkpoints)
        return httpx.Response(404, json={"errors": ["not found"]})

    return FlinkInspector(timeout=5, transport=httpx.MockTransport(answer))


def _failed(index: int, message: str) -> dict[str, Any]:
    return {"id": index, "status": "FAILED", "failure_message": message}


def test_declines_while_tasks_start_are_not_failures() -> None:
    inspector = _inspector(
        {
            "counts": {"completed": 3, "failed": 1, "in_progress": 0},
            "latest": {"failed": {"failure_message": NOT_READY}, "completed": {}},
            "history": [{"id": 4, "status": "COMPLETED"}, _failed(1, NOT_READY)],
        }
    )
    stats = inspector.snapshot(make_cluster(rest_url="http://flink"), "f1").checkpoints
    assert stats is not None
    assert (stats.completed, stats.failed, stats.latest_failure) == (3, 0, None)


def test_real_failures_still_count() -> None:
    inspector = _inspector(
        {
            "counts": {"completed": 3, "failed": 3, "in_progress": 0},
            "latest": {"failed": {"failure_message": "Checkpoint expired before completing."}},
            "history": [
                _failed(6, "Checkpoint expired before completing."),
                _failed(5, "Not all required tasks are currently running."),
                _failed(2, "Checkpoint expired before completing."),
            ],
        }
    )
    stats = inspector.snapshot(make_cluster(rest_url="http://flink"), "f1").checkpoints
    assert stats is not None
    assert stats.failed == 2
    assert stats.latest_failure == "Checkpoint expired before completing."
