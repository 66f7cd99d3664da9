"""``same_origin``: which console POSTs count as coming from the console itself."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from millstream.web.guards import CONTENT_SECURITY_POLICY, same_origin


def _request(**headers: str) -> Request:
    raw = [(b"host", b"console.example:8080")]
    raw += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw})


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, True),  # curl and tests: the CSRF token decides
        ({"origin": "http://console.example:8080"}, True),
        ({"origin": "https://console.example:8080"}, True),  # TLS ended at a proxy
        ({"origin": "http://evil.example"}, False),
        ({"origin": "http://console.example:9999"}, False),
        ({"origin": "null"}, False),  # sandboxed frames, data: URLs
        ({"referer": "http://console.example:8080/console/deployments"}, True),
        ({"referer": "http://evil.example/console.example:8080"}, False),
        ({"origin": "http://evil.example", "referer": "http://console.example:8080/"}, False),
    ],
)
def test_same_origin(headers: dict[str, str], allowed: bool) -> None:
    assert same_origin(_request(**headers)) is allowed


def test_the_policy_forbids_framing_and_inline_scripts() -> None:
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
