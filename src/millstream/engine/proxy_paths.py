"""The FlinkApiProxy allow-list: the read-only Flink REST endpoints a caller may GET.

``engine.inspect.FlinkInspector.proxy_get`` calls ``check_proxy_path`` at the last step
before HTTP. The list is explicit on purpose: Flink serves writes behind ``GET`` too
(``/jobs/{id}/yarn-cancel`` cancels a job in Flink 2.3), so "any GET under the job's
path" is not read-only. Each entry names the path (placeholders for ids) and the query
parameters Flink documents for it; anything else, including an unknown query parameter,
is refused (``ErrorCode.FLINK_API_PATH_NOT_ALLOWED``). The endpoints follow the Flink 2.x REST API
reference (https://nightlies.apache.org/flink/flink-docs-stable/docs/ops/rest_api/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from millstream.domain.errors import ErrorCode, InvalidInput

__all__ = ["CLUSTER_PATHS", "JOB_PATHS", "ProxyTarget", "check_proxy_path"]

_MAX_PATH = 1024
_MAX_QUERY_VALUE = 1024
_SEGMENT = re.compile(r"^[A-Za-z0-9_\-.:]+$")

# What each placeholder may be. ``{job}`` is special: it must be the caller's own job.
_PLACEHOLDERS: dict[str, re.Pattern[str]] = {
    "vertex": re.compile(r"^[A-Za-z0-9]{1,64}$"),
    "subtask": re.compile(r"^[0-9]{1,9}$"),
    "attempt": re.compile(r"^[0-9]{1,9}$"),
    "checkpoint": re.compile(r"^[0-9]{1,19}$"),
    "taskmanager": re.compile(r"^[A-Za-z0-9_\-.:]{1,128}$"),
}

_METRICS = frozenset({"get"})
_AGGREGATED = frozenset({"get", "agg", "subtasks"})

# Path template -> query parameters allowed on it.
CLUSTER_PATHS: dict[str, frozenset[str]] = {
    "/overview": frozenset(),
    "/taskmanagers": frozenset(),
    "/jobmanager/config": frozenset(),
    # one TaskManager's metrics (CPU and memory use; job insights)
    "/taskmanagers/{taskmanager}/metrics": _METRICS,
}
JOB_PATHS: dict[str, frozenset[str]] = {
    "/jobs/{job}": frozenset(),
    "/jobs/{job}/accumulators": frozenset({"includeSerializedValue"}),
    "/jobs/{job}/checkpoints": frozenset(),
    "/jobs/{job}/checkpoints/config": frozenset(),
    "/jobs/{job}/checkpoints/details/{checkpoint}": frozenset(),
    "/jobs/{job}/checkpoints/details/{checkpoint}/subtasks/{vertex}": frozenset(),
    "/jobs/{job}/config": frozenset(),
    "/jobs/{job}/exceptions": frozenset({"maxExceptions", "failureLabelFilter"}),
    "/jobs/{job}/execution-result": frozenset(),
    "/jobs/{job}/jobmanager/config": frozenset(),
    "/jobs/{job}/jobmanager/environment": frozenset(),
    "/jobs/{job}/metrics": _METRICS,
    "/jobs/{job}/plan": frozenset(),
    "/jobs/{job}/status": frozenset(),
    "/jobs/{job}/vertices/{vertex}": frozenset(),
    "/jobs/{job}/vertices/{vertex}/accumulators": frozenset(),
    "/jobs/{job}/vertices/{vertex}/backpressure": frozenset(),
    "/jobs/{job}/vertices/{vertex}/jm-operator-metrics": _METRICS,
    "/jobs/{job}/vertices/{vertex}/metrics": _METRICS,
    "/jobs/{job}/vertices/{vertex}/subtasks/accumulators": frozenset(),
    "/jobs/{job}/vertices/{vertex}/subtasks/metrics": _AGGREGATED,
    "/jobs/{job}/vertices/{vertex}/subtasks/{subtask}": frozenset(),
    "/jobs/{job}/vertices/{vertex}/subtasks/{subtask}/attempts/{attempt}": frozenset(),
    "/jobs/{job}/vertices/{vertex}/subtasks/{subtask}/attempts/{attempt}/accumulators": (
        frozenset()
    ),
    "/jobs/{job}/vertices/{vertex}/subtasks/{subtask}/metrics": _METRICS,
    "/jobs/{job}/vertices/{vertex}/subtasktimes": frozenset(),
    "/jobs/{job}/vertices/{vertex}/taskmanagers": frozenset(),
    "/jobs/{job}/vertices/{vertex}/watermarks": frozenset(),
}


@dataclass(frozen=True, slots=True)
class ProxyTarget:
    """An allowed GET: the concrete path, its query pairs and the template it matched."""

    path: str
    query: list[tuple[str, str]]
    template: str


def check_proxy_path(raw: str, *, flink_job_id: str | None) -> ProxyTarget:
    """The allowed target ``raw`` names, or ``InvalidInput`` (``FlinkApiPathNotAllowed``).

    Allowed: ``CLUSTER_PATHS`` always, ``JOB_PATHS`` with ``{job}`` = ``flink_job_id``,
    each only with its own query parameters. No scheme, host, ``..``, empty segments,
    backslashes or percent escapes.
    """
    text = (raw or "").strip()
    if not text or len(text) > _MAX_PATH:
        raise _refused("the Flink API path is required (at most 1024 characters)")
    if not text.startswith("/"):
        text = "/" + text
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or parts.fragment or "\\" in text or "%" in parts.path:
        raise _refused(f"Flink API path {raw!r} must be a path of the Flink REST API, not a URL")
    path = parts.path.rstrip("/") or "/"
    segments = path.split("/")[1:]
    if any(not s or s in {".", ".."} or not _SEGMENT.match(s) for s in segments):
        raise _refused(f"Flink API path {raw!r} has an invalid segment")
    template = _match(segments, flink_job_id)
    if template is None:
        raise _refused(
            f"Flink API path {path!r} is not allowed; the proxy reads only these Flink REST "
            f"endpoints: {', '.join(_allowed(flink_job_id))}"
        )
    allowed_keys = CLUSTER_PATHS.get(template) or JOB_PATHS.get(template) or frozenset()
    query = parse_qsl(parts.query, keep_blank_values=True)
    for key, value in query:
        if key not in allowed_keys:
            accepted = ", ".join(sorted(allowed_keys)) or "none"
            raise _refused(
                f"Flink API path {path!r} does not take the query parameter {key!r} "
                f"(accepted: {accepted})"
            )
        if len(value) > _MAX_QUERY_VALUE:
            raise _refused(f"Flink API path {raw!r} has a query value that is too long")
    return ProxyTarget(path=path, query=query, template=template)


def _match(segments: list[str], flink_job_id: str | None) -> str | None:
    """The template ``segments`` matches, or None."""
    concrete = "/" + "/".join(segments)
    if concrete in CLUSTER_PATHS:
        return concrete
    for template in CLUSTER_PATHS:
        expected = template.split("/")[1:]
        if (
            "{" in template
            and len(expected) == len(segments)
            and all(_fits(w, g, "") for w, g in zip(expected, segments, strict=True))
        ):
            return template
    if flink_job_id is None:
        return None
    for template in JOB_PATHS:
        expected = template.split("/")[1:]
        if len(expected) == len(segments) and all(
            _fits(want, got, flink_job_id) for want, got in zip(expected, segments, strict=True)
        ):
            return template
    return None


def _fits(want: str, got: str, flink_job_id: str) -> bool:
    if not (want.startswith("{") and want.endswith("}")):
        return want == got
    name = want[1:-1]
    if name == "job":
        return got == flink_job_id
    return bool(_PLACEHOLDERS[name].match(got))


def _allowed(flink_job_id: str | None) -> list[str]:
    shown = sorted(CLUSTER_PATHS)
    if flink_job_id is not None:
        shown += [t.replace("{job}", flink_job_id) for t in JOB_PATHS]
    return shown


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, code=ErrorCode.FLINK_API_PATH_NOT_ALLOWED)
