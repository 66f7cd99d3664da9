"""Installing the configured Flink runtimes in the background when the server starts.

``millstream up`` calls ``install_in_background`` with ``flink.install_runtimes`` (``make
run`` asks for ``1.20``): the server starts at once, a daemon thread installs what is
missing (``RuntimeCatalog.install``: downloaded once, a no-op when already there) and logs
one line before and after. The runtimes appear in the engine versions within seconds of
being installed (``RuntimeRegistry`` re-reads the directory); before that, an engine version
that needs it runs on the next runtime the version map names, or is refused with the
install command in the message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from millstream.config import Settings
from millstream.domain.errors import MillstreamError
from millstream.engine.runtimes import RuntimeCatalog

__all__ = ["install_in_background"]

_log = logging.getLogger("millstream")


def install_in_background(settings: Settings, versions: Sequence[str]) -> threading.Thread | None:
    """Start installing ``versions`` (e.g. ``["1.20"]``) on a daemon thread; None if none."""
    if not versions:
        return None
    catalog = RuntimeCatalog.from_settings(settings)
    thread = threading.Thread(
        target=_install_all, args=(catalog, list(versions)), name="runtime-install", daemon=True
    )
    thread.start()
    return thread


def _install_all(catalog: RuntimeCatalog, versions: list[str]) -> None:
    for version in versions:
        _log.info(
            "Flink runtime %s: installing in the background if missing (until it is there, "
            "engine versions that need it run on the next runtime flink.version_map names, "
            "or are refused)",
            version,
        )
        try:
            result = catalog.install(version)
        except MillstreamError as exc:
            _log.warning("Flink runtime %s could not be installed: %s", version, exc)
            continue
        except Exception:  # a background thread must say why it stopped
            _log.exception("Flink runtime %s could not be installed", version)
            continue
        if result.installed:
            _log.info(
                "Flink runtime %s installed in %.0f s at %s",
                result.runtime.version,
                result.seconds,
                result.runtime.home,
            )
        else:
            _log.info("Flink runtime %s is installed", result.runtime.version)
