"""The client index: a compact, column-oriented copy of ``models.json`` for the ``knollm`` package.

``knollm`` answers a command in well under 150 ms only if it does not parse the full 15 MB
``models.json`` first, so the compiler also writes this file and the package bundles it. It holds
every field the client's records model (no provenance, no conflicts: ``.raw`` reads those from the
full ``models.json`` beside it on demand) and the vocabularies of :mod:`knollm_build.schema`, from
which the CLI takes its choices.

The format is a contract between the compiler and the client, which never imports this module:

- line 1, the magic line ``knollm-client-index <version>`` (:data:`INDEX_VERSION`; the client
  refuses any other version before reading further);
- line 2, the header: a JSON object with ``format`` = ``"knollm-client-index"``, ``version``,
  ``schema_version``, ``generated_at``,
  ``sources``, ``counts`` (providers, models, offerings) and ``vocab`` (``status``, ``mode``,
  ``capability``, ``modality``, ``price_basis``, ``flag``, ``provider_kind``: every value the
  schema allows, in the schema's order) and ``price_fields`` (the names of a pricing row's
  columns before its tiers: :data:`PRICE_FIELDS`);
- line 3, the body: a JSON object of tables and columns (one entry per record):

  - ``tuples``: distinct lists of strings (capabilities, modalities, variants, sources, modes),
    referred to by index, so ~18,000 offerings share ~400 lists;
  - ``pricing``: distinct price rows, each the header's ``price_fields`` values in that order,
    then the tiers as ``[above_input_tokens, input, output, cache_read]`` lists, lowest threshold
    first; row 0 is "no prices";
  - ``providers``: rows ``[id, name, api_base_url, api_style, openai_compatible, auth_env,
    website, docs_url, pricing_url, models, offerings, kind]``;
  - ``models``: columns ``id``, ``name``, ``creator``, ``family``, ``released``,
    ``open_weights``, ``context_window``, ``hosts``, ``offerings``, ``dh`` / ``rh`` (the contract's
    ``direct_hosts`` / ``routed_hosts``; the client's ``knollm.catalog.count_hosts`` counts the
    same for a catalog without them, which a test compares) and tuple indexes
    ``im``, ``om``, ``cap``, ``modes``;
  - ``offerings``: columns ``p`` (provider row), ``m`` (model row), ``api`` (the API id, ``null``
    when it equals the model id), ``name``, ``variant`` (tuple), ``mode`` / ``st`` (index into
    the vocabularies), ``price`` (pricing row), ``ctx``, ``mi``, ``mo`` (context window, max
    input and output tokens), ``im``, ``om``, ``cap``, ``src``, ``fl`` (flags) (tuples), ``dep``
    (deprecation date), ``basis`` (index into the ``price_basis`` vocabulary, -1 when the document
    does not say); ``unlisted``: the rows of offerings whose ``listed`` is false,
    ascending; ``successors``: ``[row, successor API id]`` of offerings that state one. Offerings keep the contract order (provider, then API id).
- line 4, the model-search index (apart, so a command that does not search never parses it):
  a JSON object with tables ``own`` (tokens of a model's id, name, creator and family) and
  ``hosted`` (tokens of its providers' ids and API ids that are not already its own), each
  ``vocab`` (the sorted tokens joined by newlines), ``postings`` (model rows, ascending, token
  after token) and ``offsets`` (where each token's rows start, plus the end). Tokens are the runs
  of ASCII letters and of digits of the text lower-cased, NFKD-decomposed and without combining
  diacritical marks (U+0300-U+036F), exactly as ``knollm.search.tokens`` makes them (a test
  compares the two).

Deterministic: sorted keys, tables in first-seen order over the contract's order.

Version 2 added ``listed``, ``price_basis`` and ``flags`` of offerings, ``kind`` of providers and
the direct / routed host counts of models (issues 13 and 14).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, get_args

import orjson

from knollm_build.hosts import Hosts, model_hosts, provider_kinds
from knollm_build.schema import (
    PRICE_FIELDS,
    Capability,
    Flag,
    Modality,
    Mode,
    PriceBasis,
    ProviderKind,
    Status,
)

INDEX_FORMAT = "knollm-client-index"
INDEX_VERSION = 2
FILE_NAME = "client-index.knollm"

VOCAB: dict[str, tuple[str, ...]] = {
    "status": get_args(Status),
    "mode": get_args(Mode),
    "capability": get_args(Capability),
    "modality": get_args(Modality),
    "price_basis": get_args(PriceBasis),
    "flag": get_args(Flag),
    "provider_kind": get_args(ProviderKind),
}
PROVIDER_FIELDS = (
    "id",
    "name",
    "api_base_url",
    "api_style",
    "openai_compatible",
    "auth_env",
    "website",
    "docs_url",
    "pricing_url",
    "models",
    "offerings",
    "kind",
)
TIER_FIELDS = ("above_input_tokens", "input", "output", "cache_read")


_TOKEN = re.compile(r"[a-z]+|[0-9]+")
_DIACRITICS = re.compile("[\u0300-\u036f]")


def tokens(text: str) -> list[str]:
    """Runs of ASCII letters and of digits of ``text`` lower-cased, NFKD-decomposed and without
    combining diacritical marks (U+0300-U+036F)."""
    text = text.lower()
    if not text.isascii():
        text = _DIACRITICS.sub("", unicodedata.normalize("NFKD", text))
    return _TOKEN.findall(text)


def _table(postings: dict[str, list[int]]) -> dict[str, Any]:
    vocab = sorted(postings)
    flat: list[int] = []
    offsets = [0]
    for token in vocab:
        flat += postings[token]
        offsets.append(len(flat))
    return {"vocab": "\n".join(vocab), "offsets": offsets, "postings": flat}


def search_tables(document: dict[str, Any]) -> dict[str, Any]:
    """The client's model-search index (see the module docstring)."""
    models = document["models"]
    row = {m["id"]: i for i, m in enumerate(models)}
    extra: list[list[str]] = [[] for _ in models]
    for o in document["offerings"]:
        extra[row[o["model"]]] += (o["provider"], o["provider_model_id"])
    own: dict[str, list[int]] = {}
    hosted: dict[str, list[int]] = {}
    for pos, m in enumerate(models):
        text = (
            f"{m['id']} {m.get('name') or m['id']} {m.get('creator') or ''} {m.get('family') or ''}"
        )
        words = set(tokens(text))
        for token in words:
            own.setdefault(token, []).append(pos)
        for token in set(tokens(" ".join(extra[pos]))) - words:
            hosted.setdefault(token, []).append(pos)
    return {"own": _table(own), "hosted": _table(hosted)}


class _Interner:
    """Distinct JSON-able values in first-seen order, each referred to by its index."""

    def __init__(self, *first: Any) -> None:
        self.values: list[Any] = []
        self._index: dict[bytes, int] = {}
        for value in first:
            self.add(value)

    def add(self, value: Any) -> int:
        key = orjson.dumps(value)
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.values)
            self.values.append(value)
        return found


def _price_row(pricing: dict[str, Any]) -> list[Any]:
    tiers = sorted(pricing.get("tiers") or [], key=lambda t: t["above_input_tokens"])
    return [pricing.get(name) for name in PRICE_FIELDS] + [
        [[t.get(name) for name in TIER_FIELDS] for t in tiers]
    ]


def host_counts(document: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Per model (in document order), its direct and its routed hosts, as the contract states
    them (``models[].direct_hosts`` / ``routed_hosts``, counted by assemble); for a document
    from before schema 1.2, counted here by the same rule (:mod:`knollm_build.hosts`)."""
    models = document["models"]
    if all("direct_hosts" in m for m in models):
        return [m["direct_hosts"] for m in models], [m.get("routed_hosts", 0) for m in models]
    found = model_hosts(document["offerings"], provider_kinds(document))
    empty = Hosts((), ())
    counted = [found.get(m["id"], empty) for m in models]
    return [len(h.direct) for h in counted], [len(h.routed) for h in counted]


def client_index(document: dict[str, Any]) -> bytes:
    """The client index of a ``models.json`` document (see the module docstring)."""
    tuples = _Interner([])
    prices = _Interner(_price_row({}))
    models = document["models"]
    offerings = document["offerings"]
    provider_row = {p["id"]: i for i, p in enumerate(document["providers"])}
    model_row = {m["id"]: i for i, m in enumerate(models)}
    status = {name: i for i, name in enumerate(VOCAB["status"])}
    mode = {name: i for i, name in enumerate(VOCAB["mode"])}
    basis = {name: i for i, name in enumerate(VOCAB["price_basis"])}

    model_columns: dict[str, list[Any]] = {
        name: [m.get(name) for m in models]
        for name in ("id", "name", "creator", "family", "released", "open_weights")
        + ("context_window",)
    }
    model_columns["hosts"] = [m.get("hosts", 0) for m in models]
    model_columns["offerings"] = [m.get("offerings", 0) for m in models]
    model_columns["dh"], model_columns["rh"] = host_counts(document)
    for column, key in (
        ("im", "input_modalities"),
        ("om", "output_modalities"),
        ("cap", "capabilities"),
        ("modes", "modes"),
    ):
        model_columns[column] = [tuples.add(m.get(key) or []) for m in models]

    names = ("p", "m", "api", "name", "variant", "mode", "st", "price", "ctx", "mi", "mo")
    more = ("im", "om", "cap", "src", "dep", "basis", "fl")
    columns: dict[str, list[Any]] = {name: [] for name in names + more}
    for o in offerings:
        api = o["provider_model_id"]
        columns["p"].append(provider_row[o["provider"]])
        columns["m"].append(model_row[o["model"]])
        columns["api"].append(None if api == o["model"] else api)
        columns["name"].append(o.get("name"))
        columns["variant"].append(tuples.add(o.get("variant") or []))
        columns["mode"].append(mode[o.get("mode", "chat")])
        columns["st"].append(status[o.get("status", "active")])
        columns["price"].append(prices.add(_price_row(o.get("pricing") or {})))
        columns["ctx"].append(o.get("context_window"))
        columns["mi"].append(o.get("max_input_tokens"))
        columns["mo"].append(o.get("max_output_tokens"))
        columns["im"].append(tuples.add(o.get("input_modalities") or []))
        columns["om"].append(tuples.add(o.get("output_modalities") or []))
        columns["cap"].append(tuples.add(o.get("capabilities") or []))
        columns["src"].append(tuples.add(o.get("sources") or []))
        columns["dep"].append(o.get("deprecation_date"))
        stated = o.get("price_basis")
        columns["basis"].append(-1 if stated is None else basis[stated])
        columns["fl"].append(tuples.add(o.get("flags") or []))
    columns["unlisted"] = [i for i, o in enumerate(offerings) if not o.get("listed", True)]
    columns["successors"] = [
        [i, o["successor"]] for i, o in enumerate(offerings) if o.get("successor")
    ]

    header = {
        "format": INDEX_FORMAT,
        "version": INDEX_VERSION,
        "schema_version": document["schema_version"],
        "generated_at": document["generated_at"],
        "sources": document.get("sources") or [],
        "counts": {
            "providers": len(document["providers"]),
            "models": len(models),
            "offerings": len(offerings),
        },
        "vocab": {name: list(values) for name, values in VOCAB.items()},
        "price_fields": list(PRICE_FIELDS),
    }
    body = {
        "tuples": tuples.values,
        "pricing": prices.values,
        "providers": [[p.get(name) for name in PROVIDER_FIELDS] for p in document["providers"]],
        "models": model_columns,
        "offerings": columns,
    }
    option = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
    magic = f"{INDEX_FORMAT} {INDEX_VERSION}\n".encode()
    return b"".join(
        (
            magic,
            orjson.dumps(header, option=option),
            orjson.dumps(body, option=option),
            orjson.dumps(search_tables(document), option=option),
        )
    )
