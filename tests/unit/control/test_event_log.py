"""Every recorded event is also one INFO line of the server's log (``millstream.events``):
the state changes and actions an operator follows, with the ids as extra fields."""

from __future__ import annotations

import logging
from typing import Any, cast

import pytest

from millstream.control.ports import Repositories
from millstream.control.services.common import record_event
from millstream.domain.events import Event, EventName
from tests.factories import make_deployment, make_job


class _Events:
    def __init__(self) -> None:
        self.created: list[Event] = []

    def create_event(self, *, event: Event) -> None:
        self.created.append(event)


def _repos(events: _Events) -> Repositories:
    return cast(Repositories, events)


def test_a_job_event_is_one_info_line_with_its_ids(caplog: pytest.LogCaptureFixture) -> None:
    events = _Events()
    job = make_job()
    with caplog.at_level(logging.INFO, logger="millstream.events"):
        record_event(_repos(events), job, EventName.JOB_START_REQUESTED, "start by ada", now=None)
    (line,) = [r for r in caplog.records if r.name == "millstream.events"]
    assert line.levelno == logging.INFO
    message = line.getMessage()
    assert message.startswith("JOB_START_REQUESTED ")
    assert job.id in message
    assert message.endswith(": start by ada")
    fields: Any = line.__dict__
    assert (fields["event"], fields["job_id"], fields["deployment_id"]) == (
        "JOB_START_REQUESTED",
        job.id,
        job.deployment_id,
    )
    assert [e.name for e in events.created] == [EventName.JOB_START_REQUESTED]


def test_a_deployment_event_names_the_deployment(caplog: pytest.LogCaptureFixture) -> None:
    deployment = make_deployment()
    with caplog.at_level(logging.INFO, logger="millstream.events"):
        record_event(
            _repos(_Events()), deployment, EventName.DEPLOYMENT_CREATED, "created", now=None
        )
    (line,) = [r for r in caplog.records if r.name == "millstream.events"]
    assert deployment.id in line.getMessage()
    assert line.__dict__["job_id"] is None
