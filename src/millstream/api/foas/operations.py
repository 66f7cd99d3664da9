"""The operations of the foas 2018-11-11 dialect (``spec/ops/foas-2018-11-11.tsv``: the
62 documented operations and the five more of ``aliyun-python-sdk-foas``), each one's
access: read or write, for roles and the audit log.

Every operation is ``scoped=False`` for the shared guard: the project of the path is
resolved (and the caller's role there checked) by ``context.open_project``; operations
outside any project (clusters, tags) are checked in the default namespace. Names are the
SDK's request classes without ``Request``; the POSTs that only read (``GetInstanceMetric``,
``GetClusterMetrics``) are reads.
"""

from __future__ import annotations

from millstream.api.dialect import OperationTable, read, write

__all__ = ["DIALECT", "OPERATIONS", "READS", "WRITES"]

DIALECT = "foas"

READS = (
    "BatchGetInstanceRunSummary",
    "CalcPlanJsonResource",
    "CheckRawPlanJson",
    "GetClusterDetails",
    "GetClusterEngineVersions",
    "GetClusterMetrics",
    "GetClusterQueueInfo",
    "GetClusterResource",
    "GetFolder",
    "GetInstance",
    "GetInstanceCheckpoint",
    "GetInstanceConfig",
    "GetInstanceDetail",
    "GetInstanceExceptions",
    "GetInstanceFinalState",
    "GetInstanceHistoryAutoScalePlanContent",
    "GetInstanceHistoryAutoScalePlanList",
    "GetInstanceMetric",
    "GetInstanceResource",
    "GetInstanceRunSummary",
    "GetJob",
    "GetJobLatestAutoScalePlan",
    "GetPackage",
    "GetProject",
    "GetRawPlanJson",
    "GetRefPackageJob",
    "ListChildFolder",
    "ListCluster",
    "ListInstance",
    "ListJob",
    "ListPackage",
    "ListProject",
    "ListProjectBindQueue",
    "ListProjectBindQueueResource",
    "ListTagResources",
    "ValidateJob",
)

WRITES = (
    "BindQueue",
    "CommitJob",
    "CreateCellClusterOrder",
    "CreateCluster",
    "CreateFolder",
    "CreateJob",
    "CreatePackage",
    "CreateProject",
    "CreateQueue",
    "DeleteFolder",
    "DeleteJob",
    "DeletePackage",
    "DeleteProject",
    "DeleteQueue",
    "DestroyCluster",
    "ExpandCluster",
    "MVFolder",
    "ModifyInstanceState",
    "ModifyMasterSpec",
    "OfflineJob",
    "ShrinkCluster",
    "StartJob",
    "TagResources",
    "UnbindQueue",
    "UntagResources",
    "UpdateAutoScaleConfig",
    "UpdateJob",
    "UpdatePackage",
    "UpdateProject",
    "UpdateProjectConfig",
    "UpdateQueue",
)

OPERATIONS = OperationTable(
    DIALECT,
    [read(name, scoped=False) for name in READS] + [write(name, scoped=False) for name in WRITES],
)
