"""The pure parts of ``drafts``, ``plans`` and ``lineage``: the ``--change`` language
both ways, the spec diff, and the caret report of a draft."""

from __future__ import annotations

import pytest
import typer

from millstream.cli.draft_views import spec_diff, validation_report
from millstream.cli.plan_views import describe_policy, lineage_tree, parse_change
from millstream.client import (
    Artifact,
    Deployment,
    DeploymentDraft,
    DraftValidation,
    Lineage,
    ScheduleLevel,
    SqlArtifact,
)


@pytest.mark.parametrize(
    "change",
    [
        "daily 08:00 parallelism=2",
        "mon,wed,sun 23:59 parallelism=1 conf.a.b=c",
        "1,15,31 00:00 conf.x=y",
    ],
)
def test_change_round_trips(change: str) -> None:
    assert describe_policy(parse_change(change)) == change


def test_change_forms() -> None:
    assert parse_change("7:05 parallelism=3").periodic_trigger_time == (7 * 60 + 5) * 60_000
    weekly = parse_change("Monday,fri 08:00 parallelism=2")
    assert weekly.periodic_scheduling_level is ScheduleLevel.WEEK
    assert weekly.periodic_scheduling_values == [1, 5]
    once = parse_change("2026-12-24T10:00Z parallelism=8")
    assert once.periodic_scheduling_level is None
    assert once.only_once_trigger_time == 1_798_106_400_000
    assert describe_policy(once) == "2026-12-24T10:00:00Z parallelism=8"


@pytest.mark.parametrize(
    "change",
    ["", "08:00", "8 parallelism=2", "mo 08:00 parallelism=2", "0 08:00 parallelism=2",
     "08:00 parallelism=0", "08:00 conf.=x", "2026-13-01T00:00 parallelism=1"],
)  # fmt: skip
def test_bad_changes_are_bad_parameters(change: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_change(change)


def _sql(script: str) -> Artifact:
    return Artifact(kind="SQLSCRIPT", sql_artifact=SqlArtifact(sql_script=script))


def test_spec_diff_shows_changed_sql_lines_only() -> None:
    before = "CREATE TABLE t (a INT);\nINSERT INTO t SELECT 1;\n"
    draft = DeploymentDraft(name="orders", artifact=_sql(before.replace("1", "2")))
    deployment = Deployment(name="orders", artifact=_sql(before))
    diff = spec_diff(draft, deployment).splitlines()
    changed = [ln for ln in diff if ln[:1] in ("+", "-") and ln[:3] not in ("+++", "---")]
    assert [(ln[0], ln[1:].strip()) for ln in changed] == [
        ("-", "INSERT INTO t SELECT 1;"),
        ("+", "INSERT INTO t SELECT 2;"),
    ]
    assert spec_diff(draft, Deployment(name="orders", artifact=draft.artifact)) == ""


def test_draft_problems_are_reported_without_a_caret() -> None:
    draft = DeploymentDraft(name="orders", artifact=_sql("SELECT 1;"))
    result = DraftValidation.model_validate(
        {
            "ticketStatus": "FAILED",
            "success": False,
            "draftValidationDetail": {
                "draftMetaInfoErrorDetails": [{"reason": "INVALID_DRAFT", "message": "no engine"}]
            },
        }
    )
    assert validation_report(draft, result) == "orders: error: no engine"


def test_lineage_tree_without_edges() -> None:
    assert lineage_tree(Lineage()) == "no lineage"
