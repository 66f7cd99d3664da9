"""Issue 19 items 8 and 10, performed with the official ``alibabacloud-ververica20220718``
SDK against a live server running the production app.

Item 8: the legacy ROA signature (``signature_algorithm='v2'``) covers neither a body
without ``Content-MD5`` nor the ``workspace`` header, so a captured, signed
``CreateDeployment`` replayed with another body was accepted, and so was a read replayed
into another workspace. Now such requests are refused, while ROA requests that do sign
what matters (``Content-MD5``, ``x-acs-workspace``) keep working.

Item 10: an unknown key, a wrong secret and a disabled key with a wrong secret got three
different codes (which told an attacker which key ids exist and which are disabled). Now
they get one code and one message; only a correctly signed request hears that its key is
disabled.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.utils import Utils
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from darabonba.runtime import RuntimeOptions

from millstream.control.context import Actor
from tests.integration.api.test_native_variables import SQL
from tests.security.edge_server import NS, OTHER_WS, WS, EdgeServer, capture, send, serve
from tests.unit.auth.signing import content_md5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeServer]:
    data_dir: Path = tmp_path_factory.mktemp("edge-signatures")
    with serve(data_dir) as started:
        yield started


def _deployment(name: str) -> vv.Deployment:
    return vv.Deployment(
        name=name,
        execution_mode="STREAMING",
        artifact=vv.Artifact(kind="SQLSCRIPT", sql_artifact=vv.SqlArtifact(sql_script=SQL)),
    )


def _create(client: Client, name: str, workspace: str = WS) -> Any:
    return client.create_deployment_with_options(
        NS,
        vv.CreateDeploymentRequest(body=_deployment(name)),
        vv.CreateDeploymentHeaders(workspace=workspace),
        RuntimeOptions(),
    )


def _list(client: Client, headers: vv.ListDeploymentsHeaders | None = None) -> Any:
    return client.list_deployments_with_options(
        NS,
        vv.ListDeploymentsRequest(page_index=1, page_size=50),
        headers or vv.ListDeploymentsHeaders(workspace=WS),
        RuntimeOptions(),
    )


def _names(server: EdgeServer, workspace: str = WS) -> set[str]:
    body = _list(server.client(), vv.ListDeploymentsHeaders(workspace=workspace)).body
    return {d.name for d in body.data}


def _refused(call: Any) -> ClientException:
    with pytest.raises(ClientException) as caught:
        call()
    return caught.value


# ---------------------------------------------------------------------------- item 8


def test_roa_signed_create_with_a_swapped_body_is_refused(
    server: EdgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    roa = server.client(signature_algorithm="v2")
    signed = capture(monkeypatch, lambda: _create(roa, "legit"))
    assert signed.headers["authorization"].startswith("acs ")
    assert "content-md5" not in signed.headers  # the SDK's v2 mode never sends it
    evil = json.loads(signed.body)
    evil["name"] = "evil"
    evil["artifact"]["sqlArtifact"]["sqlScript"] = "INSERT INTO stolen SELECT * FROM secrets;"
    swapped = send(server, signed, body=json.dumps(evil).encode())
    assert swapped.status_code == 401, swapped.text
    assert swapped.json()["code"] == "IncompleteSignature"
    assert "Content-MD5" in swapped.json()["message"]
    assert "evil" not in _names(server)
    # The SDK itself hears why, and what to use instead.
    error = _refused(lambda: _create(roa, "legit"))
    assert (error.status_code, error.code) == (401, "IncompleteSignature")
    assert "ACS3" in error.message


def test_roa_with_content_md5_protects_the_body(
    server: EdgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the foas core SDK does: Content-MD5 is sent and signed."""
    signed = capture(monkeypatch, lambda: _create(server.client(signature_algorithm="v2"), "md5"))
    signed.headers["content-md5"] = content_md5(signed.body.encode())
    signature = Utils.get_roasignature(Utils.get_string_to_sign(signed), server.admin_secret)
    signed.headers["authorization"] = f"acs {server.admin_key}:{signature}"
    other = signed.body.replace('"md5"', '"md5-evil"').encode()
    tampered = send(server, signed, body=other)
    assert tampered.status_code == 401, tampered.text
    assert tampered.json()["code"] == "SignatureDoesNotMatch"
    accepted = send(server, signed)
    assert accepted.status_code == 200, accepted.text
    assert {"md5"} <= _names(server)
    assert "md5-evil" not in _names(server)


def test_roa_request_replayed_into_another_workspace_is_refused(
    server: EdgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _create(server.client(), "hidden", workspace=OTHER_WS)
    roa = server.client(signature_algorithm="v2")
    assert _list(roa).status_code == 200  # the default workspace: nothing to bind
    signed = capture(monkeypatch, lambda: _list(roa))
    moved = send(server, signed, headers={"workspace": OTHER_WS})
    assert moved.status_code == 401, moved.text
    assert "hidden" not in moved.text
    assert "x-acs-workspace" in moved.json()["message"]


def test_roa_request_may_name_another_workspace_in_a_signed_header(server: EdgeServer) -> None:
    _create(server.client(), "visible", workspace=OTHER_WS)
    roa = server.client(signature_algorithm="v2")
    bound = vv.ListDeploymentsHeaders(
        common_headers={"x-acs-workspace": OTHER_WS}, workspace=OTHER_WS
    )
    assert "visible" in {d.name for d in _list(roa, bound).body.data}


# ---------------------------------------------------------------------------- item 10


def test_key_existence_and_status_do_not_leak(server: EdgeServer) -> None:
    admin = server.access.read_user("admin")
    disabled = server.access.create_key(Actor(admin.id, admin.name), user="dora", create_user=True)
    server.access.disable_key(Actor(admin.id, admin.name), disabled.key.id)

    def answer(key: str, secret: str) -> tuple[int, str, str]:
        error = _refused(lambda: _list(server.client(key, secret)))
        # The SDK's message embeds the request id; compare the server's message.
        return error.status_code, error.code, error.data["message"]

    unknown = answer("MSNOSUCHKEY0000000000000", "whatever")
    wrong = answer(server.admin_key, "wrong-secret")
    disabled_wrong = answer(disabled.key.id, "wrong-secret")
    assert unknown == wrong == disabled_wrong
    assert unknown[:2] == (401, "SignatureDoesNotMatch")
    # A caller who holds the secret of a disabled key is told why it fails.
    assert answer(disabled.key.id, disabled.secret)[:2] == (401, "InvalidAccessKeyId.Inactive")
