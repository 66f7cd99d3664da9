"""The DLI dialect's stream graph, metrics, list filters, project messages and
stop-with-savepoint of a starting job, over real services on SQLite (and PostgreSQL),
through httpx's ASGITransport, signed like ``DliClient``.

Flink is the fake engine (its ``plan_sql`` answers a source -> sink JobGraph plan) and,
for metrics, a fake ``JobInspector`` that answers Flink's REST JSON for the plan and the
subtask metrics of one job.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from millstream.control.context import Actor, Scope
from millstream.control.inspect_ports import FlinkJobSnapshot
from millstream.control.services.diagnosis import DiagnosisService
from millstream.domain.access import Role
from millstream.domain.clusters import Cluster
from millstream.domain.errors import InvalidSql, NotFound
from millstream.domain.jobs import JobStatus
from millstream.domain.namespaces import Namespace
from tests.integration.api.test_dli_api import (
    HOST,
    PROJECT,
    SQL,
    WS,
    Dli,
    World,
    build_app,
    world,
)

__all__ = ["world"]  # the SQLite + PostgreSQL fixture, re-exported for this module

FLINK_ID = "c" * 32
SOURCE, SINK = "a" * 32, "b" * 32


class FakeInspector:
    """Flink's REST answers for one running job: its plan and its subtask metrics."""

    def __init__(self) -> None:
        self.metrics: dict[tuple[str, str], float] = {
            (SOURCE, "numRecordsOut"): 120.0,
            (SOURCE, "numRecordsOutPerSecond"): 4.5,
            (SINK, "numRecordsIn"): 118.0,
            # the sink's input rate is not measured yet: absent, not 0
        }
        self.paths: list[str] = []
        self.forgotten = False

    def snapshot(self, cluster: Cluster, flink_job_id: str) -> FlinkJobSnapshot:  # noqa: ARG002
        return FlinkJobSnapshot(found=flink_job_id == FLINK_ID)

    def proxy_get(self, cluster: Cluster, path: str, *, flink_job_id: str | None) -> Any:
        self.paths.append(path)
        # The proxy names Flink's JobID of the current attempt, on the job's cluster.
        assert flink_job_id == FLINK_ID
        assert cluster.name
        assert path.startswith(f"/jobs/{FLINK_ID}/")
        if self.forgotten:
            raise NotFound("Flink does not know this job")
        rest = path[len(f"/jobs/{FLINK_ID}") :]
        if rest == "/plan":
            return {
                "plan": {
                    "jid": FLINK_ID,
                    "nodes": [
                        {"id": SOURCE, "description": "Source: orders", "parallelism": 2},
                        {
                            "id": SINK,
                            "description": "Sink: totals",
                            "parallelism": 2,
                            "inputs": [{"num": 0, "id": SOURCE, "ship_strategy": "HASH"}],
                        },
                    ],
                }
            }
        vertex = rest.split("/")[2]
        query = dict(part.split("=") for part in rest.split("?")[1].split("&"))
        value = self.metrics.get((vertex, query["get"]))
        if value is None:
            return []
        return [{"id": query["get"], query["agg"]: value}]


@pytest.fixture
def inspector() -> FakeInspector:
    return FakeInspector()


@pytest.fixture
async def dli(world: World, inspector: FakeInspector) -> AsyncIterator[Dli]:
    world.services = dataclasses.replace(
        world.services, diagnosis=DiagnosisService(world.store, inspector)
    )
    transport = httpx.ASGITransport(app=build_app(world), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        yield Dli(client, world.admin.key.id, world.admin.secret)


async def _sql_job(dli: Dli, name: str = "orders", **extra: Any) -> int:
    created = await dli.ok("POST", "/streaming/sql-jobs", {"name": name, "sql_body": SQL, **extra})
    return int(created["job"]["job_id"])


# ----------------------------------------------------------------- gen-graph


async def _gen_graph(dli: Dli, job_id: int, body: Any) -> httpx.Response:
    """The SDK's one ``/v3/`` path, signed as ``DliClient`` does (``Dli.send`` builds
    ``/v1.0/`` paths only)."""
    text = json.dumps(body)
    request = SdkRequest(
        method="POST",
        schema="http",
        host=HOST,
        resource_path=f"/v3/{PROJECT}/streaming/jobs/{job_id}/gen-graph",
        query_params=[],
        header_params={"Content-Type": "application/json", "X-Project-Id": PROJECT},
        body=text,
    )
    Signer(BasicCredentials(dli.key_id, dli.secret, PROJECT)).sign(request)
    return await dli.http.post(
        request.uri, content=text.encode(), headers=dict(request.header_params)
    )


async def test_gen_graph_answers_flinks_plan_as_the_stream_graph(dli: Dli, world: World) -> None:
    job_id = await _sql_job(dli, parallel_number=3)
    response = await _gen_graph(dli, job_id, {})
    answer = response.json()
    assert response.status_code == 200, answer
    assert (answer["is_success"], answer["message"]) == (
        True,
        "The stream graph is generated successfully.",
    )
    graph = json.loads(answer["stream_graph"])
    assert [(n["id"], n["name"], n["parallelism"]) for n in graph["nodes"]] == [
        ("a" * 32, "Source: s", 3),
        ("b" * 32, "Sink: t", 3),
    ]
    assert graph["edges"] == [{"source": "a" * 32, "target": "b" * 32, "ship_strategy": "FORWARD"}]
    # The body's SQL and parallelism win over the job's.
    other = await _gen_graph(
        dli, job_id, {"sql_body": "INSERT INTO t SELECT 1;", "parallel_number": 5}
    )
    assert json.loads(other.json()["stream_graph"])["nodes"][0]["parallelism"] == 5
    assert world.engine.flink.calls[-1] == ("plan", "INSERT INTO t SELECT")


async def test_gen_graph_refuses_bad_sql_with_the_planners_position(dli: Dli, world: World) -> None:
    job_id = await _sql_job(dli)
    world.engine.flink.bad_sql = InvalidSql("Object 'nope' not found", line=2, column=15)
    response = await _gen_graph(dli, job_id, {"sql_body": "SELECT 1;\nINSERT INTO nope"})
    answer = response.json()
    assert response.status_code == 400, answer
    assert answer["error_code"] == "DLI.0005"
    assert answer["error_msg"] == "Object 'nope' not found (line 2, column 15)"


async def test_gen_graph_refuses_a_jar_job_and_unknown_ids(dli: Dli) -> None:
    jar = await dli.ok(
        "POST", "/streaming/flink-jobs", {"name": "jar", "entrypoint": "obs://b/app.jar"}
    )
    response = await _gen_graph(dli, jar["job"]["job_id"], {})
    assert (response.status_code, response.json()["error_code"]) == (400, "DLI.0001")
    assert "only a SQL job has a stream graph" in response.json()["error_msg"]
    response = await _gen_graph(dli, 999_999, {})
    assert (response.status_code, response.json()["error_code"]) == (404, "DLI.0002")
    job_id = await _sql_job(dli)
    response = await _gen_graph(dli, job_id, {"parallel_number": 0})
    assert (response.status_code, response.json()["error_code"]) == (400, "DLI.0001")
    response = await _gen_graph(dli, job_id, {"flink_version": "0.9"})
    assert (response.status_code, response.json()["error_code"]) == (400, "DLI.0001")
    assert "flink-0.9" in response.json()["error_msg"]


# ----------------------------------------------------------------- metrics


async def test_metrics_of_a_running_job_are_flinks_and_absent_when_unknown(
    dli: Dli, world: World, inspector: FakeInspector
) -> None:
    running = await _sql_job(dli, "running")
    idle = await _sql_job(dli, "idle")
    await dli.ok("POST", "/streaming/jobs/run", {"job_ids": [running]})
    world.set_status(running, JobStatus.RUNNING, flink_job_id=FLINK_ID)
    answer = await dli.ok("POST", "/streaming/jobs/metrics", {"job_ids": [idle, running]})
    assert answer["metrics"]["jobs"] == [
        {"job_id": idle},
        {
            "job_id": running,
            "metrics": {
                "sources": [{"name": "Source: orders", "records": 120}],
                "sinks": [{"name": "Sink: totals", "records": 118}],
                "total_read_rate": 4.5,
            },
        },
    ]
    # Flink forgot the job between reads: no metrics, no made-up numbers.
    inspector.forgotten = True
    again = await dli.ok("POST", "/streaming/jobs/metrics", {"job_ids": [running]})
    assert again["metrics"]["jobs"] == [{"job_id": running}]


async def test_metrics_of_an_unknown_job_fail_the_request(dli: Dli) -> None:
    status, error = await dli.error("POST", "/streaming/jobs/metrics", {"job_ids": [424242]})
    assert (status, error["error_code"]) == (404, "DLI.0002")
    status, error = await dli.error("POST", "/streaming/jobs/metrics", {"job_ids": []})
    assert (status, error["error_code"]) == (400, "DLI.0001")


# ----------------------------------------------------------------- list filters


async def test_list_filters_with_closed_values_refuse_others(dli: Dli) -> None:
    job_id = await _sql_job(dli)
    for name, value, valid in [
        ("status", "running", "job_running"),
        ("job_type", "sql", "flink_jar_job"),
    ]:
        status, error = await dli.error("GET", "/streaming/jobs", query=[(name, value)])
        assert (status, error["error_code"]) == (400, "DLI.0001")
        assert error["error_msg"].startswith(f"{name} {value!r} is not valid: use one of ")
        assert valid in error["error_msg"]
    status, error = await dli.error("GET", "/streaming/jobs", query=[("name", "n" * 58)])
    assert (status, error["error_code"]) == (400, "DLI.0001")
    status, error = await dli.error("GET", "/streaming/jobs", query=[("root_job_id", "x")])
    assert (status, error["error_code"]) == (400, "DLI.0001")
    # Valid values Millstream never shows filter to an empty list, not an error.
    arrears = await dli.ok("GET", "/streaming/jobs", query=[("status", "job_arrearage_stopped")])
    assert arrears["job_list"] == {"total_count": 0, "jobs": []}
    edge = await dli.ok("GET", "/streaming/jobs", query=[("root_job_id", job_id)])
    assert edge["job_list"]["total_count"] == 0
    status, error = await dli.error("GET", "/streaming/jobs", query=[("queue_name", "nope")])
    assert (status, error["error_code"]) == (404, "DLI.0002")
    # An existing queue (any case) filters; the job names no queue, as show_flink_job says.
    on_default = await dli.ok("GET", "/streaming/jobs", query=[("queue_name", "Default")])
    assert on_default["job_list"]["total_count"] == 0
    sql = await dli.ok("GET", "/streaming/jobs", query=[("job_type", "flink_opensource_sql_job")])
    assert [j["job_id"] for j in sql["job_list"]["jobs"]] == [job_id]


# ----------------------------------------------------------------- projects


async def test_a_project_without_a_role_is_named_in_dli_words(dli: Dli, world: World) -> None:
    own = "a-project-of-someone-else"
    with world.store.transaction() as repos:
        repos.create_namespace(
            namespace=Namespace(id=own, workspace=WS, name=own, created_at=datetime.now(UTC))
        )
    admin = Actor(id=world.admin.user.id, name=world.admin.user.name)
    bob = world.access.create_key(admin, user="bob", create_user=True)
    other = Dli(dli.http, bob.key.id, bob.secret)
    status, error = await other.error("GET", "/streaming/jobs", project=own)
    assert (status, error["error_code"]) == (404, "DLI.0002")
    assert error["error_msg"] == (
        f"project {own!r} does not exist or your access key has no role in it"
    )
    assert "namespace" not in error["error_msg"]
    world.access.create_member(admin, Scope(WS, own), "bob", Role.VIEWER)
    listed = await other.ok("GET", "/streaming/jobs", project=own)
    assert listed["job_list"]["total_count"] == 0
    status, error = await other.error(
        "POST", "/streaming/sql-jobs", {"name": "x", "sql_body": SQL}, project=own
    )
    assert (status, error["error_code"]) == (403, "DLI.0003")
    assert error["error_msg"] == (
        f"your access key's role in project {own!r} does not allow CreateFlinkSqlJob: "
        "it needs write (editor) access; ask the project's owner"
    )


# ----------------------------------------------------------------- stop with savepoint


async def test_stop_with_savepoint_of_a_starting_job_says_so_and_stops_nothing(
    dli: Dli, world: World
) -> None:
    job_id = await _sql_job(dli)
    await dli.ok("POST", "/streaming/jobs/run", {"job_ids": [job_id]})
    stopped = await dli.ok(
        "POST", "/streaming/jobs/stop", {"trigger_savepoint": True, "job_ids": [job_id]}
    )
    assert stopped == [
        {
            "is_success": False,
            "message": (
                f"job {job_id}: still job_submitting: Flink takes a savepoint only once the "
                "job is job_running; nothing was stopped. Stop it without trigger_savepoint, "
                "or retry once it runs"
            ),
        }
    ]
    assert world.current_job(job_id).status is JobStatus.STARTING
    assert world.current_job(job_id).desired.value == "RUNNING"
    # Once it runs, the same stop is carried out with a savepoint.
    world.set_status(job_id, JobStatus.RUNNING, flink_job_id=FLINK_ID)
    stopped = await dli.ok(
        "POST", "/streaming/jobs/stop", {"job_ids": [job_id], "trigger_savepoint": True}
    )
    assert stopped[0]["is_success"] is True
    shown = await dli.ok("GET", f"/streaming/jobs/{job_id}")
    assert shown["job_detail"]["status"] == "job_savepointing"


async def test_list_queues_filters_refuse_unknown_values(dli: Dli) -> None:
    everything = await dli.ok("GET", "/queues", query=[("queue_type", "general")])
    assert "default" in {q["queue_name"] for q in everything["queues"]}
    assert everything["queues"] == (await dli.ok("GET", "/queues"))["queues"]
    # Millstream's queues run Flink jobs: no SQL queues, and none has tags.
    assert (await dli.ok("GET", "/queues", query=[("queue_type", "sql")]))["queues"] == []
    assert (await dli.ok("GET", "/queues", query=[("tags", "a=b")]))["queues"] == []
    for name, value in [("queue_type", "spark"), ("with-priv", "yes"), ("tags", "a")]:
        status, error = await dli.error("GET", "/queues", query=[(name, value)])
        assert (status, error["error_code"]) == (400, "DLI.0001")
        assert name in error["error_msg"]
