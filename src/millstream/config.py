"""Settings: ``MILLSTREAM_*`` environment variables (nested with ``__``) and an optional TOML file.

``get_settings()`` is cached; tests build ``Settings(...)`` directly and pass it to the
app factory instead.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from millstream.control.engine_versions import DEFAULT_ALIASES
from millstream.control.runtime_versions import DEFAULT_VERSION_MAP, check_version_map

__all__ = [
    "ApiSettings",
    "ArtifactSettings",
    "AuthThrottleSettings",
    "AutoscalerSettings",
    "FlinkSettings",
    "HealthSettings",
    "LogSettings",
    "MetricSettings",
    "ReconcilerSettings",
    "Settings",
    "StoreSettings",
    "get_settings",
]


class StoreSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/millstream.db. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db",
    )


class FlinkSettings(BaseModel):
    embedded: bool = Field(
        default=True,
        description="Start a local Flink standalone cluster from the apache-flink wheel.",
    )
    rest_port: int = Field(default=8081, description="REST/web UI port of the embedded cluster.")
    jobmanager_memory: str = Field(default="1024m", description="Embedded JobManager process size.")
    taskmanager_memory: str = Field(
        default="2048m", description="Embedded TaskManager process size."
    )
    taskmanager_slots: int = Field(default=4, description="Slots per embedded TaskManager.")
    taskmanagers: int = Field(default=1, description="Number of embedded TaskManagers.")
    default_parallelism: int = Field(
        default=1, description="Parallelism when a deployment sets none."
    )
    flink_home: str | None = Field(
        default=None, description="FLINK_HOME; default: the pyflink package directory."
    )
    external_rest_url: str | None = Field(
        default=None,
        description="Use this Flink session cluster as the default cluster instead of the "
        "embedded one (e.g. http://127.0.0.1:8081).",
    )
    checkpoint_interval: str = Field(
        default="10s", description="Default execution.checkpointing.interval for streaming jobs."
    )
    request_timeout: float = Field(default=30.0, description="Flink REST timeout in seconds.")
    python_executable: str | None = Field(
        default=None,
        description="Python with pyflink for Python jobs (driver and workers); default: the "
        "server's own interpreter.",
    )
    per_job_clusters: bool = Field(
        default=False,
        description="Run each job on its own Flink cluster sized from its resources "
        "(TaskManagers = ceil(parallelism / slots)) instead of the default cluster.",
    )
    cluster_startup_timeout: float = Field(
        default=120.0,
        description="Seconds a session or dedicated cluster may take to start before it is FAILED.",
    )
    os_user: str = Field(
        default="millstream-flink",
        description="OS user the Flink processes Millstream starts run as when the server "
        "runs as root (created with useradd --system if missing), so jobs cannot read the "
        "control plane's files. Empty: run Flink as the server's own user (no isolation; "
        "also the case whenever the server is not root).",
    )
    visible_root: Path = Field(
        default=Path("/var/lib/millstream-flink"),
        description="Where the directories Flink uses (its working trees, state, "
        "artifacts) move when the Flink OS user cannot reach the data directory; the data "
        "directory keeps links to them.",
    )
    version_aliases: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_ALIASES),
        description="Engine version name or glob pattern -> installed runtime ('default' = "
        "the default runtime), e.g. {'vvr-8.0.*-flink-1.17': 'default'}.",
    )
    runtimes_dir: Path | None = Field(
        default=None,
        description="Where `millstream runtimes install` puts Flink runtimes, one directory "
        "per version; default <data_dir>/runtimes.",
    )
    version_map: Annotated[dict[str, str], AfterValidator(check_version_map)] = Field(
        default_factory=lambda: dict(DEFAULT_VERSION_MAP),
        description="Flink version (line or exact) without a runtime of its own here -> the "
        "runtimes that run it, in order of preference ('1.20,2.3': the newest 1.20.x "
        "installed, else 2.3), e.g. {'1.17': '1.20'}; a version whose line has no runtime "
        "and that this table does not map (or maps to runtimes not installed) is refused.",
    )
    runtime_idle_stop: float = Field(
        default=300.0,
        description="Seconds a runtime's on-demand cluster (started for deployments whose "
        "engine version runs on a runtime other than the default cluster's) keeps running "
        "without live jobs before it is stopped.",
    )
    install_runtimes: list[str] = Field(
        default_factory=list,
        description="Flink runtimes `millstream up` installs in the background when missing "
        "(e.g. ['1.20']); `make run` asks for 1.20.",
    )


class ReconcilerSettings(BaseModel):
    enabled: bool = Field(default=True, description="Run the reconciler in this process.")
    interval: float = Field(
        default=0.5, description="Seconds between periodic ticks (writes also wake it at once)."
    )
    max_concurrency: int = Field(default=8, description="Actions run in parallel per tick.")
    details_interval: float = Field(
        default=10.0,
        description="Seconds between per-job detail reads (checkpoints, restarts) of a job "
        "whose overview row did not change.",
    )
    details_budget: int = Field(
        default=10,
        description="Per-job detail reads (3 Flink requests each) allowed per tick: jobs "
        "whose Flink state changed first, then jobs whose overview row changed, then "
        "periodic reads. A new state is recorded at once either way.",
    )
    unreachable_backoff: float = Field(
        default=4.0,
        description="Longest pause in seconds between observations of a Flink cluster that "
        "does not answer (0.5 s doubling up to this; 0: every tick).",
    )


class HealthSettings(BaseModel):
    """Health checks: the leader task judging jobs by their deployment's health policy,
    restarting unhealthy ones and rolling new specs back (``control.health_checks``)."""

    enabled: bool = Field(default=True, description="Run health checks on the leader.")
    interval: float = Field(default=5.0, ge=0.2, description="Seconds between health-check rounds.")


class AutoscalerSettings(BaseModel):
    """The autoscaler: a leader task planning the parallelism of jobs whose deployment has
    autoscaling enabled (foas UpdateAutoScaleConfig)."""

    enabled: bool = Field(default=True, description="Run the autoscaler on the reconciler leader.")
    interval: float = Field(
        default=30.0,
        ge=1.0,
        description="Seconds between planning rounds; each records one plan per job.",
    )
    stabilization: float = Field(
        default=60.0,
        ge=0.0,
        description="Seconds a job must have run before its load is planned on (Flink's busy "
        "time is meaningless while a job starts or restores).",
    )
    keep_plans: int = Field(
        default=1000, gt=0, description="Newest plans kept per deployment; older ones go."
    )


class AlertSettings(BaseModel):
    """Alert rules: the leader task evaluating them and delivering to webhooks."""

    enabled: bool = Field(default=True, description="Evaluate alert rules on the leader.")
    interval: float = Field(
        default=15.0, ge=1.0, description="Seconds between alert rounds (evaluate, deliver)."
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts (name or address, optionally host:port) webhooks may reach "
        "although they are loopback or private, e.g. ['alerts.internal', '127.0.0.1:9000']. "
        "Webhooks reach only public addresses otherwise.",
    )
    timeout: float = Field(default=10.0, gt=0, description="Seconds one webhook POST may take.")
    max_attempts: int = Field(
        default=6, ge=1, description="Deliveries tried per notification before it is dropped."
    )
    max_outbox: int = Field(
        default=1000, gt=0, description="Undelivered notifications kept (the oldest go)."
    )


class ArtifactSettings(BaseModel):
    root_url: str | None = Field(
        default=None, description="fsspec URL of the artifact store; default <data_dir>/artifacts."
    )
    max_upload_bytes: int = Field(
        default=512 * 1024 * 1024, description="Largest upload accepted (413 above)."
    )
    scheme_map: dict[str, str] = Field(
        default_factory=dict,
        description="URI prefix -> <workspace>/<namespace>[/<dir>] in the store, e.g. "
        "{'oss://bucket': 'default/default-namespace'}.",
    )
    allowed_dirs: list[Path] = Field(
        default_factory=list,
        description="Directories besides the store that file:// artifact URIs may name.",
    )
    allow_downloads: bool = Field(default=True, description="Allow http(s):// artifact URIs.")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts (name or address, optionally host:port) http(s) artifact "
        "downloads may reach although they are loopback, private or a Flink REST endpoint "
        "Millstream manages, e.g. ['repo.internal', '127.0.0.1:8000']. Downloads reach "
        "only public addresses otherwise.",
    )
    download_max_bytes: int = Field(
        default=512 * 1024 * 1024, description="Largest http(s) artifact download."
    )
    download_timeout: float = Field(
        default=120.0, description="Seconds an http(s) artifact download may take in total."
    )
    presign_ttl: float = Field(
        default=900.0, description="Seconds a pre-signed upload URL stays valid."
    )
    public_url: str | None = Field(
        default=None,
        description="Base URL of pre-signed upload URLs; default: the URL the request used.",
    )


class LogSettings(BaseModel):
    max_bytes: int = Field(
        default=1024 * 1024, description="Largest log excerpt returned or kept, per file."
    )
    sweep_interval: float = Field(
        default=60.0,
        description="Seconds between sweeps that keep ended jobs' logs and delete expired ones.",
    )


class MetricSettings(BaseModel):
    """The metric history: samples of running jobs' Flink metrics (GetInstanceMetric)."""

    enabled: bool = Field(
        default=True, description="Sample running jobs' Flink metrics on the reconciler leader."
    )
    sample_interval: float = Field(
        default=15.0, gt=0, description="Seconds between two samples of each running job."
    )
    retention: float = Field(
        default=86_400.0, gt=0, description="Seconds samples are kept (default 24 h)."
    )
    max_samples_per_job: int = Field(
        default=100_000,
        gt=0,
        description="Samples kept per job at most (10 metrics a round: 24 h at 15 s is 57,600); "
        "the oldest go first.",
    )
    sweep_interval: float = Field(
        default=60.0, gt=0, description="Seconds between sweeps of expired samples."
    )
    max_concurrency: int = Field(
        default=4, gt=0, description="Jobs whose metrics are read from Flink at once."
    )
    max_points: int = Field(
        default=20_000,
        gt=0,
        description="Samples of one metric one query may read (more: a 400 asking for a "
        "shorter window).",
    )
    live_window: float = Field(
        default=60.0,
        ge=0,
        description="A window ending at most this many seconds ago also gets Flink's current "
        "value as its last point (callers' clocks and their 'now' differ a little).",
    )


class MetricsExportSettings(BaseModel):
    """Millstream's own metrics in Prometheus format at ``/metrics``."""

    enabled: bool = Field(default=True, description="Serve /metrics.")
    token: SecretStr | None = Field(
        default=None,
        description="Bearer token a scrape must send (Authorization: Bearer <token>); "
        "unset: only loopback clients may scrape.",
    )
    flink_jobs: bool = Field(
        default=True,
        description="Export each running job's latest sampled Flink metrics (from the "
        "metric history; no Flink call per scrape).",
    )


class AuthThrottleSettings(BaseModel):
    """Failed authentications (wrong key, secret or signature) before a caller is refused."""

    failures_per_address: int = Field(
        default=20,
        description="Failed authentications from one source address within `window` seconds "
        "before that address is refused (429) for `block` seconds; 0 turns this off.",
    )
    failures_per_key: int = Field(
        default=20,
        description="The same per claimed AccessKey ID (anyone knowing a key id can lock it "
        "for `block` seconds by failing on purpose); 0 turns this off.",
    )
    window: float = Field(default=60.0, description="Seconds over which failures are counted.")
    block: float = Field(default=60.0, description="Seconds a throttled caller is refused.")
    max_tracked: int = Field(
        default=10_000,
        description="Addresses and key ids tracked at most (memory bound); the least "
        "recently failing are forgotten first.",
    )
    audit_per_minute: int = Field(
        default=60,
        description="Failed authentications written to the audit log per minute at most "
        "(the first of each address per window and each block); the rest are counted in "
        "one log line per minute.",
    )


class ApiSettings(BaseModel):
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(default=8080, description="Port of the HTTP server.")
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024, description="Largest JSON request body accepted (413 above)."
    )
    roa_enabled: bool = Field(
        default=True,
        description="Accept legacy ROA signatures ('acs AK:signature', HMAC-SHA1) at all. "
        "ROA does not sign the body without Content-MD5 nor most headers; ACS3 does.",
    )
    roa_disabled_dialects: list[str] = Field(
        default_factory=list,
        description="Dialects (e.g. ['native']) that refuse ROA signatures although "
        "roa_enabled is true.",
    )
    auth_throttle: AuthThrottleSettings = Field(default_factory=AuthThrottleSettings)
    dli_projects: dict[str, str] = Field(
        default_factory=dict,
        description="Huawei DLI project id -> '<namespace>' (of the default workspace) or "
        "'<workspace>/<namespace>', e.g. {'0123456789abcdef0123456789abcdef': 'team-a'} "
        "(env: MILLSTREAM_API__DLI_PROJECTS as JSON). An unmapped project id is the "
        "namespace named like it if there is one, else the default namespace.",
    )

    def roa_allowed(self, dialect: str) -> bool:
        """Whether ``dialect``'s routes accept ROA signatures."""
        return self.roa_enabled and dialect not in self.roa_disabled_dialects


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MILLSTREAM_",
        env_nested_delimiter="__",
        toml_file=os.environ.get("MILLSTREAM_CONFIG", "millstream.toml"),
        extra="ignore",
    )

    data_dir: Path = Field(
        default=Path(".millstream"),
        description="Where the SQLite database, Flink config, logs, artifacts and state live.",
    )
    default_workspace: str = Field(
        default="default", description="Workspace created on first start."
    )
    default_namespace: str = Field(
        default="default-namespace", description="Namespace created on first start."
    )
    secret_key: str | None = Field(
        default=None,
        description="Key(s) that encrypt secrets at rest (comma-separated for rotation: the "
        "first encrypts, all decrypt); default: generated into <data_dir>/secret.key (0600).",
    )
    demo: bool = Field(default=False, description="Create and start the demo SQL deployment.")
    store: StoreSettings = Field(default_factory=StoreSettings)
    flink: FlinkSettings = Field(default_factory=FlinkSettings)
    reconciler: ReconcilerSettings = Field(default_factory=ReconcilerSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    logs: LogSettings = Field(default_factory=LogSettings)
    artifacts: ArtifactSettings = Field(default_factory=ArtifactSettings)
    metrics: MetricSettings = Field(default_factory=MetricSettings)
    metrics_export: MetricsExportSettings = Field(default_factory=MetricsExportSettings)
    autoscaler: AutoscalerSettings = Field(default_factory=AutoscalerSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003 - signature is pydantic's
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def store_url(self) -> str:
        return self.store.url or f"sqlite:///{self.data_dir.resolve() / 'millstream.db'}"

    def model_post_init(self, __context: Any) -> None:
        self.data_dir = self.data_dir.expanduser()


@functools.cache
def get_settings() -> Settings:
    return Settings()
