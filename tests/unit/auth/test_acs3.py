"""ACS3-HMAC-SHA256 verification against requests the official SDK's signer produced."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.api.auth import Acs3Verifier, SignedRequest
from millstream.api.auth.acs3 import authorization_header, canonical_query
from millstream.domain.errors import ErrorCode, Unauthenticated
from tests.unit.auth.conftest import START
from tests.unit.auth.signing import sdk_acs3_request

VERIFIER = Acs3Verifier()
SECRET = "SECRETTEST"


def _verifies(request: SignedRequest, secret: str = SECRET) -> bool:
    claim = VERIFIER.claim(request)
    return claim.body_matches and VERIFIER.verify(request, claim, secret)


def _replace_header(request: SignedRequest, name: str, value: str) -> SignedRequest:
    headers = tuple((k, value if k == name else v) for k, v in request.headers)
    return dataclasses.replace(request, headers=headers)


def test_sdk_signed_request_verifies_over_the_raw_percent_encoded_path() -> None:
    request = sdk_acs3_request(key_id="AKIDTEST", secret=SECRET, at=START)
    assert request.raw_path.endswith("jobs%3Astart")
    claim = VERIFIER.claim(request)
    assert claim.key_id == "AKIDTEST"
    assert claim.timestamp == START
    assert claim.nonce == "659ccbbad25ba389ee1828eaf933accd"
    assert _verifies(request)


def test_decoded_path_does_not_verify() -> None:
    request = sdk_acs3_request(key_id="AKIDTEST", secret=SECRET, at=START)
    assert not _verifies(
        dataclasses.replace(request, raw_path=request.raw_path.replace("%3A", ":"))
    )


def test_wrong_secret_does_not_verify() -> None:
    request = sdk_acs3_request(key_id="AKIDTEST", secret=SECRET, at=START)
    assert not _verifies(request, "OTHER")


def test_changed_signed_header_does_not_verify() -> None:
    request = sdk_acs3_request(key_id="AKIDTEST", secret=SECRET, at=START)
    assert not _verifies(_replace_header(request, "workspace", "ws2"))


def test_changed_method_or_query_does_not_verify() -> None:
    request = sdk_acs3_request(
        key_id="AK", secret=SECRET, at=START, method="GET", body=b"", query={"pageIndex": "1"}
    )
    assert _verifies(request)
    assert not _verifies(dataclasses.replace(request, method="DELETE"))
    assert not _verifies(dataclasses.replace(request, raw_query="pageIndex=2"))


def test_tampered_body_fails_the_digest_check() -> None:
    request = sdk_acs3_request(key_id="AK", secret=SECRET, at=START)
    tampered = dataclasses.replace(request, body=b'{"deploymentId":"dep-2"}')
    claim = VERIFIER.claim(tampered)
    assert not claim.body_matches
    assert VERIFIER.verify(tampered, claim, SECRET)  # the headers alone still match


def test_unsigned_acs_header_is_refused() -> None:
    request = sdk_acs3_request(key_id="AK", secret=SECRET, at=START)
    sneaky = dataclasses.replace(request, headers=(*request.headers, ("x-acs-extra", "1")))
    with pytest.raises(Unauthenticated) as caught:
        VERIFIER.claim(sneaky)
    assert caught.value.code == ErrorCode.MALFORMED_SIGNATURE


def test_own_signer_matches_the_sdk() -> None:
    request = sdk_acs3_request(key_id="AK", secret=SECRET, at=START, query={"a": "b c"})
    authorization = request.header("authorization") or ""
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert (
        authorization_header(request, access_key_id="AK", secret=SECRET, signed_headers=signed)
        == authorization
    )


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


@given(
    query=st.dictionaries(
        st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}", fullmatch=True), _text, max_size=4
    ),
    segment=st.from_regex(r"[A-Za-z0-9._~-]{1,10}", fullmatch=True),
    body=st.binary(max_size=64),
)
def test_any_sdk_signed_query_path_and_body_verify(
    query: dict[str, str], segment: str, body: bytes
) -> None:
    request = sdk_acs3_request(
        key_id="AK",
        secret=SECRET,
        at=START,
        pathname=f"/api/v2/namespaces/{segment}/jobs%3Astart",
        query=query,
        body=body,
    )
    assert _verifies(request)


def test_canonical_query_sorts_and_reencodes() -> None:
    assert canonical_query("b=2&a=x+y&c=%7E&d=") == "a=x%20y&b=2&c=~&d="
