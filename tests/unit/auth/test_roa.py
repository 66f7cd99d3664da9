"""Legacy ROA ``acs AK:sig`` verification against requests the SDK's signer produced
(tea ``signature_algorithm='v2'``) and the foas core SDK's variant of the same scheme."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from millstream.api.auth import RoaVerifier, SignedRequest
from millstream.api.auth.roa import string_to_sign
from tests.unit.auth.conftest import START
from tests.unit.auth.signing import sdk_roa_request

VERIFIER = RoaVerifier()
SECRET = "SECRETTEST"


def _verifies(request: SignedRequest, secret: str = SECRET) -> bool:
    claim = VERIFIER.claim(request)
    return claim.body_matches and VERIFIER.verify(request, claim, secret)


def test_tea_v2_signed_request_verifies() -> None:
    request = sdk_roa_request(key_id="AKIDTEST", secret=SECRET, at=START)
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
    request = sdk_roa_request(key_id="AK", secret=SECRET, at=START)
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
