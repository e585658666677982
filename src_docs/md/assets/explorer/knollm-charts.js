/* Knollm charts (/charts/): price vs context window, price vs release date (one point per model at
 * its cheapest host, log scales), and one model's price across its hosts. Drawn by Chart.js on a
 * canvas: labels and tooltips are canvas text, so data strings never become markup. */
(function () {
  "use strict";
  const K = window.Knollm;
  const root = document.querySelector("[data-knollm-charts]");
  if (!root || !K || !window.Chart) return;
  const SITE = root.getAttribute("data-site-root") || "../";
  const GROUPS = 10;
  const PALETTE = ["#3f51b5", "#e53935", "#43a047", "#fb8c00", "#8e24aa", "#00897b", "#6d4c41", "#d81b60", "#1e88e5", "#c0ca33"];
  const DEFAULTS = { chart: "context", colour: "creator", price: "input", mode: "chat", deprecated: false, model: "" };
  const PRICES = { input: ["in", "Input $/1M tokens"], output: ["out", "Output $/1M tokens"], blended: ["blend", "Blended $/1M tokens (3:1)"] };
  let state = K.readState(DEFAULTS);
  let catalog = null;
  let chart = null;
  const ui = {};

  /* Set as DOM properties (live state); everything else is an attribute. */
  const PROPERTIES = new Set(["className", "value", "checked", "selected", "disabled", "hidden", "open", "inputMode"]);
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (PROPERTIES.has(k)) node[k] = v;
      else node.setAttribute(k, String(v));
    }
    for (const child of children.flat()) if (child != null) node.append(child instanceof Node ? child : String(child));
    return node;
  }
  function select(label, value, options) {
    const s = h("select", { "aria-label": label }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
    return h("label", { className: "knollm-field" }, h("span", null, label), s);
  }

  function themeColours() {
    const style = getComputedStyle(document.body);
    return {
      text: style.getPropertyValue("--md-default-fg-color--light").trim() || "#666",
      grid: style.getPropertyValue("--md-default-fg-color--lightest").trim() || "rgba(0,0,0,.1)",
    };
  }

  /* One point per model: its cheapest matching offering by the chosen price among those a cost
   * ranking takes (K.rankable, the client's rule: listed, per token, not $0, no price flag);
   * unknown prices can't sit on a log scale and are left out too; the caption says how many. */
  function modelPoints() {
    const c = catalog;
    const column = c[PRICES[state.price][0]];
    const mode = c.modes.indexOf(state.mode);
    const best = new Map();
    for (let i = 0; i < c.n; i++) {
      if (mode >= 0 && c.mode[i] !== mode) continue;
      if (!state.deprecated && c.inactive[i]) continue;
      const price = column[i];
      if (!(price > 0) || !K.rankable(c, i)) continue;
      const j = c.m[i];
      const now = best.get(j);
      if (now === undefined || price < column[now]) best.set(j, i);
    }
    return best;
  }

  function groupOf(i) {
    const c = catalog;
    if (state.colour === "provider") return c.providers.name[c.p[i]];
    const k = c.models.creator[c.m[i]];
    return k >= 0 ? c.creators[k] : "unknown";
  }

  function scatter() {
    const c = catalog;
    const column = c[PRICES[state.price][0]];
    const best = modelPoints();
    const byContext = state.chart === "context";
    const points = [];
    for (const [j, i] of best) {
      const x = byContext ? c.ctx[i] : c.releasedTime[j];
      if (!(x > 0)) continue;
      points.push({ x: x, y: column[i], i: i, group: groupOf(i) });
    }
    const counts = new Map();
    for (const p of points) counts.set(p.group, (counts.get(p.group) || 0) + 1);
    const top = Array.from(counts.entries()).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, GROUPS).map((e) => e[0]);
    const datasets = top.map((name, k) => ({ label: name, data: [], backgroundColor: PALETTE[k] + "cc", pointRadius: 3 }));
    const other = { label: "other", data: [], backgroundColor: "rgba(128,128,128,.35)", pointRadius: 2 };
    for (const p of points) {
      const k = top.indexOf(p.group);
      (k >= 0 ? datasets[k] : other).data.push(p);
    }
    if (other.data.length) datasets.push(other);
    const colours = themeColours();
    const xTitle = byContext ? "Context window (tokens, log scale)" : "Release date";
    const config = {
      type: "scatter",
      data: { datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        color: colours.text,
        scales: {
          x: byContext
            ? { type: "logarithmic", title: { display: true, text: xTitle, color: colours.text }, ticks: { color: colours.text, callback: (v) => tickTokens(v) }, grid: { color: colours.grid } }
            : { type: "linear", title: { display: true, text: xTitle, color: colours.text }, ticks: { color: colours.text, callback: (v) => new Date(v).toISOString().slice(0, 7) }, grid: { color: colours.grid } },
          y: { type: "logarithmic", title: { display: true, text: PRICES[state.price][1] + " (log scale)", color: colours.text }, ticks: { color: colours.text, callback: (v) => tickPrice(v) }, grid: { color: colours.grid } },
        },
        plugins: {
          legend: { labels: { color: colours.text } },
          tooltip: { callbacks: { label: (item) => pointLabel(item.raw) } },
        },
        onClick: (event, elements) => {
          if (!elements.length) return;
          const p = elements[0].element.$context.raw;
          location.href = catalog.modelUrl(SITE, catalog.m[p.i]);
        },
        onHover: (event, elements) => { event.native.target.style.cursor = elements.length ? "pointer" : "default"; },
      },
    };
    ui.caption.textContent = points.length.toLocaleString("en-US") + " models, each at its cheapest " + (state.mode || "any-mode") +
      " offering by " + state.price + " price; free, unpriced, unlisted, doubtful and non-token prices are left out. Click a point to open the model.";
    return config;
  }

  function pointLabel(p) {
    const c = catalog;
    const i = p.i;
    return c.models.name[c.m[i]] + " @ " + c.providers.name[c.p[i]] + ": " + K.formatPrice(p.y) + "/1M, context " +
      K.formatTokens(c.ctx[i]) + (c.models.released[c.m[i]] ? ", released " + c.models.released[c.m[i]] : "");
  }
  function tickTokens(v) {
    const exp = Math.log10(v);
    return Math.abs(exp - Math.round(exp)) < 1e-9 || [2, 5].includes(Number(String(v)[0])) ? K.formatTokens(v) : "";
  }
  function tickPrice(v) {
    const exp = Math.log10(v);
    return Math.abs(exp - Math.round(exp)) < 1e-9 ? "$" + (v >= 1 ? v : Number(v.toPrecision(1))) : "";
  }

  /* One model's prices across its hosts: horizontal bars, cheapest first. */
  function hosts() {
    const c = catalog;
    const j = c.modelIndex.get(state.model);
    if (j === undefined) {
      ui.caption.textContent = state.model ? "No model with the id " + state.model + " in this catalog." : "Choose a model.";
      return null;
    }
    const rows = [];
    for (let i = 0; i < c.n; i++) if (c.m[i] === j && (state.deprecated || !c.inactive[i])) rows.push(i);
    rows.sort((a, b) => (isNaN(c.in[a]) ? 1 : 0) - (isNaN(c.in[b]) ? 1 : 0) || c.in[a] - c.in[b] || c.out[a] - c.out[b]);
    const priced = rows.filter((i) => !isNaN(c.in[i]) || !isNaN(c.out[i]));
    /* On a phone the labels share the width with the bars: provider names only, cut at 18
     * characters (the tooltip has the whole label), in a font that stays legible. */
    const narrow = window.matchMedia("(max-width: 37.5em)").matches;
    const full = priced.map((i) => c.providers.name[c.p[i]] + (c.api[i] ? " · " + c.api[i] : ""));
    const cut = (text) => (text.length > 18 ? text.slice(0, 17) + "…" : text);
    const labels = narrow ? priced.map((i) => cut(c.providers.name[c.p[i]])) : full;
    const colours = themeColours();
    ui.caption.textContent = c.models.name[j] + ": " + priced.length + " priced offerings of " + rows.length +
      " at " + new Set(rows.map((i) => c.p[i])).size + " providers. Click a bar to open the provider.";
    root.querySelector(".knollm-chart").style.height = Math.max(16, 3 + priced.length * (narrow ? 2.2 : 1.6)) + "rem";
    return {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          { label: "Input $/1M", data: priced.map((i) => nullable(c.in[i])), backgroundColor: PALETTE[0] },
          { label: "Output $/1M", data: priced.map((i) => nullable(c.out[i])), backgroundColor: PALETTE[3] },
        ],
      },
      options: {
        indexAxis: "y",
        animation: false,
        maintainAspectRatio: false,
        color: colours.text,
        scales: {
          x: { title: { display: true, text: "USD per 1M tokens", color: colours.text }, ticks: { color: colours.text }, grid: { color: colours.grid } },
          y: { ticks: { color: colours.text, autoSkip: false, font: { size: narrow ? 11 : 12 } }, grid: { color: colours.grid } },
        },
        plugins: { legend: { labels: { color: colours.text } }, tooltip: { callbacks: { title: (items) => full[items[0].dataIndex], label: (item) => item.dataset.label + ": " + K.formatPrice(item.raw) } } },
        onClick: (event, elements) => {
          if (elements.length) location.href = c.providerUrl(SITE, c.p[priced[elements[0].index]]);
        },
      },
    };
  }
  function nullable(x) {
    return isNaN(x) ? null : x;
  }

  function draw() {
    const config = state.chart === "hosts" ? hosts() : scatter();
    if (chart) chart.destroy();
    chart = null;
    if (state.chart !== "hosts") root.querySelector(".knollm-chart").style.height = "";
    ui.modelField.hidden = state.chart !== "hosts";
    ui.colourField.hidden = state.chart === "hosts";
    ui.priceField.hidden = state.chart === "hosts";
    if (config) chart = new Chart(ui.canvas, config);
    root.setAttribute("data-state", "ready");
  }

  function update(change) {
    Object.assign(state, change);
    K.writeState(state, DEFAULTS, true);
    draw();
  }

  async function start() {
    root.setAttribute("data-state", "loading");
    try {
      catalog = await K.loadAll(root.getAttribute("data-payload")); // both parts of a split payload
    } catch (error) {
      root.replaceChildren(h("p", { className: "knollm-error" }, "The charts could not start: " + error.message));
      root.setAttribute("data-state", "error");
      return;
    }
    const c = catalog;
    const multi = [];
    c.models.hosts.forEach((n, j) => { if (n > 1) multi.push(j); });
    const chartField = select("Chart", state.chart, [["context", "Price vs context window"], ["released", "Price vs release date"], ["hosts", "One model across its hosts"]]);
    ui.colourField = select("Colour by", state.colour, [["creator", "creator"], ["provider", "provider (cheapest host)"]]);
    ui.priceField = select("Price", state.price, [["input", "input"], ["output", "output"], ["blended", "blended (3:1)"]]);
    const modeField = select("Mode", state.mode, [["", "any"]].concat(c.modes.map((m) => [m, m])));
    ui.model = h("input", { type: "text", list: "knollm-chart-models", value: state.model, placeholder: "model id", "aria-label": "Model", size: 28 });
    ui.modelField = h("label", { className: "knollm-field" }, h("span", null, "Model (id)"), ui.model,
      h("datalist", { id: "knollm-chart-models" }, multi.map((j) => h("option", { value: c.models.id[j] }, c.models.name[j]))));
    const deprecated = h("input", { type: "checkbox", checked: state.deprecated });
    ui.canvas = h("canvas", { role: "img", "aria-label": "Chart of catalog prices" });
    ui.caption = h("p", { className: "knollm-count", role: "status" });
    root.replaceChildren(
      h("div", { className: "knollm-chart-controls" }, chartField, ui.colourField, ui.priceField, modeField, ui.modelField,
        h("label", null, deprecated, " Show deprecated")),
      ui.caption, h("div", { className: "knollm-chart" }, ui.canvas));
    chartField.querySelector("select").addEventListener("change", (e) => update({ chart: e.target.value }));
    ui.colourField.querySelector("select").addEventListener("change", (e) => update({ colour: e.target.value }));
    ui.priceField.querySelector("select").addEventListener("change", (e) => update({ price: e.target.value }));
    modeField.querySelector("select").addEventListener("change", (e) => update({ mode: e.target.value }));
    ui.model.addEventListener("change", () => update({ model: ui.model.value.trim() }));
    deprecated.addEventListener("change", () => update({ deprecated: deprecated.checked }));
    window.addEventListener("popstate", () => location.reload());
    new MutationObserver(draw).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
    draw();
  }
  start();
})();
