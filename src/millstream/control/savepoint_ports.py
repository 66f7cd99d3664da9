"""Port of savepoint import: copying a Flink savepoint a user names into a deployment's
own savepoint directory, so a later run can restore from it.

``engine.engine.FlinkEngine`` implements it (``engine.savepoint_imports`` does the
work); ``control.services.savepoints.SavepointService.import_savepoint`` is the caller
and registers the copy as a savepoint of the deployment. Separate from ``ports.py`` so
an engine without it (the test fakes) still is an ``Engine``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["SavepointImporter"]


@runtime_checkable
class SavepointImporter(Protocol):
    def import_savepoint(
        self,
        location: str,
        *,
        workspace: str,
        namespace: str,
        owns_deployment: Callable[[str], bool],
        target_directory: str,
    ) -> str:
        """Copy the savepoint at ``location`` (a URI onto the artifact store inside
        ``workspace``/``namespace``, or a path in the savepoint directory of a deployment
        ``owns_deployment`` accepts) under ``target_directory``; return the copy's URI.

        Raise ``InvalidInput`` when ``location`` is not such a place (the same words
        whether it exists or not) or holds no Flink savepoint (no valid ``_metadata``)."""
        ...
