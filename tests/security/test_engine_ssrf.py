"""Issue 19, item 2: artifact URIs must not make the server fetch internal addresses.

A JAR deployment whose ``jarUri`` is ``http://127.0.0.1:<flink>/jobs/<victim>/yarn-cancel``
used to make the server GET it, which cancelled another namespace's job, and the fetch's
status and socket errors were echoed back (a port scanner). Through the official SDK,
signed as an EDITOR of one namespace, against the real server on real Flink.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from alibabacloud_ververica20220718 import models as vv

from millstream.engine import LocalCluster
from tests.security.engine_stack import (
    NS,
    OTHER_NS,
    RT,
    WS,
    EngineStack,
    engine_stack,
    error_of,
    flink_state,
)

pytestmark = pytest.mark.flink


@pytest.fixture(scope="module")
def stack(flink: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineStack]:
    with engine_stack(tmp_path_factory.mktemp("ssrf") / "data", flink.rest_url) as running:
        yield running


def _jar_deployment(stack: EngineStack, jar_uri: str) -> None:
    stack.sdk(stack.editor).create_deployment_with_options(
        NS,
        vv.CreateDeploymentRequest(
            body=vv.Deployment(
                name=f"ssrf-{uuid.uuid4().hex[:8]}",
                execution_mode="STREAMING",
                artifact=vv.Artifact(kind="JAR", jar_artifact=vv.JarArtifact(jar_uri=jar_uri)),
            )
        ),
        vv.CreateDeploymentHeaders(workspace=WS),
        RT,
    )


def test_jar_uri_cannot_cancel_another_namespaces_job(
    stack: EngineStack, flink: LocalCluster
) -> None:
    victim = stack.running_demo(stack.victim, OTHER_NS)
    with stack.runtime.store.transaction() as repos:
        found = repos.read_job(job_id=victim.job_id)
    assert found is not None
    assert found.flink_job_id is not None
    target = f"{flink.rest_url}/jobs/{found.flink_job_id}/yarn-cancel"
    refused = error_of(lambda: _jar_deployment(stack, target))
    assert refused.status_code == 400
    assert "non-public" in refused.message, refused.message
    time.sleep(2)  # a cancellation would have reached Flink by now
    assert flink_state(flink.rest_url, found.flink_job_id) == "RUNNING"
    status = stack.job(stack.victim, OTHER_NS, victim.job_id).status.current_job_status
    assert status == "RUNNING"


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:1/app.jar",  # closed port: "Connection refused" must not leak
        "http://localhost:9/app.jar",
        "http://[::1]:8081/jars",
        "http://169.254.169.254/latest/meta-data/iam/app.jar",
        "http://10.0.0.1/app.jar",
    ],
)
def test_internal_addresses_are_refused_in_our_words(stack: EngineStack, uri: str) -> None:
    refused = error_of(lambda: _jar_deployment(stack, uri))
    assert refused.status_code == 400
    text = refused.message.split(" request id:")[0]  # the id is random hex
    assert "artifacts.allowed_hosts" in text, text
    for leak in ("refused", "Errno", "Connection", "404", "405"):
        assert leak not in text, text
