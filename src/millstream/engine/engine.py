"""``FlinkEngine``: the ``Engine`` port — clusters by REST URL, state directories, versions.

The app factory builds one from ``Settings`` and hands it to the services and the
reconciler. Savepoints and checkpoints live under ``<data_dir>/state``; only paths there
may be deleted through ``delete_state``; ``import_savepoint`` copies a savepoint a user
names into a deployment's directory there (``savepoint_imports``). JAR and Python
deployments resolve their URIs through an ``ArtifactResolver`` (default: the store at
``<data_dir>/artifacts``).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import ssl
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx

from millstream.config import Settings
from millstream.domain.artifacts import ArtifactKind
from millstream.domain.clusters import Cluster, ClusterKind
from millstream.domain.errors import InvalidInput
from millstream.engine.artifact_checks import EngineArtifactChecker
from millstream.engine.artifacts import FsspecArtifactStore
from millstream.engine.flink_cluster import RestFlinkCluster
from millstream.engine.flink_user import OsUser, hand_over
from millstream.engine.jar_scanner import FlinkJarScanner
from millstream.engine.jar_submitter import JarSubmitter
from millstream.engine.jars import JarCache
from millstream.engine.python_submitter import PythonSubmitter
from millstream.engine.rest import FlinkRestClient
from millstream.engine.runtime import FlinkRuntime
from millstream.engine.runtime_registry import RuntimeRegistry
from millstream.engine.savepoint_imports import SavepointImports
from millstream.engine.sql_runner import SqlRunnerJar
from millstream.engine.submitters import DependencyJars, SqlSubmitter, Submitter
from millstream.engine.uris import ArtifactResolver
from millstream.engine.user_data import UserDataDirectory

__all__ = ["FlinkEngine"]

_CHECKPOINT = re.compile(r"chk-(\d+)")
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class FlinkEngine:
    """Everything Flink the control plane needs: the bundled runtime runs the default
    cluster; ``runtimes`` names every installed one, and each cluster's SQL runner is
    compiled against the runtime of the Flink version that cluster reports."""

    def __init__(
        self,
        *,
        data_dir: Path,
        runtime: FlinkRuntime,
        request_timeout: float,
        artifacts: ArtifactResolver | None = None,
        python_executable: str | None = None,
        os_user: OsUser | None = None,
        runtimes: RuntimeRegistry | None = None,
    ) -> None:
        self._runtime = runtime
        self.runtimes = runtimes or RuntimeRegistry(runtime)
        self._sql_by_version: dict[str, SqlSubmitter] = {}
        self._os_user = os_user
        self._timeout = request_timeout
        self._data_dir = data_dir
        self._state_root = (data_dir / "state").resolve()
        self._artifacts = artifacts or ArtifactResolver(
            FsspecArtifactStore(str(data_dir / "artifacts")),
            cache_dir=data_dir / "artifact-cache",
        )
        jars = JarCache(data_dir / "jars")
        # SQL jobs get their dependency, UDF and connector jars merged into the runner.
        self._sql_jars = DependencyJars(self._artifacts, jars)
        self._sql = SqlSubmitter(
            SqlRunnerJar(runtime=runtime, cache_dir=data_dir / "jars"), dependencies=self._sql_jars
        )
        self._sql_by_version[runtime.version] = self._sql
        jar = JarSubmitter(self._artifacts, jars)
        python = PythonSubmitter(
            self._artifacts, jars, runtime, python_executable=python_executable
        )
        self._submitters: dict[ArtifactKind, Submitter] = {
            ArtifactKind.JAR: jar,
            ArtifactKind.PYTHON: python,
        }
        self._checker = EngineArtifactChecker(self._artifacts, jar, python)
        self._imports = SavepointImports(
            self._artifacts, state_root=self._state_root, os_user=os_user
        )
        self._clusters: dict[str, RestFlinkCluster] = {}
        self._ssl: ssl.SSLContext | None = None  # shared by every cluster's client
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> FlinkEngine:
        return cls(
            data_dir=settings.data_dir,
            runtime=FlinkRuntime.detect(settings.flink.flink_home),
            request_timeout=settings.flink.request_timeout,
        )

    def cluster(self, cluster: Cluster) -> RestFlinkCluster:
        """The (cached) REST adapter of ``cluster``; one HTTP client per URL."""
        url = cluster.rest_url.rstrip("/")
        with self._lock:
            if (found := self._clusters.get(url)) is None:
                if self._ssl is None:
                    self._ssl = httpx.create_ssl_context()
                rest = FlinkRestClient(url, timeout=self._timeout, ssl_context=self._ssl)
                directory = self.working_directory(cluster)
                found = self._clusters[url] = RestFlinkCluster(
                    rest,
                    sql=self._sql,
                    submitters=self._submitters,
                    user_data=UserDataDirectory(directory, os_user=self._os_user)
                    if directory is not None
                    else None,
                    sql_for=self.sql_submitter,
                    pyflink_version=self._runtime.version,
                )
            return found

    def working_directory(self, cluster: Cluster) -> Path | None:
        """Where the Flink processes of a cluster Millstream runs work (their ``userData/``
        is there, ``engine.user_data``): ``LocalCluster.flink_dir`` of the embedded cluster
        (``<data_dir>/flink``) and of managed ones (``ClusterManager``:
        ``<data_dir>/clusters/<workspace>/<name>/flink``); None for external clusters."""
        if cluster.kind is ClusterKind.EMBEDDED:
            return (self._data_dir / "flink").resolve()
        if (
            cluster.managed
            and _SAFE_ID.fullmatch(cluster.workspace)
            and _SAFE_ID.fullmatch(cluster.name)
        ):
            return (
                self._data_dir / "clusters" / cluster.workspace / cluster.name / "flink"
            ).resolve()
        return None

    @property
    def artifact_store(self) -> FsspecArtifactStore:
        """The ``ArtifactStore`` port (uploads, listing) the artifact service uses."""
        return self._artifacts.store

    def jar_scanner(self) -> FlinkJarScanner:
        """The ``JarScanner`` port: UDF and connector jars of a namespace, looked into."""
        return FlinkJarScanner(
            self._runtime, self._artifacts, cache_dir=self._data_dir / "jars", os_user=self._os_user
        )

    @property
    def artifact_checker(self) -> EngineArtifactChecker:
        """The ``ArtifactChecker`` port: a deployment's URIs checked at create/update."""
        return self._checker

    def close(self) -> None:
        with self._lock:
            for adapter in self._clusters.values():
                adapter.close()
            self._clusters.clear()

    def savepoint_directory(self, *, deployment_id: str) -> str:
        return self._state_dir("savepoints", deployment_id).as_uri()

    def checkpoint_directory(self, *, deployment_id: str) -> str:
        return self._state_dir("checkpoints", deployment_id).as_uri()

    def delete_state(self, location: str) -> None:
        """Remove a savepoint/checkpoint (file or directory) under the state root;
        anything else is refused, a missing path is fine."""
        path = self._local_state_path(location)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def import_savepoint(
        self,
        location: str,
        *,
        workspace: str,
        namespace: str,
        owns_deployment: Callable[[str], bool],
        target_directory: str,
    ) -> str:
        """The ``SavepointImporter`` port: copy a user's savepoint (``savepoint_imports``)."""
        return self._imports.import_savepoint(
            location,
            workspace=workspace,
            namespace=namespace,
            owns_deployment=owns_deployment,
            target_directory=target_directory,
        )

    def newest_checkpoint(self, checkpoint_dir: str, flink_job_id: str) -> str | None:
        """The newest complete checkpoint Flink wrote for ``flink_job_id`` under
        ``checkpoint_dir`` (``<dir>/<job id>/chk-<n>/_metadata``), for local directories;
        None when there is none or the directory is not local."""
        parsed = urlparse(checkpoint_dir)
        if parsed.scheme not in ("", "file"):
            return None
        job_dir = Path(unquote(parsed.path)) / flink_job_id
        numbered = [
            (int(match.group(1)), child)
            for child in (job_dir.iterdir() if job_dir.is_dir() else ())
            if (match := _CHECKPOINT.fullmatch(child.name)) and (child / "_metadata").is_file()
        ]
        return max(numbered)[1].as_uri() if numbered else None

    def engine_versions(self) -> Sequence[str]:
        """Every runtime's name, the bundled one first (``RuntimeRegistry``)."""
        return self.runtimes.names()

    def sql_submitter(self, flink_version: str) -> SqlSubmitter | None:
        """The SQL runner compiled against the runtime of ``flink_version`` (one jar per
        runtime, cached by ``SqlRunnerJar``); None when that runtime is not installed."""
        with self._lock:
            if (found := self._sql_by_version.get(flink_version)) is not None:
                return found
        runtime = self.runtimes.find(flink_version)
        if runtime is None:
            return None
        submitter = SqlSubmitter(
            SqlRunnerJar(runtime=runtime, cache_dir=self._data_dir / "jars"),
            dependencies=self._sql_jars,
        )
        with self._lock:
            return self._sql_by_version.setdefault(flink_version, submitter)

    def _state_dir(self, kind: str, deployment_id: str) -> Path:
        if not _SAFE_ID.fullmatch(deployment_id):
            raise InvalidInput(f"deployment id {deployment_id!r} cannot name a directory")
        path = self._state_root / kind / deployment_id
        if self._os_user is not None:
            # Made here and handed to the Flink user, so Flink never has to create it
            # under a kind directory another process (an external cluster running as
            # someone else) created first and Flink's user cannot write into.
            with contextlib.suppress(FileExistsError):  # not a directory: Flink says so
                path.mkdir(parents=True, exist_ok=True)
            if path.is_dir() and path.stat().st_uid != self._os_user.uid:
                hand_over(path, self._os_user)
        return path

    def _local_state_path(self, location: str) -> Path:
        # Flink reports "file:/abs/path", we hand out "file:///abs/path"; both parse.
        parsed = urlparse(location)
        if parsed.scheme not in ("", "file") or parsed.netloc not in ("", "localhost"):
            raise InvalidInput(f"cannot delete {location!r}: not under the state directory")
        path = Path(unquote(parsed.path)).resolve()
        # At least <kind>/<deployment>: never a whole kind directory or the root itself.
        if (
            not path.is_relative_to(self._state_root)
            or len(path.relative_to(self._state_root).parts) < 2
        ):
            raise InvalidInput(
                f"cannot delete {location!r}: not under the state directory {self._state_root}"
            )
        return path
