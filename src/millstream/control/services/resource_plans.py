"""Resource plan generation (GenerateResourcePlanWithFlinkConfAsync and its result).

``generate_async`` checks the deployment (a SQL deployment of the namespace) and the
Flink configuration, records a ticket EXECUTING and hands the work to a small worker
pool: Flink plans the deployment's SQL with the deployment's configuration plus the
given entries (``DeploymentService.plan_sql``: the real JobGraph), and
``domain.resource_plans.expert_plan`` turns the graph into an EXPERT resource plan. The
outcome is written to the ticket, so any replica answers ``result``; tickets older than
an hour are forgotten.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from millstream.control.context import Scope
from millstream.control.scheduled_plan_ports import ScheduledPlanStore
from millstream.control.services.deployments import DeploymentService
from millstream.domain.artifacts import ArtifactKind
from millstream.domain.deployments import Deployment
from millstream.domain.errors import InvalidInput, MillstreamError, NotFound
from millstream.domain.resource_plans import (
    ResourcePlanTicket,
    TicketStatus,
    expert_plan,
    graph_parallelism,
)

__all__ = ["ResourcePlanService"]

_log = logging.getLogger(__name__)
_TICKET_TTL = timedelta(hours=1)
_MAX_CONF_ENTRIES = 200


def _checked_conf(flink_conf: dict[str, Any]) -> dict[str, str]:
    if len(flink_conf) > _MAX_CONF_ENTRIES:
        raise InvalidInput(f"the Flink configuration has more than {_MAX_CONF_ENTRIES} entries")
    checked: dict[str, str] = {}
    for key, value in flink_conf.items():
        if not isinstance(key, str) or not key.strip() or len(key) > 256:
            raise InvalidInput(f"Flink configuration key {key!r} must be a non-empty string")
        if isinstance(value, dict | list) or value is None:
            raise InvalidInput(f"Flink configuration value of {key!r} must be a plain value")
        checked[key] = str(value).lower() if isinstance(value, bool) else str(value)
    if "parallelism.default" in checked:
        text = checked["parallelism.default"]
        if not text.isdigit() or not 1 <= int(text) <= 32768:
            raise InvalidInput(
                f"parallelism.default must be a whole number between 1 and 32768, got {text!r}"
            )
    return checked


class ResourcePlanService:
    def __init__(
        self,
        store: ScheduledPlanStore,
        deployments: DeploymentService,
        *,
        slots_per_taskmanager: int = 1,
        workers: int = 2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._deployments = deployments
        self._slots = slots_per_taskmanager
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="resource-plan")
        self._clock = clock

    def generate_async(
        self, scope: Scope, deployment_id: str, flink_conf: dict[str, Any]
    ) -> ResourcePlanTicket:
        conf = _checked_conf(flink_conf)
        deployment = self._deployments.get(scope, deployment_id)
        if deployment.artifact.kind is not ArtifactKind.SQLSCRIPT:
            raise InvalidInput(
                f"deployment {deployment_id} runs a {deployment.artifact.kind.value} artifact; "
                "resource plans are generated from the job graph of SQL deployments"
            )
        now = self._clock()
        ticket = ResourcePlanTicket(
            id=str(uuid.uuid4()),
            workspace=scope.workspace,
            namespace=scope.namespace,
            deployment_id=deployment_id,
            status=TicketStatus.EXECUTING,
            created_at=now,
            modified_at=now,
            message="planning the job graph on Flink",
        )
        with self._store.transaction() as repos:
            repos.delete_resource_plan_tickets_before(moment=now - _TICKET_TTL)
            repos.create_resource_plan_ticket(ticket=ticket)
        self._pool.submit(self._run, scope, deployment, conf, ticket)
        return ticket

    def result(self, scope: Scope, ticket_id: str) -> ResourcePlanTicket:
        with self._store.transaction() as repos:
            found = repos.read_resource_plan_ticket(ticket_id=ticket_id)
        if (
            found is None
            or (found.workspace, found.namespace) != (scope.workspace, scope.namespace)
            or found.created_at < self._clock() - _TICKET_TTL
        ):
            raise NotFound(
                f"resource plan ticket {ticket_id!r} not found in namespace {scope.namespace!r} "
                "(tickets are kept for an hour)"
            )
        return found

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(
        self,
        scope: Scope,
        deployment: Deployment,
        conf: dict[str, str],
        ticket: ResourcePlanTicket,
    ) -> None:
        try:
            outcome = dataclasses.replace(
                ticket,
                status=TicketStatus.FINISHED,
                plan=self._generate(scope, deployment, conf),
                message=None,
            )
        except MillstreamError as exc:
            outcome = dataclasses.replace(ticket, status=TicketStatus.FAILED, message=str(exc))
        except Exception as exc:  # recorded on the ticket: the caller polls for it
            _log.exception("resource plan generation failed")
            outcome = dataclasses.replace(
                ticket,
                status=TicketStatus.FAILED,
                message=f"resource plan generation failed: {exc}",
            )
        outcome = dataclasses.replace(outcome, modified_at=self._clock())
        with self._store.transaction() as repos:
            repos.update_resource_plan_ticket(ticket=outcome)

    def _generate(self, scope: Scope, deployment: Deployment, conf: dict[str, str]) -> str:
        resources = deployment.resources
        merged: dict[str, Any] = {**deployment.flink_conf, **resources.flink_conf(), **conf}
        parallelism = int(merged.get("parallelism.default") or resources.effective_parallelism())
        merged["parallelism.default"] = str(parallelism)
        graph = self._deployments.plan_sql(
            scope,
            deployment.artifact.sql_script or "",
            execution_mode=deployment.execution_mode,
            flink_conf=merged,
        )
        top = merged.get("pipeline.max-parallelism")
        try:
            return expert_plan(
                graph,
                resources,
                parallelism=graph_parallelism(graph, parallelism),
                max_parallelism=int(top) if top is not None else None,
                slots_per_taskmanager=int(
                    merged.get("taskmanager.numberOfTaskSlots") or self._slots
                ),
            )
        except ValueError as exc:
            raise InvalidInput(f"no resource plan for this job: {exc}") from exc
