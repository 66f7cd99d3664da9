"""``millstream queues list|show|create|update|delete``: CU quotas and who waits on them.

A queue caps the compute units (1 CU = 1 vCPU + 4 GiB) its jobs hold on one cluster;
a job that does not fit waits, STARTING with reason WAITING_FOR_RESOURCES, and starts as
soon as room frees, higher priority first. ``list`` shows each queue's used / waiting /
free CU; ``show`` adds the admitted jobs and the waiting ones in the order they will
start. Queues are installation-wide: creating, changing and deleting them is an
administrator's operation.
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import BaseModel

from millstream.cli.commands.deployments import YesOpt
from millstream.cli.options import OutputOpt
from millstream.cli.output import Column, render, when
from millstream.cli.state import OutputFormat, state_of
from millstream.client import Queue, QueuedJob

__all__ = ["register"]

queues_app = typer.Typer(help="List, show, create, update and delete queues (CU quotas).")


def _cu(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _use(queue: Queue) -> tuple[float | None, float | None, float | None]:
    usage = queue.usage
    if usage is None:
        return None, None, None
    return usage.used_cu, usage.waiting_cu, usage.free_cu


def bar(queue: Queue, width: int = 20) -> str:
    """Used CU as a text bar: '#' used, '.' free (one cell = capacity / width)."""
    capacity = queue.capacity_cu or 0.0
    used = _use(queue)[0] or 0.0
    filled = 0 if capacity <= 0 else min(width, round(width * used / capacity))
    return "#" * filled + "." * (width - filled)


_QUEUE_COLUMNS: list[Column] = [
    ("NAME", lambda q: q.name),
    ("CLUSTER", lambda q: q.cluster),
    ("CAPACITY CU", lambda q: _cu(q.capacity_cu)),
    ("USED", lambda q: _cu(_use(q)[0])),
    ("WAITING", lambda q: _cu(_use(q)[1])),
    ("FREE", lambda q: _cu(_use(q)[2])),
    ("USE", bar),
    ("MAX/JOB", lambda q: _cu(q.max_job_cu)),
    ("NAMESPACES", lambda q: ", ".join(q.namespaces or []) or "all"),
]

_JOB_COLUMNS: list[Column] = [
    ("#", lambda s: s.position),
    ("JOB", lambda s: s.job.job_id),
    ("DEPLOYMENT", lambda s: s.job.deployment_name),
    ("NAMESPACE", lambda s: s.job.namespace),
    ("STATUS", lambda s: s.job.status),
    ("PRIORITY", lambda s: s.job.priority),
    ("CU", lambda s: _cu(s.job.cost_cu)),
    ("QUEUED", lambda s: when(s.job.enqueued_at)),
    ("ADMITTED", lambda s: when(s.job.admitted_at)),
]


class _Slot(BaseModel):
    """One row of ``show``: 'run' for an admitted job, else its place in the line."""

    position: str
    job: QueuedJob


@queues_app.command("list")
def list_(ctx: typer.Context, output: OutputOpt = None) -> None:
    """Every queue with its used / waiting / free CU."""
    state = state_of(ctx)
    render(state, state.client().list_queues(), output, columns=_QUEUE_COLUMNS)


@queues_app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Queue name.")],
    output: OutputOpt = None,
) -> None:
    """One queue: its use, the admitted jobs and the waiting ones in start order."""
    state = state_of(ctx)
    queue = state.client().get_queue(name)
    if state.format(output) is not OutputFormat.TABLE:
        render(state, queue, output)
        return
    render(state, queue, output, columns=_QUEUE_COLUMNS)
    usage = queue.usage
    admitted = usage.admitted if usage else []
    waiting = usage.waiting if usage else []
    rows = [_Slot(position="run", job=job) for job in admitted]
    rows += [_Slot(position=str(n), job=job) for n, job in enumerate(waiting, start=1)]
    if rows:
        state.out().print()
        render(state, rows, output, columns=_JOB_COLUMNS, title="jobs (run = admitted)")


def _queue_body(
    *,
    cluster: str | None,
    capacity: float | None,
    max_job: float | None,
    namespaces: list[str] | None,
    description: str | None,
    workspace: str | None = None,
) -> Queue:
    return Queue(
        cluster=cluster,
        capacity_cu=capacity,
        max_job_cu=max_job,
        namespaces=namespaces,
        description=description,
        workspace=workspace,
    )


CapacityOpt = Annotated[
    float | None, typer.Option("--capacity", help="Capacity in CU (1 CU = 1 vCPU + 4 GiB).")
]
MaxJobOpt = Annotated[
    float | None,
    typer.Option("--max-job", help="Largest job in CU the queue accepts (update: 0 removes it)."),
]
NamespaceOpt = Annotated[
    list[str] | None,
    typer.Option("--namespace-allowed", help="A namespace that may use the queue (repeat)."),
]
DescriptionOpt = Annotated[str | None, typer.Option("--description", help="What it is for.")]


@queues_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Queue name (lower-case, digits, '-').")],
    capacity: CapacityOpt = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="Cluster it caps (default: 'default').")
    ] = None,
    max_job: MaxJobOpt = None,
    namespaces: NamespaceOpt = None,
    description: DescriptionOpt = None,
    output: OutputOpt = None,
) -> None:
    """Create a queue (every namespace may use it unless --namespace-allowed is given)."""
    if capacity is None:
        raise typer.BadParameter("--capacity is required", param_hint="--capacity")
    state = state_of(ctx)
    body = _queue_body(
        cluster=cluster,
        capacity=capacity,
        max_job=max_job,
        namespaces=namespaces,
        description=description,
        workspace=state.workspace,
    )
    body.name = name
    queue = state.client().create_queue(body)
    state.err().print(f"Created queue {name} ({_cu(queue.capacity_cu)} CU on {queue.cluster})")
    render(state, queue, output, columns=_QUEUE_COLUMNS)


@queues_app.command("update")
def update(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Queue name.")],
    capacity: CapacityOpt = None,
    max_job: MaxJobOpt = None,
    namespaces: NamespaceOpt = None,
    description: DescriptionOpt = None,
    output: OutputOpt = None,
) -> None:
    """Change a queue; a new capacity applies at the next admission."""
    state = state_of(ctx)
    body = _queue_body(
        cluster=None,
        capacity=capacity,
        max_job=max_job,
        namespaces=namespaces,
        description=description,
    )
    queue = state.client().update_queue(name, body)
    state.err().print(f"Updated queue {name}")
    render(state, queue, output, columns=_QUEUE_COLUMNS)


@queues_app.command("delete")
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Queue name.")],
    yes: YesOpt = False,
) -> None:
    """Delete a queue (refused while jobs run in it or wait on it)."""
    state = state_of(ctx)
    if not yes:
        typer.confirm(f"Delete queue {name}?", abort=True)
    state.client().delete_queue(name)
    state.err().print(f"Deleted queue {name}")


def register(app: typer.Typer) -> None:
    app.add_typer(queues_app, name="queues")
