"""``millstream hot-update JOB``: rescale or reconfigure a running job (HotUpdateJob).

The server carries it out as stop-with-savepoint and a restart from that savepoint with
the new settings; ``--wait`` follows its phases until the new job runs.
"""

from __future__ import annotations

from typing import Annotated

import typer

from millstream.cli.commands.jobs import JobArg
from millstream.cli.options import OutputOpt, TimeoutOpt, WaitOpt
from millstream.cli.output import render
from millstream.cli.progress import wait_hot_update
from millstream.cli.resolve import resolve_job
from millstream.cli.state import state_of

__all__ = ["parse_settings", "register"]


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """``["a=1", "b.c=x=y"]`` -> ``{"a": "1", "b.c": "x=y"}``; a usage error otherwise."""
    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(
                f"--set takes key=value, e.g. --set taskmanager.numberOfTaskSlots=2 (got {pair!r})"
            )
        settings[key.strip()] = value
    return settings


def hot_update(
    ctx: typer.Context,
    ref: JobArg,
    parallelism: Annotated[
        int | None, typer.Option("--parallelism", "-p", min=1, help="New job parallelism.")
    ] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option("--set", help="Flink configuration key=value to set (repeatable)."),
    ] = None,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = None,
) -> None:
    """Change a running job's parallelism or Flink configuration (savepoint + restart)."""
    flink_conf = parse_settings(settings or [])
    state = state_of(ctx)
    client = state.client()
    job = resolve_job(client, ref)
    result = client.hot_update_job(
        job.job_id or "", parallelism=parallelism, flink_conf=flink_conf or None
    )
    state.err().print(
        f"Hot update {result.job_hot_update_id} of job {job.job_id} requested "
        f"({result.phase or result.state})"
    )
    if wait:
        result = wait_hot_update(state, client, result.job_hot_update_id or "", timeout)
        state.err().print(f"Job {result.new_job_id or result.job_id} runs with the new settings")
    render(state, result, output)


def register(app: typer.Typer) -> None:
    app.command("hot-update")(hot_update)
