"""Issue 19, item 9: a namespace reads only its own artifacts, and cannot tell whether
another namespace's file exists.

An EDITOR of one namespace used to name ``artifacts://<ws>/<other namespace>/<file>`` in
``jarUri`` or ``additionalDependencies`` (200), and a missing file answered differently
(existence leaked). Through the official SDK, signed as that EDITOR.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alibabacloud_ververica20220718 import models as vv

from millstream.engine import LocalCluster
from tests.security.engine_stack import NS, OTHER_NS, RT, WS, EngineStack, engine_stack, error_of

pytestmark = pytest.mark.flink


@pytest.fixture(scope="module")
def stack(flink: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineStack]:
    with engine_stack(tmp_path_factory.mktemp("artifacts") / "data", flink.rest_url) as running:
        for namespace, name in ((OTHER_NS, "secret-lib.jar"), (NS, "own.jar")):
            upload = running.runtime.engine.artifact_store.begin_upload(
                workspace=WS, namespace=namespace, name=name
            )
            upload.write(b"PK\x05\x06" + b"\0" * 18)  # an empty zip
            upload.commit()
        yield running


def _jar_deployment(stack: EngineStack, jar_uri: str, dependencies: list[str]) -> None:
    stack.sdk(stack.editor).create_deployment_with_options(
        NS,
        vv.CreateDeploymentRequest(
            body=vv.Deployment(
                name=f"art-{uuid.uuid4().hex[:8]}",
                execution_mode="STREAMING",
                artifact=vv.Artifact(
                    kind="JAR",
                    jar_artifact=vv.JarArtifact(
                        jar_uri=jar_uri,
                        entry_class="com.example.Main",
                        additional_dependencies=dependencies,
                    ),
                ),
            )
        ),
        vv.CreateDeploymentHeaders(workspace=WS),
        RT,
    )


def _refusal(stack: EngineStack, jar_uri: str, dependencies: list[str]) -> tuple[int, str, str]:
    refused = error_of(lambda: _jar_deployment(stack, jar_uri, dependencies))
    return refused.status_code, refused.code, refused.message.split("request id")[0]


@pytest.mark.parametrize("where", ["jarUri", "additionalDependencies"])
def test_other_namespaces_artifacts_are_refused_alike_whether_they_exist_or_not(
    stack: EngineStack, where: str
) -> None:
    own = f"artifacts://{WS}/{NS}/own.jar"
    answers = []
    for name in ("secret-lib.jar", "no-such-lib.jar"):
        other = f"artifacts://{WS}/{OTHER_NS}/{name}"
        jar_uri, dependencies = (other, []) if where == "jarUri" else (own, [other])
        status, code, message = _refusal(stack, jar_uri, dependencies)
        assert status == 400, message
        assert "own namespace" in message, message
        answers.append((status, code, message.replace(name, "<file>")))
    assert answers[0] == answers[1]


def test_file_uris_into_another_namespaces_store_are_refused(stack: EngineStack) -> None:
    root = stack.runtime.engine.artifact_store.local_root
    assert root is not None
    answers = []
    for name in ("secret-lib.jar", "no-such-lib.jar"):
        uri = (root / WS / OTHER_NS / name).as_uri()
        status, code, message = _refusal(stack, uri, [])
        assert status == 400, message
        answers.append((status, code, message.replace(uri, "<uri>")))
    assert answers[0] == answers[1]
