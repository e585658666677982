// Tables of the generated pages (.knollm-table):
// - sortable ones (.knollm-sortable) get a button in every header: activate it to sort by that
//   column, again to reverse; the header carries aria-sort. Cells may carry data-sort with a
//   number to sort by; empty values sort last.
// - every body cell gets data-label (its column's header text), so a phone can show each row as
//   a stack of "label value" lines instead of a table wider than the screen.
// - a table that is still wider than its box scrolls inside it (.knollm-overflows), and that box
//   becomes a focusable, labelled region so a keyboard can scroll it too; a table that fits
//   keeps a box without overflow, so its header row can stick to the top while the page scrolls.
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (raw === "" || raw === "–") return { empty: true, value: 0 };
    var number = Number(raw);
    return isNaN(number) ? { empty: false, value: raw.toLowerCase() } : { empty: false, value: number };
  }
  function sortBy(table, index, header) {
    var body = table.tBodies[0];
    if (!body) return;
    var descending = header.getAttribute("aria-sort") === "ascending";
    Array.prototype.forEach.call(header.parentNode.children, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var rows = Array.prototype.slice.call(body.rows).map(function (row, position) {
      return { row: row, key: key(row.cells[index] || row.cells[0]), position: position };
    });
    rows.sort(function (a, b) {
      if (a.key.empty !== b.key.empty) return a.key.empty ? 1 : -1;
      if (a.key.value < b.key.value) return descending ? 1 : -1;
      if (a.key.value > b.key.value) return descending ? -1 : 1;
      return a.position - b.position;
    });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (item) { fragment.appendChild(item.row); });
    body.appendChild(fragment);
  }
  function sortable(table) {
    if (!table.tHead || table.getAttribute("data-sort-ready")) return;
    table.setAttribute("data-sort-ready", "1");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      var name = header.textContent.trim();
      var button = document.createElement("button");
      button.type = "button";
      button.className = "knollm-sort";
      button.title = "Sort by " + name;
      if (header.querySelector("a, button, input, select")) {
        /* A header that holds a link keeps it; a small button beside it sorts. */
        button.setAttribute("aria-label", "Sort by " + name);
        button.textContent = "⇅";
        header.appendChild(document.createTextNode(" "));
      } else {
        while (header.firstChild) button.appendChild(header.firstChild);
      }
      header.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, index, header); });
    });
  }
  function label(table) {
    if (!table.tHead || !table.tHead.rows.length) return;
    var names = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) { return th.textContent.trim(); });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        Array.prototype.forEach.call(row.cells, function (cell, k) {
          if (names[k] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[k]);
        });
      });
    });
    table.classList.add("knollm-stackable");
  }
  var boxes = [];
  function fit(box) {
    var table = box.querySelector("table");
    if (!table) return;
    box.classList.remove("knollm-overflows");
    var wide = table.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("knollm-overflows", wide);
    if (wide) {
      if (!box.hasAttribute("tabindex")) box.setAttribute("data-tab-added", "");
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      if (!box.hasAttribute("aria-label")) {
        var heading = null;
        for (var el = box.previousElementSibling; el && !heading; el = el.previousElementSibling) {
          if (/^H[1-6]$/.test(el.tagName)) heading = el;
        }
        box.setAttribute("aria-label", (heading ? heading.textContent.replace(/¶$/, "").trim() + ": " : "") + "table, scrolls sideways");
      }
    } else if (box.hasAttribute("data-tab-added")) {
      box.removeAttribute("tabindex");
      box.removeAttribute("data-tab-added");
      box.removeAttribute("role");
    }
  }
  function init() {
    document.querySelectorAll("table.knollm-sortable").forEach(sortable);
    document.querySelectorAll(".md-typeset table.knollm-table").forEach(function (table) {
      if (!table.classList.contains("knollm-results")) label(table);
    });
    boxes = Array.prototype.slice.call(document.querySelectorAll(".md-typeset .knollm-scroll:not([data-live])"));
    boxes.forEach(fit);
  }
  var pending = 0;
  window.addEventListener("resize", function () {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(function () { boxes.forEach(fit); });
  });
  window.KnollmTables = { fit: fit };
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(init);
  else document.addEventListener("DOMContentLoaded", init);
})();
