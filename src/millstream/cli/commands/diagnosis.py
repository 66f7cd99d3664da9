"""``millstream diagnose JOB``: the server's health check of a job (GetJobDiagnosis).

Prints the health score and risk level, then each symptom found with what to do about it.
"""

from __future__ import annotations

import typer
from rich.table import Table

from millstream.cli.commands.jobs import JobArg
from millstream.cli.options import OutputOpt
from millstream.cli.output import render, when
from millstream.cli.resolve import resolve_job
from millstream.cli.state import OutputFormat, state_of

__all__ = ["register"]


def diagnose(ctx: typer.Context, ref: JobArg, output: OutputOpt = None) -> None:
    """Diagnose a job: health score, risk level and symptoms with recommendations."""
    state = state_of(ctx)
    client = state.client()
    job = resolve_job(client, ref)
    diagnosis = client.get_job_diagnosis(job.deployment_id or "", job.job_id or "")
    if state.format(output) is not OutputFormat.TABLE:
        render(state, diagnosis, output)
        return
    render(
        state,
        {
            "JOB": diagnosis.job_id,
            "DEPLOYMENT": job.deployment_name or diagnosis.deployment_id,
            "HEALTH SCORE": diagnosis.health_score,
            "RISK LEVEL": diagnosis.risk_level,
            "DIAGNOSED": when(diagnosis.diagnose_time),
        },
    )
    symptoms = diagnosis.symptoms.all() if diagnosis.symptoms else []
    console = state.out()
    if not symptoms:
        console.print("[green]no symptoms found[/green]")
        return
    table = Table(header_style="bold")
    for label in ("GROUP", "SEVERITY", "SYMPTOM", "DESCRIPTION", "RECOMMENDATION"):
        table.add_column(label, overflow="fold")
    for group, symptom in symptoms:
        table.add_row(
            group,
            symptom.severity or "",
            symptom.name or "",
            symptom.description or "",
            symptom.recommendation or "",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(diagnose)
