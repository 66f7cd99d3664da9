"""Wire models of the Volcengine Flink 2025-01-01 API: PascalCase on the wire, snake_case here.

Field names and types follow the official SDK's models (``volcenginesdkflink20250101``
5.0.54, one model per request and per ``Result``). Requests are lenient where the SDK and
the console disagree with each other (seed 001 sends ``Priority`` as a number although
the SDK types it as a string, ``Conf`` as an object although the SDK types it as a
string); results are exact, because the SDK deserialises ``int`` fields with ``int()``.
Unknown request fields are ignored, as Volcengine does. Used by ``mappers`` and the
operation modules.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_pascal

from millstream.api.json_shape import check_json_shape

__all__ = [
    "App",
    "AppDependency",
    "AppDeployRequest",
    "ApplicationRecord",
    "CancelInstanceRequest",
    "CreateDraftRequest",
    "CreateDraftResult",
    "CreatePoolRequest",
    "CreatePoolResult",
    "CreateSavepointRequest",
    "DeletePoolRequest",
    "DeletePoolResult",
    "DependencyOut",
    "DeployDraftRequest",
    "DeployRequestOut",
    "GetInstanceRequest",
    "GetPoolRequest",
    "GetStartMethodRequest",
    "IdResult",
    "InstanceDetail",
    "InstanceRecord",
    "ListApplicationsRequest",
    "ListApplicationsResult",
    "ListInstancesRequest",
    "ListInstancesResult",
    "ListPoolsRequest",
    "ListPoolsResult",
    "ListSavepointsRequest",
    "ListSavepointsResult",
    "Pool",
    "PoolExtraInfo",
    "PoolResource",
    "PoolResourceIn",
    "RestartApplicationRequest",
    "RestoreStrategy",
    "SavepointInfo",
    "StartInstanceRequest",
    "StartMethodResult",
    "StartMethodSavepoint",
    "Tag",
    "TagIn",
    "UpdateDraftRequest",
    "UpdatePoolRequest",
    "UpdatePoolResult",
]


def _text(value: Any) -> Any:
    """Numbers and booleans sent where the SDK types a string become that string; ids
    quoted twice (seed 001 shows ``"\\"1827546773634\\""``) lose the inner quotes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        stripped = value.strip()
        if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
            return stripped[1:-1]
        return stripped
    return value


def _object(value: Any) -> Any:
    """A JSON object, or a string holding one (the SDK types ``Conf`` as a string)."""
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ValueError("must be a JSON object (or a string holding one)") from None
    return value


def _strings(value: Any) -> Any:
    """A list of strings, or a string holding a JSON list (seed 001: ``["[\\"a\\"]"]``)."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        flat: list[Any] = []
        for item in value:
            if isinstance(item, str) and item.strip().startswith("["):
                try:
                    flat.extend(json.loads(item))
                    continue
                except json.JSONDecodeError:
                    pass
            flat.append(item)
        return flat
    return value


def _bounded(value: Any) -> Any:
    check_json_shape(value)  # depth, size and count limits of every free-form field
    return value


Text = Annotated[str, BeforeValidator(_text)]
JsonObject = Annotated[dict[str, Any], BeforeValidator(_object), AfterValidator(_bounded)]
Strings = Annotated[list[str], BeforeValidator(_strings), AfterValidator(_bounded)]
PageNumber = Annotated[int, BeforeValidator(_text), Field(ge=1, le=1_000_000)]
PageSize = Annotated[int, BeforeValidator(_text), Field(ge=1, le=100)]


class _In(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_pascal, populate_by_name=True, extra="ignore", frozen=True
    )


class _Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# --------------------------------------------------------------------------- applications


class AppDependency(_In):
    jars: Strings = []
    py_libraries: Strings = []


class AppDeployRequest(_In):
    """Where and how an application runs: ``ResourcePool`` is a cluster, ``Queue`` a queue."""

    namespace: Text | None = None
    priority: Text | None = None
    queue: Text | None = None
    resource_pool: Text | None = None
    schedule_policy: Text | None = None
    schedule_timeout: Text | None = None


class App(_In):
    """``App`` of StartApplicationInstance (seed 001): the application to create or update."""

    account_id: Text | None = None
    user_id: Text | None = None
    project_id: Text | None = None
    job_name: Text | None = None
    job_type: Text | None = None
    engine_version: Text | None = None
    jar: Text | None = None
    main_class: Text | None = None
    args: Text | None = None
    sql_text: str | None = None
    dependency: AppDependency | None = None
    deploy_request: AppDeployRequest | None = None
    conf: JsonObject | None = None
    unique_key: Text | None = None


class RestoreStrategy(_In):
    type: Text | None = None
    savepoint_id: Text | None = None


class StartInstanceRequest(_In):
    id: Text | None = None
    restore_strategy: RestoreStrategy | None = None
    app: App | None = None
    project_id: Text | None = None  # seed 001 also sends it in the query


class CreateDraftRequest(_In):
    directory_id: Text | None = None
    engine_version: Text | None = None
    job_name: Text
    job_type: Text
    project_id: Text | None = None


class UpdateDraftRequest(_In):
    """A full draft: everything a runnable application needs (the SDK requires
    ``Id``, ``JobName``, ``JobType``, ``EngineVersion``, ``ProjectId``, ``DirectoryId``)."""

    id: Text
    project_id: Text | None = None
    job_name: Text | None = None
    job_type: Text | None = None
    engine_version: Text | None = None
    sql_text: str | None = None
    dependency: JsonObject | None = None  # {"Jars": [...], "PyLibraries": [...]}
    options: JsonObject | None = None  # {"Jar", "MainClass", "Args"} of JAR applications
    dynamic_options: JsonObject | None = None  # Flink configuration
    directory_id: Text | None = None
    directory_name: Text | None = None


class DeployDraftRequest(_In):
    draft_id: Text
    project_id: Text | None = None
    priority: Text | None = None
    queue: Text | None = None
    resource_pool: Text | None = None
    schedule_policy: Text | None = None
    schedule_timeout: Text | None = None


class ListApplicationsRequest(_In):
    project_id: Text | None = None
    job_name: Text | None = None
    job_type: Text | None = None
    engine_version: Text | None = None
    resource_pool: Text | None = None
    state: Text | None = None
    page_num: PageNumber = 1
    page_size: PageSize = 10


class RestartApplicationRequest(_In):
    id: Text
    type: Text = "FROM_LATEST"
    savepoint_id: Text | None = None


class GetStartMethodRequest(_In):
    id: Text


# --------------------------------------------------------------------------- instances


class GetInstanceRequest(_In):
    instance_id: Text


class CancelInstanceRequest(_In):
    instance_id: Text


class ListInstancesRequest(_In):
    project_id: Text | None = None
    job_id: Text | None = None
    job_name: Text | None = None
    resource_pool: Text | None = None
    state: Text | None = None
    sort_field: Text | None = None
    sort_order: Text | None = None
    page_num: PageNumber = 1
    page_size: PageSize = 10


# --------------------------------------------------------------------------- savepoints


class CreateSavepointRequest(_In):
    id: Text
    description: Text | None = None


class ListSavepointsRequest(_In):
    id: Text


# --------------------------------------------------------------------------- resource pools


class PoolResourceIn(_In):
    basic: Annotated[int, BeforeValidator(_text)] | None = None
    capability: Annotated[int, BeforeValidator(_text)] | None = None
    units: Text | None = None
    uri: Text | None = None


class TagIn(_In):
    key: Text
    value: Text = ""


class CreatePoolRequest(_In):
    name: Text
    project_id: Text | None = None
    region_id: Text | None = None
    zone_id: Text | None = None
    vpc_id: Text | None = None
    billing_type: Text | None = None
    resources: list[PoolResourceIn] = []
    tags: list[TagIn] = []


class GetPoolRequest(_In):
    id: Text


class UpdatePoolRequest(_In):
    resource_pool_id: Text
    resources: list[PoolResourceIn] = []


class ListPoolsRequest(_In):
    project_id: Text | None = None
    name: Text | None = None
    resource_pool_ids: Text | None = None  # comma-separated
    page_num: PageNumber = 1
    page_size: PageSize = 10


class DeletePoolRequest(_In):
    resource_pool_id: Text


# =========================================================================== results


class IdResult(_Out):
    """StartApplicationInstance, Cancel, CreateGWSSavepoint, Deploy, Update, Restart."""

    id: str
    instance_id: str | None = None
    success: bool = True


class CreateDraftResult(_Out):
    id: str
    job_id: str
    job_name: str
    job_type: str
    engine_version: str | None = None
    project_id: str
    account_id: str | None = None
    user_id: str | None = None
    directory_id: str | None = None
    state: str
    create_time: str | None = None
    modified_time: str | None = None


class DependencyOut(_Out):
    jars: list[str] = []
    py_libraries: list[str] = []


class DeployRequestOut(_Out):
    namespace: str | None = None
    priority: str | None = None
    queue: str | None = None
    resource_pool: str | None = None
    schedule_policy: str | None = None
    schedule_timeout: str | None = None


class InstanceRecord(_Out):
    """``RecordForListApplicationInstanceOutput``."""

    id: str
    application_id: str
    job_id: str
    job_name: str
    job_type: str
    project_id: str
    state: str
    engine_version: str | None = None
    deployment_id: str | None = None
    account_id: str | None = None
    user_id: str | None = None
    jar: str | None = None
    main_class: str | None = None
    args: str | None = None
    sql_text: str | None = None
    conf: str | None = None
    dependency: DependencyOut | None = None
    deploy_request: DeployRequestOut | None = None
    start_time: str | None = None
    end_time: str | None = None
    rest_url: str | None = None
    complete_rest_url: str | None = None


class InstanceDetail(InstanceRecord):
    """``GetApplicationInstanceResponse``: a record plus where and how big it runs."""

    cluster: str | None = None
    cur_queue: str | None = None
    job_engine_key: str | None = None  # the Flink JobID
    duration: int | None = None  # seconds
    core: int | None = None
    memory: int | None = None  # MiB
    resource_version: str | None = None
    version_id: int | None = None


class ListInstancesResult(_Out):
    current: int
    size: int
    total: int
    records: list[InstanceRecord]


class ApplicationRecord(_Out):
    """``RecordForListGWSApplicationOutput``."""

    id: str
    application_id: str
    app_draft_id: str | None = None
    job_name: str
    job_type: str
    project_id: str
    state: str
    engine_version: str | None = None
    account_id: str | None = None
    user_id: str | None = None
    cluster: str | None = None
    cluster_id: str | None = None
    dependency: DependencyOut | None = None
    deploy_request: DeployRequestOut | None = None
    options: str | None = None
    job_priority: str | None = None
    create_time: str | None = None
    modified_time: str | None = None
    deploy_time: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    resource_version: str | None = None


class ListApplicationsResult(_Out):
    current: int
    size: int
    total: int
    records: list[ApplicationRecord]


class StartMethodSavepoint(_Out):
    """``AvailableSavepointForGetGWSStartMethodOutput`` (also ``SavepointInfo...``)."""

    id: int | None = None
    savepoint_id: str
    savepoint_path: str | None = None
    status: str
    create_type: str
    description: str | None = None
    user_id: str | None = None
    create_time: str | None = None
    compelete_time: str | None = None  # sic: the SDK's spelling


SavepointInfo = StartMethodSavepoint


class StartMethodResult(_Out):
    enable_start_methods: list[str]
    available_savepoints: list[StartMethodSavepoint]
    savepoint_info_status: str


class ListSavepointsResult(_Out):
    savepoint_infos: list[SavepointInfo]


class Tag(_Out):
    key: str
    value: str


class PoolResource(_Out):
    basic: int
    capability: int
    units: str = "CU"
    uri: str | None = None


class PoolExtraInfo(_Out):
    vpc_id: str | None = None
    subnet_id_list: list[str] = []
    security_group_id_list: list[str] = []


class Pool(_Out):
    """``GetGMCSResourcePoolResponse`` and ``DataListForListGMCSResourcesOutput``."""

    id: str
    name: str
    full_name: str
    status: str
    project_id: str | None = None
    project_name: str | None = None
    namespace: str | None = None
    region_id: str | None = None
    zone_id: str | None = None
    billing_type: str = "PostPaid"
    create_time: str | None = None
    update_time: str | None = None
    resources: list[PoolResource] = []
    tags: list[Tag] = []
    extra_info: PoolExtraInfo | None = None


class CreatePoolResult(_Out):
    project_name: str | None = None
    trade_config_id: str
    preorder_numbers: list[str] = []
    tags: list[Tag] = []


class UpdatePoolResult(_Out):
    trade_config_id: str
    pre_order_numbers: list[str] = []


class ListPoolsResult(_Out):
    page_num: int
    page_size: int
    total: int
    data_list: list[Pool]


class DeletePoolResult(_Out):
    order_id: str
