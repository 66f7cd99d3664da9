"""The free-form JSON limits (``api.json_shape``) and the row rendering that survives
stored values breaking them (``api.safe_rows``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from millstream.api.json_shape import (
    DEFAULT_LIMITS,
    JsonLimits,
    JsonObject,
    JsonText,
    StringList,
    check_json_shape,
    fits,
)
from millstream.api.safe_rows import dumped_one, dumped_rows, sanitized


def nested(depth: int) -> Any:
    """A value with ``depth`` levels of containers (objects and lists alternating)."""
    value: Any = "leaf"
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


@pytest.mark.parametrize("depth", [1, 2, 31, 32])
def test_depth_up_to_the_limit_fits(depth: int) -> None:
    assert fits(nested(depth))


@pytest.mark.parametrize("depth", [33, 500, 50_000])
def test_deeper_values_are_refused_without_recursing(depth: int) -> None:
    with pytest.raises(ValueError, match="nested deeper than 32 levels"):
        check_json_shape(nested(depth))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"k": "x" * 65_537}, "string longer than 65536"),
        ({"x" * 1_025: "v"}, "key longer than 1024"),
        (list(range(10_000)), "more than 10000 values"),
        ([["x" * 60_000] for _ in range(20)], "larger than 1048576 characters"),
        ({"k": "a\x00b"}, "NUL"),
        ({"a\x00": "b"}, "NUL"),
    ],
)
def test_size_limits(value: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_json_shape(value)


def test_scalars_and_empty_containers_fit() -> None:
    values: list[Any] = [None, 1, 1.5, True, "s", {}, []]
    for value in values:
        assert fits(value)


def test_limits_are_configurable() -> None:
    tight = JsonLimits(max_depth=2, max_values=3)
    assert fits({"a": {"b": 1}}, tight)
    assert not fits({"a": {"b": {"c": 1}}}, tight)
    assert not fits([1, 2, 3], tight)  # the list itself counts as a value
    assert DEFAULT_LIMITS.max_depth == 32


class Model(BaseModel):
    conf: JsonObject | None = None
    uris: StringList | None = None
    plan: JsonText | None = None


def test_pydantic_types_name_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        Model(conf={"k": nested(40)})
    assert caught.value.errors()[0]["loc"] == ("conf",)
    assert "nested deeper than 32" in str(caught.value)
    with pytest.raises(ValidationError, match="more than 10000 values"):
        Model(uris=["a"] * 10_000)
    assert Model(conf={"a": "b"}, uris=["x.jar"]).conf == {"a": "b"}


def test_json_text_checks_the_parsed_document_and_leaves_other_text_alone() -> None:
    with pytest.raises(ValidationError, match="nested deeper"):
        Model(plan=json.dumps(nested(40)))
    with pytest.raises(ValidationError, match="nested deeper"):
        Model(plan="[" * 100_000 + "]" * 100_000)
    assert Model(plan="not json: the domain explains why").plan is not None
    assert Model(plan='{"nodes": []}').plan == '{"nodes": []}'


@dataclass
class Row:
    id: str
    conf: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)


class Wire(BaseModel):
    id: str
    conf: dict[str, Any]


def to_wire(row: Row) -> Wire:
    return Wire(id=row.id, conf=row.conf)


def test_sanitized_empties_only_the_fields_that_break_the_limits() -> None:
    row = Row("r1", conf={"k": nested(500)}, tags=["a"])
    clean, fields = sanitized(row)
    assert (clean.conf, clean.tags, fields) == ({}, ["a"], ["conf"])
    assert sanitized(Row("r2", conf={"a": "b"})) == (Row("r2", conf={"a": "b"}), [])


def test_dumped_rows_keeps_every_row_and_replaces_the_bad_field(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows = [Row("good", conf={"a": "b"}), Row("bad", conf={"k": nested(500)})]
    assert dumped_rows(rows, to_wire) == [
        {"id": "good", "conf": {"a": "b"}},
        {"id": "bad", "conf": {}},
    ]
    assert "bad" in caplog.text
    assert dumped_one(rows[1], to_wire) == {"id": "bad", "conf": {}}


def test_a_row_that_cannot_be_rendered_at_all_is_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(row: Row) -> Wire:
        if row.id == "broken":
            raise ValueError("cannot render")
        return to_wire(row)

    rendered = dumped_rows([Row("broken"), Row("fine")], broken)
    assert [w["id"] for w in rendered] == ["fine"]
    assert "broken" in caplog.text
