"""Native GetJobDiagnosis: a job's health findings (``JobDiagnosis``), grouped as the SDK's
``JobDiagnosisSymptoms``."""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from typing import Any

from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native.params import NAMESPACE, Identifier
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.control.services.diagnosis import DiagnosisReport, DiagnosisService
from millstream.domain.diagnosis import Finding, FindingCategory

__all__ = ["diagnosis_service", "diagnosis_to_wire", "router"]

router = native_router()

_SYMPTOM_GROUPS = ("startup", "runtime", "state", "troubleshooting", "others")


def diagnosis_service(ctx: RequestContext) -> DiagnosisService:
    if ctx.services.diagnosis is None:
        raise not_enabled("job diagnoses")
    return ctx.services.diagnosis


@router.get(
    NAMESPACE + "/deployments/{deployment_id}/jobs/{job_id}/job-diagnoses/lite",
    name="GetJobDiagnosis",
)
def get_job_diagnosis(ctx: Ctx, deployment_id: Identifier, job_id: Identifier) -> JSONResponse:
    report = diagnosis_service(ctx).diagnose(ctx.scope, deployment_id, job_id)
    return ok(ctx, diagnosis_to_wire(report), accessDeniedDetail="")


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
