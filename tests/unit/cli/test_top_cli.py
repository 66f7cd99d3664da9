"""``millstream top``: ListJobLoads as a table (one snapshot with ``--once`` or when not
a terminal), as JSON with ``-o json``, and as a Rich live table redrawn every
``--interval`` seconds on a terminal, where a failed refresh keeps the last rows."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from rich.console import Console

from millstream.cli.state import CliState
from tests.unit.cli.conftest import Invoke
from tests.unit.cli.fake_server import FakeServer

ROW = {
    "jobId": "j1",
    "deploymentId": "d1",
    "deploymentName": "orders",
    "namespace": "default-namespace",
    "status": "RUNNING",
    "live": True,
    "recordsInPerSecond": 1234.5,
    "recordsOutPerSecond": 1200.0,
    "backpressureRatio": 0.62,
    "busiestVertex": "GroupAggregate[13] -> snk[14]: Writer",
    "busyRatio": 0.8,
    "restarts": 3,
}
LOST = {
    "jobId": "j2",
    "deploymentName": "lost",
    "namespace": "default-namespace",
    "status": "RUNNING",
    "live": False,
    "note": "cluster 'default' does not answer",
}


class LoadRoutes:
    """Answers ``.../job-loads`` with ``answers`` in turn (the last one repeats)."""

    def __init__(self, server: FakeServer, answers: list[Any]) -> None:
        self.server = server
        self.inner = server.handle
        self.answers = answers
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/job-loads"):
            return self.inner(request)
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        if isinstance(answer, int):
            return httpx.Response(
                answer, json={"success": False, "errorCode": "X", "errorMessage": "boom"}
            )
        return httpx.Response(200, json={"success": True, "httpCode": 200, "data": answer})


def _routes(server: FakeServer, monkeypatch: pytest.MonkeyPatch, *answers: Any) -> LoadRoutes:
    handler = LoadRoutes(server, list(answers))
    monkeypatch.setattr(server, "handle", handler)
    return handler


def test_once_prints_one_table(
    invoke: Invoke, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = _routes(server, monkeypatch, [ROW, LOST])
    result = invoke("top", "--once")
    assert result.exit_code == 0, result.output
    assert routes.calls == 1
    line = next(line for line in result.output.splitlines() if "orders" in line)
    for shown in ("RUNNING", "1,234.5", "1,200.0", "62%", "GroupAggregate[13]", "(80%)", "3"):
        assert shown in line
    assert "does not answer" in result.output
    assert "RECORDS IN/S" in result.output


def test_not_a_terminal_gets_one_snapshot_and_json_the_rows(
    invoke: Invoke, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = _routes(server, monkeypatch, [ROW])
    result = invoke("top")  # CliRunner's stdout is not a terminal
    assert result.exit_code == 0, result.output
    assert "orders" in result.output
    assert routes.calls == 1
    as_json = invoke("top", "-o", "json")
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.output)
    assert rows[0]["jobId"] == "j1"
    assert rows[0]["backpressureRatio"] == 0.62


def test_nothing_running_says_so(
    invoke: Invoke, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _routes(server, monkeypatch, [])
    result = invoke("top", "--once")
    assert result.exit_code == 0
    assert "no running jobs" in result.output


def test_interval_below_half_a_second_is_a_usage_error(invoke: Invoke) -> None:
    assert invoke("top", "--interval", "0.1").exit_code == 2


def test_live_table_refreshes_and_survives_a_failed_refresh(
    invoke: Invoke, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = dict(ROW, recordsInPerSecond=99.0)
    routes = _routes(server, monkeypatch, [ROW], 500, [second])
    terminal = Console(force_terminal=True, width=250, record=True)
    monkeypatch.setattr(CliState, "out", staticmethod(lambda: terminal))
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) > 3:
            raise KeyboardInterrupt

    monkeypatch.setattr("millstream.cli.commands.top.time.sleep", sleep)
    result = invoke("top", "--interval", "3")
    assert result.exit_code == 0, result.output
    assert sleeps == [3.0, 3.0, 3.0, 3.0]
    assert routes.calls == 4  # the first read, then one per refresh
    shown = terminal.export_text()
    assert "refresh failed" in shown
    assert "99.0" in shown  # the refresh after the failure shows the new rows
