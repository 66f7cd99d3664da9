"""Everything Flink: REST client, the embedded local cluster, job submitters and the
``Engine`` / ``FlinkCluster`` ports' implementations. The app factory wires
``FlinkEngine`` (and, when ``flink.embedded``, a ``LocalCluster``) into control/."""

from millstream.engine.engine import FlinkEngine
from millstream.engine.flink_cluster import RestFlinkCluster
from millstream.engine.local_cluster import LocalCluster
from millstream.engine.rest import (
    FlinkNotFound,
    FlinkRequestRejected,
    FlinkRestClient,
    FlinkServerError,
)
from millstream.engine.runtime import FlinkRuntime

__all__ = [
    "FlinkEngine",
    "FlinkNotFound",
    "FlinkRequestRejected",
    "FlinkRestClient",
    "FlinkRuntime",
    "FlinkServerError",
    "LocalCluster",
    "RestFlinkCluster",
]
