"""``millstream logs``: the job's lines by default (the server's note on stderr),
the whole cluster log with ``--cluster``."""

from __future__ import annotations

from tests.unit.cli.conftest import Invoke
from tests.unit.cli.fake_server import FakeServer


def test_logs_shows_the_jobs_lines_and_says_so_on_stderr(
    invoke: Invoke, server: FakeServer
) -> None:
    server.add_job(server.add_deployment("orders"), "RUNNING")
    result = invoke("logs", "orders")
    assert result.exit_code == 0
    assert "another job's line" not in result.stdout
    assert "Only the lines of this job" in result.stderr
    assert "Only the lines" not in result.stdout


def test_logs_cluster_shows_the_whole_cluster_log(invoke: Invoke, server: FakeServer) -> None:
    server.add_job(server.add_deployment("orders"), "RUNNING")
    result = invoke("logs", "orders", "--cluster")
    assert result.exit_code == 0
    assert "another job's line" in result.stdout
    assert "Only the lines" not in result.stderr
