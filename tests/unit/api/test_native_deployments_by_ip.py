"""GetDeploymentsByIp's pure parts: validating the address and reading TaskManager hosts
out of Flink's ``/jobs/{id}/vertices/{vid}/taskmanagers`` answer."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from millstream.api.native.deployments_by_ip import endpoint_host, parse_ip, taskmanager_hosts
from millstream.domain.errors import InvalidInput


@pytest.mark.parametrize("text", ["10.0.0.5", " 10.0.0.5 ", "fd00::7", "::1"])
def test_ipv4_and_ipv6_addresses_are_accepted(text: str) -> None:
    assert parse_ip(text) == ipaddress.ip_address(text.strip())


@pytest.mark.parametrize("text", ["", "10.0.0.256", "10.0.0", "host.example", "10.0.0.5:80"])
def test_anything_else_is_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput, match="srcIp must be an IPv4 or IPv6 address"):
        parse_ip(text)


@pytest.mark.parametrize(
    ("endpoint", "host"),
    [
        ("10.0.0.5:41234", "10.0.0.5"),
        ("[fd00::7]:41234", "fd00::7"),
        ("fd00::7", "fd00::7"),
        ("tm-1.flink.svc:6121", "tm-1.flink.svc"),
        ("localhost", "localhost"),
    ],
)
def test_the_host_of_an_endpoint(endpoint: str, host: str) -> None:
    assert endpoint_host(endpoint) == host


@pytest.mark.parametrize(
    ("answer", "hosts"),
    [
        (
            {"taskmanagers": [{"endpoint": "10.0.0.5:1"}, {"endpoint": "10.0.0.6:2"}]},
            {"10.0.0.5", "10.0.0.6"},
        ),
        ({"taskmanagers": [{"host": "10.0.0.7:1"}]}, {"10.0.0.7"}),  # older Flink
        ({"taskmanagers": [{"endpoint": ""}, "junk", {"taskmanager-id": "x"}]}, set()),
        ({"taskmanagers": None}, set()),
        ({"taskmanagers": {"endpoint": "10.0.0.5:1"}}, set()),
        ([], set()),
    ],
)
def test_taskmanager_hosts_reads_flinks_answer(answer: Any, hosts: set[str]) -> None:
    assert taskmanager_hosts(answer) == hosts
