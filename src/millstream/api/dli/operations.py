"""The operations of the DLI dialect (``spec/ops/huawei-dli.tsv``, the Flink job and
queue ones), each one's access: read or write, for roles and the audit log.

Every operation is ``scoped=False`` for the shared guard: the project's scope is resolved
by ``context.open_project`` (the path's ``project_id``: the namespace configured for it,
else one named like it, else the default namespace), which checks the caller's role
there before anything runs.
Names are the SDK's methods in PascalCase (``create_flink_jar_job`` ->
``CreateFlinkJarJob``); ``ShowFlinkMetric``-style reads sent as POSTs are reads.
"""

from __future__ import annotations

from millstream.api.dialect import OperationTable, read, write

__all__ = ["DIALECT", "OPERATIONS"]

DIALECT = "dli"

OPERATIONS = OperationTable(
    DIALECT,
    [
        write("CreateFlinkJarJob", scoped=False),
        write("UpdateFlinkJarJob", scoped=False),
        write("CreateFlinkSqlJob", scoped=False),
        write("UpdateFlinkSqlJob", scoped=False),
        read("ListFlinkJobs", scoped=False),
        read("ShowFlinkJob", scoped=False),
        read("ShowFlinkJobExecutionGraph", scoped=False),
        write("BatchRunFlinkJobs", scoped=False),
        write("BatchStopFlinkJobs", scoped=False),
        write("DeleteFlinkJob", scoped=False),
        write("BatchDeleteFlinkJobs", scoped=False),
        write("ExecuteFlinkJobSavepoint", scoped=False),
        write("ExportFlinkJobs", scoped=False),
        write("ImportFlinkJobs", scoped=False),
        write("CreateFlinkSqlJobTemplate", scoped=False),
        write("UpdateFlinkSqlJobTemplate", scoped=False),
        write("DeleteFlinkSqlJobTemplate", scoped=False),
        read("ListFlinkSqlJobTemplates", scoped=False),
        read("ListQueues", scoped=False),
        read("ShowQueue", scoped=False),
        write("CreateQueue", scoped=False),
        write("DeleteQueue", scoped=False),
        read("ShowFlinkMetric", scoped=False),
        read("CreateFlinkSqlJobGraph", scoped=False),
        write("ImportFlinkJobSavepoint", scoped=False),
    ],
)
