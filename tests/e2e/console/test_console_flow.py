"""The console in a real browser on a real server and Flink: sign in, write a SQL
deployment, see Flink's error at its line, fix it, start it, watch it reach RUNNING
without a reload, stop it with a savepoint and find that savepoint listed.

Screenshots of every page go to ``test-output/console/`` for review.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DATAGEN_SQL

from .conftest import ConsoleServer, Shot

pytestmark = pytest.mark.flink

BAD_SQL = DATAGEN_SQL.replace(
    "INSERT INTO snk SELECT id, name FROM src;", "INSERT INTO snk SELECT id, nme FROM src;"
)
RUN_TIMEOUT = 120_000  # ms: submission and the first checkpoint on a loaded machine


def sign_in(page: Page, server: ConsoleServer) -> None:
    page.goto(f"{server.url}/console")
    expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    page.get_by_label("Access key ID").fill(server.access_key_id)
    page.get_by_label("Access key secret").fill(server.access_key_secret)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^Deployments"))).to_be_visible()


def fill_sql(page: Page, text: str) -> None:
    """Replace the SQL editor's script (what a paste does) for tests not about typing;
    the posted textarea follows the editor."""
    page.evaluate(
        """text => {
          const view = window.millstreamSqlEditor;
          view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
        }""",
        text,
    )


def test_wrong_secret_is_refused(page: Page, console_server: ConsoleServer, shot: Shot) -> None:
    page.goto(f"{console_server.url}/console/sign-in")
    shot(page, "01-sign-in")
    page.get_by_label("Access key ID").fill(console_server.access_key_id)
    page.get_by_label("Access key secret").fill("not-the-secret")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_contain_text("do not match")
    shot(page, "01b-sign-in-refused")
    page.goto(f"{console_server.url}/console/deployments")
    expect(page).to_have_url(re.compile(r"/console/sign-in$"))


def test_sql_deployment_from_editor_to_savepoint(
    page: Page, console_server: ConsoleServer, shot: Shot
) -> None:
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm on stop
    name = f"console-{uuid.uuid4().hex[:6]}"
    sign_in(page, console_server)
    shot(page, "02-deployments")

    # Write it with a typo: Flink's error is shown at its line.
    page.locator("#new-deployment").click()
    expect(page.get_by_role("heading", name="New SQL deployment")).to_be_visible()
    page.locator("#deployment-name-input").fill(name)
    fill_sql(page, BAD_SQL)
    page.locator("#validate-button").click()
    error = page.locator("#validation-error")
    expect(error).to_be_visible(timeout=60_000)
    expect(error).to_have_attribute("data-error-line", "14")
    expect(error).to_contain_text("nme")
    expect(page.locator("#sql-editor .cm-lintRange-error")).to_have_text("nme")
    shot(page, "03-editor-invalid")

    # Saving the bad script is refused too, with the same mark.
    page.locator("#save-button").click()
    expect(page.locator("#validation-error")).to_have_attribute("data-error-line", "14")
    expect(page.locator("#sql-editor .cm-lintRange-error")).to_have_text("nme")

    # Fix it, validate, save.
    fill_sql(page, DATAGEN_SQL)
    page.locator("#validate-button").click()
    expect(page.locator("#validation-ok")).to_be_visible(timeout=60_000)
    shot(page, "04-editor-valid")
    page.locator("#save-button").click()
    expect(page.locator("#deployment-name")).to_have_text(name)
    expect(page.locator("#deployment-status .badge")).to_have_text("NOT STARTED")
    expect(page.locator("#artifact-sql .t-k").first).to_be_visible()  # highlighted SQL
    shot(page, "05-deployment")

    # Start it and watch it reach RUNNING without reloading the page.
    page.evaluate("window.__notReloaded = true")
    page.locator("#restore-kind").select_option("NONE")
    page.locator("#start-button").click()
    expect(page.locator("#flash")).to_contain_text("Start requested")
    expect(page.locator("#deployment-status .badge")).to_have_text("RUNNING", timeout=RUN_TIMEOUT)
    assert page.evaluate("window.__notReloaded") is True
    expect(page.locator("#stop-button")).to_be_enabled()  # actions followed the status
    shot(page, "06-deployment-running")

    # The list shows the live status too.
    page.goto(f"{console_server.url}/console/deployments")
    page.locator("#name-filter").fill(name)
    row = page.locator(f'tr[data-deployment="{name}"]')
    expect(row.locator(".badge")).to_have_text("RUNNING")
    expect(page.locator("#deployment-rows tbody tr")).to_have_count(1)
    shot(page, "07-deployments-filtered")

    # Job page: timeline, facts, link to Flink.
    row.get_by_role("link", name=name).click()
    page.locator("#latest-job").click()
    expect(page.locator("#job-status .badge")).to_have_text("RUNNING")
    expect(page.locator("#timeline rect").first).to_be_attached()
    expect(page.locator("#flink-ui-link")).to_have_attribute("href", re.compile(r"/#/job/"))
    page.locator("#job-logs").get_by_role("button", name="jobmanager").click()
    expect(page.locator("#log-view pre.log").first).to_contain_text("INFO")
    shot(page, "08-job-running")
    page.go_back()

    # Stop with a savepoint; the savepoint shows up in the list.
    expect(page.locator("#deployment-status .badge")).to_have_text("RUNNING")
    page.locator("#stop-strategy").select_option("STOP_WITH_SAVEPOINT")
    page.locator("#stop-button").click()
    expect(page.locator("#flash")).to_contain_text("Stop (STOP_WITH_SAVEPOINT) requested")
    expect(page.locator("#deployment-status .badge")).to_have_text("CANCELLED", timeout=RUN_TIMEOUT)
    savepoint = page.locator("#savepoints-table tbody tr", has_text="stop with savepoint")
    expect(savepoint).to_have_count(1)
    expect(savepoint).to_contain_text("COMPLETED")
    expect(savepoint.locator("code").last).to_contain_text("savepoint")
    expect(page.locator("#start-button")).to_be_visible()
    shot(page, "09-deployment-stopped")

    page.locator("#latest-job").click()
    expect(page.locator("#job-status .badge")).to_have_text("CANCELLED")
    expect(page.locator("#job-savepoints")).to_contain_text("COMPLETED")
    shot(page, "10-job-stopped")

    page.get_by_role("link", name="Clusters").click()
    expect(page.locator('#clusters-table tr[data-cluster="default"]')).to_be_visible()
    shot(page, "11-clusters")

    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r"/console/sign-in$"))
