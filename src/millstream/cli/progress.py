"""Waiting with a spinner: the client's ``wait_for_*`` helpers behind a Rich status.

The spinner writes to stderr so ``-o json`` output on stdout stays clean.
"""

from __future__ import annotations

from millstream.cli.state import CliState
from millstream.client import HotUpdateResult, Job, MillstreamClient, Savepoint
from millstream.client.waiting import StatusCallback

__all__ = ["wait_hot_update", "wait_job", "wait_savepoint"]


def wait_job(
    state: CliState,
    client: MillstreamClient,
    job_id: str,
    statuses: frozenset[str],
    timeout: float,
    *,
    check: StatusCallback | None = None,
) -> Job:
    wanted = "/".join(sorted(statuses))
    with state.err().status(f"Waiting for job {job_id} to be {wanted}…") as spinner:

        def show(status: str | None) -> None:
            if check is not None:
                check(status)
            spinner.update(f"Waiting for job {job_id} to be {wanted}… (now {status or '?'})")

        return client.wait_for_job(job_id, statuses, timeout, state.poll, on_status=show)


def wait_savepoint(
    state: CliState,
    client: MillstreamClient,
    savepoint_id: str,
    timeout: float,
) -> Savepoint:
    with state.err().status(f"Waiting for savepoint {savepoint_id}…") as spinner:

        def show(status: str | None) -> None:
            spinner.update(f"Waiting for savepoint {savepoint_id}… (now {status or '?'})")

        return client.wait_for_savepoint(
            savepoint_id, "COMPLETED", timeout, state.poll, on_status=show
        )


def wait_hot_update(
    state: CliState, client: MillstreamClient, hot_update_id: str, timeout: float
) -> HotUpdateResult:
    with state.err().status(f"Waiting for hot update {hot_update_id}…") as spinner:

        def show(phase: str | None) -> None:
            spinner.update(f"Waiting for hot update {hot_update_id}… (now {phase or '?'})")

        return client.wait_for_hot_update(hot_update_id, timeout, state.poll, on_status=show)
