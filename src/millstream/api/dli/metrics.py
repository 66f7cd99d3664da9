"""ShowFlinkMetric (``POST /v1.0/{project_id}/streaming/jobs/metrics``): Flink's current
metrics of the given jobs, as the SDK's ``ShowFlinkMetricResponse``
(``{"metrics": {"jobs": [{"job_id", "metrics": {"sources", "sinks", "total_read_rate",
"total_write_rate"}}]}}``), one entry per asked job in the order asked.

Values are what Flink reports now (``control.services.job_metrics``), never estimated:

- ``sources``: one entry per source vertex (no input) of the running job's plan,
  ``name`` its operator description and ``records`` the records it emitted (Flink's
  ``numRecordsOut`` summed over subtasks);
- ``sinks``: one per sink vertex (feeding none), ``records`` the records it received
  (``numRecordsIn``);
- ``total_read_rate`` / ``total_write_rate``: records per second out of the sources / into
  the sinks (``numRecordsOutPerSecond`` / ``numRecordsInPerSecond``).

What Flink does not report is left out: ``corrupted_records`` always (Flink counts no
dirty data), a value Flink has not measured yet, and the whole ``metrics`` of a job that
is not running (Flink has metrics only of running jobs). A source chained with its sink
in one vertex appears in both lists with Flink's task counters (0 when the chain has no
network input or output). An unknown job id fails the request (``DLI.0002``).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.dli.context import Project, open_project
from millstream.api.dli.envelope import ok_json
from millstream.api.dli.jobs import current_run, deployment_of
from millstream.api.dli.routing import V1, dli_router, parse_body
from millstream.api.dli.schemas import BatchJobs
from millstream.control.services.job_metrics import SINKS, SOURCES, JobMetrics, Vertex
from millstream.domain.errors import NotFound, Unavailable
from millstream.domain.jobs import Job, JobStatus

__all__ = ["router"]

router = dli_router()


def _stream(reader: JobMetrics, vertex: Vertex, counter: str) -> dict[str, Any]:
    records = reader.vertex_metric(vertex, counter)
    found: dict[str, Any] = {"name": vertex.name}
    if records is not None:
        found["records"] = int(records)
    return found


def _job_metrics(project: Project, job: Job) -> dict[str, Any] | None:
    diagnosis = project.services.diagnosis
    if diagnosis is None:
        raise Unavailable("this server does not reach Flink's REST API: no metrics to show")
    reader = JobMetrics(diagnosis, project.scope, job)
    try:
        metrics: dict[str, Any] = {
            "sources": [_stream(reader, v, "numRecordsOut") for v in reader.vertices(SOURCES)],
            "sinks": [_stream(reader, v, "numRecordsIn") for v in reader.vertices(SINKS)],
        }
        read_rate = reader.over_vertices("numRecordsOutPerSecond", SOURCES)
        write_rate = reader.over_vertices("numRecordsInPerSecond", SINKS)
    except NotFound:
        # Flink forgot the job (or its attempt) between our read of its state and now.
        return None
    if read_rate is not None:
        metrics["total_read_rate"] = read_rate
    if write_rate is not None:
        metrics["total_write_rate"] = write_rate
    return metrics


def _metrics(
    request: Request, ctx: RequestContext, project_id: str, body: BatchJobs
) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    # Every id first: an unknown one fails the request before Flink is asked anything.
    deployments = [(job_id, deployment_of(project, job_id)) for job_id in body.job_ids]
    jobs = []
    for job_id, deployment in deployments:
        entry: dict[str, Any] = {"job_id": job_id}
        job = current_run(project, deployment)
        if job is not None and job.status is JobStatus.RUNNING and job.flink_job_id:
            found = _job_metrics(project, job)
            if found is not None:
                entry["metrics"] = found
        jobs.append(entry)
    return ok_json(
        ctx.request_id, "The job metrics are obtained successfully.", metrics={"jobs": jobs}
    )


@router.post(V1 + "/streaming/jobs/metrics", name="ShowFlinkMetric")
async def show_flink_metric(project_id: str, request: Request, ctx: Context) -> JSONResponse:
    body = await parse_body(request, BatchJobs)
    return await run_in_threadpool(_metrics, request, ctx, project_id, body)
