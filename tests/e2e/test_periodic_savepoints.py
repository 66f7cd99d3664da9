"""Periodic savepoints on real Flink through the shared server (``millstream_server``):
``millstream savepoints schedule NAME --every 2s --keep 2`` takes SCHEDULE savepoints of
the running job and retention deletes the older ones, rows and files; ``--off`` stops it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import DATAGEN_SQL, Api, ServerHandle

pytestmark = pytest.mark.flink


def _cli(server: ServerHandle, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MILLSTREAM_")}
    env["MILLSTREAM_URL"] = server.url
    env["MILLSTREAM_CREDENTIALS_FILE"] = str(server.credentials_file)
    result = subprocess.run(
        [sys.executable, "-m", "millstream.cli", *args, "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{args} exited {result.returncode}:\n{result.stderr}"
    return json.loads(result.stdout) if result.stdout.strip() else None


def _local(location: str) -> Path:
    return Path(urlparse(location).path) if location.startswith("file:") else Path(location)


def test_schedule_every_2s_keep_2_takes_savepoints_and_deletes_old_files(
    millstream_server: ServerHandle, api: Api, tmp_path: Path
) -> None:
    name = f"e2e-periodic-{uuid.uuid4().hex[:8]}"
    script = tmp_path / "job.sql"
    script.write_text(DATAGEN_SQL)
    started = _cli(
        millstream_server, "deploy", "sql", str(script), "--name", name, "--start", "--wait",
        "--timeout", "240",
    )  # fmt: skip
    job_id, deployment_id = started["jobId"], started["deploymentId"]
    try:
        shown = _cli(
            millstream_server, "savepoints", "schedule", name, "--every", "2s", "--keep", "2"
        )
        assert (shown["intervalSeconds"], shown["maxCount"], shown["every"]) == (2, 2, "2s")
        seen: dict[str, str] = {}  # id -> location of every completed scheduled savepoint
        current: list[dict[str, Any]] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            current = api.ok("GET", "savepoints", params={"deploymentId": deployment_id})
            for s in current:
                if s["savepointOrigin"] == "SCHEDULE" and s["status"]["state"] == "COMPLETED":
                    seen[s["savepointId"]] = s["savepointLocation"]
            gone = set(seen) - {s["savepointId"] for s in current}
            if len(seen) >= 4 and len(gone) >= 2:
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"saw {seen}, now {current}\n{millstream_server.log_tail()}")
        finished = [s for s in current if s["status"]["state"] != "STARTED"]
        assert len(finished) <= 2, current
        for savepoint_id in gone:
            assert not _local(seen[savepoint_id]).exists(), seen[savepoint_id]
        for s in finished:
            assert _local(s["savepointLocation"]).exists()
        assert _cli(millstream_server, "savepoints", "schedule", name, "--off") is None
        status, _ = api.call("GET", f"deployments/{deployment_id}/savepoint-schedule")
        assert status == 404
    finally:
        api.ok("POST", f"jobs/{job_id}:stop", body={"stopStrategy": "NONE"})
        api.wait_status(job_id, "CANCELLED", "FAILED")
