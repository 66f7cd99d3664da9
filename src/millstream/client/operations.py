"""The native API's operations as values, shared by the sync and the async client.

An ``Operation`` says what to send (action, method, raw path, query, JSON body) and how to
read the answer; ``build_request`` turns it into a signed ``httpx.Request`` and
``read_response`` turns the answer into a model or an ``ApiError``. Neither does I/O, so
the two clients differ only in how they send (sdk-wire-notes.md §1 for paths and headers).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from millstream import __version__
from millstream.client import signing
from millstream.client.config import ClientConfig
from millstream.client.errors import ApiError, NotFoundError, error_for_response
from millstream.client.models import (
    AccessKey,
    ArtifactRef,
    Deployment,
    EngineVersions,
    Event,
    HotUpdateResult,
    Job,
    JobDiagnosis,
    JobLog,
    LocalVariable,
    Page,
    PreSignedUrl,
    Queue,
    RestoreStrategy,
    Savepoint,
    SqlValidation,
    Variable,
)

__all__ = [
    "API_VERSION",
    "CLIENT_TOKEN_HEADER",
    "Operation",
    "build_request",
    "create_deployment",
    "create_key",
    "create_queue",
    "create_savepoint",
    "create_variable",
    "delete_artifact",
    "delete_deployment",
    "delete_job",
    "delete_queue",
    "delete_savepoint",
    "delete_variable",
    "disable_key",
    "enable_key",
    "get_deployment",
    "get_deployment_by_name",
    "get_events",
    "get_hot_update_result",
    "get_job",
    "get_job_diagnosis",
    "get_job_logs",
    "get_latest_job_start_log",
    "get_pre_signed_url",
    "get_queue",
    "get_savepoint",
    "health",
    "hot_update_job",
    "list_artifacts",
    "list_deployments",
    "list_engine_versions",
    "list_jobs",
    "list_keys",
    "list_queues",
    "list_savepoints",
    "list_variables",
    "put_pre_signed",
    "read_response",
    "resume_job",
    "revoke_key",
    "server_status",
    "start_job",
    "stop_job",
    "suspend_job",
    "update_deployment",
    "update_queue",
    "update_variable",
    "validate_sql",
]

API_VERSION = "2022-07-18"
# Millstream extension: a start that repeats a token returns the job the first one created.
CLIENT_TOKEN_HEADER = "x-millstream-client-token"
_USER_AGENT = f"millstream-client/{__version__}"
_ADMIN = "/api/millstream/v1"

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Operation(Generic[T]):
    """One API call: what to send and how to read the answer.

    ``envelope`` False means the answer is plain JSON (health), not the native envelope.
    """

    action: str
    method: str
    path: str  # raw, already percent-encoded (``%3A`` for colons)
    parse: Callable[[Any], T]
    query: Mapping[str, str | None] = field(default_factory=dict)
    body: Any = None
    envelope: bool = True
    headers: Mapping[str, str] = field(default_factory=dict)  # extra, signed with the rest


def _seg(value: str) -> str:
    """A path segment encoded like the SDK's ``DaraURL.percent_encode``."""
    return quote(value, safe="")


def _ns(namespace: str) -> str:
    return f"/api/v2/namespaces/{_seg(namespace)}"


def _paging(page_index: int | None, page_size: int | None) -> dict[str, str | None]:
    return {
        "pageIndex": None if page_index is None else str(page_index),
        "pageSize": None if page_size is None else str(page_size),
    }


# --------------------------------------------------------------------------- answer readers


def _one(model: type[M]) -> Callable[[Any], M]:
    def parse(envelope: Any) -> M:
        return model.model_validate(envelope.get("data") or {})

    return parse


def _page(model: type[M]) -> Callable[[Any], Page[M]]:
    def parse(envelope: Any) -> Page[M]:
        return Page[model](  # type: ignore[valid-type]
            items=[model.model_validate(item) for item in envelope.get("data") or []],
            page_index=envelope.get("pageIndex"),
            page_size=envelope.get("pageSize"),
            total_size=envelope.get("totalSize"),
        )

    return parse


def _items(model: type[M]) -> Callable[[Any], list[M]]:
    def parse(envelope: Any) -> list[M]:
        return [model.model_validate(item) for item in envelope.get("data") or []]

    return parse


def _nothing(envelope: Any) -> None:  # noqa: ARG001 - the envelope only says "done"
    return None


def _text(envelope: Any) -> str:
    data = envelope.get("data")
    return "" if data is None else str(data)


def _raw(body: Any) -> dict[str, Any]:
    return body if isinstance(body, dict) else {"status": str(body)}


def _data_or_body(body: Any) -> dict[str, Any]:
    # The status endpoint may or may not be wrapped in the envelope; accept both.
    if isinstance(body, dict) and "success" in body and isinstance(body.get("data"), dict):
        return dict(body["data"])
    return _raw(body)


# --------------------------------------------------------------------------- deployments


def create_deployment(namespace: str, deployment: Deployment) -> Operation[Deployment]:
    body = deployment.to_wire()
    body.setdefault("localVariables", [])  # the SDK always sends it
    return Operation(
        "CreateDeployment", "POST", f"{_ns(namespace)}/deployments", _one(Deployment), body=body
    )


def get_deployment(namespace: str, deployment_id: str) -> Operation[Deployment]:
    path = f"{_ns(namespace)}/deployments/{_seg(deployment_id)}"
    return Operation("GetDeployment", "GET", path, _one(Deployment))


def list_deployments(
    namespace: str, *, name: str | None, page_index: int | None, page_size: int | None
) -> Operation[Page[Deployment]]:
    query = {"name": name, **_paging(page_index, page_size)}
    path = f"{_ns(namespace)}/deployments"
    return Operation("ListDeployments", "GET", path, _page(Deployment), query=query)


def update_deployment(
    namespace: str, deployment_id: str, deployment: Deployment
) -> Operation[Deployment]:
    path = f"{_ns(namespace)}/deployments/{_seg(deployment_id)}"
    body = deployment.to_wire()
    return Operation("UpdateDeployment", "PUT", path, _one(Deployment), body=body)


def delete_deployment(namespace: str, deployment_id: str) -> Operation[None]:
    path = f"{_ns(namespace)}/deployments/{_seg(deployment_id)}"
    return Operation("DeleteDeployment", "DELETE", path, _nothing)


def get_deployment_by_name(namespace: str, name: str) -> Operation[Deployment]:
    def parse(envelope: Any) -> Deployment:
        found = _items(Deployment)(envelope)
        if not found:
            # The SDK operation answers a (possibly empty) list; one name is one deployment.
            raise NotFoundError(
                404,
                "DeploymentNotFound",
                f"no deployment named {name!r}",
                envelope.get("requestId"),
            )
        return found[0]

    path = f"{_ns(namespace)}/deployments/name/{_seg(name)}"
    return Operation("GetDeploymentsByName", "GET", path, parse)


def validate_sql(
    namespace: str, statement: str, *, engine_version: str | None, batch: bool
) -> Operation[SqlValidation]:
    body: dict[str, Any] = {"statement": statement}
    if batch:
        body["batchMode"] = True
    if engine_version:
        body["versionName"] = engine_version
    path = f"{_ns(namespace)}/sql-statement/validate"
    return Operation("ValidateSqlStatement", "POST", path, _one(SqlValidation), body=body)


# --------------------------------------------------------------------------- jobs


def start_job(
    namespace: str,
    deployment_id: str,
    *,
    restore: RestoreStrategy | None,
    local_variables: Mapping[str, str] | None,
    client_token: str | None = None,
    queue: str | None = None,
) -> Operation[Job]:
    """StartJobWithParams. ``client_token`` makes a repeated start return the first one's
    job (sent as a header, so the SDK's body stays as it is); ``queue`` is the SDK's
    ``resourceQueueName``: admit this job through that queue instead of the deployment's."""
    body: dict[str, Any] = {"deploymentId": deployment_id}
    if restore is not None:
        body["restoreStrategy"] = restore.to_wire()
    # Always present, as the SDK sends it (an empty list when there are none).
    body["localVariables"] = [
        LocalVariable(name=key, value=value).to_wire()
        for key, value in (local_variables or {}).items()
    ]
    if queue is not None:
        body["resourceQueueName"] = queue
    headers = {} if client_token is None else {CLIENT_TOKEN_HEADER: client_token}
    path = f"{_ns(namespace)}/jobs%3Astart"
    return Operation("StartJobWithParams", "POST", path, _one(Job), body=body, headers=headers)


def get_job(namespace: str, job_id: str) -> Operation[Job]:
    return Operation("GetJob", "GET", f"{_ns(namespace)}/jobs/{_seg(job_id)}", _one(Job))


def list_jobs(
    namespace: str, deployment_id: str, *, page_index: int | None, page_size: int | None
) -> Operation[Page[Job]]:
    query = {"deploymentId": deployment_id, **_paging(page_index, page_size)}
    return Operation("ListJobs", "GET", f"{_ns(namespace)}/jobs", _page(Job), query=query)


def stop_job(namespace: str, job_id: str, strategy: str) -> Operation[Job]:
    path = f"{_ns(namespace)}/jobs/{_seg(job_id)}%3Astop"
    return Operation("StopJob", "POST", path, _one(Job), body={"stopStrategy": strategy})


def suspend_job(namespace: str, job_id: str) -> Operation[Job]:
    """Millstream extension: stop with a savepoint and keep the job SUSPENDED."""
    path = f"{_ns(namespace)}/jobs/{_seg(job_id)}%3Asuspend"
    return Operation("SuspendJob", "POST", path, _one(Job))


def resume_job(namespace: str, job_id: str) -> Operation[Job]:
    """Millstream extension: run a SUSPENDED job again from its suspend savepoint."""
    path = f"{_ns(namespace)}/jobs/{_seg(job_id)}%3Aresume"
    return Operation("ResumeJob", "POST", path, _one(Job))


def delete_job(namespace: str, job_id: str) -> Operation[None]:
    return Operation("DeleteJob", "DELETE", f"{_ns(namespace)}/jobs/{_seg(job_id)}", _nothing)


def get_latest_job_start_log(namespace: str, deployment_id: str) -> Operation[str]:
    path = f"{_ns(namespace)}/deployments/{_seg(deployment_id)}/latest_jobmanager_start_log"
    return Operation("GetLatestJobStartLog", "GET", path, _text)


def get_job_logs(namespace: str, job_id: str, kind: str, scope: str = "job") -> Operation[JobLog]:
    path = f"{_ns(namespace)}/jobs/{_seg(job_id)}/logs"
    # scope=job is the server's default: leave it out, as servers before it had no scope
    query = {"kind": kind, "scope": None if scope == "job" else scope}
    return Operation("GetJobLogs", "GET", path, _one(JobLog), query=query)


def hot_update_job(
    namespace: str,
    job_id: str,
    *,
    parallelism: int | None,
    flink_conf: Mapping[str, Any] | None,
) -> Operation[HotUpdateResult]:
    # No body at all when nothing is given: the server then applies the deployment's
    # current parallelism and flinkConf (what SDK 1.14, which sends none, means).
    body: dict[str, Any] | None = None
    if parallelism is not None or flink_conf:
        body = {}
        if parallelism is not None:
            body["rescaleJobParam"] = {"jobParallelism": parallelism}
        if flink_conf:
            body["updateJobConfigParam"] = {"newFlinkConf": dict(flink_conf)}
    path = f"{_ns(namespace)}/jobs/{_seg(job_id)}%3AhotUpdate"
    return Operation("HotUpdateJob", "POST", path, _one(HotUpdateResult), body=body)


def get_hot_update_result(namespace: str, hot_update_id: str) -> Operation[HotUpdateResult]:
    path = f"{_ns(namespace)}/jobs/hot-updates/{_seg(hot_update_id)}"
    return Operation("GetHotUpdateJobResult", "GET", path, _one(HotUpdateResult))


def get_job_diagnosis(namespace: str, deployment_id: str, job_id: str) -> Operation[JobDiagnosis]:
    path = (
        f"{_ns(namespace)}/deployments/{_seg(deployment_id)}/jobs/{_seg(job_id)}/job-diagnoses/lite"
    )
    return Operation("GetJobDiagnosis", "GET", path, _one(JobDiagnosis))


# --------------------------------------------------------------------------- savepoints


def create_savepoint(
    namespace: str, deployment_id: str, *, description: str | None, native_format: bool | None
) -> Operation[Savepoint]:
    body: dict[str, Any] = {"deploymentId": deployment_id}
    if description is not None:
        body["description"] = description
    if native_format is not None:
        body["nativeFormat"] = native_format
    path = f"{_ns(namespace)}/savepoints"
    return Operation("CreateSavepoint", "POST", path, _one(Savepoint), body=body)


def get_savepoint(namespace: str, savepoint_id: str) -> Operation[Savepoint]:
    path = f"{_ns(namespace)}/savepoints/{_seg(savepoint_id)}"
    return Operation("GetSavepoint", "GET", path, _one(Savepoint))


def list_savepoints(
    namespace: str,
    *,
    deployment_id: str | None,
    job_id: str | None,
    page_index: int | None,
    page_size: int | None,
) -> Operation[Page[Savepoint]]:
    query = {"deploymentId": deployment_id, "jobId": job_id, **_paging(page_index, page_size)}
    path = f"{_ns(namespace)}/savepoints"
    return Operation("ListSavepoints", "GET", path, _page(Savepoint), query=query)


def delete_savepoint(namespace: str, savepoint_id: str) -> Operation[None]:
    path = f"{_ns(namespace)}/savepoints/{_seg(savepoint_id)}"
    return Operation("DeleteSavepoint", "DELETE", path, _nothing)


# --------------------------------------------------------------------------- artifacts


def get_pre_signed_url(namespace: str, file_name: str) -> Operation[PreSignedUrl]:
    path = f"/artifacts/v2/namespaces/{_seg(namespace)}/getPreSignedUrlForPutObject"
    query = {"fileName": file_name}
    return Operation("GetPreSignedUrlForPutObject", "GET", path, _one(PreSignedUrl), query=query)


def put_pre_signed() -> Operation[ArtifactRef]:
    """How to read the answer of the PUT to a pre-signed URL (``build_upload_request``)."""
    return Operation("PutPreSignedObject", "PUT", "", _one(ArtifactRef))


def list_artifacts(namespace: str) -> Operation[list[ArtifactRef]]:
    return Operation("ListArtifacts", "GET", f"{_ns(namespace)}/artifacts", _items(ArtifactRef))


def delete_artifact(namespace: str, name: str) -> Operation[None]:
    # Names may hold "/" (``e2e/x/app.jar``): the route takes the rest of the path.
    path = f"{_ns(namespace)}/artifacts/{quote(name, safe='/')}"
    return Operation("DeleteArtifact", "DELETE", path, _nothing)


# --------------------------------------------------------------------------- variables


def create_variable(namespace: str, variable: Variable) -> Operation[Variable]:
    path = f"{_ns(namespace)}/variables"
    return Operation("CreateVariable", "POST", path, _one(Variable), body=variable.to_wire())


def list_variables(
    namespace: str, *, page_index: int | None, page_size: int | None
) -> Operation[Page[Variable]]:
    path = f"{_ns(namespace)}/variables"
    query = _paging(page_index, page_size)
    return Operation("ListVariables", "GET", path, _page(Variable), query=query)


def update_variable(namespace: str, name: str, variable: Variable) -> Operation[Variable]:
    path = f"{_ns(namespace)}/variables/{_seg(name)}"
    return Operation("UpdateVariable", "PATCH", path, _one(Variable), body=variable.to_wire())


def delete_variable(namespace: str, name: str) -> Operation[None]:
    path = f"{_ns(namespace)}/variables/{_seg(name)}"
    return Operation("DeleteVariable", "DELETE", path, _nothing)


# --------------------------------------------------------------------------- queues
# Millstream extension: installation-wide queues (CU quotas), not under a namespace.

_QUEUES = "/api/v2/queues"


def list_queues() -> Operation[list[Queue]]:
    return Operation("ListQueues", "GET", _QUEUES, _items(Queue))


def get_queue(name: str) -> Operation[Queue]:
    return Operation("GetQueue", "GET", f"{_QUEUES}/{_seg(name)}", _one(Queue))


def create_queue(queue: Queue) -> Operation[Queue]:
    return Operation("CreateQueue", "POST", _QUEUES, _one(Queue), body=queue.to_wire())


def update_queue(name: str, queue: Queue) -> Operation[Queue]:
    path = f"{_QUEUES}/{_seg(name)}"
    return Operation("UpdateQueue", "PATCH", path, _one(Queue), body=queue.to_wire())


def delete_queue(name: str) -> Operation[None]:
    return Operation("DeleteQueue", "DELETE", f"{_QUEUES}/{_seg(name)}", _nothing)


# --------------------------------------------------------------------------- the rest


def get_events(
    namespace: str, *, deployment_id: str | None, page_index: int | None, page_size: int | None
) -> Operation[Page[Event]]:
    query = {"deploymentId": deployment_id, **_paging(page_index, page_size)}
    return Operation("GetEvents", "GET", f"{_ns(namespace)}/events", _page(Event), query=query)


def list_engine_versions() -> Operation[EngineVersions]:
    path = "/api/v2/engine-version-meta.json"
    return Operation("ListEngineVersionMetadata", "GET", path, _one(EngineVersions))


def create_key(*, user: str | None, create_user: bool) -> Operation[AccessKey]:
    body: dict[str, Any] = {} if user is None else {"user": user}
    if create_user:
        body["createUser"] = True
    return Operation("CreateAccessKey", "POST", f"{_ADMIN}/keys", _one(AccessKey), body=body)


def list_keys() -> Operation[list[AccessKey]]:
    return Operation("ListAccessKeys", "GET", f"{_ADMIN}/keys", _items(AccessKey))


def disable_key(access_key_id: str) -> Operation[AccessKey]:
    path = f"{_ADMIN}/keys/{_seg(access_key_id)}%3Adisable"
    return Operation("DisableAccessKey", "POST", path, _one(AccessKey), body={})


def enable_key(access_key_id: str) -> Operation[AccessKey]:
    path = f"{_ADMIN}/keys/{_seg(access_key_id)}%3Aenable"
    return Operation("EnableAccessKey", "POST", path, _one(AccessKey), body={})


def revoke_key(access_key_id: str) -> Operation[None]:
    path = f"{_ADMIN}/keys/{_seg(access_key_id)}"
    return Operation("RevokeAccessKey", "DELETE", path, _nothing)


def health() -> Operation[dict[str, Any]]:
    return Operation("Health", "GET", "/healthz", _raw, envelope=False)


def server_status() -> Operation[dict[str, Any]]:
    return Operation("GetStatus", "GET", f"{_ADMIN}/status", _data_or_body, envelope=False)


# --------------------------------------------------------------------------- wire


def build_request(
    http: httpx.Client | httpx.AsyncClient, config: ClientConfig, op: Operation[Any]
) -> httpx.Request:
    """The signed request for ``op`` (signed only when the config has a key)."""
    content = (
        b""
        if op.body is None
        else json.dumps(op.body, separators=(",", ":"), ensure_ascii=False).encode()
    )
    query = signing.canonical_query(op.query)
    url = f"{config.url}{op.path}" + (f"?{query}" if query else "")
    headers = {
        "accept": "application/json",
        "user-agent": _USER_AGENT,
        "workspace": config.workspace,
        "x-acs-action": op.action,
        "x-acs-version": API_VERSION,
    }
    if op.body is not None:
        headers["content-type"] = "application/json; charset=utf-8"
    headers.update(op.headers)
    request = http.build_request(op.method, url, content=content or None, headers=headers)
    if config.access_key_id and config.access_key_secret:
        signing.sign_request(request, config.access_key_id, config.access_key_secret)
    else:
        # Unsigned (the server will answer 401), but shaped like every other request.
        request.headers["x-acs-content-sha256"] = signing.sha256_hex(content)
    return request


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def read_response(op: Operation[T], response: httpx.Response) -> T:
    """The parsed answer of ``op``, or the ``ApiError`` its envelope describes."""
    body = _json(response)
    if response.status_code >= 400:
        raise error_for_response(response.status_code, body, response.headers)
    if not op.envelope:
        return op.parse(body)
    if not isinstance(body, dict):
        raise ApiError(
            response.status_code,
            "InvalidResponse",
            f"{op.action}: expected a JSON envelope, got {str(body)[:200]!r}",
            response.headers.get("x-acs-request-id"),
        )
    if body.get("success") is False:
        # A 200 with success=false is an error too (the SDK returns it, we raise).
        raise error_for_response(int(body.get("httpCode") or 400), body, response.headers)
    try:
        return op.parse(body)
    except ValidationError as exc:
        raise ApiError(
            response.status_code,
            "InvalidResponse",
            f"{op.action}: unexpected answer shape: {exc}",
            body.get("requestId"),
        ) from exc
