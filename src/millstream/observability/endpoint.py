"""``GET /metrics``: the registry in Prometheus' text format, behind its own access rule.

With a token configured (``metrics_export.token``) a scrape must send
``Authorization: Bearer <token>`` (401 otherwise); without one only loopback clients
may scrape (403 otherwise), the usual setup with Prometheus or an agent on the same
host. The AccessKey signatures of the dialects are not used: Prometheus cannot sign.
Collectors read the store, so the handler is sync (FastAPI runs it in a thread).
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from millstream.observability.registry import Metrics

__all__ = ["METRICS_PATH", "metrics_router"]

METRICS_PATH = "/metrics"


def metrics_router(metrics: Metrics, *, token: str | None) -> APIRouter:
    """A router serving ``metrics`` at ``/metrics``."""
    router = APIRouter()
    expected = f"Bearer {token}".encode() if token else None

    @router.get(METRICS_PATH, include_in_schema=False)
    def scrape(request: Request) -> Response:
        refused = _refusal(request, expected)
        if refused is not None:
            return refused
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def _refusal(request: Request, expected: bytes | None) -> Response | None:
    if expected is not None:
        sent = request.headers.get("authorization", "").encode()
        if hmac.compare_digest(sent, expected):
            return None
        return Response(
            "a bearer token is required to read metrics\n",
            status_code=401,
            media_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="millstream-metrics"'},
        )
    host = request.client.host if request.client is not None else ""
    if _loopback(host):
        return None
    return Response(
        "metrics are served to loopback clients only unless metrics_export.token is set\n",
        status_code=403,
        media_type="text/plain",
    )


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
