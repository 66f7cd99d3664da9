"""DLI Flink jobs to and from the domain: a DLI "flink job" is a deployment, its current
run the deployment's newest job (DESIGN.md §2).

Requests: the job's DLI settings (``JobSpec``; an update merges into them) are kept as
they were sent, in the artifact's ``extra["dli.spec"]``, and the domain deployment is
derived from them (``deployment_patch``):

- ``entrypoint``, ``main_class``, ``entrypoint_args``, ``dependency_jars`` -> a JAR
  artifact (``obs://`` URIs resolve through the artifact store's scheme map);
  ``dependency_files`` -> its dependency files, which the job reads as
  ``userData/<name>`` (``control.user_files``; checked like the jars at create time);
  ``sql_body`` and ``udf_jar_url`` -> a SQLSCRIPT artifact;
- ``parallel_number`` -> parallelism; ``manager_cu_number`` and ``tm_cus`` -> the
  JobManager and TaskManager sizes (1 CU = 1 vCPU + 4 GiB); ``tm_slot_num`` (default
  seed 002's ``(parallel_number*tm_cus)/(cu_number-manager_cu_number)``) -> slots per
  TaskManager; ``queue_name`` -> the queue its runs wait on;
- ``checkpoint_interval`` / ``checkpoint_mode`` / ``idle_state_retention`` /
  ``runtime_config`` (``key=value`` lines or a JSON object) -> Flink configuration;
- ``restart_when_exception`` + ``resume_max_num`` (per hour, -1 unlimited) -> the
  restart policy; ``tags`` -> labels; ``flink_version`` ``1.15`` -> engine ``flink-1.15``
  (then the installation's engine-version aliases);
- the rest (log_enabled, obs_bucket, smn_topic, checkpoint_path, image...) is kept and
  shown back, not acted on.

Answers: ``flink_job`` renders the SDK's ``FlinkJob`` (``job_config`` with
``show_detail``), ``job_status`` its ``FlinkJobStatus``. Used by ``jobs``.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from millstream.api.dli.schemas import JarJob, JobSpec, SqlJob
from millstream.api.dli.states import DESCRIPTIONS, status_of
from millstream.control.services import DeploymentPatch
from millstream.control.user_files import with_user_files
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import SLOTS_KEY
from millstream.domain.deployments import Deployment
from millstream.domain.errors import InvalidInput
from millstream.domain.jobs import Job
from millstream.domain.resources import ResourceSetting, ResourceSpec
from millstream.domain.restarts import RestartPolicy

__all__ = [
    "SPEC_KEY",
    "JobKind",
    "deployment_patch",
    "engine_version",
    "flink_job",
    "job_status",
    "kind_of",
    "merged_spec",
    "millstream_queue",
    "parse_runtime_config",
    "resources_of",
    "spec_of",
    "tm_slots",
]

SPEC_KEY = "dli.spec"
KIND_KEY = "dli.kind"
GIB_PER_CU = 4
# resume_max_num -1 ("unlimited"): the restart policy's highest limit.
_UNLIMITED_RESTARTS = 1000
_FLINK_VERSION = re.compile(r"\d+\.\d+(\.\d+)?")
_CHECKPOINT_MODES = {1: "EXACTLY_ONCE", 2: "AT_LEAST_ONCE"}
_CHECKPOINT_MODE_NAMES = {1: "exactly_once", 2: "at_least_once"}


class JobKind(StrEnum):
    JAR = "flink_jar_job"
    SQL = "flink_opensource_sql_job"


def spec_of(deployment: Deployment) -> dict[str, Any]:
    """The DLI settings a deployment was created (and last updated) with."""
    raw = deployment.artifact.extra.get(SPEC_KEY)
    if not raw:
        return {}
    try:
        found = json.loads(raw)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def kind_of(deployment: Deployment) -> JobKind:
    if deployment.artifact.kind is ArtifactKind.SQLSCRIPT:
        return JobKind.SQL
    return JobKind.JAR


def merged_spec(current: dict[str, Any], body: JobSpec) -> dict[str, Any]:
    """``current`` with every field ``body`` sets (an update keeps what it omits)."""
    return {**current, **body.model_dump(mode="json", exclude_none=True)}


def millstream_queue(dli_name: str) -> str:
    """The Millstream queue a DLI queue name means: DLI's are case-insensitive and may
    hold ``_``, Millstream's are lower case with ``-`` (``testQueue`` -> ``testqueue``)."""
    return dli_name.strip().lower().replace("_", "-")


def engine_version(flink_version: str | None) -> str | None:
    """DLI's ``1.15`` is Millstream's ``flink-1.15``; other names go to the aliases as is."""
    if not flink_version:
        return None
    if _FLINK_VERSION.fullmatch(flink_version):
        return f"flink-{flink_version}"
    return flink_version


def tm_slots(spec: dict[str, Any]) -> int | None:
    """``tm_slot_num``, else seed 002's default ``(parallel*tm_cus)/(cu-manager_cu)``."""
    explicit = spec.get("tm_slot_num")
    if explicit is not None:
        return int(explicit)
    cu = spec.get("cu_number")
    if cu is None:
        return None
    cu = int(cu)
    manager = int(spec.get("manager_cu_number") or 1)
    parallel = int(spec.get("parallel_number") or 1)
    tm_cus = int(spec.get("tm_cus") or 1)
    if cu <= manager:
        return None
    return max(1, min(1024, math.ceil(parallel * tm_cus / (cu - manager))))


def resources_of(spec: dict[str, Any]) -> ResourceSetting:
    manager = int(spec.get("manager_cu_number") or 1)
    tm_cus = int(spec.get("tm_cus") or 1)
    cu = spec.get("cu_number")
    if cu is not None and cu <= manager:
        raise InvalidInput(
            f"cu_number ({cu}) must be greater than manager_cu_number ({manager}): "
            "the TaskManagers need at least one CU"
        )
    return ResourceSetting(
        parallelism=int(spec.get("parallel_number") or 1),
        jobmanager=ResourceSpec(float(manager), f"{manager * GIB_PER_CU} GiB"),
        taskmanager=ResourceSpec(float(tm_cus), f"{tm_cus * GIB_PER_CU} GiB"),
    )


def parse_runtime_config(text: str | None) -> dict[str, str]:
    """``runtime_config``: a JSON object, a JSON list of ``{"key", "value"}``, or
    ``key=value`` lines (DLI's console form)."""
    if not text or not text.strip():
        return {}
    stripped = text.strip()
    if stripped[0] in "[{":
        try:
            decoded = json.loads(stripped)
        except ValueError:
            raise InvalidInput("runtime_config is not valid JSON") from None
        if isinstance(decoded, dict):
            return {str(k): _conf_text(v) for k, v in decoded.items()}
        if isinstance(decoded, list) and all(
            isinstance(item, dict) and "key" in item for item in decoded
        ):
            return {str(item["key"]): _conf_text(item.get("value")) for item in decoded}
        raise InvalidInput("runtime_config must be an object or a list of {key, value}")
    conf: dict[str, str] = {}
    for number, line in enumerate(stripped.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise InvalidInput(f"runtime_config line {number} is not key=value: {line!r}")
        conf[key.strip()] = value.strip()
    return conf


def _conf_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _flink_conf(spec: dict[str, Any]) -> dict[str, Any]:
    conf: dict[str, Any] = {}
    interval = spec.get("checkpoint_interval")
    if spec.get("checkpoint_enabled") is not False and interval:
        conf["execution.checkpointing.interval"] = f"{int(interval)}s"
    mode = spec.get("checkpoint_mode")
    if mode in _CHECKPOINT_MODES:
        conf["execution.checkpointing.mode"] = _CHECKPOINT_MODES[mode]
    retention = spec.get("idle_state_retention")
    if retention:
        conf["table.exec.state.ttl"] = f"{int(retention)}s"
    slots = tm_slots(spec)
    if slots is not None:
        conf[SLOTS_KEY] = slots
    conf.update(parse_runtime_config(spec.get("runtime_config")))
    return conf


def _artifact(kind: JobKind, spec: dict[str, Any]) -> Artifact:
    extra = {SPEC_KEY: json.dumps(spec, sort_keys=True), KIND_KEY: kind.value}
    if kind is JobKind.SQL:
        udf = spec.get("udf_jar_url")
        return Artifact(
            kind=ArtifactKind.SQLSCRIPT,
            sql_script=spec.get("sql_body"),
            additional_dependencies=(udf,) if udf else (),
            extra=extra,
        )
    return Artifact(
        kind=ArtifactKind.JAR,
        jar_uri=spec.get("entrypoint"),
        entry_class=spec.get("main_class") or None,
        main_args=spec.get("entrypoint_args") or None,
        additional_dependencies=tuple(spec.get("dependency_jars") or ()),
        # Shipped to the job as userData/<name> (control.user_files, engine.user_data).
        extra=with_user_files(extra, spec.get("dependency_files") or ()),
    )


def deployment_patch(kind: JobKind, spec: dict[str, Any]) -> DeploymentPatch:
    """The whole deployment a DLI job's settings describe (create and update alike)."""
    if kind is JobKind.JAR and not spec.get("entrypoint"):
        raise InvalidInput(
            "a Flink Jar job needs entrypoint: the jar to run, e.g. obs://bucket/app.jar"
        )
    if kind is JobKind.SQL and not (spec.get("sql_body") or "").strip():
        raise InvalidInput("a Flink SQL job needs sql_body: the SQL statements to run")
    if spec.get("log_enabled") and not spec.get("obs_bucket"):
        raise InvalidInput("log_enabled needs obs_bucket: the bucket the job's logs go to")
    max_restarts = spec.get("resume_max_num")
    policy = RestartPolicy(
        enabled=bool(spec.get("restart_when_exception")),
        max_restarts_per_hour=(
            _UNLIMITED_RESTARTS if max_restarts in (None, -1) else int(max_restarts)
        ),
    )
    tags = spec.get("tags")
    return DeploymentPatch(
        name=spec.get("name"),
        artifact=_artifact(kind, spec),
        engine_version=engine_version(spec.get("flink_version")),
        description=spec.get("desc", ""),
        labels={tag["key"]: tag["value"] for tag in tags} if tags is not None else None,
        flink_conf=_flink_conf(spec),
        streaming_resource=resources_of(spec),
        restart_policy=policy,
        # "" clears the queue: the default queue of the default cluster.
        queue=millstream_queue(spec.get("queue_name") or ""),
    )


def _millis(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def job_status(job_id: int, job: Job | None) -> dict[str, Any]:
    """``FlinkJobStatus``: ``{"job_id", "status_name", "status_desc"}``."""
    status = status_of(job)
    return {"job_id": job_id, "status_name": status, "status_desc": _status_desc(job, status)}


def _status_desc(job: Job | None, status: str) -> str:
    if job is not None and job.failure is not None:
        return job.failure.message
    if job is not None and job.status_reason:
        return job.status_reason
    return DESCRIPTIONS.get(status, "")


def _job_config(deployment: Deployment, spec: dict[str, Any], job: Job | None) -> dict[str, Any]:
    resources = deployment.streaming_resource
    artifact = deployment.artifact
    slots = tm_slots(spec)
    taskmanagers = resources.taskmanager_count(slots or 1)
    manager = int(spec.get("manager_cu_number") or 1)
    tm_cus = int(spec.get("tm_cus") or 1)
    mode = spec.get("checkpoint_mode")
    policy = deployment.restart_policy
    is_jar = artifact.kind is ArtifactKind.JAR
    return {
        "checkpoint_enabled": spec.get("checkpoint_enabled", False),
        "checkpoint_mode": _CHECKPOINT_MODE_NAMES.get(mode or 1, "exactly_once"),
        "checkpoint_interval": spec.get("checkpoint_interval", 10),
        "log_enabled": spec.get("log_enabled", False),
        "obs_bucket": spec.get("obs_bucket"),
        "smn_topic": spec.get("smn_topic"),
        "edge_group_ids": spec.get("edge_group_ids"),
        "root_id": -1,
        "manager_cu_number": manager,
        "cu_number": spec.get("cu_number", manager + taskmanagers * tm_cus),
        "parallel_number": resources.parallelism,
        "restart_when_exception": policy.enabled,
        "idle_state_retention": spec.get("idle_state_retention"),
        "udf_jar_url": spec.get("udf_jar_url"),
        "dirty_data_strategy": spec.get("dirty_data_strategy"),
        "entrypoint": artifact.jar_uri if is_jar else None,
        "dependency_jars": list(artifact.additional_dependencies) if is_jar else None,
        "dependency_files": spec.get("dependency_files"),
        "executor_number": taskmanagers,
        "executor_cu_number": tm_cus,
        "execution_agency_urn": spec.get("execution_agency_urn"),
        "resume_checkpoint": spec.get("resume_checkpoint", False),
        "runtime_config": spec.get("runtime_config"),
        "flink_log_config": spec.get("flink_log_config"),
        "graph_editor_enabled": False,
        "resume_max_num": spec.get("resume_max_num", -1),
        "checkpoint_path": spec.get("checkpoint_path"),
        "tm_cus": tm_cus,
        "tm_slot_num": slots,
        "image": spec.get("image"),
        "feature": spec.get("feature"),
        "flink_version": spec.get("flink_version") or deployment.engine_version,
        "operator_config": spec.get("operator_config"),
        "static_estimator_config": spec.get("static_estimator_config"),
        "real_cu_number": (
            math.ceil(job.cost_cu) if job is not None and job.cost_cu is not None else None
        ),
    }


def flink_job(
    deployment: Deployment,
    job: Job | None,
    *,
    job_id: int,
    project_id: str,
    detail: bool,
    savepoint_path: str | None = None,
) -> dict[str, Any]:
    """The SDK's ``FlinkJob``: the deployment as a DLI flink job, its newest run's state."""
    spec = spec_of(deployment)
    kind = kind_of(deployment)
    status = status_of(job)
    artifact = deployment.artifact
    start = job.start_time if job is not None else None
    end = job.end_time if job is not None else None
    duration = None
    if start is not None:
        finish = end or datetime.now(start.tzinfo)
        duration = max(0, int((finish - start).total_seconds() * 1000))
    rendered: dict[str, Any] = {
        "job_id": job_id,
        "name": deployment.name,
        "desc": deployment.description or "",
        "user_name": deployment.creator,
        "job_type": spec.get("job_type") or kind.value,
        "status": status,
        "status_desc": _status_desc(job, status),
        "create_time": _millis(deployment.created_at),
        "start_time": _millis(start),
        "duration": duration,
        "root_id": -1,
        "user_id": deployment.creator,
        "project_id": project_id,
        "run_mode": spec.get("run_mode", "exclusive_cluster"),
        "main_class": artifact.entry_class,
        "entrypoint_args": artifact.main_args,
        "update_time": _millis(deployment.modified_at),
        "graph_editor_enabled": False,
        "has_savepoint": savepoint_path is not None,
        "queue_name": deployment.queue or spec.get("queue_name"),
        "edge_group_ids": spec.get("edge_group_ids"),
        "restart_times": len(job.restart_history) if job is not None else 0,
        "savepoint_path": savepoint_path,
    }
    if detail:
        rendered["sql_body"] = artifact.sql_script if kind is JobKind.SQL else None
        rendered["job_config"] = _job_config(deployment, spec, job)
    return {key: value for key, value in rendered.items() if value is not None}


def spec_from(body: JarJob | SqlJob) -> dict[str, Any]:
    """A create request's settings."""
    return body.model_dump(mode="json", exclude_none=True)
