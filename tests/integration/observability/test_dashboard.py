"""The Grafana dashboard in ``deploy/grafana`` only queries metrics the server exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from .conftest import exported_names, scrape_text

DASHBOARD = Path(__file__).parents[3] / "deploy" / "grafana" / "millstream-dashboard.json"

# PromQL words that are not metric names (operators, modifiers, aggregation clauses).
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
_KEYWORDS |= {"group_left", "group_right", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings (label values, regexes)
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group(0)
        follows = text[match.end() :].lstrip()
        if follows.startswith("(") or word.lower() in _KEYWORDS:
            continue  # a function or a keyword
        names.add(word)
    return names


def _panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for panel in panels:
        found.extend(_panels(panel.get("panels", [])))
        if panel.get("type") != "row":
            found.append(panel)
    return found


def test_metric_names_finds_metrics_and_skips_functions_and_clauses() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{x="y"}[5m]))) '
        "/ on (job) group_left b_total > bool 0"
    )
    assert metric_names(expr) == {"a_bucket", "b_total"}


async def test_every_dashboard_query_names_an_exported_metric(
    client: httpx.AsyncClient,
) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exported = exported_names(await scrape_text(client))
    panels = _panels(dashboard["panels"])
    assert len(panels) >= 10
    unknown: dict[str, set[str]] = {}
    for panel in panels:
        exprs = [target["expr"] for target in panel.get("targets", [])]
        names = set().union(*(metric_names(expr) for expr in exprs)) if exprs else set()
        assert names, f"panel {panel['title']!r} queries no metric"
        missing = names - exported
        if missing:
            unknown[panel["title"]] = missing
    variables = dashboard["templating"]["list"]
    for variable in variables:
        query = variable.get("definition", "")
        inner = re.search(r"label_values\((.*),\s*\w+\)", query)
        if inner:
            missing = metric_names(inner.group(1)) - exported
            if missing:
                unknown[f"variable {variable['name']}"] = missing
    assert not unknown, f"dashboard queries metrics the server does not export: {unknown}"
