"""Job operations of the native dialect, kept importable from their first home: the
routes live in ``hot_updates`` (HotUpdateJob, GetHotUpdateJobResult), ``diagnoses``
(GetJobDiagnosis) and ``flink_proxy`` (FlinkApiProxy); ``build_operations_router`` serves
the three alone over the given services (tests and tools)."""

from __future__ import annotations

from fastapi import APIRouter

from millstream.api.dialect import Guard
from millstream.api.native import diagnoses, flink_proxy, hot_updates
from millstream.api.native.diagnoses import diagnosis_to_wire
from millstream.api.native.hot_updates import HotUpdateJobParams, hot_update_to_wire
from millstream.api.native.standalone import standalone_router
from millstream.control.services.diagnosis import DiagnosisService
from millstream.control.services.hot_updates import HotUpdateService

__all__ = [
    "HotUpdateJobParams",
    "build_operations_router",
    "diagnosis_to_wire",
    "hot_update_to_wire",
]


def build_operations_router(
    hot_update_service: HotUpdateService,
    diagnosis: DiagnosisService,
    proxy: DiagnosisService,
    authenticate: Guard,
    *,
    default_workspace: str = "default",
) -> APIRouter:
    """HotUpdateJob, GetHotUpdateJobResult, GetJobDiagnosis and FlinkApiProxy alone.
    ``proxy`` must be ``diagnosis`` (one service serves both since the seam)."""
    if proxy is not diagnosis:
        raise ValueError("diagnosis and the Flink API proxy are one service")
    return standalone_router(
        [hot_updates.router, diagnoses.router, flink_proxy.router],
        authenticate,
        default_workspace,
        hot_updates=hot_update_service,
        diagnosis=diagnosis,
    )
