// Click a header of a .knollm-sortable table to sort by that column; click again to reverse.
// Cells may carry data-sort with a number to sort by; empty values sort last.
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
  function init() {
    document.querySelectorAll("table.knollm-sortable").forEach(function (table) {
      if (!table.tHead) return;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
        header.addEventListener("click", function () { sortBy(table, index, header); });
      });
    });
  }
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(init);
  else document.addEventListener("DOMContentLoaded", init);
})();
