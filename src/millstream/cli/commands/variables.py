"""``millstream variables set|list|delete``: namespace variables (``${name}`` in SQL).

``set`` creates the variable or, when it exists, changes its value; ``--encrypted``
encrypts it, and an encrypted variable stays encrypted (a ``set`` without the flag never
turns a secret into plain text). An encrypted value is never shown again: the server
answers ``******`` for it.
Pass ``-`` as VALUE to read it from stdin, keeping secrets out of shell history.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from millstream.cli.commands.deployments import YesOpt
from millstream.cli.options import OutputOpt
from millstream.cli.output import render
from millstream.cli.state import state_of
from millstream.client import ConflictError, MillstreamClient, Variable

__all__ = ["register"]

variables_app = typer.Typer(help="Set, list and delete namespace variables.")
_PAGE = 100  # the server's largest page


@variables_app.command("set")
def set_(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Variable name.")],
    value: Annotated[str, typer.Argument(help="Value, or '-' to read it from stdin.")],
    encrypted: Annotated[
        bool, typer.Option("--encrypted", help="Store it encrypted; it is masked when read.")
    ] = False,
    description: Annotated[
        str | None, typer.Option("--description", help="What the variable is for.")
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Create a variable, or change the value of an existing one."""
    state = state_of(ctx)
    client = state.client()
    if value == "-":
        value = sys.stdin.read().rstrip("\n")
    kind = "Encrypted" if encrypted else "Plain"
    try:
        variable = client.create_variable(name, value, kind, description)
        verb = "Created"
    except ConflictError:
        variable = client.update_variable(
            name, value=value, kind="Encrypted" if encrypted else None, description=description
        )
        verb = "Updated"
    state.err().print(f"{verb} variable {name} ({variable.kind or kind})")
    render(state, variable, output)


def _all(client: MillstreamClient) -> list[Variable]:
    found: list[Variable] = []
    page_index = 1
    while True:
        page = client.list_variables(page_index=page_index, page_size=_PAGE)
        found.extend(page.items)
        if len(page.items) < _PAGE or len(found) >= (page.total_size or 0):
            return found
        page_index += 1


@variables_app.command("list")
def list_(ctx: typer.Context, output: OutputOpt = None) -> None:
    """List the namespace's variables (encrypted values masked)."""
    state = state_of(ctx)
    render(state, _all(state.client()), output)


@variables_app.command("delete")
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Variable name.")],
    yes: YesOpt = False,
) -> None:
    """Delete a variable."""
    state = state_of(ctx)
    if not yes:
        typer.confirm(f"Delete variable {name}?", abort=True)
    state.client().delete_variable(name)
    state.err().print(f"Deleted variable {name}")


def register(app: typer.Typer) -> None:
    app.add_typer(variables_app, name="variables")
