"""Downloads of ``http(s)://`` artifact URIs that cannot be turned against the server
(server-side request forgery).

``engine.uris.ArtifactResolver`` calls ``Downloader.stream`` for every http(s) artifact
URI a deployment names. A URI is user input, so before any byte is sent:

- the host is resolved and *every* address it resolves to must be public (not loopback,
  private, link-local, shared, multicast, reserved or unspecified; IPv4 inside IPv6 is
  checked as IPv4), and must not be a Flink REST endpoint Millstream manages;
- the connection goes to the address that was checked (the URL is rewritten to it, with
  the original ``Host`` header and TLS server name), so a DNS answer that changes between
  the check and the connection (rebinding) cannot redirect it;
- redirects are followed by hand, at most ``MAX_REDIRECTS``, each hop checked again.

An operator lets a host through anyway by listing it in ``artifacts.allowed_hosts``
(``host`` or ``host:port``): a repository on the private network, or a local test server.
Every refusal and failure is said in our words: the remote answer, its status and the
socket error ("Connection refused") never reach the caller, so the API cannot be used to
probe which internal ports are open.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from millstream.domain.errors import InvalidArtifact

__all__ = [
    "MAX_REDIRECTS",
    "Downloader",
    "HostPolicy",
    "IPAddress",
    "is_public_address",
    "resolve_host",
]

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], list[str]]

# Ranges ``is_global`` lets through but a server must not call on a user's behalf.
_NOT_PUBLIC = (
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT (shared address space)
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64
)


def is_public_address(address: IPAddress) -> bool:
    """Whether ``address`` is a public unicast address a download may connect to."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None:
            return is_public_address(embedded)
        if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64: the IPv4 inside counts
            return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if any(address in network for network in _NOT_PUBLIC if network.version == address.version):
        return False
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver), in its order."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in found:
        text = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        if text not in addresses:
            addresses.append(text)
    return addresses


@dataclass(frozen=True, slots=True)
class Target:
    """Where one hop connects: the checked address, or ``None`` to let httpx resolve
    the host itself (an operator-allowed host)."""

    url: str
    host: str
    port: int
    address: str | None


@dataclass(slots=True)
class HostPolicy:
    """Which hosts a download may reach. ``flink_endpoints`` returns the REST URLs of the
    Flink clusters Millstream manages (read at every check: clusters come and go)."""

    allowed_hosts: frozenset[str] = frozenset()
    flink_endpoints: Callable[[], Iterable[str]] = lambda: ()
    resolve: Resolve = field(default=resolve_host)

    def __post_init__(self) -> None:
        self.allowed_hosts = frozenset(_normal_host(h) for h in self.allowed_hosts if h.strip())

    def target(self, url: str, *, uri: str | None = None) -> Target:
        """The hop to ``url`` as it may be made, or ``InvalidArtifact`` saying why not.
        ``uri`` is what the user named when ``url`` came from a redirect: messages quote
        only it, never what the remote server answered."""
        shown = uri or url
        where = "redirects to a host that" if uri else f"names host {_host_of(url)!r}, which"
        try:
            parts = urlsplit(url)
            host = _normal_host(parts.hostname or "")
        except ValueError:
            raise _refused(shown, f"{where} is not a valid URL") from None
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not host:
            raise _refused(shown, f"{where} is not an http(s) host")
        if parts.username is not None or parts.password is not None:
            raise _refused(shown, f"{where} is given with credentials")
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError:
            raise _refused(shown, f"{where} has an invalid port") from None
        if host in self.allowed_hosts or f"{host}:{port}" in self.allowed_hosts:
            return Target(url, host, port, None)
        addresses = self._addresses(host, port)
        if not addresses:
            raise _refused(shown, f"{where} cannot be resolved")
        if not all(is_public_address(ipaddress.ip_address(text)) for text in addresses):
            raise _refused(shown, f"{where} is a loopback, private or otherwise non-public address")
        if self._is_flink_endpoint(host, port, addresses):
            raise _refused(shown, f"{where} is a Flink REST endpoint Millstream manages")
        return Target(url, host, port, addresses[0])

    def _addresses(self, host: str, port: int) -> list[str]:
        """Every address of ``host`` (itself when it is one); empty when unknown."""
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        try:
            found = self.resolve(host, port)
        except (OSError, UnicodeError):
            return []
        return [text for text in found if _is_address(text)]

    def _is_flink_endpoint(self, host: str, port: int, addresses: list[str]) -> bool:
        mine = {ipaddress.ip_address(a) for a in addresses}
        for endpoint in self.flink_endpoints():
            try:
                parts = urlsplit(endpoint)
                other = _normal_host(parts.hostname or "")
                other_port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 80)
            except ValueError:
                continue
            if not other or other_port != port:
                continue
            if other == host:
                return True
            theirs = {ipaddress.ip_address(a) for a in self._addresses(other, port)}
            if mine & theirs:
                return True
        return False


class Downloader:
    """GETs an artifact URL through ``HostPolicy``, following checked redirects."""

    def __init__(
        self,
        policy: HostPolicy,
        *,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._policy = policy
        self._timeout = timeout
        self._transport = transport

    @contextmanager
    def stream(self, uri: str) -> Iterator[httpx.Response]:
        """The 200 answer to ``uri``, streaming; ``InvalidArtifact`` in our words for a
        refused host, a failed connection or any other answer."""
        url = uri
        with httpx.Client(
            timeout=self._timeout, follow_redirects=False, transport=self._transport
        ) as http:
            for hop in range(MAX_REDIRECTS + 1):
                target = self._policy.target(url, uri=uri if hop else None)
                try:
                    request = _request(http, target)
                    response = http.send(request, stream=True)
                except httpx.HTTPError:
                    raise _failed(uri) from None
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        url = urljoin(url, location)
                        continue
                    if response.status_code != 200:
                        raise _failed(uri)
                    try:
                        yield response
                    except httpx.HTTPError:
                        raise _failed(uri) from None
                    return
                finally:
                    response.close()
        raise InvalidArtifact(
            f"cannot download artifact {uri!r}: more than {MAX_REDIRECTS} redirects"
        )


def _request(http: httpx.Client, target: Target) -> httpx.Request:
    if target.address is None:
        return http.build_request("GET", target.url)
    parts = urlsplit(target.url)
    address = ipaddress.ip_address(target.address)
    literal = f"[{address}]" if address.version == 6 else str(address)
    pinned = parts._replace(netloc=f"{literal}:{target.port}").geturl()
    default = _DEFAULT_PORTS[parts.scheme.lower()] == target.port
    host_header = _url_host(target.host) + ("" if default else f":{target.port}")
    extensions = {"sni_hostname": target.host} if parts.scheme.lower() == "https" else {}
    return http.build_request("GET", pinned, headers={"Host": host_header}, extensions=extensions)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _refused(uri: str, why: str) -> InvalidArtifact:
    return InvalidArtifact(
        f"cannot download artifact {uri!r}: it {why}; downloads reach only public hosts "
        "unless an operator lists the host in artifacts.allowed_hosts"
    )


def _failed(uri: str) -> InvalidArtifact:
    return InvalidArtifact(
        f"cannot download artifact {uri!r}: the server did not send the file (check the "
        "URL, or upload the file and use the URI the upload returns)"
    )
