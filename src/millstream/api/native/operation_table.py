"""Every operation the native dialect serves, read or write (``api.dialect.operations``).

Names are the official SDK's action names (``spec/ops/ververica-2022-07-18.tsv``), plus
Millstream's extensions (artifact files, job logs, access keys, audit). A route is named
after its operation (``@router.get(path, name="GetJob")``); RBAC and the audit log
decide from this table alone. Reads that are POSTs (``ValidateSqlStatement``) and writes
that are GETs (``GetPreSignedUrlForPutObject`` hands out an upload URL) are declared as
what they do.
"""

from millstream.api.dialect.operations import OperationTable, read, write

__all__ = ["OPERATIONS"]

OPERATIONS = OperationTable(
    "native",
    [
        # deployments
        write("CreateDeployment"),
        read("GetDeployment"),
        read("ListDeployments"),
        read("GetDeploymentsByName"),
        read("GetDeploymentsByLabel"),
        read("GetDeploymentsByIp"),
        write("UpdateDeployment"),
        write("UpdateDeploymentByName"),
        write("DeleteDeployment"),
        write("DeleteDeploymentByName"),
        # jobs
        write("StartJobWithParams"),
        write("StartJob"),
        read("ListJobs"),
        read("GetJob"),
        write("StopJob"),
        write("SuspendJob"),  # Millstream extension
        write("ResumeJob"),  # Millstream extension
        write("DeleteJob"),
        write("HotUpdateJob"),
        read("GetHotUpdateJobResult"),
        read("GetJobDiagnosis"),
        read("FlinkApiProxy"),
        read("GetLatestJobStartLog"),
        read("GetJobLogs"),
        # savepoints, events
        write("CreateSavepoint"),
        read("GetSavepoint"),
        read("ListSavepoints"),
        write("DeleteSavepoint"),
        # periodic savepoints of a deployment (Millstream extension)
        read("GetSavepointSchedule"),
        write("PutSavepointSchedule"),
        write("DeleteSavepointSchedule"),
        # health checks and rollback of a deployment (Millstream extension)
        read("GetDeploymentHealth"),
        read("GetHealthPolicy"),
        write("PutHealthPolicy"),
        write("DeleteHealthPolicy"),
        # a job's insides from Flink and its kept metric series (Millstream extension)
        read("GetJobGraph"),
        read("ListJobVertexMetrics"),
        read("GetJobCheckpoints"),
        read("ListJobExceptions"),
        read("GetJobConfiguration"),
        read("ListJobTaskManagers"),
        read("GetJobMetricHistory"),
        read("ListJobLoads"),
        # alert rules and their firing alerts (Millstream extension)
        write("CreateAlertRule"),
        read("ListAlertRules"),
        read("GetAlertRule"),
        write("DeleteAlertRule"),
        read("ListAlerts"),
        read("GetEvents"),
        # Autopilot: the autoscaler's settings and recorded plans (shared with foas)
        read("GetAutopilotPolicy"),
        write("UpdateAutopilotPolicy"),
        read("ListAutopilotTuningHistories"),
        # Patrol: inspections of the namespace's running jobs (TriggerPatrol runs one)
        read("GetPatrolConfig"),
        write("UpdatePatrolConfig"),
        write("TriggerPatrol"),
        read("ListPatrolReports"),
        read("GetPatrolReportDetail"),
        # Lineage of SQL deployments (a POST that only reads)
        read("GetLineageInfo"),
        # EXPERT resource plans from Flink's job graph (a background ticket)
        write("GenerateResourcePlanWithFlinkConfAsync"),
        read("GetGenerateResourcePlanResult"),
        # Scheduled plans: time-of-day resource changes applied through hot updates
        write("CreateScheduledPlan"),
        write("UpdateScheduledPlan"),
        write("DeleteScheduledPlan"),
        read("ListScheduledPlan"),
        write("ApplyScheduledPlan"),
        write("StopApplyScheduledPlan"),
        read("GetAppliedScheduledPlan"),
        read("ListScheduledPlanExecutedHistory"),
        # ChatAiAgent: always a documented NotFound (no AI agent); a read, it changes nothing
        read("ChatAiAgent"),
        # SQL and engine versions: validation only reads, whatever its method
        read("ValidateSqlStatement"),
        read("ListEngineVersionMetadata", scoped=False),
        # artifacts (files of a namespace)
        write("UploadArtifact"),
        write("PutArtifact"),
        read("ListArtifacts"),
        read("DownloadArtifact"),
        write("DeleteArtifact"),
        write("GetPreSignedUrlForPutObject"),  # issues an upload URL: a write
        # the pre-signed PUT itself: no caller, the URL's signature is the credential
        write("PutPreSignedObject", scoped=False),
        # session clusters and deployment targets
        write("CreateSessionCluster"),
        read("ListSessionClusters"),
        read("GetSessionCluster"),
        write("UpdateSessionCluster"),
        write("StartSessionCluster"),
        write("StopSessionCluster"),
        write("DeleteSessionCluster"),
        write("CreateDeploymentTarget"),
        read("ListDeploymentTargets"),
        write("UpdateDeploymentTarget"),
        write("DeleteDeploymentTarget"),
        # variables
        write("CreateVariable"),
        read("ListVariables"),
        write("UpdateVariable"),
        write("DeleteVariable"),
        # folders (the tree foas serves too) and the SQL files filed in them
        write("CreateFolder"),
        read("GetFolder"),
        write("UpdateFolder"),
        write("DeleteFolder"),
        write("CreateSqlFile"),
        read("GetSqlFile"),
        write("UpdateSqlFile"),
        write("DeleteSqlFile"),
        # the namespace's persistent catalog (vvp) and interactive queries
        write("ExecuteSqlStatement"),
        read("GetCatalogs"),
        read("GetDatabases"),
        read("GetTables"),
        # a preview writes nothing, but runs a job on the cluster: editors start them
        write("SubmitSqlPreview"),
        read("FetchSqlPreviewResults"),
        write("CancelSqlPreview"),
        write("StartSqlExecution"),
        read("FetchSqlExecutionResult"),
        write("StopSqlExecution"),
        # UDF artifacts, functions and custom connectors (jars that extend SQL)
        write("CreateUdfArtifact"),
        read("GetUdfArtifacts"),
        write("UpdateUdfArtifact"),
        write("DeleteUdfArtifact"),
        write("RegisterUdfFunction"),
        write("DeleteUdfFunction"),
        write("RegisterCustomConnector"),
        read("ListCustomConnectors"),
        write("DeleteCustomConnector"),
        # deployment drafts (issue 17): one editor at a time, validate/deploy in background
        write("CreateDeploymentDraft"),
        read("GetDeploymentDraft"),
        read("ListDeploymentDrafts"),
        write("UpdateDeploymentDraft"),
        write("DeleteDeploymentDraft"),
        write("GetDeploymentDraftLock"),
        read("ValidateDeploymentDraftAsync"),  # only plans the SQL, as ValidateSqlStatement
        read("GetValidateDeploymentDraftResult"),
        write("DeployDeploymentDraftAsync"),
        read("GetDeployDeploymentDraftResult"),
        # the specs deploys replaced, and rollback to one (Millstream extensions)
        read("ListDeploymentSpecRevisions"),
        write("RollbackDeployment"),
        # members: AccessService checks the caller's role itself (owners manage)
        write("CreateMember", scoped=False),
        write("UpdateMember", scoped=False),
        read("ListMembers", scoped=False),
        read("GetMember", scoped=False),
        write("DeleteMember", scoped=False),
        read("ListEditableNamespace", scoped=False),
        # Millstream's admin API (api.admin): keys and audit, checked by AccessService
        write("CreateAccessKey", scoped=False),
        read("ListAccessKeys", scoped=False),
        write("DisableAccessKey", scoped=False),
        write("EnableAccessKey", scoped=False),
        write("RevokeAccessKey", scoped=False),
        read("ReadAuditLog", scoped=False),
        # queues (installation-wide CU quotas): the queue routes check writers themselves
        read("ListQueues", scoped=False),
        read("GetQueue", scoped=False),
        write("CreateQueue", scoped=False),
        write("UpdateQueue", scoped=False),
        write("DeleteQueue", scoped=False),
    ],
)
