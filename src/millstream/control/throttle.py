"""``FailureThrottle``: slows down guessing by counting failed authentications.

The API's ``Authenticator`` (``api.auth``) and the console's sign-in (``web``) ask
``retry_after(subjects)`` before they check credentials and call ``record_failure(subjects)``
when a check fails; a subject is a source address
(``addr:127.0.0.1``) or an access key id (``key:MS...``). A subject with ``max_failures``
failures inside ``window`` seconds is blocked for ``block`` seconds: every request naming
it is refused before its signature is even checked.

Memory is bounded: at most ``max_subjects`` subjects are tracked, the least recently
failed forgotten first, so a flood from many addresses costs a fixed amount of memory
(an attacker rotating addresses evicts its own old entries, not the blocks of the
addresses that keep failing). Thread-safe: authentication runs in the thread pool. No
I/O: the counts live in the process.

Blocking by key id lets anyone who knows a key id lock it for ``block`` seconds by
failing with it on purpose; operators who prefer availability raise ``max_failures`` for
keys or set it to 0 (``api.auth_throttle.failures_per_key``), which turns that half off.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["FailureCount", "FailureThrottle"]


@dataclass(slots=True)
class FailureCount:
    """One subject's failures in its current window."""

    window_start: float
    failures: int = 0
    blocked_until: float = 0.0
    newly_blocked: bool = False  # this failure started the block


class FailureThrottle:
    def __init__(
        self,
        *,
        max_failures: int = 20,
        max_failures_per_key: int | None = None,
        window: float = 60.0,
        block: float = 60.0,
        max_subjects: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``max_failures`` applies to addresses, ``max_failures_per_key`` (default: the
        same) to key ids; 0 disables that kind of subject."""
        self._limits = {
            "addr": max_failures,
            "key": max_failures if max_failures_per_key is None else max_failures_per_key,
        }
        self._window = window
        self._block = block
        self._max_subjects = max_subjects
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: OrderedDict[str, FailureCount] = OrderedDict()

    @property
    def block_seconds(self) -> float:
        return self._block

    def retry_after(self, subjects: Iterable[str]) -> float | None:
        """Seconds until the longest block among ``subjects`` ends; None when none is
        blocked."""
        now = self._clock()
        longest = 0.0
        with self._lock:
            for subject in subjects:
                count = self._counts.get(subject)
                if count is not None and count.blocked_until > now:
                    longest = max(longest, count.blocked_until - now)
        return longest or None

    def record_failure(self, subjects: Iterable[str]) -> dict[str, FailureCount]:
        """Count one failure for each subject; the updated counts (a copy), for callers
        that report them."""
        now = self._clock()
        updated: dict[str, FailureCount] = {}
        with self._lock:
            for subject in subjects:
                limit = self._limits.get(subject.partition(":")[0], 0)
                if limit <= 0:
                    continue
                count = self._counts.pop(subject, None)
                if count is None or now - count.window_start >= self._window:
                    count = FailureCount(
                        window_start=now,
                        blocked_until=count.blocked_until if count else 0.0,
                    )
                count.failures += 1
                newly_blocked = count.failures >= limit and count.blocked_until <= now
                if newly_blocked:
                    count.blocked_until = now + self._block
                self._counts[subject] = count  # most recent last
                updated[subject] = FailureCount(
                    count.window_start, count.failures, count.blocked_until, newly_blocked
                )
            while len(self._counts) > self._max_subjects:
                self._counts.popitem(last=False)
        return updated

    def __len__(self) -> int:
        with self._lock:
            return len(self._counts)
