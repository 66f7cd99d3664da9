"""``TickObserver`` and the daemon calling it after each iteration."""

from __future__ import annotations

import threading
from typing import cast

from millstream.control.daemon import ReconcilerDaemon
from millstream.control.notifier import Notifier
from millstream.control.reconciler import Reconciler, TickReport
from millstream.observability import Metrics, TickObserver


def _value(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_report_counts_actions_by_step_and_tick_time() -> None:
    metrics = Metrics()
    observe = TickObserver(metrics)
    observe(TickReport(actions={"SUBMIT": 2, "OBSERVE": 5}, seconds=0.2))
    observe(TickReport(actions={"OBSERVE": 1, "made-up": 3}, seconds=0.4))
    assert _value(metrics, "millstream_reconciler_actions_total", step="SUBMIT") == 2
    assert _value(metrics, "millstream_reconciler_actions_total", step="OBSERVE") == 6
    assert _value(metrics, "millstream_reconciler_actions_total", step="OTHER") == 3
    assert _value(metrics, "millstream_reconciler_tick_duration_seconds_count") == 2
    assert abs(_value(metrics, "millstream_reconciler_tick_duration_seconds_sum") - 0.6) < 1e-9
    assert _value(metrics, "millstream_reconciler_ticks_total", outcome="ok") == 2


def test_failed_tick_counts_an_error() -> None:
    metrics = Metrics()
    TickObserver(metrics)(None)
    assert _value(metrics, "millstream_reconciler_errors_total") == 1
    assert _value(metrics, "millstream_reconciler_ticks_total", outcome="error") == 1
    assert _value(metrics, "millstream_reconciler_tick_duration_seconds_count") == 0


class _Lock:
    def try_acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        pass


class _Reconciler:
    """Fails its second iteration, succeeds otherwise."""

    def __init__(self) -> None:
        self.calls = 0

    def run_iteration(self) -> TickReport:
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("store down")
        return TickReport(actions={"OBSERVE": 1}, seconds=0.01)

    def close(self) -> None:
        pass


def test_daemon_tells_observers_each_report_or_none_on_failure() -> None:
    seen: list[TickReport | None] = []
    done = threading.Event()

    def observer(report: TickReport | None) -> None:
        seen.append(report)
        if len(seen) >= 3:
            done.set()

    def broken_observer(_report: TickReport | None) -> None:
        raise ValueError("an observer bug must not stop the loop")

    daemon = ReconcilerDaemon(
        cast(Reconciler, _Reconciler()),
        Notifier(),
        _Lock(),
        interval=0.01,
        tick_observers=[broken_observer, observer],
    )
    daemon.start()
    try:
        assert done.wait(10)
    finally:
        daemon.stop()
    assert seen[0] is not None
    assert seen[1] is None
    assert seen[2] is not None
