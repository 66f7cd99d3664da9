"""``FailureAudit``: writes failed authentications to the audit log without letting a
flood of them flood the log.

The ``Authenticator`` calls ``record`` for every refused request, with the throttle's
updated counts. An entry is written only for the first failure of a subject (source
address) in a throttle window and for the failure that blocks it, and never more than
``max_entries_per_minute`` entries in any minute overall; everything else is counted and
reported in one aggregated log line per minute. Entries carry no actor (the caller was
not authenticated): ``actorName`` says which key id was claimed, ``action`` is
``AUTHENTICATE <method> <path>`` and the status the caller got (401, or 429 once
blocked). The namespace the request aimed at, when known, makes the entry visible in
that namespace's audit log (owners only).
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from millstream.control.services.access import AccessService
from millstream.control.throttle import FailureCount
from millstream.domain.access import AuditEntry

__all__ = ["FailureAudit"]

_log = logging.getLogger("millstream.auth")

_MAX_NAME = 128  # the audit columns' sizes
_MAX_ACTION = 512


def _printable(text: str, limit: int) -> str:
    """Attacker-chosen text made safe for a log line and a database column."""
    cleaned = "".join(
        "?" if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") else char
        for char in text
    )
    return cleaned[:limit]


class FailureAudit:
    def __init__(
        self,
        access: AccessService,
        *,
        max_entries_per_minute: int = 60,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._access = access
        self._max = max_entries_per_minute
        self._clock = clock or (lambda: datetime.now(UTC))
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._minute_start = monotonic()
        self._written = 0
        self._suppressed = 0

    def record(
        self,
        *,
        method: str,
        path: str,
        key_id: str | None,
        address: str | None,
        status: int,
        reason: str,
        counts: Mapping[str, FailureCount],
        workspace: str | None = None,
        namespace: str | None = None,
        request_id: str | None = None,
    ) -> bool:
        """Audit one failed attempt when it is notable and the budget allows; whether an
        entry was written."""
        subject = f"addr:{address}" if address else f"key:{key_id}"
        count = counts.get(subject)
        notable = (
            count is None or count.failures == 1 or any(c.newly_blocked for c in counts.values())
        )
        if not self._spend(notable):
            return False
        failures = count.failures if count else 1
        claimed = _printable(key_id or "", 64)
        entry = AuditEntry(
            id=str(uuid.uuid4()),
            at=self._clock(),
            actor_id="",
            actor_name=_printable(f"unauthenticated {claimed or '(no key)'}", _MAX_NAME),
            action=_printable(f"AUTHENTICATE {method} {path}", _MAX_ACTION),
            resource=_printable(f"{path} from {address or '?'}: {reason} ({failures})", 2048),
            request_id=_printable(request_id, 64) if request_id else None,
            status_code=status,
            workspace=_printable(workspace, _MAX_NAME) if workspace else None,
            namespace=_printable(namespace, _MAX_NAME) if namespace else None,
        )
        _log.warning(
            "failed authentication from %s with key %s: %s (%d in this window)",
            _printable(address or "?", 64),
            claimed or "-",
            reason,
            failures,
        )
        try:
            self._access.record_audit(entry)
        except Exception:  # auditing must never turn a 401 into a 500
            _log.exception("could not audit a failed authentication")
        return True

    def note_refused(self) -> None:
        """A request refused while its subject is blocked: counted, not audited."""
        self._spend(notable=False)

    def _spend(self, notable: bool) -> bool:
        with self._lock:
            now = self._monotonic()
            if now - self._minute_start >= 60.0:
                if self._suppressed:
                    _log.warning(
                        "%d further failed authentications in the last minute were "
                        "counted but not audited one by one",
                        self._suppressed,
                    )
                self._minute_start, self._written, self._suppressed = now, 0, 0
            if notable and self._written < self._max:
                self._written += 1
                return True
            self._suppressed += 1
            return False
