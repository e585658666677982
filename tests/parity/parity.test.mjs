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
