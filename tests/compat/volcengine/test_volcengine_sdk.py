"""Issue 14 through the official ``volcenginesdkflink20250101`` SDK, unchanged, against a
REAL Millstream server process on the session's REAL Flink cluster (``millstream_server``
of tests/e2e), configured as sdk-wire-notes.md §3A says (host:port, scheme http, the key
pair the server issued on first start).

SQL and JAR applications reach RUNNING; a savepoint is taken; the instance is cancelled
and restored FROM_SAVEPOINT and FROM_LATEST, and Flink itself confirms which state it
restored; a retried start with the same UniqueKey starts one instance; errors come back
as the SDK's ``ApiException`` with the dialect's status and code; signature failures
(wrong secret, skewed clock, tampered body) are refused. Every instance a test starts is
cancelled before it ends (4 shared slots).
"""

from __future__ import annotations

import configparser
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import volcenginesdkcore
import volcenginesdkflink20250101 as fl
from tests.e2e.conftest import DATAGEN_SQL, Api, ServerHandle, api, millstream_server
from volcenginesdkcore.rest import ApiException

from millstream.api.auth import SignedRequest
from millstream.api.volcengine.signature import authorization_header
from millstream.engine.javac import compile_jar
from millstream.engine.runtime import FlinkRuntime

__all__ = ["api", "millstream_server"]  # the fixtures, re-exported for this module

pytestmark = pytest.mark.flink

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
TERMINAL = {"STOPPED", "FAILED", "FINISHED"}


def _credentials(server: ServerHandle) -> tuple[str, str]:
    parser = configparser.ConfigParser()
    parser.read(server.credentials_file)
    return parser["default"]["access_key_id"], parser["default"]["access_key_secret"]


def _client(server: ServerHandle, *, secret: str | None = None, retry: bool = True) -> Any:
    key, default_secret = _credentials(server)
    config = volcenginesdkcore.Configuration()
    config.ak = key
    config.sk = secret or default_secret
    config.region = "cn-beijing"
    config.host = server.url.removeprefix("http://")
    config.scheme = "http"
    config.auto_retry = retry
    config.read_timeout = 120  # first plans are slow on a busy machine
    return fl.FLINK20250101Api(volcenginesdkcore.ApiClient(config))


@pytest.fixture
def sdk(millstream_server: ServerHandle) -> Any:
    return _client(millstream_server)


class Instances:
    """Starts instances and cancels whatever is still live at the end of the test."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.started: list[str] = []

    def start(self, request: Any) -> Any:
        response = self.client.start_application_instance(request)
        self.started.append(response.instance_id)
        return response

    def get(self, instance_id: str) -> Any:
        return self.client.get_application_instance(
            fl.GetApplicationInstanceRequest(instance_id=instance_id)
        )

    def wait(self, instance_id: str, *states: str, timeout: float = 180) -> Any:
        deadline = time.monotonic() + timeout
        found: Any = None
        while time.monotonic() < deadline:
            found = self.get(instance_id)
            if found.state in states:
                return found
            time.sleep(0.5)
        raise AssertionError(f"instance {instance_id} not {states}: {found}")

    def cancel(self, instance_id: str) -> None:
        self.client.cancel_application_instance(
            fl.CancelApplicationInstanceRequest(instance_id=instance_id)
        )
        self.wait(instance_id, *TERMINAL)

    def cancel_all(self) -> None:
        for instance_id in self.started:
            try:
                if self.get(instance_id).state not in TERMINAL:
                    self.cancel(instance_id)
            except ApiException:
                continue


@pytest.fixture
def instances(sdk: Any) -> Iterator[Instances]:
    tracker = Instances(sdk)
    yield tracker
    tracker.cancel_all()


def _sql_app(name: str, **extra: Any) -> Any:
    return fl.AppForStartApplicationInstanceInput(
        job_name=name,
        job_type="FLINK_STREAMING_SQL",
        project_id="default",
        engine_version="FLINK_VERSION_1_17",
        sql_text=DATAGEN_SQL,
        deploy_request=fl.DeployRequestForStartApplicationInstanceInput(
            resource_pool="default", schedule_policy="GANG", priority="1"
        ),
        conf=json.dumps({"execution.checkpointing.interval": "2s"}),
        **extra,
    )


def _restored_path(server: ServerHandle, flink_job_id: str) -> str | None:
    """The state Flink says it restored the job from (its checkpoint statistics)."""
    url = f"{server.flink.rest_url}/jobs/{flink_job_id}/checkpoints"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        latest = httpx.get(url, timeout=10).json().get("latest") or {}
        restored = latest.get("restored")
        if restored:
            return str(restored.get("external_path"))
        time.sleep(0.5)
    return None


def _error(call: Callable[[], Any]) -> tuple[int, dict[str, Any]]:
    with pytest.raises(ApiException) as caught:
        call()
    body = json.loads(caught.value.body)
    return int(caught.value.status), dict(body["ResponseMetadata"]["Error"])


def _wait_savepoint(sdk: Any, application_id: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    infos: list[Any] = []
    while time.monotonic() < deadline:
        infos = sdk.list_gws_savepoint(
            fl.ListGWSSavepointRequest(id=application_id)
        ).savepoint_infos
        done = [info for info in infos or [] if info.status == "COMPLETED"]
        if done:
            return done[0]
        failed = [info for info in infos or [] if info.status == "FAILED"]
        assert not failed, failed
        time.sleep(0.5)
    raise AssertionError(f"no completed savepoint of {application_id}: {infos}")


def test_sql_application_lifecycle_with_savepoint_and_restores(
    sdk: Any, instances: Instances, millstream_server: ServerHandle
) -> None:
    name = f"volc-sql-{uuid.uuid4().hex[:8]}"
    unique_key = uuid.uuid4().hex
    started = instances.start(
        fl.StartApplicationInstanceRequest(app=_sql_app(name, unique_key=unique_key))
    )
    assert started.success is True
    assert started._metadata.request_id
    # The same UniqueKey again (a retried start): the same instance, no second one.
    again = sdk.start_application_instance(
        fl.StartApplicationInstanceRequest(app=_sql_app(name, unique_key=unique_key))
    )
    assert (again.id, again.instance_id) == (started.id, started.instance_id)
    running = instances.wait(started.instance_id, "RUNNING")
    assert (running.job_name, running.job_type, running.application_id) == (
        name,
        "FLINK_STREAMING_SQL",
        started.id,
    )
    listed = sdk.list_application_instance(
        fl.ListApplicationInstanceRequest(
            job_id=int(started.id), page_num="1", page_size="10", project_id="default", state="ALL"
        )
    )
    assert [record.id for record in listed.records] == [started.instance_id]
    apps = sdk.list_gws_application(
        fl.ListGWSApplicationRequest(page_num=1, page_size=100, project_id="default", job_name=name)
    )
    assert [(app.id, app.state) for app in apps.records] == [(started.id, "RUNNING")]

    taken = sdk.create_gws_savepoint(fl.CreateGWSSavepointRequest(id=started.id, description="sp"))
    assert taken.instance_id == started.instance_id
    savepoint = _wait_savepoint(sdk, started.id)
    methods = sdk.get_gws_start_method(fl.GetGWSStartMethodRequest(id=started.id))
    assert "FROM_SAVEPOINT" in methods.enable_start_methods
    instances.cancel(started.instance_id)

    from_savepoint = instances.start(
        fl.StartApplicationInstanceRequest(
            id=started.id,
            restore_strategy=fl.RestoreStrategyForStartApplicationInstanceInput(
                type="FROM_SAVEPOINT", savepoint_id=savepoint.savepoint_id
            ),
        )
    )
    restored = instances.wait(from_savepoint.instance_id, "RUNNING")
    assert _restored_path(millstream_server, restored.job_engine_key) == savepoint.savepoint_path
    instances.cancel(from_savepoint.instance_id)

    latest = instances.start(
        fl.StartApplicationInstanceRequest(
            id=started.id,
            restore_strategy=fl.RestoreStrategyForStartApplicationInstanceInput(type="FROM_LATEST"),
        )
    )
    running = instances.wait(latest.instance_id, "RUNNING")
    assert _restored_path(millstream_server, running.job_engine_key)  # some state, not fresh
    instances.cancel(latest.instance_id)
    stopped = instances.get(latest.instance_id)
    assert stopped.state == "STOPPED"


@pytest.fixture(scope="module")
def example_jar(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    jar = compile_jar(
        FlinkRuntime.detect(),
        [EXAMPLES / "java" / "src" / "main" / "java"],
        cache_dir=tmp_path_factory.mktemp("examples"),
        name="millstream-examples",
        main_class="millstream.examples.StreamingJob",
    )
    return jar.read_bytes()


def test_jar_application_through_a_draft_runs(
    sdk: Any, instances: Instances, api: Api, example_jar: bytes
) -> None:
    name = f"volc-jar-{uuid.uuid4().hex[:8]}"
    uploaded = api.ok("PUT", f"artifacts/volcengine/{name}.jar", raw=example_jar)
    draft = sdk.create_gws_application_draft(
        fl.CreateGWSApplicationDraftRequest(
            directory_id=0,
            engine_version="FLINK_VERSION_1_17",
            job_name=name,
            job_type="FLINK_STREAMING_JAR",
            project_id="default",
        )
    )
    sdk.update_gws_application_draft(
        fl.UpdateGWSApplicationDraftRequest(
            id=draft.id,
            directory_id="0",
            engine_version="FLINK_VERSION_1_17",
            job_name=name,
            job_type="FLINK_STREAMING_JAR",
            project_id="default",
            options=json.dumps(
                {"Jar": uploaded["uri"], "MainClass": "millstream.examples.StreamingJob"}
            ),
        )
    )
    deployed = sdk.deploy_gws_application_draft(
        fl.DeployGWSApplicationDraftRequest(
            draft_id=draft.id,
            project_id="default",
            queue="",
            resource_pool="default",
            schedule_policy="GANG",
        )
    )
    started = instances.start(
        fl.StartApplicationInstanceRequest(
            id=deployed.id,
            restore_strategy=fl.RestoreStrategyForStartApplicationInstanceInput(type="FROM_NEW"),
        )
    )
    running = instances.wait(started.instance_id, "RUNNING")
    assert (running.job_type, running.jar) == ("FLINK_STREAMING_JAR", uploaded["uri"])
    restarted = sdk.restart_gws_application(
        fl.RestartGWSApplicationRequest(id=deployed.id, type="FROM_LATEST")
    )
    assert (restarted.id, restarted.success) == (deployed.id, True)
    # The SDK's Restart answer has no instance id: the new instance is the newest listed.
    listed = sdk.list_application_instance(
        fl.ListApplicationInstanceRequest(
            job_id=int(deployed.id), page_num="1", page_size="10", project_id="default", state="ALL"
        )
    )
    newest = listed.records[0].id
    instances.started.append(newest)
    assert newest != started.instance_id
    assert listed.total == 2
    instances.wait(newest, "RUNNING")
    assert instances.get(started.instance_id).state in TERMINAL


def test_resource_pools(sdk: Any) -> None:
    listed = sdk.list_gmcs_resources(fl.ListGMCSResourcesRequest(project_id="default"))
    assert "default" in {pool.id for pool in listed.data_list}
    default = sdk.get_gmcs_resource_pool(fl.GetGMCSResourcePoolRequest(id="default"))
    assert (default.name, default.status) == ("default", "RUNNING")
    name = f"pool-{uuid.uuid4().hex[:6]}"
    created = sdk.create_gmcs_resource_pool(
        fl.CreateGMCSResourcePoolRequest(
            billing_type="PostPaid",
            name=name,
            project_id="default",
            region_id="cn-beijing",
            vpc_id="vpc-local",
            zone_id="local",
            resources=[fl.ResourceForCreateGMCSResourcePoolInput(capability=2, units="CU")],
        )
    )
    assert created.trade_config_id == name
    sdk.update_gmcs_resource_pool(
        fl.UpdateGMCSResourcePoolRequest(
            resource_pool_id=name,
            resources=[fl.ResourceForUpdateGMCSResourcePoolInput(capability=3, units="CU")],
        )
    )
    pool = sdk.get_gmcs_resource_pool(fl.GetGMCSResourcePoolRequest(id=name))
    assert pool.resources[0].capability == 3
    deleted = sdk.delete_gmcs_resource(fl.DeleteGMCSResourceRequest(resource_pool_id=name))
    assert deleted.order_id == name
    status, error = _error(
        lambda: sdk.get_gmcs_resource_pool(fl.GetGMCSResourcePoolRequest(id=name))
    )
    assert (status, error["Code"]) == (404, "NotFound.ResourcePool")


def test_errors_are_api_exceptions_with_the_dialect_code(sdk: Any) -> None:
    status, error = _error(
        lambda: sdk.get_application_instance(
            fl.GetApplicationInstanceRequest(instance_id="999999999")
        )
    )
    assert (status, error["Code"]) == (404, "NotFound.ApplicationInstance")
    status, error = _error(
        lambda: sdk.start_application_instance(fl.StartApplicationInstanceRequest(id="42"))
    )
    assert (status, error["Code"]) == (404, "NotFound.Application")
    assert error["Message"].startswith("app id is empty or invalid")
    status, error = _error(
        lambda: sdk.start_application_instance(
            fl.StartApplicationInstanceRequest(
                app=fl.AppForStartApplicationInstanceInput(
                    job_name=f"bad-{uuid.uuid4().hex[:6]}",
                    job_type="FLINK_STREAMING_SQL",
                    project_id="default",
                    sql_text="SELEKT nonsense",
                )
            )
        )
    )
    assert (status, error["Code"]) == (400, "InvalidParameter.SqlText")


def test_wrong_secret_is_refused(millstream_server: ServerHandle) -> None:
    client = _client(millstream_server, secret="not-the-secret", retry=False)
    status, error = _error(
        lambda: client.list_gws_application(
            fl.ListGWSApplicationRequest(page_num=1, page_size=10, project_id="default")
        )
    )
    assert (status, error["Code"]) == (401, "SignatureDoesNotMatch")


def _raw_call(
    server: ServerHandle, body: dict[str, Any], *, at: datetime, tamper: bytes | None = None
) -> httpx.Response:
    """A ListGWSApplication signed as the SDK signs it (``authorization_header`` matches
    ``SignerV4``, see the unit tests) but at ``at``, optionally sent with another body."""
    key, secret = _credentials(server)
    params = {"Action": "ListGWSApplication", "Version": "2025-01-01"}
    text = json.dumps(body)
    headers = {
        "content-type": "application/json",
        "host": server.url.removeprefix("http://"),
        "x-content-sha256": hashlib.sha256(text.encode()).hexdigest(),
        "x-date": at.strftime("%Y%m%dT%H%M%SZ"),
        "x-sdk-request": f"attempt=1; at={at.timestamp()}",
    }
    signed = SignedRequest("POST", "/", urlencode(params), tuple(headers.items()), text.encode())
    headers["authorization"] = authorization_header(
        signed, access_key_id=key, secret=secret, region="cn-beijing", signed_headers=list(headers)
    )
    content = tamper if tamper is not None else text.encode()
    return httpx.post(f"{server.url}/?{urlencode(params)}", content=content, headers=headers)


def test_skewed_clock_and_tampered_body_are_refused(millstream_server: ServerHandle) -> None:
    body = {"PageNum": 1, "PageSize": 10, "ProjectId": "default"}
    now = datetime.now(UTC)
    fresh = _raw_call(millstream_server, body, at=now)
    assert fresh.status_code == 200, fresh.text
    skewed = _raw_call(millstream_server, body, at=now - timedelta(minutes=30))
    assert skewed.status_code == 401
    assert skewed.json()["ResponseMetadata"]["Error"]["Code"] == "RequestExpired"
    tampered = _raw_call(
        millstream_server,
        body,
        at=now + timedelta(seconds=1),
        tamper=json.dumps({**body, "ProjectId": "other"}).encode(),
    )
    assert tampered.status_code == 401
    assert tampered.json()["ResponseMetadata"]["Error"]["Code"] == "SignatureDoesNotMatch"
