"""Wire models and mappers: seed 001's request parses; an ``App`` becomes the deployment
it describes; every ``Result`` the dialect renders deserialises into the official SDK's
model with the values it carries; draft ids round-trip."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import pytest
import volcenginesdkflink20250101.models  # noqa: F401 - the deserializer looks models up here
from hypothesis import given
from hypothesis import strategies as st
from tests.factories import make_cluster, make_deployment, make_job, make_savepoint
from volcenginesdkcore.interceptor.interceptors.deserialized_response_interceptor import (
    DeserializedResponseInterceptor,
)

from millstream.api.volcengine import mappers, schemas
from millstream.api.volcengine.drafts import Draft, decode_draft, encode_draft
from millstream.api.volcengine.envelope import Metadata
from millstream.api.volcengine.ids import Ids
from millstream.control.services.external_keys import ExternalKeys
from millstream.domain.artifacts import ArtifactKind, ExecutionMode
from millstream.domain.clusters import ClusterKind, ClusterStatus
from millstream.domain.errors import ErrorCode, InvalidInput, NotFound
from millstream.domain.jobs import JobStatus, RestoreKind
from millstream.domain.resources import ResourceSetting
from millstream.domain.savepoints import SavepointState

# Seed 001's request example, as the documentation prints it.
SEED_001_BODY = {
    "Id": '"1827546773634"',
    "RestoreStrategy": {"Type": "FROM_LATEST", "SavepointId": "2ca2ec61"},
    "App": {
        "ProjectId": "ahbf3mzf1iih",
        "UserId": "c0c23d5825d0490487317ef35122eccd",
        "JobName": "flink-test-job",
        "AccountId": "2100052999",
        "Jar": "tos://mt-gts/gls/lib/tools.jar",
        "MainClass": "com.bytedance.openplatform.flink.DatagenToPrint",
        "Args": '"--enable_checkpoint true --checkpointMode EXACTLY_ONCE"',
        "Dependency": {"Jars": ['["tos://a.jar", "tos://b.jar"]'], "PyLibraries": ["lib"]},
        "DeployRequest": {
            "Priority": 5,
            "ResourcePool": "test-resource-pool",
            "SchedulePolicy": "GANG",
            "ScheduleTimeout": "60",
            "Namespace": "o-0080sv6hfmn6",
            "Queue": '"o-00g0ouqtg9n7"',
        },
        "Conf": {},
        "JobType": "FLINK_STREAMING_SQL",
        "EngineVersion": "FLINK_VERSION_1_16",
        "SqlText": "create table orders (f0 varchar) WITH ('connector' = 'datagen');",
    },
}


@dataclass
class _Response:
    data: str


def sdk_model(result: dict[str, Any], response_type: str) -> Any:
    """``result`` as the SDK deserialises it from a 200 envelope."""
    body = {"ResponseMetadata": Metadata(request_id="R").wire(), "Result": result}
    return DeserializedResponseInterceptor().deserialize(
        _Response(json.dumps(body)), response_type, "volcenginesdkflink20250101"
    )


def test_seed_001_request_parses() -> None:
    request = schemas.StartInstanceRequest.model_validate(SEED_001_BODY)
    assert request.id == "1827546773634"
    app = request.app
    assert app is not None
    assert app.deploy_request is not None
    assert app.deploy_request.priority == "5"
    assert app.deploy_request.queue == "o-00g0ouqtg9n7"
    assert app.dependency is not None
    assert app.dependency.jars == ["tos://a.jar", "tos://b.jar"]
    assert app.conf == {}


def test_seed_001_app_becomes_its_deployment() -> None:
    app = schemas.StartInstanceRequest.model_validate(SEED_001_BODY).app
    assert app is not None
    patch = mappers.patch_from_app(app, labels={"k": "v"})
    assert patch.name == "flink-test-job"
    assert patch.execution_mode is ExecutionMode.STREAMING
    assert patch.artifact is not None
    assert patch.artifact.kind is ArtifactKind.SQLSCRIPT
    assert patch.artifact.additional_dependencies == ("tos://a.jar", "tos://b.jar")
    assert patch.engine_version == "FLINK_VERSION_1_16"
    assert (patch.cluster, patch.queue, patch.priority, patch.schedule_timeout_seconds) == (
        "test-resource-pool",
        "o-00g0ouqtg9n7",
        5,
        60,
    )
    assert patch.labels == {"k": "v"}


def test_conf_given_as_a_json_string_is_an_object() -> None:
    app = schemas.App.model_validate({"Conf": '{"parallelism.default": 2}'})
    assert app.conf == {"parallelism.default": 2}
    patch = mappers.patch_from_app(
        app.model_copy(update={"job_type": "FLINK_BATCH_JAR", "jar": "file:///a.jar"})
    )
    assert patch.flink_conf == {"parallelism.default": "2"}
    assert patch.execution_mode is ExecutionMode.BATCH


def test_conf_that_is_no_json_object_is_refused() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        schemas.App.model_validate({"Conf": "parallelism=2"})


@pytest.mark.parametrize("job_type", list(mappers.JOB_TYPES))
def test_job_types_round_trip(job_type: str) -> None:
    mode, kind = mappers.parse_job_type(job_type.lower())
    artifact = mappers.artifact_of(
        kind, sql_text="SELECT 1", jar="file:///a.jar", main_class="Main", args=None
    )
    assert mappers.job_type(mode, artifact) == job_type


def test_unknown_job_type_and_missing_artifact_fields_are_refused() -> None:
    with pytest.raises(InvalidInput, match="FLINK_STREAMING_SQL"):
        mappers.parse_job_type("SPARK")
    with pytest.raises(InvalidInput, match="SqlText"):
        mappers.artifact_of(
            ArtifactKind.SQLSCRIPT, sql_text=" ", jar=None, main_class=None, args=None
        )
    with pytest.raises(InvalidInput, match="Jar"):
        mappers.artifact_of(ArtifactKind.JAR, sql_text=None, jar=None, main_class=None, args=None)


@pytest.mark.parametrize(
    ("wire", "kind"),
    [
        ("FROM_NEW", RestoreKind.NONE),
        ("FROM_LATEST", RestoreKind.LATEST_STATE),
        ("from_savepoint", RestoreKind.FROM_SAVEPOINT),
    ],
)
def test_restore_types(wire: str, kind: RestoreKind) -> None:
    restore = mappers.restore_of(schemas.RestoreStrategy(type=wire, savepoint_id="sp-1"))
    assert restore.kind is kind


def test_restore_defaults_to_new_and_checks_its_savepoint() -> None:
    assert mappers.restore_of(None).kind is RestoreKind.NONE
    with pytest.raises(InvalidInput, match="SavepointId"):
        mappers.restore_of(schemas.RestoreStrategy(type="FROM_SAVEPOINT"))
    with pytest.raises(InvalidInput, match="FROM_LATEST"):
        mappers.restore_of(schemas.RestoreStrategy(type="LATEST_SAVEPOINT_PLEASE"))


def test_unknown_schedule_policy_and_bad_priority_are_refused() -> None:
    with pytest.raises(InvalidInput, match="SchedulePolicy"):
        mappers.deploy_request_of(schemas.AppDeployRequest(schedule_policy="FIFO"))
    with pytest.raises(InvalidInput, match="Priority"):
        mappers.deploy_request_of(schemas.AppDeployRequest(priority="high"))


def test_instance_detail_deserialises_into_the_sdk_model() -> None:
    deployment = make_deployment(name="orders", engine_version="FLINK_VERSION_1_16")
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    job = make_job(
        deployment,
        status=JobStatus.RUNNING,
        start_time=started,
        flink_job_id="a" * 32,
        cluster="default",
    )
    detail = mappers.instance_detail(
        job,
        instance_id="1000000000007",
        application_id="1000000000003",
        deployment=deployment,
        now=datetime(2026, 1, 2, 3, 5, 5, tzinfo=UTC),
    )
    model = sdk_model(detail.wire(), "GetApplicationInstanceResponse")
    assert model.id == "1000000000007"
    assert model.application_id == "1000000000003"
    assert model.job_name == "orders"
    assert model.job_type == "FLINK_STREAMING_SQL"
    assert model.state == "RUNNING"
    assert model.start_time == "2026-01-02T03:04:05Z"
    assert model.duration == 60
    assert model.job_engine_key == "a" * 32
    assert model.deploy_request.resource_pool == "default"
    assert isinstance(model.core, int)
    assert model.sql_text == deployment.artifact.sql_script


def test_instance_list_and_application_list_deserialise() -> None:
    deployment = make_deployment(name="orders")
    job = make_job(deployment, status=JobStatus.CANCELLED)
    record = mappers.instance_record(job, instance_id="11", application_id="12")
    listed = schemas.ListInstancesResult(current=1, size=10, total=1, records=[record])
    model = sdk_model(listed.wire(), "ListApplicationInstanceResponse")
    assert (model.total, model.records[0].state, model.records[0].job_id) == (1, "STOPPED", "12")
    application = mappers.application_record(deployment, application_id="12", newest=job)
    apps = schemas.ListApplicationsResult(current=1, size=10, total=1, records=[application])
    model = sdk_model(apps.wire(), "ListGWSApplicationResponse")
    assert (model.records[0].id, model.records[0].state) == ("12", "STOPPED")


def test_draft_application_without_instance_shows_draft() -> None:
    deployment = make_deployment(labels={mappers.LABEL_STAGE: mappers.STAGE_DRAFT})
    record = mappers.application_record(deployment, application_id="1", newest=None)
    assert record.state == "DRAFT"
    assert mappers.application_record(make_deployment(), application_id="1", newest=None).state == (
        "CREATED"
    )


def test_savepoints_deserialise() -> None:
    savepoint = make_savepoint(state=SavepointState.COMPLETED, location="file:///sp/1")
    result = schemas.ListSavepointsResult(savepoint_infos=[mappers.savepoint_info(savepoint)])
    model = sdk_model(result.wire(), "ListGWSSavepointResponse")
    info = model.savepoint_infos[0]
    assert (info.savepoint_id, info.savepoint_path, info.status, info.create_type) == (
        savepoint.id,
        "file:///sp/1",
        "COMPLETED",
        "MANUAL",
    )


def test_pools_deserialise() -> None:
    resources = mappers.pool_resources([schemas.PoolResourceIn(capability=3, units="CU")])
    assert resources is not None
    cluster = make_cluster(
        name="pool-1",
        kind=ClusterKind.SESSION,
        namespace="ns",
        status=ClusterStatus.RUNNING,
        resources=resources,
        labels={"team": "a"},
    )
    model = sdk_model(mappers.pool(cluster, project="ns").wire(), "GetGMCSResourcePoolResponse")
    assert (model.id, model.status, model.project_id) == ("pool-1", "RUNNING", "ns")
    assert (model.resources[0].capability, model.resources[0].units) == (3, "CU")
    assert (model.tags[0].key, model.tags[0].value) == ("team", "a")


def test_pool_resources_need_cus() -> None:
    assert mappers.pool_resources([]) is None
    with pytest.raises(InvalidInput, match="CU"):
        mappers.pool_resources([schemas.PoolResourceIn(capability=2, units="GB")])
    with pytest.raises(InvalidInput, match="at least 1"):
        mappers.pool_resources([schemas.PoolResourceIn(capability=0)])
    setting = mappers.pool_resources([schemas.PoolResourceIn(basic=4)])
    assert isinstance(setting, ResourceSetting)
    assert setting.parallelism == 3


@given(
    project=st.text(min_size=1, max_size=40),
    name=st.text(min_size=1, max_size=80),
    job_type=st.sampled_from(list(mappers.JOB_TYPES)),
    version=st.none() | st.text(min_size=1, max_size=20),
)
def test_draft_ids_round_trip(project: str, name: str, job_type: str, version: str | None) -> None:
    draft = Draft(project=project, name=name, job_type=job_type, engine_version=version)
    assert decode_draft(encode_draft(draft)) == draft


@pytest.mark.parametrize("draft_id", ["", "1000", "d-", "d-!!!", "d-bnVsbA", "d-e30"])
def test_foreign_draft_ids_are_not_found(draft_id: str) -> None:
    with pytest.raises(NotFound):
        decode_draft(draft_id)


class _UnusedKeyStore:
    """An ExternalKeyStore that must not be reached."""

    def transaction(self) -> Any:
        raise AssertionError("a malformed id must be refused before any lookup")


def test_ids_without_key_service_are_the_uuids() -> None:
    ids = Ids(None, workspace="ws")
    assert ids.application("uuid-1") == "uuid-1"
    assert ids.job_id(" uuid-2 ") == "uuid-2"
    assert ids.instances(["a", "b"]) == {"a": "a", "b": "b"}


@pytest.mark.parametrize("wire", ["abc", "-1", "1.5", "9" * 20, ""])
def test_ids_that_are_no_numbers_are_not_found(wire: str) -> None:
    ids = Ids(ExternalKeys(cast(Any, _UnusedKeyStore())), workspace="ws")
    with pytest.raises(NotFound) as caught:
        ids.job_id(wire)
    assert caught.value.code is ErrorCode.JOB_NOT_FOUND
    with pytest.raises(NotFound) as caught:
        ids.deployment_id(wire)
    assert caught.value.code is ErrorCode.DEPLOYMENT_NOT_FOUND
