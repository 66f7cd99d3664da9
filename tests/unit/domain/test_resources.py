"""Memory parsing and the CPU/memory totals reported as a job's metric."""

from __future__ import annotations

import pytest

from millstream.domain.errors import InvalidInput
from millstream.domain.resources import ResourceSetting, ResourceSpec, parse_memory


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("4 GiB", 4 * 1024**3),
        ("1024m", 1024**3),
        ("512 mb", 512 * 1024**2),
        ("1.5g", 1536 * 1024**2),
    ],
)
def test_parse_memory(text: str, size: int) -> None:
    assert parse_memory(text) == size


@pytest.mark.parametrize("text", ["", "lots", "4 parsecs", "-1g", "0"])
def test_parse_memory_rejects_nonsense(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_memory(text)


def test_totals_count_jobmanager_and_taskmanagers() -> None:
    setting = ResourceSetting(
        parallelism=4,
        jobmanager=ResourceSpec(1, "1 GiB"),
        taskmanager=ResourceSpec(2, "4 GiB"),
    )
    assert setting.total_cpu(slots_per_taskmanager=2) == 1 + 2 * 2
    assert setting.total_memory_bytes(slots_per_taskmanager=2) == (1 + 2 * 4) * 1024**3


def test_parallelism_bounds() -> None:
    with pytest.raises(InvalidInput):
        ResourceSetting(parallelism=0).validate()
