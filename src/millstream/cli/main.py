"""The ``millstream`` app (entry point ``millstream.cli.main:app``).

Global options fill a ``CliState``; each command family registers itself from
``commands/``, loaded on first use through the ``_COMMANDS`` table (a new module: add its
commands there). Client errors are turned into a message on stderr and an exit code in
one place, ``_ErrorMappingGroup.invoke``, so commands never catch them.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from millstream.cli.exit_codes import EXIT_CODES_HELP, exit_code_for
from millstream.cli.help_style import tidy, tidy_one
from millstream.cli.state import CliState, OutputFormat, state_of

__all__ = ["app"]


# Command name -> (module of ``commands/`` that registers it, its one-line help).
# A module is imported only when one of its commands runs or shows its own help, so
# ``millstream --help`` loads neither the client nor httpx (they cost most of a second);
# tests/unit/cli/test_lazy_commands.py checks this table against what the modules register.
# Listing order is the order of ``millstream --help``.
_COMMANDS: dict[str, tuple[str, str]] = {
    "up": ("server", "Run the Millstream server with an embedded Flink, in the foreground "
           "(Ctrl-C stops it)."),
    "status": ("server", "Show whether the server is up (exit code 6 when it cannot be reached)."),
    "deploy": ("deploy", "Create or update a deployment from a SQL script, JAR or Python file."),
    "deployments": ("deployments", "List, show and delete deployments."),
    "start": ("jobs", "Start a job of a deployment (and wait for RUNNING with --wait)."),
    "stop": ("jobs", "Stop a job (with a savepoint unless --drain or --cancel)."),
    "suspend": ("jobs", "Suspend a RUNNING job: stop it with a savepoint and keep it to "
                "resume later."),
    "resume": ("jobs", "Resume a SUSPENDED job from its suspend savepoint (wait for RUNNING "
               "with --wait)."),
    "logs": ("jobs", "Print a job's JobManager, TaskManager or stdout log (-f to follow)."),
    "jobs": ("jobs", "List, show and delete jobs (runs of a deployment)."),
    "hot-update": ("hot_updates", "Change a running job's parallelism or Flink configuration "
                   "(savepoint + restart)."),
    "diagnose": ("diagnosis", "Diagnose a job: health score, risk level and symptoms with "
                 "recommendations."),
    "top": ("top", "Show running jobs with their throughput and backpressure, refreshed "
            "live (--once: one snapshot)."),
    "savepoint": ("savepoints", "Take a savepoint of a deployment's running job (wait for it "
                  "with --wait)."),
    "savepoints": ("savepoints", "List, show and delete savepoints."),
    "artifacts": ("artifacts", "Upload, list and delete JARs and Python files."),
    "udfs": ("udfs", "Register, list and delete UDF artifacts and their functions."),
    "connectors": ("udfs", "Register, list and delete custom connectors."),
    "variables": ("variables", "Set, list and delete namespace variables."),
    "events": ("events", "List events of the namespace or of one deployment."),
    "alerts": ("alerts", "List firing alerts; create, list and delete alert rules."),
    "health": ("health", "Show a deployment's health; set or remove its health policy "
               "(restart limits, auto restart, rollback)."),
    "validate": ("validate", "Validate a Flink SQL script (exit code 1 when invalid)."),
    "catalog": ("catalog", "The namespace's SQL catalog: list catalogs, databases and tables, "
                "show a table's DDL, exec DDL."),
    "sql": ("catalog", "Interactive SQL: preview a query's rows with a row and time budget."),
    "keys": ("keys", "Create, list, disable, enable and revoke access keys."),
    "engine-versions": ("engine_versions", "List engine versions; the default one is marked."),
    "queues": ("queues", "List, show, create, update and delete queues (CU quotas)."),
    "runtimes": ("runtimes", "List, install and remove Flink runtimes (one per Flink version, "
                 "1.18 and newer)."),
    "diff": ("apply", "Show what `apply` would change; exit 0 if nothing, 8 if something "
             "would change."),
    "apply": ("apply", "Create, update and (with --prune) delete deployments to match the "
              "files."),
    "drafts": ("drafts", "Create, edit, lock, validate and deploy deployment drafts; roll "
               "deployments back."),
    "plans": ("plans", "List, create, apply, stop and delete scheduled plans; show what "
              "they applied."),
    "lineage": ("lineage", "Show table (and column) lineage of a deployment or around a "
                "table."),
}  # fmt: skip


def load_commands(module_name: str) -> dict[str, Any]:
    """The click commands one ``commands/`` module registers, by name."""
    module = importlib.import_module(f"millstream.cli.commands.{module_name}")
    holder = typer.Typer()
    module.register(holder)
    return dict(typer.main.get_group(holder).commands)


class _ErrorMappingGroup(TyperGroup):
    """Loads subcommands on first use; maps client errors to a stderr message and an exit
    code for every one of them."""

    _listing = False  # True while the group's own help lists the commands

    def list_commands(self, ctx: Any) -> list[str]:  # noqa: ARG002 (click's signature)
        return [*self.commands, *(name for name in _COMMANDS if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in _COMMANDS:
            module_name, short_help = _COMMANDS[cmd_name]
            if self._listing:  # a name and a line of help is all the listing needs
                return TyperCommand(cmd_name, help=short_help)
            for name, command in load_commands(module_name).items():
                tidy(command, ctx)
                self.add_command(command, name)
        return self.commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        tidy_one(self, ctx)
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    # ctx is Typer's (vendored) click Context; Any avoids naming a private module.
    def invoke(self, ctx: Any) -> Any:
        from millstream.client import MillstreamClientError

        try:
            return super().invoke(ctx)
        except MillstreamClientError as exc:
            CliState.err().print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(int(exit_code_for(exc))) from exc


app = typer.Typer(
    name="millstream",
    cls=_ErrorMappingGroup,
    no_args_is_help=True,
    help=f"Millstream: a control plane for Apache Flink.\n\n{EXIT_CODES_HELP}",
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option("--url", help="Server URL (env MILLSTREAM_URL).")
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="Profile in the credentials file (env MILLSTREAM_PROFILE)."),
    ] = None,
    workspace: Annotated[
        str | None, typer.Option("--workspace", help="Workspace (env MILLSTREAM_WORKSPACE).")
    ] = None,
    namespace: Annotated[
        str | None, typer.Option("--namespace", help="Namespace (env MILLSTREAM_NAMESPACE).")
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="Output format.")
    ] = OutputFormat.TABLE,
) -> None:
    state = state_of(ctx)
    state.url, state.profile = url, profile
    state.workspace, state.namespace = workspace, namespace
    state.output = output
    ctx.call_on_close(state.close)
