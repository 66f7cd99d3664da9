"""Restart policy: restart a job the engine reports FAILED, at most N times an hour.

Off by default. A deployment carries the policy; a job copies it at start (a later edit
of the deployment applies to the next job) and keeps the moments it was restarted in
``Job.restart_history``. ``domain.decisions`` asks ``restart_allowed`` when a job
failed; the reconciler records each restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from millstream.domain.errors import InvalidInput

__all__ = [
    "DEFAULT_MAX_RESTARTS_PER_HOUR",
    "RESTART_WINDOW",
    "RestartPolicy",
    "restart_allowed",
    "restarts_in_window",
]

DEFAULT_MAX_RESTARTS_PER_HOUR = 3
RESTART_WINDOW = timedelta(hours=1)
_MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    enabled: bool = False
    max_restarts_per_hour: int = DEFAULT_MAX_RESTARTS_PER_HOUR

    def validate(self) -> None:
        if not 1 <= self.max_restarts_per_hour <= _MAX_LIMIT:
            raise InvalidInput(
                "the restart policy's maximum restarts per hour must be between 1 and "
                f"{_MAX_LIMIT}, not {self.max_restarts_per_hour}"
            )


def restarts_in_window(history: Sequence[datetime], now: datetime) -> int:
    """How many of the recorded restarts happened within the last hour before ``now``."""
    return sum(1 for moment in history if now - moment < RESTART_WINDOW)


def restart_allowed(policy: RestartPolicy, history: Sequence[datetime], now: datetime) -> bool:
    """True when the policy is on and fewer than N restarts happened in the last hour."""
    return policy.enabled and restarts_in_window(history, now) < policy.max_restarts_per_hour
