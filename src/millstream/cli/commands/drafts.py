"""``millstream drafts``: deployment drafts, edited under a lock, validated by Flink's
planner and deployed (a draft becomes a deployment, or updates the one it references);
``revisions`` and ``rollback`` go back to a spec an earlier deploy replaced.

A draft is named by its id or its name. ``validate`` and ``deploy`` print Flink's error
as ``millstream validate`` does (``name:line:col: error:`` and a caret) and exit 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

import typer

from millstream.cli.commands.deploy import artifact_uri
from millstream.cli.commands.deployments import YesOpt
from millstream.cli.draft_views import (
    DRAFT_COLUMNS,
    DRAFT_DETAIL,
    REVISION_COLUMNS,
    deploy_failure,
    pairs,
    spec_diff,
    validation_report,
    validation_verdict,
)
from millstream.cli.exit_codes import ExitCode
from millstream.cli.options import OutputOpt, TimeoutOpt
from millstream.cli.output import render, when
from millstream.cli.resolve import is_id, resolve_deployment
from millstream.cli.state import CliState, OutputFormat, state_of
from millstream.client import (
    Artifact,
    Deployment,
    DeploymentDraft,
    JarArtifact,
    MillstreamClient,
    NotFoundError,
    PythonArtifact,
    SqlArtifact,
)

__all__ = ["register", "resolve_draft"]

drafts_app = typer.Typer(
    help="Create, edit, lock, validate and deploy deployment drafts; roll deployments back."
)

DraftArg = Annotated[str, typer.Argument(help="Draft id or name.")]
FileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file",
        "-f",
        exists=True,
        dir_okay=False,
        help="A .sql script (inlined), or a .jar / .py file (uploaded).",
    ),
]
EngineOpt = Annotated[str | None, typer.Option("--engine-version", help="Engine version.")]
FolderOpt = Annotated[str | None, typer.Option("--folder", help="Folder id ('0': the root).")]
LabelOpt = Annotated[list[str] | None, typer.Option("--label", help="KEY=VALUE (repeatable).")]
VarOpt = Annotated[
    list[str] | None, typer.Option("--var", help="Draft variable NAME=VALUE (repeatable).")
]
EntryOpt = Annotated[str | None, typer.Option("--entry-class", help="JAR main class.")]


def resolve_draft(client: MillstreamClient, ref: str) -> DeploymentDraft:
    """The draft with this id, else the one with this name (``NotFoundError`` if none; a
    name several drafts share must be given as an id)."""
    if is_id(ref):
        try:
            return client.get_draft(ref)
        except NotFoundError:
            pass  # a draft may be named like a UUID
    found: list[DeploymentDraft] = []
    page_index = 1
    while True:
        page = client.list_drafts(page_index=page_index, page_size=100)
        found += [d for d in page.items if ref in (d.name, d.deployment_draft_id)]
        if len(page.items) < 100:
            break
        page_index += 1
    if len(found) > 1:
        ids = ", ".join(d.deployment_draft_id or "" for d in found)
        raise typer.BadParameter(f"{len(found)} drafts are named {ref!r} ({ids}); give an id")
    if not found:
        CliState.err().print(f"[red]error:[/red] no draft {ref!r}", highlight=False)
        raise typer.Exit(int(ExitCode.NOT_FOUND))
    return found[0]


def _artifact(cli: CliState, file: Path, name: str, entry_class: str | None) -> Artifact:
    suffix = file.suffix.lower()
    if suffix == ".sql":
        script = file.read_text(encoding="utf-8")
        return Artifact(kind="SQLSCRIPT", sql_artifact=SqlArtifact(sql_script=script))
    uri = artifact_uri(cli, str(file), f"drafts/{name}")
    if suffix == ".jar":
        return Artifact(kind="JAR", jar_artifact=JarArtifact(jar_uri=uri, entry_class=entry_class))
    if suffix == ".py":
        return Artifact(kind="PYTHON", python_artifact=PythonArtifact(python_artifact_uri=uri))
    raise typer.BadParameter(f"{file} is not a .sql, .jar or .py file", param_hint="--file")


def _default_engine(client: MillstreamClient, wanted: str | None) -> str | None:
    if wanted:
        return wanted
    try:
        return client.list_engine_versions().default_engine_version
    except NotFoundError:
        return None  # the server picks


@drafts_app.command("list")
def list_drafts(ctx: typer.Context, output: OutputOpt = None) -> None:
    """List the namespace's drafts (the lock holder, if any)."""
    cli = state_of(ctx)
    client = cli.client()
    items: list[DeploymentDraft] = []
    page_index = 1
    while True:
        page = client.list_drafts(page_index=page_index, page_size=100)
        items += page.items
        if len(page.items) < 100:
            break
        page_index += 1
    render(cli, items, output, columns=DRAFT_COLUMNS)


@drafts_app.command("show")
def show(ctx: typer.Context, draft: DraftArg, output: OutputOpt = None) -> None:
    """Show a draft (with -o yaml: its whole spec, SQL included)."""
    cli = state_of(ctx)
    render(cli, resolve_draft(cli.client(), draft), output, columns=DRAFT_DETAIL)


@drafts_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Draft name (the deployment's name on deploy).")],
    file: FileOpt = None,
    engine_version: EngineOpt = None,
    folder: FolderOpt = None,
    label: LabelOpt = None,
    var: VarOpt = None,
    entry_class: EntryOpt = None,
    deployment: Annotated[
        str | None,
        typer.Option("--deployment", help="Deploy onto this deployment (name or id)."),
    ] = None,
    batch: Annotated[bool, typer.Option("--batch", help="Batch execution mode.")] = False,
    output: OutputOpt = None,
) -> None:
    """Create a draft from a SQL script (or a JAR / Python file)."""
    cli = state_of(ctx)
    if file is None:
        raise typer.BadParameter("a draft needs its code", param_hint="--file")
    client = cli.client()
    labels, variables = pairs(label, "--label"), pairs(var, "--var")
    artifact = _artifact(cli, file, name, entry_class)
    target = resolve_deployment(client, deployment).deployment_id if deployment else None
    created = client.create_draft(
        name,
        artifact,
        folder_id=folder,
        engine_version=_default_engine(client, engine_version),
        execution_mode="BATCH" if batch else "STREAMING",
        labels=labels,
        variables=variables,
        deployment_id=target,
    )
    cli.err().print(f"Created draft {created.name} ({created.deployment_draft_id})")
    render(cli, created, output, columns=DRAFT_DETAIL)


@drafts_app.command("update")
def update(
    ctx: typer.Context,
    draft: DraftArg,
    file: FileOpt = None,
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    engine_version: EngineOpt = None,
    folder: FolderOpt = None,
    label: LabelOpt = None,
    var: VarOpt = None,
    entry_class: EntryOpt = None,
    output: OutputOpt = None,
) -> None:
    """Change a draft: only what is given changes (labels and variables are replaced)."""
    cli = state_of(ctx)
    client = cli.client()
    current = resolve_draft(client, draft)
    labels, variables = pairs(label, "--label"), pairs(var, "--var")
    artifact = _artifact(cli, file, current.name or draft, entry_class) if file else None
    updated = client.update_draft(
        current.deployment_draft_id or "",
        name=name,
        artifact=artifact,
        folder_id=folder,
        engine_version=engine_version,
        labels=labels,
        variables=variables,
    )
    cli.err().print(f"Updated draft {updated.name} ({updated.deployment_draft_id})")
    render(cli, updated, output, columns=DRAFT_DETAIL)


@drafts_app.command("delete")
def delete(ctx: typer.Context, draft: DraftArg, yes: YesOpt = False) -> None:
    """Delete a draft (its deployment, if deployed, stays)."""
    cli = state_of(ctx)
    client = cli.client()
    found = resolve_draft(client, draft)
    if not yes:
        typer.confirm(f"Delete draft {found.name} ({found.deployment_draft_id})?", abort=True)
    client.delete_draft(found.deployment_draft_id or "")
    cli.err().print(f"Deleted draft {found.name}")


@drafts_app.command("lock")
def lock(
    ctx: typer.Context,
    draft: DraftArg,
    ttl: Annotated[
        int | None,
        typer.Option("--ttl", min=60, max=86_400, help="Seconds to hold it (default 30 min)."),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Take or renew a draft's editing lock (exit 4 while someone else holds it)."""
    cli = state_of(ctx)
    client = cli.client()
    found = resolve_draft(client, draft)
    held = client.lock_draft(found.deployment_draft_id or "", ttl_seconds=ttl)
    render(
        cli,
        held,
        output,
        columns=[
            ("DRAFT", lambda _: found.name),
            ("HOLDER", lambda h: h.holder_name or h.holder_id),
            ("EXPIRES", lambda h: when(h.expires_at)),
            ("LOCK ID", lambda h: h.id),
        ],
    )


@drafts_app.command("validate")
def validate(
    ctx: typer.Context, draft: DraftArg, timeout: TimeoutOpt = 120.0, output: OutputOpt = None
) -> None:
    """Validate a draft with Flink's planner (exit code 1 when invalid)."""
    cli = state_of(ctx)
    client = cli.client()
    found = resolve_draft(client, draft)
    with cli.err().status(f"Validating {found.name}…"):
        result = client.validate_draft(
            found.deployment_draft_id or "", timeout=timeout, poll=max(cli.poll, 0.05) / 2
        )
    if cli.format(output) is not OutputFormat.TABLE:
        render(cli, validation_verdict(found, result), output)
    elif result.valid:
        cli.out().print(f"[green]valid[/green] {found.name}")
    else:
        typer.echo(validation_report(found, result))
    if not result.valid:
        raise typer.Exit(int(ExitCode.ERROR))


@drafts_app.command("deploy")
def deploy(
    ctx: typer.Context,
    draft: DraftArg,
    diff: Annotated[
        bool, typer.Option("--diff", help="Show the spec diff against the deployment first.")
    ] = False,
    skip_validate: Annotated[
        bool, typer.Option("--skip-validate", help="Deploy without validating first.")
    ] = False,
    yes: YesOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = None,
) -> None:
    """Deploy a draft and print the deployment (--diff: show the spec change first).

    Creates the draft's deployment, or updates the one it references and keeps the
    replaced spec for ``rollback``."""
    cli = state_of(ctx)
    client = cli.client()
    found = resolve_draft(client, draft)
    if diff:
        _show_diff(cli, client, found, output)
        if not yes:
            typer.confirm(f"Deploy draft {found.name}?", abort=True)
    with cli.err().status(f"Deploying {found.name}…"):
        result = client.deploy_draft(
            found.deployment_draft_id or "",
            skip_validate=skip_validate,
            timeout=timeout,
            poll=max(cli.poll, 0.05) / 2,
        )
    if not result.success or not result.deployment_id:
        typer.echo(deploy_failure(found, result), err=cli.format(output) is not OutputFormat.TABLE)
        raise typer.Exit(int(ExitCode.ERROR))
    deployment = client.get_deployment(result.deployment_id)
    note = f", previous spec kept as {result.previous_spec_revision_id}"
    kept = note if result.previous_spec_revision_id else ""
    cli.err().print(
        f"Deployed draft {found.name} as {deployment.name} ({result.deployment_id}{kept})"
    )
    render(cli, deployment, output)


def _show_diff(
    cli: CliState, client: MillstreamClient, found: DeploymentDraft, output: OutputFormat | None
) -> None:
    current = None
    if found.referenced_deployment_id:
        try:
            current = client.get_deployment(found.referenced_deployment_id)
        except NotFoundError:
            current = None
    text = spec_diff(found, current) or "no changes to the deployment's spec\n"
    to_stderr = cli.format(output) is not OutputFormat.TABLE  # stdout stays machine-readable
    typer.echo(text, nl=False, err=to_stderr)


@drafts_app.command("revisions")
def revisions(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="Deployment name or id.")],
    output: OutputOpt = None,
) -> None:
    """List the specs deploys replaced on a deployment, newest first."""
    cli = state_of(ctx)
    client = cli.client()
    found = resolve_deployment(client, deployment)
    kept = client.list_spec_revisions(found.deployment_id or "")
    render(cli, cast(Any, kept), output, columns=REVISION_COLUMNS)


@drafts_app.command("rollback")
def rollback(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="Deployment name or id.")],
    revision: Annotated[
        str | None, typer.Option("--revision", help="Revision id (default: the newest).")
    ] = None,
    yes: YesOpt = False,
    output: OutputOpt = None,
) -> None:
    """Put a deployment's previous spec back (the replaced one is kept too).

    A running job keeps its spec until it is restarted."""
    cli = state_of(ctx)
    client = cli.client()
    found = resolve_deployment(client, deployment)
    if not yes:
        typer.confirm(f"Roll back deployment {found.name}?", abort=True)
    result = client.rollback_deployment(found.deployment_id or "", revision_id=revision)
    cli.err().print(
        f"Rolled back {result.name}; the replaced spec is kept as "
        f"{result.replaced_spec_revision_id}"
    )
    table = cli.format(output) is OutputFormat.TABLE  # the table layout is a Deployment's
    render(cli, Deployment.model_validate(result.model_dump()) if table else result, output)


def register(app: typer.Typer) -> None:
    app.add_typer(drafts_app, name="drafts")
