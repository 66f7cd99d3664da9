"""The SDK's Flink operation Millstream does not serve: ``import_flink_job_savepoint``.

It would register a savepoint at any path the caller names so that a later run restores
from it. Restoring makes Flink's JobManager read that path, and Millstream cannot yet
check a savepoint path the way it checks artifact URIs (``engine.uris``): a savepoint is
a directory of state files outside the artifact store, and a path naming another
project's savepoint directory, or a file of this machine, would hand one project's state
(or the control plane's files) to another's job. Until savepoint paths have their own
allow-list, the operation answers 501 ``DLI.0007`` with that reason, after the usual
signature check, so a caller learns it is not served instead of a misleading 405 or 404.
A run with ``resume_savepoint`` restores from the job's own latest savepoint (taken by
stop with ``trigger_savepoint`` or ``execute_flink_job_savepoint``). Registered by the
package's ``DLI`` dialect.
"""

from __future__ import annotations

from typing import NoReturn

from fastapi.responses import JSONResponse

from millstream.api.dialect import Context
from millstream.api.dli.errors import UNSUPPORTED, DialectError
from millstream.api.dli.routing import V1, dli_router

__all__ = ["router"]

router = dli_router()


def _not_served(operation: str, reason: str) -> NoReturn:
    raise DialectError(501, UNSUPPORTED, f"{operation} is not served by Millstream: {reason}")


@router.post(V1 + "/streaming/jobs/{job_id}/import-savepoint", name="ImportFlinkJobSavepoint")
async def import_flink_job_savepoint(
    project_id: str,  # noqa: ARG001
    job_id: str,  # noqa: ARG001
    ctx: Context,  # noqa: ARG001
) -> JSONResponse:
    _not_served(
        "ImportFlinkJobSavepoint",
        "a savepoint at a path you name cannot be checked to be your own project's "
        "(see the README); stop with trigger_savepoint or execute_flink_job_savepoint, "
        "then run with resume_savepoint",
    )
