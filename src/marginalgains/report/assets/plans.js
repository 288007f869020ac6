/* The plans page's renderer: draws each chart from the page's JSON and sorts the scorecard.
   Text from data is only ever set with textContent; no HTML is built from strings. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const tooltip = document.getElementById("tooltip");

  function showTooltip(handler, event, item, value) {
    if (value === null || value === undefined || value === "") { tooltip.hidden = true; return; }
    tooltip.replaceChildren();
    const entries = typeof value === "object" ? Object.entries(value) : [["", value]];
    for (const [key, text] of entries) {
      if (text === null || text === undefined || text === "") continue;
      const line = document.createElement("div");
      if (key) { const strong = document.createElement("strong"); strong.textContent = key + ": "; line.appendChild(strong); }
      line.appendChild(document.createTextNode(String(text)));
      tooltip.appendChild(line);
    }
    tooltip.hidden = false;
    tooltip.style.left = Math.max(4, Math.min(event.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8)) + "px";
    tooltip.style.top = (event.clientY + 14) + "px";
  }

  function draw(host) {
    const chart = data.charts[host.dataset.chart];
    if (!chart) return Promise.resolve();
    const spec = Object.assign({}, data.templates[chart.template], { datasets: chart.datasets });
    return vegaEmbed(host, spec, { actions: false, renderer: "svg", ast: true, expr: vegaExpressions, tooltip: showTooltip })
      .then(function () { host.dataset.rendered = "true"; });
  }

  function sortable(table) {
    const heads = Array.from(table.tHead.rows[0].cells);
    heads.forEach(function (th, index) {
      th.querySelector("button.sort").addEventListener("click", function () {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const key = function (row) {
          const cell = row.cells[index];
          const raw = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent;
          const number = parseFloat(raw);
          return isNaN(number) ? raw.toLowerCase() : number;
        };
        const body = table.tBodies[0];
        Array.from(body.rows).sort(function (a, b) {
          const x = key(a), y = key(b);
          return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
        }).forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  document.querySelectorAll("table.sortable").forEach(sortable);
  Promise.all(Array.from(document.querySelectorAll(".chart[data-chart]")).map(draw))
    .then(function () { window.plansReady = true; });
})();
