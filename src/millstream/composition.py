"""The composition root: builds store, engine, services and reconciler, and the HTTP app.

``server.serve`` (``millstream up``) and the API workers call ``build_runtime`` +
``create_app``; so do tests. With ``leader_tasks`` it is the only place that knows every
concrete adapter.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from millstream.api.app import create_api
from millstream.api.dialect import Dialect
from millstream.api.dli import DLI
from millstream.api.foas import FOAS
from millstream.api.native import NATIVE
from millstream.api.volcengine import VOLCENGINE
from millstream.config import Settings
from millstream.control.bootstrap import ensure_default_queue, ensure_defaults
from millstream.control.daemon import ReconcilerDaemon
from millstream.control.engine_versions import EngineVersions
from millstream.control.heap import HeapFreezer
from millstream.control.hot_updates import HotUpdateCoordinator
from millstream.control.notifier import Notifier
from millstream.control.reconciler import Reconciler
from millstream.control.services import (
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.services.access import AccessService
from millstream.control.services.artifacts import ArtifactService
from millstream.control.services.clusters import ClusterService
from millstream.control.services.diagnosis import DiagnosisService
from millstream.control.services.drafts import DraftService
from millstream.control.services.external_keys import ExternalKeys
from millstream.control.services.folders import FolderService
from millstream.control.services.hot_updates import HotUpdateService
from millstream.control.services.locator import Locator
from millstream.control.services.logs import LogService
from millstream.control.services.namespaces import NamespaceService
from millstream.control.services.packages import PackageService
from millstream.control.services.queues import QueueService
from millstream.control.services.sql_catalog import SqlCatalogService, with_catalog
from millstream.control.services.sql_files import SqlFileService
from millstream.control.services.sql_previews import SqlPreviewService
from millstream.control.services.tags import TagService
from millstream.control.services.udfs import UdfService
from millstream.control.services.variables import VariableService
from millstream.control.throttle import FailureThrottle
from millstream.domain.clusters import MANAGED_KINDS, Cluster, ClusterKind
from millstream.domain.queues import cluster_capacity_cu
from millstream.engine.artifacts import FsspecArtifactStore, load_signing_key
from millstream.engine.cluster_manager import ClusterManager, FlinkProbe
from millstream.engine.engine import FlinkEngine
from millstream.engine.flink_user import can_reach, flink_os_user, prepare_data_dir
from millstream.engine.inspect import FlinkInspector
from millstream.engine.local_cluster import LocalCluster
from millstream.engine.logs import FileLogArchive, FlinkLogReader
from millstream.engine.runtime import FlinkRuntime
from millstream.engine.runtime_registry import RuntimeRegistry
from millstream.engine.runtimes import runtimes_dir
from millstream.engine.sql_session import LocalSqlSessions
from millstream.engine.uris import ArtifactResolver
from millstream.leader_tasks import wire_leader_tasks
from millstream.observability import (
    FlinkJobCollector,
    HeartbeatCollector,
    Metrics,
    QueueCollector,
    RequestMetrics,
    TickObserver,
    metrics_router,
)
from millstream.observability.latest_samples import SqlLatestSamples
from millstream.store import SqlStore, leader_lock_for, upgrade
from millstream.store.access import SqlAccessStore
from millstream.store.catalog import SqlCatalogStore
from millstream.store.cipher import SECRET_KEY_FILE, load_cipher
from millstream.store.drafts import DraftStore
from millstream.store.external_keys import SqlExternalKeyStore
from millstream.store.hot_updates import SqlHotUpdateStore
from millstream.store.namespaces import SqlNamespaceStore
from millstream.store.nonce_writers import nonce_writer_store
from millstream.store.sql_catalogs import NamespaceCatalogStore
from millstream.store.sql_files import SqlFileStore
from millstream.store.udfs import SqlUdfStore
from millstream.store.variables import SqlVariableStore
from millstream.web import build_console, derive_session_key

__all__ = ["DIALECTS", "Runtime", "build_runtime", "create_app"]

_log = logging.getLogger("millstream")

# The API dialects this server serves: adding one is one line here.
DIALECTS: tuple[Dialect, ...] = (NATIVE, VOLCENGINE, DLI, FOAS)
_START_TOKEN_PURGE_INTERVAL = 3600.0  # seconds; tokens live 24 h, an hour late is fine


@dataclass
class Runtime:
    """Everything one Millstream process runs; ``close`` stops it in reverse order."""

    settings: Settings
    store: SqlStore
    engine: FlinkEngine
    services: Services
    daemon: ReconcilerDaemon
    notifier: Notifier
    access: AccessService
    hot_updates: HotUpdateService
    diagnosis: DiagnosisService
    inspector: FlinkInspector
    clusters: ClusterManager
    cluster_service: ClusterService
    local_cluster: LocalCluster | None = None
    flink_rest_url: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=Metrics)
    nonce_store: SqlAccessStore | None = None

    def close(self, *, stop_flink: bool = True) -> None:
        """``stop_flink=False`` leaves Flink running (a crash-like stop): the next start
        adopts the clusters instead of starting new ones."""
        self.daemon.stop()
        if self.services.drafts is not None:
            self.services.drafts.close()
        if self.services.resource_plans is not None:
            self.services.resource_plans.close()
        if self.services.sql_previews is not None:
            self.services.sql_previews.close()
        if stop_flink:
            self.clusters.stop_all()
        self.engine.close()
        self.inspector.close()
        if stop_flink and self.local_cluster is not None:
            self.local_cluster.stop()
        self.store.engine.dispose()
        if self.nonce_store is not None:
            self.nonce_store.close()


def build_runtime(settings: Settings, *, start_flink: bool = True) -> Runtime:
    """Migrate the store, start (or reach) Flink, wire services and the reconciler."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Before anything writes there: Flink's own user, and a data dir it cannot read.
    flink_runtime = FlinkRuntime.detect(settings.flink.flink_home)
    flink_user = flink_os_user(settings.flink.os_user)
    if flink_user is not None and not can_reach(flink_runtime.home / "bin", flink_user):
        # Isolation needs a Flink distribution its user can run (a virtualenv under a
        # 0700 directory is not): say so and run Flink as the server's user.
        _log.warning(
            "the Flink user %r cannot reach the Flink distribution %s: Flink runs as the "
            "server's user, and jobs can read what the server can; install Millstream "
            "where that user may read it to isolate them",
            flink_user.name,
            flink_runtime.home,
        )
        flink_user = None
    prepare_data_dir(settings.data_dir, flink_user, visible_root=settings.flink.visible_root)
    upgrade(settings.store_url)
    store = SqlStore(settings.store_url)
    artifact_settings = settings.artifacts
    resolver = ArtifactResolver(
        FsspecArtifactStore(
            artifact_settings.root_url or str(settings.data_dir / "artifacts"),
            max_upload_bytes=artifact_settings.max_upload_bytes,
        ),
        cache_dir=settings.data_dir / "artifact-cache",
        scheme_map=artifact_settings.scheme_map,
        allowed_dirs=artifact_settings.allowed_dirs,
        allow_downloads=artifact_settings.allow_downloads,
        allowed_hosts=artifact_settings.allowed_hosts,
        flink_endpoints=lambda: _flink_endpoints(store, settings),
        download_max_bytes=artifact_settings.download_max_bytes,
        download_timeout=artifact_settings.download_timeout,
    )
    # Every installed Flink runtime (the bundled one runs the default cluster).
    registry = RuntimeRegistry(flink_runtime, runtimes_dir(settings))
    engine = FlinkEngine(
        data_dir=settings.data_dir,
        runtime=flink_runtime,
        runtimes=registry,
        request_timeout=settings.flink.request_timeout,
        artifacts=resolver,
        python_executable=settings.flink.python_executable,
        os_user=flink_user,
    )
    local: LocalCluster | None = None
    if settings.flink.external_rest_url:
        rest_url, kind = settings.flink.external_rest_url.rstrip("/"), ClusterKind.EXTERNAL
    else:
        local = LocalCluster(
            data_dir=settings.data_dir,
            flink=settings.flink,
            runtime=flink_runtime,
            os_user=flink_user,
        )
        rest_url, kind = local.rest_url, ClusterKind.EMBEDDED
        if start_flink:
            local.start()
    ensure_defaults(
        store,
        workspace=settings.default_workspace,
        namespace=settings.default_namespace,
        cluster_kind=kind,
        rest_url=rest_url,
    )
    ensure_default_queue(
        store,
        workspace=settings.default_workspace,
        capacity_cu=cluster_capacity_cu(
            taskmanagers=settings.flink.taskmanagers,
            slots_per_taskmanager=settings.flink.taskmanager_slots,
            taskmanager_cpu=1.0,  # Flink's default TaskManager cpu share per process here
            taskmanager_memory=settings.flink.taskmanager_memory,
        ),
    )
    cipher = load_cipher(settings.secret_key, settings.data_dir)
    # The nonce writer (every signed request waits for it) gets a connection of its own:
    # requests holding the shared pool (a deployment being validated by Flink) never
    # keep authentication waiting.
    nonce_store = nonce_writer_store(settings.store_url, store.engine)
    access = AccessService(SqlAccessStore(store.engine), cipher, nonce_store=nonce_store)
    variables = VariableService(SqlVariableStore(store.engine), cipher)
    clusters = ClusterManager(
        data_dir=settings.data_dir,
        flink=settings.flink,
        runtime=flink_runtime,
        startup_timeout=settings.flink.cluster_startup_timeout,
        os_user=flink_user,
        runtimes=registry,
    )
    embedded_logs = local.log_dir if local else None

    def log_dir(cluster: Cluster) -> Path | None:
        if cluster.kind in MANAGED_KINDS:
            return clusters.log_dir(f"{cluster.workspace}/{cluster.name}")
        return embedded_logs if cluster.kind is ClusterKind.EMBEDDED else None

    logs = LogService(
        store,
        FlinkLogReader(local_log_dirs=log_dir, timeout=settings.flink.request_timeout),
        FileLogArchive(settings.data_dir / "logs"),
        max_bytes=settings.logs.max_bytes,
        variables=variables,  # log excerpts never show an Encrypted variable's value
    )
    notifier = Notifier()
    versions = EngineVersions(
        installed=engine.engine_versions,  # runtimes installed later show up
        aliases=settings.flink.version_aliases,
        version_map=settings.flink.version_map,
        python_runtime=flink_runtime.version,  # only the bundled runtime has PyFlink
    )
    # Interactive SQL: a local JVM per statement or query; the namespace's catalog DDL.
    sql_sessions = LocalSqlSessions(runtime=flink_runtime, cache_dir=settings.data_dir / "jars")
    sql_catalog = SqlCatalogService(store, NamespaceCatalogStore(store.engine), sql_sessions)
    # UDF artifacts, functions and custom connectors: planned and submitted with scripts.
    udfs = UdfService(SqlUdfStore(store.engine), engine.jar_scanner(), store)
    services = Services(
        deployments=DeploymentService(
            store,
            engine,
            versions,
            variables=variables,
            artifacts=engine.artifact_checker,
            catalog=sql_catalog.preamble,
            sql_libraries=udfs.libraries_for,
        ),
        jobs=JobService(
            store,
            engine,
            notifier,
            checkpoint_interval=settings.flink.checkpoint_interval,
            variables=variables,
            # The embedded cluster's slots bound a job's parallelism (per-job clusters
            # are sized for their job, an external cluster's size is its own).
            embedded_slots=None
            if settings.flink.per_job_clusters or settings.flink.external_rest_url
            else settings.flink.taskmanagers * settings.flink.taskmanager_slots,
            default_slots=settings.flink.taskmanager_slots,
            catalog=sql_catalog.preamble,
            sql_libraries=udfs.libraries_for,
        ),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace=settings.default_workspace,
        variables=variables,
        logs=logs,
        queues=QueueService(
            store, default_workspace=settings.default_workspace, wake=notifier.wake
        ),
        external_keys=ExternalKeys(SqlExternalKeyStore(store.engine)),
        locator=Locator(store),
        default_namespace=settings.default_namespace,
        artifacts=ArtifactService(
            store,
            engine.artifact_store,
            checker=engine.artifact_checker,
            signing_key=load_signing_key(settings.data_dir / "artifacts-signing.key"),
            presign_ttl=artifact_settings.presign_ttl,
        ),
    )
    hot_update_store = SqlHotUpdateStore(store.engine)
    hot_updates = HotUpdateService(hot_update_store, services.jobs, services.deployments, notifier)
    inspector = FlinkInspector(timeout=settings.flink.request_timeout)
    diagnosis = DiagnosisService(store, inspector)
    coordinator = HotUpdateCoordinator(hot_update_store, store, services.jobs)
    cluster_service = ClusterService(
        store,
        FlinkProbe(timeout=settings.flink.request_timeout),
        versions,
        default_workspace=settings.default_workspace,
        default_slots=settings.flink.taskmanager_slots,
        wake=notifier.wake,
    )
    leader = wire_leader_tasks(
        settings,
        store,
        services,
        inspector=inspector,
        diagnosis=diagnosis,
        hot_update_store=hot_update_store,
        hot_updates=hot_updates,
        cluster_service=cluster_service,
        cipher=cipher,
        flink_endpoints=lambda: _flink_endpoints(store, settings),
        wake=notifier.wake,
    )
    catalog = SqlCatalogStore(store.engine)
    folder_service = FolderService(catalog)
    services = dataclasses.replace(
        services,
        **leader.services,
        clusters=cluster_service,
        hot_updates=hot_updates,
        diagnosis=diagnosis,
        access=access,
        folders=folder_service,
        sql_files=SqlFileService(SqlFileStore(store.engine), folder_service),
        udfs=udfs,
        drafts=DraftService(DraftStore(store.engine), folder_service, services.deployments),
        sql_catalog=sql_catalog,
        sql_previews=SqlPreviewService(store, engine, sql_sessions, sql_catalog),
        packages=PackageService(catalog, services.artifacts),
        tags=TagService(catalog),
        namespaces=NamespaceService(
            SqlNamespaceStore(store.engine),
            access,
            protected=[(settings.default_workspace, settings.default_namespace)],
            artifacts=services.artifacts,
        ),
    )
    reconciler = Reconciler(
        store,
        engine,
        processes=clusters,
        per_job_clusters=settings.flink.per_job_clusters,
        default_slots=settings.flink.taskmanager_slots,
        max_concurrency=settings.reconciler.max_concurrency,
        details_interval=settings.reconciler.details_interval,
        details_budget=settings.reconciler.details_budget,
        unreachable_backoff=settings.reconciler.unreachable_backoff,
        variables=variables,
        on_job_ended=[logs.archive_job],
        versions=versions,
        default_runtime=flink_runtime.version,
        runtime_idle_stop=settings.flink.runtime_idle_stop,
        # SQL jobs get the functions and connectors of their namespace they use
        sql_libraries=with_catalog(sql_catalog, udfs.libraries_for),
    )
    metrics = Metrics()
    daemon = ReconcilerDaemon(
        reconciler,
        notifier,
        leader_lock_for(settings.store_url),
        interval=settings.reconciler.interval,
        # The heap freezer last: it may pause once every few minutes, after the rest.
        tick_observers=[TickObserver(metrics), HeapFreezer()],
        after_tick=[coordinator.run_iteration, *leader.after_tick],
        periodic=[
            (settings.logs.sweep_interval, logs.sweep),
            # Starts with a client token purge expired tokens too; this catches the rest.
            (_START_TOKEN_PURGE_INTERVAL, services.jobs.purge_start_tokens),
            *leader.periodic,
        ],
    )
    return Runtime(
        settings=settings,
        store=store,
        engine=engine,
        services=services,
        daemon=daemon,
        notifier=notifier,
        access=access,
        hot_updates=hot_updates,
        diagnosis=diagnosis,
        inspector=inspector,
        clusters=clusters,
        cluster_service=cluster_service,
        local_cluster=local,
        flink_rest_url=rest_url,
        metrics=_register_collectors(metrics, settings, store, services, daemon),
        nonce_store=nonce_store,
    )


def _register_collectors(
    metrics: Metrics,
    settings: Settings,
    store: SqlStore,
    services: Services,
    daemon: ReconcilerDaemon,
) -> Metrics:
    """Scrape-time readers of /metrics: heartbeat, queue waits, jobs' Flink metrics."""
    metrics.register(HeartbeatCollector(lambda: daemon.heartbeat))
    if services.queues is not None:
        metrics.register(QueueCollector(services.queues.list))
    if settings.metrics_export.flink_jobs:
        # Three sampling rounds: a job whose sampling stalls leaves the export.
        freshness = 3 * settings.metrics.sample_interval
        metrics.register(FlinkJobCollector(SqlLatestSamples(store.engine, freshness=freshness)))
    return metrics


def _flink_endpoints(store: SqlStore, settings: Settings) -> list[str]:
    """The REST URLs of every Flink cluster Millstream knows: artifact downloads must
    never reach them (a GET can cancel a job)."""
    with store.transaction() as repos:
        found = [cluster.rest_url for cluster in repos.read_clusters()]
    if settings.flink.external_rest_url:
        found.append(settings.flink.external_rest_url)
    found.append(f"http://127.0.0.1:{settings.flink.rest_port}")
    return found


def create_app(runtime: Runtime) -> FastAPI:
    """The HTTP app over ``runtime``; its lifespan runs the reconciler."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if runtime.settings.reconciler.enabled:
            runtime.daemon.start()
        yield
        runtime.daemon.stop()

    api_settings = runtime.settings.api
    limits = api_settings.auth_throttle
    app = create_api(
        runtime.services,
        runtime.access,
        dialects=DIALECTS,
        max_body_bytes=api_settings.max_body_bytes,
        public_url=runtime.settings.artifacts.public_url,
        roa_allowed=api_settings.roa_allowed,
        throttle=FailureThrottle(
            max_failures=limits.failures_per_address,
            max_failures_per_key=limits.failures_per_key,
            window=limits.window,
            block=limits.block,
            max_subjects=limits.max_tracked,
        ),
        failures_audited_per_minute=limits.audit_per_minute,
    )
    settings = runtime.settings
    key_material = settings.secret_key or (settings.data_dir / SECRET_KEY_FILE).read_bytes()
    app.include_router(
        build_console(
            runtime.services,
            access=runtime.access,
            flink_ui_url=runtime.flink_rest_url,
            secret_key=derive_session_key(key_material),
            default_namespace=settings.default_namespace,
        )
    )
    export = settings.metrics_export
    if export.enabled:
        token = export.token.get_secret_value() if export.token is not None else None
        app.include_router(metrics_router(runtime.metrics, token=token))
        app.add_middleware(RequestMetrics, metrics=runtime.metrics)  # outermost: times all
    app.router.lifespan_context = lifespan
    return app
