/* Knollm explorer data layer: loads /data/explorer.json (see knollm_build/explorer.py for the
 * format), turns its columns into typed arrays, and provides search, filters, costs, formatting
 * and URL state shared by the explorer, calculator and charts pages. No DOM work here.
 * Every string from the data is only ever handed to textContent / attributes by the pages. */
(function () {
  "use strict";

  const PRICE_COLUMNS = ["in", "out", "cr", "cw", "bi", "bo", "req", "img"];
  const INT_COLUMNS = ["ctx", "mo"];
  const DAYS_PER_MONTH = 30;
  const FORMAT = 3; // knollm_build/explorer.py PAYLOAD_FORMAT
  /* The cost-ranking rule shared with the client (knollm/queries.py rankable, knollm/records.py;
   * tests/parity/ranking_cases.json): bases whose token prices are what the offering costs, the
   * bases whose 0 is true, and the flags that put a price in doubt. */
  const TOKEN_BASES = ["tokens", "free", "subscription"];
  const FREE_BASES = ["free", "subscription"];
  const PRICE_FLAGS = ["price_outlier", "price_out_of_range", "placeholder_price"];

  function floats(values) {
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = values[i] == null ? NaN : values[i];
    return out;
  }

  /* The text rules shared with the client's knollm/search.py (tests/parity/search_cases.json):
   * fold = lower-case, NFKD, combining diacritical marks (U+0300-U+036F) removed;
   * normalise = folded, every run of characters other than a-z 0-9 one space: "GPT-4o" -> "gpt 4o". */
  const NON_ASCII = /[^\x00-\x7f]/;
  function fold(text) {
    const out = String(text).toLowerCase();
    return NON_ASCII.test(out) ? out.normalize("NFKD").replace(/[\u0300-\u036f]/g, "") : out;
  }
  function normalise(text) {
    return fold(text).replace(/[^a-z0-9]+/g, " ").trim();
  }
  /* Each path segment without its separators: "meta/llama-3.3-70b" -> "meta llama3370b", so a
   * query typed without separators ("gpt4o", "llama3") still starts a word. */
  function squash(text) {
    return fold(text).split("/").map((part) => part.replace(/[^a-z0-9]+/g, "")).join(" ");
  }

  /* ---- format 3 decoding (knollm_build/explorer.py): derived strings and delta codes --------- */
  /* explorer.title_of: the name of a model whose payload name is null. The last "/" segment's
   * "-" parts, each upper-cased when at most 3 characters with a digit, else capitalised (Python's
   * str.capitalize on ASCII: first character upper, the rest lower). A loop, not split/map: it
   * runs for thousands of names before the first table shows. */
  function titleOf(id) {
    const start = id.lastIndexOf("/") + 1;
    let out = "";
    for (let k = start; k <= id.length;) {
      let end = id.indexOf("-", k);
      if (end < 0) end = id.length;
      const part = id.slice(k, end);
      let digit = false;
      if (part.length <= 3) {
        for (let x = 0; x < part.length && !digit; x++) digit = part.charCodeAt(x) >= 48 && part.charCodeAt(x) <= 57;
      }
      if (k > start) out += " ";
      out += digit ? part.toUpperCase() : part.charAt(0).toUpperCase() + part.slice(1).toLowerCase();
      k = end + 1;
    }
    return out;
  }
  /* Fills in, once and in place, what format 3 leaves out: offerings.m from the delta-coded dm,
   * model ids from their first offering's API id (explorer.id_of), names from ids, creators from
   * id prefixes (the creators table becomes every creator, sorted, and the codes index it). */
  function decode(raw) {
    if (raw.decoded) return raw;
    if (raw.format !== FORMAT) throw new Error("unsupported catalog data format " + raw.format);
    const o = raw.offerings, models = raw.models;
    const n = o.dm.length;
    const m = new Array(n);
    let j = 0;
    for (let i = 0; i < n; i++) m[i] = j += o.dm[i];
    o.m = m;
    const ids = models.id;
    for (let i = 0; i < n; i++) {
      if (ids[m[i]] === null && o.api[i]) ids[m[i]] = o.api[i].toLowerCase().replace(/_/g, "-");
    }
    models.name = models.name.map((name, k) => (name === null ? titleOf(ids[k]) : name));
    const own = models.creator.map((code, k) => (code === -2 ? ids[k].split("/")[0] : code >= 0 ? raw.creators[code] : null));
    raw.creatorTable = raw.creators; // the codes of a second part (merge) index this table
    setCreators(raw, own);
    raw.decoded = true;
    return raw;
  }
  function setCreators(raw, names) {
    const creators = Array.from(new Set(names.filter((name) => name !== null))).sort();
    const index = new Map(creators.map((name, k) => [name, k]));
    raw.creators = creators;
    raw.models.creator = names.map((name) => (name === null ? -1 : index.get(name)));
  }

  /* A split payload (knollm_build/explorer.py explorer_files): the first part names the second in
   * raw.more; each of the second's models and offerings columns continues the first's (dm goes on
   * with the same delta sequence, model indexes are global). Returns the first part, decoded, with
   * the second appended: the one-file payload. */
  function merge(raw, more) {
    decode(raw);
    if (more.format !== FORMAT) throw new Error("unsupported catalog data format " + more.format);
    const o = raw.offerings, models = raw.models, mo = more.offerings, mm = more.models;
    const base = models.id.length;
    const n = mo.dm.length;
    const m = new Array(n);
    let j = o.m.length ? o.m[o.m.length - 1] : 0;
    for (let i = 0; i < n; i++) m[i] = j += mo.dm[i];
    const ids = mm.id.slice();
    for (let i = 0; i < n; i++) {
      if (ids[m[i] - base] === null && mo.api[i]) ids[m[i] - base] = mo.api[i].toLowerCase().replace(/_/g, "-");
    }
    const own = mm.creator.map((code, k) => (code === -2 ? ids[k].split("/")[0] : code >= 0 ? raw.creatorTable[code] : null));
    const names = models.creator.map((k) => (k >= 0 ? raw.creators[k] : null)).concat(own);
    for (const key of Object.keys(mm)) {
      if (key === "creator") continue;
      const values = key === "id" ? ids : key === "name" ? mm.name.map((name, k) => (name === null ? titleOf(ids[k]) : name)) : mm[key];
      models[key] = models[key].concat(values);
    }
    setCreators(raw, names);
    for (const key of Object.keys(mo)) o[key] = o[key].concat(mo[key]);
    o.m = o.m.concat(m);
    delete raw.more;
    return raw;
  }

  function Catalog(raw) {
    decode(raw);
    const o = raw.offerings;
    const n = o.p.length;
    this.raw = raw;
    this.n = n;
    this.generatedAt = raw.generated_at;
    /* {url, models, offerings} of a second part still to load (Knollm.loadMore), else null. */
    this.more = raw.more || null;
    this.providers = raw.providers;
    this.models = raw.models;
    this.creators = raw.creators;
    this.families = raw.families;
    this.statuses = raw.statuses;
    this.modes = raw.modes;
    this.modalities = raw.modalities;
    this.capabilities = raw.capabilities;
    this.priceBases = raw.price_bases;
    this.flagNames = raw.flag_names;
    this.variantSets = raw.variant_sets;
    this.p = Int32Array.from(o.p);
    this.m = Int32Array.from(o.m);
    this.mode = Uint8Array.from(o.mode);
    this.st = Uint8Array.from(o.st);
    this.im = Uint32Array.from(o.im);
    this.om = Uint32Array.from(o.om);
    this.cap = Uint32Array.from(o.cap);
    this.conf = Uint16Array.from(o.conf);
    this.listed = Uint8Array.from(o.listed);
    /* Price basis: index into priceBases, -1 when the document does not say (before schema 1.1). */
    this.basis = Int8Array.from(o.basis);
    this.flags = Uint32Array.from(o.flags);
    this.variant = Int16Array.from(o.var);
    this.dep = o.dep;
    this.direct = Uint8Array.from(raw.providers.direct);
    /* Per offering: priced per token (basis tokens, free, subscription, or not stated), $0 by
     * basis, price in doubt (a price flag): the ranking rule's inputs. */
    const tokenCodes = new Set(TOKEN_BASES.map((name) => this.priceBases.indexOf(name)));
    const freeCodes = new Set(FREE_BASES.map((name) => this.priceBases.indexOf(name)));
    let priceMask = 0;
    for (const name of PRICE_FLAGS) {
      const k = this.flagNames.indexOf(name);
      if (k >= 0) priceMask |= 1 << k;
    }
    this.tokenPriced = Uint8Array.from(this.basis, (b) => (b < 0 || tokenCodes.has(b) ? 1 : 0));
    this.freeBasis = Uint8Array.from(this.basis, (b) => (freeCodes.has(b) ? 1 : 0));
    this.priceFlagged = Uint8Array.from(this.flags, (bits) => ((bits & priceMask) !== 0 ? 1 : 0));
    /* Hosts of each model: direct (not routers, resellers or plans) and routed; listed, not
     * retired (knollm_build/hosts.py). */
    this.directHosts = Int32Array.from(raw.models.direct);
    this.routedHosts = Int32Array.from(raw.models.routed);
    this.api = o.api;
    this.tier = o.tier;
    for (const c of PRICE_COLUMNS.concat(INT_COLUMNS)) this[c] = floats(o[c]);
    /* 3:1 input:output blend, the usual single-number price of a chat model. */
    this.blend = new Float64Array(n);
    for (let i = 0; i < n; i++) this.blend[i] = (3 * this.in[i] + this.out[i]) / 4;
    const released = raw.models.released;
    this.releasedTime = new Float64Array(released.length);
    for (let j = 0; j < released.length; j++) {
      const t = released[j] ? Date.parse(released[j]) : NaN;
      this.releasedTime[j] = t;
    }
    /* Deprecated (announced, still callable) and retired offerings: hidden unless asked for. */
    const inactive = new Set(["deprecated", "retired"].map((name) => raw.statuses.indexOf(name)));
    this.inactive = Uint8Array.from(this.st, (code) => (inactive.has(code) ? 1 : 0));
    this.providerIndex = new Map(raw.providers.id.map((id, i) => [id, i]));
    this.modelIndex = new Map(raw.models.id.map((id, i) => [id, i]));
    this._keys = null;
    this._haystack = null;
  }

  Catalog.prototype.status = function (i) {
    return this.statuses[this.st[i]];
  };
  Catalog.prototype.priceBasis = function (i) {
    return this.basis[i] < 0 ? null : this.priceBases[this.basis[i]];
  };
  Catalog.prototype.offeringFlags = function (i) {
    return this.flagNames.filter((_, k) => this.flags[i] & (1 << k));
  };
  Catalog.prototype.providerKind = function (p) {
    return this.providers.kind[p];
  };
  Catalog.prototype.apiId = function (i) {
    return this.api[i] || this.models.id[this.m[i]];
  };
  /* A stable key for an offering in URLs: provider id + "~" + the provider's API id. */
  Catalog.prototype.key = function (i) {
    return this.providers.id[this.p[i]] + "~" + this.apiId(i);
  };
  Catalog.prototype.byKey = function (key) {
    if (!this._keys) {
      this._keys = new Map();
      for (let i = 0; i < this.n; i++) {
        const key = this.key(i);
        if (!this._keys.has(key)) this._keys.set(key, i);
      }
    }
    const i = this._keys.get(key);
    return i === undefined ? -1 : i;
  };
  /* One search text per offering: the words of its model's name and id (also with separators
   * removed), its provider's name and id, and its API id, each word once — shorter texts are
   * what makes a scan fast. Built once, after the first table shows. */
  Catalog.prototype.haystack = function () {
    if (!this._haystack) {
      const h = new Array(this.n);
      const mid = this.models.id, mname = this.models.name, pid = this.providers.id, pname = this.providers.name;
      /* A model's own words: its name, id, creator and family (as the client's search has them). */
      const mcreator = this.models.creator, mfamily = this.models.family;
      const modelText = mname.map((name, j) => uniqueWords(normalise(name + " " + mid[j] + " " +
        (mcreator[j] >= 0 ? this.creators[mcreator[j]] : "") + " " + (mfamily[j] >= 0 ? this.families[mfamily[j]] : "")) +
        " " + squash(mid[j]) + " " + squash(name)));
      const providerText = pname.map((name, j) => uniqueWords(normalise(name + " " + pid[j])));
      for (let i = 0; i < this.n; i++) {
        const own = " " + modelText[this.m[i]] + " ";
        let text = modelText[this.m[i]];
        const extra = providerText[this.p[i]] + (this.api[i] ? " " + normalise(this.api[i]) + " " + squash(this.api[i]) : "");
        for (const word of extra.split(" ")) {
          if (word && !own.includes(" " + word + " ")) text += " " + word;
        }
        h[i] = text;
      }
      this._haystack = h;
      this.initials = wordInitials(h);
    }
    return this._haystack;
  };
  /* For every two characters that start a word somewhere, the offerings (ascending) whose text
   * has such a word. A term matches only at a word start, so its first two characters name a
   * short list that holds every match: the scan starts there instead of at every offering. */
  Catalog.prototype.bigrams = function () {
    if (!this._bigrams) {
      const hay = this.haystack();
      const lists = new Map();
      for (let i = 0; i < hay.length; i++) {
        const h = hay[i];
        for (let k = 0; k + 1 < h.length; k++) {
          if ((k > 0 && h.charCodeAt(k - 1) !== 32) || h.charCodeAt(k + 1) === 32) continue;
          const key = h.substr(k, 2);
          let list = lists.get(key);
          if (!list) lists.set(key, (list = []));
          if (list[list.length - 1] !== i) list.push(i);
        }
      }
      this._bigrams = lists;
    }
    return this._bigrams;
  };
  function uniqueWords(text) {
    return Array.from(new Set(text.split(" ").filter(Boolean))).join(" ");
  }

  /* For each text, a bit per letter (and per digit) that starts one of its words: a one-character
   * query — the first keystroke, which would otherwise scan every text — is one bit test per
   * offering. */
  function wordInitials(texts) {
    const letters = new Uint32Array(texts.length);
    const digits = new Uint16Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      const t = texts[i];
      let l = 0, d = 0;
      for (let k = 0; k < t.length; k++) {
        if (k > 0 && t.charCodeAt(k - 1) !== 32) continue;
        const code = t.charCodeAt(k);
        if (code >= 97 && code <= 122) l |= 1 << (code - 97);
        else if (code >= 48 && code <= 57) d |= 1 << (code - 48);
      }
      letters[i] = l;
      digits[i] = d;
    }
    return { letters: letters, digits: digits };
  }

  Catalog.prototype.modelUrl = function (root, j) {
    return root + "models/" + (this.models.path[j] || this.models.id[j]) + "/";
  };
  Catalog.prototype.providerUrl = function (root, p) {
    return root + "providers/" + (this.providers.path[p] || this.providers.id[p]) + "/";
  };
  Catalog.prototype.capabilityBit = function (name) {
    const k = this.capabilities.indexOf(name);
    return k < 0 ? 0 : 1 << k;
  };
  Catalog.prototype.modalityBit = function (name) {
    const k = this.modalities.indexOf(name);
    return k < 0 ? 0 : 1 << k;
  };

  /* Fuzzy search over model names and ids, provider names and ids and API ids, with uFuzzy.
   * Terms match at the start of a word (falling back to anywhere when that finds nothing).
   * Terms may come in any order; each term narrows the previous matches, and a query that
   * extends the previous one starts from its matches, so typing gets cheaper as it goes. */
  function Searcher(catalog) {
    this.catalog = catalog;
    const opts = { interLft: 2, intraMode: 0 };
    this.strict = new uFuzzy(opts);
    this.loose = new uFuzzy({ interLft: 0, intraMode: 0 });
    this.last = { key: "", raw: "", query: "", idxs: null, loose: false };
  }
  Searcher.RANK_LIMIT = 1000;
  /* Returns {idxs: ranked or in-index-order matches, ranked: bool}, or null for "everything". */
  Searcher.prototype.search = function (query) {
    const started = performance.now();
    const found = this._search(query);
    performance.measure("knollm:search", { start: started, end: performance.now() });
    return found;
  };
  Searcher.prototype._search = function (query) {
    const needle = normalise(query);
    if (!needle) {
      this.last = { key: "", raw: "", query: "", idxs: null, loose: false };
      return null;
    }
    const raw = fold(query).trim();
    const phrases = joinedPhrases(raw);
    const key = needle + "|" + phrases.join(" ");
    if (key === this.last.key && this.last.result) return this.last.result;
    const hay = this.catalog.haystack();
    const terms = needle.split(" ").sort((a, b) => b.length - a.length);
    /* Typing on: the last matches already satisfy every term the query still has, so only the
     * new or lengthened terms are searched, and only among those matches. */
    const extends_ = this.last.query && raw.startsWith(this.last.raw) && needle.startsWith(this.last.query) && this.last.idxs;
    const done = extends_ ? new Set(this.last.query.split(" ")) : new Set();
    const todo = terms.filter((t) => !done.has(t));
    const keep = (found) => (phrases.length ? found.filter((i) => phrases.every((p) => hay[i].includes(p))) : found);
    let idxs;
    let loose = false;
    if (needle.length === 1) idxs = this._initial(needle.charCodeAt(0));
    else {
      /* Start from whichever is shorter: the last matches (then only new terms are searched) or
       * the word-start list of the longest term (then every term is). */
      const head = terms[0].length >= 2 ? this.catalog.bigrams().get(terms[0].slice(0, 2)) || [] : null;
      if (extends_ && !this.last.loose && (!head || this.last.idxs.length <= head.length)) {
        idxs = keep(this._filter(this.strict, hay, todo, this.last.idxs));
      } else if (head && terms.length === 1 && terms[0].length === 2) {
        idxs = keep(head.slice()); // a two-character word start: the list is the answer
      } else {
        idxs = keep(this._filter(this.strict, hay, terms, head ? head.slice() : null));
      }
    }
    if (idxs.length === 0) {
      loose = true;
      idxs = keep(extends_ && this.last.loose
        ? this._filter(this.loose, hay, todo, this.last.idxs)
        : this._filter(this.loose, hay, terms, null));
    }
    this.last = { key: key, raw: raw, query: needle, idxs: idxs, loose: loose, result: null };
    this.last.result = this._rank(needle, terms, idxs, loose);
    return this.last.result;
  };
  /* A typed word with separators inside ("3.3", "gpt-4o", "openai/gpt-4o") also has to appear
   * with them removed ("33", "gpt4o"), as the search texts hold every id that way too: so
   * "llama 3.3 70b" finds Llama 3.3, not Llama 3.1 as well. */
  function joinedPhrases(query) {
    const out = [];
    for (const word of fold(query).split(/\s+/)) {
      for (const part of word.split("/")) {
        if (/[a-z0-9][^a-z0-9]+[a-z0-9]/.test(part)) out.push(part.replace(/[^a-z0-9]+/g, ""));
      }
    }
    return out;
  }
  Searcher.prototype._rank = function (needle, terms, idxs, loose) {
    const hay = this.catalog.haystack();
    if (idxs.length > 0 && idxs.length <= Searcher.RANK_LIMIT) {
      const uf = loose ? this.loose : this.strict;
      const [found, , order] = uf.search(hay, needle, terms.length > 1 ? 3 : 0, Searcher.RANK_LIMIT, idxs.slice());
      if (found && order) {
        /* uFuzzy's order (tight, early, short matches first) within each level of popularity:
         * "llama 70b" should open on the Llama 70B that 40 providers serve, not a rare fine-tune. */
        const hosts = this.catalog.models.hosts, m = this.catalog.m;
        const ranked = order.map((k) => found[k]).concat(missing(found, idxs));
        ranked.sort((a, b) => hosts[m[b]] - hosts[m[a]]);
        return { idxs: ranked, ranked: true };
      }
    }
    return { idxs: idxs, ranked: false };
  };
  Searcher.prototype._initial = function (code) {
    const out = [];
    const letter = code >= 97 && code <= 122, digit = code >= 48 && code <= 57;
    if (!letter && !digit) return out;
    const column = letter ? this.catalog.initials.letters : this.catalog.initials.digits;
    const bit = 1 << (code - (letter ? 97 : 48));
    for (let i = 0; i < column.length; i++) if (column[i] & bit) out.push(i);
    return out;
  };
  Searcher.prototype._filter = function (uf, hay, terms, start) {
    let idxs = start;
    if (terms.length === 0) return idxs ? idxs.slice() : [];
    for (const term of terms) {
      if (idxs && idxs.length === 0) break;
      idxs = uf.filter(hay, term, idxs) || [];
    }
    return idxs || [];
  };
  /* Matches that the ranking pass dropped (more than 3 terms out of order) keep their place at the end. */
  function missing(found, all) {
    if (found.length === all.length) return [];
    const seen = new Set(found);
    return all.filter((i) => !seen.has(i));
  }

  /* Filters: one predicate over offering indices, built once per state change. */
  function makeFilter(catalog, state) {
    const c = catalog;
    const provider = state.provider ? c.providerIndex.get(state.provider) : undefined;
    const creator = state.creator ? c.creators.indexOf(state.creator) : -2;
    const family = state.family ? c.families.indexOf(state.family) : -2;
    const mode = state.mode ? c.modes.indexOf(state.mode) : -2;
    const im = state.inMod ? c.modalityBit(state.inMod) : 0;
    const om = state.outMod ? c.modalityBit(state.outMod) : 0;
    let caps = 0;
    let openOnly = false;
    for (const name of state.caps) {
      if (name === "open_weights") openOnly = true;
      else caps |= c.capabilityBit(name);
    }
    const minCtx = state.minCtx || 0;
    const maxIn = state.maxIn === "" || state.maxIn == null ? Infinity : Number(state.maxIn);
    const maxOut = state.maxOut === "" || state.maxOut == null ? Infinity : Number(state.maxOut);
    const showDeprecated = state.deprecated;
    /* paid: the calculator's cost ranking, by the rule of rankable() (no $0, no flagged price
     * unless state.flagged, nothing priced per image, second, ... as tokens), plus offerings
     * with no token price at all (listed last as unknown). Unlisted offerings are hidden unless
     * state.unlisted, in every view. */
    const paidOnly = !!state.paid;
    const mCreator = c.models.creator, mFamily = c.models.family, mOpen = c.models.open;
    /* A filter naming something the data doesn't have matches nothing (not everything). */
    const impossible = (state.provider && provider === undefined) || creator === -1 || family === -1 || mode === -1 ||
      (state.inMod && !im) || (state.outMod && !om);
    return function (i) {
      if (impossible) return false;
      if (provider !== undefined && c.p[i] !== provider) return false;
      const j = c.m[i];
      if (creator >= 0 && mCreator[j] !== creator) return false;
      if (family >= 0 && mFamily[j] !== family) return false;
      if (mode >= 0 && c.mode[i] !== mode) return false;
      if (im && (c.im[i] & im) !== im) return false;
      if (om && (c.om[i] & om) !== om) return false;
      if (caps && (c.cap[i] & caps) !== caps) return false;
      if (openOnly && mOpen[j] !== 1) return false;
      if (minCtx && !(c.ctx[i] >= minCtx)) return false;
      if (maxIn !== Infinity && !(c.in[i] <= maxIn)) return false;
      if (maxOut !== Infinity && !(c.out[i] <= maxOut)) return false;
      if (!showDeprecated && c.inactive[i]) return false;
      /* Unlisted, flagged and not-per-token offerings are not filtered here: the explorer hides
       * and the calculator leaves them out with a count and a way to show them
       * (knollm-explorer.js), by the rankable() rule's inputs. */
      if (paidOnly && isFree(c, i)) return false;
      return true;
    };
  }

  /* No token price at all: the calculator lists such an offering last, its cost "unknown"
   * (cost() never counts a missing price as 0), so it is never ranked as cheap. */
  function unpriced(c, i) {
    return Number.isNaN(c.in[i]) && Number.isNaN(c.out[i]);
  }

  /* $0 offering: a free or subscription basis, or both token prices known and 0 (the client's
   * Offering.is_free). */
  function isZero(c, i) {
    return c.freeBasis[i] === 1 || (c.in[i] === 0 && c.out[i] === 0);
  }

  /* Whether offering i enters a token-cost ranking (the client's knollm.queries.rankable with
   * Criteria.listed): priced per token (never per image, second, request or character, or an
   * unknown basis); not $0 unless opts.free; no price flag unless opts.flagged; listed unless
   * opts.unlisted. */
  function rankable(c, i, opts) {
    const o = opts || {};
    return c.tokenPriced[i] === 1 && (o.free || !isZero(c, i)) &&
      (o.flagged || c.priceFlagged[i] === 0) && (o.unlisted || c.listed[i] === 1);
  }

  /* Where offering i sorts among others by price (the client's knollm.queries.display_order,
   * its first key): 0 what a cost ranking takes, 1 a $0 offering it takes only with free (free
   * tiers, plans), 2 the rest that is listed (a price in doubt, or not per token), 3 unlisted. */
  function displayGroup(c, i) {
    if (c.listed[i] !== 1) return 3;
    return rankable(c, i) ? 0 : rankable(c, i, { free: true }) ? 1 : 2;
  }

  /* Offerings (those `keep` accepts, all when it is absent) a cost ranking takes, cheapest
   * first for the workload w (as cost() prices it), ties in catalog order; those whose cost is
   * unknown are left out, as the client's Catalog.cheapest does. */
  function cheapest(c, w, opts, keep) {
    const found = [];
    for (let i = 0; i < c.n; i++) {
      if ((keep && !keep(i)) || !rankable(c, i, opts)) continue;
      const total = cost(c, i, w).perRequest;
      if (!Number.isNaN(total)) found.push([total, i]);
    }
    found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return found.map((pair) => pair[1]);
  }

  /* Free: priced, and every known price is 0 (an offering without prices is unknown, not free). */
  function isFree(c, i) {
    let known = false;
    for (const col of [c.in, c.out, c.req, c.img]) {
      const v = col[i];
      if (v > 0) return false;
      if (v === 0) known = true;
    }
    return known;
  }

  /* Cost of one request of workload w at offering i: the one rule the client's
   * knollm/costs.py also follows, held together by tests/parity/pricing_cases.json.
   * - Context tiers: the tier with the highest threshold the request's input exceeds replaces
   *   the base input, output and cache-read prices it states (the others stay).
   * - Cache: cached tokens at the cache-read price; without one, at the input price (noted).
   * - Batch: the batch input and output prices, never the standard ones: a missing batch price
   *   means "not available in batch" and leaves that part unknown.
   * - A missing price is never counted as zero: the part is unknown, listed in `missing`
   *   (input, output, cache_read, batch_input, batch_output), and the total is NaN (the
   *   calculator sorts such rows last and shows `unknown`, the reason). */
  function tierFor(tiers, requestInput) {
    let chosen = null;
    for (const t of tiers || []) if (requestInput > t[0] && (!chosen || t[0] > chosen[0])) chosen = t;
    return chosen;
  }
  const MISSING_REASONS = {
    batch_input: "not available in batch (no batch input price)",
    batch_output: "not available in batch (no batch output price)",
    input: "no input price",
    output: "no output price",
    cache_read: "no cache or input price",
  };
  function cost(c, i, w) {
    const notes = [];
    const missing = [];
    const inputTokens = Math.max(0, w.input || 0);
    const outputTokens = Math.max(0, w.output || 0);
    const share = Math.min(1, Math.max(0, w.cached || 0));
    let pin = c.in[i], pout = c.out[i], pcr = c.cr[i];
    let tier = null;
    const t = tierFor(c.tier[i], inputTokens);
    if (t) {
      tier = t[0];
      if (t[1] != null) pin = t[1];
      if (t[2] != null) pout = t[2];
      if (t[3] != null) pcr = t[3];
      notes.push("long-context price (above " + formatTokens(t[0]) + " input tokens)");
    }
    if (w.batch) {
      pin = c.bi[i];
      pout = c.bo[i];
      if (isNaN(pin) && inputTokens > 0) missing.push("batch_input");
      if (isNaN(pout) && outputTokens > 0) missing.push("batch_output");
    }
    const cachedTokens = inputTokens * share;
    const freshTokens = inputTokens - cachedTokens;
    const parts = { input: null, cached: null, output: null, fees: null };
    if (freshTokens > 0) {
      if (!isNaN(pin)) parts.input = (freshTokens * pin) / 1e6;
      else if (!w.batch) missing.push("input");
    } else parts.input = 0;
    if (cachedTokens > 0) {
      if (!isNaN(pcr)) parts.cached = (cachedTokens * pcr) / 1e6;
      else if (!isNaN(pin)) {
        parts.cached = (cachedTokens * pin) / 1e6;
        notes.push("no cache price: cached tokens charged at the input price");
      } else if (!w.batch) missing.push("cache_read");
    } else parts.cached = 0;
    if (outputTokens > 0) {
      if (!isNaN(pout)) parts.output = (outputTokens * pout) / 1e6;
      else if (!w.batch) missing.push("output");
    } else parts.output = 0;
    parts.fees = c.req[i] > 0 ? c.req[i] : 0;
    const unknown = missing.length ? MISSING_REASONS[missing[0]] : null;
    const perRequest = unknown ? NaN : parts.input + parts.cached + parts.output + parts.fees;
    const requests = monthlyRequests(w);
    return {
      perRequest: perRequest,
      monthly: perRequest * requests,
      requests: requests,
      parts: parts,
      prices: { input: pin, cached: pcr, output: pout },
      tier: tier,
      notes: notes,
      missing: missing,
      unknown: unknown,
    };
  }

  function monthlyRequests(w) {
    const r = Math.max(0, w.requests || 0);
    return w.per === "day" ? r * DAYS_PER_MONTH : r;
  }

  /* ---- formatting ------------------------------------------------------------------------ */
  function formatTokens(n) {
    if (n == null || isNaN(n)) return "—";
    if (n >= 1e6) return trim(n / 1e6) + "M";
    if (n >= 1e3) return trim(n / 1e3) + "k";
    return String(n);
  }
  function trim(x) {
    return x >= 100 ? String(Math.round(x)) : String(Math.round(x * 10) / 10);
  }
  function formatPrice(x) {
    if (x == null || isNaN(x)) return "—";
    if (x === 0) return "$0";
    if (x < 0.01) return "$" + small(x);
    if (x >= 1000) return "$" + Math.round(x).toLocaleString("en-US");
    if (x >= 1) return "$" + x.toFixed(2);
    return "$" + x.toFixed(3).replace(/(\.\d\d)0$/, "$1");
  }
  /* A few significant digits without trailing zeros: 0.0080 -> "0.008", 0.000192 -> "0.000192". */
  function small(x, digits) {
    const text = String(Number(x.toPrecision(digits || 2)));
    return text.includes("e") ? x.toPrecision(digits || 2) : text;
  }
  function formatMoney(x) {
    if (x == null || isNaN(x)) return "—";
    if (x === 0) return "$0.00";
    if (x < 0.01) return "$" + small(x, 3);
    return "$" + x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  /* "128k", "2M", "1_000", "1,000" -> number; NaN when it isn't one. */
  function parseQuantity(text) {
    const m = /^\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s*([kKmM]?)\s*$/.exec(String(text));
    if (!m) return NaN;
    const base = Number(m[1].replace(/[_,]/g, ""));
    const unit = m[2].toLowerCase();
    return unit === "k" ? base * 1e3 : unit === "m" ? base * 1e6 : base;
  }

  /* ---- URL state -------------------------------------------------------------------------- */
  const FILTER_DEFAULTS = {
    q: "", provider: "", creator: "", family: "", mode: "", inMod: "", outMod: "",
    caps: [], minCtx: 0, maxIn: "", maxOut: "", deprecated: false, unlisted: false, flagged: false,
  };
  const PARAMS = {
    q: "search", provider: "provider", creator: "creator", family: "family", mode: "mode", inMod: "in",
    outMod: "out", caps: "cap", minCtx: "ctx", maxIn: "max_in", maxOut: "max_out", deprecated: "deprecated",
    unlisted: "unlisted", flagged: "flagged",
    view: "view", sort: "sort", dir: "dir", page: "page", hide: "hide", compare: "compare",
    input: "input_tokens", output: "output_tokens", cached: "cached", requests: "requests", per: "per",
    batch: "batch", paid: "paid", selected: "offering", preset: "preset", model: "model", chart: "chart", colour: "colour",
  };
  const LISTS = new Set(["caps", "hide", "compare"]);
  const NUMBERS = new Set(["minCtx", "page", "input", "output", "cached", "requests"]);
  const BOOLS = new Set(["deprecated", "batch", "paid", "unlisted", "flagged"]);

  function readState(defaults, search) {
    const params = new URLSearchParams(search === undefined ? location.search : search);
    const state = Object.assign({}, defaults);
    for (const key of Object.keys(defaults)) {
      const name = PARAMS[key] || key;
      if (!params.has(name)) continue;
      const value = params.get(name);
      if (LISTS.has(key)) state[key] = value ? value.split(",").filter(Boolean) : [];
      else if (NUMBERS.has(key)) {
        const n = parseQuantity(value);
        if (!isNaN(n)) state[key] = n;
      } else if (BOOLS.has(key)) state[key] = value === "1" || value === "true";
      else state[key] = value;
    }
    return state;
  }

  function stateQuery(state, defaults) {
    const params = new URLSearchParams();
    for (const key of Object.keys(defaults)) {
      const value = state[key];
      const base = defaults[key];
      const name = PARAMS[key] || key;
      if (LISTS.has(key)) {
        if (value.length && value.join(",") !== base.join(",")) params.set(name, value.join(","));
      } else if (BOOLS.has(key)) {
        if (value !== base) params.set(name, value ? "1" : "0");
      } else if (value !== base && value !== "" && value != null) params.set(name, String(value));
    }
    const text = params.toString();
    return text ? "?" + text : "";
  }

  function writeState(state, defaults, push) {
    const query = stateQuery(state, defaults);
    if (query === location.search) return;
    const url = location.pathname + query + location.hash;
    if (push) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
  }

  async function fetchJson(url) {
    const response = await fetch(url, { cache: "default" });
    if (!response.ok) throw new Error("could not load the catalog data (" + response.status + ")");
    return response.json();
  }
  async function load(url) {
    return new Catalog(await fetchJson(url));
  }
  /* The catalog with its second part appended (the same catalog when there is none). */
  async function loadMore(catalog, url) {
    if (!catalog.more) return catalog;
    const more = await fetchJson(new URL(catalog.more.url, new URL(url, location.href)).href);
    return new Catalog(merge(catalog.raw, more));
  }
  async function loadAll(url) {
    return loadMore(await load(url), url);
  }

  /* ---- prices as of a date: the price ledger (/data/history.json, knollm_build/history.py) ---- */
  /* The rule of the client's knollm/history.py PriceHistory.pricing_as_of, held together by
   * tests/parity/asof_cases.json: for each price, the newest ledger point on or before the date
   * that states it (on one date the point listed first wins: the ledger lists the winning source
   * first). A price no point states by then stays unknown: it is never taken from a later point
   * or from today's catalog. Dates are YYYY-MM-DD; a YYYY-MM point starts on the 1st. */
  const LEDGER_PRICES = [ // knollm/records.py PRICE_FIELDS, in its order, then the tiers
    "input", "output", "cache_read", "cache_write", "reasoning", "input_audio", "output_audio",
    "batch_input", "batch_output", "per_request", "per_image", "per_second", "cache_write_1h",
    "priority_input", "priority_output", "priority_cache_read", "flex_input", "flex_output",
    "flex_cache_read", "fast_input", "fast_output", "fast_cache_read", "off_peak_input",
    "off_peak_output", "off_peak_cache_read", "per_search", "regional_uplift", "tiers",
  ];
  const COLUMN_PRICES = { in: "input", out: "output", cr: "cache_read", cw: "cache_write", bi: "batch_input", bo: "batch_output", req: "per_request", img: "per_image" };
  const LEDGER_DATE = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/;
  /* "YYYY-MM-DD" (or "YYYY-MM", read as its 1st) as "YYYY-MM-DD"; null when it is not a date. */
  function parseDate(text) {
    const m = typeof text === "string" ? LEDGER_DATE.exec(text.trim()) : null;
    if (!m) return null;
    const year = Number(m[1]), month = Number(m[2]), day = Number(m[3] || "01");
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
    if (year < 1 || !days || day < 1 || day > days) return null;
    return m[1] + "-" + m[2] + "-" + (m[3] || "01");
  }
  /* The ledger's points per offering key (provider + "~" + provider model id), dates
   * normalised; built once per decoded ledger. Throws on a document that is not a ledger. */
  function ledgerIndex(ledger) {
    if (ledger && ledger._index) return ledger._index;
    if (!ledger || !Array.isArray(ledger.entries)) throw new Error("the price ledger is not a Knollm history.json (no entries)");
    const index = new Map();
    for (const entry of ledger.entries) {
      if (!entry || !Array.isArray(entry.points)) throw new Error("the price ledger is not a Knollm history.json (an entry without points)");
      index.set(entry.provider + "~" + entry.provider_model_id, entry.points.map((point) => {
        const since = point.since == null ? null : parseDate(point.since);
        if (point.since != null && since === null) throw new Error("the price ledger is not a Knollm history.json (bad date " + JSON.stringify(point.since) + ")");
        return { since: since, source: point.source, point: point };
      }));
    }
    Object.defineProperty(ledger, "_index", { value: index });
    return index;
  }
  /* One offering's prices in force on `day` (normalised), from its ledger points: {date, prices
   * (field -> value, "tiers" included), since (date of the newest point used, null: the price
   * before the first dated change), sources (newest first), older (prices from an older point)};
   * null when no point is that old. */
  function pricesAt(points, day) {
    const usable = (points || []).filter((p) => p.since === null || p.since <= day);
    if (!usable.length) return null;
    let newest = "";
    for (const p of usable) if ((p.since || "") > newest) newest = p.since;
    /* Newest first; on one date the ledger's order is kept (sort is stable). */
    const ordered = usable.slice().sort((a, b) => ((a.since || "") > (b.since || "") ? -1 : (a.since || "") < (b.since || "") ? 1 : 0));
    const prices = {}, sources = [], older = [];
    for (const p of ordered) {
      let took = false;
      for (const name of LEDGER_PRICES) {
        const value = p.point[name];
        if (Object.prototype.hasOwnProperty.call(prices, name) || value == null || (Array.isArray(value) && value.length === 0)) continue;
        prices[name] = value;
        took = true;
        if ((p.since || "") !== newest) older.push(name);
      }
      if (took && !sources.includes(p.source)) sources.push(p.source);
    }
    return { date: day, prices: prices, since: newest || null, sources: sources, older: older };
  }
  function pricesAsOf(ledger, provider, providerModelId, date) {
    const day = parseDate(date);
    if (day === null) throw new Error(JSON.stringify(String(date)) + " is not a date (use YYYY-MM-DD)");
    return pricesAt(ledgerIndex(ledger).get(provider + "~" + providerModelId), day);
  }
  /* The catalog priced as of `date`: a view whose price columns (in, out, cr, cw, bi, bo, req,
   * img, tier, blend) hold the ledger's prices on that date, so cost(), sorting and filters use
   * them unchanged; every other column, the search index and byKey are the catalog's own.
   * asOfKnown[i] is 0 for an offering with no ledger point that old (all its prices unknown);
   * asOfSince / asOfSources say which points priced it. Throws on a date that is not a date. */
  /* Service tiers whose token prices the contract carries (knollm_build/schema.py Pricing:
   * priority_input, flex_output, fast_cache_read, off_peak_input ...); "standard" is the plain
   * price. Only input, output and cache read exist per tier. */
  const SERVICE_TIERS = ["standard", "priority", "flex", "fast", "off_peak"];
  const TIER_COLUMNS = { in: "input", out: "output", cr: "cache_read" };
  const UPLIFTED = ["in", "out", "cr", "cw", "bi", "bo", "req", "img"];
  /* Which ledger price fills column `col` under a service tier; null: that tier has no such
   * price (cache writes, batch and long-context tiers exist for the standard tier only). A
   * price the chosen tier does not state stays unknown: never filled in from another tier. */
  function tierField(col, tier) {
    if (!tier || tier === "standard") return COLUMN_PRICES[col];
    if (TIER_COLUMNS[col]) return tier + "_" + TIER_COLUMNS[col];
    return col === "req" || col === "img" ? COLUMN_PRICES[col] : null; // fees, not token prices
  }
  function asOf(catalog, ledger, date, options) {
    const day = parseDate(date);
    if (day === null) throw new Error(JSON.stringify(String(date)) + " is not a date (use YYYY-MM-DD)");
    const opts = options || {};
    const tier = opts.tier || "standard";
    if (!SERVICE_TIERS.includes(tier)) throw new Error(JSON.stringify(String(tier)) + " is not a service tier (" + SERVICE_TIERS.join(", ") + ")");
    const regional = !!opts.regional;
    const index = ledgerIndex(ledger);
    const n = catalog.n;
    const view = Object.create(catalog);
    for (const col of PRICE_COLUMNS) view[col] = new Float64Array(n).fill(NaN);
    view.tier = new Array(n).fill(null);
    view.asOfDate = day;
    view.serviceTier = tier;
    view.regional = regional;
    view.asOfKnown = new Uint8Array(n);
    view.asOfSince = new Array(n).fill(null);
    view.asOfSources = new Array(n).fill(null);
    for (let i = 0; i < n; i++) {
      const found = pricesAt(index.get(catalog.key(i)), day);
      if (!found) continue;
      view.asOfKnown[i] = 1;
      view.asOfSince[i] = found.since;
      view.asOfSources[i] = found.sources;
      for (const col of PRICE_COLUMNS) {
        const name = tierField(col, tier);
        const value = name === null ? null : found.prices[name];
        if (typeof value === "number") view[col][i] = value;
      }
      if (regional) { // a regional endpoint: the stated uplift on every price, else unknown
        const uplift = found.prices.regional_uplift;
        for (const col of UPLIFTED) view[col][i] = typeof uplift === "number" ? view[col][i] * uplift : NaN;
      }
      const tiers = tier === "standard" && !regional ? found.prices.tiers : null;
      if (tiers) {
        view.tier[i] = tiers.slice().sort((a, b) => a.above_input_tokens - b.above_input_tokens)
          .map((t) => [t.above_input_tokens, t.input == null ? null : t.input, t.output == null ? null : t.output, t.cache_read == null ? null : t.cache_read]);
      }
    }
    view.blend = new Float64Array(n);
    for (let i = 0; i < n; i++) view.blend[i] = (3 * view.in[i] + view.out[i]) / 4;
    view.haystack = () => catalog.haystack();
    view.bigrams = () => catalog.bigrams();
    view.byKey = (key) => catalog.byKey(key);
    return view;
  }
  /* The price ledger, fetched once per address (only when a page asks for prices as of a date). */
  const ledgers = new Map();
  function loadLedger(url) {
    if (!ledgers.has(url)) {
      ledgers.set(url, fetch(url, { cache: "default" }).then((response) => {
        if (!response.ok) throw new Error("could not load the price history (" + response.status + ")");
        return response.json();
      }).then((ledger) => { ledgerIndex(ledger); return ledger; }).catch((error) => { ledgers.delete(url); throw error; }));
    }
    return ledgers.get(url);
  }

  window.Knollm = {
    load, loadMore, loadAll, decode, merge, fold, normalise, joinedPhrases, Catalog, Searcher, makeFilter, rankable, displayGroup, cheapest, cost, monthlyRequests, formatTokens, formatPrice,
    formatMoney, parseQuantity, readState, writeState, stateQuery, FILTER_DEFAULTS, DAYS_PER_MONTH,
    parseDate, ledgerIndex, pricesAsOf, asOf, loadLedger, SERVICE_TIERS,
  };
})();
