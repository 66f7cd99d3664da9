"""``millstream diff -f FILE`` and ``millstream apply -f FILE``: deployments kept in Git.

``diff`` prints the plan (create, update with the changed fields, unchanged, delete with
``--prune``) and exits 0 when nothing would change, 8 when something would (scripts and
CI use it like ``terraform plan -detailed-exitcode``; 2 stays the usage-error code).
``apply`` carries the plan out through the client; applying the same file again changes
nothing. Updates write the deployment only: a running job keeps the spec it started with
until it is restarted (the native API's semantics); the plan says which jobs that is.
With ``--hot-update``, an update that changes only parallelism and ``flinkConf`` is brought
to the deployment's RUNNING jobs by the server's hot update (savepoint + restart; with
``--wait`` until the new job runs).
``--prune`` deletes deployments labelled ``millstream.io/managed-by=apply`` (and matching
``--selector``) that the files no longer name; one with a live job is refused — the whole
apply stops before changing anything — unless ``--force``, which cancels the job first.
Reading and planning live in ``cli/apply_documents.py`` and ``cli/apply_plan.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from millstream.cli.apply_documents import ApplyFileError, DesiredDeployment, parse_documents
from millstream.cli.apply_plan import Action, Change, Plan, make_plan
from millstream.cli.exit_codes import ExitCode
from millstream.cli.options import OutputOpt, TimeoutOpt, WaitOpt
from millstream.cli.output import plain, render
from millstream.cli.progress import wait_hot_update
from millstream.cli.state import CliState, OutputFormat, state_of
from millstream.client import Deployment, MillstreamClient

__all__ = ["DIFF_CHANGES_EXIT", "register"]

DIFF_CHANGES_EXIT = 8  # diff found changes (0: none, 1: error, 2: usage)
_LIVE = frozenset({"STARTING", "RUNNING", "CANCELLING", "SUSPENDED"})
_ENDED = frozenset({"CANCELLED", "FINISHED", "FAILED"})
_PAGE = 100

FilesOpt = Annotated[
    list[Path],
    typer.Option(
        "--filename",
        "-f",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        help="YAML file of deployments (repeatable; multi-document or a list).",
    ),
]
PruneOpt = Annotated[
    bool,
    typer.Option(
        "--prune",
        help="Also delete applied deployments (label millstream.io/managed-by=apply) "
        "that the files no longer name.",
    ),
]
SelectorOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--selector",
        "-l",
        metavar="KEY=VALUE",
        help="key=value label (repeatable): only file deployments carrying it are applied "
        "and only deployments carrying it are pruned.",
    ),
]


def _selector(pairs: list[str] | None) -> dict[str, str]:
    selector: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"--selector takes key=value (got {pair!r})")
        selector[key.strip()] = value.strip()
    return selector


def _read(files: list[Path], namespace: str) -> list[DesiredDeployment]:
    desired: list[DesiredDeployment] = []
    for path in files:
        base = path.parent

        def read_text(name: str, base: Path = base) -> str:
            return (base / name).expanduser().read_text(encoding="utf-8")

        text = path.read_text(encoding="utf-8")
        desired.extend(
            parse_documents(text, file=str(path), namespace=namespace, read_text=read_text)
        )
    return desired


def _current(client: MillstreamClient) -> list[Deployment]:
    found: list[Deployment] = []
    page_index = 1
    while True:
        page = client.list_deployments(page_index=page_index, page_size=_PAGE)
        found.extend(page.items)
        total = page.total_size if page.total_size is not None else len(found)
        if not page.items or len(found) >= total:
            return found
        page_index += 1


def _live_jobs(client: MillstreamClient, deployment_id: str) -> list[str]:
    jobs = client.list_jobs(deployment_id).items
    return [f"{job.job_id} ({job.state})" for job in jobs if job.state in _LIVE]


def _plan(state: CliState, files: list[Path], *, prune: bool, selector: dict[str, str]) -> Plan:
    client = state.client()
    try:
        desired = _read(files, client.namespace)
        current = _current(client)
        draft = make_plan(
            desired, [dep.to_wire() for dep in current], prune=prune, selector=selector
        )
    except ApplyFileError as exc:
        state.err().print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(int(ExitCode.ERROR)) from exc
    # Live jobs matter for updates (the note) and deletions (blocked); ask only for those.
    touched = {c.name for c in draft.changes if c.action in (Action.UPDATE, Action.DELETE)}
    live = {
        dep.name or "": _live_jobs(client, dep.deployment_id or "")
        for dep in current
        if dep.name in touched
    }
    return make_plan(
        desired, [dep.to_wire() for dep in current], prune=prune, selector=selector, live_jobs=live
    )


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if value is not None else "—"
    return text if len(text) <= 80 else text[:77] + "…"


def _print_plan(state: CliState, plan: Plan, *, force: bool) -> None:
    out = state.out()
    marks = {
        Action.CREATE: "[green]+ create[/green]",
        Action.UPDATE: "[yellow]~ update[/yellow]",
        Action.UNCHANGED: "[dim]= unchanged[/dim]",
        Action.DELETE: "[red]- delete[/red]",
    }
    for change in plan.changes:
        out.print(f"{marks[change.action]}  {change.name}", highlight=False)
        for diff in change.fields:
            out.print(f"    {diff.path}: {_short(diff.old)} → {_short(diff.new)}", highlight=False)
        if change.action is Action.UPDATE and change.live_jobs:
            hint = " (or --hot-update)" if change.hot_updatable else ""
            out.print(
                f"    [dim]live job {', '.join(change.live_jobs)} keeps its old spec until "
                f"restarted{hint}[/dim]",
                highlight=False,
            )
        if change.blocked:
            how = "will be cancelled first (--force)" if force else "blocks it; use --force"
            out.print(
                f"    [red]live job {', '.join(change.live_jobs)} {how}[/red]", highlight=False
            )
    counts = plan.summary()
    out.print(
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete, {counts['unchanged']} unchanged.",
        highlight=False,
    )


def _plan_json(plan: Plan, *, force: bool) -> dict[str, Any]:
    def one(change: Change) -> dict[str, Any]:
        item: dict[str, Any] = {"action": change.action.value, "name": change.name}
        if change.deployment_id:
            item["deploymentId"] = change.deployment_id
        if change.fields:
            item["fields"] = [
                {"path": diff.path, "old": diff.old, "new": diff.new} for diff in change.fields
            ]
        if change.live_jobs:
            item["liveJobs"] = list(change.live_jobs)
        if change.action is Action.UPDATE:
            item["hotUpdatable"] = change.hot_updatable
        if change.blocked:
            item["blocked"] = not force
        return item

    return {
        "changes": [one(change) for change in plan.changes],
        "summary": {**plan.summary(), "changed": plan.changed},
    }


def _show(state: CliState, plan: Plan, output: OutputFormat | None, *, force: bool) -> None:
    fmt = state.format(output)
    if fmt is OutputFormat.TABLE:
        _print_plan(state, plan, force=force)
    else:
        render(state, plain(_plan_json(plan, force=force)), fmt)


def diff(
    ctx: typer.Context,
    files: FilesOpt,
    prune: PruneOpt = False,
    selector: SelectorOpt = None,
    output: OutputOpt = None,
) -> None:
    """Show what `apply` would change; exit 0 if nothing, 8 if something would change."""
    state = state_of(ctx)
    plan = _plan(state, files, prune=prune, selector=_selector(selector))
    _show(state, plan, output, force=False)
    if plan.changed:
        raise typer.Exit(DIFF_CHANGES_EXIT)


def _stop_live(state: CliState, client: MillstreamClient, change: Change, timeout: float) -> None:
    for job in client.list_jobs(change.deployment_id or "").items:
        if job.state not in _LIVE:
            continue
        state.err().print(f"Cancelling job {job.job_id} of {change.name}", highlight=False)
        client.stop_job(job.job_id or "", "NONE")
        client.wait_for_job(job.job_id or "", _ENDED, timeout, state.poll)


def _hot_update(
    state: CliState, client: MillstreamClient, change: Change, *, wait: bool, timeout: float
) -> None:
    """Bring the deployment's new parallelism and configuration to its RUNNING jobs."""
    for job in client.list_jobs(change.deployment_id or "").items:
        if job.state != "RUNNING":
            continue
        # No parameters: the server applies the deployment's (just updated) settings.
        result = client.hot_update_job(job.job_id or "")
        state.err().print(
            f"Hot update {result.job_hot_update_id} of job {job.job_id} ({change.name}) requested",
            highlight=False,
        )
        if wait:
            wait_hot_update(state, client, result.job_hot_update_id or "", timeout)


def _execute(state: CliState, plan: Plan, *, hot_update: bool, wait: bool, timeout: float) -> None:
    client = state.client()
    err = state.err()
    for change in plan.changes:
        if change.action is Action.CREATE:
            client.create_deployment(Deployment.model_validate(change.spec))
            err.print(f"Created deployment {change.name}", highlight=False)
        elif change.action is Action.UPDATE:
            body = {**(change.spec or {}), "resourceVersion": change.resource_version}
            client.update_deployment(change.deployment_id or "", Deployment.model_validate(body))
            err.print(f"Updated deployment {change.name}", highlight=False)
            if hot_update and change.live_jobs and change.hot_updatable:
                _hot_update(state, client, change, wait=wait, timeout=timeout)
            elif change.live_jobs:
                err.print(
                    f"  live job {', '.join(change.live_jobs)} keeps its old spec until restarted",
                    highlight=False,
                )
        elif change.action is Action.DELETE:
            if change.live_jobs:
                _stop_live(state, client, change, timeout)
            client.delete_deployment(change.deployment_id or "")
            err.print(f"Deleted deployment {change.name}", highlight=False)


def apply(
    ctx: typer.Context,
    files: FilesOpt,
    prune: PruneOpt = False,
    selector: SelectorOpt = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="With --prune: cancel live jobs of deployments to delete."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan and change nothing.")
    ] = False,
    hot_update: Annotated[
        bool,
        typer.Option(
            "--hot-update",
            help="Bring changed parallelism/flinkConf to running jobs (savepoint + restart).",
        ),
    ] = False,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = 300.0,
    output: OutputOpt = None,
) -> None:
    """Create, update and (with --prune) delete deployments to match the files."""
    state = state_of(ctx)
    plan = _plan(state, files, prune=prune, selector=_selector(selector))
    if dry_run:
        _show(state, plan, output, force=force)
        return
    if plan.blocked and not force:
        names = ", ".join(change.name for change in plan.blocked)
        state.err().print(
            f"[red]error:[/red] not deleting {names}: a job is live; stop it or pass --force "
            "(nothing was changed)",
            highlight=False,
        )
        raise typer.Exit(int(ExitCode.CONFLICT))
    _execute(state, plan, hot_update=hot_update, wait=wait, timeout=timeout)
    if state.format(output) is OutputFormat.TABLE:
        counts = plan.summary()
        state.out().print(
            f"Applied: {counts['create']} created, {counts['update']} updated, "
            f"{counts['delete']} deleted, {counts['unchanged']} unchanged "
            f"({plan.changed} changed).",
            highlight=False,
        )
    else:
        _show(state, plan, output, force=force)


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
    app.command("apply")(apply)
