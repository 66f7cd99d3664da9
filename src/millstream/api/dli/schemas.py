"""DLI request bodies as pydantic v2 models, field for field the SDK's request bodies
(``huaweicloudsdkdli.v1.model.*RequestBody``; snake_case on the wire and in Python).

Limits are seed 002's: a name of 1 to 57 characters, a description of at most 512, a
queue name of at most 128, tags as its Table 3 says (a key of at most 36 characters, a
value of at most 43, neither with ``=*<>\\|`` nor starting with a space),
``resume_max_num`` -1 (unlimited) or above 0. Unknown fields are ignored, as the
service does. Used by ``jobs`` and ``mappers``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from millstream.api.json_shape import JsonObject

__all__ = [
    "BatchJobs",
    "BatchRun",
    "BatchStop",
    "CreateQueue",
    "ExportJobs",
    "GraphRequest",
    "ImportJobs",
    "ImportSavepoint",
    "JarJob",
    "JobSpec",
    "SavepointAction",
    "SqlJob",
    "Tag",
    "TemplateBody",
]

_FORBIDDEN_TAG_CHARACTERS = set("=*<>\\|")


def _tag_text(what: str, limit: int) -> Any:
    def check(value: str) -> str:
        if not value or len(value) > limit:
            raise ValueError(f"a tag {what} has 1 to {limit} characters")
        if value.startswith(" "):
            raise ValueError(f"a tag {what} must not start with a space")
        bad = sorted(set(value) & _FORBIDDEN_TAG_CHARACTERS)
        if bad:
            raise ValueError(f"a tag {what} must not contain {''.join(bad)}")
        return value

    return AfterValidator(check)


def _resume_max_num(value: int | None) -> int | None:
    if value is not None and value != -1 and value < 1:
        raise ValueError("resume_max_num is -1 (unlimited) or greater than 0")
    return value


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=False)


class Tag(_Wire):
    key: Annotated[str, _tag_text("key", 36)]
    value: Annotated[str, _tag_text("value", 43)]


Name = Annotated[str, StringConstraints(min_length=1, max_length=57)]
Cu = Annotated[int, Field(ge=1, le=10_000)]
Text = Annotated[str, StringConstraints(max_length=65_536)]
Uri = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class JobSpec(_Wire):
    """The fields every Flink job has, Jar or SQL (create and update)."""

    name: Name | None = None
    desc: Annotated[str, StringConstraints(max_length=512)] | None = None
    queue_name: Annotated[str, StringConstraints(max_length=128)] | None = None
    cu_number: Cu | None = None
    manager_cu_number: Cu | None = None
    parallel_number: Annotated[int, Field(ge=1, le=32_768)] | None = None
    checkpoint_enabled: bool | None = None
    checkpoint_mode: Annotated[int, Field(ge=1, le=2)] | None = None
    checkpoint_interval: Annotated[int, Field(ge=1, le=86_400)] | None = None
    log_enabled: bool | None = None
    obs_bucket: Text | None = None
    smn_topic: Text | None = None
    restart_when_exception: bool | None = None
    tm_cus: Cu | None = None
    tm_slot_num: Annotated[int, Field(ge=1, le=1024)] | None = None
    resume_checkpoint: bool | None = None
    resume_max_num: Annotated[int | None, AfterValidator(_resume_max_num)] = None
    runtime_config: Text | None = None
    flink_log_config: Text | None = None
    flink_version: Annotated[str, StringConstraints(max_length=64)] | None = None
    execution_agency_urn: Text | None = None
    resource_config_version: Text | None = None
    resource_config: JsonObject | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] | None = None


class JarJob(JobSpec):
    """CreateFlinkJarJobRequestBody / UpdateFlinkJarJobRequestBody (seed 002)."""

    main_class: Annotated[str, StringConstraints(max_length=1024)] | None = None
    entrypoint_args: Text | None = None
    entrypoint: Uri | None = None
    dependency_jars: Annotated[list[Uri], Field(max_length=100)] | None = None
    dependency_files: Annotated[list[Uri], Field(max_length=100)] | None = None
    image: Text | None = None
    feature: Text | None = None
    checkpoint_path: Text | None = None
    job_type: Annotated[str, StringConstraints(max_length=64)] | None = None


class SqlJob(JobSpec):
    """CreateFlinkSqlJobRequestBody / UpdateFlinkSqlJobRequestBody."""

    template_id: int | None = None
    sql_body: Annotated[str, StringConstraints(max_length=1_048_576)] | None = None
    run_mode: Annotated[str, StringConstraints(max_length=64)] | None = None
    job_type: Annotated[str, StringConstraints(max_length=64)] | None = None
    idle_state_retention: Annotated[int, Field(ge=0)] | None = None
    edge_group_ids: Annotated[list[str], Field(max_length=100)] | None = None
    dirty_data_strategy: Text | None = None
    udf_jar_url: Uri | None = None
    operator_config: Text | None = None
    static_estimator_config: Text | None = None


JobIds = Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1, max_length=100)]


class BatchJobs(_Wire):
    """BatchDeleteFlinkJobsRequestBody."""

    job_ids: JobIds


class BatchRun(BatchJobs):
    """BatchRunFlinkJobsRequestBody: ``resume_savepoint`` restores the latest savepoint."""

    resume_savepoint: bool = False


class BatchStop(BatchJobs):
    """StopFlinkJobsRequestBody: ``trigger_savepoint`` stops with a savepoint."""

    trigger_savepoint: bool = False


class SavepointAction(_Wire):
    """ExecuteFlinkJobSavepointRequestBody: ``action`` is ``1`` (trigger a savepoint)."""

    action: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    savepoint_path: Text | None = None


class ImportSavepoint(_Wire):
    """ImportFlinkJobSavepointRequestBody: ``savepoint_path`` is the directory holding a
    savepoint's ``_metadata`` (``obs://bucket_name/file_name/``)."""

    job_id: Annotated[int, Field(ge=0)] | None = None
    savepoint_path: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class GraphRequest(_Wire):
    """CreateFlinkSqlJobGraphRequestBody (the parts a stream graph depends on)."""

    sql_body: Annotated[str, StringConstraints(max_length=1_048_576)] | None = None
    flink_version: Annotated[str, StringConstraints(max_length=64)] | None = None
    cu_number: Cu | None = None
    manager_cu_number: Cu | None = None
    parallel_number: Annotated[int, Field(ge=1, le=32_768)] | None = None
    tm_cus: Cu | None = None
    tm_slot_num: Annotated[int, Field(ge=1, le=1024)] | None = None
    job_type: Annotated[str, StringConstraints(max_length=64)] | None = None
    graph_type: Annotated[str, StringConstraints(max_length=64)] | None = None


class CreateQueue(_Wire):
    """CreateQueueRequestBody (the fields a Millstream queue has)."""

    queue_name: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    cu_count: Annotated[int, Field(ge=1, le=100_000)]
    description: Annotated[str, StringConstraints(max_length=256)] | None = None
    queue_type: Annotated[str, StringConstraints(max_length=32)] | None = None


class ExportJobs(_Wire):
    """ExportFlinkJobsRequestBody."""

    obs_dir: Text | None = None
    is_selected: bool = False
    job_selected: Annotated[list[Annotated[int, Field(ge=0)]], Field(max_length=1000)] | None = None


class ImportJobs(_Wire):
    """ImportFlinkJobsRequestBody: ``zip_file`` names a zip an export wrote."""

    zip_file: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    is_cover: bool = False


class TemplateBody(_Wire):
    """CreateFlinkSqlJobTemplateRequestBody / UpdateFlinkSqlJobTemplateRequestBody."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    desc: Annotated[str, StringConstraints(max_length=512)] | None = None
    sql_body: Annotated[str, StringConstraints(max_length=1_048_576)] | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] | None = None
    job_type: Annotated[str, StringConstraints(max_length=64)] | None = None
