// Millstream console: the few behaviours htmx does not cover. No framework, no build.
(function () {
  "use strict";

  // Line numbers beside the SQL textarea, scrolled with it.
  function syncGutter() {
    var area = document.getElementById("sql-script");
    var gutter = document.getElementById("sql-gutter");
    if (!area || !gutter) return;
    var count = area.value.split("\n").length;
    var numbers = [];
    for (var i = 1; i <= count; i++) numbers.push(i);
    gutter.textContent = numbers.join("\n");
    gutter.scrollTop = area.scrollTop;
  }

  // Put the cursor where Flink reported the error and mark that line in the gutter.
  function focusError() {
    var box = document.querySelector("#validation [data-error-line]");
    var area = document.getElementById("sql-script");
    if (!box || !area) return;
    var line = parseInt(box.getAttribute("data-error-line"), 10);
    var column = parseInt(box.getAttribute("data-error-column"), 10) || 1;
    var lines = area.value.split("\n");
    var offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    offset += Math.min(column - 1, (lines[line - 1] || "").length);
    area.focus();
    area.setSelectionRange(offset, offset);
    var lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 18;
    area.scrollTop = Math.max(0, (line - 3) * lineHeight);
    syncGutter();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var area = document.getElementById("sql-script");
    if (area) {
      area.addEventListener("input", syncGutter);
      area.addEventListener("scroll", syncGutter);
      area.addEventListener("keydown", function (event) {
        if (event.key === "Tab" && !event.shiftKey) {  // indent instead of leaving the field
          event.preventDefault();
          var start = area.selectionStart;
          area.setRangeText("  ", start, area.selectionEnd, "end");
          syncGutter();
        }
      });
      syncGutter();
      focusError();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "validation") focusError();
  });

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

  // A request that never reached the server (network down, server restarting).
  document.addEventListener("htmx:sendError", function () {
    var flash = document.getElementById("flash");
    if (flash) flash.innerHTML = '<div class="flash tone-bad" role="alert">The Millstream server cannot be reached; retrying…</div>';
  });
})();
