"""Every native wire model spells its fields exactly as the official SDK model does."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from alibabacloud_ververica20220718 import models as vv
from pydantic import BaseModel

from millstream.api.native import schemas

# (our model, the SDK model, SDK fields we deliberately leave out)
PAIRS: list[tuple[type[BaseModel], str, set[str]]] = [
    (schemas.Deployment, "Deployment", {"deploymentHasChanged", "referencedDeploymentDraftId"}),
    (schemas.Job, "Job", set()),
    (schemas.Artifact, "Artifact", {"cdcYamlArtifact"}),
    (schemas.SqlArtifact, "SqlArtifact", set()),
    (schemas.JarArtifact, "JarArtifact", set()),
    (schemas.PythonArtifact, "PythonArtifact", set()),
    (schemas.BasicResourceSettingSpec, "BasicResourceSettingSpec", set()),
    (schemas.BasicResourceSetting, "BasicResourceSetting", set()),
    (schemas.ExpertResourceSetting, "ExpertResourceSetting", set()),
    (schemas.StreamingResourceSetting, "StreamingResourceSetting", set()),
    (schemas.BatchResourceSetting, "BatchResourceSetting", set()),
    (schemas.LocalVariable, "LocalVariable", set()),
    (schemas.Log4jLogger, "Log4jLogger", set()),
    (schemas.LogReservePolicy, "LogReservePolicy", set()),
    (schemas.Logging, "Logging", set()),
    (schemas.BriefDeploymentTarget, "BriefDeploymentTarget", set()),
    (schemas.JobSummary, "JobSummary", set()),
    (schemas.DeploymentRestoreStrategy, "DeploymentRestoreStrategy", set()),
    (schemas.JobFailure, "JobFailure", set()),
    (schemas.JobStatusRunning, "JobStatusRunning", set()),
    (schemas.JobStatus, "JobStatus", set()),
    (schemas.JobMetric, "JobMetric", set()),
    (schemas.JobStartParameters, "JobStartParameters", set()),
    (schemas.StartJobRequestBody, "StartJobRequestBody", set()),
    (schemas.StopJobRequestBody, "StopJobRequestBody", set()),
    (schemas.SavepointFailure, "SavepointFailure", set()),
    (schemas.SavepointStatus, "SavepointStatus", set()),
    (schemas.Savepoint, "Savepoint", set()),
    (schemas.CreateSavepointBody, "CreateSavepointRequest", set()),
    (schemas.Event, "Event", set()),
    (schemas.EngineVersionSupportedFeatures, "EngineVersionSupportedFeatures", set()),
    (schemas.EngineVersionMetadata, "EngineVersionMetadata", set()),
    (schemas.EngineVersionMetadataIndex, "EngineVersionMetadataIndex", set()),
    (schemas.SqlStatementWithContext, "SqlStatementWithContext", set()),
    (schemas.ValidationErrorDetails, "ErrorDetails", {"invalidflinkConf"}),
    (schemas.SqlStatementValidationResult, "SqlStatementValidationResult", set()),
]

# Millstream extensions: optimistic concurrency; queues (deployment queue, priority and
# schedule timeout; the job status's reason and scheduling block).
EXTENSIONS = {
    "flinkVersion",  # engine versions: the real Flink version of the runtime running a name
    "resourceVersion",
    "queue",
    "priority",
    "scheduleTimeoutSeconds",
    "reason",
    "scheduling",
    "restartPolicy",
    "clientToken",  # idempotent start (JobStartParameters)
}


def _sdk_keys(name: str) -> set[str]:
    """The wire keys an SDK model writes: its ``to_map`` with every field set."""
    model_class = getattr(vv, name)
    fields = [p for p in inspect.signature(model_class.__init__).parameters if p != "self"]
    keys: set[str] = set()
    for field in fields:
        # One field at a time: a nested model's to_map() fails on a plain value, so its
        # key is read from the generated source instead.
        try:
            keys |= set(model_class(**{field: "x"}).to_map())
        except AttributeError:
            keys |= _nested_key(model_class, field)
    return keys


def _nested_key(model_class: Any, field: str) -> set[str]:
    source = inspect.getsource(model_class.to_map)
    marker = f"if self.{field} is not None:"
    after = source[source.index(marker) :]
    return {after.split("result['", 1)[1].split("'", 1)[0]}


def _our_keys(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


@pytest.mark.parametrize(("model", "sdk_name", "omitted"), PAIRS, ids=[p[1] for p in PAIRS])
def test_wire_names_match_the_sdk_model(
    model: type[BaseModel], sdk_name: str, omitted: set[str]
) -> None:
    sdk = _sdk_keys(sdk_name)
    assert _our_keys(model) - (EXTENSIONS - sdk) == sdk - omitted


def test_requests_ignore_unknown_fields_and_accept_snake_case() -> None:
    body = schemas.JobStartParameters.model_validate(
        {"deploymentId": "d", "somethingNew": 1, "restoreStrategy": {"kind": "NONE", "x": 2}}
    )
    assert body.deployment_id == "d"
    assert schemas.JobStartParameters(deployment_id="d").deployment_id == "d"


def test_logging_template_keeps_the_sdk_spelling() -> None:
    dumped = schemas.Logging(log4j2_configuration_template="<xml/>").model_dump(by_alias=True)
    assert dumped["log4j2ConfigurationTemplate"] == "<xml/>"


def test_seed_000_job_parses_into_the_job_schema() -> None:
    seed = {
        "jobId": "j",
        "startTime": 1660190835,
        "flinkConf": {"test": "test", "test2": 1},
        "status": {
            "currentJobStatus": "RUNNING",
            "failure": {"message": "m", "reason": "r", "failedAt": 1660120062},
            "running": {"observedFlinkJobRestarts": 4, "observedFlinkJobStatus": "RUNNING"},
        },
        "metric": {"totalMemoryByte": 4096, "totalCpu": 2},
        "restoreStrategy": {"kind": "LATEST_STATE", "jobStartTimeInMs": 1660293803155},
        "createdAt": "1714058507",
    }
    job = schemas.Job.model_validate(seed)
    assert job.status is not None
    assert job.status.failure is not None
    assert job.status.failure.failed_at == 1660120062
    again = json.loads(job.model_dump_json(by_alias=True, exclude_none=True))
    assert again["metric"] == {"totalCpu": 2.0, "totalMemoryByte": 4096}
