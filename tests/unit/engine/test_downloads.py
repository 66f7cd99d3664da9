"""The SSRF guard of http(s) artifact downloads: which addresses are public, which hosts a
policy lets through, that the connection goes to the checked address, and that redirects
and failures are checked and reported in our words."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.domain.errors import InvalidArtifact
from millstream.engine.downloads import Downloader, HostPolicy, is_public_address

NOT_PUBLIC_NETWORKS = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::1/128",
    "::/128",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
]


@st.composite
def _inside(draw: st.DrawFn, network: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    net = ipaddress.ip_network(network)
    offset = draw(st.integers(min_value=0, max_value=net.num_addresses - 1))
    return net[offset]


@pytest.mark.parametrize("network", NOT_PUBLIC_NETWORKS)
@given(data=st.data())
def test_addresses_in_non_public_ranges_are_not_public(network: str, data: st.DataObject) -> None:
    assert not is_public_address(data.draw(_inside(network)))


@given(address=st.sampled_from(["127.0.0.1", "10.1.2.3", "169.254.169.254", "192.168.1.1"]))
def test_ipv4_hidden_in_ipv6_counts_as_the_ipv4(address: str) -> None:
    v4 = ipaddress.IPv4Address(address)
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    six_to_four = ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80))
    nat64 = ipaddress.IPv6Address(f"64:ff9b::{address}")
    for hidden in (mapped, six_to_four, nat64):
        assert not is_public_address(hidden), hidden


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_public(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


def _policy(table: dict[str, list[str]], **kw: object) -> HostPolicy:
    def resolve(host: str, port: int) -> list[str]:  # noqa: ARG001
        if host not in table:
            raise OSError("unknown")
        return table[host]

    return HostPolicy(resolve=resolve, **kw)  # type: ignore[arg-type]


def test_a_host_with_any_non_public_address_is_refused() -> None:
    policy = _policy({"mixed.example": ["93.184.216.34", "127.0.0.1"]})
    with pytest.raises(InvalidArtifact, match="non-public") as refused:
        policy.target("http://mixed.example/a.jar")
    assert "artifacts.allowed_hosts" in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8081/jobs/x/yarn-cancel",
        "http://[::1]/a.jar",
        "http://[::ffff:127.0.0.1]/a.jar",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0:8081/",
        "http://2130706433/a.jar",  # 127.0.0.1 as one decimal number
        "http://127.1/a.jar",
    ],
)
def test_loopback_and_metadata_urls_are_refused(url: str) -> None:
    policy = _policy({"2130706433": ["127.0.0.1"], "127.1": ["127.0.0.1"]})
    with pytest.raises(InvalidArtifact):
        policy.target(url)


def test_unknown_host_is_refused_without_resolver_details() -> None:
    with pytest.raises(InvalidArtifact, match="cannot be resolved") as refused:
        _policy({}).target("http://nowhere.example/a.jar")
    assert "unknown" not in str(refused.value)  # the resolver's own words stay inside


def test_allowed_host_passes_and_is_resolved_by_the_client() -> None:
    policy = _policy({}, allowed_hosts=frozenset({"localhost:8000", "Repo.Internal"}))
    target = policy.target("http://localhost:8000/a.jar")
    assert target.address is None
    assert policy.target("https://repo.internal/a.jar").address is None
    with pytest.raises(InvalidArtifact):
        policy.target("http://localhost:9000/a.jar")  # another port is not allowed


def test_flink_rest_endpoints_are_refused_even_on_public_addresses() -> None:
    policy = _policy(
        {"flink.example": ["93.184.216.34"], "alias.example": ["93.184.216.34"]},
        flink_endpoints=lambda: ["http://flink.example:8081"],
    )
    for url in ("http://flink.example:8081/jobs", "http://alias.example:8081/jobs"):
        with pytest.raises(InvalidArtifact, match="Flink REST endpoint"):
            policy.target(url)
    assert policy.target("http://alias.example:80/a.jar").address == "93.184.216.34"


def test_connection_goes_to_the_checked_address_with_the_original_host() -> None:
    seen: list[httpx.Request] = []

    def serve(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"jar")

    answers = iter([["93.184.216.34"], ["127.0.0.1"]])  # a rebinding DNS server

    def resolve(host: str, port: int) -> list[str]:  # noqa: ARG001
        return next(answers)

    downloader = Downloader(
        HostPolicy(resolve=resolve), timeout=5, transport=httpx.MockTransport(serve)
    )
    with downloader.stream("https://repo.example:8443/lib/a.jar?x=1") as response:
        assert response.read() == b"jar"
    (request,) = seen
    assert request.url.host == "93.184.216.34"
    assert request.url.port == 8443
    assert request.url.path == "/lib/a.jar"
    assert request.headers["host"] == "repo.example:8443"
    assert request.extensions["sni_hostname"] == "repo.example"


def test_redirects_are_checked_hop_by_hop_and_not_echoed() -> None:
    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/a.jar":
            return httpx.Response(302, headers={"location": "http://127.0.0.1:8081/jobs"})
        return httpx.Response(200, content=b"never")

    downloader = Downloader(
        _policy({"repo.example": ["93.184.216.34"]}),
        timeout=5,
        transport=httpx.MockTransport(serve),
    )
    with (
        pytest.raises(InvalidArtifact, match="redirects to a host") as refused,
        downloader.stream("http://repo.example/a.jar"),
    ):
        pass
    assert "8081" not in str(refused.value)


def test_redirects_to_public_hosts_are_followed() -> None:
    def serve(request: httpx.Request) -> httpx.Response:
        if request.headers["host"] == "repo.example":
            return httpx.Response(301, headers={"location": "https://cdn.example/a.jar"})
        return httpx.Response(200, content=b"jar")

    downloader = Downloader(
        _policy({"repo.example": ["93.184.216.34"], "cdn.example": ["8.8.8.8"]}),
        timeout=5,
        transport=httpx.MockTransport(serve),
    )
    with downloader.stream("http://repo.example/a.jar") as response:
        assert response.read() == b"jar"


def test_endless_redirects_stop() -> None:
    downloader = Downloader(
        _policy({"repo.example": ["93.184.216.34"]}),
        timeout=5,
        transport=httpx.MockTransport(
            lambda _: httpx.Response(302, headers={"location": "/again"})
        ),
    )
    with (
        pytest.raises(InvalidArtifact, match="redirects"),
        downloader.stream("http://repo.example/"),
    ):
        pass


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500, text="internal: db password is hunter2"),
        httpx.Response(403, text="Forbidden"),
        httpx.ConnectError("[Errno 111] Connection refused"),
    ],
)
def test_failures_are_told_in_our_words(failure: httpx.Response | Exception) -> None:
    def serve(request: httpx.Request) -> httpx.Response:  # noqa: ARG001
        if isinstance(failure, Exception):
            raise failure
        return failure

    downloader = Downloader(
        _policy({"repo.example": ["93.184.216.34"]}),
        timeout=5,
        transport=httpx.MockTransport(serve),
    )
    with (
        pytest.raises(InvalidArtifact, match="did not send the file") as refused,
        downloader.stream("http://repo.example/a.jar"),
    ):
        pass
    text = str(refused.value)
    for leak in ("500", "403", "hunter2", "Forbidden", "refused", "Errno"):
        assert leak not in text
