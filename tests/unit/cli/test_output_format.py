"""What the CLI prints: not wrapped when piped, one time format with its zone, the
deployments' job counts, and ``validate -o json`` as a verdict with numeric positions."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from millstream.cli.main import app
from millstream.cli.output import render, when
from millstream.cli.state import CliState
from millstream.client import ClientConfig, MillstreamClient
from tests.unit.cli.conftest import Invoke
from tests.unit.cli.fake_server import AK, SK, FakeServer

LONG_NAME = "orders-enrichment-" + "x" * 100


def _piped(server: FakeServer, tmp_path: Path, *args: str) -> Result:
    """The CLI as a pipe runs it: stdout is no terminal and no COLUMNS is set."""

    def factory(config: ClientConfig) -> MillstreamClient:
        return MillstreamClient(config, transport=httpx.MockTransport(server.handle))

    env = {
        "MILLSTREAM_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "MILLSTREAM_ACCESS_KEY_ID": AK,
        "MILLSTREAM_ACCESS_KEY_SECRET": SK,
        "MILLSTREAM_URL": "http://millstream.test:8080",
    }
    runner = CliRunner()
    state = CliState(client_factory=factory, poll=0)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("COLUMNS", raising=False)
        return runner.invoke(app, list(args), obj=state, env=env)


def test_piped_tables_are_not_wrapped(server: FakeServer, tmp_path: Path) -> None:
    deployment = server.add_deployment(LONG_NAME, modifiedAt="1700000000")

    result = _piped(server, tmp_path, "deployments", "list")

    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.stdout.splitlines() if LONG_NAME in line]
    assert deployment["deploymentId"] in row  # the whole row on one line
    header = next(line for line in result.stdout.splitlines() if "NAME" in line)
    assert "MODIFIED" in header


def test_piped_json_is_plain_json(server: FakeServer, tmp_path: Path) -> None:
    server.add_deployment(LONG_NAME, description="word " * 40)

    result = _piped(server, tmp_path, "deployments", "list", "-o", "json")

    (listed,) = json.loads(result.stdout)
    assert listed["description"] == "word " * 40


@pytest.mark.parametrize(
    "value",
    [1700000000, "1700000000", 1700000000123, "2023-11-14T22:13:20.673595Z",
     "2023-11-14T23:13:20+01:00", "2023-11-14T22:13:20"],
)  # fmt: skip
def test_times_print_one_way_in_utc_with_the_zone(value: int | str) -> None:
    assert when(value) == "2023-11-14T22:13:20Z"


def test_deployments_list_shows_job_counts(invoke: Invoke, server: FakeServer) -> None:
    summary = {"starting": 0, "running": 1, "cancelling": 0, "cancelled": 2, "finished": 0}
    server.add_deployment("orders", jobSummary=summary | {"failed": 0})

    table = invoke("deployments", "list")
    as_json = invoke("deployments", "list", "-o", "json")

    assert table.exit_code == 0, table.output
    assert "JOBS" in table.stdout
    assert "running 1, cancelled 2" in table.stdout
    assert json.loads(as_json.stdout)[0]["jobSummary"]["running"] == 1


def test_validate_json_is_a_verdict_with_numbers(invoke: Invoke, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.sql", tmp_path / "bad.sql"
    good.write_text("INSERT INTO s SELECT * FROM t;\n")
    bad.write_text("CREATE TABLE t (a INT);\n  SELEC a FROM t;\n")

    valid = json.loads(invoke("validate", str(good), "-o", "json").stdout)
    invalid = invoke("-o", "json", "validate", str(bad))

    assert valid == {
        "file": str(good),
        "valid": True,
        "validationResult": "VALIDATION_RESULT_VALID_INSERT_QUERY",
    }
    assert invalid.exit_code == 1
    verdict = json.loads(invalid.stdout)
    assert verdict["valid"] is False
    assert (verdict["lineNumber"], verdict["columnNumber"]) == (2, 3)


def test_times_in_plain_answers_are_printed_the_same_way(
    capsys: pytest.CaptureFixture[str],
) -> None:
    render(CliState(), {"startedAt": "2023-11-14T22:13:20.673595Z", "name": "x-2023"})

    printed = capsys.readouterr().out
    assert "2023-11-14T22:13:20Z" in printed
    assert ".673595" not in printed
    assert "x-2023" in printed
