"""Issue 16 in a real browser on the session's server and Flink: the job page's Logs card
(apart from Events, newest lines in view, empty stdout not drawn as black bars, the job's
lines with the whole cluster log one click away), the wording of a stopped job, and
deleting a deployment leaving its URL. Screenshots go to ``test-output/console/``."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DATAGEN_SQL

from .conftest import ConsoleServer, Shot
from .test_console_flow import RUN_TIMEOUT, fill_sql, sign_in

pytestmark = pytest.mark.flink


def _new_deployment(page: Page, server: ConsoleServer, name: str) -> str:
    sign_in(page, server)
    page.locator("#new-deployment").click()
    placeholder_weight = page.locator("#deployment-name-input").evaluate(
        "e => getComputedStyle(e, '::placeholder').fontWeight"
    )
    assert int(placeholder_weight) < 500  # a hint, not bold like a filled-in value
    page.locator("#deployment-name-input").fill(name)
    fill_sql(page, DATAGEN_SQL)
    page.locator("#save-button").click()
    expect(page.locator("#deployment-name")).to_have_text(name, timeout=60_000)
    return page.url


def test_deleted_deployment_leaves_its_page(
    page: Page, console_server: ConsoleServer, shot: Shot
) -> None:
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm
    name = f"gone-{uuid.uuid4().hex[:6]}"
    url = _new_deployment(page, console_server, name)
    page.locator("#delete-button").click()
    expect(page).to_have_url(re.compile(rf"/console/deployments\?deleted={name}$"))
    expect(page.locator(".flash")).to_contain_text(f"Deployment {name} deleted")
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("^Deployments"))).to_be_visible()
    shot(page, "20-deployment-deleted")
    assert page.url != url


def test_job_page_logs_and_stopped_job_wording(
    page: Page, console_server: ConsoleServer, shot: Shot
) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    _new_deployment(page, console_server, f"logs-{uuid.uuid4().hex[:6]}")
    page.locator("#restore-kind").select_option("NONE")
    page.locator("#start-button").click()
    expect(page.locator("#deployment-status .badge")).to_have_text("RUNNING", timeout=RUN_TIMEOUT)
    page.locator("#latest-job").click()
    expect(page.locator("#job-restarts")).to_have_text("0")

    logs = page.locator("#job-logs")
    logs.get_by_role("button", name="jobmanager").click()
    box = page.locator("#log-view pre.log").first
    expect(box).to_contain_text("switched from")
    expect(page.locator("#log-scope")).to_contain_text("This job's lines")
    events_card = page.locator("section.card", has=page.locator("h2", has_text="Events"))
    events_box, logs_box = events_card.bounding_box(), logs.bounding_box()
    assert events_box is not None
    assert logs_box is not None
    assert logs_box["y"] - (events_box["y"] + events_box["height"]) >= 8  # not touching
    shot(page, "21-job-logs-own")

    page.locator("#log-scope-switch").click()
    expect(page.locator("#log-scope")).to_contain_text("Whole cluster log")
    whole = page.locator("#log-view pre.log").first
    assert whole.evaluate("e => e.scrollHeight > e.clientHeight"), "long enough to scroll"
    at_end = whole.evaluate("e => e.scrollHeight <= e.clientHeight + e.scrollTop + 2")
    assert at_end, "the log box opens at its newest lines"
    shot(page, "22-job-logs-cluster")

    logs.get_by_role("button", name="stdout").click()
    expect(page.locator("#log-scope")).to_contain_text("stdout")
    for text in page.locator("#log-view pre.log").all_inner_texts():
        assert text.strip(), "an empty stdout is said in words, not drawn as a black bar"

    page.go_back()
    page.locator("#stop-strategy").select_option("STOP_WITH_SAVEPOINT")
    page.locator("#stop-button").click()
    expect(page.locator("#deployment-status .badge")).to_have_text("CANCELLED", timeout=RUN_TIMEOUT)
    page.locator("#latest-job").click()
    expect(page.locator("#job-ran-for")).not_to_contain_text("never")
    expect(page.locator("dt", has_text="Ran for")).to_be_visible()
    expect(page.locator(".events")).to_contain_text("job stopped")
    expect(page.locator(".events")).not_to_contain_text("Flink reports FINISHED")
    shot(page, "23-job-stopped")

    # A deployment with a job history, its page polling: deleting it leaves its URL.
    page.go_back()
    page.locator("#delete-button").click()
    expect(page).to_have_url(re.compile(r"/console/deployments\?deleted=logs-"))
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("^Deployments"))).to_be_visible()
