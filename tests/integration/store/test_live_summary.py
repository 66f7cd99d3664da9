"""The live summary of ``millstream up``: counts read from a real store, and the line
shown on a terminal only."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from typing import TextIO

from rich.console import Console

from millstream.control.daemon import Heartbeat
from millstream.control.reconciler import TickReport
from millstream.domain.clusters import ClusterDesiredState, ClusterKind, ClusterStatus
from millstream.domain.errors import StoreUnavailable
from millstream.domain.jobs import JobStatus
from millstream.live_summary import Fleet, fleet_reader, live_summary, read_fleet, summary_line
from millstream.store import SqlStore
from tests.factories import make_cluster, make_deployment, make_job

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def _deployment_with_jobs(store: SqlStore, *statuses: JobStatus) -> None:
    """A deployment whose runs had ``statuses``, oldest first."""
    deployment = make_deployment()
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        for i, status in enumerate(statuses):
            job = make_job(deployment, status=status, created_at=T0 + timedelta(seconds=i))
            repos.create_job(job=job)


def test_an_empty_store_counts_nothing(store: SqlStore) -> None:
    assert read_fleet(store.engine) == Fleet()


def test_deployments_count_by_the_state_of_their_newest_job(store: SqlStore) -> None:
    _deployment_with_jobs(store, JobStatus.FAILED, JobStatus.RUNNING)  # recovered
    _deployment_with_jobs(store, JobStatus.RUNNING)
    _deployment_with_jobs(store, JobStatus.CANCELLED, JobStatus.STARTING)
    _deployment_with_jobs(store, JobStatus.FINISHED, JobStatus.FAILED)
    _deployment_with_jobs(store, JobStatus.FINISHED)
    fleet = read_fleet(store.engine)
    assert (fleet.running, fleet.starting, fleet.failed) == (2, 1, 1)


def test_clusters_that_should_run_count_as_up_unless_down_or_unreachable(
    store: SqlStore,
) -> None:
    clusters = [
        make_cluster(name="embedded", kind=ClusterKind.EMBEDDED),
        make_cluster(name="external", kind=ClusterKind.EXTERNAL),
        make_cluster(
            name="session-up",
            kind=ClusterKind.SESSION,
            desired=ClusterDesiredState.STARTED,
            status=ClusterStatus.RUNNING,
        ),
        make_cluster(
            name="session-starting",
            kind=ClusterKind.SESSION,
            desired=ClusterDesiredState.STARTED,
            status=ClusterStatus.STARTING,
        ),
        make_cluster(  # stopped on purpose: not expected to be up
            name="session-stopped",
            kind=ClusterKind.SESSION,
            desired=ClusterDesiredState.STOPPED,
            status=ClusterStatus.STOPPED,
        ),
    ]
    with store.transaction() as repos:
        for cluster in clusters:
            repos.create_cluster(cluster=cluster)
    fleet = read_fleet(store.engine, unreachable={"external"})
    assert (fleet.clusters_up, fleet.clusters) == (2, 4)


def test_the_reader_counts_the_clusters_the_last_tick_could_not_reach(store: SqlStore) -> None:
    with store.transaction() as repos:
        repos.create_cluster(cluster=make_cluster(name="default", kind=ClusterKind.EMBEDDED))
    heartbeat = Heartbeat()
    read = fleet_reader(store.engine, heartbeat)
    assert read().clusters_up == 1
    heartbeat.last_report = TickReport(clusters_unreachable=["default"])
    assert read().clusters_up == 0


def test_the_line_says_jobs_and_clusters() -> None:
    fleet = Fleet(running=3, starting=1, failed=2, clusters_up=1, clusters=2)
    assert summary_line(fleet) == "jobs 3 running · 1 starting · 2 failed | clusters 1/2 up"


def test_no_summary_when_the_output_is_not_a_terminal() -> None:
    out, stream = io.StringIO(), io.StringIO()
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(stream)
    console = Console(file=out, force_terminal=False)
    with live_summary(Fleet, handler, console=console) as shown:
        handler.emit(logging.makeLogRecord({"msg": "hello"}))
    assert shown is False
    assert out.getvalue() == ""
    assert stream.getvalue() == "hello\n"


def test_on_a_terminal_the_line_shows_and_log_lines_print_above_it(store: SqlStore) -> None:
    _deployment_with_jobs(store, JobStatus.RUNNING)
    out, stream = io.StringIO(), io.StringIO()
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(stream)
    console = Console(file=out, force_terminal=True, width=100)
    with live_summary(lambda: read_fleet(store.engine), handler, console=console) as shown:
        handler.emit(logging.makeLogRecord({"msg": "job j-1 is RUNNING"}))
    assert shown is True
    text = out.getvalue()
    assert "job j-1 is RUNNING" in text
    assert "jobs 1 running · 0 starting · 0 failed | clusters 0/0 up" in text
    assert stream.getvalue() == ""  # went through the console, not past it
    assert handler.stream is stream  # and the handler writes to its stream again


def test_the_line_says_so_when_the_store_cannot_be_read() -> None:
    def read() -> Fleet:
        raise StoreUnavailable("the database does not answer")

    out = io.StringIO()
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(io.StringIO())
    console = Console(file=out, force_terminal=True, width=100)
    with live_summary(read, handler, console=console):
        pass
    assert "store unavailable: the database does not answer" in out.getvalue()
