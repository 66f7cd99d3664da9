"""The Alibaba Cloud Realtime Compute (foas, API 2018-11-11) dialect
(``aliyun-python-sdk-foas``), one package.

ROA REST under ``/api/v2/projects/...`` and ``/api/v2/clusters...`` with the SDK's
``acs AK:signature`` HMAC-SHA1 (``api.auth.roa``) or the document's own query signature
for people who sign by hand (``api.auth.rpc_query``), and form-urlencoded bodies
(``routing``); the ``{"RequestId", ...}`` envelope with ``{"Code", "Message",
"HostId"}`` errors, JSON or XML (``envelope``, ``errors``); the state table
(``states``); integer instance ids (``ids``); projects -> namespaces and their profiles
(``context``, ``projects``, ``project_profiles``); jobs -> deployments by ``jobName``
(``jobs``, ``mappers``); instances -> jobs (``instances``); autoscaling settings and
plans (``autoscale``); queues (``queues``),
clusters, folders, packages, tags (``scan``: what jobs refer to); the operations not
built answer 501 ``NotImplemented`` with the reason (``unbuilt``); cluster sizes and
resizes are in ``cluster_changes`` and ``machines``. ``FOAS`` is the value the server
lists among its dialects.
"""

from millstream.api.auth.roa import RoaVerifier
from millstream.api.auth.rpc_query import RpcQueryVerifier
from millstream.api.dialect import Dialect
from millstream.api.foas import (
    autoscale,
    clusters,
    folders,
    instances,
    jobs,
    metrics,
    packages,
    plans,
    projects,
    queues,
    tags,
    unbuilt,
)
from millstream.api.foas.errors import FOAS_CODES
from millstream.api.foas.operations import DIALECT
from millstream.api.foas.routing import FoasRoute
from millstream.api.foas.states import JOB_STATES

__all__ = ["FOAS"]

FOAS = Dialect(
    name=DIALECT,
    route_class=FoasRoute,
    # unbuilt last: a built route of the same path and method always wins.
    routers=[
        projects.router,
        jobs.router,
        instances.router,
        metrics.router,
        plans.router,
        autoscale.router,
        queues.router,
        clusters.router,
        folders.router,
        packages.router,
        tags.router,
        unbuilt.router,
    ],
    verifiers=[RoaVerifier(), RpcQueryVerifier()],
    # Longer than the native dialect's "/api/v2/": failures under these paths (unknown
    # paths, wrong methods, 413) answer in the foas envelope.
    prefixes=(
        "/api/v2/projects/",
        "/api/v2/clusters/",
        "/api/v2/cluster/",
        "/api/v2/project/",
        "/api/v2/realtime-compute/",
    ),
    paths=("/api/v2/projects", "/api/v2/clusters"),
    error_codes=FOAS_CODES,
    job_states=JOB_STATES,
)
