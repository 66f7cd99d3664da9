"""``millstream drafts``, ``plans`` and ``lineage`` as a subprocess against the shared
real server on real Flink.

A draft with a bad line is reported at its line and column (exit 1, the caret format of
``millstream validate``); fixed, it validates and deploys into a deployment that exists;
a second deploy with ``--diff`` shows the changed SQL line and keeps the replaced spec,
which ``rollback`` puts back. The deployment's lineage names the tables it reads and
writes; a scheduled plan is created and applied, stopped and deleted. Nothing starts a job,
so it costs seconds.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import _ok, _run, server  # noqa: F401 - the skip-aware fixture

pytestmark = pytest.mark.flink

GOOD_SQL = """CREATE TEMPORARY TABLE src (id BIGINT, name VARCHAR)
WITH ('connector' = 'datagen', 'rows-per-second' = '5');
CREATE TEMPORARY TABLE snk (id BIGINT, name VARCHAR) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT id, name FROM src;
"""
CHANGED_SQL = GOOD_SQL.replace("SELECT id, name FROM src", "SELECT id, UPPER(name) FROM src")
# Line 4 has the mistake, so the report must point at 4:<column>.
BAD_SQL = GOOD_SQL.replace("SELECT id, name", "SELEC id, name")


def test_draft_validate_deploy_diff_rollback_lineage_and_plans(
    server: Any,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    name = f"e2e-draft-{uuid.uuid4().hex[:8]}"
    script = tmp_path / "job.sql"
    script.write_text(BAD_SQL)
    draft = _ok(server, "drafts", "create", name, "--file", str(script))
    draft_id = draft["deploymentDraftId"]
    try:
        bad = _run(server, "drafts", "validate", name)
        assert bad.returncode == 1, bad.stderr
        assert f"{name}:4:" in bad.stdout, bad.stdout
        assert "^" in bad.stdout
        assert "SELEC" in bad.stdout

        script.write_text(GOOD_SQL)
        _ok(server, "drafts", "update", draft_id, "--file", str(script))
        verdict = _ok(server, "drafts", "validate", name)
        assert verdict["valid"] is True

        deployment = _ok(server, "drafts", "deploy", name)
        assert deployment["name"] == name
        shown = _ok(server, "deployments", "get", name)
        assert shown["deploymentId"] == deployment["deploymentId"]

        script.write_text(CHANGED_SQL)
        _ok(server, "drafts", "update", name, "--file", str(script))
        again = _run(server, "drafts", "deploy", name, "--diff", "--yes")
        assert again.returncode == 0, again.stderr
        diff = again.stdout.splitlines()
        assert any(ln.startswith("+") and "SELECT id, UPPER(name) FROM src" in ln for ln in diff)
        assert any(ln.startswith("-") and "SELECT id, name FROM src" in ln for ln in diff)

        revisions = _ok(server, "drafts", "revisions", name)
        assert len(revisions) == 1
        rolled = _ok(server, "drafts", "rollback", name, "--yes")
        assert "UPPER" not in rolled["artifact"]["sqlArtifact"]["sqlScript"]

        lineage = _ok(server, "lineage", name)
        tables = {node["id"] for node in lineage["nodes"]}
        assert any(t.endswith(".src") for t in tables)
        assert any(t.endswith(".snk") for t in tables)

        plan = _ok(
            server, "plans", "create", name, f"{name}-night", "--change", "22:00 parallelism=2",
            "--apply",
        )  # fmt: skip
        assert plan["periodicSchedulingPolicies"][0]["periodicTriggerTime"] == 22 * 3_600_000
        assert plan["status"] == "APPLIED"
        assert _ok(server, "plans", "stop", f"{name}-night")["statusState"] == "STOPPED"
        assert _ok(server, "plans", "history", name) == []
        deleted = _run(server, "plans", "delete", f"{name}-night", "--yes")
        assert deleted.returncode == 0, deleted.stderr
    finally:
        _run(server, "drafts", "delete", draft_id, "--yes")
        _run(server, "deployments", "delete", name, "--yes")
