"""The reconciler: makes Flink clusters match the jobs' desired state (DESIGN.md §3).

Split by responsibility around the shared action types, as the Flink Kubernetes
Operator splits observer, reconciler and deployer:

- ``controller.py``  ``Reconciler``: the tick (observe, decide, act with bounded
  concurrency); the daemon (``control.daemon``) and the app factory use it.
- ``actions.py``     shared types: ``Act`` (one job's work), ``Context``, ``TickReport``.
- ``heads.py``       ``JobHeads``: the live jobs between ticks, re-read only when changed.
- ``observer.py``    one ``/jobs/overview`` per cluster, detail reads, observed status.
- ``jobs.py``        submit, resubmit, resume, restart, cancel, conclude.
- ``savepoints.py``  stop/suspend savepoints and user savepoints: trigger, poll, record.
- ``clusters.py``    managed session and dedicated cluster processes.

What to do for each job is decided in ``domain.decisions``; nothing here decides.
"""

from millstream.control.reconciler.actions import TickReport
from millstream.control.reconciler.controller import Reconciler

__all__ = ["Reconciler", "TickReport"]
