"""What every command gets from the global options: settings, output format, a client.

The app's callback fills a ``CliState`` into ``ctx.obj``. Tests pass their own
(``CliRunner().invoke(app, args, obj=CliState(client_factory=...))``) to back the CLI
with an ``httpx.MockTransport``; nothing else is global.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # imported on use, so ``millstream --help`` stays fast
    from rich.console import Console

    from millstream.client import ClientConfig, MillstreamClient

__all__ = ["CliState", "ClientFactory", "OutputFormat", "state_of"]

ClientFactory = Callable[["ClientConfig"], "MillstreamClient"]


class OutputFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


def _default_factory(config: ClientConfig) -> MillstreamClient:
    from millstream.client import MillstreamClient

    return MillstreamClient(config)


@dataclass
class CliState:
    """Global options plus the client built from them (once, closed when the CLI exits)."""

    client_factory: ClientFactory = _default_factory
    url: str | None = None
    profile: str | None = None
    workspace: str | None = None
    namespace: str | None = None
    output: OutputFormat = OutputFormat.TABLE
    poll: float = 1.0  # seconds between status polls while waiting; tests use 0
    _config: ClientConfig | None = field(default=None, repr=False)
    _client: MillstreamClient | None = field(default=None, repr=False)

    def config(self) -> ClientConfig:
        if self._config is None:
            from millstream.client import ClientConfig

            self._config = ClientConfig.load(
                self.profile, url=self.url, workspace=self.workspace, namespace=self.namespace
            )
        return self._config

    def client(self) -> MillstreamClient:
        if self._client is None:
            self._client = self.client_factory(self.config())
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def format(self, override: OutputFormat | None) -> OutputFormat:
        """A command's own ``-o`` wins over the global one."""
        return override or self.output

    @staticmethod
    def out() -> Console:
        # Built on each use so it writes to whatever sys.stdout is now (CliRunner swaps it).
        return _console(stderr=False)

    @staticmethod
    def err() -> Console:
        return _console(stderr=True)


# Width of a console that is not a terminal (a pipe, a file): wide enough that Rich never
# wraps or folds a line, so ``millstream jobs list | grep`` sees one row per line.
_PIPED_WIDTH = 100_000


def _console(*, stderr: bool) -> Console:
    """A Rich console; to a pipe it does not wrap (unless ``COLUMNS`` asks for a width)."""
    from rich.console import Console

    console = Console(stderr=stderr, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = _PIPED_WIDTH
    return console


def state_of(ctx: typer.Context) -> CliState:
    """The ``CliState`` of this invocation (a default one when run without the callback)."""
    return ctx.ensure_object(CliState)
