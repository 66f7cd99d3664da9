"""The client's Python surface: models take snake_case keyword arguments (camelCase still
works, deprecated), a misspelled argument is a TypeError, stop strategies are an enum
that also takes strings, and every public method says what it does."""

from __future__ import annotations

import inspect
import json
import warnings

import httpx
import pytest

from millstream.client import (
    AsyncMillstreamClient,
    ClientConfig,
    Deployment,
    Job,
    MillstreamClient,
    RestoreStrategy,
    StopStrategy,
)

CONFIG = ClientConfig(namespace="ns1", workspace="ws1", access_key_id="AK", access_key_secret="SK")


def test_models_take_snake_case_and_say_so_in_their_signature() -> None:
    restore = RestoreStrategy(kind="FROM_SAVEPOINT", savepoint_id="sp1")

    assert restore.to_wire() == {"kind": "FROM_SAVEPOINT", "savepointId": "sp1"}
    assert list(inspect.signature(RestoreStrategy).parameters) == [
        "kind",
        "savepoint_id",
        "allow_non_restored_state",
    ]


def test_camel_case_arguments_still_work_with_a_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match=r"use savepoint_id="):
        restore = RestoreStrategy(kind="FROM_SAVEPOINT", savepointId="sp1")

    assert restore.savepoint_id == "sp1"


@pytest.mark.parametrize(
    ("make", "hint"),
    [
        (lambda: RestoreStrategy(kind="NONE", savepoint="sp1"), "did you mean 'savepoint_id'"),
        (lambda: Deployment(name="a", paralelism=2), "paralelism"),
        (lambda: Job(jobid="j1"), "did you mean 'job_id'"),
    ],
)
def test_a_misspelled_argument_is_a_type_error(make: object, hint: str) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument") as raised:
        make()  # type: ignore[operator]
    assert hint in str(raised.value)


def test_answers_with_fields_the_model_does_not_know_still_parse() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        job = Job.model_validate({"jobId": "j1", "somethingNew": 1})
    assert job.job_id == "j1"


def _stop_body(strategy: StopStrategy | str) -> object:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"success": True, "data": {"jobId": "j1"}})

    with MillstreamClient(CONFIG, transport=httpx.MockTransport(handler)) as client:
        client.stop_job("j1", strategy)
    (request,) = sent
    return json.loads(request.content)["stopStrategy"]


@pytest.mark.parametrize(
    ("given", "wire"),
    [
        (StopStrategy.STOP_WITH_DRAIN, "STOP_WITH_DRAIN"),
        ("STOP_WITH_SAVEPOINT", "STOP_WITH_SAVEPOINT"),
        ("none", "NONE"),
    ],
)
def test_stop_strategies_are_an_enum_and_strings_are_accepted(
    given: StopStrategy | str, wire: str
) -> None:
    assert _stop_body(given) == wire


def test_an_unknown_stop_strategy_fails_before_any_request() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"nothing should be sent, got {request.url}")

    with (
        MillstreamClient(CONFIG, transport=httpx.MockTransport(handler)) as client,
        pytest.raises(ValueError, match="unknown stop strategy 'SAVEPOINT'; use one of"),
    ):
        client.stop_job("j1", "SAVEPOINT")


@pytest.mark.parametrize("client_class", [MillstreamClient, AsyncMillstreamClient])
def test_every_public_method_has_a_docstring(client_class: type) -> None:
    missing = [
        name
        for name, member in vars(client_class).items()
        if not name.startswith("_")
        and (inspect.isfunction(member) or isinstance(member, property))
        and not (member.__doc__ or "").strip()
    ]
    assert missing == []
