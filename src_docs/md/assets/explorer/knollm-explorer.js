/* Knollm explorer and pricing calculator (the pages /explorer/ and /calculator/).
 * Plain JavaScript over window.Knollm (knollm-data.js) and uFuzzy. All data strings reach the
 * page through text nodes or element properties, never through HTML parsing. */
(function () {
  "use strict";
  const K = window.Knollm;
  const root = document.querySelector("[data-knollm-app]");
  if (!root || !K) return;
  const APP = root.getAttribute("data-knollm-app");
  const SITE = root.getAttribute("data-site-root") || "../";
  const PAGE_SIZE = 50;
  const COMPARE_LIMIT = 6;
  const CONTEXT_STEPS = [0, 8e3, 16e3, 32e3, 64e3, 128e3, 200e3, 1e6];
  const CAPABILITY_FILTERS = [
    ["tools", "Tools"], ["structured_output", "Structured output"], ["reasoning", "Reasoning"],
    ["vision", "Vision"], ["caching", "Caching"], ["open_weights", "Open weights"],
    ["json_mode", "JSON mode"], ["web_search", "Web search"],
  ];
  const PRESETS = {
    chatbot: { label: "Chatbot", input: 2000, output: 400, cached: 0.5, requests: 10000, per: "day", batch: false, mode: "chat" },
    rag: { label: "RAG over long documents", input: 30000, output: 500, cached: 0.2, requests: 2000, per: "day", batch: false, mode: "chat" },
    summarise: { label: "Batch summarisation", input: 8000, output: 600, cached: 0, requests: 100000, per: "month", batch: true, mode: "chat" },
    agent: { label: "Coding agent", input: 60000, output: 2000, cached: 0.8, requests: 1000, per: "day", batch: false, mode: "chat" },
    embeddings: { label: "Embeddings", input: 500, output: 0, cached: 0, requests: 1000000, per: "month", batch: false, mode: "embedding" },
  };
  /* Cache share 0 unless asked: a share nobody typed would understate most bills. Monthly totals
   * (entry=month) are kept as typed ("10M"): the request size is the total over the requests. */
  const WORKLOAD_DEFAULTS = {
    input: 2000, output: 400, cached: 0, requests: 10000, per: "day", batch: false, preset: "",
    entry: "request", month_input_tokens: "10M", month_output_tokens: "2M",
  };
  /* The models people mean (the explorer's default view): a model with 2+ direct hosts, or one
   * its own lab serves (a first-party provider). One-host community fine-tunes are the rest. */
  const MIN_DIRECT_HOSTS = 2;
  /* Serving-variant tags that name a quantisation (fp8, bf16, int4, awq, 6bit, ...). */
  const QUANTISED = /^(fp\d+|bf16|int\d+|nvfp4|mxfp4|awq|gptq|gguf|q\d.*|\d+bit|fp8-.*|w\d+a\d+)$/i;
  /* Why the calculator leaves an offering out by default (bits of leftOut). */
  const LEFT_OUT = [
    ["fit", "cannot hold the request (context or max output)"],
    ["basis", "not priced per token"],
    ["unlisted", "unlisted (only a price table names the id)"],
    ["flagged", "price flagged as doubtful"],
  ];
  const DEFAULTS = Object.assign({}, K.FILTER_DEFAULTS, WORKLOAD_DEFAULTS, {
    /* ?model=<canonical id>: that model only (the links from model pages); ?models=a,b: those
     * models, in one table (the calculator's picker); ?all=1: what the calculator leaves out too. */
    model: "", models: "", all: "",
    /* Explorer filters (issue 15 item 4): host=direct|routed, variant=plain|quantised|free; and
     * what the default view leaves out: longtail=1 adds one-host models, unlisted=1 unlisted ids. */
    host: "", variant: "", longtail: "", unlisted: "",
    view: "offerings", sort: "", dir: "", page: 1, hide: ["cr", "mode"], compare: [], selected: "",
    /* The calculator is for paying workloads: free tiers (price 0) are hidden unless asked for. */
    paid: APP === "calculator",
    /* ?as_of=YYYY-MM-DD: prices from the price ledger (/data/history.json) in force that day. */
    as_of: "",
    /* ?tier=priority|flex|fast|off_peak: that service tier's prices; ?regional=1: through a
     * regional endpoint (the stated uplift). Both priced from the ledger (Knollm.asOf). */
    tier: "", regional: "",
  });

  /* ---- tiny DOM helper: strings always become text nodes ----------------------------------- */
  /* Set as DOM properties (live state); everything else is an attribute. */
  const PROPERTIES = new Set(["className", "value", "checked", "selected", "disabled", "hidden", "open", "inputMode"]);
  function h(tag, props) {
    const node = document.createElement(tag);
    if (props) for (const k in props) {
      const v = props[k];
      if (v == null || v === false) continue;
      if (k === "className") node.className = v;
      else if (k === "checked") node.checked = node.defaultChecked = true; // the attribute too: patch compares it
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (PROPERTIES.has(k)) node[k] = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (let a = 2; a < arguments.length; a++) add(node, arguments[a]);
    return node;
  }
  /* Children: nodes, arrays of them, or strings — which become text nodes, never markup. */
  function add(node, child) {
    if (child == null || child === false) return;
    if (Array.isArray(child)) for (const c of child) add(node, c);
    else node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  /* Re-rendering patches what is on the page into what was just built, as replaceChildren would
   * leave it, but keeps every node that is already right: an element of the same tag is reused
   * (its attributes set, its children patched in turn), a changed text is rewritten in place.
   * A keystroke then restyles and re-lays out only the cells whose content changed, not the
   * whole table; focus stays on a control that is kept. Form controls are replaced unless equal
   * (their live state is not an attribute), and a kept one takes the new one's checked state. */
  const REPLACED = new Set(["INPUT", "SELECT", "TEXTAREA", "OPTION"]);
  /* What Material's focus-visible polyfill marks the focused control with: a kept control keeps
   * its focus ring. */
  const FOCUS_MARK = "data-focus-visible-added";
  function patch(parent) {
    const want = [];
    for (let a = 1; a < arguments.length; a++) collect(want, arguments[a]);
    reconcile(parent, want);
  }
  function collect(out, child) {
    if (child == null || child === false) return;
    if (Array.isArray(child)) for (const c of child) collect(out, c);
    else out.push(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  function reconcile(parent, want) {
    const have = parent.childNodes;
    for (let k = 0; k < want.length; k++) {
      const cur = have[k], next = want[k];
      if (!cur) { parent.appendChild(next); continue; }
      if (cur.isEqualNode(next)) {
        if (next.nodeType === 1) syncChecked(cur, next);
        continue;
      }
      if (cur.nodeType === 3 && next.nodeType === 3) { cur.nodeValue = next.nodeValue; continue; }
      if (cur.nodeType === 1 && next.nodeType === 1 && cur.tagName === next.tagName && !REPLACED.has(cur.tagName)) {
        patchNode(cur, next);
        continue;
      }
      parent.replaceChild(next, cur);
    }
    while (have.length > want.length) parent.removeChild(parent.lastChild);
  }
  /* Element `cur` made equal to `next` (same tag): its attributes, then its children. */
  function patchNode(cur, next) {
    if (cur.isEqualNode(next)) { syncChecked(cur, next); return; }
    const attrs = cur.attributes;
    for (let n = attrs.length - 1; n >= 0; n--) {
      const name = attrs[n].name;
      if (!next.hasAttribute(name) && name !== FOCUS_MARK) cur.removeAttribute(name);
    }
    for (const attr of next.attributes) {
      if (cur.getAttribute(attr.name) === attr.value) continue;
      if (attr.name === "class" && cur.classList.contains("focus-visible")) {
        cur.className = attr.value;
        cur.classList.add("focus-visible");
      } else cur.setAttribute(attr.name, attr.value);
    }
    reconcile(cur, Array.from(next.childNodes));
  }
  function syncChecked(cur, next) {
    if (cur.tagName === "INPUT") { cur.checked = next.checked; return; }
    const boxes = next.getElementsByTagName("input");
    if (!boxes.length) return;
    const mine = cur.getElementsByTagName("input");
    for (let n = 0; n < boxes.length; n++) mine[n].checked = boxes[n].checked;
  }
  function option(value, label, selected) {
    return h("option", { value: value, selected: selected }, label);
  }

  let catalog = null;
  /* Today's catalog; `catalog` is it, or its view priced as of state.as_of (Knollm.asOf). */
  let base = null;
  let searcher = null;
  let state = K.readState(DEFAULTS);
  const ui = {};
  const sortCache = new Map();
  let costs = null;
  let costsFor = "";

  /* ---- columns ------------------------------------------------------------------------------ */
  const OFFERING_COLUMNS = [
    { key: "model", label: "Model", sort: "name" },
    { key: "provider", label: "Provider", sort: "provider" },
    { key: "api", label: "API id" },
    { key: "mode", label: "Mode" },
    { key: "in", label: "Input $/1M", sort: "in", num: true },
    { key: "out", label: "Output $/1M", sort: "out", num: true },
    { key: "blend", label: "Blended $/1M", sort: "blend", num: true, title: "3 parts input to 1 part output" },
    { key: "cr", label: "Cache read $/1M", sort: "cr", num: true },
    { key: "ctx", label: "Context", sort: "ctx", num: true },
    { key: "mo", label: "Max output", sort: "mo", num: true },
    { key: "released", label: "Released", sort: "released" },
    { key: "hosts", label: "Hosts", sort: "hosts", num: true, title: "Direct hosts, then (+N) routers and resellers that pass requests on" },
    { key: "caps", label: "Capabilities" },
  ];
  const MODEL_COLUMNS = [
    { key: "model", label: "Model", sort: "name" },
    { key: "creator", label: "Creator" },
    { key: "in", label: "Cheapest input $/1M", sort: "in", num: true },
    { key: "out", label: "Cheapest output $/1M", sort: "out", num: true },
    { key: "blend", label: "Cheapest blended $/1M", sort: "blend", num: true },
    { key: "ctx", label: "Context", sort: "ctx", num: true },
    { key: "mo", label: "Max output", sort: "mo", num: true },
    { key: "released", label: "Released", sort: "released" },
    { key: "hosts", label: "Hosts", sort: "hosts", num: true, title: "Direct hosts, then (+N) routers and resellers that pass requests on" },
    { key: "hostlist", label: "Served by" },
  ];
  const CALC_COLUMNS = [
    { key: "model", label: "Model", sort: "name" },
    { key: "provider", label: "Provider", sort: "provider" },
    { key: "monthly", label: "Monthly cost", sort: "cost", num: true },
    { key: "request", label: "Per request", sort: "cost", num: true },
    { key: "in", label: "Input $/1M", sort: "in", num: true },
    { key: "out", label: "Output $/1M", sort: "out", num: true },
    { key: "cr", label: "Cache read $/1M", sort: "cr", num: true },
    { key: "ctx", label: "Context", sort: "ctx", num: true },
    { key: "notes", label: "Notes" },
  ];
  const ASCENDING_FIRST = new Set(["in", "out", "blend", "cr", "cost", "name", "provider"]);

  function defaultSort() {
    if (APP === "calculator") return "cost";
    return state.q ? "relevance" : "hosts";
  }
  function currentSort() {
    const key = state.sort || defaultSort();
    const dir = state.dir || (ASCENDING_FIRST.has(key) ? "asc" : "desc");
    return { key: key, dir: dir };
  }

  /* Sort value of offering i (NaN = unknown, always sorted last). */
  function sortValue(key) {
    const c = catalog;
    switch (key) {
      case "in": case "out": case "blend": case "cr": case "ctx": case "mo": return (i) => c[key][i];
      case "released": return (i) => c.releasedTime[c.m[i]];
      case "hosts": return (i) => c.models.direct[c.m[i]] + c.models.routed[c.m[i]] / 1e4;
      case "cost": return (i) => costs[i];
      default: return null;
    }
  }
  function textValue(key) {
    const c = catalog;
    if (key === "name") {
      const names = c.models.name.map((s) => s.toLowerCase());
      return (i) => names[c.m[i]];
    }
    const names = c.providers.name.map((s) => s.toLowerCase());
    return (i) => names[c.p[i]];
  }

  const PRICE_SORTS = new Set(["in", "out", "blend", "cr"]);
  let groupCache = null;
  function displayGroups() {
    if (!groupCache || groupCache.length !== catalog.n) {
      groupCache = new Uint8Array(catalog.n);
      for (let i = 0; i < catalog.n; i++) groupCache[i] = K.displayGroup(catalog, i);
    }
    return groupCache;
  }

  /* All offerings in sort order, unknown values last; cached per key and direction. */
  function sortedOrder(key, dir) {
    const id = key + ":" + dir + (key === "cost" ? ":" + costsFor : "");
    let order = sortCache.get(id);
    if (order) return order;
    const n = catalog.n;
    const sign = dir === "asc" ? 1 : -1;
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    const num = sortValue(key);
    if (num) {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = num(i);
      /* By a price, what a cost ranking takes comes first, either way: then $0 tiers and plans,
       * then prices in doubt or not per token, then unlisted ids (Knollm.displayGroup, the
       * client's display_order), so "cheapest first" opens on what the offering costs; unknown
       * prices stay last. */
      const group = PRICE_SORTS.has(key) ? displayGroups() : null;
      all.sort((a, b) => {
        const x = values[a], y = values[b];
        if (x !== x) return y !== y ? a - b : 1;
        if (y !== y) return -1;
        if (group && group[a] !== group[b]) return group[a] - group[b];
        return (x - y) * sign || a - b;
      });
    } else {
      const text = textValue(key);
      const values = Array.from(all, text);
      all.sort((a, b) => (values[a] < values[b] ? -sign : values[a] > values[b] ? sign : a - b));
    }
    if (key === "cost") for (const k of sortCache.keys()) if (k.startsWith("cost:")) sortCache.delete(k);
    sortCache.set(id, all);
    return all;
  }

  /* ---- costs (calculator, compare) --------------------------------------------------------- */
  /* The workload per request. With monthly totals (entry=month) a request is the month's tokens
   * over the month's requests, so the cost rule (Knollm.cost) and its tiers apply unchanged. */
  function workload() {
    const w = { input: state.input, output: state.output, cached: state.cached, requests: state.requests, per: state.per, batch: state.batch };
    if (state.entry === "month") {
      const monthly = Math.max(1, K.monthlyRequests(w));
      const tokensIn = K.parseQuantity(state.month_input_tokens), tokensOut = K.parseQuantity(state.month_output_tokens);
      w.input = isNaN(tokensIn) ? 0 : tokensIn / monthly;
      w.output = isNaN(tokensOut) ? 0 : tokensOut / monthly;
    }
    return w;
  }
  function pickedModels() {
    return state.models ? state.models.split(",").filter(Boolean) : [];
  }

  /* ---- what the calculator leaves out, and why (bits over LEFT_OUT) ------------------------- */
  let leftOut = null;
  let leftOutFor = "";
  function leftOutMask() {
    const w = workload();
    const id = w.input + ":" + w.output;
    if (leftOut && leftOutFor === id) return leftOut;
    const c = catalog;
    const need = w.input + w.output;
    leftOut = leftOut && leftOut.length === c.n ? leftOut : new Uint8Array(c.n);
    for (let i = 0; i < c.n; i++) {
      let bits = 0;
      if (c.ctx[i] < need || c.mo[i] < w.output) bits |= 1; // NaN (unknown) never leaves one out
      /* the ranking rule's inputs (knollm-data.js, shared with the client): one definition */
      if (!c.tokenPriced[i]) bits |= 2;
      if (!c.listed[i]) bits |= 4;
      if (c.priceFlagged[i]) bits |= 8;
      leftOut[i] = bits;
    }
    leftOutFor = id;
    return leftOut;
  }
  function leftOutText(bits) {
    return LEFT_OUT.filter((entry, k) => bits & (1 << k)).map((entry) => entry[1]).join("; ");
  }
  function ensureCosts() {
    const w = workload();
    const id = JSON.stringify(w);
    if (costs && costsFor === id) return;
    costs = costs || new Float64Array(catalog.n);
    for (let i = 0; i < catalog.n; i++) costs[i] = K.cost(catalog, i, w).monthly;
    costsFor = id;
  }

  /* ---- the query: search + filters + sort -> rows --------------------------------------------- */
  let matchedMask = null;
  let keepMask = null;
  let keepFor = "";
  /* The filters' verdict for every offering, computed once per filter state (typing a query
   * doesn't change it), as a predicate that is one byte read. */
  function filterMask() {
    const id = JSON.stringify([state.provider, state.creator, state.family, state.mode, state.inMod, state.outMod,
      state.caps, state.minCtx, state.maxIn, state.maxOut, state.deprecated, state.paid, state.model, state.models, state.host, state.variant]);
    if (id !== keepFor || !keepMask) {
      /* Deprecated offerings are still callable: shown (with their date); retired ones are hidden
       * unless "Show retired" (the old deprecated=1) is on. */
      const base = K.makeFilter(catalog, Object.assign({}, state, { deprecated: true }));
      const retired = catalog.statuses.indexOf("retired");
      const wanted = new Set(pickedModels().concat(state.model ? [state.model] : []).map((id) => catalog.modelIndex.get(id)));
      const st = catalog.st, m = catalog.m, p = catalog.p, showRetired = state.deprecated;
      const direct = catalog.direct, variant = catalog.variant, kinds = variantKinds();
      const host = state.host === "direct" ? 1 : state.host === "routed" ? 0 : -1;
      const wantVariant = state.variant === "plain" ? 0 : state.variant === "quantised" ? 1 : state.variant === "free" ? 2 : -1;
      const test = (i) => (showRetired || st[i] !== retired) && (!wanted.size || wanted.has(m[i])) &&
        (host < 0 || direct[p[i]] === host) &&
        (wantVariant < 0 || (wantVariant === 0 ? variant[i] < 0 || kinds[variant[i]] === 0 : variant[i] >= 0 && (kinds[variant[i]] & wantVariant) !== 0)) &&
        base(i);
      keepMask = keepMask && keepMask.length === catalog.n ? keepMask : new Uint8Array(catalog.n);
      for (let i = 0; i < catalog.n; i++) keepMask[i] = test(i) ? 1 : 0;
      keepFor = id;
    }
    const mask = keepMask;
    return (i) => mask[i] === 1;
  }
  /* Per variant set: bit 1 quantised, bit 2 free (0: neither, a plain serving of the weights). */
  let variantKindCache = null;
  function variantKinds() {
    if (!variantKindCache) {
      variantKindCache = catalog.variantSets.map((tags) =>
        (tags.some((t) => QUANTISED.test(t)) ? 1 : 0) | (tags.includes("free") ? 2 : 0));
    }
    return variantKindCache;
  }
  /* Per model: 1 when it is one of the models people mean (see MIN_DIRECT_HOSTS). */
  let mainstreamCache = null;
  function mainstream() {
    if (!mainstreamCache) {
      const c = catalog;
      const out = Uint8Array.from(c.models.direct, (n) => (n >= MIN_DIRECT_HOSTS ? 1 : 0));
      const firstParty = c.providers.kind.map((k) => k === "first_party");
      const retired = c.statuses.indexOf("retired");
      for (let i = 0; i < c.n; i++) if (firstParty[c.p[i]] && c.listed[i] && c.st[i] !== retired) out[c.m[i]] = 1;
      mainstreamCache = out;
    }
    return mainstreamCache;
  }
  /* What the explorer's default view leaves out (bits over HIDDEN), unless asked: offerings of
   * one-host models (not when a provider or model is asked for by name) and unlisted offerings. */
  const HIDDEN = [["longtail", "of one-host models"], ["unlisted", "unlisted"]];
  let hiddenMask = null;
  let hiddenFor = "";
  function hiddenBits() {
    const c = catalog;
    const longtail = !state.longtail && !state.provider && !state.model && !state.models;
    const unlisted = !state.unlisted;
    const id = longtail + ":" + unlisted;
    if (!hiddenMask || hiddenFor !== id) {
      const main = mainstream();
      hiddenMask = hiddenMask || new Uint8Array(c.n);
      for (let i = 0; i < c.n; i++) hiddenMask[i] = (longtail && !main[c.m[i]] ? 1 : 0) | (unlisted && !c.listed[i] ? 2 : 0);
      hiddenFor = id;
    }
    return hiddenMask;
  }

  /* What the calculator left out of the last query: per reason and in all. */
  let excluded = { total: 0, reasons: [0, 0, 0, 0] };
  function query() {
    const c = catalog;
    const found = searcher.search(state.q);
    const filtered = filterMask();
    let keep = filtered;
    excluded = { total: 0, reasons: [0, 0, 0, 0] };
    if (APP === "explorer") {
      const hidden = hiddenBits();
      const tally = excluded;
      const stamp = new Uint8Array(c.models.id.length);
      tally.models = 0;
      keep = (i) => {
        if (!filtered(i)) return false;
        const bits = hidden[i];
        if (!bits) return true;
        tally.total++;
        if (bits & 1) {
          tally.reasons[0]++;
          if (!stamp[c.m[i]]) { stamp[c.m[i]] = 1; tally.models++; }
        }
        if (bits & 2) tally.reasons[1]++;
        return false;
      };
    }
    if (APP === "calculator" && !state.all) {
      const lo = leftOutMask();
      const tally = excluded;
      keep = (i) => {
        if (!filtered(i)) return false;
        const bits = lo[i];
        if (!bits) return true;
        tally.total++;
        for (let k = 0; k < 4; k++) if (bits & (1 << k)) tally.reasons[k]++;
        return false;
      };
    }
    const sort = currentSort();
    let rows = [];
    if (found && (found.ranked || (sort.key !== "relevance" && found.idxs.length < 2000))) {
      rows = found.idxs.filter(keep);
      if (sort.key !== "relevance") rows = sortList(rows, sort);
    } else {
      /* Too many matches to rank one by one: the most widely hosted models first. */
      if (sort.key === "relevance") Object.assign(sort, { key: "hosts", dir: "desc" });
      const order = sortedOrder(sort.key, sort.dir);
      if (found) {
        if (!matchedMask || matchedMask.length !== c.n) matchedMask = new Uint8Array(c.n);
        else matchedMask.fill(0);
        for (const i of found.idxs) matchedMask[i] = 1;
        for (let k = 0; k < order.length; k++) {
          const i = order[k];
          if (matchedMask[i] && keep(i)) rows.push(i);
        }
      } else {
        for (let k = 0; k < order.length; k++) if (keep(order[k])) rows.push(order[k]);
      }
    }
    return rows;
  }
  function sortList(rows, sort) {
    const order = sortedOrder(sort.key, sort.dir);
    if (rows.length > 20000) return rows; // unreachable: large sets go through the cached order
    const rank = new Map();
    const wanted = new Set(rows);
    let r = 0;
    for (let k = 0; k < order.length && rank.size < wanted.size; k++) if (wanted.has(order[k])) rank.set(order[k], r++);
    return rows.sort((a, b) => rank.get(a) - rank.get(b));
  }

  /* One row per model: its offerings that passed search and filters, folded into per-model
   * minimum prices and maximum limits. Typed arrays indexed by model, reset by a generation
   * stamp, keep this one pass without allocating per model, at any catalog size. */
  let fold = null;
  let foldGeneration = 0;
  const FOLD_MIN = ["in", "out", "blend"];
  const FOLD_MAX = ["ctx", "mo"];
  function foldModels(rows) {
    const c = catalog;
    const count = c.models.id.length;
    if (!fold || fold.stamp.length !== count) {
      fold = { stamp: new Int32Array(count), cheapest: new Int32Array(count), group: new Uint8Array(count) };
      for (const key of FOLD_MIN.concat(FOLD_MAX)) fold[key] = new Float64Array(count);
    }
    const generation = ++foldGeneration;
    const order = [];
    const stamp = fold.stamp, cheapest = fold.cheapest, model = c.m, fgroup = fold.group, groups = displayGroups();
    const fin = fold.in, fout = fold.out, fblend = fold.blend, fctx = fold.ctx, fmo = fold.mo;
    const cin = c.in, cout = c.out, cblend = c.blend, cctx = c.ctx, cmo = c.mo;
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      const j = model[i];
      const first = stamp[j] !== generation;
      if (first) { stamp[j] = generation; order.push(j); }
      /* A model's cheapest prices come from its offerings of the best display group (what a cost
       * ranking takes, before $0 tiers, doubtful prices and unlisted ids); limits from all. */
      if (first || groups[i] < fgroup[j]) {
        if (first) { fctx[j] = cctx[i]; fmo[j] = cmo[i]; } else {
          if (cctx[i] > fctx[j] || fctx[j] !== fctx[j]) fctx[j] = cctx[i] === cctx[i] ? cctx[i] : fctx[j];
          if (cmo[i] > fmo[j] || fmo[j] !== fmo[j]) fmo[j] = cmo[i] === cmo[i] ? cmo[i] : fmo[j];
        }
        fgroup[j] = groups[i];
        fin[j] = cin[i]; fout[j] = cout[i]; fblend[j] = cblend[i];
        cheapest[j] = cin[i] === cin[i] ? i : -1;
        continue;
      }
      if (groups[i] > fgroup[j]) {
        if (cctx[i] > fctx[j] || fctx[j] !== fctx[j]) fctx[j] = cctx[i] === cctx[i] ? cctx[i] : fctx[j];
        if (cmo[i] > fmo[j] || fmo[j] !== fmo[j]) fmo[j] = cmo[i] === cmo[i] ? cmo[i] : fmo[j];
        continue;
      }
      /* NaN (unknown) never wins a comparison and is replaced by any known value. */
      if (cin[i] < fin[j] || (fin[j] !== fin[j] && cin[i] === cin[i])) { fin[j] = cin[i]; cheapest[j] = i; }
      if (cout[i] < fout[j] || fout[j] !== fout[j]) fout[j] = cout[i] === cout[i] ? cout[i] : fout[j];
      if (cblend[i] < fblend[j] || fblend[j] !== fblend[j]) fblend[j] = cblend[i] === cblend[i] ? cblend[i] : fblend[j];
      if (cctx[i] > fctx[j] || fctx[j] !== fctx[j]) fctx[j] = cctx[i] === cctx[i] ? cctx[i] : fctx[j];
      if (cmo[i] > fmo[j] || fmo[j] !== fmo[j]) fmo[j] = cmo[i] === cmo[i] ? cmo[i] : fmo[j];
    }
    /* Rows arrive in the sort order, so a model's first row already places it when the sort is by
     * a model-level value or runs towards the value the model shows (its minimum price, its
     * largest context). Other directions sort the models. */
    const sort = currentSort();
    const inPlace = sort.key === "relevance" || sort.key === "name" || sort.key === "hosts" || sort.key === "released" ||
      (FOLD_MIN.includes(sort.key) && sort.dir === "asc") || (FOLD_MAX.includes(sort.key) && sort.dir === "desc");
    if (inPlace) return order;
    const sign = sort.dir === "asc" ? 1 : -1;
    const value = fold[sort.key];
    const grouped = FOLD_MIN.includes(sort.key) ? fold.group : null;
    const position = new Map(order.map((j, k) => [j, k]));
    return order.sort((a, b) => {
      if (grouped && grouped[a] !== grouped[b]) return grouped[a] - grouped[b];
      const x = value[a], y = value[b];
      if (x !== x) return y !== y ? position.get(a) - position.get(b) : 1;
      if (y !== y) return -1;
      return (x - y) * sign || position.get(a) - position.get(b);
    });
  }
  /* The visible models' groups: their folded figures and their matching offerings. */
  function modelGroups(models, rows) {
    const groups = models.map((j) => ({
      model: j, offerings: [], in: fold.in[j], out: fold.out[j], blend: fold.blend[j], ctx: fold.ctx[j], mo: fold.mo[j], cheapest: fold.cheapest[j],
    }));
    const generation = ++foldGeneration;
    const slot = fold.slot || (fold.slot = new Int32Array(fold.stamp.length));
    models.forEach((j, k) => { fold.stamp[j] = generation; slot[j] = k; });
    const model = catalog.m;
    for (let k = 0; k < rows.length; k++) {
      const j = model[rows[k]];
      if (fold.stamp[j] === generation) groups[slot[j]].offerings.push(rows[k]);
    }
    return groups;
  }

  /* ---- rendering ----------------------------------------------------------------------------- */
  function modelLink(j) {
    return h("a", { href: catalog.modelUrl(SITE, j), className: "knollm-model" }, catalog.models.name[j]);
  }
  function providerLink(p) {
    return h("a", { href: catalog.providerUrl(SITE, p) }, catalog.providers.name[p]);
  }
  function capabilityText(bits) {
    const out = [];
    catalog.capabilities.forEach((name, k) => { if (bits & (1 << k)) out.push(name.replace(/_/g, " ")); });
    return out.join(", ");
  }
  /* "deprecated · until 2026-06-01": callable until then; "retired" once it is gone. */
  function statusText(i) {
    const status = catalog.status(i);
    const date = catalog.dep[i];
    return date && status === "deprecated" ? status + " · until " + date : date && status === "retired" ? status + " " + date : status;
  }
  /* "3" direct hosts, "3 +1 via routers" when routers and resellers serve it too. */
  function hostsText(j) {
    const routed = catalog.models.routed[j];
    return String(catalog.models.direct[j]) + (routed ? " +" + routed + " via router" + (routed === 1 ? "" : "s") : "");
  }
  function releasedText(j) {
    return catalog.models.released[j] || "—";
  }

  function offeringCell(key, i) {
    const c = catalog;
    const j = c.m[i];
    switch (key) {
      case "model": {
        const cell = h("td", null, modelLink(j));
        if (c.inactive[i]) cell.append(" ", h("span", { className: "knollm-badge" }, statusText(i)));
        return cell;
      }
      case "provider": return h("td", null, providerLink(c.p[i]));
      case "api": return h("td", null, h("code", null, c.apiId(i)));
      case "mode": return h("td", null, c.modes[c.mode[i]]);
      case "in": case "out": case "blend": case "cr":
        if (c.asOfKnown && !c.asOfKnown[i]) return h("td", { className: "knollm-num knollm-unknown", title: "no price known on " + (c.asOfDate || "the build date") + (c.serviceTier && c.serviceTier !== "standard" ? " for the " + c.serviceTier + " tier" : "") }, "unknown");
        return h("td", { className: "knollm-num" }, K.formatPrice(c[key][i]));
      case "ctx": case "mo": return h("td", { className: "knollm-num" }, K.formatTokens(c[key][i]));
      case "released": return h("td", null, releasedText(j));
      case "hosts": return h("td", { className: "knollm-num" }, hostsText(j));
      case "caps": return h("td", { className: "knollm-caps" }, capabilityText(c.cap[i]));
      case "monthly": return h("td", { className: "knollm-num knollm-cost" }, K.formatMoney(costs[i]));
      case "request": {
        const r = rowCost(i);
        return h("td", { className: "knollm-num" }, K.formatMoney(r.perRequest));
      }
      case "notes": {
        const r = rowCost(i);
        const out = leftOut && state.all && leftOut[i] ? "left out by default: " + leftOutText(leftOut[i]) : null;
        return h("td", { className: "knollm-notes" }, [out, unknownAsOf(i) || r.unknown].concat(r.notes.map((t) => t.split(":")[0])).filter(Boolean).join("; "));
      }
    }
    return h("td");
  }
  /* Why offering i has no price as of the date (null: it has one, or no date is set). */
  function unknownAsOf(i) {
    return catalog.asOfKnown && !catalog.asOfKnown[i] ? "no price known on " + (catalog.asOfDate || "the build date") : null;
  }
  /* The calculator shows two columns of one row's cost breakdown: compute it once per row. */
  let rowCostCache = { i: -1, result: null };
  function rowCost(i) {
    if (rowCostCache.i !== i) rowCostCache = { i: i, result: K.cost(catalog, i, workload()) };
    return rowCostCache.result;
  }
  function modelCell(key, g) {
    const c = catalog;
    const j = g.model;
    switch (key) {
      case "model": return h("td", null, modelLink(j));
      case "creator": {
        const k = c.models.creator[j];
        return h("td", null, k >= 0 ? c.creators[k] : "—");
      }
      case "in": {
        const cell = h("td", { className: "knollm-num" }, K.formatPrice(g.in));
        if (g.cheapest >= 0) cell.append(h("span", { className: "knollm-at" }, " at " + c.providers.name[c.p[g.cheapest]]));
        return cell;
      }
      case "out": case "blend": return h("td", { className: "knollm-num" }, K.formatPrice(g[key]));
      case "ctx": case "mo": return h("td", { className: "knollm-num" }, K.formatTokens(g[key]));
      case "released": return h("td", null, releasedText(j));
      case "hosts": return h("td", { className: "knollm-num" }, hostsText(j));
      case "hostlist": {
        const names = Array.from(new Set(g.offerings.map((i) => c.p[i]))).map((p) => c.providers.name[p]);
        const shown = names.slice(0, 4).join(", ");
        return h("td", { className: "knollm-hostlist" }, names.length > 4 ? shown + " +" + (names.length - 4) : shown);
      }
    }
    return h("td");
  }

  function columns() {
    if (APP === "calculator") return CALC_COLUMNS;
    const all = state.view === "models" ? MODEL_COLUMNS : OFFERING_COLUMNS;
    return all.filter((col) => !state.hide.includes(col.key));
  }

  function headerRow(cols) {
    const sort = currentSort();
    const tr = h("tr");
    if (APP === "explorer" && state.view !== "models") {
      tr.append(h("th", { scope: "col", className: "knollm-pick", title: "Add to compare" }, h("span", { "aria-hidden": "true" }, "±"), h("span", { className: "knollm-sr" }, "Compare")));
    }
    for (const col of cols) {
      const th = h("th", { scope: "col", title: col.title || null, className: col.num ? "knollm-num" : "", dataset: { col: col.key } });
      if (col.sort) {
        const active = sort.key === col.sort;
        const button = h("button", { type: "button", className: "knollm-sort", dataset: { sort: col.sort } }, col.label);
        th.append(button);
        if (active) th.setAttribute("aria-sort", sort.dir === "asc" ? "ascending" : "descending");
      } else th.append(col.label);
      tr.append(th);
    }
    return h("thead", null, tr);
  }

  function tagged(cell, key) {
    cell.setAttribute("data-col", key);
    return cell;
  }

  /* Re-rendering replaces the table, pager and tray: the control that was used (a sort button,
   * a compare box, "Next") is found again by its data attribute and gets the focus back. */
  const FOCUS_KEYS = ["sort", "compare", "page", "uncompare", "trayToggle", "showAll", "showHidden"];
  function focusedControl() {
    const active = document.activeElement;
    if (!active || !root.contains(active)) return null;
    for (const name of FOCUS_KEYS) {
      if (active.dataset && name in active.dataset) {
        const step = name === "page" ? (active.dataset.step || "") : "";
        return { name: name, value: active.dataset[name], step: step };
      }
    }
    return null;
  }
  function restoreFocus(was) {
    if (!was) return;
    const attr = "data-" + was.name.replace(/[A-Z]/g, (ch) => "-" + ch.toLowerCase());
    let target = null;
    if (was.name === "page") {
      target = root.querySelector("[data-step=" + (was.step === "prev" ? "prev" : "next") + "]");
      if (target && target.disabled) target = root.querySelector("[data-step=" + (was.step === "prev" ? "next" : "prev") + "]");
    } else {
      for (const el of root.querySelectorAll("[" + attr + "]")) if (el.getAttribute(attr) === was.value) { target = el; break; }
    }
    if (!target && was.name === "uncompare") target = ui.tray && !ui.tray.hidden ? ui.trayToggle : ui.q;
    if (target && target !== document.activeElement) target.focus({ preventScroll: true });
  }

  function offeringRow(cols, item, key, compared) {
    const tr = h("tr", { "data-key": key });
    if (APP === "explorer") {
      tr.append(h("td", { className: "knollm-pick" }, h("input", {
        type: "checkbox", checked: compared, title: "Compare",
        "aria-label": "Compare " + catalog.models.name[catalog.m[item]] + " at " + catalog.providers.name[catalog.p[item]] + " (" + catalog.apiId(item) + ")",
        "data-compare": key,
      })));
    }
    if (APP === "calculator" && key === state.selected) tr.className = "knollm-selected";
    for (const col of cols) tr.append(tagged(offeringCell(col.key, item), col.key));
    return tr;
  }
  /* The table's rows, patched in place (see patch). An offering row is built only when the row
   * at its position shows something else: its signature names the offering, the columns, what
   * the prices are of (the catalog view, the workload) and its compare and selected state. */
  let catalogStamp = 0, stampedCatalog = null;
  /* While only the first part of a split payload is in: what it shows (firstPartAnswers). */
  let partial = null;
  function patchRows(cols, slice, models) {
    if (stampedCatalog !== catalog) { stampedCatalog = catalog; catalogStamp++; }
    if (!ui.table.tHead) ui.table.append(h("thead"), h("tbody"));
    patchNode(ui.table.tHead, headerRow(cols));
    const body = ui.table.tBodies[0];
    const have = body.rows;
    const context = "|" + catalogStamp + "|" + cols.map((col) => col.key).join(",") +
      (APP === "calculator" ? "|" + costsFor + "|" + (state.all ? 1 : 0) + "|" + (leftOutFor || "") : "");
    for (let k = 0; k < slice.length; k++) {
      const item = slice[k];
      const row = have[k];
      let fresh;
      if (models) {
        fresh = h("tr");
        for (const col of cols) fresh.append(tagged(modelCell(col.key, item), col.key));
      } else {
        const key = catalog.key(item);
        const compared = APP === "explorer" && state.compare.includes(key);
        const signature = item + context + (compared ? "|c" : "") + (APP === "calculator" && key === state.selected ? "|s" : "");
        if (row && row.knollmSignature === signature) {
          if (APP === "explorer") row.cells[0].firstChild.checked = compared; // the box may have been clicked
          continue;
        }
        fresh = offeringRow(cols, item, key, compared);
        fresh.knollmSignature = signature;
      }
      if (!row) { body.appendChild(fresh); continue; }
      patchNode(row, fresh);
      row.knollmSignature = fresh.knollmSignature;
    }
    while (have.length > slice.length) body.deleteRow(-1);
  }

  function render() {
    const started = performance.now();
    if (catalog.more) partial = firstPartAnswers(); // the view may have changed meanwhile
    const focused = focusedControl();
    rowCostCache = { i: -1, result: null }; // the workload may have changed
    if (APP === "calculator") ensureCosts();
    const rows = query();
    const queried = performance.now();
    const cols = columns();
    const models = state.view === "models" && APP === "explorer";
    const items = models ? foldModels(rows) : rows;
    const folded = performance.now();
    const pages = Math.max(1, Math.ceil(items.length / PAGE_SIZE));
    if (state.page > pages) state.page = pages;
    if (state.page < 1) state.page = 1;
    let slice = items.slice((state.page - 1) * PAGE_SIZE, state.page * PAGE_SIZE);
    if (models) slice = modelGroups(slice, rows);
    patchRows(cols, slice, models);
    const noun = models ? "models" : "offerings";
    const sort = currentSort();
    ui.count.textContent = items.length.toLocaleString("en-US") + " " + noun + " match" +
      (items.length === 1 ? "es" : "") + (catalog.more && partial !== "exact" ? " so far" : "") + " · sorted by " + sortLabel(sort) + pricingLabel(catalog, " · ");
    patch(ui.pager,
      h("button", { type: "button", disabled: state.page <= 1, dataset: { page: String(state.page - 1), step: "prev" }, "aria-label": "Previous page" }, "‹ Previous"),
      h("span", null, " page " + state.page + " of " + pages + " "),
      h("button", { type: "button", disabled: state.page >= pages, dataset: { page: String(state.page + 1), step: "next" }, "aria-label": "Next page" }, "Next ›"),
    );
    root.setAttribute("data-knollm-view", models ? "models" : "offerings");
    const only = state.model ? catalog.modelIndex.get(state.model) : undefined;
    ui.modelChip.hidden = !state.model;
    const modelName = only === undefined ? state.model : catalog.models.name[only];
    ui.modelChip.textContent = state.model ? "Only " + modelName + " ✕" : "";
    if (state.model) ui.modelChip.setAttribute("aria-label", "Show every model, not only " + modelName);
    if (APP === "explorer") { renderCompare(); renderHidden(); }
    lastRows = rows;
    if (APP === "calculator") { renderBreakdown(); renderLeftOut(); renderSummary(rows); renderEntryHint(); }
    /* Whether the table box scrolls sideways is decided when the table's width changes (see
     * buildControls), not on every render: measuring here would force a layout per keystroke. */
    restoreFocus(focused);
    const finished = performance.now();
    performance.measure("knollm:update", { start: started, end: finished });
    performance.measure("knollm:query", { start: started, end: queried });
    performance.measure("knollm:fold", { start: queried, end: folded });
    /* "partial" while the second part of a split payload is still loading (start). */
    root.setAttribute("data-state", catalog.more ? "partial" : "ready");
  }

  /* ---- explorer: what the default view leaves out, and exports of the view --------------------- */
  let lastRows = [];
  function renderHidden() {
    const parts = [];
    const longtail = excluded.reasons[0], unlisted = excluded.reasons[1];
    if (longtail) {
      parts.push(longtail.toLocaleString("en-US") + " offering" + (longtail === 1 ? "" : "s") + " of " + excluded.models.toLocaleString("en-US") +
        " one-host model" + (excluded.models === 1 ? "" : "s") + " (fewer than " + MIN_DIRECT_HOSTS + " direct hosts, not served by their lab) hidden. ",
        h("button", { type: "button", className: "md-button", dataset: { showHidden: "longtail" } }, "Show them"), " ");
    } else if (state.longtail) {
      parts.push("Including one-host models. ", h("button", { type: "button", className: "md-button", dataset: { showHidden: "longtail" } }, "Hide them"), " ");
    }
    if (unlisted) {
      parts.push(unlisted.toLocaleString("en-US") + " unlisted offering" + (unlisted === 1 ? "" : "s") + " (no model list names the id) hidden. ",
        h("button", { type: "button", className: "md-button", dataset: { showHidden: "unlisted" } }, "Show unlisted"));
    }
    if (catalog.more && partial !== "exact") {
      parts.push("Loading " + catalog.more.offerings.toLocaleString("en-US") + " more offering" + (catalog.more.offerings === 1 ? "" : "s") + " of " +
        catalog.more.models.toLocaleString("en-US") + " more model" + (catalog.more.models === 1 ? "" : "s") + "…");
    }
    patch(ui.hiddenNote, parts);
  }
  /* Spreadsheet-safe CSV cell (as offerings.csv, knollm_build/publish.py): text starting with
   * = + - @ tab or CR that is not a number gets a leading quote, so it never runs as a formula. */
  function csvCell(value) {
    let text = value == null || (typeof value === "number" && isNaN(value)) ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(text) && !(text.trim() !== "" && isFinite(Number(text)))) text = "'" + text;
    return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }
  function num(x) {
    return x == null || isNaN(x) ? null : x;
  }
  function exportRecords() {
    const c = catalog;
    if (state.view === "models") {
      return foldModels(lastRows).map((j) => ({
        model: c.models.id[j], name: c.models.name[j], creator: c.models.creator[j] >= 0 ? c.creators[c.models.creator[j]] : null,
        direct_hosts: c.models.direct[j], routed_hosts: c.models.routed[j], cheapest_input: num(fold.in[j]), cheapest_output: num(fold.out[j]),
        context_window: num(fold.ctx[j]), max_output_tokens: num(fold.mo[j]), released: c.models.released[j] || null,
      }));
    }
    return lastRows.map((i) => ({
      provider: c.providers.id[c.p[i]], provider_name: c.providers.name[c.p[i]], direct_host: c.direct[c.p[i]] === 1,
      model: c.models.id[c.m[i]], model_name: c.models.name[c.m[i]], provider_model_id: c.apiId(i), mode: c.modes[c.mode[i]],
      status: c.status(i), deprecation_date: c.dep[i] || null, listed: c.listed[i] === 1, price_basis: c.priceBasis(i),
      input: num(c.in[i]), output: num(c.out[i]), cache_read: num(c.cr[i]), cache_write: num(c.cw[i]), batch_input: num(c.bi[i]),
      batch_output: num(c.bo[i]), per_request: num(c.req[i]), per_image: num(c.img[i]), context_window: num(c.ctx[i]),
      max_output_tokens: num(c.mo[i]),
    }));
  }
  function download(kind) {
    const records = exportRecords();
    let body;
    if (kind === "json") body = JSON.stringify({ generated_at: catalog.generatedAt, view: location.search, rows: records }, null, 1);
    else {
      const fields = records.length ? Object.keys(records[0]) : [];
      body = [fields.join(",")].concat(records.map((r) => fields.map((f) => csvCell(r[f])).join(","))).join("\n") + "\n";
    }
    const blob = new Blob([body], { type: kind === "json" ? "application/json" : "text/csv" });
    const link = h("a", { href: URL.createObjectURL(blob), download: "knollm-" + (state.view === "models" ? "models" : "offerings") + "." + kind });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 0);
  }

  function sortLabel(sort) {
    if (sort.key === "relevance") return "relevance";
    const names = { name: "model name", provider: "provider", in: "input price", out: "output price", blend: "blended price",
      cr: "cache price", ctx: "context", mo: "max output", released: "release date", hosts: "direct hosts", cost: "monthly cost" };
    return (names[sort.key] || sort.key) + (sort.dir === "asc" ? " ↑" : " ↓");
  }

  /* ---- compare tray (explorer) ---------------------------------------------------------------- */
  function renderCompare() {
    const c = catalog;
    const picked = state.compare.map((k) => c.byKey(k)).filter((i) => i >= 0);
    ui.tray.hidden = picked.length === 0;
    if (!picked.length) { patch(ui.compare); return; }
    const open = trayOpen();
    ui.tray.classList.toggle("knollm-tray--open", open);
    ui.trayToggle.setAttribute("aria-expanded", String(open));
    ui.trayToggle.textContent = picked.length + " picked " + (open ? "▾ hide list" : "▸ show list");
    patch(ui.trayList, picked.map((i) => h("li", null,
      c.models.name[c.m[i]] + " @ " + c.providers.name[c.p[i]] + " ",
      h("button", { type: "button", className: "knollm-remove", title: "Remove", "aria-label": "Remove " + c.models.name[c.m[i]] + " at " + c.providers.name[c.p[i]] + " from compare", dataset: { uncompare: c.key(i) } }, "×"))));
    const w = workload();
    const results = picked.map((i) => K.cost(c, i, w));
    const rows = [
      ["Provider", (i) => providerLink(c.p[i])],
      ["Model", (i) => modelLink(c.m[i])],
      ["API id", (i) => h("code", null, c.apiId(i))],
      ["Input $/1M", (i) => K.formatPrice(c.in[i])],
      ["Output $/1M", (i) => K.formatPrice(c.out[i])],
      ["Cache read $/1M", (i) => K.formatPrice(c.cr[i])],
      ["Cache write $/1M", (i) => K.formatPrice(c.cw[i])],
      ["Batch input / output $/1M", (i) => K.formatPrice(c.bi[i]) + " / " + K.formatPrice(c.bo[i])],
      ["Context", (i) => K.formatTokens(c.ctx[i])],
      ["Max output", (i) => K.formatTokens(c.mo[i])],
      ["Capabilities", (i) => capabilityText(c.cap[i]) || "—"],
      ["Status", (i) => statusText(i)],
      ["Monthly cost of the workload", (i, k) => h("strong", { className: "knollm-cost" }, K.formatMoney(results[k].monthly))],
      ["Notes", (i, k) => [results[k].unknown].concat(results[k].notes).filter(Boolean).join("; ") || "—"],
    ];
    const table = h("table", { className: "knollm-table knollm-compare-table" },
      h("tbody", null, rows.map(([label, cell]) => h("tr", null, h("th", { scope: "row" }, label),
        picked.map((i, k) => h("td", null, cell(i, k)))))));
    const calcUrl = SITE + "calculator/" + K.stateQuery(Object.assign({}, state, { compare: [], page: 1, view: "offerings", hide: DEFAULTS.hide }), DEFAULTS);
    patch(ui.compare,
      h("h2", { id: "compare" }, "Side by side"),
      h("p", null, "Workload: " + workloadText(w) + ". ", h("a", { href: calcUrl }, "Change it in the calculator")),
      h("div", { className: "knollm-scroll" }, table),
    );
  }
  /* The tray's list shows on wide screens and folds away on phones, until the reader toggles it. */
  let trayChoice = null;
  function trayOpen() {
    return trayChoice === null ? window.matchMedia("(min-width: 60em)").matches : trayChoice;
  }
  function workloadText(w) {
    return K.formatTokens(w.input) + " input and " + K.formatTokens(w.output) + " output tokens per request, " +
      Math.round(w.cached * 100) + "% of input cached, " + K.formatTokens(w.requests) + " requests per " + w.per +
      (w.batch ? ", batch" : "");
  }

  /* ---- calculator: what is left out, several models, the request size -------------------------- */
  function renderLeftOut() {
    const shown = !!state.all;
    const total = shown ? 0 : excluded.total;
    if (!shown && !total) { patch(ui.leftOut); return; }
    const parts = LEFT_OUT.map((entry, k) => [excluded.reasons[k], entry[1]]).filter((x) => x[0] > 0)
      .map((x) => x[0].toLocaleString("en-US") + " " + x[1]);
    patch(ui.leftOut,
      shown ? "Showing every matching offering, including those left out by default (their notes say why). "
        : total.toLocaleString("en-US") + " matching offering" + (total === 1 ? "" : "s") + " left out: " + parts.join(", ") + ". ",
      h("button", { type: "button", className: "md-button", dataset: { showAll: "1" }, "aria-pressed": String(shown) },
        shown ? "Leave them out" : "Show them"));
  }
  /* With models picked: the cheapest counted offering of each, in one table. */
  function renderSummary(rows) {
    const picked = pickedModels();
    if (!picked.length) { patch(ui.summary); return; }
    const c = catalog;
    const best = new Map();
    const count = new Map();
    for (const i of rows) {
      const j = c.m[i];
      count.set(j, (count.get(j) || 0) + 1);
      const was = best.get(j);
      if (!(costs[i] >= 0)) { if (was === undefined) best.set(j, -1); continue; }
      if (was === undefined || was < 0 || costs[i] < costs[was]) best.set(j, i);
    }
    const body = picked.map((id) => {
      const j = c.modelIndex.get(id);
      if (j === undefined) return h("tr", null, h("th", { scope: "row" }, id), h("td", { colSpan: 4 }, "not in the catalog"));
      const i = best.has(j) ? best.get(j) : -1;
      return h("tr", null, h("th", { scope: "row" }, modelLink(j)),
        h("td", { dataset: { label: "Cheapest at" } }, i >= 0 ? providerLink(c.p[i]) : "—"),
        h("td", { className: "knollm-num knollm-cost", dataset: { label: "Monthly cost" } }, i >= 0 ? K.formatMoney(costs[i]) : "—"),
        h("td", { className: "knollm-num", dataset: { label: "Per request" } }, i >= 0 ? K.formatMoney(rowCost(i).perRequest) : "—"),
        h("td", { className: "knollm-num", dataset: { label: "Offerings counted" } }, String(count.get(j) || 0)));
    });
    patch(ui.summary, h("h2", { id: "knollm-summary" }, "Cheapest per model" + (pricingLabel(c, "; ") ? " (" + pricingLabel(c, "; ").slice(2) + ")" : "")),
      h("div", { className: "knollm-scroll" }, h("table", { className: "knollm-table knollm-summary-table knollm-stackable" },
        h("thead", null, h("tr", null, ["Model", "Cheapest at", "Monthly cost", "Per request", "Offerings counted"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", null, body))));
  }
  function renderEntryHint() {
    const w = workload();
    const monthly = K.monthlyRequests(w);
    ui.entryHint.textContent = state.entry === "month"
      ? "That is " + K.formatTokens(Math.round(w.input)) + " input and " + K.formatTokens(Math.round(w.output)) + " output tokens per request over " +
        Math.max(1, monthly).toLocaleString("en-US") + " requests a month (the request size decides context tiers and which offerings can hold it)."
      : "";
  }

  /* ---- calculator breakdown ----------------------------------------------------------------- */
  function renderBreakdown() {
    const c = catalog;
    const i = state.selected ? c.byKey(state.selected) : -1;
    if (i < 0) {
      patch(ui.breakdown, h("p", { className: "knollm-hint" }, "Pick a row to see its cost broken down."));
      return;
    }
    const w = workload();
    const r = K.cost(c, i, w);
    const cached = w.input * Math.min(1, Math.max(0, w.cached));
    const line = (label, tokens, price, amount) => h("tr", null, h("th", { scope: "row" }, label),
      h("td", { className: "knollm-num" }, tokens), h("td", { className: "knollm-num" }, price),
      h("td", { className: "knollm-num" }, K.formatMoney(amount)));
    patch(ui.breakdown,
      h("h2", { id: "breakdown" }, "Breakdown: ", c.models.name[c.m[i]], " @ ", c.providers.name[c.p[i]]),
      h("table", { className: "knollm-table knollm-breakdown" },
        h("thead", null, h("tr", null, h("th", null, "Part"), h("th", null, "Tokens per request"), h("th", null, "Price $/1M"), h("th", null, "Cost per request"))),
        h("tbody", null,
          line("Input", K.formatTokens(w.input - cached), K.formatPrice(r.prices.input), r.parts.input),
          line("Cached input", K.formatTokens(cached), isNaN(r.prices.cached) ? "no cache price" : K.formatPrice(r.prices.cached), r.parts.cached),
          line("Output", K.formatTokens(w.output), K.formatPrice(r.prices.output), r.parts.output),
          line("Per-request fee", "", "", r.parts.fees),
          h("tr", { className: "knollm-total" }, h("th", { scope: "row" }, "Per request"), h("td"), h("td"), h("td", { className: "knollm-num" }, K.formatMoney(r.perRequest))),
          h("tr", { className: "knollm-total" }, h("th", { scope: "row" }, "Per month"), h("td", { className: "knollm-num" }, "× " + r.requests.toLocaleString("en-US") + " requests"), h("td"),
            h("td", { className: "knollm-num knollm-monthly" }, K.formatMoney(r.monthly))))),
      r.unknown || r.notes.length || c.asOfDate ? h("ul", { className: "knollm-notes" }, [unknownAsOf(i) || r.unknown, asOfNote(i)].concat(r.notes).filter(Boolean).map((t) => h("li", null, t))) : null,
    );
  }

  /* Where offering i's prices as of the date come from (null without a date or a price). */
  /* What the prices shown are: a date, a service tier, a regional endpoint ("" for today's
   * standard prices), each part after `sep`. */
  function pricingLabel(c, sep) {
    const parts = [];
    if (c.asOfDate) parts.push("prices as of " + c.asOfDate);
    if (c.serviceTier && c.serviceTier !== "standard") parts.push(c.serviceTier.replace("_", "-") + " tier prices (none filled in from another tier)");
    if (c.regional) parts.push("regional endpoint (stated uplift)");
    return parts.map((p) => sep + p).join("");
  }
  function asOfNote(i) {
    const c = catalog;
    if (!c.asOfDate || !c.asOfKnown[i]) return null;
    return "prices as of " + c.asOfDate + ": " + c.asOfSources[i].join(", ") +
      (c.asOfSince[i] ? " since " + c.asOfSince[i] : " (from before its first dated change)");
  }

  /* ---- prices as of a date (?as_of=) --------------------------------------------------------- */
  /* The price ledger is fetched the first time a date is set, never otherwise. An invalid date
   * or a ledger that cannot be loaded is said in ui.asOfNote, and today's prices are shown. */
  let asOfShown = "";
  function pricingWanted() {
    return [state.as_of || "", state.tier || "", state.regional ? "1" : ""].join("|");
  }
  async function applyAsOf() {
    const wanted = pricingWanted();
    if (wanted === asOfShown) return;
    let next = base, message = "";
    const asked = state.as_of || "";
    const tier = K.SERVICE_TIERS.includes(state.tier) ? state.tier : "standard";
    const regional = !!state.regional;
    /* A tier or a region without a date: the ledger's prices in force on the build date. */
    const day = asked ? K.parseDate(asked) : (tier !== "standard" || regional) ? K.parseDate((base.generatedAt || "").slice(0, 10)) : null;
    if (asked && day === null) message = "“" + asked + "” is not a date (use YYYY-MM-DD): showing today's prices.";
    else if (state.tier && !K.SERVICE_TIERS.includes(state.tier)) message = "“" + state.tier + "” is not a service tier: showing standard prices.";
    if (day && !(asked && day === null)) {
      try {
        root.setAttribute("data-state", "pending");
        const ledger = await K.loadLedger(SITE + "data/history.json");
        if (pricingWanted() !== wanted) return; // changed while loading: that call applies it
        next = K.asOf(base, ledger, day, { tier: tier, regional: regional });
        if (!asked) next.asOfDate = null; // today's prices, only under another tier or region
      } catch (error) {
        message = "Prices as of " + day + " could not be shown (" + error.message + "): showing today's prices.";
      }
    }
    asOfShown = wanted;
    ui.asOfNote.textContent = message;
    ui.asOfNote.hidden = !message;
    if (next !== catalog) {
      catalog = next;
      searcher = new K.Searcher(catalog);
      resetCaches();
    }
  }

  /* ---- controls ------------------------------------------------------------------------------- */
  function field(label, control) {
    return h("label", { className: "knollm-field" }, h("span", null, label), control);
  }
  function buildControls() {
    const c = catalog;
    const providerOrder = c.providers.id.map((id, p) => p).sort((a, b) => c.providers.name[a].localeCompare(c.providers.name[b]));
    ui.q = h("input", { type: "search", className: "knollm-search", placeholder: "Search models, providers, API ids — e.g. llama 70b, gpt4o, sonnet 4", "aria-label": "Search", autocomplete: "off" });
    ui.provider = h("select", { "aria-label": "Provider" }, option("", "any provider"), providerOrder.map((p) => option(c.providers.id[p], c.providers.name[p])));
    /* Creators (thousands) and families fill their lists when first used, not before the first
     * table: creators of the models people mean first, the many one-model fine-tuners after. */
    ui.creator = h("select", { "aria-label": "Creator" }, option("", "any creator"));
    ui.creator.addEventListener("focus", fillCreators);
    ui.creator.addEventListener("pointerdown", fillCreators);
    const familyList = h("datalist", { id: "knollm-families" });
    ui.family = h("input", { type: "text", list: "knollm-families", placeholder: "any family", "aria-label": "Family", size: 12 });
    ui.family.addEventListener("focus", () => {
      if (!familyList.firstChild) familyList.append(...c.families.map((name) => option(name, name)));
    });
    ui.mode = h("select", { "aria-label": "Mode" }, option("", "any mode"), c.modes.map((m) => option(m, m)));
    ui.inMod = h("select", { "aria-label": "Input modality" }, option("", "any input"), c.modalities.map((m) => option(m, m)));
    ui.outMod = h("select", { "aria-label": "Output modality" }, option("", "any output"), c.modalities.map((m) => option(m, m)));
    ui.caps = CAPABILITY_FILTERS.map(([name, label]) => h("input", { type: "checkbox", value: name, "aria-label": label }));
    ui.minCtx = h("select", { "aria-label": "Minimum context" }, CONTEXT_STEPS.map((n) => option(String(n), n ? "≥ " + K.formatTokens(n) : "any context")));
    ui.maxIn = h("input", { type: "number", min: 0, step: "any", placeholder: "any", "aria-label": "Maximum input price", size: 6 });
    ui.maxOut = h("input", { type: "number", min: 0, step: "any", placeholder: "any", "aria-label": "Maximum output price", size: 6 });
    ui.deprecated = h("input", { type: "checkbox", "aria-label": "Show retired" });
    ui.host = h("select", { "aria-label": "Served by" }, option("", "direct hosts and routers"),
      option("direct", "direct hosts only"), option("routed", "routers and resellers only"));
    ui.variant = h("select", { "aria-label": "Variant" }, option("", "any variant"), option("plain", "plain (not quantised, not free)"),
      option("quantised", "quantised (fp8, int4, …)"), option("free", "free variants"));
    ui.longtail = h("input", { type: "checkbox", "aria-label": "Include one-host models" });
    ui.unlisted = h("input", { type: "checkbox", "aria-label": "Include unlisted offerings" });
    ui.paid = h("input", { type: "checkbox", "aria-label": "Hide free ($0)" });
    ui.reset = h("button", { type: "button", className: "md-button" }, "Reset filters");
    const filters = h("details", { className: "knollm-filters", open: window.matchMedia("(min-width: 60em)").matches },
      h("summary", null, "Filters"),
      h("div", { className: "knollm-filter-grid" },
        field("Provider", ui.provider), field("Creator", ui.creator), field("Family", h("span", null, ui.family, familyList)),
        field("Mode", ui.mode), field("Input", ui.inMod), field("Output", ui.outMod), field("Context", ui.minCtx),
        field("Max input $/1M", ui.maxIn), field("Max output $/1M", ui.maxOut),
        field("Served by", ui.host), field("Variant", ui.variant)),
      h("div", { className: "knollm-checks" },
        CAPABILITY_FILTERS.map(([, label], k) => h("label", null, ui.caps[k], " " + label)),
        h("label", null, ui.deprecated, " Show retired"), h("label", null, ui.paid, " Hide free ($0)"),
        APP === "explorer" ? [h("label", null, ui.longtail, " Include one-host models"), h("label", null, ui.unlisted, " Include unlisted")] : null,
        ui.reset));
    ui.skip = h("a", { href: "#knollm-results", className: "knollm-skip" }, "Skip to results");
    ui.modelChip = h("button", { type: "button", className: "knollm-chip", hidden: true, dataset: { clearModel: "1" } });
    const parts = [h("div", { className: "knollm-searchbar" }, ui.q, ui.skip, ui.modelChip)];
    ui.asOf = h("input", { type: "date", "aria-label": "Prices as of", max: "9999-12-31", style: "width: auto" });
    ui.asOfNote = h("p", { className: "knollm-error knollm-asof-note", role: "alert", hidden: true });
    ui.tier = h("select", { "aria-label": "Service tier" }, K.SERVICE_TIERS.map((t) =>
      option(t === "standard" ? "" : t, t === "standard" ? "standard" : t.replace("_", "-"))));
    ui.regional = h("input", { type: "checkbox", "aria-label": "Regional endpoint (the stated uplift; unknown where none is stated)" });
    parts.push(h("div", { className: "knollm-asof" },
      h("div", { style: "display: flex; flex-wrap: wrap; align-items: flex-end; gap: .5em 1em" },
        field("Prices as of", ui.asOf), h("span", { className: "knollm-hint" }, "empty: today's prices"),
        field("Service tier", ui.tier), h("label", null, ui.regional, " Regional endpoint")),
      ui.asOfNote));
    if (APP === "explorer") {
      ui.view = h("select", { "aria-label": "View" }, option("offerings", "one row per offering"), option("models", "one row per model"));
      ui.columns = h("details", { className: "knollm-columns" }, h("summary", null, "Columns"),
        h("div", null, OFFERING_COLUMNS.concat(MODEL_COLUMNS.filter((m) => !OFFERING_COLUMNS.some((o) => o.key === m.key))).map((col) =>
          h("label", null, h("input", { type: "checkbox", value: col.key, dataset: { column: col.key } }), " " + col.label))));
      ui.exportCsv = h("button", { type: "button", className: "md-button", dataset: { export: "csv" } }, "Download CSV");
      ui.exportJson = h("button", { type: "button", className: "md-button", dataset: { export: "json" } }, "Download JSON");
      parts[0].append(ui.view, ui.columns);
      ui.exports = h("div", { className: "knollm-exports" }, h("span", null, "This view: "), ui.exportCsv, " ", ui.exportJson);
      ui.hiddenNote = h("p", { className: "knollm-left-out" });
    }
    if (APP === "calculator") parts.unshift(buildWorkload());
    parts.push(filters);
    ui.count = h("p", { className: "knollm-count", role: "status" });
    ui.table = h("table", { className: "knollm-table knollm-results" });
    ui.pager = h("div", { className: "knollm-pager" });
    ui.scroll = h("div", { className: "knollm-scroll", id: "knollm-results", tabindex: "-1", dataset: { live: "1" } }, ui.table);
    if (window.KnollmTables) {
      let width = -1;
      const refit = () => window.KnollmTables.fit(ui.scroll);
      if (window.ResizeObserver) {
        new ResizeObserver((entries) => {
          const now = Math.round(entries[entries.length - 1].contentRect.width);
          if (now !== width) { width = now; refit(); }
        }).observe(ui.table);
      } else window.addEventListener("resize", refit);
    }
    parts.push(ui.count);
    if (APP === "explorer") parts.push(ui.hiddenNote, ui.exports);
    parts.push(ui.scroll, ui.pager);
    if (APP === "explorer") {
      ui.trayList = h("ul");
      ui.trayToggle = h("button", { type: "button", className: "knollm-tray-toggle", "aria-expanded": "false", "aria-controls": "knollm-tray-list", dataset: { trayToggle: "1" } });
      ui.trayList.id = "knollm-tray-list";
      ui.tray = h("div", { className: "knollm-tray", hidden: true, role: "region", "aria-label": "Compare tray" }, h("strong", null, "Compare: "), ui.trayToggle, ui.trayList,
        h("a", { href: "#compare", className: "md-button md-button--primary" }, "Side by side"),
        h("button", { type: "button", className: "md-button", dataset: { clearCompare: "1" } }, "Clear"));
      ui.compare = h("section", { className: "knollm-compare" });
      parts.push(ui.compare, ui.tray);
    }
    if (APP === "calculator") {
      ui.leftOut = h("p", { className: "knollm-left-out" });
      ui.summary = h("section", { className: "knollm-model-summary" });
      parts.splice(parts.indexOf(ui.count), 0, ui.summary);
      parts.splice(parts.indexOf(ui.count) + 1, 0, ui.leftOut);
      ui.breakdown = h("section", { className: "knollm-breakdown-panel" });
      parts.push(ui.breakdown);
    }
    root.replaceChildren(...parts);
  }

  let creatorsFilled = false;
  function fillCreators() {
    if (creatorsFilled) return;
    creatorsFilled = true;
    const c = catalog;
    const main = mainstream();
    const mainCreators = new Set();
    c.models.creator.forEach((k, j) => { if (k >= 0 && main[j]) mainCreators.add(k); });
    const group = (label, keep) => h("optgroup", { label: label },
      c.creators.map((name, k) => (keep(k) ? option(name, name) : null)).filter(Boolean));
    const value = ui.creator.value;
    ui.creator.append(group("Labs of widely hosted models", (k) => mainCreators.has(k)), group("Other creators", (k) => !mainCreators.has(k)));
    ui.creator.value = value;
  }

  function buildWorkload() {
    ui.presets = h("div", { className: "knollm-presets" }, h("span", null, "Presets: "),
      Object.entries(PRESETS).map(([id, p]) => h("button", { type: "button", className: "md-button", dataset: { preset: id } }, p.label)));
    ui.input = h("input", { type: "text", inputMode: "numeric", "aria-label": "Input tokens per request", size: 8 });
    ui.output = h("input", { type: "text", inputMode: "numeric", "aria-label": "Output tokens per request", size: 8 });
    ui.cached = h("input", { type: "number", min: 0, max: 100, step: 1, "aria-label": "Cached share of input (%)", size: 4 });
    ui.requests = h("input", { type: "text", inputMode: "numeric", "aria-label": "Requests", size: 9 });
    ui.per = h("select", { "aria-label": "Requests per" }, option("day", "per day"), option("month", "per month"));
    ui.batch = h("input", { type: "checkbox", "aria-label": "Batch" });
    ui.entry = h("select", { "aria-label": "Enter the workload as" },
      option("request", "tokens per request × requests"), option("month", "monthly totals"));
    ui.monthIn = h("input", { type: "text", inputMode: "numeric", "aria-label": "Input tokens per month", size: 8 });
    ui.monthOut = h("input", { type: "text", inputMode: "numeric", "aria-label": "Output tokens per month", size: 8 });
    ui.perRequest = h("div", { className: "knollm-entry-request" },
      field("Input tokens / request", ui.input), field("Output tokens / request", ui.output));
    ui.perMonth = h("div", { className: "knollm-entry-month" },
      field("Input tokens / month", ui.monthIn), field("Output tokens / month", ui.monthOut));
    ui.entryHint = h("p", { className: "knollm-hint", role: "status" });
    return h("fieldset", { className: "knollm-workload" }, h("legend", null, "Workload"), ui.presets,
      h("div", { className: "knollm-filter-grid" },
        field("Enter as", ui.entry), ui.perRequest, ui.perMonth,
        field("Cached input %", ui.cached), field("Requests", h("span", null, ui.requests, ui.per)),
        h("label", { className: "knollm-field" }, h("span", null, "Batch API"), ui.batch)),
      buildModelPicker(),
      ui.entryHint,
      h("p", { className: "knollm-hint" }, "Quantities take 128k, 2M or 1_000. A month is " + K.DAYS_PER_MONTH + " days."));
  }

  /* Models to price side by side: a search box whose suggestions add a model (exact id) to
   * ?models=, shown as removable chips. */
  function buildModelPicker() {
    ui.pickQuery = h("input", { type: "search", autocomplete: "off", placeholder: "e.g. claude sonnet 4, gpt-4o, deepseek v3",
      "aria-label": "Add a model to compare", "aria-controls": "knollm-pick-list", size: 28 });
    ui.pickList = h("ul", { id: "knollm-pick-list", className: "knollm-pick-list", "aria-label": "Matching models" });
    ui.pickChips = h("div", { className: "knollm-pick-chips" });
    return h("div", { className: "knollm-model-picker" },
      field("Models (one table)", ui.pickQuery), ui.pickList, ui.pickChips);
  }
  /* Up to 8 models matching the picker's text: an exact name or id first, then by direct hosts. */
  function modelSuggestions(text) {
    const c = catalog;
    const needle = K.normalise(text);
    if (!needle) return [];
    const found = searcher.search(text);
    const seen = new Set(pickedModels().map((id) => c.modelIndex.get(id)));
    const out = [];
    const exact = [];
    for (const i of found ? found.idxs : []) {
      const j = c.m[i];
      if (seen.has(j)) continue;
      seen.add(j);
      if (K.normalise(c.models.name[j]) === needle || K.normalise(c.models.id[j]) === needle) exact.push(j);
      else out.push(j);
      if (out.length + exact.length >= 200) break;
    }
    out.sort((a, b) => c.models.direct[b] - c.models.direct[a] || c.models.hosts[b] - c.models.hosts[a]);
    return exact.concat(out).slice(0, 8);
  }
  function renderPicker() {
    if (!ui.pickChips) return;
    const c = catalog;
    ui.pickChips.replaceChildren(...pickedModels().map((id) => {
      const j = c.modelIndex.get(id);
      const name = j === undefined ? id : c.models.name[j];
      return h("button", { type: "button", className: "knollm-chip", dataset: { unpick: id }, "aria-label": "Remove " + name }, name + " ✕");
    }));
  }
  function renderSuggestions() {
    const c = catalog;
    const list = modelSuggestions(ui.pickQuery.value);
    ui.pickList.replaceChildren(...list.map((j) => h("li", null, h("button", { type: "button", dataset: { pick: c.models.id[j] } },
      c.models.name[j], h("span", { className: "knollm-ta-detail" }, " · " + c.models.id[j] + " · " + c.models.direct[j] + " direct host" + (c.models.direct[j] === 1 ? "" : "s"))))));
  }

  /* State -> controls (after load and on back/forward). */
  function syncControls() {
    ui.q.value = state.q;
    ui.asOf.value = K.parseDate(state.as_of || "") || "";
    ui.tier.value = K.SERVICE_TIERS.includes(state.tier) ? state.tier : "";
    ui.regional.checked = !!state.regional;
    if (state.creator) fillCreators();
    for (const name of ["provider", "creator", "mode", "inMod", "outMod"]) ui[name].value = state[name];
    ui.family.value = state.family;
    ui.minCtx.value = String(state.minCtx || 0);
    if (ui.minCtx.value !== String(state.minCtx || 0)) {
      ui.minCtx.append(option(String(state.minCtx), "≥ " + K.formatTokens(state.minCtx)));
      ui.minCtx.value = String(state.minCtx);
    }
    ui.maxIn.value = state.maxIn;
    ui.maxOut.value = state.maxOut;
    ui.caps.forEach((box) => { box.checked = state.caps.includes(box.value); });
    ui.deprecated.checked = state.deprecated;
    ui.host.value = state.host;
    ui.variant.value = state.variant;
    if (ui.longtail) { ui.longtail.checked = !!state.longtail; ui.unlisted.checked = !!state.unlisted; }
    ui.paid.checked = state.paid;
    if (ui.view) ui.view.value = state.view;
    if (ui.columns) ui.columns.querySelectorAll("input").forEach((box) => { box.checked = !state.hide.includes(box.value); });
    if (ui.input) {
      ui.input.value = String(state.input);
      ui.output.value = String(state.output);
      ui.cached.value = String(Math.round(state.cached * 100));
      ui.requests.value = String(state.requests);
      ui.per.value = state.per;
      ui.batch.checked = state.batch;
      ui.entry.value = state.entry === "month" ? "month" : "request";
      ui.monthIn.value = state.month_input_tokens;
      ui.monthOut.value = state.month_output_tokens;
      ui.perRequest.hidden = state.entry === "month";
      ui.perMonth.hidden = state.entry !== "month";
      renderPicker();
    }
  }

  /* Typing yields to the browser first: the keystroke paints (the typed character) before the
   * table is rebuilt, in the task after that frame; keystrokes that arrive meanwhile fold into
   * one render. data-state is "pending" until then. knollm:painted measures key to results. */
  let pendingRender = 0;
  function renderSoon(since) {
    root.setAttribute("data-state", "pending");
    if (pendingRender) return;
    pendingRender = requestAnimationFrame(() => setTimeout(() => {
      pendingRender = 0;
      render();
      requestAnimationFrame(() => setTimeout(() => performance.measure("knollm:painted", { start: since, end: performance.now() }), 0));
    }, 0));
  }

  /* The address follows the search box once typing pauses (ADDRESS_DELAY): rewriting it costs a
   * few milliseconds a keystroke (a same-document navigation). Any other change, leaving the
   * page and the box's "change" write it first, so each history entry keeps its search. */
  const ADDRESS_DELAY = 300;
  let addressTimer = 0;
  function addressSoon() {
    clearTimeout(addressTimer);
    addressTimer = setTimeout(flushAddress, ADDRESS_DELAY);
  }
  function flushAddress() {
    if (!addressTimer) return;
    clearTimeout(addressTimer);
    addressTimer = 0;
    K.writeState(state, DEFAULTS, false);
  }
  function update(change, push) {
    flushAddress();
    Object.assign(state, change);
    if (!("page" in change)) state.page = 1;
    K.writeState(state, DEFAULTS, push);
    render();
  }

  function wire() {
    ui.skip.addEventListener("click", (event) => {
      event.preventDefault();
      /* Straight to the first result's control (its compare box, or its model link). */
      const body = ui.table.tBodies[0];
      const first = body && body.querySelector("input, a");
      (first || ui.scroll).focus();
      ui.scroll.scrollIntoView({ block: "start" });
    });
    ui.q.addEventListener("input", (event) => {
      Object.assign(state, { q: ui.q.value, page: 1 });
      addressSoon();
      renderSoon(event.timeStamp);
    });
    ui.q.addEventListener("change", () => { flushAddress(); K.writeState(state, DEFAULTS, true); });
    window.addEventListener("pagehide", flushAddress);
    for (const name of ["provider", "creator", "mode", "inMod", "outMod", "minCtx"]) {
      ui[name].addEventListener("change", () => update({ [name]: name === "minCtx" ? Number(ui[name].value) : ui[name].value }, true));
    }
    ui.family.addEventListener("change", () => update({ family: ui.family.value.trim() }, true));
    ui.maxIn.addEventListener("input", () => update({ maxIn: ui.maxIn.value }, false));
    ui.maxOut.addEventListener("input", () => update({ maxOut: ui.maxOut.value }, false));
    ui.caps.forEach((box) => box.addEventListener("change", () =>
      update({ caps: ui.caps.filter((b) => b.checked).map((b) => b.value) }, true)));
    ui.deprecated.addEventListener("change", () => update({ deprecated: ui.deprecated.checked }, true));
    ui.host.addEventListener("change", () => update({ host: ui.host.value }, true));
    ui.variant.addEventListener("change", () => update({ variant: ui.variant.value }, true));
    if (ui.longtail) {
      ui.longtail.addEventListener("change", () => update({ longtail: ui.longtail.checked ? "1" : "" }, true));
      ui.unlisted.addEventListener("change", () => update({ unlisted: ui.unlisted.checked ? "1" : "" }, true));
    }
    ui.paid.addEventListener("change", () => update({ paid: ui.paid.checked }, true));
    ui.asOf.addEventListener("change", () => {
      flushAddress();
      Object.assign(state, { as_of: ui.asOf.value, page: 1 });
      K.writeState(state, DEFAULTS, true);
      applyAsOf().then(render);
    });
    ui.tier.addEventListener("change", () => {
      flushAddress();
      Object.assign(state, { tier: ui.tier.value, page: 1 });
      K.writeState(state, DEFAULTS, true);
      applyAsOf().then(render);
    });
    ui.regional.addEventListener("change", () => {
      flushAddress();
      Object.assign(state, { regional: ui.regional.checked ? "1" : "", page: 1 });
      K.writeState(state, DEFAULTS, true);
      applyAsOf().then(render);
    });
    ui.reset.addEventListener("click", () => {
      update(Object.assign({}, K.FILTER_DEFAULTS, { caps: [], paid: DEFAULTS.paid, model: "", models: "", host: "", variant: "", longtail: "", unlisted: "" }), true);
      syncControls();
    });
    if (ui.view) ui.view.addEventListener("change", () => update({ view: ui.view.value, sort: "", dir: "" }, true));
    if (ui.columns) ui.columns.addEventListener("change", () => {
      const hidden = Array.from(ui.columns.querySelectorAll("input")).filter((b) => !b.checked).map((b) => b.value);
      update({ hide: hidden, page: state.page }, true);
    });
    if (ui.input) {
      const quantity = (box, key) => box.addEventListener("input", () => {
        const n = K.parseQuantity(box.value);
        box.setCustomValidity(isNaN(n) ? "Enter a number such as 2000, 128k or 2M" : "");
        if (!isNaN(n)) update({ [key]: n, preset: "" }, false);
      });
      quantity(ui.input, "input");
      quantity(ui.output, "output");
      quantity(ui.requests, "requests");
      ui.cached.addEventListener("input", () => {
        const n = Number(ui.cached.value);
        if (ui.cached.value !== "" && n >= 0 && n <= 100) update({ cached: n / 100, preset: "" }, false);
      });
      ui.per.addEventListener("change", () => update({ per: ui.per.value, preset: "" }, true));
      /* Switching how the workload is entered carries the figures over: the same bill either way. */
      ui.entry.addEventListener("change", () => {
        const w = workload();
        const monthly = Math.max(1, K.monthlyRequests(w));
        if (ui.entry.value === "month") {
          update({ entry: "month", month_input_tokens: String(Math.round(w.input * monthly)), month_output_tokens: String(Math.round(w.output * monthly)), preset: "" }, true);
        } else {
          update({ entry: "request", input: Math.round(w.input), output: Math.round(w.output), preset: "" }, true);
        }
        syncControls();
      });
      const monthly = (box, key) => box.addEventListener("input", () => {
        const n = K.parseQuantity(box.value);
        box.setCustomValidity(isNaN(n) ? "Enter a number such as 10M, 500k or 2_000_000" : "");
        if (!isNaN(n)) update({ [key]: box.value.trim(), preset: "" }, false);
      });
      monthly(ui.monthIn, "month_input_tokens");
      monthly(ui.monthOut, "month_output_tokens");
      ui.pickQuery.addEventListener("input", renderSuggestions);
      ui.pickQuery.addEventListener("keydown", (event) => {
        if (event.key !== "Enter") return;
        const first = ui.pickList.querySelector("[data-pick]");
        if (first) { event.preventDefault(); first.click(); }
      });
      ui.batch.addEventListener("change", () => update({ batch: ui.batch.checked, preset: "" }, true));
      ui.presets.addEventListener("click", (event) => {
        const id = event.target.closest("[data-preset]")?.dataset.preset;
        const p = id && PRESETS[id];
        if (!p) return;
        update({ input: p.input, output: p.output, cached: p.cached, requests: p.requests, per: p.per, batch: p.batch, mode: p.mode, preset: id, selected: "", entry: "request" }, true);
        syncControls();
      });
    }
    root.addEventListener("click", (event) => {
      const target = event.target;
      const sortButton = target.closest("[data-sort]");
      if (sortButton) {
        const key = sortButton.dataset.sort;
        const now = currentSort();
        const dir = now.key === key ? (now.dir === "asc" ? "desc" : "asc") : (ASCENDING_FIRST.has(key) ? "asc" : "desc");
        update({ sort: key, dir: dir }, true);
        return;
      }
      const pageButton = target.closest("[data-page]");
      if (pageButton) {
        update({ page: Number(pageButton.dataset.page) }, true);
        ui.table.scrollIntoView({ block: "nearest" });
        return;
      }
      const remove = target.closest("[data-uncompare]");
      if (remove) {
        update({ compare: state.compare.filter((k) => k !== remove.dataset.uncompare), page: state.page }, true);
        return;
      }
      const pick = target.closest("[data-pick]");
      if (pick) {
        update({ models: pickedModels().concat([pick.dataset.pick]).join(","), selected: "" }, true);
        ui.pickQuery.value = "";
        ui.pickList.replaceChildren();
        renderPicker();
        ui.pickQuery.focus();
        return;
      }
      const unpick = target.closest("[data-unpick]");
      if (unpick) {
        update({ models: pickedModels().filter((id) => id !== unpick.dataset.unpick).join(",") }, true);
        renderPicker();
        (ui.pickChips.querySelector("button") || ui.pickQuery).focus();
        return;
      }
      const exporter = target.closest("[data-export]");
      if (exporter) {
        download(exporter.dataset.export);
        return;
      }
      const shower = target.closest("[data-show-hidden]");
      if (shower) {
        const key = shower.dataset.showHidden;
        update({ [key]: state[key] ? "" : "1" }, true);
        syncControls();
        return;
      }
      if (target.closest("[data-show-all]")) {
        update({ all: state.all ? "" : "1" }, true);
        return;
      }
      if (target.closest("[data-clear-model]")) {
        update({ model: "" }, true);
        ui.q.focus();
        return;
      }
      if (target.closest("[data-tray-toggle]")) {
        trayChoice = !trayOpen();
        renderCompare();
        return;
      }
      if (target.closest("[data-clear-compare]")) {
        update({ compare: [], page: state.page }, true);
        return;
      }
      if (APP === "calculator" && !target.closest("a")) {
        const row = target.closest("tr[data-key]");
        if (row) update({ selected: row.dataset.key, page: state.page }, true);
      }
    });
    root.addEventListener("change", (event) => {
      const box = event.target.closest("[data-compare]");
      if (!box) return;
      const key = box.dataset.compare;
      let picked = state.compare.filter((k) => k !== key);
      if (box.checked) {
        if (picked.length >= COMPARE_LIMIT) {
          box.checked = false;
          ui.count.textContent = "Compare takes up to " + COMPARE_LIMIT + " offerings; remove one first.";
          return;
        }
        picked = picked.concat([key]);
      }
      update({ compare: picked, page: state.page }, true);
    });
    window.addEventListener("popstate", () => {
      clearTimeout(addressTimer); // the entry left behind keeps what it had
      addressTimer = 0;
      state = K.readState(DEFAULTS);
      syncControls();
      applyAsOf().then(render);
    });
  }

  async function start() {
    root.setAttribute("data-state", "loading");
    root.replaceChildren(h("p", { className: "knollm-hint" }, "Loading the catalog…"));
    try {
      catalog = await K.load(root.getAttribute("data-payload"));
    } catch (error) {
      root.setAttribute("data-state", "error");
      root.replaceChildren(h("p", { className: "knollm-error" }, "The explorer could not start: " + error.message));
      return;
    }
    base = catalog;
    searcher = new K.Searcher(catalog);
    buildControls();
    syncControls();
    wire();
    /* A split payload: its first part holds the most widely hosted models (explorer.py
     * explorer_files). The rest is fetched at once; meanwhile the first part is shown only when
     * it holds the view's first rows (the default order, page 1, nothing asked for by name), and
     * the count says "so far". Once the rest is in, every cache built over the first part is
     * dropped and the same view renders again. */
    const rest = catalog.more ? K.loadMore(base, root.getAttribute("data-payload")) : null;
    rest && rest.catch(() => {}); // handled where it is awaited
    await applyAsOf();
    partial = rest ? firstPartAnswers() : null;
    const shown = !rest || partial !== null;
    if (shown) {
      render();
      performance.mark("knollm:first-table");
    } else {
      ui.count.textContent = "Loading the catalog…";
    }
    if (rest) {
      try {
        catalog = base = await rest;
        asOfShown = "";
        await applyAsOf();
      } catch (error) {
        ui.count.textContent = "The rest of the catalog could not be loaded: " + error.message;
        root.setAttribute("data-state", "error");
        return;
      }
      searcher = new K.Searcher(catalog);
      resetCaches();
      partial = null;
      render();
      if (!shown) performance.mark("knollm:first-table");
    }
    performance.mark("knollm:ready");
    /* The search index is built once the table shows, not before (or on the first keystroke). */
    setTimeout(() => {
      catalog.haystack();
      setTimeout(() => catalog.bigrams(), 0);
    }, 0);
  }
  /* What the first part of a split payload alone can show of the view: "exact" when the view
   * asks for models by name and the part holds them all (it holds models whole, so the view is
   * complete, in any order); "first" for the explorer's default order (most widely hosted first),
   * its first page, with no search, provider, creator or family asked for: the right first rows,
   * counted "so far"; null otherwise (the view waits for the rest). */
  function firstPartAnswers() {
    const named = pickedModels().concat(state.model ? [state.model] : []);
    const compared = state.compare.every((key) => catalog.byKey(key) >= 0);
    if (named.length && named.every((id) => catalog.modelIndex.has(id)) && compared) return "exact";
    const sort = currentSort();
    const first = APP === "explorer" && sort.key === "hosts" && sort.dir === "desc" && state.page <= 1 && !state.q &&
      !named.length && !state.provider && !state.creator && !state.family && !state.compare.length;
    return first ? "first" : null;
  }
  function resetCaches() {
    sortCache.clear();
    costs = null; costsFor = "";
    keepMask = null; keepFor = "";
    leftOut = null; leftOutFor = "";
    hiddenMask = null; hiddenFor = "";
    mainstreamCache = null; variantKindCache = null; groupCache = null;
    fold = null; matchedMask = null;
    rowCostCache = { i: -1, result: null };
    if (creatorsFilled) {
      creatorsFilled = false;
      ui.creator.querySelectorAll("optgroup").forEach((group) => group.remove());
      fillCreators();
    }
  }
  start();
})();
