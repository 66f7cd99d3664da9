"""``millstream suspend`` and ``resume``, as a subprocess, against a real server on real
Flink: the job is SUSPENDED with its savepoint printed, blocks a new start (exit 4), and
resumes as the same job, RUNNING again. Uses the session fixture ``millstream_server``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from millstream.cli.exit_codes import ExitCode
from tests.e2e.conftest import DATAGEN_SQL, ServerHandle

pytestmark = pytest.mark.flink


def _run(server: ServerHandle, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MILLSTREAM_")}
    env["MILLSTREAM_URL"] = server.url
    env["MILLSTREAM_CREDENTIALS_FILE"] = str(server.credentials_file)
    env["COLUMNS"] = "250"  # Rich wraps stderr lines at the terminal width
    return subprocess.run(
        [sys.executable, "-m", "millstream.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _ok(server: ServerHandle, *args: str) -> tuple[Any, str]:
    """Parsed ``-o json`` stdout and the stderr; fails with the CLI's stderr."""
    result = _run(server, *args, "-o", "json")
    assert result.returncode == 0, f"{args} exited {result.returncode}:\n{result.stderr}"
    return json.loads(result.stdout), result.stderr


def test_cli_suspends_and_resumes_the_same_job(
    millstream_server: ServerHandle, tmp_path: Path
) -> None:
    name = f"e2e-cli-{uuid.uuid4().hex[:8]}"
    script = tmp_path / "job.sql"
    script.write_text(DATAGEN_SQL)
    started, _ = _ok(
        millstream_server, "deploy", "sql", str(script), "--name", name, "--start", "--wait",
        "--timeout", "240",
    )  # fmt: skip
    job_id = started["jobId"]
    try:
        suspended, said = _ok(millstream_server, "suspend", name, "--wait", "--timeout", "180")
        assert (suspended["jobId"], suspended["status"]["currentJobStatus"]) == (
            job_id,
            "SUSPENDED",
        )
        assert "COMPLETED at" in said, said

        refused = _run(millstream_server, "start", name)
        assert refused.returncode == ExitCode.CONFLICT, refused.stderr

        resumed, _ = _ok(millstream_server, "resume", job_id, "--wait", "--timeout", "240")
        assert (resumed["jobId"], resumed["status"]["currentJobStatus"]) == (job_id, "RUNNING")
    finally:
        _run(millstream_server, "stop", job_id, "--cancel", "--wait", "--timeout", "120")
