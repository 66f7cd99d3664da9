"""``Locator``: where a deployment or job known only by its id lives.

Some API dialects name a deployment or job by a global id and nothing else (Volcengine's
GetApplicationInstance sends only the instance id); before a use case can run, the API
needs the (workspace, namespace) scope to check the caller's role in. The answer is only
a scope: the caller still reads the entity through its service, in that scope, after the
role check, so nothing leaks to a caller without a role there.
"""

from __future__ import annotations

from millstream.control.context import Scope
from millstream.control.ports import Store
from millstream.domain.errors import ErrorCode, NotFound

__all__ = ["Locator"]


class Locator:
    def __init__(self, store: Store) -> None:
        self._store = store

    def job_scope(self, job_id: str) -> Scope:
        """The scope of job ``job_id``; ``NotFound`` when there is no such job."""
        with self._store.transaction() as repos:
            job = repos.read_job(job_id=job_id)
        if job is None:
            raise NotFound(f"job {job_id!r} not found", code=ErrorCode.JOB_NOT_FOUND)
        return Scope(job.workspace, job.namespace)

    def deployment_scope(self, deployment_id: str, *, workspace: str) -> Scope:
        """The scope of deployment ``deployment_id`` in ``workspace``; ``NotFound`` when
        no namespace of the workspace has it."""
        with self._store.transaction() as repos:
            for namespace in repos.read_namespaces(workspace=workspace):
                found = repos.read_deployment(
                    workspace=workspace, namespace=namespace.name, deployment_id=deployment_id
                )
                if found is not None:
                    return Scope(workspace, namespace.name)
        raise NotFound(
            f"deployment {deployment_id!r} not found", code=ErrorCode.DEPLOYMENT_NOT_FOUND
        )

    def cluster_scope(self, name: str, *, workspace: str, default_namespace: str) -> Scope:
        """The scope of cluster ``name``: its namespace, or ``default_namespace`` for a
        cluster every namespace shares; ``NotFound`` when the workspace has none."""
        with self._store.transaction() as repos:
            cluster = repos.read_cluster(workspace=workspace, name=name)
        if cluster is None:
            raise NotFound(f"cluster {name!r} not found", code=ErrorCode.CLUSTER_NOT_FOUND)
        return Scope(workspace, cluster.namespace or default_namespace)
