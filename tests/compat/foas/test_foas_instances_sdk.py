"""The foas operations the lifecycle test does not reach, through the official
``aliyun-python-sdk-foas`` against a REAL server on REAL Flink: UpdateJob and CommitJob,
the instance reads (GetInstanceConfig, GetInstanceResource, GetInstanceFinalState,
ListInstance with its filters and time bounds, BatchGetInstanceRunSummary),
GetClusterMetrics, and CreateCellClusterOrder's documented refusal; errors come back as
the SDK's ``ServerException`` (and as XML when ``Format=XML`` asks for it).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkfoas.request.v20181111 import (
    BatchGetInstanceRunSummaryRequest,
    CommitJobRequest,
    CreateCellClusterOrderRequest,
    GetClusterMetricsRequest,
    GetInstanceConfigRequest,
    GetInstanceFinalStateRequest,
    GetInstanceResourceRequest,
    GetJobRequest,
    ListInstanceRequest,
    UpdateJobRequest,
)
from tests.compat.foas.test_foas_sdk import PROJECT, Foas, _client, _create
from tests.e2e.conftest import ServerHandle, millstream_server

__all__ = ["millstream_server"]  # the fixture, re-exported for this module

pytestmark = pytest.mark.flink


@pytest.fixture
def foas(millstream_server: ServerHandle) -> Iterator[Foas]:
    tracker = Foas(millstream_server, _client(millstream_server))
    yield tracker
    tracker.stop_all()


def _raw(foas: Foas, request: Any) -> bytes:
    request.set_endpoint(foas.endpoint)
    request.set_protocol_type("http")
    answer: bytes = foas.client.do_action_with_exception(request)
    return answer


def _list(foas: Foas, **filters: Any) -> dict[str, Any]:
    request = ListInstanceRequest.ListInstanceRequest()
    request.set_projectName(PROJECT)
    for field, value in filters.items():
        getattr(request, f"set_{field}")(value)
    return foas.call(request)


def _listed(foas: Foas, **filters: Any) -> list[int]:
    return [i["Id"] for i in _list(foas, **filters)["Instances"]["Instance"]]


def test_update_and_commit_job(foas: Foas) -> None:
    name = f"foas-up-{uuid.uuid4().hex[:6]}"
    _create(foas, name)
    update = foas.job_request(UpdateJobRequest.UpdateJobRequest, name)
    update.set_description("changed by UpdateJob")
    update.set_properties("blink.checkpoint.interval.ms=5000")
    foas.call(update)
    job = foas.call(foas.job_request(GetJobRequest.GetJobRequest, name))["Job"]
    assert job["Description"] == "changed by UpdateJob"
    assert "blink.checkpoint.interval.ms=5000" in job["Properties"]
    assert job["Code"]  # what UpdateJob did not name is kept

    commit = foas.job_request(CommitJobRequest.CommitJobRequest, name)
    commit.set_maxCU("2.5")
    commit.set_isOnOff("False")
    foas.call(commit)
    assert foas.call(foas.job_request(GetJobRequest.GetJobRequest, name))["Job"]["IsCommitted"]

    bad = foas.job_request(CommitJobRequest.CommitJobRequest, name)
    bad.set_maxCU("lots")
    with pytest.raises(ServerException) as caught:
        foas.call(bad)
    assert (caught.value.get_http_status(), caught.value.get_error_code()) == (
        400,
        "InvalidParameter",
    )
    with pytest.raises(ServerException) as caught:
        foas.call(foas.job_request(UpdateJobRequest.UpdateJobRequest, "no-such-job"))
    assert caught.value.get_error_code() == "Job.NotFound"


def test_instance_reads_on_real_flink(foas: Foas) -> None:
    name = f"foas-in-{uuid.uuid4().hex[:6]}"
    _create(foas, name)
    before = int(time.time() * 1000)
    instance = foas.start(name)
    foas.wait(name, "RUNNING")

    config = json.loads(
        foas.call(foas.instance_request(GetInstanceConfigRequest.GetInstanceConfigRequest, name))[
            "Config"
        ]
    )
    assert config["jid"]  # Flink's own job configuration
    resource = foas.call(
        foas.instance_request(GetInstanceResourceRequest.GetInstanceResourceRequest, name)
    )["Resource"]
    assert resource["AllocatedMB"] > 0
    assert resource["TotalMB"] == resource["AllocatedMB"]

    assert instance in _listed(foas, jobName=name)
    assert instance in _listed(foas, actualState="RUNNING", startBeginTs=str(before))
    assert _listed(foas, jobName=name, actualState="FAILED") == []
    assert _listed(foas, jobName=name, startEndTs=str(before - 3_600_000)) == []
    paged = _list(foas, jobName=name, pageSize="1", pageIndex="1")
    assert (paged["PageSize"], paged["TotalCount"]) == (1, 1)

    other = f"foas-in-{uuid.uuid4().hex[:6]}"
    _create(foas, other)  # never started: no run summary
    batch = BatchGetInstanceRunSummaryRequest.BatchGetInstanceRunSummaryRequest()
    batch.set_projectName(PROJECT)
    batch.set_jobNames(f"{name},{other}")
    summaries = foas.call(batch)["RunSummarys"]["RunSummary"]
    assert [(s["Id"], s["ActualState"]) for s in summaries] == [(instance, "RUNNING")]

    foas.modify(name, "TERMINATED")
    foas.wait(name, "TERMINATED")
    final = foas.call(
        foas.instance_request(
            GetInstanceFinalStateRequest.GetInstanceFinalStateRequest, name, str(instance)
        )
    )["Finalstate"]
    assert final in {"CANCELED", "FINISHED", "STOPPED", "CANCELLED"}, final
    assert instance in _listed(foas, jobName=name, isArchived="True")
    assert instance not in _listed(foas, jobName=name)
    with pytest.raises(ServerException) as caught:
        foas.call(foas.instance_request(GetInstanceConfigRequest.GetInstanceConfigRequest, name))
    assert caught.value.get_http_status() == 400  # Flink reports on running instances only


def test_cluster_metrics_and_the_cell_order_refusal(foas: Foas) -> None:
    metrics = GetClusterMetricsRequest.GetClusterMetricsRequest()
    metrics.set_clusterId("default")
    metrics.set_metricJson(
        json.dumps({"queries": [{"metric": "cu.total"}, {"metric": "default.cu.free"}]})
    )
    found = foas.call(metrics)["Metrics"]["Metric"]
    assert [m["MetricName"] for m in found] == ["cu.total", "default.cu.free"]
    assert found[0]["Summary"] > 0
    assert found[1]["Summary"] <= found[0]["Summary"]

    unknown = GetClusterMetricsRequest.GetClusterMetricsRequest()
    unknown.set_clusterId("default")
    unknown.set_metricJson(json.dumps({"queries": [{"metric": "cpu.idle"}]}))
    with pytest.raises(ServerException) as caught:
        foas.call(unknown)
    assert caught.value.get_error_code() == "InvalidParameter"

    order = CreateCellClusterOrderRequest.CreateCellClusterOrderRequest()
    order.set_region("cn-hangzhou")
    order.set_period("1")
    order.set_masterNum("2")
    order.set_slaveNum("2")
    with pytest.raises(ServerException) as caught:
        foas.call(order)
    assert caught.value.get_http_status() == 501
    assert "self-hosted" in caught.value.get_error_msg()


def test_errors_as_xml(foas: Foas) -> None:
    request = foas.job_request(GetJobRequest.GetJobRequest, "no-such-job")
    request.add_query_param("Format", "XML")
    request.set_accept_format("XML")
    with pytest.raises(ServerException) as caught:
        _raw(foas, request)
    # The SDK parses error bodies as JSON only: an XML error reaches it as its raw body.
    assert caught.value.get_http_status() == 404
    error = ElementTree.fromstring(
        caught.value.get_error_msg().removeprefix("ServerResponseBody: ")
    )
    assert error.findtext("Code") == "Job.NotFound"
    assert error.findtext("RequestId")

    listing = ListInstanceRequest.ListInstanceRequest()
    listing.set_projectName(PROJECT)
    listing.add_query_param("Format", "XML")
    root = ElementTree.fromstring(_raw(foas, listing))
    assert root.tag == "ListInstanceResponse"
    assert root.find("RequestId") is not None
    assert root.find("TotalCount") is not None
