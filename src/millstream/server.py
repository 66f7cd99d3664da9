"""The composition root: builds store, engine, services and reconciler and serves the API.

``millstream up`` calls ``serve``; tests call ``build_runtime`` + ``create_app``. This is
the only module that knows every concrete adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from millstream.api.app import RouterFactory, create_api
from millstream.api.native.artifacts import build_artifacts_router
from millstream.api.native.clusters import build_clusters_router
from millstream.api.native.logs import build_logs_router
from millstream.api.native.operations import build_operations_router
from millstream.api.native.variables import build_variables_router
from millstream.client.config import credentials_path, write_profile
from millstream.config import Settings, get_settings
from millstream.control.bootstrap import ensure_defaults, ensure_demo
from millstream.control.context import Scope
from millstream.control.daemon import ReconcilerDaemon
from millstream.control.engine_versions import EngineVersions
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
from millstream.control.services.hot_updates import HotUpdateService
from millstream.control.services.logs import LogService
from millstream.control.services.variables import VariableService
from millstream.domain.clusters import MANAGED_KINDS, Cluster, ClusterKind
from millstream.engine.artifacts import FsspecArtifactStore, load_signing_key
from millstream.engine.cluster_manager import ClusterManager, FlinkProbe
from millstream.engine.engine import FlinkEngine
from millstream.engine.inspect import FlinkInspector
from millstream.engine.local_cluster import LocalCluster
from millstream.engine.logs import FileLogArchive, FlinkLogReader
from millstream.engine.runtime import FlinkRuntime
from millstream.engine.uris import ArtifactResolver
from millstream.store import SqlStore, leader_lock_for, upgrade
from millstream.store.access import SqlAccessStore
from millstream.store.cipher import SECRET_KEY_FILE, load_cipher
from millstream.store.hot_updates import SqlHotUpdateStore
from millstream.store.variables import SqlVariableStore
from millstream.web import build_console, derive_session_key

__all__ = ["Runtime", "build_runtime", "create_app", "serve"]

_log = logging.getLogger("millstream")


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

    def close(self, *, stop_flink: bool = True) -> None:
        """``stop_flink=False`` leaves Flink running (a crash-like stop): the next start
        adopts the clusters instead of starting new ones."""
        self.daemon.stop()
        if stop_flink:
            self.clusters.stop_all()
        self.engine.close()
        self.inspector.close()
        if stop_flink and self.local_cluster is not None:
            self.local_cluster.stop()
        self.store.engine.dispose()


def build_runtime(settings: Settings, *, start_flink: bool = True) -> Runtime:
    """Migrate the store, start (or reach) Flink, wire services and the reconciler."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.store_url)
    store = SqlStore(settings.store_url)
    flink_runtime = FlinkRuntime.detect(settings.flink.flink_home)
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
        download_max_bytes=artifact_settings.download_max_bytes,
        download_timeout=artifact_settings.download_timeout,
    )
    engine = FlinkEngine(
        data_dir=settings.data_dir,
        runtime=flink_runtime,
        request_timeout=settings.flink.request_timeout,
        artifacts=resolver,
        python_executable=settings.flink.python_executable,
    )
    local: LocalCluster | None = None
    if settings.flink.external_rest_url:
        rest_url, kind = settings.flink.external_rest_url.rstrip("/"), ClusterKind.EXTERNAL
    else:
        local = LocalCluster(
            data_dir=settings.data_dir, flink=settings.flink, runtime=flink_runtime
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
    cipher = load_cipher(settings.secret_key, settings.data_dir)
    access = AccessService(SqlAccessStore(store.engine), cipher)
    variables = VariableService(SqlVariableStore(store.engine), cipher)
    clusters = ClusterManager(
        data_dir=settings.data_dir,
        flink=settings.flink,
        runtime=flink_runtime,
        startup_timeout=settings.flink.cluster_startup_timeout,
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
    )
    notifier = Notifier()
    versions = EngineVersions(
        installed=list(engine.engine_versions()), aliases=settings.flink.version_aliases
    )
    services = Services(
        deployments=DeploymentService(
            store, engine, versions, variables=variables, artifacts=engine.artifact_checker
        ),
        jobs=JobService(
            store,
            engine,
            notifier,
            checkpoint_interval=settings.flink.checkpoint_interval,
            variables=variables,
        ),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace=settings.default_workspace,
        variables=variables,
        logs=logs,
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
    reconciler = Reconciler(
        store,
        engine,
        processes=clusters,
        per_job_clusters=settings.flink.per_job_clusters,
        default_slots=settings.flink.taskmanager_slots,
        max_concurrency=settings.reconciler.max_concurrency,
        details_interval=settings.reconciler.details_interval,
        details_budget=settings.reconciler.details_budget,
        variables=variables,
        on_job_ended=[logs.archive_job],
    )
    daemon = ReconcilerDaemon(
        reconciler,
        notifier,
        leader_lock_for(settings.store_url),
        interval=settings.reconciler.interval,
        after_tick=[coordinator.run_iteration],
        periodic=[(settings.logs.sweep_interval, logs.sweep)],
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
    )


def create_app(runtime: Runtime) -> FastAPI:
    """The HTTP app over ``runtime``; its lifespan runs the reconciler."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if runtime.settings.reconciler.enabled:
            runtime.daemon.start()
        yield
        runtime.daemon.stop()

    services = runtime.services
    workspace = runtime.settings.default_workspace
    routers: list[RouterFactory] = []
    if services.variables is not None:
        variables = services.variables
        routers.append(
            lambda guard: build_variables_router(variables, guard, default_workspace=workspace)
        )
    if services.logs is not None:
        logs = services.logs
        routers.append(lambda guard: build_logs_router(logs, guard, default_workspace=workspace))
    if services.artifacts is not None:
        artifacts, public_url = services.artifacts, runtime.settings.artifacts.public_url
        routers.append(
            lambda guard: build_artifacts_router(
                artifacts, guard, default_workspace=workspace, public_url=public_url
            )
        )
    cluster_service = runtime.cluster_service
    routers.append(lambda guard: build_clusters_router(cluster_service, guard))
    hot_updates, diagnosis = runtime.hot_updates, runtime.diagnosis
    routers.append(
        lambda guard: build_operations_router(
            hot_updates, diagnosis, diagnosis, guard, default_workspace=workspace
        )
    )
    app = create_api(
        services,
        runtime.access,
        routers=routers,
        max_body_bytes=runtime.settings.api.max_body_bytes,
    )
    settings = runtime.settings
    key_material = settings.secret_key or (settings.data_dir / SECRET_KEY_FILE).read_bytes()
    app.include_router(
        build_console(
            services,
            access=runtime.access,
            flink_ui_url=runtime.flink_rest_url,
            secret_key=derive_session_key(key_material),
            default_namespace=settings.default_namespace,
        )
    )
    app.router.lifespan_context = lifespan
    return app


def serve(
    *,
    demo: bool = False,
    host: str | None = None,
    port: int | None = None,
    data_dir: Path | None = None,
) -> None:
    """Run server + embedded Flink in the foreground until Ctrl-C; stop both cleanly."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = get_settings()
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if host is not None or port is not None:
        overrides["api"] = settings.api.model_copy(
            update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
        )
    if overrides:
        settings = settings.model_copy(update=overrides)
    runtime = build_runtime(settings)
    try:
        scope = Scope(settings.default_workspace, settings.default_namespace)
        _issue_admin_key(runtime)
        if demo:
            ensure_demo(runtime.services, scope)
        app = create_app(runtime)
        _banner(runtime)
        _run_until_signalled(
            uvicorn.Config(app, host=settings.api.host, port=settings.api.port, log_level="info")
        )
    finally:
        runtime.close()


class _Server(uvicorn.Server):
    """uvicorn re-raises a caught SIGINT after shutdown; we own the signals instead so
    Ctrl-C and SIGTERM both drain requests, stop the reconciler and Flink, and exit 0."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _run_until_signalled(config: uvicorn.Config) -> None:
    server = _Server(config)

    def _stop(signum: int, _frame: object) -> None:
        _log.info("received %s: shutting down", signal.Signals(signum).name)
        server.should_exit = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        asyncio.run(server.serve())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _issue_admin_key(runtime: Runtime) -> None:
    """First start: create the admin key, save it for the CLI (0600) and show it once."""
    issued = runtime.access.ensure_admin()
    settings = runtime.settings
    path = credentials_path()
    if issued is None:
        runtime.extras["banner"] = [
            f"Credentials:                         profile 'default' in {path} "
            "(created on first start; `millstream keys create` makes more)",
        ]
        return
    url = f"http://{settings.api.host}:{settings.api.port}"
    profile = {
        "url": url,
        "access_key_id": issued.key.id,
        "access_key_secret": issued.secret,
        "workspace": settings.default_workspace,
        "namespace": settings.default_namespace,
    }
    write_profile(path, "default", **profile)
    write_profile(settings.data_dir / "credentials", "default", **profile)
    runtime.extras["banner"] = [
        f"Admin AccessKey ID:                  {issued.key.id}",
        f"Admin AccessKey secret (shown once): {issued.secret}",
        f"Saved for the CLI in:                {path} (profile 'default', mode 0600)",
        "SDK: Config(access_key_id=..., access_key_secret=..., "
        f"endpoint='{settings.api.host}:{settings.api.port}', protocol='http')",
    ]


def _banner(runtime: Runtime) -> None:
    settings = runtime.settings
    url = f"http://{settings.api.host}:{settings.api.port}"
    lines = [
        "",
        "Millstream is starting",
        f"  API (native, ververica 2022-07-18):  {url}/api/v2/namespaces/"
        f"{settings.default_namespace}/deployments",
        f"  Console:                             {url}/console",
        f"  Flink web UI:                        {runtime.flink_rest_url}",
        f"  Workspace / namespace:               {settings.default_workspace} / "
        f"{settings.default_namespace}",
        f"  Data directory:                      {settings.data_dir.resolve()}",
    ]
    for line in runtime.extras.get("banner", []):
        lines.append(f"  {line}")
    lines.append("  Press Ctrl-C to stop the server and the Flink processes it started.")
    sys.stdout.write("\n".join(lines) + "\n\n")
    sys.stdout.flush()
