"""``millstream artifacts upload|list|delete``: files in the namespace's artifact store.

Uploads are streamed through a pre-signed URL (up to the store's limit, 512 MiB by
default), never read whole; the printed ``uri`` is what a deployment's jarUri or
pythonArtifactUri references (``deploy jar|python`` with a local path does this itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from millstream.cli.commands.deployments import YesOpt
from millstream.cli.options import OutputOpt
from millstream.cli.output import render
from millstream.cli.state import state_of

__all__ = ["register"]

artifacts_app = typer.Typer(help="Upload, list and delete JARs and Python files.")


@artifacts_app.command("upload")
def upload(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Local file.")],
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", help="Name in the store, may hold '/' (default: file name)."),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Upload a local file; prints the URI deployments reference."""
    state = state_of(ctx)
    with state.err().status(f"Uploading {file.name}…"):
        stored = state.client().upload_artifact(file, name)
    state.err().print(f"Uploaded {file} as {stored.uri}", highlight=False)
    render(state, stored, output)


@artifacts_app.command("list")
def list_(ctx: typer.Context, output: OutputOpt = None) -> None:
    """List the namespace's artifacts."""
    state = state_of(ctx)
    render(state, state.client().list_artifacts(), output)


@artifacts_app.command("delete")
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Artifact name, as listed.")],
    yes: YesOpt = False,
) -> None:
    """Delete an artifact (deployments that reference it can no longer start)."""
    state = state_of(ctx)
    if not yes:
        typer.confirm(f"Delete artifact {name}?", abort=True)
    state.client().delete_artifact(name)
    state.err().print(f"Deleted artifact {name}")


def register(app: typer.Typer) -> None:
    app.add_typer(artifacts_app, name="artifacts")
