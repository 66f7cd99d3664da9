"""Drafts, folders, SQL files, patrol, tuning histories, pre-signed uploads, statement
validation and the AI agent through the official ververica SDK against the REAL
Millstream server on the session's REAL Flink cluster (``millstream_server``).

A user's path: a folder, a draft in it, the draft's lock, validation on Flink (a bad
draft gives Flink's error with its line and column), an async deploy, the deployed job
running on Flink and patrolled, then the draft and the folder cleaned up. One deployment
and one job serve the whole flow (4 shared slots, CI minutes).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from Tea.exceptions import TeaException  # type: ignore[import-untyped]
from tests.compat.test_native_sdk_e2e import NS, RT, WS, Jobs, _expect, _start, jobs, sdk
from tests.e2e.conftest import DATAGEN_SQL, Api, api, millstream_server

__all__ = ["api", "jobs", "millstream_server", "sdk"]  # fixtures, re-exported

pytestmark = pytest.mark.flink

ENGINE = "vvr-8.0.9-flink-1.17"
# A misspelt column on line 14, column 28 of the script: Flink's validator names it there.
BAD_SQL = DATAGEN_SQL.replace("SELECT id, name FROM", "SELECT id, nmae FROM")
# How long (from the draft's edit) the redeployed job fails on every record, then runs
# healthy: long enough for Flink to run it and restart it at least once on a slow box.
FAIL_SECONDS = 20  # from the edit: deploy and start take some of it on a busy machine


def _failing_until(deadline: int) -> str:
    """DATAGEN_SQL whose query divides by zero until the unix second ``deadline``
    (``UNIX_TIMESTAMP()`` is evaluated per record) under a fast fixed-delay restart
    strategy: Flink restarts the job a few times, then it runs on, RUNNING and healthy
    except for the restarts patrol reports."""
    return DATAGEN_SQL.replace(
        "INSERT INTO snk SELECT id, name FROM src;",
        "SET 'restart-strategy.type' = 'fixed-delay';\n"
        "SET 'restart-strategy.fixed-delay.attempts' = '1000';\n"
        "SET 'restart-strategy.fixed-delay.delay' = '300 ms';\n"
        "INSERT INTO snk SELECT id / CASE WHEN UNIX_TIMESTAMP() < "
        f"{deadline} THEN 0 ELSE 1 END, name FROM src;",
    )


def _artifact(script: str) -> vv.Artifact:
    return vv.Artifact(kind="SQLSCRIPT", sql_artifact=vv.SqlArtifact(sql_script=script))


def _poll(read: Callable[[], Any], timeout: float = 60) -> Any:
    """Read an async ticket until it leaves PROCESSING (the first plan on Flink is slow)."""
    deadline = time.monotonic() + timeout
    while True:
        result = read()
        if result.ticket_status != "PROCESSING":
            return result
        assert time.monotonic() < deadline, f"ticket still PROCESSING: {result.to_map()}"
        time.sleep(0.3)


def _folder(sdk: Client, name: str, parent_id: str = "0") -> Any:
    return sdk.create_folder_with_options(
        NS,
        vv.CreateFolderRequest(body=vv.Folder(name=name, parent_id=parent_id)),
        vv.CreateFolderHeaders(workspace=WS),
        RT,
    ).body.data


def _get_folder(sdk: Client, folder_id: str) -> Any:
    return sdk.get_folder_with_options(
        NS, vv.GetFolderRequest(folder_id=folder_id), vv.GetFolderHeaders(workspace=WS), RT
    ).body.data


def _delete_folder(sdk: Client, folder_id: str) -> Any:
    return sdk.delete_folder_with_options(NS, folder_id, vv.DeleteFolderHeaders(workspace=WS), RT)


def _draft(sdk: Client, name: str, parent_id: str, script: str) -> Any:
    body = vv.DeploymentDraft(
        name=name,
        parent_id=parent_id,
        engine_version=ENGINE,
        execution_mode="STREAMING",
        artifact=_artifact(script),
        labels={"suite": "compat-drafts"},
    )
    return sdk.create_deployment_draft_with_options(
        NS,
        vv.CreateDeploymentDraftRequest(body=body),
        vv.CreateDeploymentDraftHeaders(workspace=WS),
        RT,
    ).body.data


def _get_draft(sdk: Client, draft_id: str) -> Any:
    return sdk.get_deployment_draft_with_options(
        NS, draft_id, vv.GetDeploymentDraftHeaders(workspace=WS), RT
    ).body.data


def _delete_draft(sdk: Client, draft_id: str) -> Any:
    return sdk.delete_deployment_draft_with_options(
        NS, draft_id, vv.DeleteDeploymentDraftHeaders(workspace=WS), RT
    ).body


def _validate(sdk: Client, draft_id: str) -> Any:
    ticket = sdk.validate_deployment_draft_async_with_options(
        NS,
        vv.ValidateDeploymentDraftAsyncRequest(
            body=vv.DraftValidateParams(deployment_draft_id=draft_id)
        ),
        vv.ValidateDeploymentDraftAsyncHeaders(workspace=WS),
        RT,
    ).body.data.ticket_id
    assert ticket
    return _poll(
        lambda: (
            sdk.get_validate_deployment_draft_result_with_options(
                NS, ticket, vv.GetValidateDeploymentDraftResultHeaders(workspace=WS), RT
            ).body.data
        )
    )


def _deploy(sdk: Client, draft_id: str) -> Any:
    ticket = sdk.deploy_deployment_draft_async_with_options(
        NS,
        vv.DeployDeploymentDraftAsyncRequest(
            body=vv.DraftDeployParams(deployment_draft_id=draft_id)
        ),
        vv.DeployDeploymentDraftAsyncHeaders(workspace=WS),
        RT,
    ).body.data.ticket_id
    assert ticket
    return _poll(
        lambda: (
            sdk.get_deploy_deployment_draft_result_with_options(
                NS, ticket, vv.GetDeployDeploymentDraftResultHeaders(workspace=WS), RT
            ).body.data
        )
    )


def _patrol(sdk: Client, api: Api, deployment_id: str, job_id: str) -> None:
    """Config round trip, then a manual patrol scoped to this deployment: the report
    counts the running job and its detail has the restart finding for it (restart
    threshold 1 through Millstream's thresholds extension, restored afterwards)."""
    before = sdk.get_patrol_config_with_options(
        NS, vv.GetPatrolConfigRequest(), vv.GetPatrolConfigHeaders(workspace=WS), RT
    ).body.data
    scope = vv.UpdatePatrolConfigRequestScopeConfig(tags=["suite=compat-drafts"])
    updated = sdk.update_patrol_config_with_options(
        NS,
        vv.UpdatePatrolConfigRequest(
            enabled=True, cron="0 3 * * *", timezone="UTC", scope_type="TAGS", scope_config=scope
        ),
        vv.UpdatePatrolConfigHeaders(workspace=WS),
        RT,
    ).body.data
    try:
        assert (updated.enabled, updated.cron, updated.timezone) == (True, "0 3 * * *", "UTC")
        assert (updated.scope_type, updated.scope_config.tags) == ("TAGS", ["suite=compat-drafts"])
        assert updated.next_patrol_at > time.time() * 1000
        assert time.gmtime(updated.next_patrol_at / 1000).tm_hour == 3
        again = sdk.get_patrol_config_with_options(
            NS, vv.GetPatrolConfigRequest(), vv.GetPatrolConfigHeaders(workspace=WS), RT
        ).body.data
        assert (again.cron, again.scope_type) == ("0 3 * * *", "TAGS")
    finally:
        sdk.update_patrol_config_with_options(
            NS,
            vv.UpdatePatrolConfigRequest(
                enabled=before.enabled,
                cron=before.cron,
                timezone=before.timezone,
                scope_type=before.scope_type or "ALL",
            ),
            vv.UpdatePatrolConfigHeaders(workspace=WS),
            RT,
        )

    path = f"/autopilot/v2/namespaces/{NS}/patrol-config"
    api.ok("PATCH", path, body={"thresholds": {"maxRestarts": 1}})
    try:
        triggered = sdk.trigger_patrol_with_options(
            NS,
            vv.TriggerPatrolRequest(
                scope_type="DEPLOYMENTS",
                scope_config=vv.TriggerPatrolRequestScopeConfig(deployment_ids=[deployment_id]),
            ),
            vv.TriggerPatrolHeaders(workspace=WS),
            RT,
        ).body.data
    finally:
        api.ok("PATCH", path, body={"thresholds": {"maxRestarts": 3}})
    assert triggered.report_id
    assert triggered.status == "COMPLETED"
    listing = sdk.list_patrol_reports_with_options(
        NS,
        vv.ListPatrolReportsRequest(scope_type="DEPLOYMENTS", page=1, size=50),
        vv.ListPatrolReportsHeaders(workspace=WS),
        RT,
    ).body.data
    (item,) = [i for i in listing.items if i.report_id == triggered.report_id]
    assert (item.status, item.trigger_type, item.scope_type) == (
        "COMPLETED",
        "MANUAL",
        "DEPLOYMENTS",
    )
    assert (item.total_jobs, item.inspected_jobs) == (1, 1)  # Flink answered for the job
    assert item.scope_config.deployment_ids == [deployment_id]
    detail = sdk.get_patrol_report_detail_with_options(
        NS,
        vv.GetPatrolReportDetailRequest(report_id=triggered.report_id),
        vv.GetPatrolReportDetailHeaders(workspace=WS),
        RT,
    ).body.data
    assert (detail.report_id, detail.namespace, detail.trigger_type) == (
        triggered.report_id,
        NS,
        "MANUAL",
    )
    assert detail.overview.total == 1
    assert detail.scope_type == "DEPLOYMENTS"
    restarts = [j for j in detail.unhealthy_jobs or [] if j.analysis.startswith("RESTARTS:")]
    assert len(restarts) == 1, (
        "no restart finding (did Flink run the job only after the failing window?)",
        detail.to_map(),
    )
    (finding,) = restarts
    assert (finding.deployment_id, finding.job_id) == (deployment_id, job_id)
    assert finding.deployment_name.startswith("orders-")
    assert finding.risk_level in {"WARNING", "CRITICAL"}
    assert "(threshold 1)" in finding.description, finding.to_map()
    assert finding.recommendation
    assert item.problem_unhealthy_count >= 1
    _expect(
        lambda: sdk.get_patrol_report_detail_with_options(
            NS,
            vv.GetPatrolReportDetailRequest(report_id="no-such-report"),
            vv.GetPatrolReportDetailHeaders(workspace=WS),
            RT,
        ),
        404,
        "NotFound",
    )


def test_folder_draft_lock_validate_deploy_run_patrol_and_clean_up(
    sdk: Client, api: Api, jobs: Jobs
) -> None:
    suffix = uuid.uuid4().hex[:8]
    folder = _folder(sdk, f"drafts-{suffix}")
    assert (folder.name, folder.parent_id, folder.namespace) == (f"drafts-{suffix}", "0", NS)
    renamed = sdk.update_folder_with_options(
        NS,
        folder.folder_id,
        vv.UpdateFolderRequest(body=vv.Folder(name=f"pipelines-{suffix}")),
        vv.UpdateFolderHeaders(workspace=WS),
        RT,
    ).body.data
    assert (renamed.folder_id, renamed.name) == (folder.folder_id, f"pipelines-{suffix}")

    draft = _draft(sdk, f"orders-{suffix}", folder.folder_id, DATAGEN_SQL)
    draft_id = draft.deployment_draft_id
    assert (draft.name, draft.parent_id, draft.engine_version) == (
        f"orders-{suffix}",
        folder.folder_id,
        ENGINE,
    )
    assert draft.artifact.sql_artifact.sql_script == DATAGEN_SQL
    assert _get_draft(sdk, draft_id).labels == {"suite": "compat-drafts"}
    listed = sdk.list_deployment_drafts_with_options(
        NS,
        vv.ListDeploymentDraftsRequest(page_index=1, page_size=100),
        vv.ListDeploymentDraftsHeaders(workspace=WS),
        RT,
    ).body
    assert listed.success is True
    assert draft_id in {d.deployment_draft_id for d in listed.data}

    lock = sdk.get_deployment_draft_lock_with_options(
        NS,
        vv.GetDeploymentDraftLockRequest(deployment_draft_id=draft_id),
        vv.GetDeploymentDraftLockHeaders(workspace=WS),
        RT,
    ).body.data
    assert lock.id
    assert (lock.namespace, lock.holder_name) == (NS, "admin")
    assert _get_draft(sdk, draft_id).lock.id == lock.id

    bad = _draft(sdk, f"broken-{suffix}", folder.folder_id, BAD_SQL)
    refused = _validate(sdk, bad.deployment_draft_id)
    assert (refused.ticket_status, refused.success) == ("FAILED", False)
    detail = refused.draft_validation_detail
    assert detail.sql_validation_result == "VALIDATION_RESULT_INVALID"
    assert (detail.sql_error_detail.line_number, detail.sql_error_detail.column_number) == (
        "14",
        "28",
    ), detail.sql_error_detail.to_map()
    assert "Column 'nmae' not found" in detail.sql_error_detail.message
    assert _delete_draft(sdk, bad.deployment_draft_id).success is True

    good = _validate(sdk, draft_id)
    assert (good.ticket_status, good.success) == ("FINISHED", True), good.to_map()
    assert good.draft_validation_detail.sql_validation_result == "VALIDATION_RESULT_VALID"

    deployed = _deploy(sdk, draft_id)
    assert (deployed.ticket_status, deployed.success) == ("FINISHED", True), deployed.to_map()
    deployment_id = deployed.deployment_id
    deployment = sdk.get_deployment_with_options(
        NS, deployment_id, vv.GetDeploymentHeaders(workspace=WS), RT
    ).body.data
    assert (deployment.name, deployment.engine_version) == (f"orders-{suffix}", ENGINE)
    assert deployment.artifact.sql_artifact.sql_script == DATAGEN_SQL
    assert _get_draft(sdk, draft_id).referenced_deployment_id == deployment_id

    # Edit the draft (the job now fails for a few seconds) and deploy it again: the same
    # deployment takes the new script.
    heal_at = int(time.time()) + FAIL_SECONDS
    failing = _failing_until(heal_at)
    updated = sdk.update_deployment_draft_with_options(
        NS,
        draft_id,
        vv.UpdateDeploymentDraftRequest(body=vv.DeploymentDraft(artifact=_artifact(failing))),
        vv.UpdateDeploymentDraftHeaders(workspace=WS),
        RT,
    ).body.data
    assert updated.artifact.sql_artifact.sql_script == failing
    assert updated.name == f"orders-{suffix}"  # kept
    redeployed = _deploy(sdk, draft_id)
    assert (redeployed.success, redeployed.deployment_id) == (True, deployment_id)
    assert (
        sdk.get_deployment_with_options(
            NS, deployment_id, vv.GetDeploymentHeaders(workspace=WS), RT
        ).body.data.artifact.sql_artifact.sql_script
        == failing
    )

    job = _start(sdk, deployment_id)
    jobs.started.append(job.job_id)
    running = jobs.wait(job.job_id, "RUNNING", timeout=90)
    assert running.deployment_id == deployment_id
    time.sleep(max(0.0, heal_at + 1 - time.time()))  # the failing seconds, then healthy
    jobs.wait(job.job_id, "RUNNING", timeout=30)

    _patrol(sdk, api, deployment_id, job.job_id)

    histories = sdk.list_autopilot_tuning_histories_with_options(
        NS,
        deployment_id,
        vv.ListAutopilotTuningHistoriesRequest(page_number=1, page_size=10),
        vv.ListAutopilotTuningHistoriesHeaders(workspace=WS),
        RT,
    ).body
    assert histories.success is True
    assert (histories.data.total_count, histories.data.tuning_histories or []) == (0, [])
    assert (histories.data.page_number, histories.data.page_size) == (1, 10)
    _expect(
        lambda: sdk.list_autopilot_tuning_histories_with_options(
            NS,
            deployment_id,
            vv.ListAutopilotTuningHistoriesRequest(start_time=0, end_time=31 * 86_400_000),
            vv.ListAutopilotTuningHistoriesHeaders(workspace=WS),
            RT,
        ),
        400,
        "InvalidParameter",
    )

    jobs.stop_all()
    jobs.started.clear()

    busy = _expect(lambda: _delete_folder(sdk, folder.folder_id), 409, "Conflict")
    assert "deployment draft(s)" in (busy.message or "")
    assert _delete_draft(sdk, draft_id).success is True
    _expect(lambda: _get_draft(sdk, draft_id), 404, "NotFound")
    assert _delete_folder(sdk, folder.folder_id).body.success is True
    _expect(lambda: _get_folder(sdk, folder.folder_id), 404, "NotFound")
    sdk.delete_deployment_with_options(
        NS, deployment_id, vv.DeleteDeploymentHeaders(workspace=WS), RT
    )


def test_sql_file_crud_in_a_folder(sdk: Client) -> None:
    suffix = uuid.uuid4().hex[:8]
    folder = _folder(sdk, f"sql-{suffix}")
    created = sdk.create_sql_file_with_options(
        NS,
        vv.CreateSqlFileRequest(
            body=vv.SqlFile(
                name="report.sql",
                parent_id=folder.folder_id,
                sql_script="SELECT 1;",
                description="daily",
            )
        ),
        vv.CreateSqlFileHeaders(workspace=WS),
        RT,
    ).body.data
    assert (created.name, created.parent_id, created.sql_script) == (
        "report.sql",
        folder.folder_id,
        "SELECT 1;",
    )
    assert (created.namespace, created.batch_mode) == (NS, "false")
    got = sdk.get_sql_file_with_options(
        NS,
        created.sql_file_id,
        vv.GetSqlFileRequest(),
        vv.GetSqlFileHeaders(workspace=WS),
        RT,
    ).body.data
    assert got.to_map() == created.to_map()
    updated = sdk.update_sql_file_with_options(
        NS,
        created.sql_file_id,
        vv.UpdateSqlFileRequest(body=vv.SqlFile(sql_script="SELECT 2;", name="report-v2.sql")),
        vv.UpdateSqlFileHeaders(workspace=WS),
        RT,
    ).body.data
    assert (updated.sql_script, updated.name, updated.description) == (
        "SELECT 2;",
        "report-v2.sql",
        "daily",
    )
    busy = _expect(lambda: _delete_folder(sdk, folder.folder_id), 409, "Conflict")
    assert "holds 1 SQL file(s)" in (busy.message or "")
    deleted = sdk.delete_sql_file_with_options(
        NS,
        created.sql_file_id,
        vv.DeleteSqlFileRequest(),
        vv.DeleteSqlFileHeaders(workspace=WS),
        RT,
    ).body
    assert (deleted.success, deleted.data.sql_file_id) == (True, created.sql_file_id)
    _expect(
        lambda: sdk.get_sql_file_with_options(
            NS, created.sql_file_id, vv.GetSqlFileRequest(), vv.GetSqlFileHeaders(workspace=WS), RT
        ),
        404,
        "NotFound",
    )
    assert _delete_folder(sdk, folder.folder_id).body.success is True


def test_pre_signed_url_accepts_a_put_and_the_file_is_listed(sdk: Client, api: Api) -> None:
    name = f"compat-{uuid.uuid4().hex[:8]}.jar"
    answer = sdk.get_pre_signed_url_for_put_object_with_options(
        NS,
        vv.GetPreSignedUrlForPutObjectRequest(file_name=name),
        vv.GetPreSignedUrlForPutObjectHeaders(workspace=WS),
        RT,
    ).body
    assert answer.success is True
    assert answer.data.jar_url == f"artifacts://{WS}/{NS}/{name}"
    url = answer.data.pre_signed_url
    assert "signature=" in url
    with httpx.Client(timeout=30) as http:
        forged = http.put(url.replace("signature=", "signature=0"), content=b"evil")
        assert forged.status_code == 403, forged.text
        put = http.put(url, content=b"jar bytes")
    assert put.status_code == 200, put.text
    try:
        listed = {a["name"]: a for a in api.ok("GET", "artifacts")}
        assert listed[name]["size"] == len(b"jar bytes")
        assert listed[name]["namespace"] == NS
    finally:
        api.call("DELETE", f"artifacts/{name}")
    _expect(
        lambda: sdk.get_pre_signed_url_for_put_object_with_options(
            NS,
            vv.GetPreSignedUrlForPutObjectRequest(),
            vv.GetPreSignedUrlForPutObjectHeaders(workspace=WS),
            RT,
        ),
        400,
        "InvalidParameter",
    )


def _statement(sdk: Client, statement: str) -> Any:
    return sdk.validate_sql_statement_with_options(
        NS,
        vv.ValidateSqlStatementRequest(
            body=vv.SqlStatementWithContext(statement=statement, batch_mode=False)
        ),
        vv.ValidateSqlStatementHeaders(workspace=WS),
        RT,
    ).body.data


def test_validate_sql_statement_good_and_bad_on_flink(sdk: Client) -> None:
    good = _statement(sdk, DATAGEN_SQL)
    assert (good.success, good.validation_result) == (True, "VALIDATION_RESULT_VALID_INSERT_QUERY")
    bad = _statement(sdk, BAD_SQL)
    assert (bad.success, bad.validation_result) == (True, "VALIDATION_RESULT_INVALID")
    assert (bad.error_details.line_number, bad.error_details.column_number) == ("14", "28"), (
        bad.error_details.to_map()
    )
    assert "Column 'nmae' not found" in (bad.error_details.message or "")
    missing = _statement(sdk, "INSERT INTO no_such_sink SELECT id FROM (VALUES (1)) AS t(id)")
    assert missing.validation_result == "VALIDATION_RESULT_INVALID"
    assert "no_such_sink" in (missing.error_details.message or "")


def test_chat_ai_agent_is_the_documented_not_supported_error(sdk: Client) -> None:
    with pytest.raises(TeaException) as caught:
        sdk.chat_ai_agent_with_options(
            NS,
            vv.ChatAiAgentRequest(user_message="why is my job slow?"),
            vv.ChatAiAgentHeaders(workspace=WS),
            RT,
        )
    error = caught.value
    assert isinstance(error, ClientException)
    assert (error.status_code, error.code) == (404, "NotFound")
    assert "ChatAiAgent is not supported" in (error.message or "")
    assert "GetJobDiagnosis" in (error.message or "")
