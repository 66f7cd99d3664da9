"""Jobs: ``jobs list|get|delete``, ``start``, ``stop``, ``suspend``, ``resume`` and ``logs``.

A job may be given by id or by its deployment's name/id (then its newest job). ``start``
sends one client token per invocation, so its retries never start a second job
(``cli/starting.py``). ``suspend`` stops a job with a savepoint and keeps it SUSPENDED;
``resume`` runs that same job again from exactly that savepoint. ``logs``
reads the job's logs route (JobManager, TaskManager or stdout, also after the job
ended); on a server without that route it falls back to the JobManager log of the
deployment's latest start (GetLatestJobStartLog).
"""

from __future__ import annotations

import enum
import time
from typing import Annotated

import typer

from millstream.cli.commands.deployments import YesOpt
from millstream.cli.exit_codes import ExitCode
from millstream.cli.options import OutputOpt, TimeoutOpt, WaitOpt
from millstream.cli.output import render
from millstream.cli.progress import wait_job
from millstream.cli.resolve import resolve_deployment, resolve_job
from millstream.cli.restore import RestoreOpt, restore_strategy
from millstream.cli.starting import start_job
from millstream.cli.state import CliState, state_of
from millstream.client import Job, MillstreamClient, NotFoundError, UnexpectedStatusError
from millstream.client.waiting import StatusCallback

__all__ = ["JobArg", "LogKind", "new_log_text", "register"]

jobs_app = typer.Typer(help="List, show and delete jobs (runs of a deployment).")

JobArg = Annotated[str, typer.Argument(help="Job id, or a deployment name/id for its newest job.")]
_STOPPED = frozenset({"CANCELLED", "FINISHED"})
_SUSPENDED = frozenset({"SUSPENDED"})
_RUNNING = frozenset({"RUNNING"})
_TERMINAL = frozenset({"CANCELLED", "FINISHED", "FAILED"})
# 404 codes the logs route itself answers (the job or its logs are gone); any other 404
# means a server without the route.
_LOG_ROUTE_ANSWERS = frozenset({"JobLogNotFound", "JobNotFound"})
_ANCHOR = 256  # last characters of the previous read, looked for in the next one


class LogKind(enum.StrEnum):
    JOBMANAGER = "jobmanager"
    TASKMANAGER = "taskmanager"
    STDOUT = "stdout"


@jobs_app.command("list")
def list_(
    ctx: typer.Context,
    deployment: Annotated[
        str | None,
        typer.Option("--deployment", "-d", help="Deployment name or id (default: all)."),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """List jobs of one deployment, or of every deployment."""
    state = state_of(ctx)
    client = state.client()
    if deployment is not None:
        targets = [resolve_deployment(client, deployment)]
    else:
        targets = client.list_deployments().items
    found: list[Job] = []
    for target in targets:
        found.extend(client.list_jobs(target.deployment_id or "").items)
    render(state, found, output)


@jobs_app.command("get")
def get(ctx: typer.Context, ref: JobArg, output: OutputOpt = None) -> None:
    """Show one job."""
    state = state_of(ctx)
    render(state, resolve_job(state.client(), ref), output)


@jobs_app.command("delete")
def delete(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="Job id.")],
    yes: YesOpt = False,
) -> None:
    """Delete a finished job's record."""
    state = state_of(ctx)
    if not yes:
        typer.confirm(f"Delete job {job_id}?", abort=True)
    state.client().delete_job(job_id)
    state.err().print(f"Deleted job {job_id}")


def start(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="Deployment name or id.")],
    restore: RestoreOpt = "latest-state",
    allow_non_restored_state: Annotated[
        bool,
        typer.Option("--allow-non-restored-state", help="Skip state no operator claims."),
    ] = False,
    queue: Annotated[
        str | None,
        typer.Option("--queue", help="Admit this job through this queue, not the deployment's."),
    ] = None,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = None,
) -> None:
    """Start a job of a deployment (and wait for RUNNING with --wait)."""
    state = state_of(ctx)
    client = state.client()
    target = resolve_deployment(client, deployment)
    strategy = restore_strategy(restore, allow_non_restored_state=allow_non_restored_state)
    job = start_job(state, client, target.deployment_id or "", restore=strategy, queue=queue)
    state.err().print(f"Started job {job.job_id} of {target.name}")
    if wait:
        job = wait_job(state, client, job.job_id or "", _RUNNING, timeout)
    render(state, job, output)


def _strategy(savepoint: bool, drain: bool, cancel: bool) -> str:
    chosen = [
        flag
        for flag, on in (("--savepoint", savepoint), ("--drain", drain), ("--cancel", cancel))
        if on
    ]
    if len(chosen) > 1:
        raise typer.BadParameter(
            f"choose one of --savepoint, --drain, --cancel (got {' '.join(chosen)})"
        )
    if drain:
        return "STOP_WITH_DRAIN"
    if cancel:
        return "NONE"
    # Default: keep the state. A stop that cannot savepoint fails rather than losing it.
    return "STOP_WITH_SAVEPOINT"


def _stop_guard(job: Job, *, action: str = "stop", doing: str = "stopping") -> StatusCallback:
    """Fails the wait when the job goes CANCELLING -> RUNNING: the stop (or suspend)
    could not take its savepoint and the job kept running."""
    seen_cancelling = False

    def check(status: str | None) -> None:
        nonlocal seen_cancelling
        if status == "CANCELLING":
            seen_cancelling = True
        elif status == "RUNNING" and seen_cancelling:
            raise UnexpectedStatusError(
                f"{doing} job {job.job_id}",
                status,
                f"the {action} failed and the job kept running; see `millstream events`",
            )

    return check


def _print_newest_savepoint(state: CliState, client: MillstreamClient, job_id: str) -> None:
    taken = client.list_savepoints(job_id=job_id).items
    if taken:
        newest = max(taken, key=lambda s: s.created_at or 0)
        state.err().print(
            f"Savepoint {newest.savepoint_id} {newest.state or ''} at "
            f"{newest.savepoint_location or '?'}",
            highlight=False,
        )


def stop(
    ctx: typer.Context,
    ref: JobArg,
    savepoint: Annotated[
        bool, typer.Option("--savepoint", help="Stop with a savepoint (default).")
    ] = False,
    drain: Annotated[bool, typer.Option("--drain", help="Stop with savepoint and drain.")] = False,
    cancel: Annotated[bool, typer.Option("--cancel", help="Cancel; no state is kept.")] = False,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = None,
) -> None:
    """Stop a job (with a savepoint unless --drain or --cancel)."""
    strategy = _strategy(savepoint, drain, cancel)
    state = state_of(ctx)
    client = state.client()
    job = resolve_job(client, ref)
    job = client.stop_job(job.job_id or "", strategy)
    state.err().print(f"Stopping job {job.job_id} ({strategy})")
    if wait:
        job = wait_job(state, client, job.job_id or "", _STOPPED, timeout, check=_stop_guard(job))
        if strategy != "NONE":
            _print_newest_savepoint(state, client, job.job_id or "")
    render(state, job, output)


def suspend(
    ctx: typer.Context,
    ref: JobArg,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = None,
) -> None:
    """Suspend a RUNNING job: stop it with a savepoint and keep it to resume later."""
    state = state_of(ctx)
    client = state.client()
    job = resolve_job(client, ref)
    job = client.suspend_job(job.job_id or "")
    state.err().print(f"Suspending job {job.job_id} (stop with savepoint)")
    if wait:
        guard = _stop_guard(job, action="suspend", doing="suspending")
        job = wait_job(state, client, job.job_id or "", _SUSPENDED, timeout, check=guard)
        _print_newest_savepoint(state, client, job.job_id or "")
    render(state, job, output)


def resume(
    ctx: typer.Context,
    ref: JobArg,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = None,
) -> None:
    """Resume a SUSPENDED job from its suspend savepoint (wait for RUNNING with --wait)."""
    state = state_of(ctx)
    client = state.client()
    job = resolve_job(client, ref)
    job = client.resume_job(job.job_id or "")
    state.err().print(f"Resuming job {job.job_id} from its suspend savepoint")
    if wait:
        job = wait_job(state, client, job.job_id or "", _RUNNING, timeout)
    render(state, job, output)


def new_log_text(previous: str, text: str) -> str:
    """The part of ``text`` not yet printed, given the ``previous`` read.

    A log read is a window that may slide (the server keeps the newest bytes) or start
    over (a new job): find the longest end of ``previous`` that ``text`` starts with,
    looking where the last line of ``previous`` occurs; else print ``text`` whole.
    """
    if text.startswith(previous):
        return text[len(previous) :]
    tail = previous[-_ANCHOR:]
    anchor = tail[tail.rstrip("\n").rfind("\n") + 1 :]  # the last line
    end = len(text)
    while anchor and (found := text.rfind(anchor, 0, end)) >= 0:
        overlap = found + len(anchor)
        if previous.endswith(text[:overlap]):
            return text[overlap:]
        end = overlap - 1
    return text


def _read_log(
    state: CliState, client: MillstreamClient, job: Job, kind: LogKind, *, cluster: bool = False
) -> tuple[str, str | None]:
    """The log's text and the server's note on it (what was left out)."""
    try:
        log = client.get_job_logs(job.job_id or "", kind.value, "cluster" if cluster else "job")
        return log.content, log.note
    except NotFoundError as exc:
        if exc.code in _LOG_ROUTE_ANSWERS:
            raise
        missing = exc
    if kind is LogKind.JOBMANAGER:
        try:
            return client.get_latest_job_start_log(job.deployment_id or ""), None
        except NotFoundError as exc:
            missing = exc
    state.err().print(
        f"[red]error:[/red] {kind.value} logs are not supported by this server "
        f"(answered 404: {missing.message})",
        highlight=False,
    )
    raise typer.Exit(int(ExitCode.ERROR)) from missing


def logs(
    ctx: typer.Context,
    ref: JobArg,
    kind: Annotated[
        LogKind, typer.Option("--kind", "-k", help="Which log: JobManager, TaskManager, stdout.")
    ] = LogKind.JOBMANAGER,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    cluster: Annotated[
        bool,
        typer.Option(
            "--cluster", help="The whole cluster log (other jobs' lines too), not the job's."
        ),
    ] = False,
) -> None:
    """Print a job's JobManager, TaskManager or stdout log (-f to follow): the lines of
    the job and its tasks, or with --cluster its cluster's whole log."""
    state = state_of(ctx)
    client = state.client()
    job = resolve_job(client, ref)
    previous = ""
    noted = False
    while True:
        text, note = _read_log(state, client, job, kind, cluster=cluster)
        if note and not noted:  # on stderr, once: stdout stays the log alone
            state.err().print(f"[dim]{note}[/dim]", highlight=False)
            noted = True
        typer.echo(new_log_text(previous, text), nl=False)
        previous = text
        if not follow:
            break
        current = client.get_job(job.job_id or "")
        if current.state in _TERMINAL:
            break
        time.sleep(max(state.poll, 0.0) * 2)
    if previous and not previous.endswith("\n"):
        typer.echo("")


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")
    app.command()(start)
    app.command()(stop)
    app.command()(suspend)
    app.command()(resume)
    app.command()(logs)
