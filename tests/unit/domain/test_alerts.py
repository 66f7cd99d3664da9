"""Alert evaluation (``domain.alerts``): a breach fires once (de-duplication), resolves
once, waits out ``forSeconds`` in PENDING, survives being re-evaluated from its stored
state, and every kind compares the right observation; a property test replays random
observation sequences and checks the transitions alternate firing/resolved per alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.domain.alerts import (
    AlertKind,
    AlertRule,
    AlertState,
    AlertStatus,
    Channel,
    Condition,
    Observation,
    Selector,
    TransitionEvent,
    evaluate,
    fingerprint,
    measure,
    validate_condition,
)
from millstream.domain.errors import InvalidInput

T0 = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)


def _rule(condition: Condition, rule_id: str = "r1") -> AlertRule:
    return AlertRule(
        id=rule_id,
        workspace="ws",
        namespace="ns",
        name="rule",
        condition=condition,
        channel=Channel(url="https://hooks.example.com/x"),
    )


def _failed(deployment: str = "d1", *, failed: bool = True) -> Observation:
    states = frozenset({"FAILED"} if failed else {"RUNNING"})
    return Observation(deployment, f"name-{deployment}", job_id="j1", states=states)


def _run(
    rule: AlertRule,
    rounds: list[list[Observation]],
    step: timedelta = timedelta(seconds=10),
) -> list[list[tuple[TransitionEvent, str]]]:
    states: dict[str, AlertState] = {}
    out: list[list[tuple[TransitionEvent, str]]] = []
    for at, observations in enumerate(rounds):
        result = evaluate(rule, observations, states, T0 + at * step)
        for state in result.states:
            states[state.fingerprint] = state
        for key in result.deleted:
            del states[key]
        out.append([(t.event, t.state.deployment_id) for t in result.transitions])
    return out


def test_failed_job_fires_once_then_resolves_once() -> None:
    rule = _rule(Condition(AlertKind.JOB_FAILED))
    rounds = [
        [_failed()],
        [_failed()],
        [_failed()],
        [_failed(failed=False)],
        [_failed(failed=False)],
    ]
    assert _run(rule, rounds) == [
        [(TransitionEvent.FIRING, "d1")],
        [],
        [],
        [(TransitionEvent.RESOLVED, "d1")],
        [],
    ]


def test_for_seconds_waits_in_pending_and_a_short_breach_never_fires() -> None:
    rule = _rule(Condition(AlertKind.THROUGHPUT_BELOW, threshold=10, for_seconds=25))
    low = Observation("d1", "orders", metrics={"throughput": 1.0})
    high = Observation("d1", "orders", metrics={"throughput": 50.0})
    # 10 s apart: low at 0, 10, 20 (20 s, not yet 25), high at 30: never fired, nothing sent
    assert _run(rule, [[low], [low], [low], [high]]) == [[], [], [], []]
    # low at 0..30: fires at 30 (lasted 30 s >= 25 s)
    assert _run(rule, [[low], [low], [low], [low], [low]])[3] == [(TransitionEvent.FIRING, "d1")]


def test_stored_firing_state_is_not_announced_again() -> None:
    """What a restarted control plane sees: the state it stored, no new transition."""
    rule = _rule(Condition(AlertKind.JOB_FAILED))
    first = evaluate(rule, [_failed()], {}, T0)
    stored = {s.fingerprint: s for s in first.states}
    again = evaluate(rule, [_failed()], stored, T0 + timedelta(minutes=5))
    assert again.transitions == []
    assert stored[fingerprint("r1", "d1")].status is AlertStatus.FIRING


def test_alert_of_a_deployment_no_longer_watched_resolves() -> None:
    rule = _rule(Condition(AlertKind.JOB_FAILED))
    first = evaluate(rule, [_failed("d1"), _failed("d2")], {}, T0)
    stored = {s.fingerprint: s for s in first.states}
    second = evaluate(rule, [_failed("d2")], stored, T0 + timedelta(seconds=10))
    assert [(t.event, t.state.deployment_id) for t in second.transitions] == [
        (TransitionEvent.RESOLVED, "d1")
    ]


def test_fingerprint_is_stable_and_distinct_per_rule_and_deployment() -> None:
    assert fingerprint("r1", "d1") == fingerprint("r1", "d1")
    assert len({fingerprint("r1", "d1"), fingerprint("r1", "d2"), fingerprint("r2", "d1")}) == 3


_RESTARTS = Condition(AlertKind.RESTARTS_OVER, threshold=3, window_seconds=600)
_CHECKPOINTS = Condition(AlertKind.CHECKPOINT_FAILURES_OVER, threshold=0)


@pytest.mark.parametrize(
    ("condition", "metrics", "breached"),
    [
        (
            Condition(AlertKind.RESTARTS_OVER, threshold=3, window_seconds=600),
            {"restarts": 4},
            True,
        ),
        (
            Condition(AlertKind.RESTARTS_OVER, threshold=3, window_seconds=600),
            {"restarts": 3},
            False,
        ),
        (
            Condition(AlertKind.CHECKPOINT_FAILURES_OVER, threshold=0),
            {"failed_checkpoints": 1},
            True,
        ),
        (Condition(AlertKind.BACKPRESSURE_OVER, threshold=0.5), {"backpressure": 0.8}, True),
        (Condition(AlertKind.BACKPRESSURE_OVER, threshold=0.5), {"backpressure": 0.2}, False),
        (Condition(AlertKind.THROUGHPUT_BELOW, threshold=100), {"throughput": 99}, True),
        (Condition(AlertKind.THROUGHPUT_BELOW, threshold=100), {"throughput": 100}, False),
        (Condition(AlertKind.SOURCE_LAG_OVER, threshold=1000), {"source_lag": 5000}, True),
        (Condition(AlertKind.THROUGHPUT_BELOW, threshold=100), {}, False),  # no value
    ],
)
def test_each_kind_compares_its_metric(
    condition: Condition, metrics: dict[str, float], breached: bool
) -> None:
    observation = Observation("d1", "orders", metrics=metrics)
    assert measure(condition, observation)[0] is breached


def test_job_state_is_matches_millstream_or_engine_state() -> None:
    condition = Condition(AlertKind.JOB_STATE_IS, state="RESTARTING")
    assert measure(condition, Observation("d", "n", states=frozenset({"RUNNING", "RESTARTING"})))[0]
    assert not measure(condition, Observation("d", "n", states=frozenset({"RUNNING"})))[0]


@pytest.mark.parametrize(
    "condition",
    [
        Condition(AlertKind.JOB_STATE_IS),
        Condition(AlertKind.THROUGHPUT_BELOW),
        Condition(AlertKind.BACKPRESSURE_OVER, threshold=2),
        Condition(AlertKind.RESTARTS_OVER, threshold=1),
        Condition(AlertKind.JOB_FAILED, for_seconds=-1),
    ],
)
def test_invalid_conditions_are_refused(condition: Condition) -> None:
    with pytest.raises(InvalidInput):
        validate_condition(condition)


def test_selector_matches_name_and_labels() -> None:
    selector = Selector(deployment_name="orders", labels={"team": "a"})
    assert selector.matches("orders", {"team": "a", "x": "y"})
    assert not selector.matches("orders", {"team": "b"})
    assert not selector.matches("payments", {"team": "a"})
    assert Selector().matches("anything", {})


@given(
    rounds=st.lists(
        st.dictionaries(st.sampled_from(["d1", "d2", "d3"]), st.booleans(), max_size=3),
        min_size=1,
        max_size=30,
    ),
    for_rounds=st.integers(min_value=0, max_value=3),
)
def test_transitions_alternate_and_match_the_breach(
    rounds: list[dict[str, bool]], for_rounds: int
) -> None:
    rule = _rule(Condition(AlertKind.JOB_FAILED, for_seconds=10 * for_rounds))
    observations = [[_failed(d, failed=f) for d, f in sorted(r.items())] for r in rounds]
    history = _run(rule, observations)
    last: dict[str, TransitionEvent] = {}
    for at, transitions in enumerate(history):
        keys = [d for _, d in transitions]
        assert len(keys) == len(set(keys))  # at most one transition per alert per round
        for event, deployment in transitions:
            # never two firings (or two resolves) in a row: de-duplication
            assert last.get(deployment, TransitionEvent.RESOLVED) is not event
            last[deployment] = event
            breached = rounds[at].get(deployment, False)
            assert breached is (event is TransitionEvent.FIRING)
            if event is TransitionEvent.FIRING:
                # it fired only after breaching for for_rounds consecutive earlier rounds
                window = rounds[at - for_rounds : at + 1] if for_rounds else [rounds[at]]
                assert at >= for_rounds
                assert all(r.get(deployment, False) for r in window)
