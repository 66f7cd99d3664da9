"""The job graph's layout (columns by depth, ordering, sizes, edges) and its colours."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from millstream.web import job_graph
from millstream.web.job_graph import BOX_WIDTH, box_height, clip, heat, layout, operator_lines


@dataclass(frozen=True)
class V:
    id: str
    ops: int = 1


def _layout(vertices: list[V], links: list[tuple[str, str]]) -> job_graph.GraphLayout[V]:
    return layout(vertices, [(s, t, "HASH") for s, t in links], lambda v: v.ops)


def test_columns_follow_the_longest_path_from_a_source() -> None:
    # a -> b -> d and a -> c -> d plus a shortcut a -> d: d still sits after b and c
    drawn = _layout(
        [V("a"), V("b"), V("c"), V("d")],
        [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("a", "d")],
    )
    column = {box.vertex.id: box.column for box in drawn.boxes}
    assert column == {"a": 0, "b": 1, "c": 1, "d": 2}
    assert [box.vertex.id for box in drawn.boxes] == ["a", "b", "c", "d"]  # plan order
    assert len(drawn.edges) == 5
    assert drawn.width == pytest.approx(2 * 12 + 3 * BOX_WIDTH + 2 * 70)


def test_boxes_never_overlap_and_fit_the_drawing() -> None:
    vertices = [V("s1", 3), V("s2", 6), V("join", 1), V("sink", 2)]
    drawn = _layout(vertices, [("s1", "join"), ("s2", "join"), ("join", "sink")])
    boxes = drawn.boxes
    for box in boxes:
        assert box.x >= 0
        assert box.right <= drawn.width
        assert box.y >= 0
        assert box.y + box.height <= drawn.height
    first, second = sorted((b for b in boxes if b.column == 0), key=lambda b: b.y)
    assert first.y + first.height < second.y  # stacked with a gap
    assert second.height == box_height(job_graph.MAX_OPERATOR_LINES)  # 6 ops shown as 4 lines


def test_edges_run_from_the_right_side_to_the_left_side() -> None:
    drawn = _layout([V("a"), V("b")], [("a", "b")])
    (edge,) = drawn.edges
    a, b = drawn.boxes
    assert edge.path.startswith(f"M{a.right:.1f},{a.middle:.1f}")
    assert edge.path.endswith(f"{b.x:.1f},{b.middle:.1f}")
    assert edge.label == "HASH"


def test_cycles_and_unknown_inputs_do_not_break_the_layout() -> None:
    drawn = _layout([V("a"), V("b")], [("a", "b"), ("b", "a"), ("ghost", "a"), ("a", "a")])
    assert {box.vertex.id for box in drawn.boxes} == {"a", "b"}
    assert len(drawn.edges) == 2  # ghost and the self loop are not drawn


def test_an_empty_graph_has_no_size() -> None:
    drawn = _layout([], [])
    assert (drawn.width, drawn.height, drawn.boxes, drawn.edges) == (0, 0, [], [])


def test_operator_lines_count_what_does_not_fit() -> None:
    assert operator_lines(["a", "b"]) == ["a", "b"]
    lines = operator_lines([f"op{i}" for i in range(7)])
    assert lines == ["op0", "op1", "op2", "+ 4 more chained"]
    assert clip("x" * 50, 10) == "x" * 9 + "…"
    assert clip("a \n b") == "a b"


def test_heat_runs_from_green_to_red_with_busy_time() -> None:
    idle, half, full = heat(0.0, 0.0), heat(0.5, 0.0), heat(1.0, 0.0)
    assert (idle.state, half.state, full.state) == ("idle", "busy", "busy")

    def red_minus_green(colour: str) -> int:
        return int(colour[1:3], 16) - int(colour[3:5], 16)

    assert red_minus_green(idle.fill) < red_minus_green(half.fill) < red_minus_green(full.fill)
    assert full.load == 1.0


def test_backpressure_wins_over_busy_and_darkens() -> None:
    light, dark = heat(0.1, 0.3), heat(0.1, 0.9)
    assert light.state == dark.state == "backpressured"
    assert int(dark.fill[1:3], 16) < int(light.fill[1:3], 16)
    assert heat(0.8, 0.3).state == "busy"
    assert heat(None, None).state == "unknown"
    assert heat(7.0, -1.0).load == 1.0  # clamped
