// The explorer's side of the parity tables (tests/parity/*_cases.json): node's built-in test
// runner over src_docs/md/assets/explorer/knollm-data.js, the browser script itself, loaded into
// a sandbox. tests/test_parity.py starts it (`node --test`) with KNOLLM_PARITY_PAYLOADS naming a
// directory of explorer payloads it built with knollm_build/explorer.py for these cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, "..", "..");
const PAYLOADS = process.env.KNOLLM_PARITY_PAYLOADS;
if (!PAYLOADS) throw new Error("KNOLLM_PARITY_PAYLOADS is not set: run tests/test_parity.py");

function loadKnollm() {
  const require = createRequire(join(REPO, "package.json"));
  const sandbox = { performance, console, URLSearchParams, uFuzzy: require("@leeoniya/ufuzzy") };
  sandbox.window = sandbox;
  vm.createContext(sandbox);
  const file = join(REPO, "src_docs", "md", "assets", "explorer", "knollm-data.js");
  vm.runInContext(readFileSync(file, "utf8"), sandbox, { filename: file });
  return sandbox.Knollm;
}

const K = loadKnollm();
const json = (path) => JSON.parse(readFileSync(path, "utf8"));
const pricing = json(join(HERE, "pricing_cases.json"));
const search = json(join(HERE, "search_cases.json"));
const close = (a, b) => Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b);
const PARTS = { input: "input", cached: "cache_read", output: "output", fees: "per_request" };

test("pricing cases", () => {
  const c = new K.Catalog(json(join(PAYLOADS, "pricing.json")));
  pricing.cases.forEach((k, i) => {
    const r = K.cost(c, i, { ...k.request, requests: 1, per: "month" });
    const parts = {};
    for (const [name, key] of Object.entries(PARTS)) {
      const v = r.parts[name];
      if (v != null && !Number.isNaN(v) && v !== 0) parts[key] = v;
    }
    const got = {
      total: Number.isNaN(r.perRequest) ? null : r.perRequest,
      missing: Array.from(r.missing), // from the sandbox realm
      tier: r.tier,
      cache_at_input_price: r.notes.includes("no cache price: cached tokens charged at the input price"),
    };
    const want = k.expect;
    assert.deepEqual(Object.keys(parts).sort(), Object.keys(want.parts).sort(), k.name + ": parts");
    for (const key of Object.keys(want.parts)) assert.ok(close(parts[key], want.parts[key]), `${k.name}: ${key} ${parts[key]} != ${want.parts[key]}`);
    assert.ok(got.total === want.total || (got.total !== null && want.total !== null && close(got.total, want.total)), `${k.name}: total ${got.total} != ${want.total}`);
    assert.deepEqual(got.missing, want.missing, k.name + ": missing");
    assert.equal(got.tier, want.tier, k.name + ": tier");
    assert.equal(got.cache_at_input_price, want.cache_at_input_price, k.name + ": cache note");
    if (want.total === null) assert.ok(r.unknown, k.name + ": an unknown total states its reason");
  });
});

test("search: normalise", () => {
  for (const k of search.normalise) assert.equal(K.normalise(k.text), k.expect, JSON.stringify(k.text));
});

test("search: phrases", () => {
  for (const k of search.phrases) assert.deepEqual(Array.from(K.joinedPhrases(k.query)), k.expect, k.query);
});

test("search: rank", () => {
  const c = new K.Catalog(json(join(PAYLOADS, "search.json")));
  for (const k of search.rank) {
    const found = new K.Searcher(c).search(k.query);
    const ids = [];
    for (const i of found ? found.idxs : []) {
      const id = c.models.id[c.m[i]];
      if (!ids.includes(id)) ids.push(id);
    }
    if (k.none) assert.deepEqual(ids, [], k.query);
    if (k.first) assert.deepEqual(ids.slice(0, k.first.length), k.first, k.query + ": " + ids.join(", "));
    for (const id of k.found || []) assert.ok(ids.includes(id), `${k.query}: ${id} not found in ${ids}`);
    for (const id of k.absent || []) assert.ok(!ids.includes(id), `${k.query}: ${id} found in ${ids}`);
  }
});

test("statuses come from the payload: deprecated and retired are hidden by default", () => {
  const c = new K.Catalog(json(join(PAYLOADS, "status.json")));
  const statuses = Array.from({ length: c.n }, (_, i) => c.status(i));
  assert.deepEqual(statuses, Array.from(c.statuses));
  const shown = K.makeFilter(c, { ...K.FILTER_DEFAULTS, caps: [] });
  const listed = statuses.filter((_, i) => shown(i));
  assert.deepEqual(listed, statuses.filter((s) => s !== "deprecated" && s !== "retired"));
  const all = K.makeFilter(c, { ...K.FILTER_DEFAULTS, caps: [], deprecated: true });
  assert.equal(statuses.filter((_, i) => all(i)).length, c.n);
});

const ranking = json(join(HERE, "ranking_cases.json"));

test("ranking cases: what a cost ranking takes, cheapest first", () => {
  const c = new K.Catalog(json(join(PAYLOADS, "ranking.json")));
  const w = { ...ranking.workload, requests: 1, per: "month" };
  for (const k of ranking.cases) {
    const model = k.model === undefined ? -1 : c.modelIndex.get(k.model);
    const keep = model < 0 ? null : (i) => c.m[i] === model;
    const got = Array.from(K.cheapest(c, w, k.options, keep), (i) => [c.providers.id[c.p[i]], c.apiId(i)]);
    assert.deepEqual(got, k.expect, k.name);
  }
});

test("ranking cases: direct and routed hosts", () => {
  const c = new K.Catalog(json(join(PAYLOADS, "ranking.json")));
  const got = {};
  c.models.id.forEach((id, j) => { got[id] = [c.directHosts[j], c.routedHosts[j]]; });
  assert.deepEqual(got, ranking.hosts);
});

test("ranking cases: the display order's groups (the client's display_order)", () => {
  const c = new K.Catalog(json(join(PAYLOADS, "ranking.json")));
  const want = json(join(PAYLOADS, "groups.json"));
  const got = {};
  for (let i = 0; i < c.n; i++) got[c.key(i)] = K.displayGroup(c, i);
  assert.deepEqual(got, want);
  assert.ok(new Set(Object.values(want)).size >= 3, "the cases hold several groups");
});

/* Prices as of a date (tests/parity/asof_cases.json): the ledger rule, per offering (pricesAsOf),
 * and the catalog view (asOf) whose price columns cost() prices unchanged. */
const asof = json(join(HERE, "asof_cases.json"));
const COLUMN_PRICES = { in: "input", out: "output", cr: "cache_read", cw: "cache_write", bi: "batch_input", bo: "batch_output", req: "per_request", img: "per_image" };
const plain = (value) => JSON.parse(JSON.stringify(value)); // out of the sandbox realm

test("as-of cases: the ledger rule per offering", () => {
  for (const k of asof.cases) {
    const got = K.pricesAsOf(asof.ledger, "acme", k.provider_model_id, k.date);
    if (k.expect === null) { assert.equal(got, null, k.name); continue; }
    assert.ok(got, k.name + ": no prices found");
    assert.deepEqual(plain(got.prices), k.expect.prices, k.name + ": prices");
    assert.equal(got.since, k.expect.since, k.name + ": since");
    assert.deepEqual(plain(got.sources), k.expect.sources, k.name + ": sources");
    assert.deepEqual(plain(got.older), k.expect.older, k.name + ": older");
  }
});

test("as-of cases: the catalog view prices them, unknown never $0 nor today's", () => {
  const c = new K.Catalog(json(join(PAYLOADS, "asof.json")));
  for (const k of asof.cases) {
    const view = K.asOf(c, asof.ledger, k.date);
    const i = view.byKey("acme~" + k.provider_model_id);
    assert.ok(i >= 0, k.name + ": offering not in the payload");
    assert.equal(view.asOfKnown[i], k.expect === null ? 0 : 1, k.name + ": known");
    const prices = k.expect ? k.expect.prices : {};
    for (const [col, name] of Object.entries(COLUMN_PRICES)) {
      const want = prices[name] === undefined ? NaN : prices[name];
      assert.ok(Object.is(view[col][i], want), `${k.name}: ${col} ${view[col][i]} != ${want}`);
    }
    const tiers = prices.tiers ? prices.tiers.map((t) => [t.above_input_tokens, t.input ?? null, t.output ?? null, t.cache_read ?? null]) : null;
    assert.deepEqual(plain(view.tier[i]), tiers, k.name + ": tiers");
    const r = K.cost(view, i, { ...asof.workload, requests: 1, per: "month" });
    const total = Number.isNaN(r.perRequest) ? null : r.perRequest;
    assert.ok(total === k.cost || (total !== null && k.cost !== null && close(total, k.cost)), `${k.name}: cost ${total} != ${k.cost}`);
    if (k.cost === null) assert.ok(r.unknown, k.name + ": an unknown cost states its reason");
    assert.equal(c.in[i], asof.catalog.find((e) => e.provider_model_id === k.provider_model_id).pricing.input, k.name + ": the catalog keeps today's price");
  }
});

test("as-of dates: YYYY-MM-DD or YYYY-MM, anything else is refused with a message", () => {
  assert.equal(K.parseDate("2026-01-01"), "2026-01-01");
  assert.equal(K.parseDate(" 2025-11 "), "2025-11-01");
  assert.equal(K.parseDate("2024-02-29"), "2024-02-29");
  for (const bad of ["2025-02-29", "2026-13-01", "2026-00-10", "0000-01-01", "2026-1-1", "yesterday", "", null]) {
    assert.equal(K.parseDate(bad), null, String(bad));
  }
  const c = new K.Catalog(json(join(PAYLOADS, "asof.json")));
  assert.throws(() => K.asOf(c, asof.ledger, "2026-02-30"), /"2026-02-30" is not a date \(use YYYY-MM-DD\)/);
  assert.throws(() => K.asOf(c, { entries: [{ provider: "acme", provider_model_id: "x", points: [{ since: "soon" }] }] }, "2026-01-01"), /bad date "soon"/);
});

/* Service tiers and regional endpoints (the calculator's ?tier= and ?regional=1), priced from the
 * ledger: a tier's price is never filled in from another tier, and a regional endpoint without a
 * stated uplift is unknown. Browser-only rules (the client prices the standard tier). */
test("service tier and regional prices come from the ledger, never from another tier", () => {
  const c = new K.Catalog(json(join(PAYLOADS, "asof.json")));
  const key = "acme~alpha";
  const i = Array.from({ length: c.n }, (_, j) => j).find((j) => c.key(j) === key);
  const ledger = {
    entries: [{
      provider: "acme", provider_model_id: "alpha", model: "alpha",
      points: [{ since: "2026-01-01", dated: "effective", source: "litellm", input: 1.0, output: 4.0,
        cache_write: 1.25, batch_input: 0.5, priority_input: 1.75, priority_output: 7.0, regional_uplift: 1.1 }],
    }],
  };
  const std = K.asOf(c, ledger, "2026-06-01");
  assert.deepEqual([std.in[i], std.out[i], std.bi[i]], [1.0, 4.0, 0.5]);
  const prio = K.asOf(c, ledger, "2026-06-01", { tier: "priority" });
  assert.deepEqual([prio.in[i], prio.out[i]], [1.75, 7.0]);
  assert.ok(Number.isNaN(prio.cr[i]) && Number.isNaN(prio.cw[i]) && Number.isNaN(prio.bi[i]), "not filled from standard");
  const flex = K.asOf(c, ledger, "2026-06-01", { tier: "flex" });
  assert.ok(Number.isNaN(flex.in[i]) && Number.isNaN(flex.out[i]), "a tier the offering lacks is unknown");
  assert.ok(Number.isNaN(K.cost(flex, i, { input: 1000, output: 100, cached: 0, requests: 1, per: "month" }).perRequest));
  const regional = K.asOf(c, ledger, "2026-06-01", { regional: true });
  assert.deepEqual([regional.in[i], regional.out[i]].map((v) => Math.round(v * 1000) / 1000), [1.1, 4.4]);
  const others = Array.from({ length: c.n }, (_, j) => j).filter((j) => j !== i);
  for (const j of others) assert.ok(Number.isNaN(regional.in[j]), c.key(j) + ": no uplift stated, so unknown");
  assert.throws(() => K.asOf(c, ledger, "2026-06-01", { tier: "turbo" }), /"turbo" is not a service tier/);
});
