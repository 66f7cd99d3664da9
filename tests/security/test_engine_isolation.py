"""Issue 19, item 3: a job must not read the control plane's secrets.

An EDITOR's Flink SQL with the ``filesystem`` connector on ``file:///<data_dir>/secret.key``
used to print the key into the job's stdout log, which the API serves. Here the server
runs as root with its own embedded Flink: Flink runs as the ``millstream-flink`` user,
the control plane's files are owner-only, and the attack through the official SDK ends
with nothing of the key in any log the API serves. Also: the data directory's modes,
and the admin secret is printed only to a terminal.
"""

from __future__ import annotations

import io
import os
import stat
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from millstream import server
from millstream.config import Settings
from millstream.control.services.access import IssuedKey
from millstream.engine.flink_user import can_reach, flink_os_user
from millstream.engine.runtime import FlinkRuntime
from tests.ports import free_port
from tests.security.engine_stack import NS, EngineStack, engine_stack

pytestmark = [
    pytest.mark.flink,
    pytest.mark.skipif(os.geteuid() != 0, reason="switching to the Flink OS user needs root"),
]


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineStack]:
    user = flink_os_user("millstream-flink")
    if user is None or not can_reach(FlinkRuntime.detect().home / "bin", user):
        pytest.skip("the Flink OS user cannot reach this checkout's Flink distribution")
    with engine_stack(
        tmp_path_factory.mktemp("isolation") / "data",
        None,  # its own embedded Flink, started as the Flink OS user
        rest_port=_free_port(),
        taskmanager_memory="1024m",
        taskmanager_slots=2,
    ) as running:
        yield running


def _stealing_sql(path: Path) -> str:
    return f"""
CREATE TEMPORARY TABLE stolen (line STRING) WITH (
  'connector' = 'filesystem', 'path' = '{path.as_uri()}', 'format' = 'raw'
);
CREATE TEMPORARY TABLE shown (line STRING) WITH ('connector' = 'print');
INSERT INTO shown SELECT line FROM stolen;
"""


def test_flink_runs_as_its_own_user(stack: EngineStack) -> None:
    local = stack.runtime.local_cluster
    assert local is not None
    pids = local.surviving_pids()
    assert pids
    assert 0 not in {os.stat(f"/proc/{pid}").st_uid for pid in pids}
    # ... and can still write its own logs (the API serves them).
    logs = list(local.log_dir.glob("*standalonesession*.log"))
    assert logs, list(local.log_dir.iterdir())
    assert {path.stat().st_uid for path in logs} == {os.stat(f"/proc/{pids[0]}").st_uid}


def test_control_plane_files_are_owner_only(stack: EngineStack) -> None:
    data = stack.data_dir
    assert stat.S_IMODE(data.stat().st_mode) & 0o066 == 0  # nobody else lists or writes it
    for name in ("millstream.db", "secret.key", "artifacts-signing.key"):
        if (data / name).exists():
            assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE((data / "logs").stat().st_mode) == 0o700


def test_a_job_cannot_read_the_secret_key(stack: EngineStack) -> None:
    key_text = (stack.data_dir / "secret.key").read_text().strip()
    assert key_text
    deployment = stack.sql_deployment(
        stack.editor, NS, _stealing_sql(stack.data_dir / "secret.key")
    )
    job_id = stack.start(stack.editor, NS, deployment)
    # Flink keeps restarting a failing job (restart strategy): wait for its first failure.
    deadline = time.monotonic() + 120
    job = stack.job(stack.editor, NS, job_id)
    while time.monotonic() < deadline and job.status.failure is None:
        assert job.status.current_job_status != "FINISHED", "the job read the key"
        time.sleep(0.5)
        job = stack.job(stack.editor, NS, job_id)
    assert job.status.current_job_status != "FINISHED"
    assert job.status.failure is not None, job.to_map()
    assert "millstream-flink" in job.status.failure.message, job.status.failure.message
    for kind in ("stdout", "taskmanager", "jobmanager"):
        answer = stack.call(
            stack.editor,
            "GET",
            f"/api/v2/namespaces/{NS}/jobs/{job_id}/logs",
            params={"kind": kind},
        )
        assert answer.status_code == 200, answer.text
        assert key_text not in answer.text, kind
    assert key_text not in str(stack.job(stack.editor, NS, job_id).to_map())


def test_admin_secret_is_printed_only_to_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = tmp_path / "home" / "credentials"
    monkeypatch.setenv("MILLSTREAM_CREDENTIALS_FILE", str(credentials))
    issued = cast(
        IssuedKey,
        types.SimpleNamespace(key=types.SimpleNamespace(id="AK1"), secret="the-admin-secret"),
    )

    def banner(tty: bool) -> str:
        runtime = types.SimpleNamespace(
            access=types.SimpleNamespace(ensure_admin=lambda: issued),
            settings=Settings(data_dir=tmp_path / "data"),
            extras={},
        )
        stdout = io.StringIO()
        monkeypatch.setattr(stdout, "isatty", lambda: tty)
        monkeypatch.setattr(sys, "stdout", stdout)
        server._issue_admin_key(cast(server.Runtime, runtime))
        return "\n".join(runtime.extras["banner"])

    to_file = banner(tty=False)
    assert "the-admin-secret" not in to_file
    assert str(credentials) in to_file
    assert "the-admin-secret" in credentials.read_text()
    assert not (tmp_path / "data" / "credentials").exists()  # not in the data directory
    assert "the-admin-secret" in banner(tty=True)
