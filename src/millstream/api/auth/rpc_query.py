"""The RPC-style query signature (version 1.0, HMAC-SHA1) the foas document teaches.

The foas 2018-11-11 document (spec/foas-2018-11-11.md §1.4 and §1.7) describes only this
scheme, for people who sign by hand: the request carries ``AccessKeyId``,
``Signature``, ``SignatureMethod=HMAC-SHA1``, ``SignatureVersion=1.0``,
``SignatureNonce`` and ``Timestamp`` as query parameters and no ``Authorization``
header. The foas dialect lists ``RpcQueryVerifier`` next to the SDK's ROA verifier; the
``Authenticator`` hands it the requests that have no ``Authorization`` header
(``authenticator.QuerySignatureVerifier``).

    CanonicalizedQueryString = sorted percentEncode(name) "=" percentEncode(value), by "&"
    StringToSign = METHOD "&" percentEncode("/") "&" percentEncode(CanonicalizedQueryString)
    Signature    = base64(HMAC-SHA1(secret + "&", StringToSign))

percentEncode keeps ``A-Z a-z 0-9 - _ . ~`` and writes every other UTF-8 byte as
``%XY`` (space is ``%20``). "All request parameters" are the query's parameters except
``Signature`` plus, for a form-urlencoded body, the body's fields: the body is covered
that way, and any other body is refused (nothing would cover it).

The timestamp is ``Timestamp`` (the document's worked example spells it
``TimeStamp``: both are read), checked against the same clock-skew limit as every
scheme; ``SignatureNonce`` is required and spent in the same nonce store as ACS3
nonces (``AccessService.accept``), so every signed request, read or write, is good
once. As the document's algorithm prescribes, the path is not signed (the string to
sign always says ``/``): the nonce keeps a captured request from being sent again, but
over plain HTTP a man in the middle could change its path; sign with ACS3 (the SDK's
default) or use HTTPS where that matters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

from millstream.api.auth.authenticator import (
    Claim,
    SignedRequest,
    equal_signatures,
)
from millstream.domain.errors import ErrorCode, Unauthenticated

__all__ = [
    "RpcQueryVerifier",
    "canonicalized_query",
    "percent_encode",
    "rpc_signature",
    "rpc_string_to_sign",
]

_FORM = "application/x-www-form-urlencoded"
_TIMESTAMP_NAMES = ("Timestamp", "TimeStamp")
_TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ")


def percent_encode(value: str) -> str:
    """The document's percentEncode: RFC 3986 unreserved characters kept, every other
    UTF-8 byte as upper-case ``%XY`` (space is ``%20``, ``*`` is ``%2A``)."""
    return quote(value, safe="~")


def canonicalized_query(parameters: list[tuple[str, str]]) -> str:
    """The sorted, percent-encoded ``name=value`` pairs joined by ``&`` (``Signature``
    left out)."""
    encoded = sorted(
        (percent_encode(name), percent_encode(value))
        for name, value in parameters
        if name != "Signature"
    )
    return "&".join(f"{name}={value}" for name, value in encoded)


def rpc_string_to_sign(method: str, parameters: list[tuple[str, str]]) -> str:
    """``METHOD&%2F&percentEncode(CanonicalizedQueryString)``."""
    return (
        f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonicalized_query(parameters))}"
    )


def rpc_signature(secret: str, string_to_sign: str) -> str:
    """base64 of HMAC-SHA1 keyed with the secret followed by ``&``."""
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _incomplete(message: str) -> Unauthenticated:
    return Unauthenticated(message, code=ErrorCode.MALFORMED_SIGNATURE)


def _query(request: SignedRequest) -> list[tuple[str, str]]:
    # parse_qsl decodes '+' as a space, as every form and query decoder does.
    return parse_qsl(request.raw_query, keep_blank_values=True)


def _parameters(request: SignedRequest) -> list[tuple[str, str]]:
    """Every signed parameter: the query's, then a form body's fields."""
    parameters = _query(request)
    if request.body:
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != _FORM:
            raise _incomplete(
                "a request signed with the query signature (Signature in the query) may "
                f"only have a {_FORM} body, whose fields are signed with the query's; "
                "this body would not be covered"
            )
        try:
            body = request.body.decode()
        except UnicodeDecodeError:
            raise _incomplete("the form body is not UTF-8") from None
        parameters += parse_qsl(body, keep_blank_values=True)
    return parameters


def _timestamp(values: dict[str, str]) -> datetime:
    text = next((values[name] for name in _TIMESTAMP_NAMES if name in values), None)
    if text is None:
        raise _incomplete("the query signature needs Timestamp (UTC, YYYY-MM-DDThh:mm:ssZ)")
    for layout in _TIMESTAMP_FORMATS:
        try:
            return datetime.strptime(text, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise Unauthenticated(
        "Timestamp must be ISO 8601 in UTC like '2014-05-26T12:00:00Z'",
        code=ErrorCode.INVALID_TIMESTAMP,
    )


class RpcQueryVerifier:
    """``Signature`` & co. in the query (the foas document's §1.7); see the module."""

    scheme = "Signature in the query (HMAC-SHA1, SignatureVersion 1.0)"

    def accepts(self, authorization: str) -> bool:  # noqa: ARG002 - never a header scheme
        return False

    def accepts_query(self, request: SignedRequest) -> bool:
        return any(name == "Signature" for name, _ in _query(request))

    def claim(self, request: SignedRequest) -> Claim:
        values: dict[str, str] = {}
        for name, value in _query(request):
            if name in values:
                # Two values for one name: which one was signed is ambiguous.
                raise _incomplete(f"the query parameter {name} is given more than once")
            values[name] = value
        missing = [
            name for name in ("AccessKeyId", "Signature", "SignatureNonce") if not values.get(name)
        ]
        if missing:
            raise _incomplete(f"the query signature needs {', '.join(missing)}")
        if values.get("SignatureMethod", "").upper() != "HMAC-SHA1":
            raise _incomplete("SignatureMethod must be HMAC-SHA1")
        if values.get("SignatureVersion") != "1.0":
            raise _incomplete("SignatureVersion must be 1.0")
        timestamp = _timestamp(values)
        _parameters(request)  # refuse a body the signature cannot cover, before any HMAC
        return Claim(
            key_id=values["AccessKeyId"],
            signature=values["Signature"],
            timestamp=timestamp,
            nonce=values["SignatureNonce"],
            body_matches=True,  # a form body is part of the signed parameters
        )

    def verify(self, request: SignedRequest, claim: Claim, secret: str) -> bool:
        expected = rpc_signature(secret, rpc_string_to_sign(request.method, _parameters(request)))
        return equal_signatures(claim.signature, expected)
