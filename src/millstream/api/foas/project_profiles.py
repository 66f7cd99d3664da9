"""What a foas project keeps in its namespace's profile (``Services.namespaces``,
migration 0011) and the project settings other operations obey.

The namespace's description is the project's ``Description``; its attributes hold the
project's ``GlobalJobConfig`` (UpdateProject), ``ManagerIds`` and ``ClusterId``
(CreateProject) and ``IsOpenBatchSQL`` (UpdateProjectConfig). ``batch_sql_allowed`` is
what CreateJob and UpdateJob ask before a batch SQL job is written: a project whose batch
SQL was turned off refuses one. Used by ``projects`` and ``jobs``.
"""

from __future__ import annotations

from millstream.api.foas.context import Project
from millstream.domain.namespace_profiles import NamespaceProfile

__all__ = [
    "BATCH_SQL",
    "CLUSTER_ID",
    "GLOBAL_JOB_CONFIG",
    "MANAGER_IDS",
    "batch_sql_allowed",
    "profile_of",
]

GLOBAL_JOB_CONFIG = "foas.globalJobConfig"
MANAGER_IDS = "foas.managerIds"
CLUSTER_ID = "foas.clusterId"
BATCH_SQL = "foas.isOpenBatchSQL"


def profile_of(project: Project) -> NamespaceProfile | None:
    """The project's namespace profile; None where no namespace service is wired."""
    service = project.services.namespaces
    return service.get(project.scope) if service is not None else None


def batch_sql_allowed(project: Project) -> bool:
    """Batch SQL is on unless UpdateProjectConfig turned it off (Millstream runs it)."""
    profile = profile_of(project)
    return profile is None or profile.attributes.get(BATCH_SQL) != "false"
