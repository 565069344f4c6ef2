// Sorts a table by the column whose header is clicked (or chosen with Enter or Space); a
// second click reverses the order. Numeric columns (data-type="number") compare as numbers,
// read from each cell's data-sort when it has one; empty cells always go last, whichever
// way the column is sorted, so missing objectives never crowd the top.
(function () {
  "use strict";

  function keyOf(cell, numeric) {
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (raw === "") {
      return null;
    }
    if (numeric) {
      var n = parseFloat(raw);
      return isNaN(n) ? null : n;
    }
    return raw.toLowerCase();
  }

  function compare(a, b, numeric) {
    if (numeric) {
      return a - b;
    }
    return a.localeCompare(b, undefined, { numeric: true });
  }

  function sortBy(table, header, column) {
    var numeric = header.getAttribute("data-type") === "number";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (row, i) {
      return { row: row, key: keyOf(row.cells[column], numeric), i: i };
    });
    rows.sort(function (x, y) {
      if (x.key === null || y.key === null) {
        if (x.key === y.key) {
          return x.i - y.i;
        }
        return x.key === null ? 1 : -1;
      }
      var c = compare(x.key, y.key, numeric);
      if (!ascending) {
        c = -c;
      }
      return c !== 0 ? c : x.i - y.i;
    });
    var headers = table.tHead.rows[0].cells;
    for (var h = 0; h < headers.length; h++) {
      headers[h].removeAttribute("aria-sort");
    }
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      frag.appendChild(r.row);
    });
    body.appendChild(frag);
  }

  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    if (!table.tHead || !table.tBodies.length) {
      return;
    }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
      header.tabIndex = 0;
      header.title = "Sort by " + header.textContent.trim();
      header.addEventListener("click", function () {
        sortBy(table, header, column);
      });
      header.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") {
          ev.preventDefault();
          sortBy(table, header, column);
        }
      });
    });
    // Marks the table as live, so a reader of the page's DOM can tell the script ran.
    table.setAttribute("data-sortable", "ready");
  });
})();
