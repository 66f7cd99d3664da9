"""Domain job states -> DLI Flink job states (the ``status`` / ``status_name`` values the
SDK's ``FlinkJob`` documents: job_init, job_submitting, job_submit_fail, job_running,
job_running_exception, job_canceling, job_cancel_success, job_savepointing, job_finish...).

A DLI "flink job" is a Millstream deployment; its state is the state of its current run
(the newest job), ``job_init`` (a draft) while it never ran. ``JOB_STATES`` is the one
table (total, walked by ``tests/unit/api/test_dialect_mappings.py``); ``status_of`` adds
what the table cannot see: a run that failed before Flink accepted it is
``job_submit_fail``, a RUNNING run whose stop was asked is ``job_canceling``, and one
taking a savepoint to stop is ``job_savepointing``. Used by ``mappers``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from millstream.domain.jobs import DesiredState, Job, JobStatus, StopStrategy

__all__ = ["DESCRIPTIONS", "DRAFT", "JOB_STATES", "LIST_STATUSES", "LIVE_STATES", "status_of"]

DRAFT = "job_init"
SUBMIT_FAILED = "job_submit_fail"
SAVEPOINTING = "job_savepointing"
CANCELING = "job_canceling"

JOB_STATES: Mapping[JobStatus, str] = MappingProxyType(
    {
        JobStatus.STARTING: "job_submitting",
        JobStatus.RUNNING: "job_running",
        JobStatus.CANCELLING: CANCELING,
        JobStatus.CANCELLED: "job_cancel_success",
        JobStatus.FAILED: "job_running_exception",
        JobStatus.FINISHED: "job_finish",
        # Stopped with a savepoint and kept to resume (native SuspendJob): DLI's "idle";
        # a run resumes it from exactly that savepoint.
        JobStatus.SUSPENDED: "job_idle",
    }
)

# States of a flink job that has a live run (run/delete refuse them, stop acts on them).
LIVE_STATES = frozenset({"job_submitting", "job_running", CANCELING, SAVEPOINTING})

DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        DRAFT: "Draft: the job has not run yet",
        "job_submitting": "Submitting",
        SUBMIT_FAILED: "Submission failed",
        "job_running": "Running",
        "job_running_exception": "Running exception",
        CANCELING: "Stopping",
        "job_cancel_success": "Stopped",
        SAVEPOINTING: "Creating a savepoint",
        "job_finish": "Completed",
        "job_idle": "Idle: stopped with a savepoint, a run resumes it",
    }
)

# Every status the SDK documents as a list_flink_jobs filter: the ones above and DLI's
# own (downloading, stop failed, arrears) that Millstream never shows; those filter to
# an empty list, any other value is refused.
LIST_STATUSES = frozenset(
    DESCRIPTIONS.keys()
    | {
        "job_downloading",
        "job_cancel_fail",
        "job_arrearage_stopped",
        "job_arrearage_recovering",
    }
)


def status_of(job: Job | None) -> str:
    """The DLI state of a flink job whose newest run is ``job`` (None: never ran)."""
    if job is None:
        return DRAFT
    if job.status is JobStatus.FAILED and job.flink_job_id is None:
        return SUBMIT_FAILED
    stopping = job.desired is not DesiredState.RUNNING
    if job.status in {JobStatus.RUNNING, JobStatus.CANCELLING} and stopping:
        with_savepoint = job.stop_strategy in {
            StopStrategy.STOP_WITH_SAVEPOINT,
            StopStrategy.STOP_WITH_DRAIN,
        }
        return SAVEPOINTING if with_savepoint else CANCELING
    return JOB_STATES[job.status]
