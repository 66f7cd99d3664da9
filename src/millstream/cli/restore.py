"""``--restore``: how a started job picks its state, in the CLI's spelling.

``latest-state`` (newest savepoint or retained checkpoint; a fresh start when there is
none), ``latest-savepoint``, ``none``, or ``savepoint:ID``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from millstream.client import RestoreStrategy

__all__ = ["RestoreOpt", "restore_strategy"]

_KINDS = {
    "latest-state": "LATEST_STATE",
    "latest-savepoint": "LATEST_SAVEPOINT",
    "none": "NONE",
}


def restore_strategy(text: str, *, allow_non_restored_state: bool = False) -> RestoreStrategy:
    """The wire restore strategy for a ``--restore`` value (``ValueError`` if unknown)."""
    value = text.strip()
    if value.lower().startswith("savepoint:"):
        savepoint_id = value.split(":", 1)[1].strip()
        if not savepoint_id:
            raise ValueError("savepoint: needs an id, e.g. savepoint:1b2c…")
        kind, chosen = "FROM_SAVEPOINT", savepoint_id
    elif value.lower() in _KINDS:
        kind, chosen = _KINDS[value.lower()], None
    else:
        raise ValueError(
            f"unknown restore {text!r}; use latest-state, latest-savepoint, none or savepoint:ID"
        )
    return RestoreStrategy(
        kind=kind,
        savepoint_id=chosen,
        allow_non_restored_state=allow_non_restored_state or None,
    )


def _check(value: str) -> str:
    try:
        restore_strategy(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return value


RestoreOpt = Annotated[
    str,
    typer.Option(
        "--restore",
        callback=_check,
        help="latest-state | latest-savepoint | none | savepoint:ID",
    ),
]
