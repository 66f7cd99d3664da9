"""``millstream diff|apply -f`` against a real server: uvicorn serving the app over real
services on SQLite (Flink faked, ``build_stack``), the real CLI and client over HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner, Result

from millstream.cli.commands import apply as apply_command
from millstream.cli.main import app
from millstream.cli.state import CliState
from millstream.client import ClientConfig, Deployment, MillstreamClient
from millstream.domain.jobs import JobStatus, StopStrategy
from tests.integration.api.test_native_variables import NS, WS, Stack, build_stack
from tests.ports import free_port

Run = Callable[..., Result]
EXAMPLE = Path(__file__).parents[3] / "examples" / "apply" / "deployments.yaml"
SQL = "INSERT INTO sink SELECT * FROM src;"


def _doc(name: str, parallelism: int = 1, **extra: str) -> str:
    lines = [
        f"name: {name}",
        f"parallelism: {parallelism}",
        "flinkConf: {pipeline.name: " + name + "}",
        "artifact: {kind: SQLSCRIPT, sqlArtifact: {sqlScript: '" + SQL + "'}}",
        *(f"{key}: {value}" for key, value in extra.items()),
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    built = build_stack(tmp_path / "server")
    yield built
    built.store.close()


@pytest.fixture
def url(stack: Stack) -> Iterator[str]:
    port = free_port()  # reserved: safe under pytest-xdist (tests/ports.py)
    server = uvicorn.Server(
        uvicorn.Config(stack.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def env(url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "MILLSTREAM_URL": url,
        "MILLSTREAM_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "MILLSTREAM_ACCESS_KEY_ID": "AK",
        "MILLSTREAM_ACCESS_KEY_SECRET": "SK",
        "MILLSTREAM_PROFILE": "",
        "MILLSTREAM_WORKSPACE": WS,
        "MILLSTREAM_NAMESPACE": NS,
        "COLUMNS": "200",
    }


@pytest.fixture
def run(env: dict[str, str]) -> Run:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, list(args), obj=CliState(poll=0), env=env)

    return invoke


@pytest.fixture
def client(env: dict[str, str]) -> Iterator[MillstreamClient]:
    config = ClientConfig.load(
        None, url=env["MILLSTREAM_URL"], workspace=WS, namespace=NS, access_key_id="AK",
        access_key_secret="SK", credentials_file=Path(env["MILLSTREAM_CREDENTIALS_FILE"]),
    )  # fmt: skip
    with MillstreamClient(config) as made:
        yield made


def _file(tmp_path: Path, *docs: str) -> str:
    path = tmp_path / "deployments.yaml"
    path.write_text("---\n".join(docs), encoding="utf-8")
    return str(path)


def test_apply_twice_changes_nothing_the_second_time(
    run: Run, client: MillstreamClient, tmp_path: Path
) -> None:
    file = _file(tmp_path, _doc("orders", 2), _doc("clicks"))
    first = run("apply", "-f", file)
    assert first.exit_code == 0, first.output
    assert "2 created" in first.stdout
    orders = client.get_deployment_by_name("orders")
    assert orders.parallelism == 2
    assert orders.labels == {"millstream.io/managed-by": "apply"}
    assert orders.flink_conf == {"pipeline.name": "orders"}
    second = run("apply", "-f", file)
    assert second.exit_code == 0, second.output
    assert "(0 changed)" in second.stdout
    assert client.get_deployment_by_name("orders").resource_version == orders.resource_version


def test_the_example_file_applies_and_is_then_in_sync(run: Run) -> None:
    applied = run("apply", "-f", str(EXAMPLE))
    assert applied.exit_code == 0, applied.output
    assert "3 created" in applied.stdout
    checked = run("diff", "-f", str(EXAMPLE))
    assert checked.exit_code == 0, checked.output
    assert "3 unchanged" in checked.stdout


def test_diff_exits_8_with_field_changes_and_0_once_applied(
    run: Run, client: MillstreamClient, tmp_path: Path
) -> None:
    assert run("apply", "-f", _file(tmp_path, _doc("orders"))).exit_code == 0
    file = _file(tmp_path, _doc("orders", 3), _doc("clicks"))
    planned = run("diff", "-f", file, "-o", "json")
    assert planned.exit_code == 8, planned.output
    plan = json.loads(planned.stdout)
    by_name = {change["name"]: change for change in plan["changes"]}
    assert by_name["clicks"]["action"] == "create"
    assert by_name["orders"]["action"] == "update"
    assert by_name["orders"]["fields"] == [
        {
            "path": "streamingResourceSetting.basicResourceSetting.parallelism",
            "old": 1,
            "new": 3,
        }
    ]
    assert plan["summary"]["changed"] == 2
    assert client.get_deployment_by_name("orders").parallelism == 1  # diff changed nothing
    dry = run("apply", "-f", file, "--dry-run")
    assert dry.exit_code == 0
    assert "~ update  orders" in dry.stdout
    assert client.get_deployment_by_name("orders").parallelism == 1
    assert run("apply", "-f", file).exit_code == 0
    assert run("diff", "-f", file).exit_code == 0


def test_prune_deletes_only_applied_deployments_the_file_dropped(
    run: Run, client: MillstreamClient, tmp_path: Path
) -> None:
    handmade = run("deploy", "sql", str(_sql(tmp_path)), "--name", "handmade")
    assert handmade.exit_code == 0, handmade.output
    assert run("apply", "-f", _file(tmp_path, _doc("orders"), _doc("clicks"))).exit_code == 0
    file = _file(tmp_path, _doc("orders"))
    without = run("apply", "-f", file)
    assert "(0 changed)" in without.stdout  # no --prune: clicks stays
    planned = run("diff", "-f", file, "--prune")
    assert planned.exit_code == 8
    assert "- delete  clicks" in planned.stdout
    assert "handmade" not in planned.stdout
    pruned = run("apply", "-f", file, "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert "1 deleted" in pruned.stdout
    names = {dep.name for dep in client.list_deployments().items}
    assert names == {"orders", "handmade"}


def test_prune_with_a_selector_leaves_other_applied_deployments(
    run: Run, client: MillstreamClient, tmp_path: Path
) -> None:
    docs = [_doc("a", labels="{team: x}"), _doc("b", labels="{team: y}")]
    assert run("apply", "-f", _file(tmp_path, *docs)).exit_code == 0
    empty = _file(tmp_path, "")
    pruned = run("apply", "-f", empty, "--prune", "-l", "team=x")
    assert pruned.exit_code == 0, pruned.output
    assert {dep.name for dep in client.list_deployments().items} == {"b"}


def test_prune_refuses_a_live_job_unless_forced(
    run: Run, client: MillstreamClient, stack: Stack, tmp_path: Path
) -> None:
    assert run("apply", "-f", _file(tmp_path, _doc("orders"), _doc("clicks"))).exit_code == 0
    clicks = client.get_deployment_by_name("clicks")
    job = client.start_job(clicks.deployment_id or "")
    stack.set_status(job.job_id or "", JobStatus.RUNNING)
    file = _file(tmp_path, _doc("orders", 2))
    refused = run("apply", "-f", file, "--prune")
    assert refused.exit_code == 4, refused.output
    assert "nothing was changed" in refused.stderr
    assert client.get_deployment_by_name("orders").parallelism == 1  # all or nothing
    assert "blocks it; use --force" in run("diff", "-f", file, "--prune").stdout

    def cancel_when_asked() -> None:  # the reconciler's part: carry out the cancel
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with stack.store.transaction() as repos:
                stored = repos.read_job(job_id=job.job_id or "")
            if stored is not None and stored.stop_strategy is StopStrategy.NONE:
                stack.set_status(job.job_id or "", JobStatus.CANCELLED)
                return
            time.sleep(0.05)

    helper = threading.Thread(target=cancel_when_asked)
    helper.start()
    forced = run("apply", "-f", file, "--prune", "--force", "--timeout", "20")
    helper.join()
    assert forced.exit_code == 0, forced.output
    assert {dep.name for dep in client.list_deployments().items} == {"orders"}


def test_a_bad_document_names_file_and_index_and_changes_nothing(
    run: Run, client: MillstreamClient, tmp_path: Path
) -> None:
    bad = _doc("clicks").replace("sqlScript:", "sqlScrpt:")
    file = _file(tmp_path, _doc("orders"), bad)
    result = run("apply", "-f", file)
    assert result.exit_code == 1
    assert "deployments.yaml, document 2 (clicks)" in result.stderr
    assert "artifact.sqlArtifact.sqlScrpt" in result.stderr
    assert client.list_deployments().items == []


def _sql(tmp_path: Path) -> Path:
    path = tmp_path / "job.sql"
    path.write_text(SQL, encoding="utf-8")
    return path


def test_a_deployment_changed_after_planning_is_a_conflict_not_overwritten(
    run: Run, client: MillstreamClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("apply", "-f", _file(tmp_path, _doc("orders"))).exit_code == 0
    listed = apply_command._current

    def list_then_someone_edits(made: MillstreamClient) -> list[Deployment]:
        seen = listed(made)
        orders = client.get_deployment_by_name("orders")
        client.update_deployment(orders.deployment_id or "", Deployment(description="by hand"))
        return seen

    monkeypatch.setattr(apply_command, "_current", list_then_someone_edits)
    result = run("apply", "-f", _file(tmp_path, _doc("orders", 2)))
    assert result.exit_code == 4, result.output
    assert client.get_deployment_by_name("orders").parallelism == 1
