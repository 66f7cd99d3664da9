"""``millstream apply --hot-update`` against ``FakeServer``: which running jobs get a hot
update (only parallelism / flinkConf changes) and which are left to a restart."""

from __future__ import annotations

from pathlib import Path

from tests.unit.cli.conftest import Invoke
from tests.unit.cli.fake_server import FakeServer

MANAGED = {"millstream.io/managed-by": "apply"}


def _running(server: FakeServer) -> str:
    deployment = server.add_deployment(
        "orders",
        labels=MANAGED,
        streamingResourceSetting={
            "resourceSettingMode": "BASIC",  # as the server answers
            "basicResourceSetting": {"parallelism": 1},
        },
    )
    return str(server.add_job(deployment, "RUNNING")["jobId"])


def _file(tmp_path: Path, body: str) -> str:
    path = tmp_path / "d.yaml"
    path.write_text(
        "name: orders\nartifact: {kind: SQLSCRIPT, sqlArtifact: {sqlScript: '" + body + "'}}\n"
        "parallelism: 4\n",
        encoding="utf-8",
    )
    return str(path)


def test_hot_update_brings_a_new_parallelism_to_the_running_job(
    invoke: Invoke, server: FakeServer, tmp_path: Path
) -> None:
    job_id = _running(server)
    result = invoke("apply", "-f", _file(tmp_path, "SELECT 1;"), "--hot-update", "--wait")
    assert result.exit_code == 0, result.output
    assert [update["jobId"] for update in server.hot_updates.values()] == [job_id]
    assert server.hot_updates["hu-1"]["phase"] == "DONE"
    assert "Hot update hu-1 of job" in result.stderr
    assert "(1 changed)" in result.stdout


def test_without_hot_update_the_running_job_is_left_and_said_so(
    invoke: Invoke, server: FakeServer, tmp_path: Path
) -> None:
    job_id = _running(server)
    result = invoke("apply", "-f", _file(tmp_path, "SELECT 1;"))
    assert result.exit_code == 0, result.output
    assert server.hot_updates == {}
    assert f"live job {job_id} (RUNNING) keeps its old spec until restarted" in result.stderr


def test_an_artifact_change_is_never_hot_updated(
    invoke: Invoke, server: FakeServer, tmp_path: Path
) -> None:
    _running(server)
    planned = invoke("diff", "-f", _file(tmp_path, "SELECT 2;"), "-o", "json")
    assert planned.exit_code == 8
    assert '"hotUpdatable": false' in planned.stdout
    result = invoke("apply", "-f", _file(tmp_path, "SELECT 2;"), "--hot-update")
    assert result.exit_code == 0, result.output
    assert server.hot_updates == {}
    assert "keeps its old spec until restarted" in result.stderr
