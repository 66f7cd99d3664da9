"""``millstream udfs list|register|delete`` and ``millstream connectors
list|register|delete``: UDF artifacts (jars of function classes, with the function names
registered for them) and custom connectors (table factories of a connector jar).

``udfs register NAME JAR`` registers an uploaded jar (``millstream artifacts upload``
returns its URI) and, with ``--function name=com.example.Class`` (repeatable), a
function for a class; SQL jobs of the namespace that call the name get the jar.
``connectors register JAR`` registers every table factory of the jar; jobs whose WITH
clause names its identifier get the jar.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

import typer

from millstream.cli.commands.deployments import YesOpt
from millstream.cli.options import OutputOpt
from millstream.cli.output import Column, render
from millstream.cli.state import state_of

__all__ = ["register"]

udfs_app = typer.Typer(help="Register, list and delete UDF artifacts and their functions.")
connectors_app = typer.Typer(help="Register, list and delete custom connectors.")

_UDF_COLUMNS: list[Column] = [
    ("NAME", lambda a: a.get("name")),
    ("JAR", lambda a: a.get("jarUrl")),
    (
        "CLASSES",
        lambda a: ", ".join(
            f"{c.get('className')} ({c.get('classType')})" for c in a.get("udfClasses") or []
        ),
    ),
    (
        "FUNCTIONS",
        lambda a: ", ".join(
            name for c in a.get("udfClasses") or [] for name in c.get("functionNames") or []
        ),
    ),
]
_CONNECTOR_COLUMNS: list[Column] = [
    ("NAME", lambda c: c.get("name")),
    ("SOURCE", lambda c: c.get("source")),
    ("SINK", lambda c: c.get("sink")),
    (
        "OPTIONS",
        lambda c: ", ".join(
            p.get("key", "") + ("*" if p.get("required") else "") for p in c.get("properties") or []
        ),
    ),
    ("JAR", lambda c: (c.get("dependencies") or [""])[0]),
]


def _function(spec: str) -> tuple[str, str]:
    name, sep, class_name = spec.partition("=")
    if not sep or not name.strip() or not class_name.strip():
        raise typer.BadParameter(f"{spec!r}: write NAME=CLASS, e.g. upper=com.example.Upper")
    return name.strip(), class_name.strip()


@udfs_app.command("list")
def list_udfs(ctx: typer.Context, output: OutputOpt = None) -> None:
    """List the namespace's UDF artifacts with their function classes and functions."""
    cli = state_of(ctx)
    render(cli, cast(Any, cli.client().udf_artifacts()), output, columns=_UDF_COLUMNS)


@udfs_app.command("register")
def register_udfs(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="UDF artifact name.")],
    jar: Annotated[str, typer.Argument(help="URI of the uploaded jar (or its plain name).")],
    function: Annotated[
        list[str] | None,
        typer.Option("--function", "-f", help="NAME=CLASS: register a function (repeatable)."),
    ] = None,
    dependency: Annotated[
        list[str] | None, typer.Option("--dependency", help="A dependency jar (repeatable).")
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Register a jar of function classes, and functions for its classes."""
    cli = state_of(ctx)
    functions = [_function(spec) for spec in function or []]
    client = cli.client()
    created = client.create_udf_artifact(name, jar, dependency or [])
    if not created.get("createSuccess"):
        cli.err().print(f"Not registered: {created.get('message')}")
        raise typer.Exit(1)
    for function_name, class_name in functions:
        client.register_udf_function(name, class_name, function_name)
        cli.err().print(f"Registered function {function_name} ({class_name})")
    cli.err().print(f"Registered UDF artifact {name}: {created.get('message')}")
    render(cli, cast(Any, client.udf_artifacts(name)), output, columns=_UDF_COLUMNS)


@udfs_app.command("delete")
def delete_udfs(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="UDF artifact name, or the function's name.")],
    function: Annotated[
        bool, typer.Option("--function", help="Delete the function NAME, not an artifact.")
    ] = False,
    yes: YesOpt = False,
) -> None:
    """Delete a UDF artifact with its functions (or, with --function, one function)."""
    cli = state_of(ctx)
    what = f"function {name}" if function else f"UDF artifact {name} and its functions"
    if not yes:
        typer.confirm(f"Delete {what}?", abort=True)
    if function:
        cli.client().delete_udf_function(name)
    else:
        cli.client().delete_udf_artifact(name)
    cli.err().print(f"Deleted {what}")


@connectors_app.command("list")
def list_connectors(ctx: typer.Context, output: OutputOpt = None) -> None:
    """List the namespace's custom connectors (required options marked *)."""
    cli = state_of(ctx)
    render(cli, cast(Any, cli.client().custom_connectors()), output, columns=_CONNECTOR_COLUMNS)


@connectors_app.command("register")
def register_connectors(
    ctx: typer.Context,
    jar: Annotated[str, typer.Argument(help="URI of the uploaded connector jar.")],
    output: OutputOpt = None,
) -> None:
    """Register every table source/sink factory of a connector jar."""
    cli = state_of(ctx)
    found = cli.client().register_custom_connector(jar)
    cli.err().print(f"Registered {', '.join(str(c.get('name')) for c in found)}")
    render(cli, cast(Any, found), output, columns=_CONNECTOR_COLUMNS)


@connectors_app.command("delete")
def delete_connector(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Connector identifier.")],
    yes: YesOpt = False,
) -> None:
    """Delete a custom connector (refused while a running job uses it)."""
    cli = state_of(ctx)
    if not yes:
        typer.confirm(f"Delete connector {name}?", abort=True)
    cli.client().delete_custom_connector(name)
    cli.err().print(f"Deleted connector {name}")


def register(app: typer.Typer) -> None:
    app.add_typer(udfs_app, name="udfs")
    app.add_typer(connectors_app, name="connectors")
