"""``HttpWebhookSender``: the ``WebhookSender`` port (``control.alert_ports``) with httpx,
guarded against server-side request forgery like artifact downloads.

A webhook URL is user input: ``engine.downloads.HostPolicy`` checks it (every address of
the host must be public and not a Flink REST endpoint Millstream manages, unless the
operator lists the host in ``alerts.allowed_hosts``) and the POST goes to the checked
address, so a DNS answer changing in between cannot redirect it. Redirects are not
followed. Failures are said in our words (``Unavailable``): the receiver's answer and the
socket error are not echoed. ``control.alerting`` calls ``post``; the alert rule service
calls ``check`` when a rule is created.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from millstream.domain.errors import InvalidArtifact, InvalidInput, Unavailable
from millstream.engine.downloads import HostPolicy

__all__ = ["HttpWebhookSender"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


class HttpWebhookSender:
    def __init__(
        self,
        policy: HostPolicy,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._policy = policy
        self._timeout = timeout
        self._transport = transport

    def check(self, url: str) -> None:
        """``InvalidInput`` when ``url`` may not be called."""
        self._target(url)

    def post(self, url: str, query: Mapping[str, str], body: Mapping[str, Any]) -> Any:
        """POST ``body`` as JSON; the receiver's JSON answer (``None`` if not JSON).
        ``Unavailable`` for a refused connection, a timeout or a non-2xx answer."""
        if query:
            url = url + ("&" if urlsplit(url).query else "?") + urlencode(dict(query))
        target = self._target(url)
        shown = _shown(url)
        parts = urlsplit(url)
        headers: dict[str, str] = {}
        extensions: dict[str, Any] = {}
        if target.address is not None:
            address = ipaddress.ip_address(target.address)
            literal = f"[{address}]" if address.version == 6 else str(address)
            url = parts._replace(netloc=f"{literal}:{target.port}").geturl()
            host = f"[{target.host}]" if ":" in target.host else target.host
            default = _DEFAULT_PORTS[parts.scheme.lower()] == target.port
            headers["Host"] = host + ("" if default else f":{target.port}")
            if parts.scheme.lower() == "https":
                extensions["sni_hostname"] = target.host
        try:
            with httpx.Client(
                timeout=self._timeout, follow_redirects=False, transport=self._transport
            ) as http:
                request = http.build_request(
                    "POST", url, json=dict(body), headers=headers, extensions=extensions
                )
                response = http.send(request)
        except httpx.HTTPError:
            raise Unavailable(f"webhook {shown} could not be reached") from None
        if not 200 <= response.status_code < 300:
            raise Unavailable(f"webhook {shown} answered HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            return None

    def _target(self, url: str) -> Any:
        try:
            return self._policy.target(url)
        except InvalidArtifact:
            raise InvalidInput(
                f"webhook URL {_shown(url)} is refused: it must be an http(s) URL without "
                "credentials whose host resolves only to public addresses (an operator "
                "allows others with the alerts.allowed_hosts setting)"
            ) from None


def _shown(url: str) -> str:
    """Scheme and host only: a webhook's path and query often hold its token."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(invalid URL)"
    return repr(f"{parts.scheme}://{parts.hostname or ''}/...")
