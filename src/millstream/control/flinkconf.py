"""The effective Flink configuration of a job: Millstream's defaults under the user's.

Defaults make state recoverable: periodic checkpoints retained on cancellation into a
per-deployment directory, savepoints into another, so LATEST_STATE always has something
to restore from.
"""

from __future__ import annotations

from typing import Any

from millstream.domain.artifacts import ExecutionMode
from millstream.domain.deployments import Deployment

__all__ = ["effective_flink_conf"]


def effective_flink_conf(
    deployment: Deployment,
    *,
    checkpoint_dir: str,
    savepoint_dir: str,
    checkpoint_interval: str,
) -> dict[str, Any]:
    resources = deployment.resources
    conf: dict[str, Any] = {
        "execution.runtime-mode": deployment.execution_mode.value,
        "parallelism.default": resources.parallelism,
        "pipeline.name": deployment.name,
        "execution.checkpointing.dir": checkpoint_dir,
        "execution.checkpointing.savepoint-dir": savepoint_dir,
    }
    if deployment.execution_mode is ExecutionMode.STREAMING:
        conf["execution.checkpointing.interval"] = checkpoint_interval
        conf["execution.checkpointing.externalized-checkpoint-retention"] = "RETAIN_ON_CANCELLATION"
    conf.update(deployment.flink_conf)
    return conf
