"""How the console words a job's facts (its events, restarts and running time) and
shows free text (``inline_code``: `backticked` words of a description as code).

The stored records stay as the reconciler wrote them (the API and CLI show those); the
console says the same in a user's words. Pure functions, registered as Jinja2 filters
by ``rendering.Renderer`` and called by ``page_data.job_live``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup, escape

from millstream.domain.events import Event, EventName
from millstream.domain.jobs import Job
from millstream.web.views import Segment

__all__ = ["event_detail", "event_title", "inline_code", "ran_for", "restarts"]

_CODE_SPAN = re.compile(r"`([^`\n]+)`")

# A stop with savepoint ends as CANCELLED (the job was stopped) while Flink reports
# FINISHED (the savepoint drained it); the event says stopped, not cancelled. Events
# recorded before the reconciler said so in words read "Flink reports FINISHED".
_DRAINED = "Flink reports FINISHED"
_STOPPED = ("stopped with a savepoint", "stopped: Flink cancelled the job")


def event_title(event: Event) -> str:
    """``job stopped``-style name of an event."""
    message = event.message or ""
    if event.name is EventName.JOB_CANCELLED and (
        _DRAINED in message or message.startswith(_STOPPED)
    ):
        return "job stopped"
    return event.name.value.replace("_", " ").lower()


def event_detail(event: Event) -> str:
    """The event's message, reworded where the stored one misleads."""
    message = event.message or ""
    if event.name is EventName.JOB_CANCELLED and _DRAINED in message:
        return "stopped with a savepoint; Flink ended the job after taking it"
    return message


def restarts(job: Job) -> int:
    """Flink's restart count of the job; 0 until Flink reported one (a job that never
    ran has not restarted)."""
    return job.observed.restarts or 0


def ran_for(job: Job, segments: Sequence[Segment], now: datetime) -> float | None:
    """Seconds since the job first reached RUNNING, up to its end (or now); ``None``
    when it never ran."""
    first = next((s.start for s in segments if s.status == "RUNNING"), None)
    if first is None:
        return None
    end = job.end_time if job.end_time is not None and job.is_terminal else now
    return max((end - first).total_seconds(), 0.0)


def inline_code(text: str) -> Markup:
    """``text`` escaped, its `backticked` spans as ``<code>`` (as Markdown shows them)."""
    parts: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup("<code>{}</code>").format(match[1]))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)
