"""The real CLI against a real server on real Flink (the session's ``millstream_server``):
``deploy sql`` of invalid SQL is reported at its line and column with a caret, as
``validate`` reports it; ``--conf`` reaches the stored deployment; ``deployments list -o
json`` carries each deployment's ``jobSummary``; piped tables are not wrapped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.flink

GOOD_SQL = """CREATE TEMPORARY TABLE src (id BIGINT) WITH ('connector' = 'datagen');
CREATE TEMPORARY TABLE snk (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT id FROM src;
"""
BAD_SQL = """CREATE TEMPORARY TABLE src (id BIGINT) WITH ('connector' = 'datagen');
SELEC id FROM src;
"""


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Any:
    try:
        return request.getfixturevalue("millstream_server")
    except pytest.FixtureLookupError:
        pytest.skip("needs the millstream_server fixture (real server + Flink, tests/e2e)")


def _run(server: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MILLSTREAM_")}
    env.pop("COLUMNS", None)  # as in a pipe: the CLI must not wrap
    env["MILLSTREAM_URL"] = str(server.url)
    env["MILLSTREAM_CREDENTIALS_FILE"] = str(server.credentials_file)
    return subprocess.run(
        [sys.executable, "-m", "millstream.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_deploy_of_invalid_sql_points_at_line_and_column(server: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text(BAD_SQL)

    result = _run(server, "deploy", "sql", str(bad), "--name", f"bad-{uuid.uuid4().hex[:8]}")

    assert result.returncode == 1, result.stdout + result.stderr
    first, source, caret = result.stderr.splitlines()[:3]
    assert first.startswith(f"{bad}:2:"), result.stderr
    assert ": error: " in first
    assert source == "   2 | SELEC id FROM src;"
    assert caret.strip().startswith("| ")
    assert caret.endswith("^")


def test_conf_job_summary_and_unwrapped_tables(server: Any, tmp_path: Path) -> None:
    name = f"e2e-conf-{uuid.uuid4().hex[:8]}-" + "n" * 60
    script = tmp_path / "good.sql"
    script.write_text(GOOD_SQL)
    try:
        created = _run(
            server, "deploy", "sql", str(script), "--name", name,
            "--conf", "pipeline.object-reuse=true", "-o", "json",
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        assert json.loads(created.stdout)["flinkConf"]["pipeline.object-reuse"] == "true"

        listed = _run(server, "deployments", "list", "--name", name, "-o", "json")
        (deployment,) = json.loads(listed.stdout)
        assert deployment["jobSummary"] == {
            "starting": 0, "running": 0, "cancelling": 0,
            "cancelled": 0, "finished": 0, "failed": 0,
        }  # fmt: skip

        table = _run(server, "deployments", "list", "--name", name)
        (row,) = [line for line in table.stdout.splitlines() if name in line]
        assert deployment["deploymentId"] in row
    finally:
        _run(server, "deployments", "delete", name, "--yes")
