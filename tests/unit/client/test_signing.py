"""The client's ACS3-HMAC-SHA256 signatures match the official SDK's, both ways.

1. The SDK signs a request (we capture it where it would hit the network, by replacing
   ``DaraCore.do_action``); our signer, given the same request, computes the same
   ``Authorization``.
2. Our client signs a request; the SDK's own ``Utils.get_authorization`` over the same
   method, raw path, query and signed headers computes the same value.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.utils import Utils as SdkUtils
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client as SdkClient
from darabonba.core import DaraCore
from darabonba.request import DaraRequest
from darabonba.response import DaraResponse
from darabonba.runtime import RuntimeOptions

from millstream.client import ClientConfig, MillstreamClient, RestoreStrategy, signing

AK, SK = "AKIDTEST", "SECRETTEST"


@pytest.fixture
def sdk_requests(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Requests the SDK would send, answered with an empty success envelope."""
    captured: list[Any] = []

    def do_action(request: Any, runtime_option: Any = None) -> DaraResponse:  # noqa: ARG001
        captured.append(request)
        response = DaraResponse()
        response.status_code = 200
        response.headers = {}
        response.body = io.BytesIO(b'{"success":true,"data":null}')
        return response

    monkeypatch.setattr(DaraCore, "do_action", staticmethod(do_action))
    return captured


def _sdk() -> Any:
    config = open_api_models.Config(
        access_key_id=AK, access_key_secret=SK, endpoint="127.0.0.1:8080", protocol="http"
    )
    return SdkClient(config)


def _start(sdk: Any) -> None:
    body = vv.JobStartParameters(
        deployment_id="dep-1",
        restore_strategy=vv.DeploymentRestoreStrategy(kind="LATEST_STATE"),
    )
    sdk.start_job_with_params_with_options(
        "ns1",
        vv.StartJobWithParamsRequest(body=body),
        vv.StartJobWithParamsHeaders(workspace="ws1"),
        RuntimeOptions(),
    )


def _list_jobs(sdk: Any) -> None:
    request = vv.ListJobsRequest(deployment_id="dep 1/ü~*", page_index=1, page_size=10)
    sdk.list_jobs_with_options(
        "ns1", request, vv.ListJobsHeaders(workspace="ws1"), RuntimeOptions()
    )


def _stop(sdk: Any) -> None:
    request = vv.StopJobRequest(body=vv.StopJobRequestBody(stop_strategy="STOP_WITH_SAVEPOINT"))
    sdk.stop_job_with_options(
        "ns1", "job-1", request, vv.StopJobHeaders(workspace="ws1"), RuntimeOptions()
    )


def _delete_savepoint(sdk: Any) -> None:
    sdk.delete_savepoint_with_options(
        "ns 1", "sp:1", vv.DeleteSavepointHeaders(workspace="ws1"), RuntimeOptions()
    )


@pytest.mark.parametrize("send", [_start, _list_jobs, _stop, _delete_savepoint])
def test_our_signer_reproduces_the_sdk_signature(
    sdk_requests: list[Any], send: Callable[[Any], None]
) -> None:
    send(_sdk())
    (sent,) = sdk_requests
    headers = {k: v for k, v in sent.headers.items() if k != "Authorization"}
    body = sent.body.encode() if isinstance(sent.body, str) else (sent.body or b"")
    assert headers["x-acs-content-sha256"] == signing.sha256_hex(body)
    ours = signing.authorization(
        method=sent.method,
        raw_path=sent.pathname,
        query=sent.query,
        headers=headers,
        payload_sha256=headers["x-acs-content-sha256"],
        access_key_id=AK,
        access_key_secret=SK,
    )
    assert ours == sent.headers["Authorization"]


def _captured_client(seen: list[httpx.Request], **config: Any) -> MillstreamClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "data": {}})

    cfg = ClientConfig(access_key_id=AK, access_key_secret=SK, **config)
    return MillstreamClient(cfg, transport=httpx.MockTransport(handler))


def _sdk_authorization(request: httpx.Request) -> str:
    """What the SDK's signer says for the request we sent, over the headers we signed."""
    auth = request.headers["authorization"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    raw = request.url.raw_path.decode()
    path, _, query = raw.partition("?")
    dara = DaraRequest()
    dara.method = request.method
    dara.pathname = path
    dara.query = dict(parse_qsl(query, keep_blank_values=True))
    dara.headers = {name: request.headers[name] for name in signed}
    assert request.headers["x-acs-content-sha256"] == signing.sha256_hex(request.content)
    return str(
        SdkUtils.get_authorization(
            dara, "ACS3-HMAC-SHA256", request.headers["x-acs-content-sha256"], AK, SK
        )
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.start_job("dep-1", restore=RestoreStrategy(kind="LATEST_STATE")),
        lambda c: c.list_jobs("dep 1/ü~*", page_index=2, page_size=5),
        lambda c: c.stop_job("job:1", "STOP_WITH_DRAIN"),
        lambda c: c.delete_savepoint("sp-1"),
        lambda c: c.disable_key("AK1"),
        lambda c: c.list_engine_versions(),
    ],
)
def test_sdk_signer_accepts_our_requests(call: Callable[[MillstreamClient], object]) -> None:
    seen: list[httpx.Request] = []
    with _captured_client(seen, namespace="ns 1", workspace="ws1") as client:
        call(client)
    (request,) = seen
    assert request.headers["authorization"] == _sdk_authorization(request)


def test_signature_covers_host_workspace_and_nonce() -> None:
    seen: list[httpx.Request] = []
    with _captured_client(seen, url="http://millstream.example:9000/prefix") as client:
        client.get_job("j1")
    (request,) = seen
    signed = request.headers["authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert signed.split(";") == [
        "accept",
        "host",
        "user-agent",
        "workspace",
        "x-acs-action",
        "x-acs-content-sha256",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-version",
    ]
    assert request.headers["host"] == "millstream.example:9000"
    assert urlsplit(str(request.url)).path == "/prefix/api/v2/namespaces/default-namespace/jobs/j1"
    assert request.headers["authorization"] == _sdk_authorization(request)


def test_colon_verbs_stay_percent_encoded_on_the_wire() -> None:
    seen: list[httpx.Request] = []
    with _captured_client(seen, namespace="ns1") as client:
        client.start_job("dep-1")
    assert seen[0].url.raw_path == b"/api/v2/namespaces/ns1/jobs%3Astart"


def test_nonces_differ_between_requests() -> None:
    seen: list[httpx.Request] = []
    with _captured_client(seen) as client:
        client.get_job("a")
        client.get_job("a")
    nonces = {r.headers["x-acs-signature-nonce"] for r in seen}
    assert len(nonces) == 2


def test_no_authorization_without_credentials() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "data": {}})

    with MillstreamClient(ClientConfig(), transport=httpx.MockTransport(handler)) as client:
        client.get_job("a")
    assert "authorization" not in seen[0].headers
    assert seen[0].headers["workspace"] == "default"


def test_sign_request_signs_any_httpx_request_the_sdk_way() -> None:
    with httpx.Client() as http:
        request = http.build_request(
            "POST",
            "http://127.0.0.1:8080/api/v2/namespaces/ns1/jobs/j%3A1%3Astop",
            params={"deploymentId": "a b", "pageIndex": "1"},
            json={"stopStrategy": "NONE"},
            headers={"workspace": "ws1"},
        )
    signing.sign_request(request, AK, SK, nonce="n" * 32)
    signed = request.headers["authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert "accept-encoding" not in signed
    assert "content-length" not in signed
    assert {"host", "workspace", "x-acs-date", "x-acs-content-sha256"} <= set(signed.split(";"))
    assert request.headers["x-acs-signature-nonce"] == "n" * 32
    assert request.headers["authorization"] == _sdk_authorization(request)
