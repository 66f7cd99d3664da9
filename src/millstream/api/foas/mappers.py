"""foas jobs and instances to and from the domain: a foas job is a deployment named by
its ``jobName``, an instance one of its jobs (runs) (DESIGN.md §2).

Requests: the job's foas fields (``JobSpec``: apiType, jobType, code, packages,
properties, planJson, queueName, clusterId, engineVersion, folderId, and whether it is
committed) are kept as sent in the artifact's ``extra["foas.spec"]``, and the deployment
is derived from them (``deployment_patch``):

- ``apiType SQL``: ``code`` is the SQL script (a SQLSCRIPT artifact);
  ``apiType DATASTREAM``: ``code`` holds ``key=value`` lines (``--``/``#`` comments)
  with ``blink.main.class`` (the entry class; ``properties`` may set it too) and
  ``blink.main.jar`` (the jar, else the first of ``packages``); ``packages`` are
  package names: a package registered with a location (CreatePackage's OSS bucket and
  path) is used from there (``locations``, the caller looks them up), any other name is a
  file of the project's artifact store (``artifacts://ws/ns/name``); the ones that are
  not the main jar are additional dependencies;
- ``jobType`` ``FLINK_STREAM``/``FLINK_BATCH`` -> the execution mode;
- ``properties`` (``key=value`` or ``key:value`` lines, or a JSON object) -> Flink
  configuration: the document's ``blink.*`` keys with an Apache Flink equivalent are
  translated (``BLINK_KEYS``), other Blink-only keys (state backends Niagara/Gemini...)
  are kept but not sent, any other key goes to Flink as is;
- ``engineVersion``: ``flink-*`` / ``vvr-*`` names go to the installation's engine
  versions; Blink versions (``blink-3.6.0``) mean nothing on Apache Flink: the
  installation's default;
- ``queueName``, ``clusterId``, ``planJson``, ``folderId`` are kept and shown back.

Answers: ``job_view`` renders the document's ``Job``, ``instance_view`` its
``Instance``, ``run_summary`` its ``RunSummary``. Used by ``jobs`` and ``instances``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from millstream.api.foas.routing import Params
from millstream.api.foas.states import actual_state, expect_state
from millstream.control.artifact_ports import artifact_uri
from millstream.control.context import Scope
from millstream.control.services import DeploymentPatch
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.deployments import Deployment
from millstream.domain.errors import InvalidInput
from millstream.domain.jobs import Job

__all__ = [
    "AUTOSCALE",
    "BLINK_KEYS",
    "COMMITTED",
    "SPEC_FIELDS",
    "SPEC_KEY",
    "ApiType",
    "deployment_patch",
    "flink_conf_of",
    "instance_view",
    "job_view",
    "parse_properties",
    "run_summary",
    "spec_of",
    "spec_update",
]

SPEC_KEY = "foas.spec"
COMMITTED = "isCommitted"
AUTOSCALE = "autoScaleParams"
_NO_AUTOSCALE = {"isOnOff": False, "strategyConfigure": None, "maxCU": None}
# The request fields a job keeps (CreateJob's and UpdateJob's body).
SPEC_FIELDS = (
    "apiType",
    "jobType",
    "code",
    "packages",
    "properties",
    "planJson",
    "queueName",
    "clusterId",
    "engineVersion",
    "folderId",
    "description",
)
_JOB_TYPES = {"FLINK_STREAM": ExecutionMode.STREAMING, "FLINK_BATCH": ExecutionMode.BATCH}
_MAIN_CLASS = "blink.main.class"
_MAIN_JAR = "blink.main.jar"


class ApiType(StrEnum):
    SQL = "SQL"
    DATASTREAM = "DATASTREAM"


def _millis_value(value: str) -> str:
    return f"{int(value)} ms"


def _same(value: str) -> str:
    return value


# The document's parameters (StartJob/UpdateJob table) that Apache Flink has too.
BLINK_KEYS: Mapping[str, tuple[str, Any]] = {
    "blink.checkpoint.mode": ("execution.checkpointing.mode", _same),
    "blink.checkpoint.interval.ms": ("execution.checkpointing.interval", _millis_value),
    "blink.checkpoint.timeout.ms": ("execution.checkpointing.timeout", _millis_value),
    "blink.job.option.jmMemMB": ("jobmanager.memory.process.size", lambda v: f"{int(v)}m"),
    "blink.job.timeZone": ("table.local-time-zone", _same),
    "blink.state.ttl.ms": ("table.exec.state.ttl", _millis_value),
    "blink.object.reuse": ("pipeline.object-reuse", lambda v: v.lower()),
    "blink.auto.watermark.interval.ms": ("pipeline.auto-watermark-interval", _millis_value),
    "blink.miniBatch.allowLatencyMs": ("table.exec.mini-batch.allow-latency", _millis_value),
    "blink.miniBatch.size": ("table.exec.mini-batch.size", _same),
    "sql.exec.source.idle.timeout.ms": ("table.exec.source.idle-timeout", _millis_value),
}
# Keys of Blink alone (its state backends, its client): kept, never sent to Flink.
_BLINK_ONLY_PREFIXES = ("blink.", "state.backend.niagara.", "state.backend.gemini.", "client.")
_BLINK_ONLY_KEYS = frozenset(
    {"state.backend.block.cache.size.mb", "state.backend.mem.table.size.mb"}
)


def parse_properties(text: str | None, *, field: str = "properties") -> dict[str, str]:
    """``key=value`` / ``key:value`` lines (``#`` and ``--`` comment lines), or a JSON
    object (the document shows both)."""
    if not text or not text.strip():
        return {}
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            decoded = json.loads(stripped)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            return {str(k): _text(v) for k, v in decoded.items()}
    found: dict[str, str] = {}
    for number, line in enumerate(stripped.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith(("#", "--")):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise InvalidInput(f"{field} line {number} is not key=value: {line[:80]!r}")
        found[key.strip()] = value.strip()
    return found


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def flink_conf_of(properties: Mapping[str, str]) -> dict[str, Any]:
    """The Flink configuration the foas run parameters mean (``BLINK_KEYS``)."""
    conf: dict[str, Any] = {}
    for key, value in properties.items():
        mapped = BLINK_KEYS.get(key)
        if mapped is not None:
            name, convert = mapped
            try:
                conf[name] = convert(value)
            except ValueError:
                raise InvalidInput(f"{key} must be a number, not {value!r}") from None
        elif key.startswith(_BLINK_ONLY_PREFIXES) or key in _BLINK_ONLY_KEYS:
            continue
        else:
            conf[key] = value
    return conf


def spec_of(deployment: Deployment) -> dict[str, Any]:
    """The foas fields a deployment was created (and last updated) with."""
    raw = deployment.artifact.extra.get(SPEC_KEY)
    try:
        found = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def spec_update(params: Params) -> dict[str, Any]:
    """The foas fields a request sets."""
    return {name: params.text(name) for name in SPEC_FIELDS if params.text(name) is not None}


def _api_type(spec: Mapping[str, Any]) -> ApiType:
    raw = str(spec.get("apiType") or "").upper()
    try:
        return ApiType(raw)
    except ValueError:
        raise InvalidInput(f"apiType must be SQL or DATASTREAM, not {raw[:40]!r}") from None


def _execution_mode(spec: Mapping[str, Any]) -> ExecutionMode:
    raw = str(spec.get("jobType") or "FLINK_STREAM").upper()
    mode = _JOB_TYPES.get(raw)
    if mode is None:
        raise InvalidInput(f"jobType must be FLINK_STREAM or FLINK_BATCH, not {raw[:40]!r}")
    return mode


def _engine_version(spec: Mapping[str, Any]) -> str | None:
    raw = str(spec.get("engineVersion") or "")
    return raw if raw.startswith(("flink-", "vvr-")) else None


def _packages(spec: Mapping[str, Any]) -> list[str]:
    return [p.strip() for p in str(spec.get("packages") or "").split(",") if p.strip()]


def _artifact(
    spec: dict[str, Any],
    scope: Scope,
    properties: Mapping[str, str],
    locations: Mapping[str, str],
) -> Artifact:
    extra = {SPEC_KEY: json.dumps(spec, sort_keys=True)}
    code = str(spec.get("code") or "")
    if _api_type(spec) is ApiType.SQL:
        if not code.strip():
            raise InvalidInput("a SQL job needs code: the SQL statements to run")
        return Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script=code, extra=extra)
    settings = {**properties, **parse_properties(code, field="code")}
    packages = _packages(spec)
    main = settings.get(_MAIN_JAR) or (packages[0] if packages else None)
    if not main:
        raise InvalidInput("a DATASTREAM job needs its jar: blink.main.jar in code, or packages")

    def uri(name: str) -> str:
        if "://" in name:
            return name
        return locations.get(name) or artifact_uri(scope.workspace, scope.namespace, name)

    return Artifact(
        kind=ArtifactKind.JAR,
        jar_uri=uri(main),
        entry_class=settings.get(_MAIN_CLASS) or None,
        additional_dependencies=tuple(uri(p) for p in packages if p != main),
        extra=extra,
    )


def deployment_patch(
    spec: dict[str, Any],
    scope: Scope,
    *,
    name: str | None,
    locations: Mapping[str, str] | None = None,
) -> DeploymentPatch:
    """The whole deployment a foas job's fields describe (create and update alike);
    ``locations``: package name -> location of the project's registered packages."""
    properties = parse_properties(spec.get("properties"))
    return DeploymentPatch(
        name=name,
        artifact=_artifact(spec, scope, properties, locations or {}),
        execution_mode=_execution_mode(spec),
        engine_version=_engine_version(spec),
        description=str(spec.get("description") or ""),
        flink_conf=flink_conf_of(properties),
    )


def _millis(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def job_view(deployment: Deployment, *, project: str, number: int | None = None) -> dict[str, Any]:
    """The document's ``Job`` (GetJob, ListJob)."""
    spec = spec_of(deployment)
    return {
        "ApiType": str(spec.get("apiType") or "").upper() or _kind_api(deployment),
        "ClusterId": spec.get("clusterId") or deployment.cluster or "",
        "Code": spec.get("code") or deployment.artifact.sql_script or "",
        "CreateTime": _millis(deployment.created_at),
        "Creator": deployment.creator or "",
        "Description": deployment.description or "",
        "EngineVersion": spec.get("engineVersion") or deployment.engine_version or "",
        "FileId": str(number) if number is not None else "",
        "FolderId": int(spec["folderId"]) if str(spec.get("folderId", "")).isdigit() else 0,
        "IsCommitted": bool(spec.get(COMMITTED, False)),
        "JobId": deployment.id,
        "JobName": deployment.name,
        "JobType": _job_type(deployment),
        "Modifier": deployment.modifier or "",
        "ModifyTime": _millis(deployment.modified_at),
        "Packages": spec.get("packages") or "",
        "PlanJson": spec.get("planJson") or "",
        "ProjectName": project,
        "Properties": spec.get("properties") or "",
        "QueueName": spec.get("queueName") or deployment.queue or "",
    }


def _kind_api(deployment: Deployment) -> str:
    return "SQL" if deployment.artifact.kind is ArtifactKind.SQLSCRIPT else "DATASTREAM"


def _job_type(deployment: Deployment) -> str:
    return "FLINK_BATCH" if deployment.execution_mode is ExecutionMode.BATCH else "FLINK_STREAM"


def _handler(job: Job) -> str:
    """``EngineJobHandler``: YARN's ``application | jobID``; here the run's id and Flink's."""
    return f"{job.id}|{job.flink_job_id}" if job.flink_job_id else ""


def run_summary(job: Job, *, number: int) -> dict[str, Any]:
    """The document's ``RunSummary`` (GetInstanceRunSummary)."""
    summary: dict[str, Any] = {
        "ActualState": actual_state(job),
        "EngineJobHandler": _handler(job),
        "ExpectState": expect_state(job),
        "Id": number,
        "InputDelay": 0,
        "JobName": job.deployment_name,
    }
    if job.failure is not None:
        summary["LastErrorMessage"] = job.failure.message
        summary["LastErrorTime"] = _millis(job.failure.failed_at)
    return summary


def instance_view(job: Job, *, number: int, project: str) -> dict[str, Any]:
    """The document's ``Instance`` (GetInstance, ListInstance)."""
    raw = job.artifact.extra.get(SPEC_KEY)
    try:
        spec = json.loads(raw) if raw else {}
    except ValueError:
        spec = {}
    view = {
        **run_summary(job, number=number),
        "ApiType": str(spec.get("apiType") or "").upper()
        or ("SQL" if job.artifact.kind is ArtifactKind.SQLSCRIPT else "DATASTREAM"),
        "AutoScaleParams": json.dumps(spec.get(AUTOSCALE) or _NO_AUTOSCALE),
        "ClusterId": spec.get("clusterId") or job.cluster,
        "Code": spec.get("code") or job.artifact.sql_script or "",
        "EndTime": _millis(job.end_time),
        "EngineVersion": job.engine_version or "",
        "JobType": "FLINK_BATCH" if job.execution_mode is ExecutionMode.BATCH else "FLINK_STREAM",
        "LastOperateTime": _millis(job.modified_at),
        "LastOperator": job.modifier or job.creator or "",
        "Packages": spec.get("packages") or "",
        "PlanJson": spec.get("planJson") or "",
        "ProjectName": project,
        "Properties": spec.get("properties") or "",
        "QueueName": spec.get("queueName") or job.queue or "",
        "StartTime": _millis(job.start_time or job.created_at),
        "Starter": job.creator or "",
    }
    return {key: value for key, value in view.items() if value is not None}
