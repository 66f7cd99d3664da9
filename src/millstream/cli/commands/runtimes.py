"""``millstream runtimes list|install|remove``: the Flink runtimes on this machine.

Works on the local data directory (like ``millstream up``), not through a server: it
downloads apache-flink releases from the package index with pip and unpacks them under
``<data_dir>/runtimes`` (``engine/runtimes.py``). Deployments do not pick a runtime yet: the
server still runs everything on the bundled one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from millstream.cli.exit_codes import ExitCode
from millstream.cli.options import OutputOpt
from millstream.cli.output import render, when
from millstream.cli.state import CliState, state_of
from millstream.domain.errors import Conflict, InvalidInput, MillstreamError, NotFound, Unavailable

if TYPE_CHECKING:
    from millstream.engine.runtimes import InstalledRuntime, RuntimeCatalog

__all__ = ["register"]

runtimes_app = typer.Typer(
    help="List, install and remove Flink runtimes (one per Flink version, 1.18 and newer). "
    "Exit codes: 1 invalid version or failed install · 3 not on the index / not installed · "
    "4 the bundled runtime cannot be removed · 6 the package index cannot be reached."
)
VersionArg = Annotated[
    str, typer.Argument(help="Flink version: 1.20 (the newest 1.20.x) or 1.20.1.")
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Millstream's data directory (default: from settings)."),
]


class RuntimeRow(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    version: str
    source: str  # "bundled" or "installed"
    home: str
    size_bytes: int | None = None
    installed_at: str | None = None
    problem: str | None = None


_COLUMNS = [
    ("VERSION", lambda r: r.version),
    ("SOURCE", lambda r: r.source),
    ("SIZE", lambda r: "" if r.size_bytes is None else f"{r.size_bytes / 2**20:.0f} MiB"),
    ("INSTALLED", lambda r: when(r.installed_at)),
    ("HOME", lambda r: r.home),
]
_PROBLEM = ("PROBLEM", lambda r: r.problem or "")
_EXIT_CODES: list[tuple[type[MillstreamError], ExitCode]] = [
    (NotFound, ExitCode.NOT_FOUND),
    (Conflict, ExitCode.CONFLICT),
    (Unavailable, ExitCode.UNREACHABLE),
    (InvalidInput, ExitCode.ERROR),
]


@runtimes_app.command("list")
def list_(ctx: typer.Context, data_dir: DataDirOpt = None, output: OutputOpt = None) -> None:
    """List runtimes: the bundled one (always there) and those installed, newest first."""
    state = state_of(ctx)
    with _errors():
        runtimes = _catalog(data_dir).runtimes()
    rows = [_row(runtime) for runtime in runtimes]
    columns = [*_COLUMNS, _PROBLEM] if any(row.problem for row in rows) else _COLUMNS
    render(state, rows, output, columns=columns)


@runtimes_app.command("install")
def install(
    ctx: typer.Context, version: VersionArg, data_dir: DataDirOpt = None, output: OutputOpt = None
) -> None:
    """Download a Flink release from the package index and unpack it (a no-op if present)."""
    state = state_of(ctx)
    with _errors():
        result = _catalog(data_dir, progress=True).install(version)
    row = _row(result.runtime)
    verb = "installed" if result.installed else "already present"
    CliState.err().print(f"Flink {row.version} {verb} ({result.seconds:.1f} s)", highlight=False)
    render(
        state,
        {
            "version": row.version,
            "source": row.source,
            "home": row.home,
            "installed": result.installed,
            "seconds": round(result.seconds, 1),
            "sizeBytes": row.size_bytes,
        },
        output,
    )


@runtimes_app.command("remove")
def remove(
    ctx: typer.Context, version: VersionArg, data_dir: DataDirOpt = None, output: OutputOpt = None
) -> None:
    """Delete an installed runtime (not checked: whether a cluster still runs on it)."""
    state = state_of(ctx)
    with _errors():
        removed = _catalog(data_dir).remove(version)
    CliState.err().print(f"Flink {removed.version} removed from {removed.home}", highlight=False)
    render(state, {"version": removed.version, "home": str(removed.home), "removed": True}, output)


def register(app: typer.Typer) -> None:
    app.add_typer(runtimes_app, name="runtimes")


def _catalog(data_dir: Path | None, *, progress: bool = False) -> RuntimeCatalog:
    # Imported here: the CLI must work with only the client installed.
    from millstream.config import Settings
    from millstream.engine.runtimes import RuntimeCatalog

    try:
        settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as exc:
        raise InvalidInput(f"invalid settings: {exc}") from exc
    err = CliState.err()
    return RuntimeCatalog.from_settings(
        settings, on_step=(lambda step: err.print(f"{step}…")) if progress else (lambda _: None)
    )


def _row(runtime: InstalledRuntime) -> RuntimeRow:
    return RuntimeRow(
        version=runtime.version,
        source="bundled" if runtime.bundled else "installed",
        home=str(runtime.home),
        size_bytes=runtime.size_bytes,
        installed_at=runtime.installed_at,
        problem=runtime.problem,
    )


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """A Millstream error becomes a message on stderr and its exit code."""
    try:
        yield
    except MillstreamError as exc:
        CliState.err().print(f"[red]error:[/red] {exc}", highlight=False)
        code = next((c for kind, c in _EXIT_CODES if isinstance(exc, kind)), ExitCode.ERROR)
        raise typer.Exit(int(code)) from exc
