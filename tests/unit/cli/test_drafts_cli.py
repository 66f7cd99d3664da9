"""``millstream drafts``, ``plans`` and ``lineage`` against ``FakeServer`` plus the draft,
plan and lineage routes answered here: the bodies the commands send, how they name drafts
and plans (id or name), the caret report of an invalid draft (exit 1), deploy's wait on
its ticket and ``--diff``, and that bad input is a usage error before any request."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest

from tests.unit.cli.conftest import Invoke
from tests.unit.cli.fake_server import FakeServer


def _ok(data: Any, **extra: Any) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "httpCode": 200, "data": data, **extra})


class DevRoutes:
    """Answers drafts, tickets, revisions, rollback, scheduled plans and lineage; every
    other request goes to the fake server."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.inner = server.handle
        self.drafts: dict[str, dict[str, Any]] = {}
        self.plans: dict[str, dict[str, Any]] = {}
        self.bodies: list[tuple[str, str, Any]] = []
        self.ticket_reads = 0
        self.invalid_at: tuple[int, int] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode().split("?")[0]
        mine = ("/deployment-drafts", "/scheduled-plans", "/meta/v2/lineage", "/rollback")
        if not any(part in path for part in mine) and "spec-revisions" not in path:
            return self.inner(request)
        body = json.loads(request.content) if request.content else None
        self.bodies.append((request.method, path + "?" + request.url.query.decode(), body))
        return self._answer(request.method, path, body)

    def _answer(self, method: str, path: str, body: Any) -> httpx.Response:
        if path.endswith("/deployment-drafts") and method == "POST":
            draft = {"deploymentDraftId": str(uuid.uuid4()), "parentId": "0", **body}
            self.drafts[draft["deploymentDraftId"]] = draft
            return _ok(draft)
        if path.endswith("/deployment-drafts"):
            return _ok(list(self.drafts.values()), totalSize=len(self.drafts))
        if path.endswith("/getLock"):
            return _ok({"id": "lock-1", "holderName": "admin", "expiresAt": 1_800_000_000_000})
        if path.endswith("/async-validate") or path.endswith("/async-deploy"):
            if "/tickets/" not in path:
                return _ok({"ticketId": "t-" + path.rsplit("-", 1)[1]})
            return self._ticket(path)
        match = re.search(r"/deployment-drafts/([^/]+)$", path)
        if match:
            draft_id = match.group(1)
            if method == "PATCH":
                self.drafts[draft_id].update(body)
            if method == "DELETE":
                self.drafts.pop(draft_id)
                return _ok(None)
            return _ok(self.drafts[draft_id])
        if path.endswith("/spec-revisions"):
            return _ok([{"revisionId": "rev-1", "createdAt": 1_700_000_000_000, "creator": "a"}])
        if path.endswith("/rollback"):
            deployment = next(iter(self.server.deployments.values()))
            return _ok({**deployment, "replacedSpecRevisionId": "rev-2"})
        if "/meta/v2/lineage" in path:
            return _ok(_LINEAGE)
        return self._plan(method, path, body)

    def _ticket(self, path: str) -> httpx.Response:
        self.ticket_reads += 1
        if self.ticket_reads == 1:
            return _ok({"ticketStatus": "PROCESSING"})
        if path.endswith("async-validate"):
            if self.invalid_at is None:
                return _ok({"ticketStatus": "FINISHED", "success": True})
            line, column = self.invalid_at
            error = {"lineNumber": str(line), "columnNumber": str(column), "message": "bad"}
            detail = {"sqlValidationResult": "VALIDATION_RESULT_INVALID", "sqlErrorDetail": error}
            return _ok(
                {"ticketStatus": "FAILED", "success": False, "draftValidationDetail": detail}
            )
        deployment = self.server.add_deployment("orders")
        return _ok(
            {
                "ticketStatus": "FINISHED",
                "success": True,
                "deploymentId": deployment["deploymentId"],
            }
        )

    def _plan(self, method: str, path: str, body: Any) -> httpx.Response:
        if path.endswith("/scheduled-plans") and method == "POST":
            plan = {"scheduledPlanId": f"plan-{len(self.plans) + 1}", "status": "NOT_APPLIED"}
            plan.update(body)
            self.plans[plan["scheduledPlanId"]] = plan
            return _ok(plan)
        if path.endswith("/scheduled-plans"):
            return _ok(list(self.plans.values()))
        plan_id = path.rsplit("/", 1)[1].split("%3A")[0]
        if path.endswith("%3Aapply") or path.endswith("%3Astop"):
            state = "RUNNING" if path.endswith("apply") else "STOPPED"
            self.plans[plan_id]["status"] = "APPLIED" if state == "RUNNING" else "NOT_APPLIED"
            return _ok({"scheduledPlanId": plan_id, "statusState": state})
        return _ok(self.plans.pop(plan_id))


_LINEAGE = {
    "nodes": [
        {"id": "c.d.src", "connector": "datagen"},
        {"id": "c.d.snk", "connector": "blackhole"},
    ],
    "edges": {
        "tableLineage": [{"source": "c.d.src", "destination": "c.d.snk", "jobId": "dep-1"}],
        "columnLineage": [{"source": "c.d.src.id", "destination": "c.d.snk.id", "jobId": "dep-1"}],
    },
    "jobInfos": [{"id": "dep-1", "properties": {"deploymentName": "orders"}}],
}


@pytest.fixture
def routes(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> DevRoutes:
    handler = DevRoutes(server)
    monkeypatch.setattr(server, "handle", handler)
    return handler


_DEPLOY = "/api/v2/namespaces/default-namespace/deployment-drafts/async-deploy"
SQL = "CREATE TABLE t (a INT);\nINSERT INTO t SELEC 1;\n"


def _create(invoke: Invoke, tmp_path: Any, *extra: str) -> dict[str, Any]:
    script = tmp_path / "orders.sql"
    script.write_text(SQL)
    result = invoke("drafts", "create", "orders", "--file", str(script), *extra, "-o", "json")
    assert result.exit_code == 0, result.output
    created: dict[str, Any] = json.loads(result.stdout)
    return created


def test_create_sends_the_script_labels_and_variables(
    invoke: Invoke, routes: DevRoutes, tmp_path: Any
) -> None:
    draft = _create(invoke, tmp_path, "--label", "team=data", "--var", "topic=orders")
    method, _, body = routes.bodies[0]
    assert method == "POST"
    assert body["artifact"] == {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": SQL}}
    assert body["labels"] == {"team": "data"}
    assert body["localVariables"] == [{"name": "topic", "value": "orders"}]
    assert body["executionMode"] == "STREAMING"
    assert draft["name"] == "orders"


def test_malformed_label_is_a_usage_error_before_any_request(
    invoke: Invoke, routes: DevRoutes, tmp_path: Any
) -> None:
    script = tmp_path / "orders.sql"
    script.write_text(SQL)
    result = invoke("drafts", "create", "orders", "--file", str(script), "--label", "nokey")
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output
    assert routes.bodies == []


@pytest.mark.usefixtures("routes")
def test_show_by_name_and_unknown_name_exits_3(invoke: Invoke, tmp_path: Any) -> None:
    draft = _create(invoke, tmp_path)
    shown = invoke("drafts", "show", "orders", "-o", "json")
    assert json.loads(shown.stdout)["deploymentDraftId"] == draft["deploymentDraftId"]
    missing = invoke("drafts", "show", "nope")
    assert missing.exit_code == 3
    assert "no draft 'nope'" in missing.output


def test_validate_prints_the_caret_report_and_exits_1(
    invoke: Invoke, routes: DevRoutes, tmp_path: Any
) -> None:
    _create(invoke, tmp_path)
    routes.invalid_at = (2, 15)
    result = invoke("drafts", "validate", "orders")
    assert result.exit_code == 1
    assert "orders:2:15: error: bad" in result.stdout
    assert "   2 | INSERT INTO t SELEC 1;" in result.stdout
    assert result.stdout.splitlines()[-1].endswith(" " * 14 + "^")
    assert routes.ticket_reads == 2  # it waited past PROCESSING


def test_validate_json_gives_line_and_column(
    invoke: Invoke, routes: DevRoutes, tmp_path: Any
) -> None:
    _create(invoke, tmp_path)
    routes.invalid_at = (2, 15)
    result = invoke("drafts", "validate", "orders", "-o", "json")
    assert result.exit_code == 1
    verdict = json.loads(result.stdout)
    assert (verdict["valid"], verdict["lineNumber"], verdict["columnNumber"]) == (False, 2, 15)


def test_deploy_with_diff_waits_and_prints_the_deployment(
    invoke: Invoke, routes: DevRoutes, tmp_path: Any
) -> None:
    _create(invoke, tmp_path)
    result = invoke("drafts", "deploy", "orders", "--diff", "--yes", "-o", "json")
    assert result.exit_code == 0, result.output
    assert "+++ draft/orders" in result.stderr  # diff kept off stdout for -o json
    assert "+      INSERT INTO t SELEC 1;" in result.stderr
    deployment = json.loads(result.stdout)
    assert deployment["name"] == "orders"
    deploy_body = next(b for _, p, b in routes.bodies if p.startswith(_DEPLOY))
    assert deploy_body["skipValidate"] is False


def test_deploy_diff_without_yes_asks_and_can_be_refused(
    invoke: Invoke, routes: DevRoutes, tmp_path: Any
) -> None:
    _create(invoke, tmp_path)
    result = invoke("drafts", "deploy", "orders", "--diff", input="n\n")
    assert result.exit_code == 1  # aborted
    assert "--- /dev/null" in result.stdout
    assert not any(p.split("?")[0].endswith("/async-deploy") for _, p, _ in routes.bodies)


def test_lock_delete_revisions_and_rollback(
    invoke: Invoke, routes: DevRoutes, server: FakeServer, tmp_path: Any
) -> None:
    draft = _create(invoke, tmp_path)
    locked = invoke("drafts", "lock", "orders", "--ttl", "600", "-o", "json")
    assert json.loads(locked.stdout)["holderName"] == "admin"
    assert any("ttlSeconds=600" in p for _, p, _ in routes.bodies)
    assert invoke("drafts", "lock", "orders", "--ttl", "5").exit_code == 2
    server.add_deployment("orders")
    revisions = invoke("drafts", "revisions", "orders")
    assert "rev-1" in revisions.stdout
    rolled = invoke("drafts", "rollback", "orders", "--yes", "--revision", "rev-1")
    assert rolled.exit_code == 0, rolled.output
    assert "kept as rev-2" in rolled.stderr
    assert routes.bodies[-1][2] == {"revisionId": "rev-1"}
    assert invoke("drafts", "delete", draft["deploymentDraftId"], "--yes").exit_code == 0
    assert routes.drafts == {}


def test_plans_create_apply_stop_delete(
    invoke: Invoke, routes: DevRoutes, server: FakeServer
) -> None:
    deployment = server.add_deployment("orders")
    created = invoke(
        "plans", "create", "orders", "busy", "--change", "mon,fri 08:30 parallelism=4",
        "--change", "daily 20:00 parallelism=1 conf.a=b", "-o", "json",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    body = routes.bodies[-1][2]
    assert body["deploymentId"] == deployment["deploymentId"]
    first, second = body["periodicSchedulingPolicies"]
    assert (first["periodicSchedulingLevel"], first["periodicSchedulingValues"]) == ("WEEK", [1, 5])
    assert first["periodicTriggerTime"] == (8 * 60 + 30) * 60_000
    assert second["resourceSetting"]["flinkConf"] == {"a": "b"}
    listed = invoke("plans", "list")
    assert "mon,fri 08:30 parallelism=4; daily 20:00 parallelism=1 conf.a=b" in listed.stdout
    applied = invoke("plans", "apply", "busy", "-o", "json")
    assert json.loads(applied.stdout)["statusState"] == "RUNNING"
    assert routes.bodies[-1][1].startswith(
        "/api/v2/namespaces/default-namespace/scheduled-plans/plan-1%3Aapply"
    )
    assert json.loads(invoke("plans", "stop", "plan-1", "-o", "json").stdout)["statusState"] == (
        "STOPPED"
    )
    assert invoke("plans", "delete", "busy", "--yes").exit_code == 0
    assert routes.plans == {}


def test_plan_change_errors_are_usage_errors(invoke: Invoke, routes: DevRoutes) -> None:
    for change in ("25:00 parallelism=2", "someday 08:00 parallelism=2", "08:00", "08:00 cpu=2"):
        result = invoke("plans", "create", "orders", "p", "--change", change)
        assert result.exit_code == 2, (change, result.output)
    assert routes.bodies == []


def test_lineage_tree_and_json(invoke: Invoke, routes: DevRoutes, server: FakeServer) -> None:
    deployment = server.add_deployment("orders")
    tree = invoke("lineage", "orders", "--columns")
    assert tree.exit_code == 0, tree.output
    assert tree.stdout.splitlines() == [
        "deployment orders (dep-1)",
        "├── reads  c.d.src (datagen)",
        "├── writes c.d.snk (blackhole)",
        "└── column c.d.src.id -> c.d.snk.id",
    ]
    body = routes.bodies[-1][2]
    assert body["id"] == deployment["deploymentId"]
    assert (body["idType"], body["direction"], body["isColumnLevel"]) == ("JOB", "BOTH", True)
    as_json = invoke("lineage", "--table", "c.d.src", "--direction", "upstream", "-o", "json")
    assert json.loads(as_json.stdout)["nodes"][0]["id"] == "c.d.src"
    assert routes.bodies[-1][2]["idType"] == "TABLE"
    assert routes.bodies[-1][2]["direction"] == "UPSTREAM"
    assert invoke("lineage").exit_code == 2
    assert invoke("lineage", "orders", "--table", "x").exit_code == 2
