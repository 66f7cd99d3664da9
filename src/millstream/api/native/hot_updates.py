"""Native HotUpdateJob and GetHotUpdateJobResult: rescale a running job or change its
Flink configuration as one tracked operation.

``POST .../jobs/{job_id}:hotUpdate`` (the SDK sends ``%3AhotUpdate``) takes an optional
``HotUpdateJobParams``: SDK 1.14 sends none, then the deployment's current parallelism and
flinkConf are applied.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from typing import Any

from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.json_shape import JsonObject
from millstream.api.native import states
from millstream.api.native.params import NAMESPACE, Identifier
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.api.native.schemas import WireModel
from millstream.control.services.hot_updates import HotUpdateService
from millstream.domain.hot_updates import HotUpdate, HotUpdateChange

__all__ = ["HotUpdateJobParams", "hot_update_to_wire", "router"]

router = native_router()


class RescaleJobParam(WireModel):
    job_parallelism: int | None = None


class UpdateJobConfigParam(WireModel):
    new_flink_conf: JsonObject | None = None


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


def _hot_updates(ctx: RequestContext) -> HotUpdateService:
    if ctx.services.hot_updates is None:
        raise not_enabled("hot updates")
    return ctx.services.hot_updates


@router.post(NAMESPACE + "/jobs/{job_id}:hotUpdate", name="HotUpdateJob")
def hot_update_job(
    ctx: Ctx, job_id: Identifier, body: HotUpdateJobParams | None = None
) -> JSONResponse:
    found = _hot_updates(ctx).request(
        ctx.scope,
        ctx.actor,
        job_id,
        body.change() if body is not None else None,
        request_id=ctx.request_id,
    )
    return ok(ctx, hot_update_to_wire(found))


@router.get(NAMESPACE + "/jobs/hot-updates/{job_hot_update_id}", name="GetHotUpdateJobResult")
def get_hot_update_job_result(ctx: Ctx, job_hot_update_id: Identifier) -> JSONResponse:
    return ok(ctx, hot_update_to_wire(_hot_updates(ctx).get(ctx.scope, job_hot_update_id)))


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
            "status": states.HOT_UPDATE_STATUSES[hot_update.status],
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
        "phase": states.HOT_UPDATE_PHASES[hot_update.phase],
    }
