"""Lineage, resource plans and scheduled plans through the official ververica SDK against
the REAL Millstream server on the session's REAL Flink cluster (``millstream_server``):
column lineage of a real SQL deployment, an EXPERT plan from Flink's job graph, and a
scheduled plan that changes a running job's parallelism at its boundary."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_tea_openapi.exceptions import ServerException
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from tests.compat.test_native_sdk_e2e import (
    NS,
    RT,
    WS,
    Jobs,
    _expect,
    _start,
    jobs,
    millstream_server,
    sdk,
)
from tests.compat.test_native_sdk_e2e import (
    _create as _create_deployment,
)

__all__ = ["jobs", "millstream_server", "sdk"]  # fixtures, re-exported for this module

pytestmark = pytest.mark.flink

D = "default_catalog.default_database"
LINEAGE_SQL = """CREATE TEMPORARY TABLE orders (
  id BIGINT,
  name VARCHAR,
  amount DOUBLE
) WITH ('connector' = 'datagen', 'rows-per-second' = '5');
CREATE TEMPORARY TABLE shouted (
  id BIGINT,
  label VARCHAR,
  doubled DOUBLE
) WITH ('connector' = 'blackhole');
INSERT INTO shouted SELECT id, UPPER(name), amount * 2 FROM orders;
"""


def _create(sdk: Client, **kwargs: Any) -> Any:
    """CreateDeployment, which plans the SQL on Flink: the session's first plan loads the
    SQL runner and may time out on a loaded machine (503), so ask again, twice at most."""
    for attempt in range(3):
        try:
            return _create_deployment(sdk, **kwargs)
        except ServerException as error:
            if error.status_code != 503 or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _until(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting: {value}")
        time.sleep(0.5)
        value = read()
    return value


def _lineage(sdk: Client, **params: Any) -> Any:
    body = vv.GetLineageInfoParams(namespace=NS, workspace=WS, **params)
    return sdk.get_lineage_info_with_options(
        vv.GetLineageInfoRequest(body=body), vv.GetLineageInfoHeaders(workspace=WS), RT
    ).body


def test_lineage_of_a_real_sql_deployment_has_column_edges(sdk: Client) -> None:
    dep = _create(sdk, sql=LINEAGE_SQL)
    answer = _lineage(sdk, id=dep.deployment_id, id_type="JOB", is_column_level=True)
    assert answer.success is True
    columns = {(e.source, e.destination) for e in answer.data.edges.column_lineage}
    assert columns == {
        (f"{D}.orders.id", f"{D}.shouted.id"),
        (f"{D}.orders.name", f"{D}.shouted.label"),
        (f"{D}.orders.amount", f"{D}.shouted.doubled"),
    }
    tables = [(e.source, e.destination, e.job_id) for e in answer.data.edges.table_lineage]
    assert tables == [(f"{D}.orders", f"{D}.shouted", dep.deployment_id)]
    nodes = {n.id: n for n in answer.data.nodes}
    assert nodes[f"{D}.orders"].connector == "datagen"
    assert [c.column_name for c in nodes[f"{D}.shouted"].tables[0].columns] == [
        "id",
        "label",
        "doubled",
    ]
    assert [j.id for j in answer.data.job_infos] == [dep.deployment_id]
    # The same graph from the sink table's side, table level only.
    upstream = _lineage(
        sdk, id=f"{D}.shouted", id_type="TABLE", direction="UPSTREAM", is_column_level=False
    ).data
    assert (f"{D}.orders", f"{D}.shouted") in {
        (e.source, e.destination) for e in upstream.edges.table_lineage
    }
    assert upstream.edges.column_lineage == []
    _expect(lambda: _lineage(sdk, id="missing", id_type="JOB"), 404, "DeploymentNotFound")
    _expect(lambda: _lineage(sdk, id=dep.deployment_id, id_type="VIEW"), 400, "InvalidParameter")
    _expect(
        lambda: _lineage(sdk, id=dep.deployment_id, id_type="JOB", depth=99),
        400,
        "InvalidParameter",
    )


def _generate(sdk: Client, deployment_id: str, conf: dict[str, Any]) -> Any:
    return sdk.generate_resource_plan_with_flink_conf_async_with_options(
        NS,
        deployment_id,
        vv.GenerateResourcePlanWithFlinkConfAsyncRequest(body=conf),
        vv.GenerateResourcePlanWithFlinkConfAsyncHeaders(workspace=WS),
        RT,
    ).body


def _plan_result(sdk: Client, ticket_id: str) -> Any:
    return sdk.get_generate_resource_plan_result_with_options(
        NS, ticket_id, vv.GetGenerateResourcePlanResultHeaders(workspace=WS), RT
    ).body


def test_expert_resource_plan_from_flinks_job_graph(sdk: Client) -> None:
    dep = _create(sdk, sql=LINEAGE_SQL)
    ticket = _generate(sdk, dep.deployment_id, {"parallelism.default": "3"}).data.ticket_id
    result = _until(
        lambda: _plan_result(sdk, ticket).data, lambda r: r.ticket_status != "EXECUTING"
    )
    assert result.ticket_status == "FINISHED", result.message
    plan = json.loads(result.plan)
    assert plan["nodes"]
    assert {n["profile"]["parallelism"] for n in plan["nodes"]} == {3}
    assert len(plan["ssgProfiles"]) == 1
    # The plan is one the deployment takes as its EXPERT resources.
    updated = sdk.update_deployment_with_options(
        NS,
        dep.deployment_id,
        vv.UpdateDeploymentRequest(
            body=vv.Deployment(
                streaming_resource_setting=vv.StreamingResourceSetting(
                    resource_setting_mode="EXPERT",
                    expert_resource_setting=vv.ExpertResourceSetting(resource_plan=result.plan),
                )
            )
        ),
        vv.UpdateDeploymentHeaders(workspace=WS),
        RT,
    ).body.data
    assert updated.streaming_resource_setting.resource_setting_mode == "EXPERT"
    _expect(lambda: _generate(sdk, "missing", {}), 404, "DeploymentNotFound")
    _expect(
        lambda: _generate(sdk, dep.deployment_id, {"parallelism.default": "lots"}),
        400,
        "InvalidParameter",
    )
    _expect(lambda: _plan_result(sdk, "no-such-ticket"), 404, "NotFound")


# ---------------------------------------------------------------------------- scheduled plans


def _policy(
    parallelism: int,
    *,
    at_ms: int | None = None,
    once_ms: int | None = None,
    level: str = "DAY",
    days: list[int] | None = None,
) -> vv.PeriodicSchedulingPolicy:
    return vv.PeriodicSchedulingPolicy(
        periodic_scheduling_level=None if once_ms is not None else level,
        periodic_scheduling_values=days,
        periodic_trigger_time=at_ms,
        only_once_trigger_time=once_ms,
        resource_setting=vv.BriefResourceSetting(
            streaming_resource_setting=vv.StreamingResourceSetting(
                resource_setting_mode="BASIC",
                basic_resource_setting=vv.BasicResourceSetting(parallelism=parallelism),
            )
        ),
    )


def _create_plan(
    sdk: Client, deployment_id: str, *policies: vv.PeriodicSchedulingPolicy, name: str = ""
) -> Any:
    plan = vv.ScheduledPlan(
        name=name or f"plan-{uuid.uuid4().hex[:8]}",
        deployment_id=deployment_id,
        periodic_scheduling_policies=list(policies),
    )
    return sdk.create_scheduled_plan_with_options(
        NS,
        vv.CreateScheduledPlanRequest(body=plan),
        vv.CreateScheduledPlanHeaders(workspace=WS),
        RT,
    ).body


def _apply(sdk: Client, plan_id: str) -> Any:
    return sdk.apply_scheduled_plan_with_options(
        NS, plan_id, vv.ApplyScheduledPlanHeaders(workspace=WS), RT
    ).body


def _applied(sdk: Client, deployment_id: str) -> Any:
    return sdk.get_applied_scheduled_plan_with_options(
        NS,
        vv.GetAppliedScheduledPlanRequest(deployment_id=deployment_id),
        vv.GetAppliedScheduledPlanHeaders(workspace=WS),
        RT,
    ).body


def _history(sdk: Client, deployment_id: str) -> Any:
    return sdk.list_scheduled_plan_executed_history_with_options(
        NS,
        vv.ListScheduledPlanExecutedHistoryRequest(deployment_id=deployment_id),
        vv.ListScheduledPlanExecutedHistoryHeaders(workspace=WS),
        RT,
    ).body


def test_scheduled_plans_crud_apply_and_bad_input(sdk: Client) -> None:
    dep = _create(sdk)
    created = _create_plan(sdk, dep.deployment_id, _policy(2, at_ms=8 * 3_600_000))
    assert created.success is True
    plan = created.data
    assert plan.deployment_id == dep.deployment_id
    assert plan.periodic_scheduling_policies[0].periodic_trigger_time == 8 * 3_600_000
    assert plan.status == "NOT_APPLIED"

    updated = sdk.update_scheduled_plan_with_options(
        NS,
        plan.scheduled_plan_id,
        vv.UpdateScheduledPlanRequest(
            body=vv.ScheduledPlan(
                name=plan.name,
                periodic_scheduling_policies=[
                    _policy(2, at_ms=8 * 3_600_000),
                    _policy(1, at_ms=20 * 3_600_000, level="WEEK", days=[6, 7]),
                ],
            )
        ),
        vv.UpdateScheduledPlanHeaders(workspace=WS),
        RT,
    )
    assert updated.body.success is True
    weekly = updated.body.data.periodic_scheduling_policies[1]
    assert (weekly.periodic_scheduling_level, weekly.periodic_scheduling_values) == ("WEEK", [6, 7])
    listed = sdk.list_scheduled_plan_with_options(
        NS,
        vv.ListScheduledPlanRequest(deployment_id=dep.deployment_id),
        vv.ListScheduledPlanHeaders(workspace=WS),
        RT,
    ).body
    assert [p.scheduled_plan_id for p in listed.data] == [plan.scheduled_plan_id]
    assert listed.total_size == 1

    applied = _apply(sdk, plan.scheduled_plan_id).data
    assert (applied.scheduled_plan_id, applied.status_state) == (plan.scheduled_plan_id, "RUNNING")
    assert _applied(sdk, dep.deployment_id).data.scheduled_plan_name == plan.name
    other = _create_plan(sdk, dep.deployment_id, _policy(3, at_ms=0)).data
    _expect(lambda: _apply(sdk, other.scheduled_plan_id), 409, "Conflict")
    stopped = sdk.stop_apply_scheduled_plan_with_options(
        NS, plan.scheduled_plan_id, vv.StopApplyScheduledPlanHeaders(workspace=WS), RT
    ).body.data
    assert stopped.status_state == "STOPPED"
    assert _applied(sdk, dep.deployment_id).data is None
    assert _history(sdk, dep.deployment_id).data == []
    deleted = sdk.delete_scheduled_plan_with_options(
        NS, other.scheduled_plan_id, vv.DeleteScheduledPlanHeaders(workspace=WS), RT
    ).body
    assert deleted.data.scheduled_plan_id == other.scheduled_plan_id

    bad = "InvalidParameter"
    _expect(lambda: _create_plan(sdk, "missing", _policy(2, at_ms=0)), 404, "DeploymentNotFound")
    _expect(
        lambda: _create_plan(sdk, dep.deployment_id, _policy(2, at_ms=0), _policy(3, at_ms=0)),
        400,
        bad,
    )
    _expect(lambda: _create_plan(sdk, dep.deployment_id, _policy(2, at_ms=86_400_000)), 400, bad)
    _expect(lambda: _create_plan(sdk, dep.deployment_id, _policy(2, at_ms=-5)), 400, bad)
    _expect(lambda: _create_plan(sdk, dep.deployment_id, _policy(2, level="HOURLY")), 400, bad)
    _expect(lambda: _create_plan(sdk, dep.deployment_id, _policy(0, at_ms=0)), 400, bad)
    _expect(
        lambda: _create_plan(sdk, dep.deployment_id, _policy(2, at_ms=0, level="WEEK")), 400, bad
    )
    _expect(
        lambda: _create_plan(sdk, dep.deployment_id, _policy(2, at_ms=0, level="WEEK", days=[9])),
        400,
        bad,
    )
    _expect(lambda: _create_plan(sdk, dep.deployment_id), 400, bad)
    _expect(lambda: _apply(sdk, "missing"), 404, "NotFound")
    _expect(lambda: _history(sdk, "missing"), 404, "DeploymentNotFound")


def _running_parallelism(sdk: Client, deployment_id: str) -> int | None:
    found = sdk.list_jobs_with_options(
        NS,
        vv.ListJobsRequest(deployment_id=deployment_id),
        vv.ListJobsHeaders(workspace=WS),
        RT,
    ).body.data
    for job in found:
        if job.status.current_job_status == "RUNNING":
            setting = job.streaming_resource_setting.basic_resource_setting
            return int(setting.parallelism)
    return None


def test_a_scheduled_plan_changes_a_running_jobs_parallelism(sdk: Client, jobs: Jobs) -> None:
    dep = _create(sdk, parallelism=1)
    job = _start(sdk, dep.deployment_id)
    jobs.started.append(job.job_id)
    jobs.wait(job.job_id, "RUNNING")
    boundary = int(time.time() * 1000) + 3000
    plan = _create_plan(sdk, dep.deployment_id, _policy(2, once_ms=boundary)).data
    _apply(sdk, plan.scheduled_plan_id)

    history = _until(lambda: _history(sdk, dep.deployment_id).data, bool, timeout=30)
    assert len(history) == 1
    assert history[0].status.restart_type == "HOT_UPDATE"
    assert history[0].origin_job_id == job.job_id
    done = _until(
        lambda: _history(sdk, dep.deployment_id).data[0],
        lambda e: e.status.status_state != "EXECUTING",
        timeout=90,
    )
    assert done.status.status_state == "FINISHED", done.to_map()
    assert _running_parallelism(sdk, dep.deployment_id) == 2
    for found in sdk.list_jobs_with_options(
        NS,
        vv.ListJobsRequest(deployment_id=dep.deployment_id),
        vv.ListJobsHeaders(workspace=WS),
        RT,
    ).body.data:
        jobs.started.append(found.job_id)
    # The boundary was applied once: later rounds do not apply it again.
    time.sleep(2)
    assert len(_history(sdk, dep.deployment_id).data) == 1
    listed = sdk.list_scheduled_plan_with_options(
        NS,
        vv.ListScheduledPlanRequest(deployment_id=dep.deployment_id),
        vv.ListScheduledPlanHeaders(workspace=WS),
        RT,
    ).body.data
    assert listed[0].periodic_scheduling_policies[0].is_finished is True
