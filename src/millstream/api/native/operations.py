"""Job operations of the native dialect: HotUpdateJob, GetHotUpdateJobResult,
GetJobDiagnosis and FlinkApiProxy, at exactly the paths the official SDK sends
(``/work/shared/spec/ops/ververica-2022-07-18.tsv``).

- ``POST /api/v2/namespaces/{ns}/jobs/{job_id}:hotUpdate`` (the SDK sends ``%3AhotUpdate``;
  the ASGI server decodes it). Body ``HotUpdateJobParams`` — optional, because SDK 1.14
  sends none: then the deployment's current parallelism and flinkConf are applied.
- ``GET /api/v2/namespaces/{ns}/jobs/hot-updates/{job_hot_update_id}``
- ``GET /api/v2/namespaces/{ns}/deployments/{deployment_id}/jobs/{job_id}/job-diagnoses/lite``
- ``GET /flink-ui/v2/proxy?flinkApiPath=&namespace=&resourceId=&resourceType=``; ``data``
  is Flink's JSON answer as a string (FlinkApiProxyResponseBody.data is a string).

The app factory mounts this router before the native one (whose ``/api/v2`` catch-all
would otherwise answer these paths).
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from millstream.api.native.errors import NativeRoute, ok_response
from millstream.api.native.schemas import WireModel
from millstream.control.context import Actor, Scope
from millstream.control.services.diagnosis import DiagnosisReport, DiagnosisService, ProxyResource
from millstream.control.services.hot_updates import HotUpdateService
from millstream.domain.diagnosis import Finding, FindingCategory
from millstream.domain.errors import InvalidInput
from millstream.domain.hot_updates import HotUpdate, HotUpdateChange

__all__ = ["HotUpdateJobParams", "build_operations_router"]

_PREFIX = "/api/v2/namespaces/{namespace}"
_SYMPTOM_GROUPS = ("startup", "runtime", "state", "troubleshooting", "others")

Authenticate = Callable[[Request], Actor | Awaitable[Actor]]
Identifier = Annotated[str, Path(min_length=1, max_length=256)]


class RescaleJobParam(WireModel):
    job_parallelism: int | None = None


class UpdateJobConfigParam(WireModel):
    new_flink_conf: dict[str, Any] | None = None


class HotUpdateJobParams(WireModel):
    """SDK ``HotUpdateJobParams``."""

    rescale_job_param: RescaleJobParam | None = None
    update_job_config_param: UpdateJobConfigParam | None = None

    def change(self) -> HotUpdateChange:
        return HotUpdateChange(
            parallelism=self.rescale_job_param.job_parallelism if self.rescale_job_param else None,
            flink_conf=(
                self.update_job_config_param.new_flink_conf
                if self.update_job_config_param
                else None
            ),
        )


def build_operations_router(
    hot_updates: HotUpdateService,
    diagnosis: DiagnosisService,
    proxy: DiagnosisService,
    authenticate: Authenticate,
    *,
    default_workspace: str = "default",
) -> APIRouter:
    """The four operations; ``authenticate`` is the namespace-role guard of the app."""
    router = APIRouter(route_class=NativeRoute)
    Caller = Annotated[Actor, Depends(authenticate)]
    Workspace = Annotated[str | None, Header()]
    Namespace = Annotated[str, Path(min_length=1, max_length=128)]

    def scope(namespace: str, workspace: str | None) -> Scope:
        return Scope(workspace=workspace or default_workspace, namespace=namespace)

    @router.post(_PREFIX + "/jobs/{job_id}:hotUpdate")
    def hot_update_job(
        request: Request,
        actor: Caller,
        namespace: Namespace,
        job_id: Identifier,
        body: HotUpdateJobParams | None = None,
        workspace: Workspace = None,
    ) -> JSONResponse:
        request_id: str = request.state.request_id
        found = hot_updates.request(
            scope(namespace, workspace),
            actor,
            job_id,
            body.change() if body is not None else None,
            request_id=request_id,
        )
        return ok_response(request_id, hot_update_to_wire(found))

    @router.get(_PREFIX + "/jobs/hot-updates/{job_hot_update_id}")
    def get_hot_update_job_result(
        request: Request,
        actor: Caller,  # noqa: ARG001 (authentication and namespace role)
        namespace: Namespace,
        job_hot_update_id: Identifier,
        workspace: Workspace = None,
    ) -> JSONResponse:
        found = hot_updates.get(scope(namespace, workspace), job_hot_update_id)
        return ok_response(request.state.request_id, hot_update_to_wire(found))

    @router.get(_PREFIX + "/deployments/{deployment_id}/jobs/{job_id}/job-diagnoses/lite")
    def get_job_diagnosis(
        request: Request,
        actor: Caller,  # noqa: ARG001
        namespace: Namespace,
        deployment_id: Identifier,
        job_id: Identifier,
        workspace: Workspace = None,
    ) -> JSONResponse:
        report = diagnosis.diagnose(scope(namespace, workspace), deployment_id, job_id)
        return ok_response(
            request.state.request_id, diagnosis_to_wire(report), accessDeniedDetail=""
        )

    async def proxy_caller(request: Request) -> Actor:
        # The namespace is a query parameter here: hand it to the namespace guard the
        # way a path parameter would be, so roles apply as on every other route.
        namespace = request.query_params.get("namespace")
        if not namespace or len(namespace) > 128:
            raise InvalidInput("namespace is required")
        request.scope["path_params"] = {**request.path_params, "namespace": namespace}
        actor = authenticate(request)
        return await actor if inspect.isawaitable(actor) else actor

    @router.get("/flink-ui/v2/proxy")
    def flink_api_proxy(
        request: Request,
        actor: Annotated[Actor, Depends(proxy_caller)],  # noqa: ARG001
        namespace: Annotated[str, Query(min_length=1, max_length=128)],
        flink_api_path: Annotated[str, Query(alias="flinkApiPath", min_length=1)],
        resource_id: Annotated[str, Query(alias="resourceId", min_length=1)],
        resource_type: Annotated[str, Query(alias="resourceType", min_length=1)],
        workspace: Workspace = None,
    ) -> JSONResponse:
        resource = ProxyResource.parse(resource_type, resource_id)
        answer = proxy.proxy(scope(namespace, workspace), resource, flink_api_path)
        return ok_response(request.state.request_id, json.dumps(answer, separators=(",", ":")))

    return router


# --------------------------------------------------------------------------- wire


def hot_update_to_wire(hot_update: HotUpdate) -> dict[str, Any]:
    """SDK ``HotUpdateJobResult``; extra fields (ignored by the SDK) name the jobs and
    the savepoint of the operation."""
    failure = hot_update.failure
    change = hot_update.change
    params: dict[str, Any] = {}
    if change.parallelism is not None:
        params["rescaleJobParam"] = {"jobParallelism": change.parallelism}
    if change.flink_conf:
        params["updateJobConfigParam"] = {"newFlinkConf": change.flink_conf}
    return {
        "jobHotUpdateId": hot_update.id,
        "jobId": hot_update.current_job_id,
        "status": {
            "status": hot_update.status.value,
            "requestId": hot_update.request_id,
            "failure": (
                None
                if failure is None
                else {
                    "failureSeverity": failure.severity,
                    "message": failure.message,
                    "reason": failure.reason,
                }
            ),
        },
        "targetResourceSetting": {
            "flinkConf": hot_update.target_flink_conf,
            "streamingResourceSetting": {
                "resourceSettingMode": "BASIC",
                "basicResourceSetting": {"parallelism": hot_update.target_parallelism},
            },
        },
        "hotUpdateParams": params,
        "sourceJobId": hot_update.job_id,
        "newJobId": hot_update.new_job_id,
        "savepointId": hot_update.savepoint_id,
        "phase": hot_update.phase.value,
    }


def _symptom(finding: Finding) -> dict[str, Any]:
    return {
        "name": finding.name,
        "description": finding.description,
        "recommendation": finding.recommendation,
        "severity": finding.severity.value,
    }


def diagnosis_to_wire(report: DiagnosisReport) -> dict[str, Any]:
    """SDK ``JobDiagnosis``: symptoms grouped as ``JobDiagnosisSymptoms``."""
    result = report.diagnosis
    symptoms: dict[str, Any] = {
        group: [_symptom(f) for f in result.in_category(FindingCategory(group))]
        for group in _SYMPTOM_GROUPS
    }
    autopilot = result.in_category(FindingCategory.AUTOPILOT)
    symptoms["autopilot"] = _symptom(autopilot[0]) if autopilot else None
    return {
        "diagnoseId": report.id,
        "diagnoseTime": int(report.diagnosed_at.timestamp() * 1000),
        "healthScore": result.health_score,
        "riskLevel": result.risk_level.value,
        "namespace": report.job.namespace,
        "workspace": report.job.workspace,
        "symptoms": symptoms,
        "jobId": report.job.id,
        "deploymentId": report.job.deployment_id,
    }
