"""``millstream deploy sql|jar|python``: create (or update) a deployment, optionally start it.

Deploying a name that exists updates that deployment's artifact and resources, so the
same command works for the first and every later deploy. A JAR or Python file given as a
URI (``s3://…``, ``artifacts://…``) is passed on as given; a local path is first uploaded
to the namespace's artifact store as ``<deployment name>/<file name>`` (so deployments
never overwrite each other's files) and the deployment references the stored URI —
the server refuses ``file://`` URIs of the client's machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from millstream.cli.commands.validate import caret_report
from millstream.cli.exit_codes import ExitCode
from millstream.cli.flink_conf import flink_conf
from millstream.cli.options import OutputOpt, TimeoutOpt, WaitOpt
from millstream.cli.output import render
from millstream.cli.progress import wait_job
from millstream.cli.restore import RestoreOpt, restore_strategy
from millstream.cli.starting import start_job
from millstream.cli.state import CliState, state_of
from millstream.client import (
    ApiError,
    Artifact,
    BasicResourceSetting,
    Deployment,
    JarArtifact,
    MillstreamClient,
    NotFoundError,
    PythonArtifact,
    SqlArtifact,
    StreamingResourceSetting,
)

__all__ = ["artifact_uri", "register"]

deploy_app = typer.Typer(
    help="Create or update a deployment from a SQL script, JAR or Python file."
)

NameOpt = Annotated[str, typer.Option("--name", "-n", help="Deployment name.")]
ParallelismOpt = Annotated[
    int | None, typer.Option("--parallelism", "-p", min=1, help="Job parallelism.")
]
EngineOpt = Annotated[
    str | None,
    typer.Option("--engine-version", help="Engine version (default: the server's default)."),
]
BatchOpt = Annotated[bool, typer.Option("--batch", help="Run in BATCH mode (default STREAMING).")]
StartOpt = Annotated[bool, typer.Option("--start", help="Start a job once deployed.")]
ConfOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--conf",
        "-c",
        metavar="KEY=VALUE",
        help="A Flink configuration entry (repeatable); overrides --conf-file.",
    ),
]
ConfFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--conf-file",
        exists=True,
        dir_okay=False,
        help="Flink configuration: YAML (config.yaml style) or a .properties file. With "
        "--conf, it replaces the deployment's configuration; without, a redeploy keeps it.",
    ),
]


def artifact_uri(state: CliState, location: str, deployment: str) -> str:
    """A URI as given, or the stored URI of the local file ``location`` once uploaded."""
    if "://" in location:
        return location
    path = Path(location).expanduser()
    if not path.is_file():
        raise typer.BadParameter(f"{location!r} is not a URI and no such local file exists")
    with state.err().status(f"Uploading {path.name}…"):
        stored = state.client().upload_artifact(path, f"{deployment}/{path.name}")
    state.err().print(f"Uploaded {path} as {stored.uri}", highlight=False)
    return stored.uri or ""


def _engine_version(client: MillstreamClient, wanted: str | None) -> str | None:
    if wanted:
        return wanted
    try:
        return client.list_engine_versions().default_engine_version
    except NotFoundError:
        return None  # let the server pick


def _deploy(
    ctx: typer.Context,
    *,
    name: str,
    artifact: Artifact,
    parallelism: int | None,
    engine_version: str | None,
    batch: bool,
    start: bool,
    restore: str,
    wait: bool,
    timeout: float,
    output: OutputOpt,
    conf: dict[str, str] | None = None,
) -> None:
    state: CliState = state_of(ctx)
    client = state.client()
    resources = (
        None
        if parallelism is None
        else StreamingResourceSetting(
            resource_setting_mode="BASIC",
            basic_resource_setting=BasicResourceSetting(parallelism=parallelism),
        )
    )
    try:
        existing: Deployment | None = client.get_deployment_by_name(name)
    except NotFoundError:
        existing = None
    if existing is None:
        deployment = client.create_deployment(
            Deployment(
                name=name,
                artifact=artifact,
                execution_mode="BATCH" if batch else "STREAMING",
                engine_version=_engine_version(client, engine_version),
                streaming_resource_setting=resources,
                flink_conf=conf,
            )
        )
        verb = "Created"
    else:
        changes: dict[str, object] = {"artifact": artifact}
        if resources is not None:
            changes["streaming_resource_setting"] = resources
        if engine_version:
            changes["engine_version"] = engine_version
        if conf is not None:
            changes["flink_conf"] = conf
        deployment = client.update_deployment(
            existing.deployment_id or "", existing.model_copy(update=changes)
        )
        verb = "Updated"
    state.err().print(f"{verb} deployment {deployment.name} ({deployment.deployment_id})")
    if not start:
        render(state, deployment, output)
        return
    job = start_job(
        state, client, deployment.deployment_id or "", restore=restore_strategy(restore)
    )
    state.err().print(f"Started job {job.job_id}")
    if wait:
        job = wait_job(state, client, job.job_id or "", frozenset({"RUNNING"}), timeout)
    render(state, job, output)


@contextmanager
def _sql_errors_located(
    state: CliState, source: str, name: str, engine_version: str | None, batch: bool
) -> Iterator[None]:
    """When the server rejects the script as invalid SQL, report it as ``validate`` does
    (``file:line:col`` and a caret, on stderr) and exit 1. The server's error names no
    position, so the script is validated once more — only on this failure path."""
    try:
        yield
    except ApiError as exc:
        if exc.code != "InvalidSql":
            raise
        client = state.client()
        result = client.validate_sql(source, engine_version=engine_version, batch=batch)
        if result.valid:  # rejected for another reason than its text: say what the server said
            raise
        typer.echo(caret_report(source, name, result), err=True)
        raise typer.Exit(int(ExitCode.ERROR)) from exc


@deploy_app.command("sql")
def deploy_sql(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="SQL script.")],
    name: NameOpt,
    parallelism: ParallelismOpt = None,
    engine_version: EngineOpt = None,
    batch: BatchOpt = False,
    start: StartOpt = False,
    restore: RestoreOpt = "latest-state",
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = None,
    conf: ConfOpt = None,
    conf_file: ConfFileOpt = None,
) -> None:
    """Deploy a Flink SQL script (invalid SQL is reported as `validate` does, exit 1)."""
    source = file.read_text(encoding="utf-8")
    settings = flink_conf(conf, conf_file)  # bad options fail before anything is sent
    artifact = Artifact(kind="SQLSCRIPT", sql_artifact=SqlArtifact(sql_script=source))
    with _sql_errors_located(state_of(ctx), source, str(file), engine_version, batch):
        _deploy(
            ctx, name=name, artifact=artifact, parallelism=parallelism,
            engine_version=engine_version, batch=batch, start=start, restore=restore,
            wait=wait, timeout=timeout, output=output, conf=settings,
        )  # fmt: skip


@deploy_app.command("jar")
def deploy_jar(
    ctx: typer.Context,
    jar: Annotated[str, typer.Argument(help="JAR URI or local path.")],
    name: NameOpt,
    entry_class: Annotated[
        str | None, typer.Option("--entry-class", help="Main class (default: the manifest's).")
    ] = None,
    args: Annotated[str | None, typer.Option("--args", help="Program arguments.")] = None,
    parallelism: ParallelismOpt = None,
    engine_version: EngineOpt = None,
    batch: BatchOpt = False,
    start: StartOpt = False,
    restore: RestoreOpt = "latest-state",
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = None,
    conf: ConfOpt = None,
    conf_file: ConfFileOpt = None,
) -> None:
    """Deploy a Flink JAR (a local path is uploaded first)."""
    settings = flink_conf(conf, conf_file)  # bad options fail before the upload
    uri = artifact_uri(state_of(ctx), jar, name)
    artifact = Artifact(
        kind="JAR", jar_artifact=JarArtifact(jar_uri=uri, entry_class=entry_class, main_args=args)
    )
    _deploy(
        ctx, name=name, artifact=artifact, parallelism=parallelism,
        engine_version=engine_version, batch=batch, start=start, restore=restore, wait=wait,
        timeout=timeout, output=output, conf=settings,
    )  # fmt: skip


@deploy_app.command("python")
def deploy_python(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="Python file URI or local path.")],
    name: NameOpt,
    entry_module: Annotated[
        str | None, typer.Option("--entry-module", help="Module to run (for archives).")
    ] = None,
    args: Annotated[str | None, typer.Option("--args", help="Program arguments.")] = None,
    parallelism: ParallelismOpt = None,
    engine_version: EngineOpt = None,
    batch: BatchOpt = False,
    start: StartOpt = False,
    restore: RestoreOpt = "latest-state",
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = None,
    conf: ConfOpt = None,
    conf_file: ConfFileOpt = None,
) -> None:
    """Deploy a PyFlink program (a local path is uploaded first)."""
    settings = flink_conf(conf, conf_file)  # bad options fail before the upload
    uri = artifact_uri(state_of(ctx), file, name)
    artifact = Artifact(
        kind="PYTHON",
        python_artifact=PythonArtifact(
            python_artifact_uri=uri, entry_module=entry_module, main_args=args
        ),
    )
    _deploy(
        ctx, name=name, artifact=artifact, parallelism=parallelism,
        engine_version=engine_version, batch=batch, start=start, restore=restore, wait=wait,
        timeout=timeout, output=output, conf=settings,
    )  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(deploy_app, name="deploy")
