"""Clusters: the Flink clusters jobs run on (embedded, session, external REST)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Cluster", "ClusterKind"]


class ClusterKind(enum.StrEnum):
    EMBEDDED = "EMBEDDED"  # the local standalone cluster Millstream starts itself
    SESSION = "SESSION"  # a session cluster Millstream starts on request
    EXTERNAL = "EXTERNAL"  # any Flink session cluster given by its REST URL


@dataclass(slots=True)
class Cluster:
    id: str
    workspace: str
    namespace: str | None  # None: usable from every namespace
    name: str
    kind: ClusterKind
    rest_url: str
    flink_conf: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    modified_at: datetime | None = None
