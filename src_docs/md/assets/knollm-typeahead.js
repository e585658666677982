/* Knollm type-ahead: model and provider names that open their pages.
 *
 * Reads the explorer payload (data/explorer.json, the file the explorer already loads and the
 * browser caches), only when someone starts typing. Used in three places:
 * - [data-knollm-typeahead] elements (home page, 404 page) get a combobox of their own;
 * - Material's header search box shows the best model and provider matches above its own
 *   results, and Enter opens the first of them;
 * - [data-knollm-headline] elements (home page) list the most widely hosted models.
 * Every data string reaches the page through textContent or element properties. */
(function () {
  "use strict";
  const LIMIT = 8;

  function siteRoot() {
    const config = document.getElementById("__config");
    let base = ".";
    try { base = JSON.parse(config.textContent).base || "."; } catch (error) { /* no config: here */ }
    return new URL(base.replace(/\/?$/, "/"), location.href).href;
  }

  /* Lower case, words of letters, digits and dots between digits: "Llama-3.3-70B" -> "llama 3.3 70b". */
  function words(text) {
    return String(text).toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .replace(/(\d)\.(?=\d)/g, "$1\u0000").replace(/[^a-z0-9\u0000]+/g, " ").replace(/\u0000/g, ".").trim();
  }
  function squash(text) {
    return String(text).toLowerCase().replace(/[^a-z0-9]+/g, "");
  }

  let entries = null;
  let loading = null;
  function load() {
    if (!loading) {
      const data = fetch(siteRoot() + "data/explorer.json", { cache: "default" })
        .then((response) => {
          if (!response.ok) throw new Error("catalog data: HTTP " + response.status);
          return response.json();
        });
      /* The payload's decoding lives in the explorer's data layer: loaded here on first use. */
      /* A split payload (knollm_build/explorer.py explorer_files): its second part too. */
      const whole = data.then((raw) => (raw.more
        ? fetch(siteRoot() + "data/" + raw.more.url, { cache: "default" }).then((response) => {
          if (!response.ok) throw new Error("catalog data: HTTP " + response.status);
          return response.json();
        }).then((more) => [raw, more])
        : [raw, null]));
      loading = Promise.all([whole, decoder()])
        .then(([[raw, more], decode]) => {
          entries = index(more ? window.Knollm.merge(raw, more) : decode(raw));
          return entries;
        });
    }
    return loading;
  }

  function decoder() {
    if (window.Knollm && window.Knollm.decode) return Promise.resolve(window.Knollm.decode);
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = siteRoot() + "assets/explorer/knollm-data.js";
      script.onload = () => (window.Knollm ? resolve(window.Knollm.decode) : reject(new Error("catalog decoder missing")));
      script.onerror = () => reject(new Error("could not load the catalog decoder"));
      document.head.appendChild(script);
    });
  }

  /* One entry per model and per provider: its name, words, link and weight (hosts or offerings). */
  function index(raw) {
    const root = siteRoot();
    const out = [];
    const perProvider = new Array(raw.providers.id.length).fill(0);
    for (const p of raw.offerings.p) perProvider[p]++;
    raw.providers.id.forEach((id, p) => {
      const name = raw.providers.name[p];
      out.push(entry("provider", name, id, root + "providers/" + (raw.providers.path[p] || id) + "/", perProvider[p],
        perProvider[p] + " offering" + (perProvider[p] === 1 ? "" : "s")));
    });
    raw.models.id.forEach((id, j) => {
      const name = raw.models.name[j];
      /* Ranked by direct hosts (routers and resellers pass requests on: they come second). */
      const direct = raw.models.direct[j] || 0;
      out.push(entry("model", name, id, root + "models/" + (raw.models.path[j] || id) + "/", direct + (raw.models.hosts[j] || 0) / 1e4,
        hostsText(direct, raw.models.routed[j] || 0)));
    });
    out.models = raw.models;
    out.root = root;
    return out;
  }
  /* "3 direct hosts · 2 via routers", as the model pages say it (knollm_build/hosts.py). */
  function hostsText(direct, routed) {
    return direct + " direct host" + (direct === 1 ? "" : "s") + (routed ? " · " + routed + " via routers" : "");
  }
  function entry(kind, name, id, href, weight, detail) {
    const nameWords = words(name);
    const text = " " + nameWords + " " + words(id) + " " + squash(name) + " " + squash(id) + " ";
    return { kind: kind, name: name, id: id, href: href, weight: weight, detail: detail,
      exact: new Set([nameWords, words(id), squash(name), squash(id)]), starts: nameWords, text: text };
  }

  /* Every typed word must start a word of the entry. Exact names first, then names that start
   * with the query, then the rest; within each, providers before models, then the most hosted. */
  function search(query) {
    const q = words(query);
    if (!q || !entries) return [];
    const terms = q.split(" ");
    const joined = squash(query);
    const found = [];
    for (const e of entries) {
      if (!terms.every((t) => e.text.includes(" " + t))) continue;
      const tier = e.exact.has(q) || e.exact.has(joined) ? 0 : e.starts.startsWith(q) ? 1 : 2;
      found.push([tier, e]);
    }
    found.sort((a, b) => a[0] - b[0] || (a[0] < 2 && a[1].kind !== b[1].kind ? (a[1].kind === "provider" ? -1 : 1) : 0) ||
      b[1].weight - a[1].weight || a[1].name.length - b[1].name.length);
    return found.slice(0, LIMIT).map((f) => f[1]);
  }

  function h(tag, props, children) {
    const node = document.createElement(tag);
    for (const k in props || {}) {
      if (k === "className") node.className = props[k];
      else node.setAttribute(k, props[k]);
    }
    for (const child of [].concat(children || [])) {
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function optionNode(e, id) {
    return h("li", { role: "option", id: id, className: "knollm-ta-option", "aria-selected": "false" },
      h("a", { href: e.href, tabindex: "-1" }, [h("span", { className: "knollm-ta-name" }, e.name),
        h("span", { className: "knollm-ta-detail" }, " " + e.kind + " · " + e.detail)]));
  }

  /* ---- a combobox of our own (home, 404) ----------------------------------------------------- */
  let counter = 0;
  function combobox(host) {
    const n = ++counter;
    const listId = "knollm-ta-list-" + n;
    const input = h("input", {
      type: "search", className: "knollm-search knollm-ta-input", role: "combobox", "aria-expanded": "false",
      "aria-controls": listId, "aria-autocomplete": "list", autocomplete: "off",
      "aria-label": host.getAttribute("data-label") || "Find a model or provider",
      placeholder: host.getAttribute("data-placeholder") || "Find a model or provider — e.g. llama 3.3 70b, together",
    });
    const list = h("ul", { role: "listbox", id: listId, className: "knollm-ta-list", hidden: "" });
    const status = h("p", { className: "knollm-sr", role: "status" });
    host.replaceChildren(input, list, status);
    let results = [];
    let active = -1;
    function show() {
      results = search(input.value);
      active = results.length ? 0 : -1;
      list.replaceChildren(...results.map((e, k) => optionNode(e, listId + "-" + k)));
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", String(results.length > 0));
      status.textContent = input.value.trim() ? results.length + " match" + (results.length === 1 ? "" : "es") : "";
      mark();
    }
    function mark() {
      Array.prototype.forEach.call(list.children, (li, k) => li.setAttribute("aria-selected", String(k === active)));
      if (active >= 0) input.setAttribute("aria-activedescendant", listId + "-" + active);
      else input.removeAttribute("aria-activedescendant");
    }
    input.addEventListener("input", () => {
      if (entries) show();
      else load().then(show, (error) => { status.textContent = "Search is unavailable: " + error.message; });
    });
    input.addEventListener("focus", () => { load().catch(() => {}); });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!results.length) return;
        event.preventDefault();
        active = (active + (event.key === "ArrowDown" ? 1 : results.length - 1)) % results.length;
        mark();
      } else if (event.key === "Enter") {
        if (active >= 0 && results[active]) {
          event.preventDefault();
          location.href = results[active].href;
        }
      } else if (event.key === "Escape") {
        list.hidden = true;
        input.setAttribute("aria-expanded", "false");
      }
    });
  }

  /* ---- Material's header search -------------------------------------------------------------- */
  function header() {
    const input = document.querySelector(".md-search__input");
    const output = document.querySelector(".md-search__output .md-search__scrollwrap") || document.querySelector(".md-search__output");
    if (!input || !output || input.dataset.knollmTypeahead) return;
    input.dataset.knollmTypeahead = "1";
    const box = h("div", { className: "knollm-ta-header", hidden: "" },
      [h("p", { className: "knollm-ta-heading" }, "Models and providers"), h("ul", { className: "knollm-ta-list" })]);
    output.insertBefore(box, output.firstChild);
    let results = [];
    function show() {
      results = search(input.value);
      box.lastChild.replaceChildren(...results.slice(0, 5).map((e, k) => optionNode(e, "knollm-ta-header-" + k)));
      box.lastChild.querySelectorAll("a").forEach((a) => a.removeAttribute("tabindex"));
      box.hidden = results.length === 0;
    }
    input.addEventListener("focus", () => { load().catch(() => {}); });
    input.addEventListener("input", () => { if (entries) show(); else load().then(show, () => {}); });
    /* Enter on a name we know opens its page (capture: before Material handles the key). */
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      if (entries) show();
      if (results.length) {
        event.preventDefault();
        event.stopImmediatePropagation();
        location.href = results[0].href;
      }
    }, true);
  }

  /* ---- headline models (home) ---------------------------------------------------------------- */
  function headline(host) {
    load().then((all) => {
      const m = all.models;
      const order = m.id.map((id, j) => j).sort((a, b) => m.direct[b] - m.direct[a] || m.routed[b] - m.routed[a] || m.name[a].localeCompare(m.name[b]));
      const top = order.slice(0, Number(host.getAttribute("data-count") || 10));
      host.replaceChildren(h("ol", { className: "knollm-headline-list" }, top.map((j) => h("li", null, [
        h("a", { href: all.root + "models/" + (m.path[j] || m.id[j]) + "/" }, m.name[j]),
        h("span", { className: "knollm-ta-detail" }, " · " + hostsText(m.direct[j], m.routed[j]) + " · "),
        h("a", { href: all.root + "explorer/?model=" + encodeURIComponent(m.id[j]) + "&sort=in&dir=asc" }, "cheapest host"),
      ]))));
      host.setAttribute("data-state", "ready");
    }, () => host.setAttribute("data-state", "error"));
  }

  function init() {
    document.querySelectorAll("[data-knollm-typeahead]").forEach(combobox);
    document.querySelectorAll("[data-knollm-headline]").forEach(headline);
    header();
  }
  window.KnollmTypeahead = { search: search, load: load, words: words };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
