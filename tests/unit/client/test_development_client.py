"""The client's draft, scheduled-plan and lineage methods: what they send (paths, colons
encoded, bodies with wire names), what they return, the ticket wait, and that a
misspelled argument or a bad combination is a ``TypeError`` before any request."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from millstream.client import (
    Artifact,
    AsyncMillstreamClient,
    ClientConfig,
    LineageDirection,
    MillstreamClient,
    ScheduleLevel,
    SchedulingPolicy,
    SqlArtifact,
    TicketStatus,
    WaitTimeoutError,
)

NS = "/api/v2/namespaces/ns1"
ARTIFACT = Artifact(kind="SQLSCRIPT", sql_artifact=SqlArtifact(sql_script="SELECT 1;"))


def _client(answers: Callable[[httpx.Request], Any], seen: list[httpx.Request]) -> MillstreamClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "data": answers(request)})

    config = ClientConfig(namespace="ns1", workspace="ws1")
    return MillstreamClient(config, transport=httpx.MockTransport(handler))


def _body(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


def test_create_draft_sends_wire_names() -> None:
    seen: list[httpx.Request] = []
    client = _client(lambda r: {"deploymentDraftId": "d1", **_body(r)}, seen)
    draft = client.create_draft("orders", ARTIFACT, folder_id="7", variables={"a": "b"})
    assert seen[0].url.raw_path == f"{NS}/deployment-drafts".encode()
    assert _body(seen[0]) == {
        "name": "orders",
        "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": "SELECT 1;"}},
        "parentId": "7",
        "localVariables": [{"name": "a", "value": "b"}],
    }
    assert (draft.deployment_draft_id, draft.parent_id) == ("d1", "7")


def test_misspelled_arguments_are_type_errors_before_any_request() -> None:
    seen: list[httpx.Request] = []
    client = _client(lambda _: None, seen)
    with pytest.raises(TypeError):
        client.create_draft("orders", ARTIFACT, folder="7")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="periodic_scheduling_level"):
        SchedulingPolicy(periodic_level=ScheduleLevel.DAY)
    with pytest.raises(TypeError, match="exactly one"):
        client.get_lineage()
    with pytest.raises(TypeError, match="exactly one"):
        client.get_lineage(deployment_id="d", table="c.d.t")
    with pytest.raises(ValueError, match="SIDEWAYS"):
        client.get_lineage(table="c.d.t", direction="SIDEWAYS")  # type: ignore[arg-type]
    assert seen == []


def test_validate_draft_waits_for_the_ticket_and_reads_the_error() -> None:
    seen: list[httpx.Request] = []
    reads = iter(
        [
            {"ticketStatus": "PROCESSING"},
            {
                "ticketStatus": "FAILED",
                "success": False,
                "draftValidationDetail": {
                    "sqlValidationResult": "VALIDATION_RESULT_INVALID",
                    "sqlErrorDetail": {"lineNumber": "3", "columnNumber": "9", "message": "x"},
                },
            },
        ]
    )

    def answers(request: httpx.Request) -> Any:
        return {"ticketId": "t1"} if request.method == "POST" else next(reads)

    result = _client(answers, seen).validate_draft("d1", poll=0)
    assert seen[0].url.raw_path == f"{NS}/deployment-drafts/async-validate".encode()
    assert _body(seen[0]) == {"deploymentDraftId": "d1"}
    assert seen[-1].url.raw_path == f"{NS}/deployment-drafts/tickets/t1/async-validate".encode()
    assert result.ticket_status is TicketStatus.FAILED
    assert not result.valid
    sql = result.as_sql_validation()
    assert (sql.valid, sql.error_details and sql.error_details.line) == (False, 3)


def test_deploy_draft_times_out_on_a_ticket_that_stays_processing() -> None:
    seen: list[httpx.Request] = []

    def answers(request: httpx.Request) -> Any:
        return {"ticketId": "t1"} if request.method == "POST" else {"ticketStatus": "PROCESSING"}

    with pytest.raises(WaitTimeoutError, match="PROCESSING"):
        _client(answers, seen).deploy_draft("d1", skip_validate=True, timeout=0, poll=0)
    assert _body(seen[0]) == {"deploymentDraftId": "d1", "skipValidate": True}


def test_plan_paths_encode_colons_and_applied_may_be_none() -> None:
    seen: list[httpx.Request] = []
    client = _client(lambda _: None, seen)
    client.apply_scheduled_plan("p1")
    client.stop_scheduled_plan("p1")
    assert client.get_applied_scheduled_plan("dep-1") is None
    client.list_scheduled_plan_history("dep-1")
    assert [(r.method, r.url.raw_path.decode()) for r in seen] == [
        ("POST", f"{NS}/scheduled-plans/p1%3Aapply"),
        ("PATCH", f"{NS}/scheduled-plans/p1%3Astop"),
        ("GET", f"{NS}/scheduled-plans%3AgetExecutedScheduledPlan?deploymentId=dep-1"),
        ("GET", f"{NS}/job-resource-upgradings?deploymentId=dep-1&origin=SCHEDULED_PLAN"),
    ]


def test_lineage_body_carries_the_scope_and_enum_values() -> None:
    seen: list[httpx.Request] = []
    lineage = _client(
        lambda _: {"edges": {"tableLineage": [{"source": "a", "destination": "b", "jobId": "j"}]}},
        seen,
    ).get_lineage(table="c.d.t", direction=LineageDirection.DOWNSTREAM, depth=3)
    assert seen[0].url.raw_path == b"/meta/v2/lineage"
    assert _body(seen[0]) == {
        "id": "c.d.t",
        "idType": "TABLE",
        "direction": "DOWNSTREAM",
        "depth": 3,
        "isColumnLevel": True,
        "namespace": "ns1",
        "workspace": "ws1",
    }
    assert [(e.source, e.destination) for e in lineage.table_edges] == [("a", "b")]
    assert lineage.deployment_name("j") == "j"


async def test_async_client_has_the_same_methods() -> None:
    seen: list[httpx.Request] = []
    reads: list[dict[str, Any]] = [
        {"ticketStatus": "PROCESSING"},
        {"ticketStatus": "FINISHED", "success": True},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.raw_path.decode()
        if path.endswith("async-deploy") and request.method == "POST":
            data: Any = {"ticketId": "t9"}
        elif "/tickets/" in path:
            data = {**reads.pop(0), "deploymentId": "dep-9"}
        else:
            data = [{"revisionId": "r1"}]
        return httpx.Response(200, json={"success": True, "data": data})

    sync_methods = {n for n in dir(MillstreamClient) if not n.startswith("_")}
    async_methods = {n for n in dir(AsyncMillstreamClient) if not n.startswith("_")}
    assert {"deploy_draft", "get_lineage", "list_scheduled_plans"} <= sync_methods & async_methods
    config = ClientConfig(namespace="ns1", workspace="ws1")
    async with AsyncMillstreamClient(config, transport=httpx.MockTransport(handler)) as client:
        result = await client.deploy_draft("d1", poll=0)
        assert (result.success, result.deployment_id) == (True, "dep-9")
        assert [r.revision_id for r in await client.list_spec_revisions("dep-9")] == ["r1"]
    assert len(seen) == 4


def test_every_method_has_a_docstring() -> None:
    from millstream.client.development import DevelopmentMethods
    from millstream.client.development_async import AsyncDevelopmentMethods

    for mixin in (DevelopmentMethods, AsyncDevelopmentMethods):
        public = [n for n, m in vars(mixin).items() if callable(m) and not n.startswith("_")]
        assert len(public) == 23
        assert [n for n in public if not (getattr(mixin, n).__doc__ or "").strip()] == []
