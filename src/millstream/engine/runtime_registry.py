"""``RuntimeRegistry``: the Flink runtimes this server can run, as ``FlinkRuntime`` values.

``FlinkEngine`` names them (``engine_versions``: ``flink-2.3.0``, ``flink-1.20.5``), the
``ClusterManager`` starts a cluster from the one a cluster's spec names, and each cluster's
SQL runner is compiled against the runtime of the cluster's real Flink version. The list is
read from the runtimes directory (``RuntimeCatalog``) at most every few seconds, so a
runtime installed while the server runs (``millstream up`` installs in the background)
appears without a restart. The bundled runtime (the ``apache-flink`` package, with PyFlink)
is always first; installed ones carry no PyFlink.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from millstream.domain.errors import EngineUnavailable, ErrorCode, InvalidInput
from millstream.engine.runtime import FlinkRuntime
from millstream.engine.runtimes import RuntimeCatalog

__all__ = ["RuntimeRegistry"]

_REFRESH_SECONDS = 5.0


class RuntimeRegistry:
    """The bundled runtime plus the usable runtimes under a runtimes directory."""

    def __init__(self, bundled: FlinkRuntime, runtimes_dir: Path | None = None) -> None:
        self.bundled = bundled
        self._catalog = (
            RuntimeCatalog(runtimes_dir, bundled_home=bundled.home) if runtimes_dir else None
        )
        self._lock = threading.Lock()
        self._found: dict[str, FlinkRuntime] = {}
        self._read_at = float("-inf")

    def runtimes(self) -> dict[str, FlinkRuntime]:
        """Flink version -> runtime, the bundled one first."""
        with self._lock:
            if time.monotonic() - self._read_at > _REFRESH_SECONDS:
                self._found = self._read()
                self._read_at = time.monotonic()
            return dict(self._found)

    def names(self) -> list[str]:
        """Engine version names of every runtime (``flink-<version>``)."""
        return [f"flink-{version}" for version in self.runtimes()]

    def get(self, version: str) -> FlinkRuntime:
        """The runtime of exactly ``version`` (``1.20.5``); ``InvalidInput`` when absent."""
        found = self.runtimes().get(version) or self._reread().get(version)
        if found is None:
            raise InvalidInput(
                f"no Flink {version} runtime is installed; install it with "
                f"`millstream runtimes install {version}`",
                code=ErrorCode.INVALID_ENGINE_VERSION,
            )
        return found

    def find(self, version: str) -> FlinkRuntime | None:
        """The runtime of ``version`` when installed (a cluster's reported version)."""
        return self.runtimes().get(version)

    def _reread(self) -> dict[str, FlinkRuntime]:
        with self._lock:
            self._read_at = float("-inf")
        return self.runtimes()

    def _read(self) -> dict[str, FlinkRuntime]:
        found = {self.bundled.version: self.bundled}
        if self._catalog is None:
            return found
        for installed in self._catalog.runtimes():
            if installed.bundled or installed.problem is not None:
                continue
            if installed.version in found:
                continue
            try:
                found[installed.version] = FlinkRuntime.detect(installed.home)
            except EngineUnavailable:
                continue  # broken: `millstream runtimes list` says why
        return found
