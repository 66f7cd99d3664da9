"""Explicit conversions between the native wire models (``schemas``) and the domain.

Wire -> domain: request bodies become a ``DeploymentPatch``, a ``RestoreStrategy`` or a
``StopStrategy``; enum strings are parsed with a message listing the valid values. Nested
objects merge onto a base (the current deployment on update) field by field, so a field
that is absent keeps its value. Memory strings (``"4 GiB"``) pass through untouched; the
domain validates them.

Domain -> wire: every field the SDK models carry, filled from the domain or ``None`` when
Millstream does not know it (never invented). Times: ``Job.startTime``/``endTime`` and
``Savepoint.createdAt`` are int epoch seconds, ``createdAt`` strings elsewhere (seed 000,
SDK model types).

One module per kind of thing (``artifacts``, ``resources``, ``deployments``,
``strategies``, ``jobs``, ``savepoints``, ``events``, ``engine_versions``, ``sql``); the
routes import this package and call ``mappers.<name>``.
"""

from millstream.api.native.mappers.artifacts import (
    artifact_from_wire,
    artifact_to_wire,
    execution_mode_from_wire,
    require_artifact_file,
)
from millstream.api.native.mappers.deployments import (
    deployment_patch,
    deployment_to_wire,
    job_summary_to_wire,
    logging_from_wire,
    logging_to_wire,
    restart_policy_from_wire,
    restart_policy_to_wire,
    variables_from_wire,
    variables_to_wire,
)
from millstream.api.native.mappers.engine_versions import engine_versions_to_wire
from millstream.api.native.mappers.events import event_to_wire
from millstream.api.native.mappers.jobs import job_to_wire
from millstream.api.native.mappers.resources import (
    batch_resource_from_wire,
    batch_resource_to_wire,
    streaming_resource_from_wire,
    streaming_resource_to_wire,
)
from millstream.api.native.mappers.savepoints import savepoint_to_wire
from millstream.api.native.mappers.sql import sql_invalid_to_wire, sql_valid_to_wire
from millstream.api.native.mappers.strategies import (
    RESTORE_KINDS,
    restore_from_wire,
    restore_kind_from_wire,
    restore_to_wire,
    stop_strategy_from_wire,
)

__all__ = [
    "RESTORE_KINDS",
    "artifact_from_wire",
    "artifact_to_wire",
    "batch_resource_from_wire",
    "batch_resource_to_wire",
    "deployment_patch",
    "deployment_to_wire",
    "engine_versions_to_wire",
    "event_to_wire",
    "execution_mode_from_wire",
    "job_summary_to_wire",
    "job_to_wire",
    "logging_from_wire",
    "logging_to_wire",
    "require_artifact_file",
    "restart_policy_from_wire",
    "restart_policy_to_wire",
    "restore_from_wire",
    "restore_kind_from_wire",
    "restore_to_wire",
    "savepoint_to_wire",
    "sql_invalid_to_wire",
    "sql_valid_to_wire",
    "stop_strategy_from_wire",
    "streaming_resource_from_wire",
    "streaming_resource_to_wire",
    "variables_from_wire",
    "variables_to_wire",
]
