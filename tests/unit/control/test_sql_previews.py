"""SQL previews without a JVM: budgets are checked, the catalog's DDL and the cluster's
address reach the run, fetch hands out each row once, cancel stops the run and cancels
its Flink job by id, ended runs are forgotten after a while, and at most N run at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import Scope
from millstream.control.services.sql_previews import PreviewLimits, SqlPreviewService
from millstream.control.sql_session_ports import QueryRequest
from millstream.domain.clusters import ClusterKind
from millstream.domain.errors import Conflict, InvalidInput, NotFound
from millstream.domain.sql_previews import QueryProgress, QueryState, ResultColumn, ResultRow
from tests.fakes import FakeEngine, FakeFlink, InMemoryStore

SCOPE = Scope("ws", "ns")


class FakeRun:
    def __init__(self) -> None:
        self.state = QueryState.RUNNING
        self.rows: list[ResultRow] = []
        self.cancelled = False

    def progress(self) -> QueryProgress:
        return QueryProgress(
            state=self.state, columns=(ResultColumn("n", "BIGINT"),), rows=tuple(self.rows)
        )

    def cancel(self) -> None:
        self.cancelled = True
        self.state = QueryState.CANCELLED


class FakeSessions:
    def __init__(self) -> None:
        self.requests: list[QueryRequest] = []
        self.runs: list[FakeRun] = []

    def describe(self, catalog_ddl: Sequence[str], statement: str) -> dict[str, Any]:
        raise NotImplementedError

    def start_query(self, request: QueryRequest) -> FakeRun:
        self.requests.append(request)
        self.runs.append(FakeRun())
        return self.runs[-1]


class FakeCatalog:
    def ddl(self, scope: Scope) -> list[str]:  # noqa: ARG002
        return ["CREATE TABLE `vvp`.`default`.`t` (n BIGINT)"]


class PreviewFlink(FakeFlink):
    """Records cancels of jobs it never saw submitted (previews submit from a JVM)."""

    def cancel(self, flink_job_id: str) -> None:
        self.calls.append(("cancel", flink_job_id))


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world() -> tuple[SqlPreviewService, FakeSessions, FakeFlink, Clock]:
    store, flink = InMemoryStore(), PreviewFlink()
    ensure_defaults(
        store, workspace="ws", namespace="ns", cluster_kind=ClusterKind.EXTERNAL,
        rest_url=flink.rest_url,
    )  # fmt: skip
    sessions, clock = FakeSessions(), Clock()
    service = SqlPreviewService(
        store,
        FakeEngine(flink),
        sessions,
        FakeCatalog(),  # type: ignore[arg-type]
        limits=PreviewLimits(max_running=2),
        clock=clock,
    )
    return service, sessions, flink, clock


def test_a_preview_runs_with_its_budget_on_the_cluster(world: Any) -> None:
    service, sessions, flink, _ = world
    preview = service.submit(SCOPE, "SELECT n FROM t", max_rows=5, timeout=10)
    request = sessions.requests[0]
    assert (request.max_rows, request.timeout, request.rest_url) == (5, 10, flink.rest_url)
    assert request.catalog_ddl == ["CREATE TABLE `vvp`.`default`.`t` (n BIGINT)"]
    assert request.flink_job_id == preview.flink_job_id
    assert len(preview.flink_job_id) == 32


@pytest.mark.parametrize(
    ("rows", "timeout", "message"),
    [(0, 10, "row budget"), (1001, 10, "row budget"), (5, 0.5, "time budget"), (5, 301, "time")],
)
def test_budgets_out_of_bounds_are_refused(
    world: Any, rows: int, timeout: float, message: str
) -> None:
    service, sessions, _, _ = world
    with pytest.raises(InvalidInput, match=message):
        service.submit(SCOPE, "SELECT 1", max_rows=rows, timeout=timeout)
    assert sessions.requests == []


def test_fetch_hands_out_each_row_once(world: Any) -> None:
    service, sessions, _, _ = world
    preview = service.submit(SCOPE, "SELECT n FROM t")
    run = sessions.runs[0]
    run.rows = [ResultRow("+I", ("1",)), ResultRow("+I", ("2",))]
    assert [r.values for r in service.fetch(SCOPE, preview.id)[1]] == [("1",), ("2",)]
    run.rows.append(ResultRow("+I", ("3",)))
    assert [r.values for r in service.fetch(SCOPE, preview.id)[1]] == [("3",)]
    assert service.fetch(SCOPE, preview.id)[1] == []


def test_cancel_stops_the_run_and_cancels_its_flink_job(world: Any) -> None:
    service, sessions, flink, _ = world
    preview = service.submit(SCOPE, "SELECT n FROM t")
    progress = service.cancel(SCOPE, preview.id)
    assert sessions.runs[0].cancelled
    assert progress.state is QueryState.CANCELLED
    assert ("cancel", preview.flink_job_id) in flink.calls


def test_unknown_or_foreign_previews_are_not_found(world: Any) -> None:
    service, _, _, _ = world
    preview = service.submit(SCOPE, "SELECT 1")
    with pytest.raises(NotFound, match="not found"):
        service.fetch(SCOPE, "no-such-preview")
    with pytest.raises(NotFound):
        service.fetch(Scope("ws", "other"), preview.id)


def test_running_previews_are_capped_and_ended_ones_forgotten(world: Any) -> None:
    service, sessions, _, clock = world
    first = service.submit(SCOPE, "SELECT 1", sql_file_id="f1")
    service.submit(SCOPE, "SELECT 2")
    with pytest.raises(Conflict, match="at most 2"):
        service.submit(SCOPE, "SELECT 3")
    assert service.running_for_file(SCOPE, "f1") is first
    sessions.runs[0].state = QueryState.FINISHED
    assert service.running_for_file(SCOPE, "f1") is None
    service.submit(SCOPE, "SELECT 3")  # the finished one no longer counts
    clock.now += 601
    sessions.runs[1].state = QueryState.FINISHED
    service.submit(SCOPE, "SELECT 4")
    with pytest.raises(NotFound):
        service.get(SCOPE, first.id)
