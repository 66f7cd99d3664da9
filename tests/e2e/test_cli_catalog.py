"""``millstream catalog`` and ``millstream sql preview`` as a subprocess against the
shared real server on real Flink: DDL in, the table listed and its DDL shown, a query's
rows printed, the time budget stopping an unbounded query, refused DDL exiting non-zero.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.e2e.test_cli import _run, server

__all__ = ["server"]

pytestmark = pytest.mark.flink


def test_cli_catalog_and_preview(server: Any) -> None:
    name = f"cli_{uuid.uuid4().hex[:8]}"
    created = _run(
        server,
        "catalog",
        "exec",
        f"CREATE TABLE {name} (n BIGINT, word STRING) COMMENT 'cli' "
        "WITH ('connector' = 'datagen', 'rows-per-second' = '5')",
    )
    assert created.returncode == 0, created.stderr
    try:
        listed = _run(server, "catalog", "tables", "-o", "json")
        assert name in [t["name"] for t in json.loads(listed.stdout)]
        ddl = _run(server, "catalog", "show", name)
        assert ddl.returncode == 0, ddl.stderr
        assert f"CREATE TABLE `vvp`.`default`.`{name}`" in ddl.stdout
        assert "'connector' = 'datagen'" in ddl.stdout

        rows = _run(
            server, "sql", "preview", f"SELECT n FROM {name}", "--rows", "1000", "--timeout", "3"
        )
        assert rows.returncode == 0, rows.stderr
        assert "time budget" in rows.stderr
        assert "op" in rows.stdout  # the table's header

        refused = _run(
            server, "catalog", "exec", f"CREATE VIEW {name}_v AS SELECT nope FROM {name}"
        )
        assert refused.returncode != 0
        assert "Column 'nope' not found" in refused.stderr
    finally:
        _run(server, "catalog", "exec", f"DROP TABLE IF EXISTS {name}")
