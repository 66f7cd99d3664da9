"""The 17 operations of Volcengine Flink 2025-01-01 (``spec/ops/volcengine-flink-2025-01-01.tsv``):
each one's access (read or write, for roles and the audit log) and its handler.

Every operation is ``scoped=False`` for the shared guard: the project a call acts in is
resolved here (``ProjectId``, its ``default`` alias, or the project of the entity an id
names) and the caller's role there is checked by ``context.Call`` before anything runs.
Reads that travel as POSTs (GetApplicationInstance, List...) are reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from millstream.api.dialect import OperationTable, read, write
from millstream.api.volcengine import applications, instances, resource_pools, savepoints
from millstream.api.volcengine.context import Call

__all__ = ["DIALECT", "HANDLERS", "OPERATIONS", "Handler"]

DIALECT = "volcengine"

Handler = Callable[[Call], dict[str, Any]]

OPERATIONS = OperationTable(
    DIALECT,
    [
        write("StartApplicationInstance", scoped=False),
        read("GetApplicationInstance", scoped=False),
        read("ListApplicationInstance", scoped=False),
        write("CancelApplicationInstance", scoped=False),
        write("CreateGWSApplicationDraft", scoped=False),
        write("UpdateGWSApplicationDraft", scoped=False),
        write("DeployGWSApplicationDraft", scoped=False),
        read("ListGWSApplication", scoped=False),
        write("RestartGWSApplication", scoped=False),
        read("GetGWSStartMethod", scoped=False),
        write("CreateGWSSavepoint", scoped=False),
        read("ListGWSSavepoint", scoped=False),
        write("CreateGMCSResourcePool", scoped=False),
        read("GetGMCSResourcePool", scoped=False),
        write("UpdateGMCSResourcePool", scoped=False),
        read("ListGMCSResources", scoped=False),
        write("DeleteGMCSResource", scoped=False),
    ],
)

HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {
        "StartApplicationInstance": instances.start_instance,
        "GetApplicationInstance": instances.get_instance,
        "ListApplicationInstance": instances.list_instances,
        "CancelApplicationInstance": instances.cancel_instance,
        "CreateGWSApplicationDraft": applications.create_draft,
        "UpdateGWSApplicationDraft": applications.update_draft,
        "DeployGWSApplicationDraft": applications.deploy_draft,
        "ListGWSApplication": applications.list_applications,
        "RestartGWSApplication": applications.restart_application,
        "GetGWSStartMethod": applications.get_start_method,
        "CreateGWSSavepoint": savepoints.create_savepoint,
        "ListGWSSavepoint": savepoints.list_savepoints,
        "CreateGMCSResourcePool": resource_pools.create_pool,
        "GetGMCSResourcePool": resource_pools.get_pool,
        "UpdateGMCSResourcePool": resource_pools.update_pool,
        "ListGMCSResources": resource_pools.list_pools,
        "DeleteGMCSResource": resource_pools.delete_pool,
    }
)
