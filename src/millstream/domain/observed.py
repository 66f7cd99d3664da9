"""What the engine reports about a job's current run: a neutral state enum and a typed status.

The domain does not know Flink: ``ObservedState`` names the lifecycle states an engine
run goes through, and the engine adapter (``engine/job_states.py``) translates Flink's
strings into it. The values are the words the store and the native API have always
carried, so rows written before this enum existed still load. ``ObservedStatus`` is what
the reconciler last saw of a job (``Job.observed``); ``domain.decisions`` reads it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["ObservedState", "ObservedStatus"]


class ObservedState(enum.StrEnum):
    """Lifecycle state of one engine run of a job (one submission attempt)."""

    INITIALIZING = "INITIALIZING"
    CREATED = "CREATED"
    RUNNING = "RUNNING"
    FAILING = "FAILING"
    FAILED = "FAILED"
    CANCELLING = "CANCELLING"
    CANCELED = "CANCELED"
    FINISHED = "FINISHED"
    RESTARTING = "RESTARTING"
    SUSPENDED = "SUSPENDED"  # the engine gave the run up without ending it (lost leadership)
    RECONCILING = "RECONCILING"
    UNKNOWN = "UNKNOWN"  # a state this version does not know: treated as still live

    @property
    def is_terminal(self) -> bool:
        """The run ended and will not change again."""
        return self in _TERMINAL

    @property
    def is_live(self) -> bool:
        """The run exists and may still reach RUNNING (or is there)."""
        return not self.is_terminal and self is not ObservedState.SUSPENDED

    @classmethod
    def parse(cls, value: str | None) -> ObservedState | None:
        """A stored value back to the enum; anything unrecognised is ``UNKNOWN``."""
        if value is None:
            return None
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN


_TERMINAL = frozenset({ObservedState.FAILED, ObservedState.CANCELED, ObservedState.FINISHED})


@dataclass(slots=True)
class ObservedStatus:
    """What the reconciler last observed of a job's current run, and the state it keeps.

    ``latest_checkpoint`` is the newest completed checkpoint seen (details or storage);
    ``retained_checkpoint`` the one already recorded as a restorable savepoint, so it is
    recorded once.
    """

    state: ObservedState | None = None
    restarts: int | None = None
    modified_ms: int | None = None
    latest_checkpoint: str | None = None
    retained_checkpoint: str | None = None
