"""The draft worker pool: bounded (a full pool and backlog refuse new work with
``Throttled``), and a failing piece of work neither kills a worker nor leaks a slot."""

from __future__ import annotations

import threading

import pytest

from millstream.control.services.draft_runner import DraftRunner
from millstream.domain.errors import InvalidInput, Throttled


def test_a_full_pool_and_backlog_refuse_more_work() -> None:
    runner = DraftRunner(workers=1, backlog=1)
    release = threading.Event()

    def block() -> None:
        release.wait(5)

    try:
        runner.submit(block)
        runner.submit(lambda: None)  # waits in the backlog
        with pytest.raises(Throttled, match="retry"):
            runner.submit(lambda: None)
    finally:
        release.set()
        runner.close()


def test_failing_work_frees_its_slot() -> None:
    runner = DraftRunner(workers=1, backlog=0)

    def boom() -> None:
        raise RuntimeError("boom")

    try:
        runner.submit(boom).result(timeout=5)
        done = threading.Event()
        runner.submit(done.set).result(timeout=5)
        assert done.is_set()
    finally:
        runner.close()


@pytest.mark.parametrize(("workers", "backlog"), [(0, 1), (65, 1), (1, -1)])
def test_pool_sizes_are_bounded(workers: int, backlog: int) -> None:
    with pytest.raises(InvalidInput):
        DraftRunner(workers=workers, backlog=backlog)
