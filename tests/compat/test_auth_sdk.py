"""The official ``alibabacloud-ververica20220718`` SDK against a live server running the
authentication layer, the member routes, the admin keys API and the audit middleware.

The server is real uvicorn on a free 127.0.0.1 port, over a migrated SQLite database;
job routes are trivial native-shaped stand-ins guarded by ``namespace_guard`` (the real
job routes are tested with real Flink elsewhere). Requests the SDK signed are captured
before sending (``DaraCore.do_action`` patched) to replay or tamper with them via httpx.
"""

# No ``from __future__ import annotations``: FastAPI resolves the stand-in routes'
# annotations, and ``Caller`` is local to ``_build_app``.

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.utils import Utils
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from darabonba.core import DaraCore
from darabonba.exceptions import UnretryableException
from darabonba.runtime import RuntimeOptions
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from tests.ports import free_port

from millstream.api.admin import build_admin_router
from millstream.api.auth import (
    Acs3Verifier,
    AuditMiddleware,
    Authenticator,
    RoaVerifier,
    SignatureVerifier,
    SignedRequest,
    namespace_guard,
    native_authenticate,
)
from millstream.api.auth.acs3 import authorization_header
from millstream.api.native.errors import NativeRoute, ok_response
from millstream.api.native.members import build_members_router
from millstream.control.context import Actor
from millstream.control.services.access import AccessService
from millstream.domain.namespaces import Namespace
from millstream.store import SqlStore, upgrade
from millstream.store.access import SqlAccessStore
from millstream.store.cipher import load_cipher

WORKSPACE = "ws1"
NAMESPACE = "ns1"


@dataclass(frozen=True)
class Server:
    port: int
    admin_key: str
    admin_secret: str

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"


def _build_app(access: AccessService) -> FastAPI:
    verifiers: list[SignatureVerifier] = [Acs3Verifier(), RoaVerifier(default_workspace=WORKSPACE)]
    authenticate = native_authenticate(Authenticator(access, verifiers))
    guard = namespace_guard(access, authenticate, default_workspace=WORKSPACE)
    Caller = Annotated[Actor, Depends(guard)]
    jobs = APIRouter(route_class=NativeRoute)

    @jobs.post("/api/v2/namespaces/{namespace}/jobs:start")
    def start_job(
        request: Request, namespace: str, actor: Caller, body: dict[str, Any]
    ) -> JSONResponse:
        data = {
            "jobId": "job-1",
            "deploymentId": body.get("deploymentId"),
            "namespace": namespace,
            "creatorName": actor.name,
        }
        return ok_response(request.state.request_id, data)

    @jobs.get("/api/v2/namespaces/{namespace}/jobs", dependencies=[Depends(guard)])
    def list_jobs(request: Request) -> JSONResponse:
        return ok_response(request.state.request_id, [], pageIndex=1, pageSize=10, totalSize=0)

    app = FastAPI()
    app.add_middleware(AuditMiddleware, access=access, default_workspace=WORKSPACE)
    app.include_router(build_members_router(access, authenticate, default_workspace=WORKSPACE))
    app.include_router(build_admin_router(access, authenticate, default_workspace=WORKSPACE))
    app.include_router(jobs)
    return app


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("millstream")
    url = f"sqlite:///{data_dir / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    with store.transaction() as repos:
        repos.create_namespace(
            namespace=Namespace(str(uuid.uuid4()), WORKSPACE, NAMESPACE, datetime.now(UTC))
        )
    access = AccessService(SqlAccessStore(store.engine), load_cipher(None, data_dir))
    admin = access.ensure_admin()
    assert admin is not None
    port = _free_port()
    uv = uvicorn.Server(
        uvicorn.Config(
            _build_app(access), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield Server(port, admin.key.id, admin.secret)
    uv.should_exit = True
    thread.join(timeout=10)
    store.close()


def _client(server: Server, key: str, secret: str, **config: Any) -> Client:
    return Client(
        open_api_models.Config(
            access_key_id=key,
            access_key_secret=secret,
            endpoint=server.endpoint,
            protocol="http",
            **config,
        )
    )


def _start(client: Client) -> Any:
    return client.start_job_with_params_with_options(
        NAMESPACE,
        vv.StartJobWithParamsRequest(body=vv.StartJobRequestBody(deployment_id="dep-1")),
        vv.StartJobWithParamsHeaders(workspace=WORKSPACE),
        RuntimeOptions(),
    )


def _list(client: Client) -> Any:
    return client.list_jobs_with_options(
        NAMESPACE,
        vv.ListJobsRequest(deployment_id="dep-1"),
        vv.ListJobsHeaders(workspace=WORKSPACE),
        RuntimeOptions(),
    )


def _client_error(call: Any) -> ClientException:
    with pytest.raises(ClientException) as caught:
        call()
    return caught.value


def _signed_call(
    server: Server,
    key: str,
    secret: str,
    method: str,
    path: str,
    body: Any = None,
    query: dict[str, str] | None = None,
) -> httpx.Response:
    """A request signed with Millstream's ACS3 signer, the way the CLI signs."""
    content = json.dumps(body).encode() if body is not None else b""
    headers = {
        "host": server.endpoint,
        "accept": "application/json",
        "workspace": WORKSPACE,
        "x-acs-date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(content).hexdigest(),
    }
    if content:
        headers["content-type"] = "application/json"
    raw_query = urlencode(query or {})
    request = SignedRequest(method, path, raw_query, tuple(headers.items()), content)
    headers["authorization"] = authorization_header(
        request, access_key_id=key, secret=secret, signed_headers=list(headers)
    )
    url = f"http://{server.endpoint}{path}" + (f"?{raw_query}" if raw_query else "")
    return httpx.request(method, url, headers=headers, content=content)


def _new_user(server: Server, name: str) -> tuple[str, str]:
    response = _signed_call(
        server,
        server.admin_key,
        server.admin_secret,
        "POST",
        "/api/millstream/v1/keys",
        {"user": name, "createUser": True},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return data["accessKeyId"], data["accessKeySecret"]


def _capture(monkeypatch: pytest.MonkeyPatch, call: Any) -> Any:
    """The request the SDK would have sent (signed), without sending it."""
    captured: list[Any] = []

    def record(request: Any, _runtime: Any) -> Any:
        captured.append(request)
        raise ConnectionError("captured, not sent")

    with monkeypatch.context() as patch:
        patch.setattr(DaraCore, "do_action", staticmethod(record))
        with pytest.raises(UnretryableException):
            call()
    return captured[0]


def _send(server: Server, request: Any, body: bytes | None = None) -> httpx.Response:
    query = urlencode(request.query) if request.query else ""
    url = f"http://{server.endpoint}{request.pathname}" + (f"?{query}" if query else "")
    content = body if body is not None else (request.body or "").encode()
    return httpx.request(request.method, url, headers=dict(request.headers), content=content)


# ---------------------------------------------------------------------------- tests


def test_correct_key_works(server: Server) -> None:
    client = _client(server, server.admin_key, server.admin_secret)
    response = _start(client)
    assert response.status_code == 200
    assert response.body.success
    assert response.body.data.job_id == "job-1"
    assert _list(client).body.data == []


def test_roa_v2_signature_works(server: Server) -> None:
    client = _client(server, server.admin_key, server.admin_secret, signature_algorithm="v2")
    assert _list(client).status_code == 200
    # ROA covers a body only through Content-MD5, which the tea SDK's v2 mode never sends.
    error = _client_error(lambda: _start(client))
    assert (error.status_code, error.code) == (401, "IncompleteSignature")
    wrong = _client(server, server.admin_key, "wrong", signature_algorithm="v2")
    assert _client_error(lambda: _list(wrong)).code == "SignatureDoesNotMatch"


def test_wrong_secret(server: Server) -> None:
    error = _client_error(lambda: _start(_client(server, server.admin_key, "wrong-secret")))
    assert (error.code, error.status_code) == ("SignatureDoesNotMatch", 401)


def test_unknown_key(server: Server) -> None:
    # The same answer as a wrong secret: key ids cannot be probed.
    error = _client_error(lambda: _list(_client(server, "MSNOSUCHKEY0000000000000", "x")))
    assert error.code == "SignatureDoesNotMatch"


def test_skewed_clock(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    old = (datetime.now(UTC) - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: old))
    error = _client_error(lambda: _list(_client(server, server.admin_key, server.admin_secret)))
    assert error.code == "RequestTimeTooSkewed"


def test_replayed_request_is_refused(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _client(server, server.admin_key, server.admin_secret)
    request = _capture(monkeypatch, lambda: _start(client))
    assert request.pathname.endswith("jobs%3Astart")
    first = _send(server, request)
    assert first.status_code == 200, first.text
    replay = _send(server, request)
    assert replay.status_code == 401
    assert replay.json()["code"] == "SignatureNonceUsed"


def test_tampered_body_is_refused(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _client(server, server.admin_key, server.admin_secret)
    request = _capture(monkeypatch, lambda: _start(client))
    tampered = _send(server, request, body=b'{"deploymentId":"dep-evil"}')
    assert tampered.status_code == 401
    assert tampered.json()["code"] == "SignatureDoesNotMatch"


def test_missing_authorization(server: Server) -> None:
    response = httpx.get(f"http://{server.endpoint}/api/v2/namespaces/{NAMESPACE}/jobs")
    assert response.status_code == 401
    assert response.json()["errorCode"] == "MissingAuthorization"


def test_viewer_reads_but_cannot_write_and_non_member_sees_nothing(server: Server) -> None:
    admin = _client(server, server.admin_key, server.admin_secret)
    viewer_key, viewer_secret = _new_user(server, "vera")
    admin.create_member_with_options(
        NAMESPACE,
        vv.CreateMemberRequest(body=vv.Member(member="user:vera", role="VIEWER")),
        vv.CreateMemberHeaders(workspace=WORKSPACE),
        RuntimeOptions(),
    )
    viewer = _client(server, viewer_key, viewer_secret)
    assert _list(viewer).status_code == 200
    error = _client_error(lambda: _start(viewer))
    assert (error.status_code, error.code) == (403, "Forbidden")

    outsider = _client(server, *_new_user(server, "otto"))
    error = _client_error(lambda: _list(outsider))
    assert (error.status_code, error.code) == (404, "NamespaceNotFound")

    audit = _signed_call(
        server,
        server.admin_key,
        server.admin_secret,
        "GET",
        f"/api/millstream/v1/namespaces/{NAMESPACE}/audit",
        query={"pageSize": "100"},
    ).json()
    starts = [
        (entry["actorName"], entry["statusCode"])
        for entry in audit["data"]
        if entry["action"] == "POST /api/v2/namespaces/{namespace}/jobs:start"
    ]
    assert ("vera", 403) in starts
    assert ("admin", 200) in starts
    assert all(entry["requestId"] for entry in audit["data"])


def test_member_operations_through_the_sdk(server: Server) -> None:
    admin = _client(server, server.admin_key, server.admin_secret)
    key, secret = _new_user(server, "eddie")
    created = admin.create_member_with_options(
        NAMESPACE,
        vv.CreateMemberRequest(body=vv.Member(member="user:eddie", role="EDITOR")),
        vv.CreateMemberHeaders(workspace=WORKSPACE),
        RuntimeOptions(),
    ).body
    assert (created.data.member, created.data.role) == ("user:eddie", "EDITOR")
    got = admin.get_member_with_options(
        NAMESPACE, "user:eddie", vv.GetMemberHeaders(workspace=WORKSPACE), RuntimeOptions()
    ).body
    assert got.data.role == "EDITOR"
    editor = _client(server, key, secret)
    editable = editor.list_editable_namespace_with_options(
        vv.ListEditableNamespaceRequest(workspace_id=WORKSPACE, region_id="cn-hangzhou"),
        {},
        RuntimeOptions(),
    ).body
    assert [(n.workspace_id, n.namespace, n.role) for n in editable.data.editable_namespaces] == [
        (WORKSPACE, NAMESPACE, "EDITOR")
    ]
    assert _start(editor).status_code == 200
    error = _client_error(
        lambda: editor.update_member_with_options(
            NAMESPACE,
            vv.UpdateMemberRequest(body=vv.Member(member="user:eddie", role="OWNER")),
            vv.UpdateMemberHeaders(workspace=WORKSPACE),
            RuntimeOptions(),
        )
    )
    assert error.status_code == 403
    admin.update_member_with_options(
        NAMESPACE,
        vv.UpdateMemberRequest(body=vv.Member(member="user:eddie", role="VIEWER")),
        vv.UpdateMemberHeaders(workspace=WORKSPACE),
        RuntimeOptions(),
    )
    listed = admin.list_members_with_options(
        NAMESPACE,
        vv.ListMembersRequest(page_index=1, page_size=50),
        vv.ListMembersHeaders(workspace=WORKSPACE),
        RuntimeOptions(),
    ).body
    assert ("user:eddie", "VIEWER") in [(m.member, m.role) for m in listed.data]
    assert listed.total_size == len(listed.data)
    admin.delete_member_with_options(
        NAMESPACE, "user:eddie", vv.DeleteMemberHeaders(workspace=WORKSPACE), RuntimeOptions()
    )
    error = _client_error(lambda: _list(editor))
    assert error.status_code == 404


def test_admin_keys_api(server: Server) -> None:
    key, secret = _new_user(server, "kim")
    own = _signed_call(server, key, secret, "GET", "/api/millstream/v1/keys").json()["data"]
    assert [(k["accessKeyId"], k["userName"]) for k in own] == [(key, "kim")]
    assert "accessKeySecret" not in own[0]
    refused = _signed_call(
        server, key, secret, "POST", "/api/millstream/v1/keys", {"user": "admin"}
    )
    assert refused.status_code == 403
    second = _signed_call(server, key, secret, "POST", "/api/millstream/v1/keys").json()["data"]
    disabled = _signed_call(
        server, key, secret, "POST", f"/api/millstream/v1/keys/{second['accessKeyId']}:disable"
    )
    assert disabled.json()["data"]["status"] == "DISABLED"
    error = _client_error(
        lambda: _list(_client(server, second["accessKeyId"], second["accessKeySecret"]))
    )
    assert error.code == "InvalidAccessKeyId.Inactive"
    revoked = _signed_call(server, key, secret, "DELETE", f"/api/millstream/v1/keys/{key}")
    assert revoked.status_code == 200
    error = _client_error(lambda: _list(_client(server, key, secret)))
    assert error.code == "SignatureDoesNotMatch"  # a revoked key is an unknown key
