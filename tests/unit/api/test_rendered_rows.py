"""RenderedRows: renderings kept by (id, version), re-rendered when the version moves."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel

from millstream.api.rendered_rows import RenderedRows


@dataclass
class Row:
    id: str
    version: int
    name: str
    conf: dict[str, Any] = field(default_factory=dict)


class Wire(BaseModel):
    id: str
    name: str
    conf: dict[str, Any]


class Renderer:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def __call__(self, row: Row) -> Wire:
        self.calls.append((row.id, row.version))
        return Wire(id=row.id, name=row.name, conf=row.conf)


class Loader:
    def __init__(self, rows: dict[str, Row]) -> None:
        self.rows = rows
        self.asked: list[list[str]] = []

    def __call__(self, ids: list[str]) -> dict[str, Row]:
        self.asked.append(ids)
        return {i: self.rows[i] for i in ids if i in self.rows}


def _json(fragments: list[orjson.Fragment]) -> list[Any]:
    loaded: list[Any] = json.loads(orjson.dumps(fragments))
    return loaded


def test_a_row_is_rendered_once_per_version_and_listed_in_page_order() -> None:
    render = Renderer()
    rows = RenderedRows[Row](render)
    load = Loader({"a": Row("a", 1, "A"), "b": Row("b", 1, "B")})

    first = rows.page([("b", 1), ("a", 1)], load)
    again = rows.page([("b", 1), ("a", 1)], load)

    assert (
        _json(first)
        == _json(again)
        == [
            {"id": "b", "name": "B", "conf": {}},
            {"id": "a", "name": "A", "conf": {}},
        ]
    )
    assert sorted(render.calls) == [("a", 1), ("b", 1)]
    assert load.asked == [["b", "a"]]  # the second page read nothing


def test_a_new_version_is_loaded_and_rendered_again() -> None:
    render = Renderer()
    rows = RenderedRows[Row](render)
    load = Loader({"a": Row("a", 1, "old")})
    rows.page([("a", 1)], load)

    load.rows["a"] = Row("a", 2, "new")
    assert _json(rows.page([("a", 2)], load)) == [{"id": "a", "name": "new", "conf": {}}]
    assert load.asked[-1] == ["a"]


def test_a_row_loaded_at_a_newer_version_is_kept_under_that_version() -> None:
    rows = RenderedRows[Row](Renderer())
    load = Loader({"a": Row("a", 3, "newest")})  # written between the two reads

    assert _json(rows.page([("a", 2)], load)) == [{"id": "a", "name": "newest", "conf": {}}]
    rows.page([("a", 3)], load)
    assert load.asked == [["a"]]


def test_a_row_deleted_between_the_two_reads_is_left_out() -> None:
    rows = RenderedRows[Row](Renderer())
    load = Loader({"a": Row("a", 1, "A")})
    assert _json(rows.page([("gone", 1), ("a", 1)], load)) == [{"id": "a", "name": "A", "conf": {}}]


def test_a_row_that_cannot_be_rendered_is_left_out_and_not_kept() -> None:
    def render(row: Row) -> Wire:
        raise ValueError(f"{row.id} is broken")

    rows = RenderedRows[Row](render)
    load = Loader({"a": Row("a", 1, "A")})
    assert rows.page([("a", 1)], load) == []
    assert len(rows) == 0


def test_what_is_kept_is_bounded_least_recently_used_out_first() -> None:
    render = Renderer()
    rows = RenderedRows[Row](render, max_rows=2)
    load = Loader({k: Row(k, 1, k) for k in "abc"})
    rows.page([("a", 1), ("b", 1)], load)
    rows.page([("a", 1)], load)  # a is now the most recently used
    rows.page([("c", 1)], load)  # b goes

    assert len(rows) == 2
    rows.page([("a", 1), ("b", 1)], load)
    assert load.asked[-1] == ["b"]


def test_json_orjson_refuses_is_written_by_the_standard_library() -> None:
    rows = RenderedRows[Row](Renderer())
    load = Loader({"a": Row("a", 1, "A", conf={"big": 2**70})})
    assert _json(rows.page([("a", 1)], load)) == [{"id": "a", "name": "A", "conf": {"big": 2**70}}]


def test_a_new_version_replaces_the_old_rendering_and_an_older_never_returns() -> None:
    """One entry per row: a server polled for an ever-changing job keeps its newest
    rendering only (the soak saw RSS grow with one entry per version shown)."""
    rows = RenderedRows[Row](Renderer())
    load = Loader({"a": Row("a", 1, "v1")})
    rows.page([("a", 1)], load)
    for version in (2, 3, 4):
        load.rows["a"] = Row("a", version, f"v{version}")
        rows.page([("a", version)], load)
    assert len(rows) == 1
    load.rows["a"] = Row("a", 3, "stale")  # a slow reader that loaded an older version
    assert _json(rows.page([("a", 3)], load)) == [{"id": "a", "name": "stale", "conf": {}}]
    asked = len(load.asked)
    assert _json(rows.page([("a", 4)], load)) == [{"id": "a", "name": "v4", "conf": {}}]
    assert len(load.asked) == asked  # v4 stayed kept


def test_a_stamp_keeps_a_rendering_that_depends_on_more_than_the_row() -> None:
    """A rendering with something beside the row (a deployment's job counts): the same
    version with another stamp is rendered again and replaces the kept one."""
    extra = {"a": "x"}

    def stamp(row: Row) -> tuple[int, str]:
        return row.version, extra[row.id]

    render = Renderer()
    rows = RenderedRows[Row](render, stamp=stamp)
    load = Loader({"a": Row("a", 1, "A")})
    rows.page([("a", (1, "x"))], load)
    rows.page([("a", (1, "x"))], load)
    assert load.asked == [["a"]]

    extra["a"] = "y"
    rows.page([("a", (1, "y"))], load)
    rows.page([("a", (1, "y"))], load)
    assert load.asked == [["a"], ["a"]]
    assert render.calls == [("a", 1), ("a", 1)]
    assert len(rows) == 1
