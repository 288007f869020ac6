// The atlas page's renderer: builds every node with textContent (data never becomes markup) from
// the page's JSON (an index and one view per indicator x period) over the Vega-Lite templates of
// marginalgains/report/charts.py. A served page supplies the same JSON through `AtlasSource`.
(function () {
  "use strict";

  const NO_VALUE = "–";
  const RANKED_POINTS_LIMIT = 400; // above this the ranked chart is drawn as a distribution
  const DISTRIBUTION_STEPS = 800; // a distribution is drawn through at most this many steps (about one a pixel)
  const KEYBOARD_MARKS_LIMIT = 400; // chart marks reachable by Tab up to this many areas
  const SVG_LIMIT = 1500; // bigger charts are drawn on canvas
  const TASKED_ABOVE = 60; // charts of more marks are drawn over three tasks (a chosen area's SPC chart in one)
  const FUNNEL_LABELS = 12; // outliers beyond 99.8% named on each funnel, furthest first
  const FUNNEL_LABELS_NARROW = 5; // on a page under 600 px wide (a phone), where 12 names overlap
  const PAGE_SIZE = 25;
  const SEARCH_RESULTS = 10;

  /* ---------- data ---------- */

  // The page's data: embedded here, each view, each indicator's templates, profile and SPC series,
  // and the map's boundaries in a script block of its own (data-part, data-key), parsed the first
  // time it is shown. The first view's blocks precede the scripts and the rest follow them, so until
  // the page is parsed (`loaded`) only the first view (`first`, with no area chosen) can be drawn.
  // The workspace service serves the same views by key.
  function AtlasSource(embedded) {
    const blocks = new Map(), parsed = new Map();
    const loaded = document.readyState === "loading"
      ? new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true })) : Promise.resolve();
    let complete = document.readyState !== "loading";
    loaded.then(() => { complete = true; });
    function block(id) {
      if (!blocks.has(id)) document.querySelectorAll("script[data-part]").forEach((b) => blocks.set(b.dataset.part + "|" + b.dataset.key, b));
      return blocks.get(id);
    }
    function part(kind, key) {
      const id = kind + "|" + key;
      if (!parsed.has(id)) {
        const found = block(id);
        if (!found && !complete) return undefined; // not parsed yet: asked before `loaded`, never kept
        parsed.set(id, found ? JSON.parse(found.textContent) : undefined);
      }
      return parsed.get(id);
    }
    return {
      index: embedded.index, codes: embedded.codes, names: embedded.names, peers: embedded.peers,
      plans: embedded.plans || {}, hasMaps: Boolean(embedded.boundaries), first: embedded.first,
      loaded: loaded, complete: () => complete,
      view: (key) => part("views", key), profile: (indicatorId) => part("profiles", indicatorId),
      templates: (indicatorId) => part("templates", indicatorId), xmr: (indicatorId) => part("xmr", indicatorId),
      boundaries: () => part("boundaries", ""), drawn: () => part("static", "ranked"),
    };
  }

  function rowsOf(columns) {
    const keys = Object.keys(columns);
    const n = keys.length ? columns[keys[0]].length : 0;
    const rows = new Array(n);
    for (let i = 0; i < n; i++) {
      const row = {};
      for (const k of keys) row[k] = columns[k][i];
      rows[i] = row;
    }
    return rows;
  }

  /* ---------- DOM and words ---------- */

  function h(tag, props, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  const isMissing = (x) => x === null || x === undefined || (typeof x === "number" && !isFinite(x));
  // one formatter per number of decimals: toLocaleString builds a new one on every call (a second
  // for the 6,500 areas of a practice-scale view)
  const formatters = new Map();
  function formatter(digits) {
    if (!formatters.has(digits)) formatters.set(digits, new Intl.NumberFormat("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits }));
    return formatters.get(digits);
  }
  const integer = (x) => isMissing(x) ? NO_VALUE : formatter(0).format(Math.round(x));
  const number = (x, digits) => isMissing(x) ? NO_VALUE : formatter(digits).format(Number(x));
  const words = (x) => String(x).replace(/_/g, " ");

  function valueText(x, indicator) {
    if (isMissing(x)) return NO_VALUE;
    const text = number(x, indicator.measure === "ratio" ? 2 : 1);
    if (!indicator.unit) return text;
    return indicator.unit === "%" ? text + "%" : text + " " + indicator.unit;
  }

  function peopleText(gain, lower, upper) {
    return integer(gain) + " people (95% interval " + integer(lower) + " to " + integer(upper) + ")";
  }

  function synthetic(indicator, text) {
    return indicator.synthetic && !/SYNTHETIC/.test(text) ? "SYNTHETIC: " + text : text;
  }

  /* ---------- state in the address: #indicator/period/area ---------- */

  const slug = (period) => String(period).replace(/[^A-Za-z0-9]+/g, "-");

  function readAddress(index) {
    const parts = location.hash.replace(/^#/, "").split("/").map(decodeURIComponent);
    const indicator = index.indicators.find((i) => i.id === parts[0]) || index.indicators[0];
    const period = indicator.periods.find((p) => slug(p) === parts[1]) || indicator.headline_period;
    return { id: indicator.id, period: period, code: parts[2] || null };
  }

  function address(state) {
    return "#" + [state.id, slug(state.period)].concat(state.code ? [state.code] : []).map(encodeURIComponent).join("/");
  }

  /* ---------- charts ---------- */

  const tooltip = h("div", { class: "tooltip", role: "status", hidden: true });

  function showTooltip(handler, event, item, value) {
    if (value === null || value === undefined || value === "") { tooltip.hidden = true; return; }
    tooltip.replaceChildren();
    const entries = typeof value === "object" ? Object.entries(value) : [["", value]];
    for (const [key, text] of entries) {
      if (isMissing(text) || text === "") continue;
      tooltip.appendChild(h("div", {}, [key ? h("strong", { text: key + ": " }) : null, String(text)]));
    }
    tooltip.hidden = false;
    const x = Math.min(event.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8);
    tooltip.style.left = Math.max(4, x) + "px";
    tooltip.style.top = (event.clientY + 14) + "px";
  }

  function Chart(host, template, datasets, subtitle, options) {
    // the template is Vega: fill its named data sources (GeoJSON features given as the array itself)
    const spec = Object.assign({}, template, { data: template.data.map(function (source) {
      if (!(source.name in datasets)) return source;
      const values = datasets[source.name];
      if (source.format && source.format.property) return { name: source.name, values: values[source.format.property] };
      return Object.assign({}, source, { values: values });
    }) });
    spec.title = Object.assign({}, template.title, { subtitle: subtitle }, options.title ? { text: options.title } : {});
    const renderer = options.size > SVG_LIMIT ? "canvas" : "svg";
    if (renderer === "canvas") spec.marks = forCanvas(spec.marks, "marked" in datasets);
    const chart = { host: host, spec: spec, view: null, ready: null, name: options.name, marked: { code: "", peers: "" } };
    chart.draw = function () {
      if (chart.ready) return chart.ready;
      const began = performance.now();
      const viewClass = vegaReady.then(() => options.size > TASKED_ABOVE ? taskedView() : undefined);
      chart.ready = viewClass.then((View) => vegaEmbed(host.querySelector(".chart"), spec, {
        mode: "vega", actions: false, renderer: renderer, ast: true, expr: vegaExpressions, tooltip: showTooltip, viewClass: View,
      })).then(function (result) {
        chart.view = result.view;
        const drawing = host.querySelector("img.static-chart"); // the drawing made when the page was built
        if (drawing) drawing.remove();
        result.view.addEventListener("click", function (event, item) {
          const code = item && item.datum && item.datum.code;
          if (code && options.onSelect) options.onSelect(code);
        });
        if (renderer === "svg" && options.onSelect && options.size <= KEYBOARD_MARKS_LIMIT) keyboardMarks(host, options.onSelect);
        return options.state ? chart.mark(options.state()) : null;
      }).then(function () {
        host.querySelector(".chart").dataset.rendered = "true";
        performance.mark("atlas:chart-drawn", { detail: options.name });
        performance.measure("atlas:chart-drawing", { start: began, detail: options.name }); // for benchmarks/bench_page.py
        return chart;
      });
      return chart.ready;
    };
    chart.mark = function (selection) {
      if (!chart.view) return Promise.resolve();
      // the chosen area and its peers drawn as their own small layer where the template has one;
      // the signals re-style every mark, so charts of thousands of areas rely on the layer alone.
      // Nothing is redrawn when the chart already shows this choice.
      const code = selection.code || "", peers = selection.peers || [];
      if (chart.marked.code === code && chart.marked.peers === peers.join("|")) return Promise.resolve();
      chart.marked = { code: code, peers: peers.join("|") };
      if ("marked" in datasets && options.marked) chart.view.data("marked", options.marked(selection));
      if (options.size <= SVG_LIMIT || !("marked" in datasets)) chart.view.signal("selected", code).signal("peers", peers);
      return chart.view.runAsync();
    };
    return chart;
  }

  // Vega's View, drawing a chart over three tasks where vegaEmbed would use one: its spec is parsed
  // in the first, its dataflow runs in the second and it is rendered in the third, so no chart of
  // hundreds or thousands of marks holds the page for its whole drawing (the Long Tasks budget is
  // 200 ms). The bundle exposes vegaEmbed alone, so the class is read from a first, empty view.
  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
  // The renderer runs before the Vega scripts (the page's words and the first chart's drawing are on
  // screen while the browser compiles Vega): charts are drawn once vega-expressions.js, the last, has run.
  const vegaReady = window.vegaExpressions ? Promise.resolve()
    : new Promise((resolve) => document.addEventListener("vega-ready", resolve, { once: true }));
  let tasked = null;
  function taskedView() {
    tasked = tasked || vegaEmbed(document.createElement("div"), { marks: [] },
      { mode: "vega", actions: false, renderer: "none", ast: true, expr: vegaExpressions, tooltip: false }).then(function (probe) {
      const View = probe.view.constructor;
      probe.view.finalize();
      return class TaskedView extends View {
        async evaluate(encode, prerun, postrun) {
          if (this.drawnOnce) return super.evaluate(encode, prerun, postrun);
          this.drawnOnce = true;
          await nextTask();
          const renderer = this._renderer; // Vega renders when a run ends if it has a renderer
          this._renderer = null;
          await super.evaluate(encode, prerun, postrun);
          this._renderer = renderer;
          this._redraw = true;
          await nextTask();
          return super.evaluate();
        }
      };
    });
    return tasked;
  }

  // A chart of thousands of areas, drawn on canvas, drops what only SVG uses or the marked layer
  // already shows: each mark's ARIA description (a canvas has no marks to describe; the table beside
  // the chart is its text alternative) and the chosen-area conditions on every point (the marked
  // layer draws the chosen area and its peers). Vega's expression interpreter (the page's CSP allows
  // no eval) then does a fraction of the work per point.
  function forCanvas(marks, marked) {
    return marks.map(function (mark) {
      const lean = Object.assign({}, mark);
      if (mark.marks) lean.marks = forCanvas(mark.marks, marked);
      const update = mark.encode && mark.encode.update;
      if (!update) return lean;
      const kept = Object.assign({}, update);
      delete kept.description; delete kept.ariaRoleDescription;
      for (const [channel, rule] of Object.entries(kept)) {
        if (marked && Array.isArray(rule) && rule.some((r) => /\b(selected|peers)\b/.test(r.test || ""))) kept[channel] = rule[rule.length - 1];
      }
      lean.encode = Object.assign({}, mark.encode, { update: kept });
      return lean;
    });
  }

  function keyboardMarks(host, onSelect) {
    host.querySelectorAll("svg g.mark-symbol > path, svg g.mark-shape > path").forEach(function (mark) {
      const item = mark.__data__;
      const code = item && item.datum && item.datum.code;
      if (!code) return;
      mark.setAttribute("tabindex", "0");
      mark.dataset.code = code;
      mark.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); onSelect(code); }
      });
    });
  }

  function chartCard(title, caption, chartClass) {
    const host = h("figure", { class: "chart-host" }, [
      h("div", { class: "chart " + (chartClass || "") }),
      h("figcaption", { class: "meta", text: caption }),
    ]);
    return host;
  }

  function downloads(chart, filename) {
    const save = function (type) {
      chart.draw().then(function () { return chart.view.toImageURL(type, type === "png" ? 2 : 1); }).then(function (url) {
        const link = h("a", { href: url, download: filename + "." + type });
        document.body.appendChild(link); link.click(); link.remove();
      });
    };
    return h("div", { class: "downloads no-print" }, [
      h("button", { type: "button", class: "small", text: "Download PNG", onclick: () => save("png") }),
      h("button", { type: "button", class: "small", text: "Download SVG", onclick: () => save("svg") }),
    ]);
  }

  /* ---------- tables: sortable, paged (only a page of rows is ever in the DOM) ---------- */

  function Table(options) {
    const state = { rows: options.rows, shown: options.rows, sort: null, page: 0 };
    const body = h("tbody");
    const heads = options.columns.map(function (column, index) {
      const button = h("button", { type: "button", class: "sort", text: column.label,
        onclick: function () { sortBy(index); } });
      return h("th", { scope: "col", class: column.text ? "text" : null }, [button]);
    });
    const status = h("span", { class: "meta", "aria-live": "polite" });
    const previous = h("button", { type: "button", class: "small", text: "Previous", onclick: () => turn(-1) });
    const next = h("button", { type: "button", class: "small", text: "Next", onclick: () => turn(1) });
    const table = h("table", { class: "data" }, [h("caption", { text: options.caption }), h("thead", {}, [h("tr", {}, heads)]), body]);
    const el = h("div", { class: "table-block" }, [
      h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": options.caption }, [table]),
      h("div", { class: "pager no-print" }, [previous, status, next]),
    ]);

    function sortBy(index) {
      const column = options.columns[index];
      const ascending = !(state.sort && state.sort.index === index && state.sort.ascending);
      state.sort = { index: index, ascending: ascending };
      heads.forEach((th) => th.removeAttribute("aria-sort"));
      heads[index].setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const key = column.sort || ((row) => row[column.key]);
      const keyed = state.shown.map((row) => [key(row), row]);
      keyed.sort(function (a, b) {
        const x = a[0], y = b[0];
        if (isMissing(x)) return isMissing(y) ? 0 : 1;
        if (isMissing(y)) return -1;
        return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
      });
      state.shown = keyed.map((pair) => pair[1]);
      state.page = 0;
      draw();
    }
    function turn(step) { state.page += step; draw(); }
    function draw() {
      const pages = Math.max(1, Math.ceil(state.shown.length / PAGE_SIZE));
      state.page = Math.min(Math.max(0, state.page), pages - 1);
      const start = state.page * PAGE_SIZE;
      const fragment = document.createDocumentFragment();
      for (const row of state.shown.slice(start, start + PAGE_SIZE)) fragment.appendChild(rowNode(row));
      body.replaceChildren(fragment);
      status.textContent = state.shown.length ? "Rows " + integer(start + 1) + "–" +
        integer(Math.min(start + PAGE_SIZE, state.shown.length)) + " of " + integer(state.shown.length) : "No rows match";
      previous.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
    }
    function rowNode(row) {
      const cells = options.columns.map(function (column, index) {
        const text = column.format ? column.format(row) : String(row[column.key]);
        return index === 0 ? h("th", { scope: "row", class: "text", text: text })
          : h("td", { class: column.text ? "text" : null, text: text });
      });
      const code = options.code && options.code(row);
      const selected = code && code === options.selected();
      const tr = h("tr", { class: code ? "area-row" + (selected ? " selected" : "") : null,
        "aria-selected": code ? String(Boolean(selected)) : null, "data-code": code || null,
        tabindex: code ? "0" : null }, cells);
      if (code) {
        tr.addEventListener("click", () => options.onSelect(code));
        tr.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") { event.preventDefault(); options.onSelect(code); }
        });
      }
      return tr;
    }
    draw();
    return {
      el: el,
      filter: function (test) { state.shown = test ? state.rows.filter(test) : state.rows; state.sort = null;
        heads.forEach((th) => th.removeAttribute("aria-sort")); state.page = 0; draw(); },
      reveal: function (code) {
        const at = code ? state.shown.findIndex((row) => options.code(row) === code) : -1;
        if (at >= 0) state.page = Math.floor(at / PAGE_SIZE);
        draw();
      },
    };
  }

  /* ---------- the page ---------- */

  function Atlas(source) {
    const index = source.index;
    const codes = source.codes;
    const names = new Map(codes.map((code, i) => [code, source.names[i]]));
    const position = new Map(codes.map((code, i) => [code, i]));
    const label = (code) => names.get(code) ? names.get(code) + " (" + code + ")" : code;
    const root = document.getElementById("view");
    const select = { indicator: document.getElementById("indicator-select"), period: document.getElementById("period-select"),
      search: document.getElementById("area-search"), results: document.getElementById("search-results") };
    let state = { id: null, period: null, code: null };
    let current = null; // what is drawn: charts, tables, rows of the view
    let settled = Promise.resolve(); // resolves once the latest state is drawn everywhere

    function go(next, replace) {
      const target = address(Object.assign({}, state, next));
      if (target === location.hash) { render(true); return; }
      if (replace) { history.replaceState(null, "", target); render(false); } else location.hash = target;
    }
    const choose = (code) => go({ code: code });

    function indicatorOf(id) { return index.indicators.find((i) => i.id === id); }

    function render(moveFocus) {
      const next = readAddress(index);
      if (!source.complete() && (next.code || next.id + "|" + next.period !== source.first)) {
        // what the address asks for follows the scripts in the page: draw it once the page is parsed
        settled = source.loaded.then(() => { render(moveFocus); return settled; });
        return;
      }
      const changedView = next.id !== state.id || next.period !== state.period;
      state = next;
      if (changedView) buildView();
      settled = markSelection(moveFocus);
    }

    function buildView() {
      const indicator = indicatorOf(state.id);
      const view = source.view(state.id + "|" + state.period);
      select.indicator.value = indicator.id;
      select.period.replaceChildren.apply(select.period, indicator.periods.map((p) => h("option", { value: p, text: p })));
      select.period.value = state.period;
      document.title = synthetic(indicator, indicator.title) + ", " + state.period + " · Atlas of Variation";
      // columns are aligned with the page's area codes; keep the areas with a value, highest first
      const rows = rowsOf(view.areas).map((row, i) => Object.assign(row, { code: codes[i] }))
        .filter((row) => !isMissing(row.value)).sort((a, b) => b.value - a.value);
      rows.forEach(function (row, i) {
        row.rank = rows.length - i; // sorted highest first: rank 1 is the lowest, drawn on the left
        row.label = label(row.code);
        row.search = row.label.toLowerCase();
        row.band_code = row.band;
        row.band_adjusted_code = row.band_adjusted;
        row.band = isMissing(row.band) ? "No funnel" : indicator.bands[String(row.band)];
        row.band_adjusted = isMissing(row.band_adjusted) ? "No funnel" : indicator.bands[String(row.band_adjusted)];
        row.shown = valueText(row.value, indicator);
        row.interval = valueText(row.lower95, indicator) + " to " + valueText(row.upper95, indicator);
      });
      current = { indicator: indicator, view: view, rows: rows, byCode: new Map(rows.map((r) => [r.code, r])),
        charts: [], tables: [] };
      current.profile = profileOf(indicator);
      const cards = [headerCard(indicator, view), rankedCard(indicator, view, rows), funnelCard(indicator, view, rows),
        indicator.map ? mapCard(indicator, rows) : null, areaCard(indicator), opportunityCard(indicator),
        view.bundle ? bundleCard(indicator, view.bundle) : null].concat(
        (view.inequality || []).map((entry, i) => inequalityCard(indicator, entry, i))).filter(Boolean);
      root.replaceChildren.apply(root, cards);
      contents(indicator, cards);
      select.search.value = "";
      select.results.replaceChildren();
      drawInTurn(current.charts, current.drawnFirst);
    }

    function profileOf(indicator) {
      const profile = source.profile(indicator.id);
      if (!profile || profile.period !== state.period) return null;
      const rows = rowsOf(profile.columns).map(function (row, i) {
        const area = current.byCode.get(codes[i]);
        return Object.assign(row, { code: codes[i], value: area ? area.value : null,
          significant: row.significant === 1, status: isMissing(row.status) ? null : profile.statuses[row.status],
          best_period: isMissing(row.best_period) ? null : profile.periods[row.best_period] });
      }).filter((row) => !isMissing(row.status)).sort((a, b) => (b.gain || 0) - (a.gain || 0));
      return { meta: profile, rows: rows, byCode: new Map(rows.map((r) => [r.code, r])),
        peers: profile.peers === null ? null : source.peers[profile.peers] };
    }

    // an area's peers: positions[start[i]:start[i + 1]] of the profile's shared peer table
    function peersOf(code) {
      const table = current.profile && current.profile.peers;
      const i = table && code ? position.get(code) : undefined;
      if (i === undefined) return [];
      return table.positions.slice(table.start[i], table.start[i + 1]).map((p) => codes[p]);
    }

    function selection() {
      return { code: state.code, peers: peersOf(state.code) };
    }

    function markedRows(selection) {
      return [selection.code].concat(selection.peers).map((c) => current.byCode.get(c)).filter(Boolean)
        .map((r) => ({ code: r.code, rank: r.rank, value: r.value, denominator: r.denominator, label: r.label,
          shown: r.shown, interval: r.interval, band: r.band, chosen: r.code === selection.code }));
    }

    function subtitle(indicator, extra) {
      return [synthetic(indicator, indicator.title) + ", " + state.period].concat(extra ? [extra] : []);
    }

    /* ----- cards ----- */

    function headerCard(indicator, view) {
      const s = view.summary;
      const tags = [indicator.synthetic ? h("span", { class: "tag synthetic", text: "SYNTHETIC" }) : null,
        h("span", { class: "tag", text: indicator.id }),
        h("span", { class: "tag", text: words(indicator.measure) + (indicator.unit ? ", " + indicator.unit : "") }),
        h("span", { class: "tag", text: words(indicator.polarity) })].concat(
        indicator.tags.map((t) => h("span", { class: "tag", text: words(t) })));
      const methods = [
        ["Fold range", number(s.fold, 1) + "×", "the highest value divided by the lowest (the Atlas of Variation's measure)."],
        ["Fold, trimmed", number(s.fold_trimmed5, 1) + "×", "the same without the 5 highest and 5 lowest areas, so one outlier cannot drive it."],
        ["P95/P5", number(s.p95_p5, 2), "the 95th percentile over the 5th: the spread of the middle 90% of areas."],
        ["CV", number(s.cv, 3), "coefficient of variation: the standard deviation of values over their mean."],
        ["SCV", number(s.scv, 3), "systematic component of variation: the spread left after the spread chance alone would give."],
        ["φ (phi)", number(s.phi, 1), "overdispersion factor: how many times more variable areas are than chance (1 would be chance alone)."],
        ["τ² (tau²)", number(s.tau2, 5), "between-area variance added to each area's own, which widens the adjusted funnel."],
        ["Pooled", valueText(s.pooled, indicator), "all areas' counts added together: the line drawn on the charts."],
      ];
      const line = "Methods: " + methods.map(([term, value]) => term + " " + value).join("; ") +
        ". Funnel limits at 95% and 99.8%, plain and allowing for overdispersion.";
      const details = h("details", { class: "methods", "data-print": line }, [
        h("summary", { text: "Methods: how the spread is measured" }),
        h("dl", {}, methods.flatMap(([term, value, meaning]) => [h("dt", { text: term + ": " + value }), h("dd", { text: meaning })])),
        summaryTable(indicator),
      ]);
      return h("section", { class: "card", id: "overview", "aria-labelledby": "indicator-title" }, [
        h("h2", { id: "indicator-title", tabindex: "-1" }, [synthetic(indicator, indicator.title) + ", " + state.period]),
        h("p", { class: "meta" }, tags),
        h("p", { class: "meta", text: "Source: " + indicator.source + " · Licence: " + indicator.licence +
          (s.complete_year === false ? " · " + state.period + " is a part year (still in progress)" : "") }),
        h("p", { class: "headline", text: synthetic(indicator, view.sentence) }),
        index.named ? null : h("p", { class: "meta", text: "This input names no areas, so they are shown by code." }),
        details,
      ]);
    }

    function summaryTable(indicator) {
      const rows = indicator.periods.map((p) => Object.assign({ period: p }, source.view(indicator.id + "|" + p).summary));
      const t = Table({ caption: synthetic(indicator, "Variation between areas in every period"), rows: rows, columns: [
        { key: "period", label: "Period", text: true, format: (r) => r.period + (r.complete_year === false ? " (part year)" : "") },
        { key: "n_areas", label: "Areas", format: (r) => integer(r.n_areas) },
        { key: "fold", label: "Fold", format: (r) => number(r.fold, 1) + "×" },
        { key: "p95_p5", label: "P95/P5", format: (r) => number(r.p95_p5, 2) },
        { key: "scv", label: "SCV", format: (r) => number(r.scv, 3) },
        { key: "phi", label: "φ", format: (r) => number(r.phi, 1) },
        { key: "pooled", label: "Pooled", format: (r) => valueText(r.pooled, indicator) },
        { key: "n_high_998", label: "Above 99.8%", format: (r) => integer(r.n_high_998) },
        { key: "n_low_998", label: "Below 99.8%", format: (r) => integer(r.n_low_998) },
      ] });
      return t.el;
    }

    function areasTable(indicator, rows) {
      const table = Table({ caption: synthetic(indicator, "Every area, " + state.period + ": value, 95% interval, size and funnel bands"),
        rows: rows, code: (r) => r.code, selected: () => state.code, onSelect: choose, columns: [
          { key: "label", label: "Area", text: true, format: (r) => r.label, sort: (r) => r.label.toLowerCase() },
          { key: "value", label: "Value", format: (r) => r.shown },
          { key: "lower95", label: "95% interval", format: (r) => r.interval },
          { key: "denominator", label: "Denominator", format: (r) => integer(r.denominator) },
          { key: "band", label: "Plain funnel", text: true, format: (r) => r.band },
          { key: "band_adjusted", label: "Adjusted funnel", text: true, format: (r) => r.band_adjusted },
        ] });
      current.tables.push(table);
      current.areasTable = table;
      return table.el;
    }

    function extremesTable(indicator, rows) {
      const ends = rows.length > 20 ? rows.slice(0, 10).concat(rows.slice(-10)) : rows;
      const table = Table({ caption: synthetic(indicator, "Highest and lowest areas, " + state.period), rows: ends, columns: [
        { key: "label", label: "Area", text: true, format: (r) => r.label },
        { key: "value", label: "Value", format: (r) => r.shown },
        { key: "lower95", label: "95% interval", format: (r) => r.interval },
        { key: "band_adjusted", label: "Adjusted funnel", text: true, format: (r) => r.band_adjusted }] });
      return h("div", { class: "print-only" }, [table.el]);
    }

    function pooledData(indicator, view) {
      return [{ pooled: view.summary.pooled, label: "Pooled, all " + index.noun + ": " + valueText(view.summary.pooled, indicator) }];
    }

    // England and the regions, as published: labelled benchmark lines beside the pooled one
    function comparatorLines(indicator, view) {
      return (view.comparators || []).filter((c) => !isMissing(c.value))
        .map((c) => ({ pooled: c.value, label: c.name + " " + valueText(c.value, indicator) }));
    }

    function comparatorsText(indicator, view) {
      const shown = (view.comparators || []).filter((c) => !isMissing(c.value));
      if (!shown.length) return null;
      return "Comparators, " + state.period + ": " + shown.map((c) => c.name + (c.area_type ? " (" + c.area_type + ")" : "") + " " +
        valueText(c.value, indicator) + (isMissing(c.lower95) ? "" : " (95% interval " + valueText(c.lower95, indicator) + " to " +
        valueText(c.upper95, indicator) + ")")).join("; ") + ".";
    }

    function rankedCard(indicator, view, rows) {
      const many = rows.length > RANKED_POINTS_LIMIT;
      const caption = many ? "Every area ranked as one distribution; the chosen area and its peers are marked. The table lists every area."
        : "Each area's value (point, shaped and coloured by funnel band) with its 95% interval, lowest on the left; the dashed line is the pooled figure. The table lists every value.";
      const lines = comparatorLines(indicator, view);
      const host = chartCard("Ranked", caption + (lines.length ? " Dashed lines also mark the comparators, as published: " +
        lines.map((l) => l.label).join("; ") + "." : ""));
      const datasets = { pooled: pooledData(indicator, view).concat(lines) };
      if (many) { datasets.areas = distributionSteps(rows); datasets.marked = []; }
      else datasets.areas = rows;
      const chart = Chart(host, source.templates(indicator.id)[many ? "distribution" : "ranked"], datasets, subtitle(indicator),
        { size: rows.length, onSelect: choose, state: selection, name: "ranked", marked: markedRows });
      current.charts.push(chart);
      if (!many && !state.code && state.id + "|" + state.period === source.first) current.drawnFirst = staticChart(host, chart, indicator);
      host.appendChild(downloads(chart, indicator.id + "-ranked"));
      return h("section", { class: "card", id: "ranked", "aria-labelledby": "ranked-title" }, [
        h("h3", { id: "ranked-title", text: synthetic(indicator, "Areas ranked") }),
        h("div", { class: "pair" }, [host, h("div", { class: "screen-only" }, [areasTable(indicator, rows)])]),
        extremesTable(indicator, rows),
      ]);
    }

    // The first view's ranked chart as drawn when the page was built (html.first_chart), shown as an
    // image (no script, no markup from the data) until the live chart replaces it: a chart on screen
    // at the first paint after the page's words, where the live one takes a few tasks more. Shown
    // only where the chart is about as wide as that drawing (a desktop screen), so nothing jumps.
    // Resolves once the drawing is painted (or not shown): the live charts are drawn after it.
    function staticChart(host, chart, indicator) {
      const drawn = source.drawn();
      if (!drawn) return Promise.resolve();
      const area = host.querySelector(".chart");
      return new Promise(function (painted) {
        setTimeout(painted, 500); // never hold the live charts for longer (a page opened in the background)
        const sized = new ResizeObserver(function (entries) { // after layout, before paint: no layout forced here
          sized.disconnect();
          const width = entries[0].contentRect.width;
          if (chart.view || Math.abs(width - drawn.width) > 0.15 * drawn.width) { painted(); return; }
          const image = h("img", { class: "static-chart", alt: synthetic(indicator, "Areas ranked") + ", " + state.period +
            ": the chart as drawn when the page was built, until the live chart is drawn", elementtiming: "static-chart",
            width: drawn.width, height: drawn.height, style: "display:block;width:100%;height:" + drawn.height + "px;object-fit:fill",
            src: "data:image/svg+xml;charset=utf-8," + encodeURIComponent(drawn.svg) });
          area.prepend(image);
          image.decode().then(function () {
            performance.mark("atlas:static-chart-drawn");
            requestAnimationFrame(() => painted());
          }, painted);
        });
        sized.observe(area);
      });
    }

    // Thousands of ranked areas (highest first) as at most DISTRIBUTION_STEPS steps, each at its first
    // area's rank and value with the lowest and highest 95% limits of the areas it stands for, and
    // the last area itself: the line and the band look as they would through every area (a step is
    // under a pixel wide), and Vega draws a fraction of the points.
    function distributionSteps(rows) {
      const size = Math.ceil(rows.length / DISTRIBUTION_STEPS);
      const steps = [];
      for (let start = 0; start < rows.length; start += size) {
        let lower = Infinity, upper = -Infinity;
        for (let i = start; i < Math.min(start + size, rows.length); i++) {
          if (!isMissing(rows[i].lower95)) lower = Math.min(lower, rows[i].lower95);
          if (!isMissing(rows[i].upper95)) upper = Math.max(upper, rows[i].upper95);
        }
        steps.push({ rank: rows[start].rank, value: rows[start].value, lower95: isFinite(lower) ? lower : null, upper95: isFinite(upper) ? upper : null });
      }
      const last = rows[rows.length - 1];
      if (size > 1) steps.push({ rank: last.rank, value: last.value, lower95: last.lower95, upper95: last.upper95 });
      return steps;
    }

    function funnelLabels(rows) {
      const pooled = current.view.summary.pooled;
      return rows.filter((r) => r.band_code === 2 || r.band_code === -2)
        .sort((a, b) => Math.abs(b.value - pooled) * Math.sqrt(b.denominator) - Math.abs(a.value - pooled) * Math.sqrt(a.denominator))
        .slice(0, root.clientWidth < 600 ? FUNNEL_LABELS_NARROW : FUNNEL_LABELS).map((r) => ({ denominator: r.denominator, value: r.value, label: names.get(r.code) || r.code }));
    }

    function funnelCard(indicator, view) {
      if (!view.limits) {
        return h("section", { class: "card", id: "funnel" }, [h("h3", { text: synthetic(indicator, "Funnel plot") }),
          h("p", { class: "explain", text: "No funnel for this period: the pooled value gives nothing to judge by (for example 0% or 100%), or the measure has no counts." })]);
      }
      const limits = rowsOf(view.limits);
      const pairs = [["", "plain", "Plain limits: chance alone", "band"],
        ["_adjusted", "adjusted", "Limits allowing for the normal variation between areas (overdispersion)", "band_adjusted"]];
      const hosts = pairs.map(function ([suffix, name, words_, field]) {
        const areas = current.rows.map((r) => Object.assign({}, r, { band: indicator.bands[String(r[field + "_code"])] || "No funnel", band_code: r[field + "_code"] }));
        const lines = [];
        for (const level of ["95", "99_8"]) for (const side of ["lower", "upper"]) {
          for (const point of limits) {
            const y = point[side + "_" + level + suffix];
            if (!isMissing(y)) lines.push({ size: point.size, y: y, line: side + level, level: level === "95" ? "95% limits" : "99.8% limits" });
          }
        }
        const target = limits.map((p) => ({ size: p.size, target: p.target, label: "Pooled: " + valueText(p.target, indicator) }));
        const caption = words_ + ". Points are shaped and coloured by band; dashed lines are 95% limits, solid 99.8%; the blue line is the pooled figure; the furthest outliers beyond 99.8% are named. The table beside the ranked chart lists every area.";
        const host = chartCard(name, caption);
        const chart = Chart(host, source.templates(indicator.id).funnel,
          { areas: areas, limits: lines, target: target, labels: funnelLabels(areas), marked: [] }, subtitle(indicator, words_),
          { size: areas.length, onSelect: choose, state: selection, name: "funnel-" + name, marked: markedRows });
        current.charts.push(chart);
        host.appendChild(downloads(chart, indicator.id + "-funnel-" + name));
        return host;
      });
      return h("section", { class: "card", id: "funnel", "aria-labelledby": "funnel-title" }, [
        h("h3", { id: "funnel-title", text: synthetic(indicator, "Funnel plots: is the spread more than chance?") }),
        h("div", { class: "pair even" }, hosts),
      ]);
    }

    function mapCard(indicator, rows) {
      const caption = "Each area shaded by its value; the chosen area is outlined in yellow. The table beside the ranked chart lists every value.";
      const host = chartCard("map", caption);
      const chart = Chart(host, source.templates(indicator.id).map, { boundaries: source.boundaries(), areas: rows },
        subtitle(indicator), { size: rows.length, onSelect: choose, state: selection, name: "map" });
      current.charts.push(chart);
      host.appendChild(downloads(chart, indicator.id + "-map"));
      return h("section", { class: "card", id: "map", "aria-labelledby": "map-title" }, [
        h("h3", { id: "map-title", text: synthetic(indicator, "Map") }), host]);
    }

    function areaCard(indicator) {
      return h("section", { class: "card", id: "area", "aria-labelledby": "area-title" }, [
        h("h3", { id: "area-title", tabindex: "-1", text: "Choose an area: search, or pick a row, bar, point or region" }),
        h("div", { class: "area-body" }),
      ]);
    }

    function opportunityCard(indicator) {
      const profile = current.profile;
      if (!profile) {
        if (!indicator.not_sized || state.period !== indicator.headline_period) return null;
        return h("section", { class: "card", id: "opportunity" }, [h("h3", { text: synthetic(indicator, "Opportunity") }),
          h("p", { class: "explain", text: "The gain for this indicator could not be sized: " + indicator.not_sized + "." })]);
      }
      const meta = profile.meta;
      const gains = profile.rows.filter((r) => r.gain > 0).slice(0, 30).map((r) => ({ code: r.code, label: label(r.code),
        gain: r.gain, gain_lower: r.gain_lower, gain_upper: r.gain_upper, people: peopleText(r.gain, r.gain_lower, r.gain_upper),
        significance: r.significant ? "Beyond chance" : "Could be chance" }));
      const host = chartCard("gain", "The 30 largest gains in people with their 95% intervals; blue bars are beyond chance. The table lists every area.");
      const chart = Chart(host, source.templates(indicator.id).gain, { gains: gains }, subtitle(indicator, "Benchmark: " + meta.benchmark_label),
        { size: gains.length, onSelect: choose, state: selection, name: "gain" });
      current.charts.push(chart);
      host.appendChild(downloads(chart, indicator.id + "-gain"));
      const table = Table({ caption: synthetic(indicator, "Opportunity by area, " + meta.period + " (benchmark: " + meta.benchmark_label + ")"),
        rows: profile.rows, code: (r) => r.code, selected: () => state.code, onSelect: choose, columns: [
          { key: "code", label: "Area", text: true, format: (r) => label(r.code), sort: (r) => label(r.code).toLowerCase() },
          { key: "value", label: "Value", format: (r) => valueText(r.value, indicator) },
          { key: "benchmark", label: "Benchmark", format: (r) => valueText(r.benchmark, indicator) },
          { key: "gain", label: "Gain (people)", format: (r) => r.gain > 0 ? integer(r.gain) : "0" },
          { key: "gain_lower", label: "95% interval", format: (r) => r.gain > 0 ? integer(r.gain_lower) + " to " + integer(r.gain_upper) : NO_VALUE },
          { key: "significant", label: "Beyond chance", text: true, format: (r) => r.significant ? "yes" : "no" },
          { key: "status", label: "Status", text: true, format: (r) => words(r.status) },
        ] });
      current.tables.push(table);
      const sg = meta.significant_gain;
      return h("section", { class: "card", id: "opportunity", "aria-labelledby": "opportunity-title" }, [
        h("h3", { id: "opportunity-title", text: synthetic(indicator, "Opportunity: raising every area to its benchmark (" + meta.period + ")") }),
        h("p", { class: "headline", text: synthetic(indicator, meta.sentence) }),
        h("p", { class: "explain", text: "Benchmark: " + meta.benchmark_label + ". Counted: " + peopleText(sg[0], sg[1], sg[2]) +
          " in the " + integer(meta.significant_areas) + " of " + integer(meta.areas) + " areas whose 95% interval lies wholly on the wrong side of the benchmark; a shortfall chance could explain is not counted (Dropkin, J Public Health 2018)." }),
        h("div", { class: "pair" }, [host, table.el]),
      ]);
    }

    function inequalitySentence(entry) {
      if (isMissing(entry.sii)) return "No slope index of inequality: " + (entry.note || "too few quantiles with a value") + ".";
      return "Slope index of inequality " + number(entry.sii, 2) + " (95% " + number(entry.sii_lower95, 2) + " to " +
        number(entry.sii_upper95, 2) + "): the modelled gap from the most to the least deprived; relative index of inequality " +
        number(entry.rii, 3) + " (95% " + number(entry.rii_lower95, 3) + " to " + number(entry.rii_upper95, 3) + ")." +
        (entry.note ? " Note: " + entry.note : "");
    }

    function inequalityCard(indicator, entry, position) {
      const id = "inequality-" + position;
      const heading = synthetic(indicator, "Inequality by deprivation: " + entry.area_name + ", " + entry.category_type +
        " (" + entry.period + ")");
      const table = Table({ caption: synthetic(indicator, "Deprivation quantiles, " + entry.area_name + ", " + entry.period),
        rows: entry.quantiles, columns: [
        { key: "rank", label: "Quantile (1 most deprived)", format: (r) => integer(r.rank) },
        { key: "category", label: "Category", text: true, format: (r) => r.category },
        { key: "value", label: "Value", format: (r) => valueText(r.value, indicator) },
        { key: "lower95", label: "95% interval", format: (r) => valueText(r.lower95, indicator) + " to " + valueText(r.upper95, indicator) },
        { key: "population", label: "Population", format: (r) => integer(r.population) }] });
      return h("section", { class: "card inequality", id: id, "aria-labelledby": id + "-title" }, [
        h("h3", { id: id + "-title", text: heading }),
        h("p", { class: "headline", text: inequalitySentence(entry) }),
        h("p", { class: "meta", text: "Method: " + entry.method + ". Values as published by Fingertips." }),
        table.el]);
    }

    function bundleCard(indicator, bundle) {
      const host = chartCard("components", "Each process's own national rate beside the all-or-none bundle; the table gives every rate.");
      const chart = Chart(host, source.templates(indicator.id).components, { components: bundle.components }, subtitle(indicator),
        { size: bundle.components.length, name: "components" });
      current.charts.push(chart);
      host.appendChild(downloads(chart, indicator.id + "-bundle"));
      const processes = Table({ caption: synthetic(indicator, "Each process's national rate"), rows: bundle.components, columns: [
        { key: "title", label: "Process", text: true, format: (r) => r.title },
        { key: "rate", label: "National rate (%)", format: (r) => number(r.rate, 1) }] });
      const best = Table({ caption: synthetic(indicator, "Best single fix by area"), rows: rowsOf(bundle.best), code: (r) => r.code,
        selected: () => state.code, onSelect: choose, columns: [
          { key: "code", label: "Area", text: true, format: (r) => label(r.code), sort: (r) => label(r.code).toLowerCase() },
          { key: "process", label: "Process to fix", text: true, format: (r) => r.process },
          { key: "extra_people", label: "People missing only it", format: (r) => integer(r.extra_people) },
          { key: "rate", label: "Bundle rate now (%)", format: (r) => number(r.rate, 1) },
          { key: "rate_if_fixed", label: "If fixed (%)", format: (r) => number(r.rate_if_fixed, 1) }] });
      current.tables.push(best);
      return h("section", { class: "card", id: "bundle", "aria-labelledby": "bundle-title" }, [
        h("h3", { id: "bundle-title", text: synthetic(indicator, "The care bundle: every process, and each area's weakest link") }),
        h("p", { class: "explain", text: "All-or-none: a person counts only when every process was done. For each area, the best single fix is the process that, done for the people who missed only that one, would add most to its all-or-none rate." }),
        h("div", { class: "pair" }, [host, processes.el]), best.el,
      ]);
    }

    /* ----- the chosen area ----- */

    function markSelection(moveFocus) {
      const sel = selection();
      const drawn = current.charts.map((chart) => chart.mark(sel));
      current.tables.forEach((t) => t.reveal(state.code));
      drawn.push(areaBody(sel));
      if (state.code && moveFocus) {
        const heading = document.getElementById("area-title");
        heading.scrollIntoView({ block: "start" });
        heading.focus({ preventScroll: true });
      }
      return Promise.all(drawn);
    }

    function areaBody(sel) {
      const indicator = current.indicator;
      const card = document.getElementById("area");
      const heading = document.getElementById("area-title");
      const body = card.querySelector(".area-body");
      if (!sel.code) { body.replaceChildren(); return Promise.resolve(); }
      const row = current.byCode.get(sel.code);
      heading.textContent = synthetic(indicator, "Chosen area: " + label(sel.code));
      const parts = [];
      parts.push(h("p", { class: "headline", text: row
        ? label(sel.code) + ": " + row.shown + " (95% interval " + row.interval + ") in " + state.period + "; plain funnel: " +
          row.band + "; adjusted funnel: " + row.band_adjusted + "."
        : label(sel.code) + " has no value for " + state.period + "." }));
      const profile = current.profile && current.profile.byCode.get(sel.code);
      if (profile) {
        const meta = current.profile.meta;
        const gap = profile.gain > 0 ? "; gain " + peopleText(profile.gain, profile.gain_lower, profile.gain_upper) +
          (profile.significant ? ", beyond chance." : ", which chance could explain.") : ": at or beyond its benchmark, no gap to close.";
        parts.push(h("p", { class: "profile" }, [h("strong", { text: words(profile.status) }),
          ": value " + valueText(profile.value, indicator) + " against a benchmark of " + valueText(profile.benchmark, indicator) +
          " (" + meta.benchmark_label + ")" + gap]));
        const shared = Object.entries(meta.shared || {}).map(([k, v]) => k + " " + valueText(v, indicator)).join("; ");
        const best = isMissing(profile.best_value) ? "" : " Its own best year: " + profile.best_period + " at " +
          valueText(profile.best_value, indicator) + (profile.status === "record_holder" ? " (the next gain is beating it)." : ".");
        parts.push(h("p", { class: "meta", text: "Other benchmarks: " + shared + "." + best }));
        if (sel.peers.length) parts.push(h("p", { class: "meta", text: "Most similar areas (peers): " + sel.peers.map(label).join(", ") }));
      }
      const plans = plansBlock(sel.code);
      if (plans) parts.push(plans);
      const comparators = comparatorsText(indicator, current.view);
      if (comparators) parts.push(h("p", { class: "meta comparators", text: comparators }));
      const xmr = xmrBlock(indicator, sel.code);
      parts.push(xmr.el);
      body.replaceChildren.apply(body, parts);
      return xmr.chart ? xmr.chart.draw() : Promise.resolve();
    }

    // the area's improvement plans (gains atlas --plans) at their latest tracked month
    function plansBlock(code) {
      const plans = source.plans[code];
      if (!plans || !plans.length) return null;
      const items = plans.map(function (p) {
        const of = indicatorOf(p.indicator_id);
        if (p.status === "withheld") {  // gains atlas --disclosure: a month of its series is a small count
          return h("li", {}, [h("strong", { text: p.title }), " (" + p.id + ", " + (of ? synthetic(of, of.title) : p.indicator_id) +
            "), " + p.period + ": figures withheld under the disclosure rule (a month of the series is not published)."]);
        }
        const gap = isMissing(p.gap) ? "no trajectory to compare with yet" : (p.gap > 0 ? number(p.gap, 1) + " behind its trajectory"
          : number(-p.gap, 1) + " ahead of its trajectory") + (of && of.unit ? " (" + of.unit + ")" : "");
        return h("li", {}, [h("strong", { text: p.title }), " (" + p.id + ", " + (of ? synthetic(of, of.title) : p.indicator_id) + "), " +
          p.period + ": " + words(p.status) + "; assurance: " + words(p.assurance) + "; " + gap + "."]);
      });
      return h("div", { class: "plans" }, [h("h4", { text: "Improvement plans for " + label(code) }), h("ul", {}, items)]);
    }

    function xmrBlock(indicator, code) {
      const series = source.xmr(indicator.id);
      const slice = series && series.areas[code];
      if (!slice) return { el: h("p", { class: "meta", text: "No SPC chart: this area has no monthly or quarterly series of 6 points or more." }), chart: null };
      const points = rowsOf(series.points).slice(slice[0], slice[1]);
      const note = "Variation: " + words(slice[2]) + (slice[3] ? ". Fewer than 13 points: these are trial limits, to be fixed once more data arrive." : ".");
      const host = chartCard("xmr", "XmR chart: mean (blue), process limits at ±2.66 × mean moving range (dashed), special-cause points shaped and coloured (Making Data Count). The table gives every point.");
      const chart = Chart(host, source.templates(indicator.id).xmr, { series: points }, subtitle(indicator, label(code) + ", " + points.length + " points"),
        { size: points.length, name: "xmr" });
      host.classList.add("xmr-chart");
      const table = Table({ caption: synthetic(indicator, "XmR points for " + label(code)), rows: points, columns: [
        { key: "period", label: "Period", text: true, format: (r) => r.period },
        { key: "value", label: "Value", format: (r) => number(r.value, 2) },
        { key: "mean", label: "Mean", format: (r) => number(r.mean, 2) },
        { key: "lpl", label: "Lower limit", format: (r) => number(r.lpl, 2) },
        { key: "upl", label: "Upper limit", format: (r) => number(r.upl, 2) },
        { key: "point_type", label: "Point", text: true, format: (r) => words(r.point_type) }] });
      const el = h("div", {}, [h("p", { class: "meta xmr-note", text: note }), h("div", { class: "pair" }, [host, table.el])]);
      return { el: el, chart: chart };
    }

    /* ----- drawing charts as they come into view, one at a time ----- */

    // Charts are drawn top to bottom, one per task, after the page's words are on screen: the first
    // is drawn first and the page never freezes for long. Charts of a view no longer shown are skipped.
    // A first chart shown as drawn when the page was built holds the queue until it is painted.
    const drawQueue = [];
    let drawing = false, held = vegaReady;
    function pump() {
      const chart = drawQueue.shift();
      if (!chart) { drawing = false; return; }
      if (!chart.host.isConnected) { pump(); return; }
      chart.draw().finally(() => setTimeout(pump, 0));
    }
    function drawInTurn(charts, after) {
      drawQueue.push.apply(drawQueue, charts);
      if (after) held = Promise.all([after, vegaReady.then(taskedView)]); // Vega's View class read while the drawing is painted
      if (!drawing) { drawing = true; held.then(() => setTimeout(pump, 0)); }
    }

    /* ----- search, contents, pareto, footer ----- */

    function search() {
      const q = select.search.value.trim().toLowerCase();
      const matches = q ? current.rows.filter((r) => r.search.includes(q)) : null;
      if (current.areasTable) current.areasTable.filter(matches ? (r) => r.search.includes(q) : null);
      const items = (matches || []).slice(0, SEARCH_RESULTS).map((r) => h("li", {}, [
        h("button", { type: "button", class: "result", text: r.label, onclick: () => { choose(r.code); } })]));
      select.results.replaceChildren.apply(select.results, items);
      document.getElementById("search-status").textContent = q ? (matches.length ? integer(matches.length) +
        " areas match" : "No area matches") : "";
    }

    function contents(indicator, cards) {
      const nav = document.getElementById("contents-list");
      const links = index.indicators.map((i) => h("li", {}, [h("a", { href: address({ id: i.id, period: i.headline_period, code: state.code }),
        "aria-current": i.id === indicator.id ? "page" : null, text: synthetic(i, i.title) })]));
      const here = cards.filter((c) => c.id).map((c) => h("li", { class: "sub" }, [h("button", { type: "button", class: "link",
        text: c.querySelector("h2, h3").textContent, onclick: () => { c.scrollIntoView(); } })]));
      links.push(h("li", {}, [h("button", { type: "button", class: "link", text: "Where the gains are, per total",
        onclick: () => document.getElementById("gains").scrollIntoView() })]));
      const leftOut = index.left_out.length ? [h("li", { class: "sub-head", text: "Not analysed" })].concat(index.left_out.map((l) =>
        h("li", { class: "sub left-out", text: l.id + ": " + l.reason }))) : [];
      nav.replaceChildren.apply(nav, links.concat([h("li", { class: "sub-head", text: "On this indicator" })], here, leftOut));
    }

    function paretoSection() {
      const section = document.getElementById("gains");
      const parts = [h("h2", { text: "Where the gains are: the aggregation of marginal gains" })];
      if (!index.pareto.length) parts.push(h("p", { class: "explain", text: "No indicator has a gain beyond chance to add up." }));
      const charts = index.pareto.map(function (group) {
        const tag = group.synthetic ? "SYNTHETIC: " : "";
        const drawn = rowsOf(group.drawn).map((r) => Object.assign(r, { label: label(r.code), people: integer(r.gain) + " " + group.unit }));
        const largest = rowsOf(group.largest).map((r) => Object.assign(r, { label: label(r.code), people: integer(r.gain) + " " + group.unit }));
        const host = chartCard("pareto", "Area x indicator pairs by gain beyond chance, largest first, with the cumulative share" +
          (drawn.length < group.n_pairs ? " (" + integer(drawn.length) + " of the " + integer(group.n_pairs) + " pairs drawn, evenly spaced by rank)" : "") +
          "; the table lists the " + largest.length + " largest.");
        const template = source.templates("_pareto")[group.unit];
        const chart = Chart(host, template, { pairs: drawn }, [tag + group.group, "Source: " + group.source],
          { size: drawn.length, name: "pareto", title: group.synthetic ? "SYNTHETIC data · " + template.title.text : null });
        host.appendChild(downloads(chart, "pareto"));
        const table = Table({ caption: tag + "The " + largest.length + " largest gains, " + group.group, rows: largest, columns: [
          { key: "rank", label: "Rank", format: (r) => integer(r.rank) },
          { key: "indicator", label: "Indicator", text: true, format: (r) => r.indicator },
          { key: "label", label: "Area", text: true, format: (r) => r.label },
          { key: "gain", label: "Gain (" + group.unit + ")", format: (r) => integer(r.gain) },
          { key: "share", label: "Cumulative share", format: (r) => Math.round(100 * r.share) + "%" }] });
        parts.push(h("div", { class: "pareto-group" }, [
          h("h3", { text: group.synthetic && !/SYNTHETIC/.test(group.group) ? tag + group.group : group.group }),
          h("p", { class: "headline total", text: tag + group.period + ": " + integer(group.total) + " " + group.unit +
            " beyond chance in " + integer(group.n_pairs) + " area x indicator pairs." }),
          h("p", { class: "meta", text: "Source: " + group.source + " · Period: " + group.period + " · Unit: " + group.unit +
            " · Breakdown: " + (group.breakdown || "none given") +
            (group.beside.length ? " · Shown beside, not added: " + group.beside.join(", ") : "") }),
          h("p", { class: "explain", text: tag + "Half of the " + integer(group.total) + " " + group.unit + " in this total lie in the first " +
            integer(group.half) + " of " + integer(group.n_pairs) + " pairs; the rest is spread thinly: many small gains that add up. " +
            "Each total is one source, period and unit: totals are never added to one another, nor real to synthetic data." }),
          h("div", { class: "pair" }, [host, table.el])]));
        return chart;
      });
      section.replaceChildren.apply(section, parts);
      drawInTurn(charts);
    }

    function footer() {
      const p = index.provenance;
      const entries = [];
      for (const [name, text] of Object.entries(p.methods || {})) entries.push([name.charAt(0).toUpperCase() + name.slice(1), text]);
      entries.push(["Confidence", "95% and 99.8% (z from the normal quantile)"]);
      if (!isMissing(p.rows.rows_read)) entries.push(["Rows", integer(p.rows.rows_read) + " read, " + integer(p.rows.rows_accepted) +
        " accepted, " + integer(p.rows.rows_rejected) + " rejected" + (p.rows.rows_rejected ? " (see rejections.csv)" : "")]);
      (p.sources || []).forEach((s) => entries.push(["Source", s]));
      (p.licences || []).forEach((s) => entries.push(["Licence", s]));
      if (p.attribution) entries.push(["Attribution", p.attribution]);
      if (source.hasMaps) entries.push(["Maps", p.maps]);
      if (p.synthetic) entries.push(["Synthetic", p.synthetic]);
      document.getElementById("provenance").replaceChildren.apply(document.getElementById("provenance"),
        entries.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]));
      document.getElementById("built").textContent = "Built by marginal-gains " + (p.version || "") + " on " + String(p.generated || "").slice(0, 10) + ".";
      const files = document.getElementById("files");
      files.replaceChildren.apply(files, index.files.map((f) => h("li", {}, [h("a", { href: f.name, text: f.name }), " — " + f.what])));
    }

    // the contents list: open beside the page on a wide screen; on a narrow one a single line that
    // opens (Enter or Space on its summary) and closes again once a link in it is followed
    function compactContents() {
      const details = document.getElementById("contents");
      const narrow = window.matchMedia("(max-width: 1000px)");
      const fit = () => { details.open = !narrow.matches; };
      fit();
      narrow.addEventListener("change", fit);
      details.addEventListener("click", function (event) {
        if (narrow.matches && event.target.closest("a, button")) details.open = false;
      });
    }

    function start() {
      document.body.appendChild(tooltip);
      compactContents();
      document.addEventListener("scroll", () => { tooltip.hidden = true; }, { passive: true });
      select.indicator.replaceChildren.apply(select.indicator, index.indicators.map((i) => h("option", { value: i.id, text: synthetic(i, i.title) })));
      select.indicator.addEventListener("change", function () {
        const indicator = indicatorOf(select.indicator.value);
        go({ id: indicator.id, period: indicator.headline_period });
      });
      select.period.addEventListener("change", () => go({ period: select.period.value }));
      select.search.addEventListener("input", search);
      select.search.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { const first = select.results.querySelector("button"); if (first) first.click(); }
      });
      window.addEventListener("hashchange", () => render(true));
      render(false);
      return nextTask().then(function () { // the first view is on screen; the rest follows in a task of its own
        footer();
        paretoSection();
        window.atlas = { state: () => Object.assign({}, state), charts: () => current.charts, choose: choose,
          whenSettled: () => settled };
        window.atlasReady = true;
      });
    }
    return { start: start };
  }

  // the page starts at once, before the Vega scripts that follow it: its data read, then the first view built
  Atlas(AtlasSource(JSON.parse(document.getElementById("atlas-data").textContent))).start();
})();
