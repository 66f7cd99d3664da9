// Millstream console: the few behaviours htmx does not cover. No framework, no build.
(function () {
  "use strict";

  // A log shows its newest lines: open each log box scrolled to its end.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.target || event.target.id !== "log-view") return;
    var boxes = event.target.querySelectorAll("pre.log");
    for (var i = 0; i < boxes.length; i++) boxes[i].scrollTop = boxes[i].scrollHeight;
  });

  // Success messages fade on their own; errors stay until dismissed.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.target || event.target.id !== "flash") return;
    var ok = event.target.querySelector(".flash.tone-ok");
    if (ok) setTimeout(function () { ok.remove(); }, 6000);
  });

  // Behaviours the templates declare with data-* attributes: the Content-Security-Policy
  // allows no inline handlers, so they are wired here, delegated (htmx swaps content in).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target || !target.hasAttribute) return;
    if (target.hasAttribute("data-submit-on-change") && target.form) target.form.submit();
    if (target.hasAttribute("data-savepoint-toggle") && target.form) {
      var pick = target.form.querySelector(".savepoint-pick");
      if (pick) pick.hidden = target.value !== "FROM_SAVEPOINT";
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-dismiss]") : null;
    if (button && button.parentElement) button.parentElement.remove();
  });
  document.addEventListener("submit", function (event) {
    if (event.target && event.target.hasAttribute && event.target.hasAttribute("data-no-submit")) {
      event.preventDefault();
    }
  });

  // Polled panels (the job's insides) are replaced every few seconds: keep what the
  // reader opened (details) and where they scrolled (tables, the graph) across swaps.
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.hasAttribute || !target.hasAttribute("data-keep-view")) return;
    kept = { open: {}, scroll: {} };
    target.querySelectorAll("details[id]").forEach(function (d) { kept.open[d.id] = d.open; });
    target.querySelectorAll("[data-keep-scroll][id]").forEach(function (e) {
      kept.scroll[e.id] = [e.scrollLeft, e.scrollTop];
    });
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!kept) return;
    var was = kept;
    kept = null;
    Object.keys(was.open).forEach(function (id) {
      var d = document.getElementById(id);
      if (d) d.open = was.open[id];
    });
    Object.keys(was.scroll).forEach(function (id) {
      var e = document.getElementById(id);
      if (e) { e.scrollLeft = was.scroll[id][0]; e.scrollTop = was.scroll[id][1]; }
    });
  });

  // Drafts: forms that ask first (data-confirm), and the editor's Preview button, which
  // runs the selected text when there is a selection (the whole script otherwise).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-confirm")) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-preview-selection")) return;
    var view = window.millstreamSqlEditor;
    var selected = "";
    if (view) {
      var range = view.state.selection.main;
      selected = view.state.sliceDoc(range.from, range.to);
      event.detail.parameters["sql_script"] = view.state.doc.toString();
    }
    event.detail.parameters["selection"] = selected;
  });

  // A request that never reached the server (network down, server restarting).
  document.addEventListener("htmx:sendError", function () {
    var flash = document.getElementById("flash");
    if (flash) flash.innerHTML = '<div class="flash tone-bad" role="alert">The Millstream server cannot be reached; retrying…</div>';
  });
})();
