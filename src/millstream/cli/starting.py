"""Starting a job from the CLI so that a retry never creates a second one.

Each ``millstream start`` (and ``deploy --start``) invocation makes one fresh client
token and sends it with every attempt of its start: when an attempt's answer is lost (a
timeout, a dropped connection, a 5xx from a proxy or a restarting server), the next
attempt repeats the token and the server answers with the job the lost attempt created
(``x-millstream-client-token``, kept 24 h) instead of starting another. Errors the
server meant (404, 409, 400 ...) are not retried. Called by ``commands/jobs.py`` and
``commands/deploy.py``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from millstream.cli.state import CliState
from millstream.client import Job, MillstreamClient, RestoreStrategy, ServerError, TransportError

__all__ = ["START_ATTEMPTS", "start_job"]

START_ATTEMPTS = 3


def start_job(
    state: CliState,
    client: MillstreamClient,
    deployment_id: str,
    *,
    restore: RestoreStrategy | None,
    queue: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Job:
    """Start the deployment's next job, retrying lost answers with the same client token."""
    token = str(uuid.uuid4())  # one per invocation: every attempt below repeats it
    # Pauses follow the poll interval (0 in tests), doubling: 1 s, then 2 s by default.
    pause = max(state.poll, 0.0)
    for attempt in range(1, START_ATTEMPTS):
        try:
            return client.start_job(deployment_id, restore=restore, client_token=token, queue=queue)
        except (TransportError, ServerError) as exc:
            state.err().print(
                f"[yellow]warning:[/yellow] start attempt {attempt} of {START_ATTEMPTS} got "
                f"no usable answer ({exc}); retrying with the same client token",
                highlight=False,
            )
            sleep(pause)
            pause *= 2
    return client.start_job(deployment_id, restore=restore, client_token=token, queue=queue)
