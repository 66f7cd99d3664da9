"""Issue 13's cluster sizes through the official ``aliyun-python-sdk-foas`` SDK against a
REAL Millstream server process whose session cluster is REAL Flink:

CreateCluster (sized from machine models) -> RUNNING with the asked JobManager and
TaskManager -> ExpandCluster (Flink's ``/taskmanagers`` shows more) -> a job on the
cluster (through a queue on it) -> ShrinkCluster of the TaskManager the job uses, refused
(409 ``Cluster.InUse`` naming used and free slots), as is DestroyCluster while the job
runs -> ShrinkCluster of the idle one (Flink shows fewer, the job keeps running) ->
ModifyMasterSpec with the job RUNNING answers at once; the cluster shows UPGRADING (a
second ModifyMasterSpec is refused) while the job is suspended with a savepoint, the
JobManager restarts with the new size (Flink's ``/jobmanager/config``) and the job runs
again there, restored from that savepoint (Flink's ``/jobs/{id}/checkpoints``) -> it
stops -> DestroyCluster (nothing of it left answering).

The server is the e2e one (its default cluster is the session's Flink, which validates
the job's SQL); the job runs on the session cluster this test creates, through a queue on
it.
"""

from __future__ import annotations

import configparser
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkfoas.request.v20181111 import (
    CreateClusterRequest,
    CreateJobRequest,
    CreateQueueRequest,
    DestroyClusterRequest,
    ExpandClusterRequest,
    GetClusterDetailsRequest,
    GetInstanceRunSummaryRequest,
    ModifyInstanceStateRequest,
    ModifyMasterSpecRequest,
    ShrinkClusterRequest,
    StartJobRequest,
)
from tests.e2e.conftest import DATAGEN_SQL, ServerHandle, millstream_server

__all__ = ["millstream_server"]  # the fixture, re-exported for this module

pytestmark = pytest.mark.flink

PROJECT = "default"
CLUSTER = "resize-a"
JOB = "on-resized"


@dataclass
class Foas:
    endpoint: str
    client: AcsClient
    data_dir: Path
    log_file: Path

    def raw(self, request: Any) -> bytes:
        request.set_endpoint(self.endpoint)
        request.set_protocol_type("http")
        # A signed nonce: the same write twice within a second is not a replay.
        request.add_header("x-acs-signature-nonce", uuid.uuid4().hex)
        body: bytes = self.client.do_action_with_exception(request)
        return body

    def call(self, request: Any) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(self.raw(request))
        assert answer["RequestId"]
        return answer

    def error(self, request: Any) -> ServerException:
        with pytest.raises(ServerException) as caught:
            self.raw(request)
        assert caught.value.get_request_id()
        return caught.value

    def log_tail(self) -> str:
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-60:])

    def until(self, what: str, check: Callable[[], Any], timeout: float = 180) -> Any:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = check()
            if last:
                return last
            time.sleep(0.5)
        raise AssertionError(f"{what}: not within {timeout:.0f} s\n{self.log_tail()}")

    # ------------------------------------------------------------------ the cluster

    def details(self) -> dict[str, Any]:
        request = GetClusterDetailsRequest.GetClusterDetailsRequest()
        request.set_clusterId(CLUSTER)
        details: dict[str, Any] = self.call(request)["Details"]
        return details

    def state(self) -> str:
        return str(self.details()["State"])

    def rest_url(self) -> str:
        """The session cluster's Flink, from the state file its processes are recorded in."""
        state = self.data_dir / "clusters" / "default" / CLUSTER / "flink" / "run" / "cluster.json"
        return f"http://127.0.0.1:{json.loads(state.read_text())['rest_port']}"

    def flink(self, path: str) -> Any:
        return httpx.get(self.rest_url() + path, timeout=10).json()

    def taskmanagers(self) -> dict[str, int]:
        """Flink's TaskManagers: id -> used slots."""
        rows = self.flink("/taskmanagers")["taskmanagers"]
        return {r["id"]: r["slotsNumber"] - r["freeSlots"] for r in rows if r["slotsNumber"]}

    # ------------------------------------------------------------------ the job

    def summary(self) -> dict[str, Any]:
        request = GetInstanceRunSummaryRequest.GetInstanceRunSummaryRequest()
        request.set_projectName(PROJECT)
        request.set_jobName(JOB)
        request.set_instanceId("-1")
        summary: dict[str, Any] = self.call(request)["RunSummary"]
        return summary


@pytest.fixture
def foas(millstream_server: ServerHandle) -> Foas:
    parser = configparser.ConfigParser()
    parser.read(millstream_server.credentials_file)
    client = AcsClient(
        parser["default"]["access_key_id"],
        parser["default"]["access_key_secret"],
        "cn-hangzhou",
        auto_retry=False,
        timeout=60,
        connect_timeout=10,
    )
    return Foas(
        millstream_server.url.removeprefix("http://"),
        client,
        millstream_server.data_dir,
        millstream_server.log_file,
    )


def _on_cluster(cls: Any, **fields: Any) -> Any:
    request = cls()
    request.set_clusterId(CLUSTER)
    for key, value in fields.items():
        getattr(request, f"set_{key}")(value)
    return request


def _job(cls: Any) -> Any:
    request = cls()
    request.set_projectName(PROJECT)
    request.set_jobName(JOB)
    return request


def _create_cluster(foas: Foas) -> None:
    request = CreateClusterRequest.CreateClusterRequest()
    for key, value in {
        "displayName": CLUSTER,
        "description": "resized through the SDK",
        "orderId": "blinkonecs_1234",
        "userOssBucket": "b",
        "userVpcId": "vpc-a",
        "userVSwitch": "vsw-a",
        "zoneId": "cn-shanghai-f",
    }.items():
        getattr(request, f"set_{key}")(value)
    # CreateCellClusterOrder's size fields: the SDK's CreateClusterRequest has no setters.
    request.add_body_params("masterSpec", "Ecs_4c16g")
    request.add_body_params("slaveSpec", "Ecs_4c16g")
    request.add_body_params("slaveNum", "1")
    assert foas.call(request)["ClusterId"] == CLUSTER


def _start_job(foas: Foas) -> None:
    queue = _on_cluster(
        CreateQueueRequest.CreateQueueRequest, queueName="root.resize", maxVcore=800, maxMemMB=0
    )
    foas.call(queue)
    job = _job(CreateJobRequest.CreateJobRequest)
    job.set_jobType("FLINK_STREAM")
    job.set_apiType("SQL")
    job.set_code(DATAGEN_SQL)
    job.set_engineVersion("blink-3.6.0")
    job.set_clusterId(CLUSTER)
    job.set_queueName("root.resize")
    job.set_planJson("{}")
    foas.call(job)
    foas.call(_job(StartJobRequest.StartJobRequest))
    foas.until("the job RUNNING", lambda: foas.summary()["ActualState"] == "RUNNING")


def _refused(error: ServerException, status: int, code: str, *words: str) -> None:
    assert (error.get_http_status(), error.get_error_code()) == (status, code), error
    for word in words:
        assert word in error.get_error_msg(), error.get_error_msg()


def test_cluster_is_created_expanded_shrunk_resized_and_destroyed(foas: Foas) -> None:
    _create_cluster(foas)
    foas.until("the cluster RUNNING", lambda: foas.state() == "RUNNING")
    infos = json.loads(foas.details()["InstanceInfos"])
    assert infos[0] == {"role": "master", "cpu": 4.0, "memory": "4096m", "model": "Ecs_4c16g"}
    assert [(i["instanceId"], i["slots"], i["memory"]) for i in infos[1:]] == [
        ("taskmanager-0", 4, "4096m")
    ]
    assert foas.flink("/jobmanager/config")  # Flink itself answers
    assert foas.until("one TaskManager", foas.taskmanagers) == {"taskmanager-0": 0}

    # Expand: the document's count is the number of machines afterwards.
    _refused(
        foas.error(_on_cluster(ExpandClusterRequest.ExpandClusterRequest, count=1)),
        400,
        "InvalidParameter",
        "larger count",
    )
    _refused(
        foas.error(
            _on_cluster(ExpandClusterRequest.ExpandClusterRequest, count=2, model="Ecs_8c32g")
        ),
        400,
        "InvalidParameter",
        "Ecs_4c16g",
    )
    foas.call(_on_cluster(ExpandClusterRequest.ExpandClusterRequest, count=2, model="Ecs_4c16g"))
    two = foas.until(
        "two TaskManagers", lambda: len(foas.taskmanagers()) == 2 and foas.taskmanagers()
    )
    assert sorted(two) == ["taskmanager-0", "taskmanager-1"]
    shown = json.loads(foas.details()["InstanceInfos"])[1:]
    assert sorted(i["instanceId"] for i in shown) == ["taskmanager-0", "taskmanager-1"]

    # A job takes a slot on one of them: that one cannot go, nor the cluster.
    _start_job(foas)
    used = foas.until(
        "a busy TaskManager", lambda: [t for t, n in foas.taskmanagers().items() if n]
    )
    (busy,) = used
    (idle,) = set(two) - {busy}
    _refused(
        foas.error(_on_cluster(ShrinkClusterRequest.ShrinkClusterRequest, instanceIds=busy)),
        409,
        "Cluster.InUse",
        f"{busy} 1 used/3 free",
    )
    _refused(
        foas.error(_on_cluster(DestroyClusterRequest.DestroyClusterRequest)),
        409,
        "Cluster.InUse",
        JOB,
    )

    # The idle one goes; the job keeps running on the other.
    foas.call(_on_cluster(ShrinkClusterRequest.ShrinkClusterRequest, instanceIds=idle))
    foas.until("one TaskManager left", lambda: list(foas.taskmanagers()) == [busy])
    assert foas.summary()["ActualState"] == "RUNNING"
    _refused(
        foas.error(
            _on_cluster(ShrinkClusterRequest.ShrinkClusterRequest, modelTargetCount="{Ecs_4c16g:1}")
        ),
        400,
        "InvalidParameter",
        "keeps at least 1",
    )

    # The JobManager resize carries the running job: suspended with a savepoint, the
    # cluster restarted with the new size, the job resumed from its savepoint there.
    (before,) = [j["jid"] for j in foas.flink("/jobs/overview")["jobs"] if j["state"] == "RUNNING"]
    asked = time.monotonic()
    foas.call(
        _on_cluster(ModifyMasterSpecRequest.ModifyMasterSpecRequest, masterTargetModel="Ecs_8c32g")
    )
    assert time.monotonic() - asked < 5  # answered at once; the rest happens after
    assert foas.state() == "UPGRADING"
    _refused(
        foas.error(
            _on_cluster(
                ModifyMasterSpecRequest.ModifyMasterSpecRequest, masterTargetModel="Ecs_4c16g"
            )
        ),
        409,
        "Cluster.InUse",
        "already being restarted",
    )
    foas.until("the job suspended", lambda: foas.summary()["ActualState"] == "PAUSED")

    def restarted() -> bool:
        if foas.state() != "RUNNING":
            return False
        try:
            config = {e["key"]: e["value"] for e in foas.flink("/jobmanager/config")}
        except (httpx.HTTPError, ValueError):
            return False
        return config.get("jobmanager.memory.process.size") == "8192m"

    foas.until("the JobManager restarted with 8 GiB", restarted)
    assert json.loads(foas.details()["InstanceInfos"])[0]["memory"] == "8192m"
    assert len(foas.until("the TaskManager back", foas.taskmanagers)) == 1
    foas.until("the job RUNNING again", lambda: foas.summary()["ActualState"] == "RUNNING")
    (flink_job,) = [
        j["jid"] for j in foas.flink("/jobs/overview")["jobs"] if j["state"] == "RUNNING"
    ]
    assert flink_job != before  # a new attempt on the restarted JobManager

    def restored() -> Any:
        latest = foas.flink(f"/jobs/{flink_job}/checkpoints").get("latest") or {}
        return latest.get("restored")

    assert foas.until("the job restored", restored)["is_savepoint"] is True

    _modify(foas, "TERMINATED")
    foas.until("the job TERMINATED", lambda: foas.summary()["ActualState"] == "TERMINATED")
    url = foas.rest_url()
    foas.call(_on_cluster(DestroyClusterRequest.DestroyClusterRequest))
    foas.until("the cluster DESTROYED", lambda: foas.state() == "DESTROYED")
    with pytest.raises(httpx.HTTPError):
        httpx.get(url + "/overview", timeout=5)


def _modify(foas: Foas, state: str) -> None:
    request = _job(ModifyInstanceStateRequest.ModifyInstanceStateRequest)
    request.set_instanceId("-1")
    request.set_expectState(state)
    if state == "PAUSED":
        request.set_triggerCheckpoint("True")
    foas.call(request)
