"""Issue 16, defects 3 and 4, in a real browser on the session's server and Flink: the SQL
editor (CodeMirror, served from the package) checks the script with Flink as it is typed
and marks Flink's error inside the editor at its line and column, with no button pressed;
a Flink configuration Flink refuses is marked at the configuration field, not under the
SQL. Screenshots at 1400 x 900 and 820 px wide go to ``test-output/console/``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from .conftest import ConsoleServer, Shot
from .test_console_flow import sign_in

pytestmark = pytest.mark.flink

FLINK_TIMEOUT = 60_000  # ms: one planning round trip to Flink on a loaded machine
TYPO_LINE = 16  # the starter script's INSERT line (routes/editor.py _STARTER_SQL)

# Where the lint underline is, as (line, column, text), read from the editor's own state.
_LINT_RANGE = """() => {
  const view = window.millstreamSqlEditor;
  const mark = document.querySelector('#sql-editor .cm-lintRange-error');
  if (!view || !mark) return null;
  const from = view.posAtDOM(mark, 0);
  const line = view.state.doc.lineAt(from);
  return [line.number, from - line.from + 1, mark.textContent];
}"""


def _csp_errors(page: Page) -> list[str]:
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("console", keep)
    return errors


def test_typed_sql_error_is_marked_in_the_editor(
    page: Page, console_server: ConsoleServer, shot: Shot
) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    csp_errors = _csp_errors(page)
    sign_in(page, console_server)
    page.goto(f"{console_server.url}/console/sql/new")
    editor = page.locator("#sql-editor .cm-content")
    expect(editor).to_be_visible()
    expect(page.locator("#sql-script")).to_be_hidden()  # the posted field, behind the editor
    expect(page.locator("#sql-editor .cm-line span").first).to_be_attached()  # highlighted
    # The starter script is checked on its own: valid.
    expect(page.locator("#validation-ok")).to_be_visible(timeout=FLINK_TIMEOUT)

    # Type a typo at the end of "name" on the INSERT line; press nothing else.
    insert = page.evaluate("n => window.millstreamSqlEditor.state.doc.line(n).text", TYPO_LINE)
    column = insert.index(", name ") + len(", ") + 1  # 1-based column of "name"
    page.evaluate(
        """([n, at]) => {
          const view = window.millstreamSqlEditor;
          const line = view.state.doc.line(n);
          view.focus();
          view.dispatch({ selection: { anchor: line.from + at } });
        }""",
        [TYPO_LINE, column - 1 + len("name")],
    )
    page.keyboard.type("x", delay=30)

    mark = page.locator("#sql-editor .cm-lintRange-error")
    expect(mark).to_be_visible(timeout=FLINK_TIMEOUT)
    assert page.evaluate(_LINT_RANGE) == [TYPO_LINE, column, "namex"]
    expect(page.locator("#sql-editor .cm-lint-marker-error")).to_be_visible()  # gutter
    expect(editor).to_have_attribute("aria-invalid", "true")
    error = page.locator("#validation-error")
    expect(error).to_have_attribute("data-error-line", str(TYPO_LINE))
    expect(error).to_have_attribute("data-error-column", str(column))
    expect(error).to_contain_text(f"Line {TYPO_LINE}, column {column}: ")
    assert error.inner_text().count(f"column {column}") == 1  # the position, said once
    expect(page.locator("#validation .sql-line")).to_have_count(0)  # no read-only copy
    assert error.bounding_box()["y"] + 20 < 900  # type: ignore[index]  # on screen
    mark.hover()
    expect(page.locator(".cm-tooltip-lint")).to_contain_text("namex")
    shot(page, "sql-editor-1400x900-diagnostic")

    page.set_viewport_size({"width": 820, "height": 900})
    expect(mark).to_be_visible()
    shot(page, "sql-editor-820-diagnostic")

    # Remove the typo: the mark goes away, again without a button.
    page.evaluate("() => window.millstreamSqlEditor.focus()")
    page.keyboard.press("Backspace")
    expect(page.locator("#validation-ok")).to_be_visible(timeout=FLINK_TIMEOUT)
    expect(mark).to_have_count(0)
    expect(editor).to_have_attribute("aria-invalid", "false")
    posted = page.locator("#sql-script").input_value()
    assert posted == page.evaluate("() => window.millstreamSqlEditor.state.doc.toString()")
    assert csp_errors == []


def test_refused_flink_configuration_marks_its_field(
    page: Page, console_server: ConsoleServer, shot: Shot
) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    sign_in(page, console_server)
    page.goto(f"{console_server.url}/console/sql/new")
    page.locator("#deployment-name-input").fill("conf-error")
    conf = page.locator("#flink-conf")
    note = page.locator("#flink-conf-error")

    # A value Flink cannot parse: marked at its key's line once the field is left.
    conf.fill("parallelism.default: 1\nexecution.checkpointing.interval: soon")
    conf.blur()
    expect(conf).to_have_attribute("aria-invalid", "true", timeout=FLINK_TIMEOUT)
    expect(note).to_be_visible()
    expect(note).to_contain_text("Line 2 (execution.checkpointing.interval)")
    expect(page.locator("#validation-error")).to_have_attribute("data-error-field", "flink_conf")
    expect(page.locator("#validation .sql-line")).to_have_count(0)
    expect(page.locator("#sql-editor .cm-lintRange-error")).to_have_count(0)
    shot(page, "sql-editor-1400x900-conf-error")

    # A line that is not "key: value", on save: the page comes back with the field marked.
    conf.fill("parallelism.default: 1\nnot a setting")
    page.locator("#save-button").click()
    expect(page.locator("#flink-conf")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#flink-conf-error")).to_contain_text("Line 2: ")
    expect(page.locator("#flink-conf")).to_have_value(re.compile("not a setting"))
    page.set_viewport_size({"width": 820, "height": 900})
    shot(page, "sql-editor-820-conf-error")  # the whole page: the field is below the SQL

    # Fixed: the mark goes.
    page.locator("#flink-conf").fill("parallelism.default: 1")
    page.locator("#flink-conf").blur()
    expect(page.locator("#flink-conf")).not_to_have_attribute(
        "aria-invalid", "true", timeout=FLINK_TIMEOUT
    )
    expect(page.locator("#flink-conf-error")).to_be_hidden()
