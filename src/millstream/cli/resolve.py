"""Finding a deployment or job from what the user typed: an id or a deployment name.

Ids are UUIDs; anything else is a deployment name. A job may also be named by its
deployment (name or id): that means the deployment's newest job, preferring one that is
still live, which is what ``stop orders`` should mean.
"""

from __future__ import annotations

import uuid

from millstream.client import Deployment, Job, MillstreamClient, NotFoundError

__all__ = ["is_id", "resolve_deployment", "resolve_job"]

_LIVE = frozenset({"STARTING", "RUNNING", "CANCELLING", "SUSPENDED"})


def is_id(ref: str) -> bool:
    try:
        uuid.UUID(ref)
    except ValueError:
        return False
    return True


def resolve_deployment(client: MillstreamClient, ref: str) -> Deployment:
    """The deployment with this id, else the one with this name (``NotFoundError`` if none)."""
    if is_id(ref):
        try:
            return client.get_deployment(ref)
        except NotFoundError:
            pass  # a deployment may be named like a UUID
    return client.get_deployment_by_name(ref)


def _newest(jobs: list[Job]) -> Job | None:
    def key(job: Job) -> tuple[bool, int, str]:
        return (job.state in _LIVE, job.start_time or 0, job.created_at or "")

    return max(jobs, key=key) if jobs else None


def resolve_job(client: MillstreamClient, ref: str) -> Job:
    """The job with this id, else the newest job of the deployment named or id'd ``ref``."""
    if is_id(ref):
        try:
            return client.get_job(ref)
        except NotFoundError:
            pass  # maybe a deployment id
    deployment = resolve_deployment(client, ref)
    job = _newest(client.list_jobs(deployment.deployment_id or "").items)
    if job is None:
        raise NotFoundError(404, "JobNotFound", f"deployment {ref!r} has no jobs")
    return job
