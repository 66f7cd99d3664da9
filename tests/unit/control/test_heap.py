"""The heap freezer: after the first tick the surviving heap is frozen (full collections
skip it), it is frozen again only once its interval has passed, and a cycle that became
garbage meanwhile is collected then."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from millstream.control.heap import HeapFreezer


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # other tests in this process collect as usual


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _frozen(value: object) -> bool:
    """Frozen objects are out of the generations ``gc.get_objects`` lists."""
    return not any(candidate is value for candidate in gc.get_objects())


class _Node:
    def __init__(self) -> None:
        self.me = self


def test_the_first_tick_freezes_the_heap_and_later_ones_wait_for_the_interval() -> None:
    clock = _Clock()
    freezer = HeapFreezer(every=600.0, clock=clock)
    before = [1]
    freezer(None)
    assert _frozen(before)
    after = [2]
    clock.now = 599.0
    freezer(None)
    assert not _frozen(after)
    clock.now = 600.0
    freezer(None)
    assert _frozen(after)


def test_a_cycle_that_became_garbage_after_a_freeze_is_collected_at_the_next_one() -> None:
    clock = _Clock()
    freezer = HeapFreezer(every=10.0, clock=clock)
    node = _Node()
    gone = weakref.ref(node)
    freezer(None)
    del node
    gc.collect()  # a frozen cycle survives a collection...
    assert gone() is not None
    clock.now = 10.0
    freezer(None)  # ...until the freezer thaws the heap and collects it
    assert gone() is None


def test_settle_freezes_what_survived_since_without_thawing_the_heap() -> None:
    clock = _Clock()
    freezer = HeapFreezer(every=600.0, clock=clock)
    early = [0]
    freezer.settle()  # nothing frozen yet: nothing to settle onto
    assert not _frozen(early)
    freezer(None)
    node = _Node()
    gone = weakref.ref(node)
    survivor = [3]
    freezer.settle()
    assert _frozen(survivor)
    del node
    freezer.settle()  # the cycle frozen by the first settle stays...
    assert gone() is not None
    clock.now = 600.0
    freezer(None)  # ...until the next full refreeze collects it
    assert gone() is None
