"""The Huawei Cloud DLI v1.0 Flink-job dialect (``huaweicloudsdkdli``), one package.

REST under ``/v1.0/{project_id}/``: ``jobs`` (the Flink job operations of seed 002 and
its family), ``metrics`` (ShowFlinkMetric), ``graph`` (CreateFlinkSqlJobGraph, the
SDK's one ``/v3/`` path), ``transfer`` (export and import), ``templates`` (Flink SQL job
templates), ``queues``, ``savepoints`` (ImportFlinkJobSavepoint).
The ``SDK-HMAC-SHA256`` signature (``signature``), the ``is_success`` / ``message``
envelope with ``{"error_code": "DLI.xxxx", "error_msg"}`` errors and
``X-Request-Id`` (``envelope``, ``errors``), the state table (``states``), integer job
ids (``ids``), the project -> namespace mapping (``context``), wire models (``schemas``)
and mappers to and from the domain (``mappers``). ``DLI`` is the value the server lists
among its dialects.
"""

from millstream.api.dialect import Dialect
from millstream.api.dli import graph, jobs, metrics, queues, savepoints, templates, transfer
from millstream.api.dli.errors import DLI_CODES
from millstream.api.dli.operations import DIALECT
from millstream.api.dli.routing import DliRoute
from millstream.api.dli.signature import DliVerifier
from millstream.api.dli.states import JOB_STATES

__all__ = ["DLI"]

DLI = Dialect(
    name=DIALECT,
    route_class=DliRoute,
    routers=[
        transfer.router,
        jobs.router,
        metrics.router,
        graph.router,
        templates.router,
        queues.router,
        savepoints.router,
    ],
    verifiers=[DliVerifier()],
    # Every failure under it (unknown paths, wrong methods, 413) answers in DLI's envelope.
    # (``/v3/``: the SDK's create_flink_sql_job_graph path.)
    prefixes=("/v1.0/", "/v3/"),
    error_codes=DLI_CODES,
    job_states=JOB_STATES,
)
