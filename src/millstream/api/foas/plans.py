"""foas execution plans (spec §3.3.1, §3.3.11, §3.3.14): GetRawPlanJson, CheckRawPlanJson
and CalcPlanJsonResource, from Flink's own plan of the job.

- GetRawPlanJson starts planning the job's SQL on Flink (``DeploymentService.plan_sql``:
  the JobGraph plan of ``POST /jars/{id}/plan``) in the background and answers a
  ``SessionId`` at once, as the document's asynchronous flow has it; CheckRawPlanJson
  with that id answers ``PlanJsonInfo``: ``Status`` ``Sessionin run`` (the document's
  spelling) while Flink plans, then ``success`` with ``PlanJson`` or ``fail`` with
  ``ErrorMessage`` (``Job.InvalidSql``'s message, with line and column). Sessions live in
  this server process (at most ``MAX_SESSIONS``, ``SESSION_TTL`` each, ``MAX_RUNNING``
  planning at once: more is 429 ``Throttling``) and belong to the project and job that
  started them. A DATASTREAM job has no SQL to plan: 400.
- ``PlanJson`` is the document's shape built from Flink's plan: ``global`` (the
  JobManager's cores and memory), ``nodes`` (Flink's vertices: id, name, parallelism,
  and per node the TaskManager resources of one slot) and ``links`` (Flink's inputs with
  their ship strategy). ``expectedCore`` / ``expectedGB`` / ``autoconfEnable`` /
  ``AdvisorAction`` (Blink's tuning advisor) are accepted and not acted on.
- CalcPlanJsonResource answers the cores and GB the job's resources take when it runs
  (JobManager plus the TaskManagers its parallelism needs), as GetInstanceResource counts.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.foas.context import Project, open_project
from millstream.api.foas.envelope import ok
from millstream.api.foas.errors import INVALID_PARAMETER, FoasError
from millstream.api.foas.jobs import deployment_named
from millstream.api.foas.routing import JOB, Params, foas_router
from millstream.domain.artifacts import ArtifactKind, ExecutionMode
from millstream.domain.clusters import SLOTS_KEY
from millstream.domain.deployments import Deployment
from millstream.domain.errors import InvalidSql, MillstreamError

__all__ = ["MAX_RUNNING", "MAX_SESSIONS", "SESSION_TTL", "PlanSessions", "plan_json", "router"]

router = foas_router()

MAX_SESSIONS = 256
MAX_RUNNING = 4  # plans computed at once: each one runs Flink's planner in the JobManager
SESSION_TTL = 600.0  # seconds
RUNNING = "Sessionin run"
SUCCESS = "success"
FAIL = "fail"
_GIB = 1024**3
_MIB = 1024**2


@dataclass
class _Session:
    owner: tuple[str, str, str]  # workspace, namespace, job name
    started: float
    status: str = RUNNING
    plan: str = ""
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event)


class PlanSessions:
    """The planning sessions of this process, oldest dropped first."""

    def __init__(self, *, clock: Any = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._clock = clock

    def start(self, owner: tuple[str, str, str]) -> tuple[str, _Session]:
        session_id = secrets.token_hex(32)
        session = _Session(owner=owner, started=self._clock())
        with self._lock:
            if sum(1 for s in self._sessions.values() if s.status == RUNNING) >= MAX_RUNNING:
                raise FoasError(
                    429,
                    "Throttling",
                    f"{MAX_RUNNING} plans are being computed already: retry in a few seconds",
                )
            now = self._clock()
            for key in [k for k, s in self._sessions.items() if now - s.started > SESSION_TTL]:
                del self._sessions[key]
            while len(self._sessions) >= MAX_SESSIONS:
                del self._sessions[next(iter(self._sessions))]
            self._sessions[session_id] = session
        return session_id, session

    def get(self, session_id: str, owner: tuple[str, str, str]) -> _Session:
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None or session.owner != owner:
            raise FoasError(
                404,
                "PlanSession.NotFound",
                "no planning session with this sessionId for this job (sessions last "
                f"{int(SESSION_TTL // 60)} minutes): call GetRawPlanJson again",
            )
        return session


SESSIONS = PlanSessions()


def _cores_and_bytes(deployment: Deployment) -> tuple[float, int, float, int, int]:
    """(JobManager cores, JobManager bytes, cores per slot, bytes per slot, slots/TM)."""
    resources = deployment.streaming_resource
    if deployment.execution_mode is ExecutionMode.BATCH:
        resources = deployment.batch_resource
    slots = max(1, int(deployment.flink_conf.get(SLOTS_KEY) or 1))
    manager, worker = resources.jobmanager, resources.taskmanager
    return (
        manager.cpu,
        manager.memory_bytes(),
        worker.cpu / slots,
        worker.memory_bytes() // slots,
        slots,
    )


def plan_json(plan: dict[str, Any], deployment: Deployment) -> dict[str, Any]:
    """The document's PlanJson from Flink's JobGraph plan and the job's resources."""
    jm_cores, jm_bytes, slot_cores, slot_bytes, _ = _cores_and_bytes(deployment)
    nodes = [n for n in plan.get("nodes") or [] if isinstance(n, dict)]
    return {
        "global": [{"jobManagerMinCpuCores": jm_cores, "jobManagerMemoryInMB": jm_bytes // _MIB}],
        "nodes": [
            {
                "id": index,
                "uid": str(node.get("id", "")),
                "name": str(node.get("description") or node.get("operator") or ""),
                "parallelism": int(node.get("parallelism") or 1),
                "vcore": slot_cores,
                "heap_memory": slot_bytes // _MIB,
            }
            for index, node in enumerate(nodes, start=1)
        ],
        "links": [
            {
                "source": str(link.get("id", "")),
                "target": str(node.get("id", "")),
                "ship_strategy": str(link.get("ship_strategy") or ""),
            }
            for node in nodes
            for link in node.get("inputs") or []
            if isinstance(link, dict)
        ],
    }


def _plan_in_background(project: Project, deployment: Deployment, session: _Session) -> None:
    try:
        plan = project.services.deployments.plan_sql(
            project.scope,
            deployment.artifact.sql_script or "",
            execution_mode=deployment.execution_mode,
            flink_conf=deployment.flink_conf,
        )
        session.plan = json.dumps(plan_json(plan, deployment), separators=(",", ":"))
        session.status = SUCCESS
    except InvalidSql as exc:
        where = f" (line {exc.line}, column {exc.column})" if exc.line is not None else ""
        session.error, session.status = exc.message + where, FAIL
    except MillstreamError as exc:
        session.error, session.status = exc.message, FAIL
    except Exception:  # logged by the thread machinery; the caller sees "fail"
        session.error, session.status = "planning failed; see the server log", FAIL
        raise
    finally:
        session.done.set()


def _owner(project: Project, job_name: str) -> tuple[str, str, str]:
    return (project.scope.workspace, project.scope.namespace, job_name)


def _get_raw(request: Request, ctx: RequestContext, project_name: str, job_name: str) -> Response:
    params = Params(dict(request.query_params))
    params.boolean("autoconfEnable", False)  # validated; Blink's tuning is not modelled
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    if deployment.artifact.kind is not ArtifactKind.SQLSCRIPT:
        raise FoasError(
            400, INVALID_PARAMETER, f"job {job_name!r} is not a SQL job: there is no SQL to plan"
        )
    session_id, session = SESSIONS.start(_owner(project, job_name))
    threading.Thread(
        target=_plan_in_background,
        args=(project, deployment, session),
        name=f"foas-plan-{session_id[:8]}",
        daemon=True,
    ).start()
    return ok(ctx.request_id, SessionId=session_id)


@router.get(JOB + "/planjson", name="GetRawPlanJson")
async def get_raw_plan_json(
    projectName: str,
    jobName: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_get_raw, request, ctx, projectName, jobName)


def _check(request: Request, ctx: RequestContext, project_name: str, job_name: str) -> Response:
    session_id = Params(dict(request.query_params)).required("sessionId")
    project = open_project(request, ctx, project_name)
    session = SESSIONS.get(session_id, _owner(project, job_name))
    # A short wait saves a round trip when Flink answers quickly.
    session.done.wait(timeout=2.0)
    info = {"Status": session.status, "PlanJson": session.plan, "ErrorMessage": session.error}
    return ok(ctx.request_id, PlanJsonInfo=info)


@router.get(JOB + "/planjson/check", name="CheckRawPlanJson")
async def check_raw_plan_json(
    projectName: str,
    jobName: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_check, request, ctx, projectName, jobName)


def _resources(request: Request, ctx: RequestContext, project_name: str, job_name: str) -> Response:
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    jm_cores, jm_bytes, slot_cores, slot_bytes, slots = _cores_and_bytes(deployment)
    resources = deployment.streaming_resource
    if deployment.execution_mode is ExecutionMode.BATCH:
        resources = deployment.batch_resource
    taskmanagers = resources.taskmanager_count(slots)
    cores = jm_cores + taskmanagers * slots * slot_cores
    memory = jm_bytes + taskmanagers * slots * slot_bytes
    return ok(
        ctx.request_id,
        PlanJsonResource={"Cores": round(cores, 3), "MemoryGB": round(memory / _GIB, 3)},
    )


@router.get(JOB + "/planjson-resource", name="CalcPlanJsonResource")
async def calc_plan_json_resource(
    projectName: str,
    jobName: str,
    request: Request,
    ctx: Context,
) -> Response:
    return await run_in_threadpool(_resources, request, ctx, projectName, jobName)
