"""The one-line live summary ``millstream up`` keeps at the bottom of a terminal.

``server.serve`` shows it while the server runs, only when stderr is a terminal (never in
a service log, a pipe or ``make test``) and only with text logs. Log lines scroll above
it. It reads two cheap aggregate queries from the store every few seconds, plus the
reconciler's last tick (which clusters did not answer), so it tells what the store and
the last observation say, not what a process remembers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import aliased

from millstream.control.daemon import Heartbeat
from millstream.domain.clusters import MANAGED_KINDS, ClusterDesiredState, ClusterStatus
from millstream.domain.errors import StoreUnavailable
from millstream.domain.jobs import JobStatus
from millstream.store.errors import translate_errors
from millstream.store.models import ClusterRow, JobRow

__all__ = ["Fleet", "fleet_reader", "live_summary", "read_fleet", "summary_line"]

_REFRESH = 2.0  # seconds between two reads of the store, at least
_COST_FACTOR = 50  # ... and at least 50 times what the last read took


@dataclass(frozen=True, slots=True)
class Fleet:
    """What the summary line shows: deployments by the state of their newest job, and
    the clusters that should be up against those that are."""

    running: int = 0
    starting: int = 0
    failed: int = 0
    clusters_up: int = 0
    clusters: int = 0


def read_fleet(engine: Engine, unreachable: Collection[str] = ()) -> Fleet:
    """Count from the store; ``unreachable``: names of clusters the last tick could not
    reach (counted as down).

    A cluster is up unless it is known down: a managed one not RUNNING, or one the
    reconciler could not reach. The reconciler only polls clusters that have live jobs,
    so an unreachable cluster without jobs still counts as up."""
    # At most one live job per deployment, and it is its newest: count them directly.
    live = (
        select(JobRow.status, func.count())
        .where(JobRow.status.in_([JobStatus.RUNNING, JobStatus.STARTING]))
        .group_by(JobRow.status)
    )
    # A failed run counts while it is its deployment's newest (a later run replaced it).
    newer = aliased(JobRow)
    failed = (
        select(func.count())
        .select_from(JobRow)
        .where(
            JobRow.status == JobStatus.FAILED,
            ~select(newer.id)  # (deployment_id, created_at, id): the index alone answers
            .where(
                newer.deployment_id == JobRow.deployment_id,
                newer.created_at > JobRow.created_at,
            )
            .exists(),
        )
    )
    clusters = select(ClusterRow.name, ClusterRow.kind, ClusterRow.desired, ClusterRow.status)
    with translate_errors(), engine.connect() as connection:
        counts = {str(status): int(count) for status, count in connection.execute(live)}
        counts[JobStatus.FAILED] = int(connection.execute(failed).scalar_one())
        cluster_rows = list(connection.execute(clusters))
    expected = up = 0
    for name, kind, desired, status in cluster_rows:
        if kind in MANAGED_KINDS:
            if desired == ClusterDesiredState.STOPPED and status != ClusterStatus.RUNNING:
                continue  # stopped on purpose: neither expected nor down
            ready = status == ClusterStatus.RUNNING
        else:
            ready = True
        expected += 1
        if ready and name not in unreachable:
            up += 1
    return Fleet(
        running=counts.get(JobStatus.RUNNING, 0),
        starting=counts.get(JobStatus.STARTING, 0),
        failed=counts.get(JobStatus.FAILED, 0),
        clusters_up=up,
        clusters=expected,
    )


def fleet_reader(engine: Engine, heartbeat: Heartbeat) -> Callable[[], Fleet]:
    """``read_fleet`` with the clusters the reconciler's last tick could not reach."""

    def read() -> Fleet:
        report = heartbeat.last_report
        return read_fleet(engine, report.clusters_unreachable if report else ())

    return read


def summary_line(fleet: Fleet) -> str:
    """``jobs 3 running · 1 starting · 0 failed | clusters 2/2 up``"""
    return (
        f"jobs {fleet.running} running · {fleet.starting} starting · {fleet.failed} failed"
        f" | clusters {fleet.clusters_up}/{fleet.clusters} up"
    )


class _Line:
    """The renderable Rich refreshes, and the thread that re-reads the store for it.

    Reading is kept out of Rich's refresh (which holds the lock log lines print under),
    and paced by its own cost: at most ``1 / _COST_FACTOR`` of one core, however large
    the store."""

    def __init__(self, read: Callable[[], Fleet]) -> None:
        self._read = read
        self._text = Text("")
        self._pause = _REFRESH
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-summary", daemon=True)

    def __call__(self) -> Text:
        return self._text

    def start(self) -> None:
        self._pause = self._update()  # the first line is there before the display is
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self._pause):
            self._pause = self._update()

    def _update(self) -> float:
        """Read and render once; the pause before the next read."""
        started = time.monotonic()
        try:
            line = summary_line(self._read())
        except StoreUnavailable as exc:
            line = f"store unavailable: {exc}"
        self._text = Text(line, style="bold", no_wrap=True, overflow="ellipsis")
        return max(_REFRESH, _COST_FACTOR * (time.monotonic() - started))


class _ConsoleStream:
    """A stream for the log handler that prints through the live console, so log lines
    appear above the summary instead of tearing it."""

    def __init__(self, console: Console) -> None:
        self._console = console

    def write(self, text: str) -> int:
        self._console.print(
            text, end="", markup=False, highlight=False, emoji=False, soft_wrap=True
        )
        return len(text)

    def flush(self) -> None:
        self._console.file.flush()


@contextmanager
def live_summary(
    read: Callable[[], Fleet],
    handler: logging.StreamHandler[TextIO],
    *,
    console: Console | None = None,
) -> Iterator[bool]:
    """Show the summary line on ``console`` (stderr) while the block runs; yields whether
    it is shown (not when the console is not a terminal)."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield False
        return
    line = _Line(read)
    live = Live(
        get_renderable=line,
        console=console,
        refresh_per_second=1,
        transient=True,  # gone at exit: the terminal keeps the log, not a stale line
        redirect_stdout=False,
        redirect_stderr=False,
    )
    line.start()
    previous = handler.setStream(_ConsoleStream(console))  # type: ignore[arg-type]
    try:
        with live:
            yield True
    finally:
        if previous is not None:
            handler.setStream(previous)
        line.stop()
