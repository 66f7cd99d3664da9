"""What the client's hand-written operations share: the native API's namespace path and
the parts of its ``{"success", "data", ...}`` envelope they answer."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

__all__ = ["data_of", "items_of", "namespace_base", "nothing"]


def namespace_base(namespace: str) -> str:
    """``/api/v2/namespaces/<namespace>``, the namespace quoted."""
    return f"/api/v2/namespaces/{quote(namespace, safe='')}"


def data_of(envelope: Any) -> dict[str, Any]:
    """The envelope's ``data`` object (empty when there is none)."""
    data = envelope.get("data") if isinstance(envelope, dict) else None
    return dict(data) if isinstance(data, dict) else {}


def items_of(envelope: Any) -> list[dict[str, Any]]:
    """The envelope's ``data`` list of objects (empty when there is none)."""
    data = envelope.get("data") if isinstance(envelope, dict) else None
    return [dict(item) for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def nothing(envelope: Any) -> None:  # noqa: ARG001 - the envelope only says "done"
    """For operations whose envelope only says "done"."""
    return None
