"""Saying why a JAR built for Flink 1.x fails on Flink 2.x: the Flink API class it misses.

Flink 2.0 removed ``SourceFunction``/``SinkFunction`` (``addSource``/``addSink``), the DataSet
and Scala APIs and legacy connectors; a 1.x job's ``main()`` then dies with
``NoClassDefFoundError`` / ``ClassNotFoundException`` of an ``org.apache.flink`` class.
``RestFlinkCluster.submit`` adds ``missing_flink_class_hint`` to such a rejection, so the job's
failure tells the user to pick a 1.x engine version (or rebuild for 2.x) instead of showing
a bare stack trace.
"""

from __future__ import annotations

import re

__all__ = ["missing_flink_class_hint"]

_MISSING = re.compile(
    r"(?:NoClassDefFoundError|ClassNotFoundException):\s*(org[./]apache[./]flink[./][\w./$]+)"
)


def missing_flink_class_hint(detail: str, flink_version: str) -> str | None:
    """A sentence naming the missing Flink class and what to do, when ``detail`` (Flink's
    error text) shows a Flink 1.x API class missing on a Flink 2.x cluster; else None."""
    match = _MISSING.search(detail)
    if match is None or not flink_version.startswith("2."):
        return None
    name = match.group(1).replace("/", ".").rstrip(".")
    return (
        f"the program uses {name}, which Flink {flink_version} does not have (Flink 2.0 "
        "removed SourceFunction/SinkFunction, the DataSet and Scala APIs): run it with a "
        "Flink 1.x engine version (e.g. flink-1.20 or vvr-8.0.9-flink-1.17) or rebuild it "
        "against Flink 2.x"
    )
