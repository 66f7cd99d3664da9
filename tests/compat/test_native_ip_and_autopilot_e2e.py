"""GetDeploymentsByIp and Autopilot through the official ververica SDK against a REAL
Millstream server process on the session's REAL Flink cluster (``millstream_server`` of
tests/e2e): a running job is found by its TaskManager's address, as Flink reports it."""

from __future__ import annotations

from typing import Any

import pytest
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from tests.compat.test_native_sdk_e2e import (
    NS,
    RT,
    WS,
    Jobs,
    _create,
    _start,
    jobs,
    millstream_server,
    sdk,
)

__all__ = ["jobs", "millstream_server", "sdk"]  # fixtures, re-exported for this module

pytestmark = pytest.mark.flink


def _by_ip(client: Client, ip: str) -> Any:
    return client.get_deployments_by_ip_with_options(
        NS, vv.GetDeploymentsByIpRequest(src_ip=ip), vv.GetDeploymentsByIpHeaders(workspace=WS), RT
    ).body


def test_a_running_job_is_found_by_its_taskmanagers_address(sdk: Client, jobs: Jobs) -> None:
    dep = _create(sdk, parallelism=1)
    job = _start(sdk, dep.deployment_id)
    jobs.started.append(job.job_id)
    jobs.wait(job.job_id, "RUNNING")
    found = _by_ip(sdk, "127.0.0.1")  # the local cluster's TaskManagers bind 127.0.0.1
    assert found.success is True
    assert dep.deployment_id in [d.deployment_id for d in found.data]
    elsewhere = _by_ip(sdk, "10.255.255.254").data
    assert dep.deployment_id not in [d.deployment_id for d in elsewhere]


def test_autopilot_policy_round_trips_on_the_real_server(sdk: Client) -> None:
    dep = _create(sdk, parallelism=1)
    policy = vv.AutopilotPolicy(
        limits=vv.AutopilotPolicyLimits(job_min_parallelism=1, job_max_parallelism=3)
    )
    updated = sdk.update_autopilot_policy_with_options(
        NS,
        dep.deployment_id,
        vv.UpdateAutopilotPolicyRequest(enabled=True, policy_config=policy),
        vv.UpdateAutopilotPolicyHeaders(workspace=WS),
        RT,
    ).body
    assert (updated.success, updated.data.enabled) == (True, True)
    read = sdk.get_autopilot_policy_with_options(
        NS,
        dep.deployment_id,
        vv.GetAutopilotPolicyRequest(),
        vv.GetAutopilotPolicyHeaders(workspace=WS),
        RT,
    ).body.data
    assert read.enabled is True
    assert read.policy_config.limits.job_max_parallelism == 3
