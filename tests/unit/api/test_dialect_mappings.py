"""Every domain error code and every domain state has a wire name in every dialect.

A member added to ``ErrorCode``, ``JobStatus``, ``DesiredState``, ``SavepointState``... that
some dialect's ``errors.py`` or ``states.py`` forgot fails here, before it can reach a
client as a ``KeyError`` (a 500) or as a name no SDK knows.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from millstream import server
from millstream.api.dialect import Dialect
from millstream.domain import errors as domain_errors
from millstream.domain.clusters import ClusterStatus
from millstream.domain.errors import ErrorCode, MillstreamError
from millstream.domain.hot_updates import HotUpdatePhase, HotUpdateStatus
from millstream.domain.jobs import DesiredState, JobStatus
from millstream.domain.savepoints import SavepointOrigin, SavepointState


@dataclass(frozen=True)
class DialectTables:
    """What a dialect must name: every error code, and every member of each enum it renders
    (``job_states`` and each enum-keyed table its ``states.py`` module holds)."""

    error_codes: Mapping[ErrorCode, str]
    states: tuple[tuple[str, type[enum.Enum], Mapping[Any, str]], ...]


def _tables(dialect: Dialect) -> DialectTables:
    states: list[tuple[str, type[enum.Enum], Mapping[Any, str]]] = [
        ("job_states", JobStatus, dialect.job_states)
    ]
    module = importlib.import_module(f"millstream.api.{dialect.name}.states")
    for name, value in sorted(vars(module).items()):
        if isinstance(value, Mapping) and value:
            kinds = {type(key) for key in value}
            kind = next(iter(kinds))
            if len(kinds) == 1 and issubclass(kind, enum.Enum):
                states.append((name, kind, value))
    return DialectTables(error_codes=dialect.error_codes, states=tuple(states))


# Every dialect the server serves (``server.DIALECTS``, the one list of them).
DIALECTS: dict[str, DialectTables] = {d.name: _tables(d) for d in server.DIALECTS}

# Domain enums every dialect renders (a dialect may render more, never fewer).
REQUIRED_STATES: tuple[type[enum.Enum], ...] = (JobStatus,)


def _error_classes(
    root: type[MillstreamError] = MillstreamError,
) -> Iterator[type[MillstreamError]]:
    yield root
    for sub in root.__subclasses__():
        yield from _error_classes(sub)


def _domain_error_classes() -> list[type[MillstreamError]]:
    """The hierarchy of ``domain/errors.py`` (subclasses elsewhere reuse its codes)."""
    return [cls for cls in _error_classes() if cls.__module__ == domain_errors.__name__]


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("code", list(ErrorCode), ids=str)
def test_every_error_code_has_a_wire_code(dialect: str, code: ErrorCode) -> None:
    wire = DIALECTS[dialect].error_codes.get(code)
    assert isinstance(wire, str), f"{dialect} has no wire code for ErrorCode.{code.name}"
    assert wire.strip() == wire
    assert wire


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_no_dialect_maps_a_code_that_does_not_exist(dialect: str) -> None:
    assert set(DIALECTS[dialect].error_codes) <= set(ErrorCode)


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("cls", _domain_error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_class_default_code_is_mapped(dialect: str, cls: type[MillstreamError]) -> None:
    assert isinstance(cls.code, ErrorCode), f"{cls.__name__}.code is not an ErrorCode"
    assert cls.code in DIALECTS[dialect].error_codes


def test_every_error_class_has_its_own_default_code() -> None:
    classes = _domain_error_classes()
    defaults = [cls.code for cls in classes]
    assert len(set(defaults)) == len(classes), "two error classes share a default code"


def _state_cases() -> list[tuple[str, str, type[enum.Enum], enum.Enum]]:
    return [
        (dialect, table, kind, member)
        for dialect, tables in sorted(DIALECTS.items())
        for table, kind, _ in tables.states
        for member in kind
    ]


@pytest.mark.parametrize(
    ("dialect", "table", "kind", "member"),
    _state_cases(),
    ids=[f"{d}-{t}-{m.name}" for d, t, _, m in _state_cases()],
)
def test_every_state_has_a_wire_name(
    dialect: str, table: str, kind: type[enum.Enum], member: enum.Enum
) -> None:
    mapping = next(m for name, _, m in DIALECTS[dialect].states if name == table)
    wire = mapping.get(member)
    assert isinstance(wire, str), (
        f"{dialect} {table} has no wire name for {kind.__name__}.{member.name}"
    )
    assert wire


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("kind", REQUIRED_STATES, ids=lambda kind: kind.__name__)
def test_every_dialect_renders_the_required_states(dialect: str, kind: type[enum.Enum]) -> None:
    rendered = {k for _, k, _ in DIALECTS[dialect].states}
    assert kind in rendered, f"{dialect} renders no {kind.__name__}"


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_job_statuses_stay_distinct_on_the_wire(dialect: str) -> None:
    """Two job statuses sharing a wire name would make clients mistake one for the other."""
    names = next(m for name, _, m in DIALECTS[dialect].states if name == "job_states")
    assert len(set(names.values())) == len(JobStatus)


def test_the_native_dialect_is_registered_and_names_what_its_mappers_render() -> None:
    """The registry walk above covers native; the enums its mappers render must be in it."""
    rendered = {kind for _, kind, _ in DIALECTS["native"].states}
    assert rendered >= {
        JobStatus,
        DesiredState,
        SavepointState,
        SavepointOrigin,
        ClusterStatus,
        HotUpdateStatus,
        HotUpdatePhase,
    }
