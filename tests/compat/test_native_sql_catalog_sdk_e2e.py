"""Interactive SQL and the persistent catalog through the official
``alibabacloud-ververica20220718`` SDK against the shared real server and real Flink
(``millstream_server``): ExecuteSqlStatement, GetCatalogs/GetDatabases/GetTables,
Submit/Fetch/CancelSqlPreview and Start/Fetch/StopSqlExecution, with their errors.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from tests.compat.test_native_sdk_e2e import NS, RT, WS, Jobs, _client, _create, _start, jobs
from tests.e2e.conftest import ServerHandle, millstream_server

__all__ = ["jobs", "millstream_server"]

pytestmark = pytest.mark.flink


@pytest.fixture
def sdk(millstream_server: ServerHandle) -> Client:
    return _client(millstream_server)


def _execute(sdk: Client, statement: str) -> vv.ExecuteSqlStatementResponse:
    return sdk.execute_sql_statement_with_options(
        NS,
        vv.ExecuteSqlStatementRequest(body=vv.SqlStatementWithContext(statement=statement)),
        vv.ExecuteSqlStatementHeaders(workspace=WS),
        RT,
    )


def _preview(sdk: Client, statement: str, **conf: str) -> vv.SubmitSqlPreviewResponse:
    return sdk.submit_sql_preview_with_options(
        NS,
        vv.SubmitSqlPreviewRequest(
            body=vv.SqlStatementWithContext(statement=statement, flink_configuration=conf)
        ),
        vv.SubmitSqlPreviewHeaders(workspace=WS),
        RT,
    )


def _fetch_all(sdk: Client, query_id: str, session_id: str) -> tuple[list[list[str]], str]:
    rows: list[list[str]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = sdk.fetch_sql_preview_results_with_options(
            NS,
            vv.FetchSqlPreviewResultsRequest(query_id=query_id, session_id=session_id),
            vv.FetchSqlPreviewResultsHeaders(workspace=WS),
            RT,
        ).body
        assert body.success
        for update in body.data.table_results[0].row_updates:
            rows.append([cell.value for cell in update.row.cells])
        if body.data.result_type == "EOS":
            return rows, body.data.result_message or ""
        time.sleep(0.2)
    raise AssertionError("the preview did not end")


def test_catalog_ddl_tables_and_errors(sdk: Client) -> None:
    name = f"orders_{uuid.uuid4().hex[:8]}"
    done = _execute(
        sdk,
        f"CREATE TABLE {name} (id BIGINT, amount DOUBLE, ts TIMESTAMP(3), "
        "PRIMARY KEY (id) NOT ENFORCED, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) "
        "COMMENT 'orders' WITH ('connector' = 'datagen', 'number-of-rows' = '20')",
    ).body
    assert done.success
    assert done.data.execute_success

    catalogs = sdk.get_catalogs_with_options(
        NS, vv.GetCatalogsRequest(), vv.GetCatalogsHeaders(workspace=WS), RT
    ).body.data
    assert [c.name for c in catalogs] == ["vvp", "default_catalog"]
    databases = sdk.get_databases_with_options(
        NS, "vvp", vv.GetDatabasesRequest(), vv.GetDatabasesHeaders(workspace=WS), RT
    ).body.data
    assert [d.name for d in databases] == ["default"]
    tables = sdk.get_tables_with_options(
        NS,
        "vvp",
        "default",
        vv.GetTablesRequest(table_name=name),
        vv.GetTablesHeaders(workspace=WS),
        RT,
    ).body.data
    assert len(tables) == 1
    table = tables[0]
    assert (table.name, table.comment, table.table_type) == (name, "orders", "TABLE")
    assert table.properties["connector"] == "datagen"
    assert [(c.name, c.type) for c in table.schema.columns][:2] == [
        ("id", "BIGINT NOT NULL"),
        ("amount", "DOUBLE"),
    ]
    assert table.schema.primary_key.columns == ["id"]
    assert table.schema.watermark_specs[0].column == "ts"
    assert "CREATE TABLE `vvp`.`default`" in table.metadata["ddl"]

    # a view over it, then ALTER and the planner's refusal of a bad view
    _execute(sdk, f"CREATE VIEW {name}_big AS SELECT id FROM {name} WHERE amount > 1")
    with pytest.raises(ClientException) as refused:
        _execute(sdk, f"CREATE VIEW {name}_bad AS SELECT nope FROM {name}")
    assert refused.value.status_code == 400
    assert "Column 'nope' not found" in refused.value.message
    with pytest.raises(ClientException) as query:
        _execute(sdk, "SELECT 1")
    assert "DDL only" in query.value.message
    with pytest.raises(ClientException) as breaks_view:  # the catalog must still rebuild
        _execute(sdk, f"DROP TABLE {name}")
    assert "drop or replace the view first" in breaks_view.value.message
    _execute(sdk, f"DROP VIEW {name}_big")
    _execute(sdk, f"DROP TABLE {name}")
    left = sdk.get_tables_with_options(
        NS,
        "vvp",
        "default",
        vv.GetTablesRequest(table_name=name),
        vv.GetTablesHeaders(workspace=WS),
        RT,
    ).body.data
    assert left == []
    with pytest.raises(ClientException) as unknown:
        sdk.get_databases_with_options(
            NS, "hive", vv.GetDatabasesRequest(), vv.GetDatabasesHeaders(workspace=WS), RT
        )
    assert unknown.value.status_code == 404


def _flink_job_state(server: ServerHandle, job_name: str) -> str | None:
    jobs = httpx.get(f"{server.flink.rest_url}/jobs/overview", timeout=10).json()["jobs"]
    return next((j["state"] for j in jobs if j["name"] == job_name), None)


def test_preview_reads_a_catalog_table_within_its_budget(
    millstream_server: ServerHandle, sdk: Client
) -> None:
    name = f"numbers_{uuid.uuid4().hex[:8]}"
    _execute(
        sdk,
        f"CREATE TABLE {name} (n BIGINT) WITH ('connector' = 'datagen', "
        "'rows-per-second' = '50', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', "
        "'fields.n.end' = '100000')",
    )
    try:
        submitted = _preview(
            sdk, f"SELECT n, n * 2 AS twice FROM {name}", **{"millstream.preview.max-rows": "5"}
        ).body.data
        schema = submitted.table_schemas[0].schema
        assert [c.name for c in schema.columns] == ["n", "twice"]
        rows, message = _fetch_all(sdk, submitted.query_id, submitted.session_id)
        assert len(rows) == 5, rows
        assert all(int(r[1]) == 2 * int(r[0]) for r in rows)
        assert "row budget" in message

        # an unbounded query is cancelled: the Flink job ends, fetch says EOS
        running = _preview(sdk, f"SELECT n FROM {name}").body.data
        sdk.cancel_sql_preview_with_options(
            NS,
            vv.CancelSqlPreviewRequest(query_id=running.query_id, session_id=running.session_id),
            vv.CancelSqlPreviewHeaders(workspace=WS),
            RT,
        )
        _, message = _fetch_all(sdk, running.query_id, running.session_id)
        assert "cancelled" in message
        job_name = f"millstream-preview-{running.query_id[:8]}"
        deadline = time.monotonic() + 30
        while _flink_job_state(millstream_server, job_name) != "CANCELED":
            assert time.monotonic() < deadline, _flink_job_state(millstream_server, job_name)
            time.sleep(0.3)

        with pytest.raises(ClientException) as bad:
            _preview(sdk, "SELECT nope FROM " + name)
        assert "Column 'nope' not found" in bad.value.message
        with pytest.raises(ClientException) as unknown:
            sdk.fetch_sql_preview_results_with_options(
                NS,
                vv.FetchSqlPreviewResultsRequest(query_id="no-such-query", session_id="x"),
                vv.FetchSqlPreviewResultsHeaders(workspace=WS),
                RT,
            )
        assert unknown.value.status_code == 404
    finally:
        _execute(sdk, f"DROP TABLE IF EXISTS {name}")


def test_sql_execution_start_fetch_stop(sdk: Client) -> None:
    started = sdk.start_sql_execution_with_options(
        NS,
        vv.StartSqlExecutionRequest(
            body=vv.StartSqlExecutionBody(
                sql_script="SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS t(id, name)",
                description="two rows",
            )
        ),
        vv.StartSqlExecutionHeaders(workspace=WS),
        RT,
    ).body.data
    assert started.success
    assert started.newly_created
    rows: list[list[str]] = []
    deadline = time.monotonic() + 60
    state = "RUNNING"
    while time.monotonic() < deadline:
        result = sdk.fetch_sql_execution_result_with_options(
            NS,
            started.sql_execution_id,
            vv.FetchSqlExecutionResultRequest(),
            vv.FetchSqlExecutionResultHeaders(workspace=WS),
            RT,
        ).body.data
        for update in result.dql_result.table_results[0].row_updates:
            rows.append([c.value for c in update.row.cells])
        state = result.sql_execution.state
        if state != "RUNNING":
            break
        time.sleep(0.2)
    assert state == "FINISHED"
    assert sorted(rows) == [["1", "a"], ["2", "b"]]
    assert result.sql_execution.description == "two rows"
    stopped = sdk.stop_sql_execution_with_options(
        NS,
        started.sql_execution_id,
        vv.StopSqlExecutionRequest(),
        vv.StopSqlExecutionHeaders(workspace=WS),
        RT,
    ).body
    assert stopped.success
    assert stopped.data.success


def test_sql_deployment_reads_and_writes_catalog_tables(sdk: Client, jobs: Jobs) -> None:
    """No DDL in the script: its tables come from the namespace's catalog."""
    tag = uuid.uuid4().hex[:8]
    _execute(
        sdk,
        f"CREATE TABLE src_{tag} (id BIGINT, name STRING) "
        "WITH ('connector' = 'datagen', 'rows-per-second' = '5')",
    )
    _execute(
        sdk, f"CREATE TABLE snk_{tag} (id BIGINT, name STRING) WITH ('connector' = 'blackhole')"
    )
    try:
        created = _create(sdk, sql=f"INSERT INTO snk_{tag} SELECT id, name FROM src_{tag};")
        job = _start(sdk, created.deployment_id)
        jobs.started.append(job.job_id)
        running = jobs.wait(job.job_id, "RUNNING", "FAILED")
        assert running.status.current_job_status == "RUNNING", running.to_map()
        with pytest.raises(ClientException) as unknown:  # planned with the catalog: refused
            _create(sdk, sql=f"INSERT INTO snk_{tag} SELECT id, name FROM nope_{tag};")
        assert f"nope_{tag}" in unknown.value.message
    finally:
        jobs.stop_all()
        _execute(sdk, f"DROP TABLE IF EXISTS src_{tag}")
        _execute(sdk, f"DROP TABLE IF EXISTS snk_{tag}")
