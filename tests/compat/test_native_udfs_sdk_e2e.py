"""UDF artifacts, UDF functions and custom connectors through the official
``alibabacloud-ververica20220718`` SDK against the session's real server on real Flink.

The UDF jar and the connector jar are built from ``examples/java/udf`` and
``examples/java/connector`` (``examples/build.py``). A SQL deployment reads the custom
``ms-sequence`` connector, calls the registered ``PrefixUpper`` function and writes CSV
files, whose rows are checked; deleting what a running job uses is refused.
"""

from __future__ import annotations

import configparser
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from darabonba.runtime import RuntimeOptions
from examples.build import build_examples
from tests.e2e.conftest import Api, ServerHandle, api, millstream_server, sql_deployment

__all__ = ["api", "millstream_server"]  # the session fixtures, re-exported for this module

pytestmark = pytest.mark.flink

NS = "default-namespace"
WS = "default"
RT = RuntimeOptions(read_timeout=120_000, connect_timeout=10_000)


@pytest.fixture(scope="module")
def sdk(millstream_server: ServerHandle) -> Client:
    parser = configparser.ConfigParser()
    parser.read(millstream_server.credentials_file)
    return Client(
        open_api_models.Config(
            access_key_id=parser["default"]["access_key_id"],
            access_key_secret=parser["default"]["access_key_secret"],
            endpoint=millstream_server.url.removeprefix("http://"),
            protocol="http",
        )
    )


@pytest.fixture(scope="module")
def jars(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_examples(tmp_path_factory.mktemp("udf-examples"))


def _expect(call: Callable[[], Any], status: int, code: str, words: str = "") -> str:
    with pytest.raises(ClientException) as caught:
        call()
    error = caught.value
    assert (error.status_code, error.code) == (status, code), (error.code, error.message)
    assert words in error.message, error.message
    return str(error.message)


def _upload(api: Api, name: str, content: bytes) -> str:
    stored = api.ok("PUT", f"artifacts/{name}", raw=content)
    return str(stored["uri"])


def _headers(kind: Any) -> Any:
    return kind(workspace=WS)


@pytest.fixture
def suffix() -> str:
    return uuid.uuid4().hex[:6]


@pytest.fixture
def uploaded(api: Api, jars: dict[str, Path], suffix: str) -> Iterator[dict[str, str]]:
    names = {
        "udfs": f"udfs-{suffix}.jar",
        "connector": f"sequence-{suffix}.jar",
        "bad": f"bad-{suffix}.jar",
    }
    uris = {
        "udfs": _upload(api, names["udfs"], jars["udfs.jar"].read_bytes()),
        "connector": _upload(api, names["connector"], jars["sequence-connector.jar"].read_bytes()),
        "bad": _upload(api, names["bad"], b"this is not a zip file"),
    }
    yield uris
    for name in names.values():
        api.call("DELETE", f"artifacts/{name}")


def _create_artifact(sdk: Client, name: str, jar_url: str) -> Any:
    return sdk.create_udf_artifact_with_options(
        NS,
        vv.CreateUdfArtifactRequest(body=vv.UdfArtifact(name=name, jar_url=jar_url)),
        _headers(vv.CreateUdfArtifactHeaders),
        RT,
    ).body


def _start(api: Api, deployment_id: str) -> str:
    job = api.ok(
        "POST",
        "jobs:start",
        body={"deploymentId": deployment_id, "restoreStrategy": {"kind": "NONE"}},
    )
    return str(job["jobId"])


def _csv_rows(directory: Path, timeout: float = 10) -> list[str]:
    deadline = time.monotonic() + timeout
    rows: list[str] = []
    while time.monotonic() < deadline:
        files = [f for f in directory.rglob("*") if f.is_file() and not f.name.startswith(".")]
        rows = sorted(line for f in files for line in f.read_text().splitlines() if line)
        if rows:
            return rows
        time.sleep(0.2)
    return rows


def test_udfs_and_connectors_run_in_a_sql_job(
    sdk: Client, api: Api, uploaded: dict[str, str], suffix: str, tmp_path: Path
) -> None:
    artifact_name = f"udfs-{suffix}"
    function = f"prefix_upper_{suffix}"

    # CreateUdfArtifact: the jar is scanned; PrefixUpper counts through its base class
    created = _create_artifact(sdk, artifact_name, uploaded["udfs"]).data
    assert created.create_success is True
    kinds = {c.class_name: c.class_type for c in created.udf_artifact.udf_classes}
    assert kinds == {
        "millstream.examples.udf.PrefixUpper": "UDF",
        "millstream.examples.udf.SplitWords": "UDTF",
        "millstream.examples.udf.LongSum": "UDAF",
    }
    assert created.udf_artifact.jar_url == uploaded["udfs"]

    # RegisterUdfFunction, then GetUdfArtifacts shows it on its class
    registered = sdk.register_udf_function_with_options(
        NS,
        vv.RegisterUdfFunctionRequest(
            udf_artifact_name=artifact_name,
            class_name="millstream.examples.udf.PrefixUpper",
            function_name=function,
        ),
        _headers(vv.RegisterUdfFunctionHeaders),
        RT,
    ).body.data
    assert (registered.function_name, registered.udf_artifact_name) == (function, artifact_name)
    [listed] = sdk.get_udf_artifacts_with_options(
        NS,
        vv.GetUdfArtifactsRequest(udf_artifact_name=artifact_name),
        _headers(vv.GetUdfArtifactsHeaders),
        RT,
    ).body.data
    functions = {c.class_name: c.function_names for c in listed.udf_classes}
    assert functions["millstream.examples.udf.PrefixUpper"] == [function]
    everything = sdk.get_udf_artifacts_with_options(
        NS, vv.GetUdfArtifactsRequest(), _headers(vv.GetUdfArtifactsHeaders), RT
    ).body.data
    assert artifact_name in {a.name for a in everything}

    # UpdateUdfArtifact: the same jar again is rescanned and keeps its functions
    updated = sdk.update_udf_artifact_with_options(
        NS,
        artifact_name,
        vv.UpdateUdfArtifactRequest(body=vv.UdfArtifact(jar_url=uploaded["udfs"])),
        _headers(vv.UpdateUdfArtifactHeaders),
        RT,
    ).body.data
    assert updated.update_success is True
    assert len(updated.udf_artifact.udf_classes) == 3

    # RegisterCustomConnector: the factory's identifier and options; ListCustomConnectors
    [connector] = sdk.register_custom_connector_with_options(
        NS,
        vv.RegisterCustomConnectorRequest(jar_url=uploaded["connector"]),
        _headers(vv.RegisterCustomConnectorHeaders),
        RT,
    ).body.data
    assert (connector.name, connector.source, connector.sink) == ("ms-sequence", True, False)
    options = {p.key: (p.required, p.default_value) for p in connector.properties}
    assert options == {"end": (True, None), "start": (False, "1"), "prefix": (False, "row-")}
    listed_connectors = sdk.list_custom_connectors_with_options(
        NS, _headers(vv.ListCustomConnectorsHeaders), RT
    ).body.data
    assert "ms-sequence" in {c.name for c in listed_connectors}

    # A batch SQL job reads the custom connector and calls the function on real Flink
    out = tmp_path / "out"
    script = f"""CREATE TEMPORARY TABLE src (id BIGINT, name STRING) WITH (
  'connector' = 'ms-sequence', 'start' = '1', 'end' = '5', 'prefix' = 'item-');
CREATE TEMPORARY TABLE snk (id BIGINT, name STRING) WITH (
  'connector' = 'filesystem', 'path' = '{out.as_uri()}', 'format' = 'csv');
INSERT INTO snk SELECT id, {function}(name) FROM src;
"""
    body = sql_deployment(f"udf-batch-{suffix}", script, executionMode="BATCH")
    body["batchResourceSetting"] = {"maxSlot": 1, "basicResourceSetting": {"parallelism": 1}}
    batch_job = _start(api, api.ok("POST", "deployments", body=body)["deploymentId"])

    # A streaming job that keeps using both, so deleting them is refused while it runs
    streaming = f"""CREATE TEMPORARY TABLE src (id BIGINT, name STRING) WITH (
  'connector' = 'ms-sequence', 'end' = '1000000000000');
CREATE TEMPORARY TABLE snk (name STRING) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT {function}(name) FROM src;
"""
    deployment = api.ok("POST", "deployments", body=sql_deployment(f"udf-live-{suffix}", streaming))
    live_job = _start(api, deployment["deploymentId"])
    try:
        finished = api.wait_status(batch_job, "FINISHED", "FAILED", timeout=120)
        assert finished["status"]["currentJobStatus"] == "FINISHED", finished
        assert _csv_rows(out) == [f"{i},MS-ITEM-{i}" for i in range(1, 6)]

        api.wait_status(live_job, "RUNNING", timeout=120)
        words = f"udf-live-{suffix}"
        _expect(
            lambda: sdk.delete_custom_connector_with_options(
                NS, "ms-sequence", _headers(vv.DeleteCustomConnectorHeaders), RT
            ),
            409,
            "Conflict",
            words,
        )
        _expect(
            lambda: sdk.delete_udf_function_with_options(
                NS,
                function,
                vv.DeleteUdfFunctionRequest(udf_artifact_name=artifact_name),
                _headers(vv.DeleteUdfFunctionHeaders),
                RT,
            ),
            409,
            "Conflict",
            words,
        )
        _expect(
            lambda: sdk.delete_udf_artifact_with_options(
                NS, artifact_name, _headers(vv.DeleteUdfArtifactHeaders), RT
            ),
            409,
            "Conflict",
            words,
        )
    finally:
        api.call("POST", f"jobs/{live_job}:stop", body={"stopStrategy": "NONE"})
        api.wait_status(live_job, "CANCELLED", "FAILED", "FINISHED", timeout=60)

    # Once stopped: DeleteUdfFunction, DeleteUdfArtifact, DeleteCustomConnector
    sdk.delete_udf_function_with_options(
        NS,
        function,
        vv.DeleteUdfFunctionRequest(udf_artifact_name=artifact_name),
        _headers(vv.DeleteUdfFunctionHeaders),
        RT,
    )
    deleted = sdk.delete_udf_artifact_with_options(
        NS, artifact_name, _headers(vv.DeleteUdfArtifactHeaders), RT
    ).body.data
    assert deleted.delete_success is True
    sdk.delete_custom_connector_with_options(
        NS, "ms-sequence", _headers(vv.DeleteCustomConnectorHeaders), RT
    )
    remaining = sdk.list_custom_connectors_with_options(
        NS, _headers(vv.ListCustomConnectorsHeaders), RT
    ).body.data
    assert "ms-sequence" not in {c.name for c in remaining or []}


def test_bad_jars_and_names_get_clear_errors(
    sdk: Client, uploaded: dict[str, str], suffix: str
) -> None:
    name = f"bad-{suffix}"
    _expect(
        lambda: _create_artifact(sdk, name, uploaded["bad"]), 400, "InvalidArtifact", "not a jar"
    )
    _expect(
        lambda: _create_artifact(sdk, name, uploaded["connector"]),
        400,
        "InvalidArtifact",
        "no function classes",
    )
    _expect(
        lambda: _create_artifact(sdk, name, f"artifacts://{WS}/{NS}/missing-{suffix}.jar"),
        400,
        "ArtifactNotFound",
        "not found",
    )
    _expect(
        lambda: _create_artifact(sdk, name, f"artifacts://{WS}/other-namespace/x.jar"),
        400,
        "InvalidArtifact",
        "outside namespace",
    )
    _expect(lambda: _create_artifact(sdk, "no spaces", uploaded["udfs"]), 400, "InvalidParameter")
    _expect(
        lambda: sdk.get_udf_artifacts_with_options(
            NS,
            vv.GetUdfArtifactsRequest(udf_artifact_name=f"nope-{suffix}"),
            _headers(vv.GetUdfArtifactsHeaders),
            RT,
        ),
        404,
        "NotFound",
    )
    assert _create_artifact(sdk, name, uploaded["udfs"]).data.create_success is True
    try:
        # the same classes in a second artifact of the namespace collide: nothing stored
        second = _create_artifact(sdk, f"{name}-2", uploaded["udfs"]).data
        assert second.create_success is False
        assert len(second.colliding_classes) == 3
        _expect(
            lambda: sdk.register_udf_function_with_options(
                NS,
                vv.RegisterUdfFunctionRequest(udf_artifact_name=name, class_name="a.Missing"),
                _headers(vv.RegisterUdfFunctionHeaders),
                RT,
            ),
            404,
            "NotFound",
            "not a function class",
        )
        _expect(
            lambda: sdk.register_udf_function_with_options(
                NS,
                vv.RegisterUdfFunctionRequest(
                    udf_artifact_name=name,
                    class_name="millstream.examples.udf.LongSum",
                    function_name="bad-name",
                ),
                _headers(vv.RegisterUdfFunctionHeaders),
                RT,
            ),
            400,
            "InvalidParameter",
            "SQL identifier",
        )
    finally:
        sdk.delete_udf_artifact_with_options(NS, name, _headers(vv.DeleteUdfArtifactHeaders), RT)
    _expect(
        lambda: sdk.register_custom_connector_with_options(
            NS,
            vv.RegisterCustomConnectorRequest(jar_url=uploaded["udfs"]),
            _headers(vv.RegisterCustomConnectorHeaders),
            RT,
        ),
        400,
        "InvalidArtifact",
        "no table source or sink factory",
    )
    _expect(
        lambda: sdk.delete_custom_connector_with_options(
            NS, f"nope-{suffix}", _headers(vv.DeleteCustomConnectorHeaders), RT
        ),
        404,
        "NotFound",
    )
    _expect(
        lambda: sdk.delete_udf_function_with_options(
            NS,
            f"nope_{suffix}",
            vv.DeleteUdfFunctionRequest(),
            _headers(vv.DeleteUdfFunctionHeaders),
            RT,
        ),
        404,
        "NotFound",
    )
