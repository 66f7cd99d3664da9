"""Printing resources as a Rich table, JSON or YAML.

JSON and YAML use the wire names (camelCase, as the API and SDK spell them) and go to
stdout with nothing else, so scripts can pipe them; tables pick a few columns per type.
Progress and messages go to stderr (``CliState.err``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import typer
import yaml
from pydantic import BaseModel
from rich.table import Table

from millstream.cli.state import CliState, OutputFormat
from millstream.client import (
    AccessKey,
    ArtifactRef,
    Deployment,
    EngineVersion,
    Event,
    HotUpdateResult,
    Job,
    Savepoint,
    Variable,
)

__all__ = ["TIME_FORMAT", "Column", "job_counts", "plain", "render", "when"]

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

Column = tuple[str, Callable[[Any], object]]


def when(value: int | str | None) -> str:
    """A time as ``2026-12-04T16:44:03Z`` (UTC, seconds): the one way the CLI prints times.

    Takes epoch seconds or milliseconds (int or numeric string, as the native API sends
    them) or an ISO 8601 text; anything else is printed as given."""
    if value is None or value == "":
        return ""
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return str(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)  # the server's naive times are UTC
        return moment.astimezone(UTC).strftime(TIME_FORMAT)
    if seconds > 10**11:  # milliseconds
        seconds //= 1000
    return datetime.fromtimestamp(seconds, UTC).strftime(TIME_FORMAT)


def job_counts(summary: dict[str, int | None] | None) -> str:
    """A deployment's ``jobSummary`` as ``running 1, cancelled 2`` (states with jobs only)."""
    if not summary:
        return ""
    return ", ".join(f"{state} {count}" for state, count in summary.items() if count)


# An ISO 8601 time as servers send it (``2026-12-04T16:44:03.673595Z``): printed by ``when``.
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")


def _text(value: object) -> str:
    if isinstance(value, str) and _ISO_TIME.fullmatch(value):
        return when(value)
    return "" if value is None else str(value)


_COLUMNS: dict[type[BaseModel], list[Column]] = {
    Deployment: [
        ("NAME", lambda d: d.name),
        ("ID", lambda d: d.deployment_id),
        ("KIND", lambda d: d.kind),
        ("ENGINE", lambda d: d.engine_version),
        ("PARALLELISM", lambda d: d.parallelism),
        ("JOBS", lambda d: job_counts(d.job_summary)),
        ("MODIFIED", lambda d: when(d.modified_at)),
    ],
    Job: [
        ("ID", lambda j: j.job_id),
        ("DEPLOYMENT", lambda j: j.deployment_name or j.deployment_id),
        ("STATUS", lambda j: j.state),
        ("STARTED", lambda j: when(j.start_time)),
        ("ENDED", lambda j: when(j.end_time)),
        ("FAILURE", lambda j: j.failure_message),
    ],
    Savepoint: [
        ("ID", lambda s: s.savepoint_id),
        ("DEPLOYMENT", lambda s: s.deployment_id),
        ("JOB", lambda s: s.job_id),
        ("STATE", lambda s: s.state),
        ("ORIGIN", lambda s: s.savepoint_origin),
        ("CREATED", lambda s: when(s.created_at)),
        ("LOCATION", lambda s: s.savepoint_location),
    ],
    Event: [
        ("TIME", lambda e: when(e.created_at)),
        ("EVENT", lambda e: e.event_name),
        ("JOB", lambda e: e.job_id),
        ("MESSAGE", lambda e: e.message),
    ],
    EngineVersion: [
        ("ENGINE VERSION", lambda v: v.engine_version),
        ("STATUS", lambda v: v.status),
    ],
    AccessKey: [
        ("ACCESS KEY ID", lambda k: k.access_key_id),
        ("USER", lambda k: k.owner),
        ("STATUS", lambda k: k.status),
        ("CREATED", lambda k: when(k.created_at)),
        ("LAST USED", lambda k: when(k.last_used_at)),
    ],
    ArtifactRef: [
        ("NAME", lambda a: a.name),
        ("SIZE", lambda a: a.size),
        ("MODIFIED", lambda a: when(a.modified_at)),
        ("URI", lambda a: a.uri),
    ],
    Variable: [
        ("NAME", lambda v: v.name),
        ("KIND", lambda v: v.kind),
        ("VALUE", lambda v: v.value),
        ("DESCRIPTION", lambda v: v.description),
    ],
    HotUpdateResult: [
        ("ID", lambda h: h.job_hot_update_id),
        ("STATUS", lambda h: h.state),
        ("PHASE", lambda h: h.phase),
        ("JOB", lambda h: h.source_job_id or h.job_id),
        ("NEW JOB", lambda h: h.new_job_id),
        ("SAVEPOINT", lambda h: h.savepoint_id),
        ("FAILURE", lambda h: h.failure_message),
    ],
}


def plain(data: object) -> Any:
    """JSON-ready data with wire names; models lose their unset fields."""
    if isinstance(data, BaseModel):
        return data.model_dump(by_alias=True, exclude_none=True, mode="json")
    if isinstance(data, list | tuple):
        return [plain(item) for item in data]
    if isinstance(data, dict):
        return {key: plain(value) for key, value in data.items()}
    return data


def _columns(kind: type[BaseModel] | None, columns: Sequence[Column] | None) -> list[Column]:
    if columns is not None:
        return list(columns)
    if kind is not None and kind in _COLUMNS:
        return _COLUMNS[kind]
    raise ValueError(f"no table layout for {kind}")  # a programming error, not user input


def render(
    state: CliState,
    data: BaseModel | Sequence[BaseModel] | dict[str, Any],
    fmt: OutputFormat | None = None,
    *,
    columns: Sequence[Column] | None = None,
    title: str | None = None,
) -> None:
    """Print one resource, a list of them, or a plain dict in the chosen format."""
    fmt = state.format(fmt)
    if fmt is OutputFormat.JSON:
        typer.echo(json.dumps(plain(data), indent=2, ensure_ascii=False))
        return
    if fmt is OutputFormat.YAML:
        typer.echo(yaml.safe_dump(plain(data), sort_keys=False, allow_unicode=True), nl=False)
        return
    console = state.out()
    if isinstance(data, dict):
        table = Table(show_header=False, box=None, title=title)
        for key, value in data.items():
            table.add_row(f"[bold]{key}[/bold]", _text(value))
        console.print(table)
        return
    if isinstance(data, BaseModel):
        spec = _columns(type(data), columns)
        table = Table(show_header=False, box=None, title=title)
        for label, get in spec:
            table.add_row(f"[bold]{label}[/bold]", _text(get(data)))
        console.print(table)
        return
    items = list(data)
    spec = _columns(type(items[0]) if items else None, columns) if items or columns else []
    if not items:
        console.print("[dim]nothing found[/dim]")
        return
    table = Table(title=title, header_style="bold")
    for label, _ in spec:
        table.add_column(label, overflow="fold")
    for item in items:
        table.add_row(*(_text(get(item)) for _, get in spec))
    console.print(table)
