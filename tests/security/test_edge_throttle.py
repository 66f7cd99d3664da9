"""Issue 19, lesser finding: failed authentications were neither throttled (200 wrong
secrets in 1.1 s) nor audited.

With the official SDK against a live server (the production app): a stream of requests
signed with a wrong secret is cut off with 429 ``Throttling.User`` after 20 failures (the
right secret from the same address is refused too while the block lasts, so guessing
gains nothing), and the audit log holds a few aggregated entries, not one per attempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from darabonba.runtime import RuntimeOptions

from millstream.control.context import Actor, Scope
from millstream.control.ports import Page
from tests.security.edge_server import NS, WS, EdgeServer, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeServer]:
    data_dir: Path = tmp_path_factory.mktemp("edge-throttle")
    with serve(data_dir) as started:
        yield started


def _list(client: Client) -> object:
    return client.list_deployments_with_options(
        NS,
        vv.ListDeploymentsRequest(page_index=1, page_size=10),
        vv.ListDeploymentsHeaders(workspace=WS),
        RuntimeOptions(),
    )


def _error(client: Client) -> ClientException:
    with pytest.raises(ClientException) as caught:
        _list(client)
    return caught.value


def test_guessing_secrets_is_throttled_and_audited_sparingly(server: EdgeServer) -> None:
    assert _list(server.client()) is not None  # the right secret works before the flood
    guesser = server.client(server.admin_key, "guess")
    codes = [(e.status_code, e.code) for e in (_error(guesser) for _ in range(60))]
    assert codes[:20] == [(401, "SignatureDoesNotMatch")] * 20
    assert set(codes[20:]) == {(429, "Throttling.User")}
    # While the block lasts even the right secret is refused: no oracle for a guess.
    assert (_error(server.client()).status_code, _error(server.client()).code) == (
        429,
        "Throttling.User",
    )

    admin = server.access.read_user("admin")
    entries, _ = server.access.read_audit(
        Actor(admin.id, admin.name), Scope(WS, NS), Page(offset=0, limit=100)
    )
    failed = [e for e in entries if e.action.startswith("AUTHENTICATE")]
    assert 1 <= len(failed) <= 3, [e.action for e in failed]
    assert all(e.status_code == 401 for e in failed)
    assert all(server.admin_key in e.actor_name for e in failed)


def test_a_throttled_answer_is_the_native_envelope(server: EdgeServer) -> None:
    """What a plain HTTP client sees once blocked: the native error envelope and its
    request id header, like every other native failure (not a bare 429)."""
    guesser = server.client(server.admin_key, "guess")
    for _ in range(25):  # blocked already if the test above ran first
        if _error(guesser).status_code == 429:
            break
    response = httpx.get(
        f"http://{server.endpoint}/api/v2/namespaces/{NS}/deployments",
        headers={"workspace": WS},
        timeout=10,
    )
    assert response.status_code == 429, response.text
    body = response.json()
    assert body.keys() >= {
        "requestId",
        "success",
        "httpCode",
        "errorCode",
        "errorMessage",
        "data",
        "code",
        "message",
    }
    assert (body["success"], body["httpCode"], body["errorCode"]) == (
        False,
        429,
        "Throttling.User",
    )
    assert "retry in" in body["errorMessage"]
    assert response.headers["x-acs-request-id"] == body["requestId"]
