"""Layout and colours of the job graph the console draws as inline SVG.

A Flink job graph is a small DAG (sources left, sinks right). ``layout`` places its
vertices in columns by longest path from a source, orders each column by where its inputs
sit (fewer crossing edges), and sizes each box by how many chained operators it lists.
``heat`` turns a vertex's busy and backpressured ratios into the fill the box gets, as
Flink's own UI does (calm when idle, red when busy, slate when waiting on its outputs).
Pure functions, no I/O: ``job_insight_views`` calls them and ``tests/unit/web`` covers them.
"""

from __future__ import annotations

import colorsys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

__all__ = [
    "BOX_WIDTH",
    "Box",
    "Edge",
    "GraphLayout",
    "Heat",
    "clip",
    "heat",
    "layout",
    "operator_lines",
]

BOX_WIDTH = 230
_COLUMN_GAP = 70
_ROW_GAP = 22
_MARGIN = 12
_HEAD = 24  # title row of a box
_LINE = 15  # one chained operator line
_FOOT = 40  # metrics line and the load bar
MAX_OPERATOR_LINES = 4  # more are summarised as "+ N more"
_CHARS = 34  # characters that fit on one line of a box at 11.5px


class Identified(Protocol):
    """What layout needs of a vertex: its id."""

    @property
    def id(self) -> str: ...


V = TypeVar("V", bound=Identified)
Link = tuple[str, str, str]  # source id, target id, label (Flink's ship strategy)


@dataclass(frozen=True, slots=True)
class Box(Generic[V]):
    """Where one vertex is drawn (top-left corner, size) and which column it is in."""

    vertex: V
    x: float
    y: float
    width: float
    height: float
    column: int

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def middle(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True, slots=True)
class Edge:
    """A curve from one box's right side to another's left side, labelled at its middle."""

    source: str
    target: str
    label: str
    path: str
    label_x: float
    label_y: float


@dataclass(frozen=True, slots=True)
class GraphLayout(Generic[V]):
    width: float
    height: float
    boxes: list[Box[V]]
    edges: list[Edge]


def operator_lines(operators: Sequence[str]) -> list[str]:
    """The lines a box lists: up to ``MAX_OPERATOR_LINES`` operators, the rest counted."""
    if len(operators) <= MAX_OPERATOR_LINES:
        return [clip(op) for op in operators]
    shown = [clip(op) for op in operators[: MAX_OPERATOR_LINES - 1]]
    return [*shown, f"+ {len(operators) - len(shown)} more chained"]


def clip(text: str, limit: int = _CHARS) -> str:
    """``text`` on one line of at most ``limit`` characters (an ellipsis when cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def box_height(operator_count: int) -> float:
    """Height of a box listing ``operator_count`` chained operators."""
    lines = min(max(operator_count, 1), MAX_OPERATOR_LINES)
    return _HEAD + lines * _LINE + _FOOT


def _columns(vertices: Sequence[V], inputs: dict[str, list[str]]) -> dict[str, int]:
    """Longest-path depth from a source; inputs outside the graph and cycles are ignored."""
    known = {v.id for v in vertices}
    depth: dict[str, int] = {}
    visiting: set[str] = set()

    def visit(vertex_id: str) -> int:
        if vertex_id in depth:
            return depth[vertex_id]
        if vertex_id in visiting:  # a feedback edge (iteration): do not follow it
            return -1
        visiting.add(vertex_id)
        feeding = [visit(i) for i in inputs.get(vertex_id, []) if i in known and i != vertex_id]
        visiting.discard(vertex_id)
        depth[vertex_id] = 1 + max(feeding, default=-1)
        return depth[vertex_id]

    for vertex in vertices:
        visit(vertex.id)
    return depth


def layout(
    vertices: Sequence[V], links: Sequence[Link], operator_count: Callable[[V], int]
) -> GraphLayout[V]:
    """Boxes of ``vertices`` and curves of ``links`` in a ``width`` x ``height`` drawing."""
    if not vertices:
        return GraphLayout(width=0, height=0, boxes=[], edges=[])
    inputs: dict[str, list[str]] = {}
    for source, target, _ in links:
        inputs.setdefault(target, []).append(source)
    column_of = _columns(vertices, inputs)
    columns: dict[int, list[V]] = {}
    for vertex in vertices:  # plan order first: stable, and usually sources first
        columns.setdefault(column_of[vertex.id], []).append(vertex)
    rank: dict[str, float] = {}
    heights = {v.id: box_height(operator_count(v)) for v in vertices}
    tallest = max(
        sum(heights[v.id] for v in members) + _ROW_GAP * (len(members) - 1)
        for members in columns.values()
    )
    boxes: dict[str, Box[V]] = {}
    for column in sorted(columns):
        members = columns[column]
        for index, vertex in enumerate(members):
            feeding = [rank[i] for i in inputs.get(vertex.id, []) if i in rank]
            rank[vertex.id] = sum(feeding) / len(feeding) if feeding else float(index)
        members.sort(key=lambda v: rank[v.id])
        for index, vertex in enumerate(members):
            rank[vertex.id] = float(index)
        used = sum(heights[v.id] for v in members) + _ROW_GAP * (len(members) - 1)
        y = _MARGIN + (tallest - used) / 2  # centre short columns against the tallest
        x = _MARGIN + column * (BOX_WIDTH + _COLUMN_GAP)
        for vertex in members:
            boxes[vertex.id] = Box(vertex, x, y, BOX_WIDTH, heights[vertex.id], column)
            y += heights[vertex.id] + _ROW_GAP
    edges = [
        _edge(boxes[source], boxes[target], label)
        for source, target, label in links
        if source in boxes and target in boxes and source != target
    ]
    width = 2 * _MARGIN + (max(columns) + 1) * BOX_WIDTH + max(columns) * _COLUMN_GAP
    ordered = [boxes[v.id] for v in vertices]
    return GraphLayout(width=width, height=tallest + 2 * _MARGIN, boxes=ordered, edges=edges)


def _edge(source: Box[V], target: Box[V], label: str) -> Edge:
    x1, y1 = source.right, source.middle
    x2, y2 = target.x, target.middle
    if x2 <= x1:  # a feedback edge: loop below both boxes
        low = max(source.y + source.height, target.y + target.height) + _ROW_GAP / 2
        path = (
            f"M{x1:.1f},{y1:.1f} C{x1 + 40:.1f},{low:.1f} {x2 - 40:.1f},{low:.1f} {x2:.1f},{y2:.1f}"
        )
        return Edge(source.vertex.id, target.vertex.id, label, path, (x1 + x2) / 2, low)
    bend = (x2 - x1) / 2
    path = (
        f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    )
    return Edge(source.vertex.id, target.vertex.id, label, path, (x1 + x2) / 2, (y1 + y2) / 2 - 4)


# ------------------------------------------------------------------ colours


@dataclass(frozen=True, slots=True)
class Heat:
    """A vertex's fill and outline, and the word for its load (``busy``, ``backpressured``,
    ``idle`` or ``unknown``) the legend and the tooltip use."""

    fill: str
    stroke: str
    state: str
    load: float  # 0..1, the share of time the box's bar shows


def _hex(hue: float, lightness: float, saturation: float) -> str:
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def heat(busy: float | None, backpressured: float | None) -> Heat:
    """Colour of a vertex from the share of time it was busy and backpressured (0..1).

    Busy runs from green (idle) through amber to red; a vertex that mostly waits on its
    outputs is drawn slate, darker the longer it waits. Unknown load is neutral grey.
    """
    if busy is None and backpressured is None:
        return Heat(fill="#eef0f3", stroke="#9aa5b4", state="unknown", load=0.0)
    b = min(max(busy or 0.0, 0.0), 1.0)
    p = min(max(backpressured or 0.0, 0.0), 1.0)
    if p > b and p >= 0.1:
        return Heat(
            fill=_hex(0.6, 0.9 - 0.3 * p, 0.18),
            stroke=_hex(0.6, 0.35, 0.2),
            state="backpressured",
            load=p,
        )
    hue = (1 - b) * 130 / 360  # 130° green .. 0° red
    state = "busy" if b >= 0.1 else "idle"
    return Heat(
        fill=_hex(hue, 0.9 - 0.12 * b, 0.7),
        stroke=_hex(hue, 0.38, 0.6),
        state=state,
        load=b,
    )
