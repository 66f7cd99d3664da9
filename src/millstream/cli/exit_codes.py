"""Exit codes scripts can rely on, and which client error gives which.

Documented in the app's help (``main.py``); keep both in step.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported on use: ``millstream --help`` must not load the client
    from millstream.client import errors

__all__ = ["EXIT_CODES_HELP", "ExitCode", "exit_code_for"]


class ExitCode(enum.IntEnum):
    OK = 0
    ERROR = 1  # the API refused the request, the input is invalid, a job failed
    USAGE = 2  # Typer/Click usage errors: unknown option, missing argument
    NOT_FOUND = 3
    CONFLICT = 4
    TIMEOUT = 5  # --wait gave up before the status was reached
    UNREACHABLE = 6  # no answer from the server
    AUTH = 7  # unknown key, bad signature or insufficient role


EXIT_CODES_HELP = (
    "Exit codes: 0 ok · 1 API error or invalid input · 2 usage error · 3 not found · "
    "4 conflict · 5 timed out waiting · 6 cannot reach the server · 7 authentication failed."
)


def exit_code_for(exc: errors.MillstreamClientError) -> ExitCode:
    """The exit code for a client error, by class (most specific first)."""
    from millstream.client import errors

    table: list[tuple[type[errors.MillstreamClientError], ExitCode]] = [
        (errors.NotFoundError, ExitCode.NOT_FOUND),
        (errors.ConflictError, ExitCode.CONFLICT),
        (errors.AuthError, ExitCode.AUTH),
        (errors.WaitTimeoutError, ExitCode.TIMEOUT),
        (errors.TransportError, ExitCode.UNREACHABLE),
    ]
    for kind, code in table:
        if isinstance(exc, kind):
            return code
    return ExitCode.ERROR
