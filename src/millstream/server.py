"""``millstream up``: runs the server in the foreground (one process, or a leader and
``--workers`` API processes) until Ctrl-C or SIGTERM, then stops it cleanly.

What runs is composed in ``composition`` (``build_runtime``, ``create_app``), re-exported
here for the callers that know this module as the server's.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from millstream.client.config import credentials_path, write_profile
from millstream.composition import DIALECTS, Runtime, build_runtime, create_app
from millstream.config import get_settings
from millstream.control.bootstrap import ensure_demo
from millstream.control.context import Scope
from millstream.engine.runtime_installs import install_in_background
from millstream.live_summary import fleet_reader, live_summary
from millstream.server_logging import LogFormat, LogLevel, configure_logging
from millstream.serving import run_server

__all__ = ["DIALECTS", "Runtime", "build_runtime", "create_app", "serve"]

_log = logging.getLogger("millstream")


def serve(
    *,
    demo: bool = False,
    host: str | None = None,
    port: int | None = None,
    data_dir: Path | None = None,
    log_format: LogFormat = LogFormat.TEXT,
    log_level: LogLevel = LogLevel.INFO,
    summary: bool = True,
    workers: int = 1,
) -> None:
    """Run server + embedded Flink in the foreground until Ctrl-C; stop both cleanly.
    ``summary``: a live one-line summary under the text log when stderr is a terminal.
    ``workers`` > 1: that many API processes on the port; this one runs the reconciler."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    handler = configure_logging(log_format=log_format, level=log_level)
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
    # Runtimes `make run` asks for (1.20): installed while the server already serves.
    install_in_background(settings, settings.flink.install_runtimes)
    try:
        scope = Scope(settings.default_workspace, settings.default_namespace)
        _issue_admin_key(runtime)
        if demo:
            ensure_demo(runtime.services, scope)
        if workers > 1:
            runtime.extras.setdefault("banner", []).append(
                f"API workers:                         {workers} processes "
                "(this one runs the reconciler)"
            )
        app = create_app(runtime) if workers == 1 else None
        _banner(runtime)
        shown = (
            live_summary(fleet_reader(runtime.store.engine, runtime.daemon.heartbeat), handler)
            if summary and log_format is LogFormat.TEXT
            else contextlib.nullcontext(False)
        )
        if app is None:
            with shown:
                _serve_workers(runtime, workers, log_format=log_format, log_level=log_level)
            return
        with shown:
            # log_config=None: uvicorn's loggers go through ours (format, level, and its
            # access lines demoted to DEBUG) instead of its own handlers.
            _run_until_signalled(
                uvicorn.Config(
                    app,
                    host=settings.api.host,
                    port=settings.api.port,
                    log_config=None,
                    log_level=None,
                )
            )
    finally:
        runtime.close()


def _serve_workers(
    runtime: Runtime, workers: int, *, log_format: LogFormat, log_level: LogLevel
) -> None:
    """This process leads (reconciler, leader tasks, Flink); ``workers`` serve the API."""
    # Imported here: workers.py imports this module (its workers build runtimes).
    from millstream.workers import serve_workers

    if runtime.settings.reconciler.enabled:
        runtime.daemon.start()
    # The workers stop first (serve_workers returns after), then the daemon and Flink
    # (the caller's runtime.close()).
    serve_workers(runtime.settings, workers, log_format=log_format, log_level=log_level)


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
        run_server(server)
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
    # Only there (0600), never in the data directory the Flink processes can reach.
    write_profile(path, "default", **profile)
    # Output that is not a terminal ends up in a file (a service log): no secret there.
    shown = (
        issued.secret
        if sys.stdout.isatty()
        else f"not shown (output is not a terminal): read it from {path}"
    )
    runtime.extras["banner"] = [
        f"Admin AccessKey ID:                  {issued.key.id}",
        f"Admin AccessKey secret (shown once): {shown}",
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
