"""Issue 17 in a real browser on the session's server and Flink: in the SQL editor's
drafts view, create a folder and a draft in it, edit it (the draft's lock is taken and
shown), deploy it after the diff is shown (the deploy runs on the draft runner and its
ticket ends with the deployment), browse the catalog, and preview the rows of a datagen
query under the editor. Screenshots at 1400 x 900 and 820 px wide go to
``test-output/console/``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api

from .conftest import ConsoleServer, Shot
from .test_console_flow import fill_sql, sign_in
from .test_console_sql_editor import _csp_errors

pytestmark = pytest.mark.flink

FLINK_TIMEOUT = 60_000  # ms: planning and a preview's JVM on a loaded machine

SCRIPT = """CREATE TEMPORARY TABLE orders (
  id BIGINT,
  amount DOUBLE
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '5'
);

CREATE TEMPORARY TABLE sink (
  id BIGINT,
  amount DOUBLE
) WITH (
  'connector' = 'blackhole'
);

INSERT INTO sink SELECT id, amount * 2 FROM orders;
"""

NOT_RUN = "THIS LINE IS NOT SQL AND IS NOT SELECTED;\n"
PREVIEW = """CREATE TEMPORARY TABLE numbers (n BIGINT) WITH (
  'connector' = 'datagen', 'rows-per-second' = '50',
  'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '1000'
);
SELECT n, n * 2 AS twice FROM numbers"""


def _fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page overflows"


@pytest.fixture
def catalog_table(api: Api) -> Iterator[str]:
    """A table of the namespace's catalog, dropped afterwards (every SQL deployment of
    the namespace gets the catalog's DDL in front of its script)."""
    name = f"console_orders_{uuid.uuid4().hex[:6]}"
    api.ok(
        "POST",
        "sql-statement/execute",
        body={
            "statement": f"CREATE TABLE {name} (id BIGINT, amount DOUBLE) "
            "WITH ('connector' = 'datagen', 'number-of-rows' = '5')"
        },
    )
    yield name
    api.ok("POST", "sql-statement/execute", body={"statement": f"DROP TABLE IF EXISTS {name}"})


def test_draft_in_a_folder_is_locked_deployed_with_a_diff_and_previewed(
    page: Page, console_server: ConsoleServer, shot: Shot, catalog_table: str
) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    csp_errors = _csp_errors(page)
    sign_in(page, console_server)
    page.goto(f"{console_server.url}/console/drafts")
    expect(page.locator("#catalog-list [data-catalog='vvp']")).to_be_visible()
    expect(page.locator("#catalog-list [data-catalog='default_catalog']")).to_be_attached()
    entry = page.locator(f"#catalog-list [data-catalog='vvp'] [data-table='{catalog_table}']")
    entry.locator("summary").click()
    expect(entry.locator("table.columns")).to_contain_text("amount")
    expect(entry.locator("table.columns")).to_contain_text("DOUBLE")

    folder = f"e2e-{uuid.uuid4().hex[:6]}"
    page.locator("#folder-actions > summary").click()
    page.locator("#new-folder-name").fill(folder)
    page.locator("#create-folder-button").click()
    expect(page.locator(f"#draft-tree [data-folder-path='/{folder}']")).to_be_visible()

    name = f"{folder}-orders"
    page.locator("#new-draft > summary").click()
    page.locator("#new-draft-name").fill(name)
    page.locator("#new-draft-folder").select_option(label=f"/{folder}")
    page.locator("#create-draft-button").click()
    expect(page).to_have_url(re.compile(r"/console/drafts/[0-9a-f-]{36}$"))
    draft_url = page.url
    expect(page.locator("#lock-note")).to_contain_text("Locked by you until")
    in_folder = page.locator(f"[data-folder-path='/{folder}'] .tree-draft")
    expect(in_folder).to_contain_text(name)
    expect(in_folder.locator(".lock-badge.mine")).to_contain_text("you")

    # Edit and save: the lock is still the editor's.
    expect(page.locator("#sql-editor .cm-content")).to_be_visible()
    fill_sql(page, SCRIPT)
    page.locator("#save-draft-button").click()
    expect(page.locator("#draft-message")).to_contain_text("Draft saved.")
    expect(page.locator("#lock-note")).to_contain_text("Locked by you until")
    assert "amount * 2" in page.locator("#sql-script").input_value()
    shot(page, "drafts-1400x900-editor")

    # Deploy: the diff comes first (a new deployment: every line added), then the ticket.
    page.locator("#deploy-button").click()
    expect(page).to_have_url(re.compile(r"/deploy$"))
    expect(page.locator("#deploy-summary")).to_contain_text("new deployment")
    diff = page.locator("#diff-view")
    expect(
        diff.locator(".diff-add", has_text="+INSERT INTO sink SELECT id, amount * 2")
    ).to_be_visible()
    expect(page.locator("#settings-diff")).to_contain_text(name)
    shot(page, "drafts-1400x900-diff")
    page.locator("#deploy-confirm").click()
    expect(page.locator("#ticket-status")).to_have_text("finished", timeout=FLINK_TIMEOUT)
    deployed = page.locator("#deployed-link")
    expect(deployed).to_be_visible()

    # A second deploy onto that deployment shows only what changed.
    page.goto(draft_url)
    expect(page.locator("#draft-target")).to_contain_text("Deploys onto deployment")
    fill_sql(page, SCRIPT.replace("amount * 2", "amount * 3"))
    page.locator("#deploy-button").click()
    expect(page.locator("#diff-view .diff-del")).to_have_text(
        "-INSERT INTO sink SELECT id, amount * 2 FROM orders;"
    )
    expect(page.locator("#diff-view .diff-add")).to_have_text(
        "+INSERT INTO sink SELECT id, amount * 3 FROM orders;"
    )
    expect(page.locator("#deploy-summary")).to_contain_text("current spec is kept")

    # Preview the selected query: its rows appear in the table under the editor.
    page.goto(draft_url)
    fill_sql(page, NOT_RUN + PREVIEW)
    page.evaluate(
        """from => {
          const view = window.millstreamSqlEditor;
          view.dispatch({ selection: { anchor: from, head: view.state.doc.length } });
        }""",
        len(NOT_RUN),
    )
    page.locator("#preview-rows").fill("8")
    page.locator("#preview-button").click()
    table = page.locator("#preview-table")
    expect(table.locator("thead")).to_contain_text("twice", timeout=FLINK_TIMEOUT)
    expect(table.locator("tbody tr")).to_have_count(8, timeout=FLINK_TIMEOUT)
    expect(page.locator("#preview-state")).to_have_text("finished")
    expect(page.locator("#preview-budget")).to_contain_text("8 of at most 8 rows")
    first = table.locator("tbody tr").first.locator("td")
    assert int(first.nth(2).inner_text()) == 2 * int(first.nth(1).inner_text())
    entry.locator("summary").click()  # the catalog panel with the table's columns open
    expect(entry.locator("table.columns")).to_be_visible()
    shot(page, "drafts-1400x900-preview")

    # A running preview is cancelled from the panel.
    page.locator("#preview-rows").fill("1000")
    page.locator("#preview-button").click()
    expect(page.locator("#preview-state")).to_have_text("running", timeout=FLINK_TIMEOUT)
    page.locator("#preview-cancel").click()
    expect(page.locator("#preview-state")).to_have_text("cancelled", timeout=FLINK_TIMEOUT)
    expect(page.locator("#preview-cancel")).to_have_count(0)

    # A query Flink refuses: its error is shown in the panel.
    fill_sql(page, "SELECT nope FROM numbers_that_do_not_exist")
    page.locator("#preview-button").click()
    expect(page.locator("#preview-result")).to_contain_text(
        re.compile("not found|Object .* not found|does not exist", re.I), timeout=FLINK_TIMEOUT
    )

    page.set_viewport_size({"width": 820, "height": 900})
    page.goto(draft_url)
    expect(page.locator("#sql-editor .cm-content")).to_be_visible()
    _fits(page, 820)
    shot(page, "drafts-820-editor")
    assert csp_errors == []
