"""``millstream catalog`` and ``millstream sql preview``: the namespace's persistent SQL
catalog (``vvp``; list catalogs, databases and tables, show a table's DDL, ``exec`` one
CREATE / ALTER / DROP statement) and interactive queries with a row and time budget,
printed as a table when they end.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, cast

import typer
from rich.table import Table

from millstream.cli.options import OutputOpt
from millstream.cli.output import Column, render
from millstream.cli.state import state_of

__all__ = ["register"]

catalog_app = typer.Typer(
    help="The namespace's SQL catalog: list catalogs, databases and tables, show a table's "
    "DDL, exec DDL."
)
sql_app = typer.Typer(help="Interactive SQL: preview a query's rows with a row and time budget.")

CatalogOpt = Annotated[str, typer.Option("--catalog", help="Catalog name.")]
DatabaseOpt = Annotated[str, typer.Option("--database", help="Database name.")]

_TABLE_COLUMNS: list[Column] = [
    ("NAME", lambda t: t.get("name")),
    ("TYPE", lambda t: t.get("tableType")),
    ("COLUMNS", lambda t: len((t.get("schema") or {}).get("columns") or [])),
    ("CONNECTOR", lambda t: (t.get("properties") or {}).get("connector")),
    ("COMMENT", lambda t: t.get("comment")),
]


@catalog_app.command("list")
def list_catalogs(ctx: typer.Context, output: OutputOpt = None) -> None:
    """List the namespace's catalogs."""
    cli = state_of(ctx)
    columns: list[Column] = [("NAME", lambda c: c.get("name"))]
    render(cli, cast(Any, cli.client().catalogs()), output, columns=columns)


@catalog_app.command("databases")
def databases(ctx: typer.Context, catalog: CatalogOpt = "vvp", output: OutputOpt = None) -> None:
    """List a catalog's databases."""
    cli = state_of(ctx)
    columns: list[Column] = [
        ("NAME", lambda d: d.get("name")),
        ("COMMENT", lambda d: d.get("comment")),
    ]
    render(cli, cast(Any, cli.client().databases(catalog)), output, columns=columns)


@catalog_app.command("tables")
def tables(
    ctx: typer.Context,
    catalog: CatalogOpt = "vvp",
    database: DatabaseOpt = "default",
    output: OutputOpt = None,
) -> None:
    """List a database's tables and views."""
    cli = state_of(ctx)
    found = cli.client().tables(catalog, database)
    render(cli, cast(Any, found), output, columns=_TABLE_COLUMNS)


@catalog_app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Table or view name.")],
    catalog: CatalogOpt = "vvp",
    database: DatabaseOpt = "default",
) -> None:
    """Print a table's or view's DDL."""
    cli = state_of(ctx)
    found = cli.client().tables(catalog, database, name)
    if not found:
        cli.err().print(f"no table or view {name!r} in {catalog}.{database}")
        raise typer.Exit(4)
    typer.echo(str((found[0].get("metadata") or {}).get("ddl") or "").rstrip())


@catalog_app.command("exec")
def execute(
    ctx: typer.Context,
    statement: Annotated[str, typer.Argument(help="One CREATE, ALTER or DROP statement.")],
) -> None:
    """Run one DDL statement against the catalog (Flink's planner checks it first)."""
    cli = state_of(ctx)
    cli.client().execute_sql_statement(statement)
    cli.err().print("OK")


@sql_app.command("preview")
def preview(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="The query (SET and TEMPORARY DDL may come first).")],
    rows: Annotated[int, typer.Option("--rows", help="Stop after this many rows (1-1000).")] = 20,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Stop after this many seconds (1-300).")
    ] = 30,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="Session cluster (default: the default one).")
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Run a query on the namespace's cluster and print its rows when it ends."""
    cli = state_of(ctx)
    client = cli.client()
    submitted = client.submit_sql_preview(query, max_rows=rows, timeout=timeout, cluster=cluster)
    query_id = str(submitted.get("queryId"))
    schema = ((submitted.get("tableSchemas") or [{}])[0].get("schema") or {}).get("columns") or []
    names = [str(c.get("name")) for c in schema]
    collected: list[list[Any]] = []
    message = ""
    try:
        while True:
            fetched = client.fetch_sql_preview_results(query_id)
            for result in fetched.get("tableResults") or []:
                for update in result.get("rowUpdates") or []:
                    cells = (update.get("row") or {}).get("cells") or []
                    collected.append([update.get("rowKind"), *(c.get("value") for c in cells)])
            if fetched.get("resultType") == "EOS":
                message = str(fetched.get("resultMessage") or "")
                break
            time.sleep(0.3)
    except KeyboardInterrupt:
        client.cancel_sql_preview(query_id)
        raise
    if output is not None:
        render(
            cli, cast(Any, [dict(zip(["op", *names], r, strict=False)) for r in collected]), output
        )
        return
    table = Table("op", *names)
    for row in collected:
        table.add_row(*(str(v) if v is not None else "NULL" for v in row))
    cli.out().print(table)
    cli.err().print(f"{len(collected)} rows; {message}")


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
    app.add_typer(sql_app, name="sql")
