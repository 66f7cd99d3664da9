"""Client operations of interactive SQL and the namespace's catalog: ExecuteSqlStatement,
GetCatalogs, GetDatabases, GetTables, SubmitSqlPreview, FetchSqlPreviewResults and
CancelSqlPreview, at the official SDK's paths. Values like those of
``client.operations``; ``MillstreamClient`` sends them. Answers are the wire dicts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from millstream.client.envelopes import data_of as _data
from millstream.client.envelopes import items_of as _items
from millstream.client.envelopes import namespace_base as _base
from millstream.client.envelopes import nothing as _nothing
from millstream.client.operations import Operation

__all__ = [
    "cancel_sql_preview",
    "execute_sql_statement",
    "fetch_sql_preview_results",
    "get_catalogs",
    "get_databases",
    "get_tables",
    "submit_sql_preview",
]


def execute_sql_statement(namespace: str, statement: str) -> Operation[dict[str, Any]]:
    path = _base(namespace) + "/sql-statement/execute"
    return Operation("ExecuteSqlStatement", "POST", path, _data, body={"statement": statement})


def get_catalogs(namespace: str) -> Operation[list[dict[str, Any]]]:
    return Operation("GetCatalogs", "GET", _base(namespace) + "/catalogs", _items)


def get_databases(namespace: str, catalog: str) -> Operation[list[dict[str, Any]]]:
    path = _base(namespace) + f"/catalogs/{quote(catalog, safe='')}/databases"
    return Operation("GetDatabases", "GET", path, _items)


def get_tables(
    namespace: str, catalog: str, database: str, table: str | None = None
) -> Operation[list[dict[str, Any]]]:
    path = (
        _base(namespace)
        + f"/catalogs/{quote(catalog, safe='')}/databases/{quote(database, safe='')}/tables"
    )
    return Operation("GetTables", "GET", path, _items, query={"tableName": table})


def submit_sql_preview(
    namespace: str,
    statement: str,
    *,
    max_rows: int | None = None,
    timeout: float | None = None,
    cluster: str | None = None,
) -> Operation[dict[str, Any]]:
    conf: dict[str, str] = {}
    if max_rows is not None:
        conf["millstream.preview.max-rows"] = str(max_rows)
    if timeout is not None:
        conf["millstream.preview.timeout-seconds"] = f"{timeout:g}"
    return Operation(
        "SubmitSqlPreview",
        "POST",
        _base(namespace) + "/sql-preview/submit",
        _data,
        query={"sessionClusterName": cluster},
        body={"statement": statement, "flinkConfiguration": conf},
    )


def fetch_sql_preview_results(namespace: str, query_id: str) -> Operation[dict[str, Any]]:
    path = _base(namespace) + "/sql-preview/fetchResults"
    return Operation("FetchSqlPreviewResults", "GET", path, _data, query={"queryId": query_id})


def cancel_sql_preview(namespace: str, query_id: str) -> Operation[None]:
    path = _base(namespace) + "/sql-preview/cancel"
    return Operation("CancelSqlPreview", "DELETE", path, _nothing, query={"queryId": query_id})
