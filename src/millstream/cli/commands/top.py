"""``millstream top``: the namespace's running jobs with their throughput and backpressure,
refreshed live (ListJobLoads).

On a terminal a Rich live table is redrawn every ``--interval`` seconds until Ctrl-C;
``--once``, a pipe or a file get one plain snapshot; ``-o json``/``yaml`` print the rows
with the API's names. A refresh that fails (the server restarts) keeps the last rows and
says so under the table, then tries again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from millstream.cli.options import OutputOpt
from millstream.cli.output import TIME_FORMAT, render
from millstream.cli.state import CliState, OutputFormat, state_of
from millstream.client import MillstreamClientError
from millstream.client.insight_models import JobLoad

__all__ = ["loads_table", "register"]

_MIN_INTERVAL = 0.5

IntervalOpt = Annotated[
    float,
    typer.Option(
        "--interval",
        "-n",
        min=_MIN_INTERVAL,
        help="Seconds between two refreshes of the live table.",
    ),
]
OnceOpt = Annotated[
    bool, typer.Option("--once", help="Print one snapshot and exit (as when piped).")
]


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _pressure(value: float | None) -> str:
    text = _percent(value)
    if value is None:
        return text
    colour = "red" if value >= 0.5 else "yellow" if value >= 0.1 else "green"
    return f"[{colour}]{text}[/{colour}]"


def _busiest(row: JobLoad) -> str:
    if not row.busiest_vertex:
        return "—"
    return f"{row.busiest_vertex} ({_percent(row.busy_ratio)})"


def loads_table(rows: Sequence[JobLoad], *, caption: str | None = None) -> Table:
    """The ``top`` table of ``rows``; a row Flink has no live data for shows its note."""
    table = Table(header_style="bold", caption=caption, caption_justify="left")
    table.add_column("DEPLOYMENT", overflow="fold")
    table.add_column("NAMESPACE")
    table.add_column("STATE")
    table.add_column("RECORDS IN/S", justify="right")
    table.add_column("RECORDS OUT/S", justify="right")
    table.add_column("BACKPRESSURE", justify="right")
    table.add_column("BUSIEST VERTEX", overflow="fold", max_width=60)
    table.add_column("RESTARTS", justify="right")
    for row in rows:
        busiest = _busiest(row) if row.live else f"[dim]{row.note or 'no live data'}[/dim]"
        table.add_row(
            row.deployment_name or row.deployment_id or "",
            row.namespace or "",
            row.status or "",
            _rate(row.records_in_per_second),
            _rate(row.records_out_per_second),
            _pressure(row.backpressure_ratio),
            busiest,
            "—" if row.restarts is None else str(row.restarts),
        )
    return table


def _caption(state: CliState, error: str | None = None) -> str:
    moment = datetime.now(UTC).strftime(TIME_FORMAT)
    text = f"namespace {state.config().namespace} · {moment}"
    return f"{text} · [red]refresh failed: {error}[/red]" if error else text


def top(
    ctx: typer.Context,
    interval: IntervalOpt = 2.0,
    once: OnceOpt = False,
    output: OutputOpt = None,
) -> None:
    """Show running jobs with their throughput and backpressure, refreshed live (--once:
    one snapshot).

    Per job: records in/out per second (what its sources emit, what its sinks take), the
    most back-pressured subtask, the busiest vertex and Flink's restarts. Ctrl-C quits."""
    state = state_of(ctx)
    client = state.client()
    fmt = state.format(output)
    rows = client.job_loads()
    if fmt is not OutputFormat.TABLE:
        render(state, rows, fmt)
        return
    console = state.out()
    if not rows and (once or not console.is_terminal):
        console.print(f"[dim]no running jobs in namespace {state.config().namespace}[/dim]")
        return
    if once or not console.is_terminal:
        console.print(loads_table(rows))
        return
    from rich.live import Live

    try:
        with Live(
            loads_table(rows, caption=_caption(state)), console=console, auto_refresh=False
        ) as live:
            while True:
                time.sleep(interval)
                try:
                    rows = client.job_loads()
                    caption = _caption(state)
                except MillstreamClientError as exc:
                    caption = _caption(state, str(exc))
                live.update(loads_table(rows, caption=caption), refresh=True)
    except KeyboardInterrupt:
        return


def register(app: typer.Typer) -> None:
    app.command()(top)
