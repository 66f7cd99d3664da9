// Millstream console: the SQL editor (CodeMirror 6). `make editor` bundles this file into
// src/millstream/web/static/sql-editor.min.js; the page loads it on /console/sql/new and
// /console/deployments/{id}/edit.
//
// Progressive enhancement: the page is a plain form with a <textarea name="sql_script">
// (and a Validate button driven by htmx). This script puts a CodeMirror view in front of
// that textarea and copies every change back into it, so the form posts exactly what it
// posted before. Flink's verdict comes from the console's validation route, as an HTML
// fragment (templates/_validation.html) whose root carries the error's field and position
// in data-* attributes; the same reader turns it into in-editor diagnostics whether it
// came from typing (the debounced linter below), from the Validate button (htmx) or with
// the page (a refused save).

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { SQLDialect, sql } from "@codemirror/lang-sql";
import { lintGutter, linter, setDiagnostics } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { EditorState, StateEffect } from "@codemirror/state";
import {
  EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, keymap, lineNumbers,
} from "@codemirror/view";

const VALIDATE_DELAY_MS = 600;

// Dispatched when a field planned with the script changes: the linter runs again.
const recheck = StateEffect.define();

// Flink SQL's words (Flink's "Reserved Keywords" plus its DDL and statement words).
const FLINK_KEYWORDS = [
  "add after all alter analyze and any as asc at between both by call cascade case cast catalog",
  "catalogs check collate column columns comment compile compute constraint create cross cube",
  "cumulate current current_date current_time current_timestamp database databases default",
  "define delete desc describe descriptor distinct drop else end enforced escape except",
  "excluding execute exists explain extended false fetch filter first following for foreign",
  "from full function functions generated group grouping having hop if ilike in including",
  "inner insert intersect interval into is jar jars join key last lateral leading left like",
  "limit load local localtime localtimestamp match_recognize measures metadata minus modules",
  "natural next not null nulls offset on only options or order outer over overwrite overwriting",
  "partition partitioned partitions pattern per plan preceding primary proctime range recursive",
  "rename reset right rollup row rows select session set show similar skip some statement",
  "system system_time system_user table tables temporary then to trailing true tumble unbounded",
  "union unique unload unnest update use using values view views virtual watermark watermarks",
  "when where window with within without",
].join(" ");
const FLINK_TYPES = [
  "array bigint binary boolean bytes char character date dec decimal double float int integer",
  "interval map multiset numeric raw real smallint string time timestamp timestamp_ltz tinyint",
  "varbinary varchar zone",
].join(" ");

const FlinkSQL = SQLDialect.define({
  keywords: FLINK_KEYWORDS,
  types: FLINK_TYPES,
  identifierQuotes: "`",
  backslashEscapes: false,
});

// Match the console's colours (static/console.css) rather than CodeMirror's defaults.
const consoleTheme = EditorView.theme({
  "&": { fontSize: "12.5px", backgroundColor: "#fff" },  // its height: .code-editor in CSS
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
  ".cm-gutters": { backgroundColor: "#f3f5f8", color: "#9aa5b4", borderRight: "1px solid #e3e7ed" },
  "&.cm-focused": { outline: "none" },
});

/** Position (0-based offset) of a 1-based line and column, clamped to the document. */
function offsetOf(doc, line, column) {
  const number = Math.min(Math.max(line, 1), doc.lines);
  const text = doc.line(number);
  return text.from + Math.min(Math.max(column - 1, 0), text.length);
}

/** The end of the word at ``from``: where an error with no end of its own is underlined to. */
function wordEnd(doc, from) {
  const line = doc.lineAt(from);
  const rest = line.text.slice(from - line.from);
  const word = /^[\w.$`'"]+/.exec(rest);
  if (word) return from + word[0].length;
  return Math.min(from + 1, line.to);
}

/** The verdict an element from templates/_validation.html carries, or null. */
function readVerdict(root) {
  const box = root && root.querySelector("[data-verdict]");
  if (!box) return null;
  const number = (name) => parseInt(box.getAttribute(name) || "", 10) || null;
  return {
    valid: box.getAttribute("data-verdict") === "valid",
    field: box.getAttribute("data-error-field") || "",
    message: box.getAttribute("data-message") || "",
    line: number("data-error-line"),
    column: number("data-error-column"),
    endLine: number("data-error-end-line"),
    endColumn: number("data-error-end-column"),
    key: box.getAttribute("data-conf-key") || "",
  };
}

/** CodeMirror diagnostics for a verdict: one, at Flink's position in the SQL, or none. */
function diagnosticsOf(verdict, doc) {
  if (!verdict || verdict.valid || verdict.field !== "sql_script" || !verdict.line) return [];
  const from = offsetOf(doc, verdict.line, verdict.column || 1);
  let to = verdict.endLine ? offsetOf(doc, verdict.endLine, (verdict.endColumn || 1) + 1) : wordEnd(doc, from);
  if (to <= from) to = Math.min(from + 1, doc.length);
  return [{ from, to, severity: "error", source: "Flink", message: verdict.message }];
}

/** Mark (or clear) the Flink configuration field the way the server renders it. */
function markConfiguration(verdict) {
  const field = document.getElementById("flink-conf");
  const note = document.getElementById("flink-conf-error");
  if (!field || !note) return;
  const bad = verdict && !verdict.valid && verdict.field === "flink_conf";
  if (!bad) {
    field.removeAttribute("aria-invalid");
    field.removeAttribute("data-error-line");
    note.hidden = true;
    note.textContent = "";
    return;
  }
  field.setAttribute("aria-invalid", "true");
  if (verdict.line) field.setAttribute("data-error-line", String(verdict.line));
  else field.removeAttribute("data-error-line");
  const where = verdict.line ? `Line ${verdict.line}${verdict.key ? ` (${verdict.key})` : ""}: ` : "";
  note.textContent = where + verdict.message;
  note.hidden = false;
  if (document.activeElement !== field) selectConfigurationLine(field, verdict.line);
}

/** Select the offending line in the configuration textarea (seen when it has focus). */
function selectConfigurationLine(field, line) {
  if (!line) return;
  const lines = field.value.split("\n");
  let start = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
  const end = start + (lines[line - 1] || "").length;
  field.setSelectionRange(start, end);
}

function enhance(area) {
  const form = area.form;
  const panel = document.getElementById("validation");
  const spinner = document.getElementById("validate-spinner");
  const url = area.getAttribute("data-validate-url");
  let running = null;  // the one check Flink is planning now
  let latest = 0;  // the newest check asked for; older ones that still wait give up
  let shown = [];  // the diagnostics of the last verdict, kept when a check is overtaken

  // Post the script as it was when the check was asked for; show the route's fragment in
  // the panel; return its diagnostics. One check at a time: planning costs Flink real
  // work, and aborting a request would not stop it, so a newer check waits for the
  // running one and the checks in between are skipped.
  async function validate(view) {
    const doc = view.state.doc;
    const mine = ++latest;
    while (running) {
      await running.catch(() => null);
      if (mine !== latest) return shown;
    }
    running = post(doc);
    try {
      const verdict = await running;
      if (!verdict) return shown;  // not a verdict (signed out, server away): keep the panel
      markConfiguration(verdict);
      shown = diagnosticsOf(verdict, doc);
      view.contentDOM.setAttribute("aria-invalid", String(shown.length > 0));
      return shown;
    } catch (error) {
      return shown;
    } finally {
      running = null;
    }
  }

  async function post(doc) {
    const body = new FormData(form);
    body.set("sql_script", doc.toString());
    if (spinner) spinner.classList.add("htmx-request");
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
      });
      const fragment = document.createElement("template");
      fragment.innerHTML = response.ok ? await response.text() : "";
      const verdict = readVerdict(fragment.content);
      if (verdict) panel.replaceChildren(fragment.content);
      return verdict;
    } finally {
      if (spinner) spinner.classList.remove("htmx-request");
    }
  }

  const view = new EditorView({
    state: EditorState.create({
      doc: area.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        bracketMatching(),
        closeBrackets(),
        autocompletion(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        keymap.of([
          ...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap,
          ...historyKeymap, ...completionKeymap, indentWithTab,
        ]),
        sql({ dialect: FlinkSQL, upperCaseKeywords: true }),
        linter(validate, {
          delay: VALIDATE_DELAY_MS,
          needsRefresh: (update) => update.transactions.some((tr) => tr.effects.some((e) => e.is(recheck))),
        }),
        lintGutter(),
        consoleTheme,
        EditorView.contentAttributes.of({ "aria-label": "SQL script", "aria-describedby": "validation" }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) area.value = update.state.doc.toString();
        }),
      ],
    }),
  });

  area.hidden = true;
  area.setAttribute("aria-hidden", "true");
  area.parentElement.insertBefore(view.dom, area);
  view.dom.id = "sql-editor";
  const label = document.querySelector('label[for="sql-script"]');
  if (label) label.addEventListener("click", () => view.focus());

  // A verdict already on the page (a refused save) or swapped in by the Validate button.
  function show(container) {
    const verdict = readVerdict(container);
    markConfiguration(verdict);
    shown = diagnosticsOf(verdict, view.state.doc);
    view.contentDOM.setAttribute("aria-invalid", String(shown.length > 0));
    view.dispatch(setDiagnostics(view.state, shown));
  }
  if (panel && readVerdict(panel)) show(panel);
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.target === panel) show(panel);
  });
  // "Line 14, column 25" in the panel moves the cursor there; the configuration's link
  // selects the offending line of that field.
  if (panel) panel.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest(".error-position");
    if (!link) return;
    event.preventDefault();
    const verdict = readVerdict(panel);
    if (verdict && verdict.field === "flink_conf") {
      const field = document.getElementById("flink-conf");
      if (field) { field.focus(); selectConfigurationLine(field, verdict.line); }
      return;
    }
    const [diagnostic] = diagnosticsOf(verdict, view.state.doc);
    if (!diagnostic) return;
    view.dispatch({ selection: { anchor: diagnostic.from }, scrollIntoView: true });
    view.focus();
  });
  // The mode and the configuration are planned with the script: re-check when they change.
  for (const name of ["execution_mode", "flink_conf"]) {
    const input = form.elements.namedItem(name);
    if (input) input.addEventListener("change", () => view.dispatch({ effects: recheck.of(null) }));
  }
  window.millstreamSqlEditor = view;  // for the browser tests and the curious
}

const area = document.querySelector("textarea[data-sql-editor]");
if (area && area.form) enhance(area);
