"""TaskManagers of a local cluster: role names, Flink's ``/taskmanagers`` read through a
mock transport, which idle ones a shrink stops, and when a running cluster restarts."""

from __future__ import annotations

import httpx
import pytest

from millstream.control.cluster_ports import ProcessSpec, ProcessStatus
from millstream.domain.clusters import TaskManagerSlots, idle_newest_first
from millstream.domain.errors import EngineUnavailable
from millstream.engine.cluster_manager import FlinkProbe, _Handle, _needs_restart
from millstream.engine.taskmanagers import new_roles, read_taskmanagers, role_number


def test_new_roles_fill_the_lowest_free_numbers() -> None:
    assert new_roles([], 2) == ["taskmanager-0", "taskmanager-1"]
    assert new_roles(["taskmanager-0", "taskmanager-2", "jobmanager"], 2) == [
        "taskmanager-1",
        "taskmanager-3",
    ]
    assert new_roles(["taskmanager-0"], 0) == []
    assert new_roles(["taskmanager-0"], -1) == []
    assert (role_number("taskmanager-12"), role_number("jobmanager")) == (12, None)


def test_idle_taskmanagers_go_newest_first_by_number() -> None:
    rows = [
        TaskManagerSlots("taskmanager-9", 2, 2),
        TaskManagerSlots("taskmanager-10", 2, 2),
        TaskManagerSlots("taskmanager-11", 2, 1),  # busy
        TaskManagerSlots("taskmanager-2", 2, 2),
    ]
    assert idle_newest_first(rows) == ["taskmanager-10", "taskmanager-9", "taskmanager-2"]


def test_flink_taskmanagers_are_read_with_their_slots() -> None:
    def flink(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/taskmanagers"
        return httpx.Response(
            200,
            json={
                "taskmanagers": [
                    {"id": "taskmanager-0", "slotsNumber": 4, "freeSlots": 3},
                    {"id": "taskmanager-1", "slotsNumber": 4, "freeSlots": 4},
                    {"path": "no id: skipped"},
                ]
            },
        )

    probe = FlinkProbe(transport=httpx.MockTransport(flink))
    rows = probe.taskmanagers("http://flink:8081")
    assert rows == [
        TaskManagerSlots("taskmanager-0", 4, 3),
        TaskManagerSlots("taskmanager-1", 4, 4),
    ]
    assert (rows[0].used, rows[0].idle, rows[1].idle) == (1, False, True)


def test_flink_that_fails_is_engine_unavailable() -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(503, json={"errors": ["down"]}))
    with pytest.raises(EngineUnavailable, match="503"):
        read_taskmanagers("http://flink:8081", timeout=1, transport=transport)


def _spec(**changes: object) -> ProcessSpec:
    values: dict[str, object] = {
        "key": "ws/s1",
        "taskmanagers": 2,
        "slots": 4,
        "jobmanager_memory": "1024m",
        "taskmanager_memory": "2048m",
        "generation": 1,
    }
    values.update(changes)
    return ProcessSpec(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("wanted", "restart"),
    [
        (_spec(), False),
        (_spec(taskmanagers=5, generation=2), False),  # the count changes live
        (_spec(preferred_rest_url="http://127.0.0.1:1", generation=2), False),
        (_spec(jobmanager_memory="4096m"), False),  # same generation: not asked to restart
        (_spec(jobmanager_memory="4096m", generation=2), True),
        (_spec(flink_conf={"a": 1}, generation=2), True),
    ],
)
def test_a_running_cluster_restarts_only_for_a_newer_generation_that_differs(
    wanted: ProcessSpec, restart: bool
) -> None:
    handle = _Handle("ws/s1", ProcessStatus.RUNNING, 1, spec=_spec())
    assert _needs_restart(handle, wanted) is restart
