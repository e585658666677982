/* Knollm: the price-history chart of a model page ([data-knollm-history]) and the benchmark
 * score against price charts ([data-knollm-scores]). The data is the JSON in the figure's
 * <script type="application/json"> (written by the site generator with json_script); it is drawn
 * by Chart.js on a canvas, so labels and tooltips are canvas text and data strings never become
 * markup. Links open only relative (same-site) addresses. The tables beside the charts hold the
 * same numbers for readers without JavaScript. */
(function () {
  "use strict";
  if (!window.Chart) return;
  const PALETTE = ["#3f51b5", "#e53935", "#43a047", "#fb8c00", "#8e24aa", "#00897b"];
  const DAY = 86400000;

  function readData(figure) {
    const script = figure.querySelector('script[type="application/json"]');
    if (!script) return null;
    try {
      return JSON.parse(script.textContent);
    } catch (e) {
      return null;
    }
  }

  function canvasIn(figure) {
    const box = document.createElement("div");
    box.className = "knollm-chart-box";
    const canvas = document.createElement("canvas");
    box.append(canvas);
    figure.insertBefore(box, figure.firstChild);
    return canvas;
  }

  function colours() {
    const style = getComputedStyle(document.body);
    return {
      text: style.getPropertyValue("--md-default-fg-color--light").trim() || "#666",
      grid: style.getPropertyValue("--md-default-fg-color--lightest").trim() || "rgba(0,0,0,.1)",
    };
  }

  /* "2025-09" or "2025-09-08" -> ms since the epoch (UTC); null when unparsable. */
  function day(text) {
    if (typeof text !== "string") return null;
    const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(text);
    if (!m) return null;
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, m[3] ? Number(m[3]) : 1);
  }

  function iso(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  }

  function money(v) {
    return "$" + (v >= 100 ? v.toFixed(0) : String(Number(v.toPrecision(4))));
  }

  /* One step line per offering and price: a price holds until the next point, the last one
   * until the build date (or its own date, when scheduled later). A point without a date (the
   * price before a source's first dated change) is drawn a little before the first dated one. */
  function historyChart(figure, data) {
    const series = Array.isArray(data.series) ? data.series : [];
    const dates = [];
    for (const s of series) for (const p of s.points || []) { const t = day(p.since); if (t !== null) dates.push(t); }
    const until = day(data.until);
    if (!dates.length) return;
    const first = Math.min(...dates);
    const last = Math.max(until || first, ...dates);
    const lead = Math.max(30 * DAY, (last - first) * 0.1);
    const datasets = [];
    series.forEach(function (s, k) {
      const colour = PALETTE[k % PALETTE.length];
      for (const [field, dash] of [["input", []], ["output", [6, 4]]]) {
        const pts = [];
        for (const p of s.points || []) {
          const t = p.since == null ? first - lead : day(p.since);
          const y = p[field];
          if (t === null || typeof y !== "number") continue;
          pts.push({ x: t, y: y, since: p.since });
        }
        if (!pts.length) continue;
        pts.push({ x: Math.max(last, pts[pts.length - 1].x), y: pts[pts.length - 1].y, since: "now" });
        datasets.push({
          label: String(s.label) + " (" + field + ")",
          data: pts,
          stepped: "before",
          borderColor: colour,
          backgroundColor: colour,
          borderDash: dash,
          pointRadius: pts.map(function (_, i) { return i === pts.length - 1 ? 0 : 3; }),
          borderWidth: 2,
        });
      }
    });
    const c = colours();
    new window.Chart(canvasIn(figure), {
      type: "line",
      data: { datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        scales: {
          x: { type: "linear", min: first - lead, max: last, ticks: { color: c.text, maxTicksLimit: 6, callback: function (v) { return iso(v); } }, grid: { color: c.grid } },
          y: { beginAtZero: true, title: { display: true, text: "USD per 1M tokens", color: c.text }, ticks: { color: c.text }, grid: { color: c.grid } },
        },
        plugins: {
          legend: { position: "bottom", labels: { color: c.text, boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                const p = ctx.raw;
                const when = p.since == null ? "before the first dated change" : p.since === "now" ? "still in force" : "since " + p.since;
                return ctx.dataset.label + ": " + money(p.y) + " (" + when + ")";
              },
            },
          },
        },
      },
    });
  }

  function sameSite(href) {
    return typeof href === "string" && !/^[a-z][a-z0-9+.-]*:/i.test(href) && !href.startsWith("//");
  }

  function scoresChart(figure, data) {
    const points = (Array.isArray(data.points) ? data.points : []).filter(function (p) {
      return typeof p.x === "number" && p.x > 0 && typeof p.y === "number";
    });
    if (!points.length) return;
    const c = colours();
    new window.Chart(canvasIn(figure), {
      type: "scatter",
      data: { datasets: [{ label: String(data.benchmark), data: points, backgroundColor: PALETTE[0], pointRadius: 4 }] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        onClick: function (_, elements) {
          if (!elements.length) return;
          const p = points[elements[0].index];
          if (sameSite(p.href)) window.location.href = p.href;
        },
        scales: {
          x: { type: "logarithmic", title: { display: true, text: "Cheapest paid input, USD per 1M tokens", color: c.text }, ticks: { color: c.text }, grid: { color: c.grid } },
          y: { title: { display: true, text: "Score", color: c.text }, ticks: { color: c.text }, grid: { color: c.grid } },
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) { return String(ctx.raw.label) + ": " + ctx.raw.y + " at " + money(ctx.raw.x); } } },
        },
      },
    });
  }

  document.querySelectorAll("[data-knollm-history]").forEach(function (f) { const d = readData(f); if (d) historyChart(f, d); });
  document.querySelectorAll("[data-knollm-scores]").forEach(function (f) { const d = readData(f); if (d) scoresChart(f, d); });
})();
