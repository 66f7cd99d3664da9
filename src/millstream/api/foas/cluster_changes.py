"""The foas operations that size a session cluster (spec §3.6): the sizes CreateCluster
starts with, ExpandCluster, ShrinkCluster and ModifyMasterSpec. ``clusters`` routes them
(after resolving the project and the cluster); machine models map onto processes as
``machines`` says.

- CreateCluster: ``masterSpec``, ``slaveSpec`` (models, default ``Ecs_4c16g``) and
  ``slaveNum`` (default 1), CreateCellClusterOrder's names; the SDK's CreateClusterRequest
  has no size fields, so add them with ``add_body_params``. Without any of them the
  cluster gets the server's default session size.
- ExpandCluster: ``count`` = the number of TaskManagers after the expansion (the
  document's "number of machines after expansion"); ``model``, when given, must be the
  cluster's slave model (no mixed deployment, as the document says); ``userVSwitch`` has no
  meaning here and is ignored.
- ShrinkCluster: ``instanceIds`` (comma-separated TaskManager ids from GetClusterDetails)
  wins over ``modelTargetCount`` (``{Ecs_4c16g:2}``: how many to remove). Only idle
  TaskManagers go: a named one whose slots a job uses, or fewer idle ones than asked, is
  409 ``Cluster.InUse`` naming used and free slots. TaskManagers are interchangeable, so
  when several are idle the newest go, which may not be the named ones.
- ModifyMasterSpec: ``masterTargetModel`` sizes the JobManager; the cluster restarts with
  it. Its RUNNING jobs are carried over the restart (``control.services.cluster_restarts``):
  the answer comes at once, the jobs are suspended with a savepoint, the cluster restarts
  and they resume from their savepoints, while the cluster shows ``UPGRADING``. 409
  ``Cluster.InUse`` while another resize of it is open, while it is not RUNNING with jobs
  to carry, or while a job of it is starting or stopping.
"""

from __future__ import annotations

import re

from millstream.api.foas.context import Project
from millstream.api.foas.errors import INVALID_PARAMETER, MISSING_PARAMETER, UNSUPPORTED, FoasError
from millstream.api.foas.machines import cluster_resources, process_spec, slave_model
from millstream.api.foas.routing import Params
from millstream.control.services.clusters import ClusterService, SessionClusterPatch
from millstream.control.services.session_resize import MAX_TASKMANAGERS
from millstream.domain.clusters import Cluster, ClusterKind

__all__ = ["create_patch", "expand", "modify_master", "require_session", "shrink"]

DEFAULT_MODEL = "Ecs_4c16g"
_MODEL_COUNT = re.compile(r'\s*"?([A-Za-z0-9_]+)"?\s*:\s*"?(\d+)"?\s*')


def create_patch(params: Params, name: str, labels: dict[str, str]) -> SessionClusterPatch:
    """The session cluster CreateCluster records: sized from the request's machines."""
    master, slave = params.text("masterSpec"), params.text("slaveSpec")
    count = params.integer("slaveNum", None, low=1)
    if master is None and slave is None and count is None:
        return SessionClusterPatch(name=name, labels=labels)
    if count is not None and count > MAX_TASKMANAGERS:
        raise FoasError(
            400, INVALID_PARAMETER, f"slaveNum must be at most {MAX_TASKMANAGERS}, not {count}"
        )
    resources, flink_conf = cluster_resources(
        master or DEFAULT_MODEL, slave or DEFAULT_MODEL, count or 1
    )
    return SessionClusterPatch(name=name, labels=labels, resources=resources, flink_conf=flink_conf)


def require_session(cluster: Cluster, operation: str) -> None:
    if cluster.kind is not ClusterKind.SESSION:
        raise FoasError(
            400,
            UNSUPPORTED,
            f"cluster {cluster.name!r} is not run by Millstream ({cluster.kind.value}); "
            f"{operation} works on session clusters only",
        )


def _check_model(service: ClusterService, cluster: Cluster, model: str, field: str) -> None:
    process_spec(model, field)  # a known model at all
    current = slave_model(cluster, service.default_slots)
    if model != current:
        has = f"its slave model is {current}" if current else "it was not sized by a model"
        raise FoasError(
            400,
            INVALID_PARAMETER,
            f"{field} {model!r} is not the model of cluster {cluster.name!r} ({has}); "
            "a cluster takes one slave model only: omit it or use that one",
        )


def expand(service: ClusterService, project: Project, cluster: Cluster, params: Params) -> None:
    require_session(cluster, "ExpandCluster")
    count = params.integer("count", None, low=1)
    if count is None:
        raise FoasError(
            400, MISSING_PARAMETER, "count (the number of machines after expansion) is required"
        )
    model = params.text("model")
    if model is not None:
        _check_model(service, cluster, model, "model")
    service.expand_session_cluster(project.scope, project.actor, cluster.name, count)


def shrink(service: ClusterService, project: Project, cluster: Cluster, params: Params) -> None:
    require_session(cluster, "ShrinkCluster")
    named = [i.strip() for i in (params.text("instanceIds") or "").split(",") if i.strip()]
    count = 0
    if not named:
        raw = params.text("modelTargetCount")
        if raw is None:
            raise FoasError(
                400,
                MISSING_PARAMETER,
                "instanceIds (TaskManager ids from GetClusterDetails) or modelTargetCount "
                "is required",
            )
        count = _model_count(service, cluster, raw)
    service.shrink_session_cluster(
        project.scope, project.actor, cluster.name, count=count, named=named
    )


def _model_count(service: ClusterService, cluster: Cluster, raw: str) -> int:
    """``{Ecs_4c16g:2}`` (as the document prints it; JSON works too) -> 2."""
    entries = [e for e in raw.strip().strip("{}").split(",") if e.strip()]
    total = 0
    for entry in entries:
        found = _MODEL_COUNT.fullmatch(entry)
        if found is None:
            raise FoasError(
                400,
                INVALID_PARAMETER,
                f"modelTargetCount {raw[:60]!r} is not like {{{DEFAULT_MODEL}:2}}",
            )
        _check_model(service, cluster, found.group(1), "modelTargetCount")
        total += int(found.group(2))
    if not entries:
        raise FoasError(400, INVALID_PARAMETER, "modelTargetCount names no model")
    return total


def modify_master(
    service: ClusterService, project: Project, cluster: Cluster, params: Params
) -> None:
    require_session(cluster, "ModifyMasterSpec")
    spec = process_spec(params.required("masterTargetModel"), "masterTargetModel")
    restarts = project.services.cluster_restarts
    if restarts is None:  # a server wired without it: only a cluster without running jobs
        service.resize_jobmanager(project.scope, project.actor, cluster.name, spec)
        return
    restarts.resize_jobmanager(project.scope, project.actor, cluster.name, spec)
