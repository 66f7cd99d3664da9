"""Between drafts and deployments: the part of a deployment a draft writes
(``spec_of``), the deployment patch a deploy or rollback applies (``spec_patch``), pinned
to the version it read (``pinned``). Used by ``control.services.drafts``.
"""

from __future__ import annotations

import dataclasses

from millstream.control.services.deployments import DeploymentPatch
from millstream.domain.deployments import Deployment
from millstream.domain.drafts import DraftSpec

__all__ = ["pinned", "spec_of", "spec_patch"]


def spec_of(deployment: Deployment) -> DraftSpec:
    """The part of a deployment a draft writes."""
    return DraftSpec(
        name=deployment.name,
        artifact=deployment.artifact,
        execution_mode=deployment.execution_mode,
        engine_version=deployment.engine_version,
        labels=dict(deployment.labels),
        variables=dict(deployment.local_variables),
    )


def spec_patch(spec: DraftSpec) -> DeploymentPatch:
    """Every field a draft holds, written over the deployment."""
    return DeploymentPatch(
        name=spec.name,
        artifact=spec.artifact,
        execution_mode=spec.execution_mode,
        engine_version=spec.engine_version,
        labels=dict(spec.labels),
        local_variables=dict(spec.variables),
    )


def pinned(patch: DeploymentPatch, version: int) -> DeploymentPatch:
    """A concurrent edit of the deployment between read and write is a 409, not a merge."""
    return dataclasses.replace(patch, expected_version=version)
