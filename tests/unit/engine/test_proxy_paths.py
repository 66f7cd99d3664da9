"""The FlinkApiProxy allow-list: only listed read-only endpoints of the caller's own job
(and a few cluster-wide ones), each with its own query parameters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.domain.errors import ErrorCode, InvalidInput
from millstream.engine.proxy_paths import CLUSTER_PATHS, JOB_PATHS, check_proxy_path

FID = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
VERTEX = "cbc357ccb763df2852fee8c4fc7d55f2"


def _concrete(template: str) -> str:
    return (
        template.replace("{job}", FID)
        .replace("{vertex}", VERTEX)
        .replace("{subtask}", "0")
        .replace("{attempt}", "1")
        .replace("{checkpoint}", "7")
        .replace("{taskmanager}", "taskmanager-0")
    )


@pytest.mark.parametrize("template", sorted([*JOB_PATHS, *CLUSTER_PATHS]))
def test_every_listed_endpoint_is_allowed(template: str) -> None:
    target = check_proxy_path(_concrete(template), flink_job_id=FID)
    assert target.template == template
    assert target.path == _concrete(template)


@pytest.mark.parametrize(
    "path",
    [
        f"/jobs/{FID}/yarn-cancel",
        f"/jobs/{FID}/yarn-stop",
        f"/jobs/{FID}/savepoints",
        f"/jobs/{FID}/stop",
        f"/jobs/{FID}/rescaling",
        f"/jobs/{FID}/resource-requirements",
        f"/jobs/{FID}/vertices/{VERTEX}/flamegraph",
        f"/jobs/{FID}/nothing-here",
        f"/jobs/{OTHER}",
        f"/jobs/{OTHER}/exceptions",
        "/jobs",
        "/jobs/overview",
        "/jars",
        "/jars/upload",
        "/jobmanager/log",
        "/taskmanagers/tm-1/log",
        "/cluster",
        f"/jobs/{FID}/../../jars",
        f"/jobs/{FID}/%2e%2e/x",
        "http://evil.example/x",
        "//evil.example/x",
        f"/jobs/{FID}\\yarn-cancel",
        f"/jobs/{FID}#frag",
    ],
)
def test_anything_else_is_refused(path: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_proxy_path(path, flink_job_id=FID)
    assert refused.value.code is ErrorCode.FLINK_API_PATH_NOT_ALLOWED


def test_taskmanager_metrics_are_a_cluster_endpoint() -> None:
    target = check_proxy_path(
        "/taskmanagers/taskmanager-0/metrics?get=Status.JVM.CPU.Load", flink_job_id=None
    )
    assert target.template == "/taskmanagers/{taskmanager}/metrics"
    assert target.query == [("get", "Status.JVM.CPU.Load")]
    with pytest.raises(InvalidInput):
        check_proxy_path("/taskmanagers/taskmanager-0/metrics?agg=sum", flink_job_id=None)
    with pytest.raises(InvalidInput):
        check_proxy_path("/taskmanagers/taskmanager-0/stdout", flink_job_id=None)


def test_job_endpoints_need_a_job() -> None:
    with pytest.raises(InvalidInput):
        check_proxy_path(f"/jobs/{FID}", flink_job_id=None)
    assert check_proxy_path("/overview", flink_job_id=None).path == "/overview"


def test_only_each_endpoints_own_query_parameters_pass() -> None:
    target = check_proxy_path(f"/jobs/{FID}/metrics?get=numRestarts", flink_job_id=FID)
    assert target.query == [("get", "numRestarts")]
    assert check_proxy_path(f"/jobs/{FID}/exceptions?maxExceptions=5", flink_job_id=FID).query == [
        ("maxExceptions", "5")
    ]
    for bad in (f"/jobs/{FID}?mode=cancel", f"/jobs/{FID}/metrics?targetDirectory=/tmp"):
        with pytest.raises(InvalidInput, match="query parameter"):
            check_proxy_path(bad, flink_job_id=FID)


@given(suffix=st.text(alphabet="abcdefghijklmnopqrstuvwxyz-/", min_size=1, max_size=30))
def test_unlisted_suffixes_never_pass(suffix: str) -> None:
    path = f"/jobs/{FID}/{suffix}"
    try:
        target = check_proxy_path(path, flink_job_id=FID)
    except InvalidInput:
        return
    assert target.template in JOB_PATHS  # whatever passes is on the list
