"""Typed Python client of Millstream's native API (Alibaba Realtime Compute 2022-07-18).

Install it alone, without the server's dependencies::

    pip install 'millstream[client]'     # only httpx and pydantic

It imports nothing from the server (an import-linter contract enforces it)::

    from millstream.client import ClientConfig, MillstreamClient

    with MillstreamClient(ClientConfig.load()) as client:
        deployment = client.get_deployment_by_name("orders")
        job = client.start_job(deployment.deployment_id)
        client.wait_for_job(job.job_id, "RUNNING", timeout=120)
        uri = client.upload_artifact(Path("app.jar")).uri   # streamed, pre-signed PUT

``AsyncMillstreamClient`` has the same methods as coroutines. Requests are signed with
ACS3-HMAC-SHA256 exactly as the official SDK signs them; settings come from arguments,
``MILLSTREAM_*`` environment variables and the profile file ``~/.millstream/credentials``
(see ``config.py``). Errors are the hierarchy in ``errors.py``.
"""

from millstream.client.asynchronous import AsyncMillstreamClient
from millstream.client.config import (
    DEFAULT_NAMESPACE,
    DEFAULT_URL,
    DEFAULT_WORKSPACE,
    ClientConfig,
    credentials_path,
    read_profile,
    write_profile,
)
from millstream.client.development_models import (
    AppliedScheduledPlan,
    DeploymentDraft,
    DraftDeployResult,
    DraftLock,
    DraftValidation,
    Lineage,
    LineageDirection,
    PlanExecution,
    RollbackResult,
    ScheduledPlan,
    ScheduleLevel,
    SchedulingPolicy,
    SpecRevision,
    TicketStatus,
)
from millstream.client.errors import (
    ApiError,
    AuthError,
    ConfigError,
    ConflictError,
    InvalidRequestError,
    MillstreamClientError,
    NotFoundError,
    ServerError,
    TransportError,
    UnexpectedStatusError,
    WaitTimeoutError,
)
from millstream.client.models import (
    AccessKey,
    Artifact,
    ArtifactRef,
    BasicResourceSetting,
    Deployment,
    EngineVersion,
    EngineVersions,
    Event,
    HotUpdateResult,
    JarArtifact,
    Job,
    JobDiagnosis,
    JobLog,
    Page,
    PythonArtifact,
    Queue,
    QueuedJob,
    QueueUsage,
    RestoreStrategy,
    Savepoint,
    SqlArtifact,
    SqlValidation,
    StopStrategy,
    StreamingResourceSetting,
    Symptom,
    Variable,
)
from millstream.client.sync import MillstreamClient

__all__ = [
    "DEFAULT_NAMESPACE",
    "DEFAULT_URL",
    "DEFAULT_WORKSPACE",
    "AccessKey",
    "ApiError",
    "AppliedScheduledPlan",
    "Artifact",
    "ArtifactRef",
    "AsyncMillstreamClient",
    "AuthError",
    "BasicResourceSetting",
    "ClientConfig",
    "ConfigError",
    "ConflictError",
    "Deployment",
    "DeploymentDraft",
    "DraftDeployResult",
    "DraftLock",
    "DraftValidation",
    "EngineVersion",
    "EngineVersions",
    "Event",
    "HotUpdateResult",
    "InvalidRequestError",
    "JarArtifact",
    "Job",
    "JobDiagnosis",
    "JobLog",
    "Lineage",
    "LineageDirection",
    "MillstreamClient",
    "MillstreamClientError",
    "NotFoundError",
    "Page",
    "PlanExecution",
    "PythonArtifact",
    "Queue",
    "QueueUsage",
    "QueuedJob",
    "RestoreStrategy",
    "RollbackResult",
    "Savepoint",
    "ScheduleLevel",
    "ScheduledPlan",
    "SchedulingPolicy",
    "ServerError",
    "SpecRevision",
    "SqlArtifact",
    "SqlValidation",
    "StopStrategy",
    "StreamingResourceSetting",
    "Symptom",
    "TicketStatus",
    "TransportError",
    "UnexpectedStatusError",
    "Variable",
    "WaitTimeoutError",
    "credentials_path",
    "read_profile",
    "write_profile",
]
