"""Streaming and batch resource settings (BASIC or EXPERT), wire <-> domain, merged field
by field onto the current setting. Memory strings pass through; the domain validates them."""

from __future__ import annotations

from millstream.api.native import schemas
from millstream.api.native.mappers.common import parse_enum
from millstream.domain.resources import ResourceMode, ResourceSetting, ResourceSpec

__all__ = [
    "batch_resource_from_wire",
    "batch_resource_to_wire",
    "streaming_resource_from_wire",
    "streaming_resource_to_wire",
]


def _spec_from_wire(
    wire: schemas.BasicResourceSettingSpec | None, base: ResourceSpec
) -> ResourceSpec:
    if wire is None:
        return base
    return ResourceSpec(
        cpu=base.cpu if wire.cpu is None else wire.cpu,
        memory=base.memory if wire.memory is None else wire.memory,
    )


def _basic_from_wire(
    wire: schemas.BasicResourceSetting | None, base: ResourceSetting
) -> tuple[int, ResourceSpec, ResourceSpec]:
    if wire is None:
        return base.parallelism, base.jobmanager, base.taskmanager
    return (
        base.parallelism if wire.parallelism is None else wire.parallelism,
        _spec_from_wire(wire.jobmanager_resource_setting_spec, base.jobmanager),
        _spec_from_wire(wire.taskmanager_resource_setting_spec, base.taskmanager),
    )


def streaming_resource_from_wire(
    wire: schemas.StreamingResourceSetting, base: ResourceSetting | None = None
) -> ResourceSetting:
    base = base or ResourceSetting()
    mode = (
        parse_enum(ResourceMode, wire.resource_setting_mode, "resourceSettingMode")
        if wire.resource_setting_mode
        else base.mode
    )
    parallelism, jobmanager, taskmanager = _basic_from_wire(wire.basic_resource_setting, base)
    plan = base.resource_plan
    expert = wire.expert_resource_setting
    if expert is not None:
        if mode is ResourceMode.EXPERT:
            jobmanager = _spec_from_wire(expert.jobmanager_resource_setting_spec, jobmanager)
        if expert.resource_plan is not None:
            plan = expert.resource_plan
    return ResourceSetting(
        mode=mode,
        parallelism=parallelism,
        jobmanager=jobmanager,
        taskmanager=taskmanager,
        resource_plan=plan,
        max_slot=base.max_slot,
    )


def batch_resource_from_wire(
    wire: schemas.BatchResourceSetting, base: ResourceSetting | None = None
) -> ResourceSetting:
    base = base or ResourceSetting()
    parallelism, jobmanager, taskmanager = _basic_from_wire(wire.basic_resource_setting, base)
    return ResourceSetting(
        mode=base.mode,
        parallelism=parallelism,
        jobmanager=jobmanager,
        taskmanager=taskmanager,
        resource_plan=base.resource_plan,
        max_slot=base.max_slot if wire.max_slot is None else wire.max_slot,
    )


def _spec_to_wire(spec: ResourceSpec) -> schemas.BasicResourceSettingSpec:
    return schemas.BasicResourceSettingSpec(cpu=spec.cpu, memory=spec.memory)


def _basic_to_wire(setting: ResourceSetting) -> schemas.BasicResourceSetting:
    return schemas.BasicResourceSetting(
        parallelism=setting.parallelism,
        jobmanager_resource_setting_spec=_spec_to_wire(setting.jobmanager),
        taskmanager_resource_setting_spec=_spec_to_wire(setting.taskmanager),
    )


def streaming_resource_to_wire(setting: ResourceSetting) -> schemas.StreamingResourceSetting:
    expert = None
    if setting.mode is ResourceMode.EXPERT or setting.resource_plan is not None:
        expert = schemas.ExpertResourceSetting(
            jobmanager_resource_setting_spec=_spec_to_wire(setting.jobmanager),
            resource_plan=setting.resource_plan,
        )
    return schemas.StreamingResourceSetting(
        resource_setting_mode=setting.mode.value,
        basic_resource_setting=_basic_to_wire(setting),
        expert_resource_setting=expert,
    )


def batch_resource_to_wire(setting: ResourceSetting) -> schemas.BatchResourceSetting:
    return schemas.BatchResourceSetting(
        max_slot=setting.max_slot, basic_resource_setting=_basic_to_wire(setting)
    )
