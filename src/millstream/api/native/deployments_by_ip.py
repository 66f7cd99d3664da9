"""Native GetDeploymentsByIp: the namespace's deployments whose running job has a subtask
on a TaskManager at ``srcIp`` (the address a job's connections leave from).

Flink is asked through the diagnosis service's read-only proxy (``services.diagnosis``):
``/jobs/{id}`` for the job's vertices, then ``/jobs/{id}/vertices/{vid}/taskmanagers``
for where each vertex's subtasks run. A TaskManager reported by host name matches when
the name resolves to ``srcIp``. A job Flink cannot be asked about right now (cluster
down, job forgotten) matches nothing. ``dstIp``, ``dstPort`` and ``srcPort`` would need
the jobs' connections, which Millstream does not see: they are refused, not ignored.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native import mappers
from millstream.api.native.deployments import wire_deployments
from millstream.api.native.diagnoses import diagnosis_service
from millstream.api.native.params import NAMESPACE
from millstream.api.native.routing import Ctx, native_router, ok
from millstream.api.safe_rows import dumped_rows
from millstream.control.context import Scope
from millstream.control.ports import Page
from millstream.control.services.deployments import DeploymentService
from millstream.control.services.diagnosis import DiagnosisService, ProxyResource
from millstream.domain.deployments import Deployment
from millstream.domain.errors import EnginePermanentError, InvalidInput, NotFound, Unavailable
from millstream.domain.jobs import Job, JobStatus

__all__ = ["endpoint_host", "parse_ip", "router", "taskmanager_hosts"]

router = native_router()

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], set[IpAddress]]

_SCAN_PAGE = 500
_RECENT_JOBS = 5  # a deployment has at most one live job; look at its newest few
_RESOURCE_FIELDS = ("streamingResourceSetting", "batchResourceSetting")


@router.get(NAMESPACE + "/deployments/getDeployments/byIp", name="GetDeploymentsByIp")
def get_deployments_by_ip(
    ctx: Ctx,
    src_ip: Annotated[str | None, Query(alias="srcIp", max_length=64)] = None,
    src_port: Annotated[str | None, Query(alias="srcPort", max_length=16)] = None,
    dst_ip: Annotated[str | None, Query(alias="dstIp", max_length=64)] = None,
    dst_port: Annotated[str | None, Query(alias="dstPort", max_length=16)] = None,
    ignore_job_summary: Annotated[bool, Query(alias="ignoreJobSummary")] = False,
    ignore_resource_setting: Annotated[bool, Query(alias="ignoreResourceSetting")] = False,
) -> JSONResponse:
    for name, value in (("dstIp", dst_ip), ("dstPort", dst_port), ("srcPort", src_port)):
        if value:
            raise InvalidInput(
                f"{name} is not supported: Millstream knows where a job's TaskManagers run, "
                "not its connections; look deployments up by srcIp alone"
            )
    if not src_ip:
        raise InvalidInput("srcIp is required: the IP address of a TaskManager")
    address = parse_ip(src_ip)
    inspector = diagnosis_service(ctx)
    resolve = _cached(_resolve)
    found = [
        deployment
        for deployment in _deployments(ctx.services.deployments, ctx.scope)
        if any(
            address in {ip for host in hosts for ip in _addresses(host, resolve)}
            for hosts in _running_job_hosts(ctx, inspector, deployment)
        )
    ]
    wire = (
        dumped_rows(found, mappers.deployment_to_wire)
        if ignore_job_summary
        else wire_deployments(ctx, found)
    )
    if ignore_resource_setting:
        for row in wire:
            for field in _RESOURCE_FIELDS:
                row.pop(field, None)
    return ok(ctx, wire)


def parse_ip(text: str) -> IpAddress:
    """An IPv4 or IPv6 address; ``InvalidInput`` if ``text`` is not one."""
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"srcIp must be an IPv4 or IPv6 address, got {text[:64]!r}") from exc


def endpoint_host(endpoint: str) -> str:
    """The host of a Flink TaskManager endpoint: ``host:port``, ``[v6]:port`` or a bare host."""
    text = endpoint.strip()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text[1:]
    if text.count(":") == 1:
        return text.split(":", 1)[0]
    return text


def taskmanager_hosts(vertex_taskmanagers: Any) -> set[str]:
    """Hosts in Flink's ``/jobs/{id}/vertices/{vid}/taskmanagers`` answer (``endpoint``,
    or ``host`` in older Flink versions)."""
    if not isinstance(vertex_taskmanagers, dict):
        return set()
    hosts: set[str] = set()
    rows = vertex_taskmanagers.get("taskmanagers")
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        raw = row.get("endpoint") or row.get("host")
        if isinstance(raw, str) and raw.strip():
            hosts.add(endpoint_host(raw))
    return hosts


def _addresses(host: str, resolve: Resolver) -> set[IpAddress]:
    try:
        return {ipaddress.ip_address(host)}
    except ValueError:
        return resolve(host)


def _resolve(host: str) -> set[IpAddress]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        return set()
    found: set[IpAddress] = set()
    for info in infos:
        try:
            found.add(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
        except ValueError:
            continue
    return found


def _cached(resolve: Resolver) -> Resolver:
    memo: dict[str, set[IpAddress]] = {}

    def cached(host: str) -> set[IpAddress]:
        if host not in memo:
            memo[host] = resolve(host)
        return memo[host]

    return cached


def _deployments(service: DeploymentService, scope: Scope) -> Iterable[Deployment]:
    offset = 0
    while True:
        found, total = service.list(scope, Page(offset=offset, limit=_SCAN_PAGE))
        yield from found
        offset += len(found)
        if not found or offset >= total:
            return


def _running_job_hosts(
    ctx: RequestContext, inspector: DiagnosisService, deployment: Deployment
) -> Iterable[set[str]]:
    jobs, _ = ctx.services.jobs.list(ctx.scope, deployment.id, Page(offset=0, limit=_RECENT_JOBS))
    for job in jobs:
        if job.status is JobStatus.RUNNING and job.flink_job_id is not None:
            yield _job_hosts(inspector, ctx.scope, job)


def _job_hosts(inspector: DiagnosisService, scope: Scope, job: Job) -> set[str]:
    resource = ProxyResource("jobs", job.id)
    try:
        detail = inspector.proxy(scope, resource, f"/jobs/{job.id}")
        vertices = detail.get("vertices") if isinstance(detail, dict) else None
        hosts: set[str] = set()
        for vertex in vertices if isinstance(vertices, list) else []:
            vertex_id = vertex.get("id") if isinstance(vertex, dict) else None
            if not isinstance(vertex_id, str):
                continue
            answer = inspector.proxy(
                scope, resource, f"/jobs/{job.id}/vertices/{vertex_id}/taskmanagers"
            )
            hosts |= taskmanager_hosts(answer)
    except (Unavailable, NotFound, EnginePermanentError):
        return set()  # Flink cannot say where this job runs now: it matches nothing
    return hosts
