"""How ``millstream drafts`` shows things: table columns, the spec diff ``deploy --diff``
prints, Flink's errors in ``millstream validate``'s caret format, and ``KEY=VALUE``
options. No I/O, so unit tests call these directly.
"""

from __future__ import annotations

import difflib
from typing import Any

import typer
import yaml

from millstream.cli.commands.validate import caret_report, verdict
from millstream.cli.output import Column, when
from millstream.client import (
    Artifact,
    Deployment,
    DeploymentDraft,
    DraftDeployResult,
    DraftValidation,
    SpecRevision,
)

__all__ = [
    "DRAFT_COLUMNS",
    "DRAFT_DETAIL",
    "REVISION_COLUMNS",
    "deploy_failure",
    "draft_source",
    "pairs",
    "spec_diff",
    "validation_report",
    "validation_verdict",
]


def _lock(draft: DeploymentDraft) -> str:
    lock = draft.lock
    if lock is None:
        return ""
    return f"{lock.holder_name or lock.holder_id} until {when(lock.expires_at)}"


DRAFT_COLUMNS: list[Column] = [
    ("NAME", lambda d: d.name),
    ("ID", lambda d: d.deployment_draft_id),
    ("KIND", lambda d: d.kind),
    ("ENGINE", lambda d: d.engine_version),
    ("FOLDER", lambda d: d.parent_id),
    ("DEPLOYMENT", lambda d: d.referenced_deployment_id),
    ("LOCKED BY", _lock),
    ("MODIFIED", lambda d: when(d.modified_at)),
]
DRAFT_DETAIL: list[Column] = [
    *DRAFT_COLUMNS,
    ("MODE", lambda d: d.execution_mode),
    ("LABELS", lambda d: " ".join(f"{k}={v}" for k, v in sorted((d.labels or {}).items()))),
    ("VARIABLES", lambda d: " ".join(f"{v.name}={v.value}" for v in d.local_variables or [])),
    ("MODIFIER", lambda d: d.modifier_name),
]
REVISION_COLUMNS: list[Column] = [
    ("REVISION", lambda r: r.revision_id),
    ("CREATED", lambda r: when(r.created_at)),
    ("BY", lambda r: r.creator),
    ("DRAFT", lambda r: r.deployment_draft_id),
    ("KIND", lambda r: r.artifact.kind if r.artifact else None),
    ("ENGINE", lambda r: r.engine_version),
]


def pairs(values: list[str] | None, option: str) -> dict[str, str] | None:
    """``KEY=VALUE`` options as a dict (None when none were given: leave it unchanged)."""
    if not values:
        return None
    found: dict[str, str] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{value!r} is not KEY=VALUE", param_hint=option)
        found[key.strip()] = text
    return found


def draft_source(artifact: Artifact | None) -> str:
    """The SQL text of an artifact ('' for a JAR or Python draft)."""
    if artifact is None or artifact.sql_artifact is None:
        return ""
    return artifact.sql_artifact.sql_script or ""


class _Literal(str):
    """A string YAML prints as a ``|`` block, so a diff of SQL shows its lines."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


class _SpecDumper(yaml.SafeDumper):
    pass


_SpecDumper.add_representer(_Literal, _literal)


def _spec(item: DeploymentDraft | Deployment | SpecRevision | None) -> str:
    """The fields a draft deploy sets, as YAML (multi-line text as blocks)."""
    if item is None:
        return ""
    spec: dict[str, Any] = {
        "name": item.name,
        "executionMode": item.execution_mode,
        "engineVersion": item.engine_version,
        "labels": dict(item.labels or {}),
        "localVariables": {v.name: v.value for v in item.local_variables or []},
        "artifact": item.artifact.to_wire() if item.artifact else None,
    }

    def blocks(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: blocks(v) for k, v in value.items()}
        if isinstance(value, str) and "\n" in value:
            return _Literal(value.rstrip("\n") + "\n")
        return value

    return yaml.dump(blocks(spec), Dumper=_SpecDumper, sort_keys=True, allow_unicode=True)


def spec_diff(draft: DeploymentDraft, deployment: Deployment | None) -> str:
    """A unified diff from the deployment's current spec to the draft's ('' if equal);
    with no deployment yet, every line of the draft is an addition."""
    before = _spec(deployment).splitlines(keepends=True)
    after = _spec(draft).splitlines(keepends=True)
    current = f"deployment/{deployment.name}" if deployment is not None else "/dev/null"
    return "".join(difflib.unified_diff(before, after, current, f"draft/{draft.name}"))


def validation_report(draft: DeploymentDraft, result: DraftValidation) -> str:
    """Flink's error as ``name:line:col: error: ...`` with a caret, as ``millstream
    validate`` prints it, and any problem of the draft itself on lines of their own."""
    name = draft.name or draft.deployment_draft_id or "draft"
    lines = [f"{name}: error: {problem}" for problem in result.problems]
    sql = result.as_sql_validation()
    if sql.error_details is not None or not lines:
        lines.insert(0, caret_report(draft_source(draft.artifact), name, sql))
    return "\n".join(lines)


def validation_verdict(draft: DeploymentDraft, result: DraftValidation) -> dict[str, Any]:
    """What ``drafts validate -o json|yaml`` prints."""
    report = verdict(draft.name or "", result.as_sql_validation())
    report["valid"] = result.valid
    report["draftId"] = draft.deployment_draft_id
    if result.problems:
        report["problems"] = result.problems
        report.setdefault("message", result.problems[0])
    return report


def deploy_failure(draft: DeploymentDraft, result: DraftDeployResult) -> str:
    """Why a deploy failed: the located SQL error when validation refused the draft."""
    sql = result.as_sql_validation()
    name = draft.name or draft.deployment_draft_id or "draft"
    if sql.error_details is not None:
        return caret_report(draft_source(draft.artifact), name, sql)
    return f"{name}: error: {result.message or 'deploy failed'}"
