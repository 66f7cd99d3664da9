"""Legacy ROA ``acs AK:sig`` verification against requests the SDK's signer produced
(tea ``signature_algorithm='v2'``) and the foas core SDK's variant of the same scheme,
and what ROA cannot protect being refused: a body without ``Content-MD5`` and an unsigned
``workspace`` header naming another workspace."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.api.auth import Acs3Verifier, RoaVerifier, SignedRequest
from millstream.api.auth.roa import configure_roa, string_to_sign
from millstream.config import ApiSettings
from millstream.domain.errors import ErrorCode, Unauthenticated
from tests.unit.auth.conftest import START
from tests.unit.auth.signing import content_md5, sdk_roa_request

VERIFIER = RoaVerifier(default_workspace="ws1")
BODY = b'{"deploymentId":"dep-1"}'
SECRET = "SECRETTEST"


def _verifies(request: SignedRequest, secret: str = SECRET) -> bool:
    claim = VERIFIER.claim(request)
    return claim.body_matches and VERIFIER.verify(request, claim, secret)


def test_tea_v2_signed_request_verifies() -> None:
    request = sdk_roa_request(
        key_id="AKIDTEST", secret=SECRET, at=START, content_md5=content_md5(BODY)
    )
    claim = VERIFIER.claim(request)
    assert (claim.key_id, claim.timestamp, claim.nonce) == (
        "AKIDTEST",
        START,
        "b30338712b2d09ec51a6687e5e4b8f5d",
    )
    assert _verifies(request)


def test_query_values_are_signed_decoded() -> None:
    request = sdk_roa_request(
        key_id="AK",
        secret=SECRET,
        at=START,
        method="GET",
        body=b"",
        query={"pageIndex": "1", "name": "a b/c"},
    )
    assert "a+b%2Fc" in request.raw_query
    assert _verifies(request)
    assert not _verifies(dataclasses.replace(request, raw_query="pageIndex=2&name=a+b%2Fc"))


def test_wrong_secret_or_changed_acs_header_does_not_verify() -> None:
    request = sdk_roa_request(key_id="AK", secret=SECRET, at=START, content_md5=content_md5(BODY))
    assert not _verifies(request, "OTHER")
    changed = tuple((k, "StopJob" if k == "x-acs-action" else v) for k, v in request.headers)
    assert not _verifies(dataclasses.replace(request, headers=changed))


def test_content_md5_protects_the_body() -> None:
    body = b'{"deploymentId":"dep-1"}'
    digest = base64.b64encode(hashlib.md5(body).digest()).decode()
    request = sdk_roa_request(key_id="AK", secret=SECRET, at=START, body=body, content_md5=digest)
    assert _verifies(request)
    assert not VERIFIER.claim(dataclasses.replace(request, body=b"{}")).body_matches


def test_core_sdk_variant_with_unescaped_path_and_blank_values_verifies() -> None:
    # aliyun-python-sdk-core signs the path unescaped and a blank value as "k=".
    headers = (
        ("date", "Mon, 23 Nov 2026 09:40:48 GMT"),
        ("accept", "application/json"),
        ("x-acs-version", "2018-11-11"),
        ("x-acs-action", "GetInstance"),
        ("x-acs-region-id", "cn-hangzhou"),
        ("x-acs-signature-method", "HMAC-SHA1"),
        ("x-acs-signature-version", "1.0"),
    )
    unsigned = SignedRequest(
        "GET", "/api/v2/projects/proj%201/jobs", "RegionId=cn-hangzhou&x=", headers, b""
    )
    resource = "/api/v2/projects/proj 1/jobs?RegionId=cn-hangzhou&x="
    signature = base64.b64encode(
        hmac.new(
            SECRET.encode(), string_to_sign(unsigned, resource).encode(), hashlib.sha1
        ).digest()
    ).decode()
    request = dataclasses.replace(
        unsigned, headers=(*headers, ("authorization", f"acs AK:{signature}"))
    )
    claim = VERIFIER.claim(request)
    assert claim.nonce is None
    assert _verifies(request)


@given(
    query=st.dictionaries(
        st.from_regex(r"[a-z]{1,6}", fullmatch=True), st.text(max_size=8), max_size=3
    )
)
def test_any_sdk_signed_query_verifies(query: dict[str, str]) -> None:
    request = sdk_roa_request(
        key_id="AK", secret=SECRET, at=START, method="GET", body=b"", query=query
    )
    assert _verifies(request)


def _refusal(request: SignedRequest, verifier: RoaVerifier = VERIFIER) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as caught:
        verifier.claim(request)
    assert caught.value.code == ErrorCode.MALFORMED_SIGNATURE
    return caught.value


def test_a_body_without_content_md5_is_refused() -> None:
    # What the tea SDK's v2 mode sends: the signature does not cover this body at all.
    request = sdk_roa_request(key_id="AK", secret=SECRET, at=START, body=BODY)
    assert "Content-MD5" in _refusal(request).message
    empty = sdk_roa_request(key_id="AK", secret=SECRET, at=START, method="POST", body=b"")
    assert _verifies(empty)


def test_a_wrong_content_md5_does_not_match() -> None:
    request = sdk_roa_request(
        key_id="AK", secret=SECRET, at=START, body=BODY, content_md5=content_md5(b"{}")
    )
    assert not VERIFIER.claim(request).body_matches


def test_an_unsigned_workspace_header_may_only_name_the_default_workspace() -> None:
    def get(workspace: str | None, extra: dict[str, str] | None = None) -> SignedRequest:
        return sdk_roa_request(
            key_id="AK",
            secret=SECRET,
            at=START,
            method="GET",
            body=b"",
            workspace=workspace,
            extra_headers=extra,
        )

    assert _verifies(get("ws1"))
    assert _verifies(get(None))
    assert "x-acs-workspace" in _refusal(get("ws2")).message
    # Bound by the signed x-acs-workspace header, another workspace is fine...
    bound = get("ws2", {"x-acs-workspace": "ws2"})
    assert _verifies(bound)
    # ...and a swapped workspace header no longer matches it.
    swapped = dataclasses.replace(
        bound, headers=tuple((k, "ws3" if k == "workspace" else v) for k, v in bound.headers)
    )
    _refusal(swapped)
    # Without a configured default, every workspace header must be bound.
    _refusal(get("ws1"), RoaVerifier())


def test_the_signed_workspace_header_cannot_be_changed() -> None:
    bound = sdk_roa_request(
        key_id="AK",
        secret=SECRET,
        at=START,
        method="GET",
        body=b"",
        workspace="ws2",
        extra_headers={"x-acs-workspace": "ws2"},
    )
    changed = dataclasses.replace(
        bound,
        headers=tuple(
            (k, "ws3" if k in ("workspace", "x-acs-workspace") else v) for k, v in bound.headers
        ),
    )
    assert not _verifies(changed)


def test_configure_roa_binds_the_default_workspace_or_drops_roa() -> None:
    acs3 = Acs3Verifier()
    served = configure_roa([acs3, RoaVerifier()], default_workspace="ws1")
    assert served[0] is acs3
    assert isinstance(served[1], RoaVerifier)
    roa = served[1]
    request = sdk_roa_request(key_id="AK", secret=SECRET, at=START, method="GET", body=b"")
    assert roa.verify(request, roa.claim(request), SECRET)
    assert configure_roa([acs3, RoaVerifier()], default_workspace="ws1", enabled=False) == [acs3]


def test_roa_can_be_turned_off_per_dialect() -> None:
    assert ApiSettings().roa_allowed("native")
    assert not ApiSettings(roa_enabled=False).roa_allowed("native")
    settings = ApiSettings(roa_disabled_dialects=["native"])
    assert not settings.roa_allowed("native")
    assert settings.roa_allowed("foas")
