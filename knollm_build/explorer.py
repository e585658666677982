"""The explorer payload: a compact, column-oriented view of ``models.json`` for the browser.

The site's explorer, calculator and charts fetch this one file (``explorer.json``). It holds
what they filter, sort, price and link on — no provenance, no conflict details — laid out
as one array per field so that repeated keys are not spelled out ~15,000 times and the
browser can turn each column into a typed array. Strings (providers, creators, families,
modes) are stored once in tables and referenced by index.

Format (``format`` = 3), every ``offerings`` column has one entry per offering:

- ``providers``: ``id``, ``name``, ``path`` (site URL slug, ``null`` when it equals the id),
  ``kind`` (the schema's provider kind or ``null``), ``direct`` (1 for a direct host: first
  party, cloud, inference host or no kind; 0 for a router, reseller or subscription plan);
- ``models``: ``id`` (``null``: derived, see below), ``name`` (``null``: derived),
  ``creator`` / ``family`` (index into ``creators`` / ``families``, -1 for none; a creator of
  -2 is the id's first ``/`` segment), ``released`` (date or ``null``), ``open`` (1, 0 or
  ``null``), ``hosts`` (distinct providers), ``direct`` / ``routed`` (distinct direct hosts and
  routers with a listed, not retired offering: :mod:`knollm_build.hosts`), ``path``;
- ``offerings``: ``dm`` the model index, delta-coded (the first entry is the index, each next
  one the difference from the one before), ``p`` provider index, ``api`` the provider's API id
  (``""`` when it is the model id), ``mode`` index into ``modes``, ``st`` index into
  ``statuses``, ``dep`` deprecation date or ``null``, ``listed`` 1 or 0, ``basis`` index into
  ``price_bases`` (-1: not stated), ``flags`` bit set over ``flag_names``, ``var`` index into ``variant_sets``
  (-1: the plain offering), ``ctx`` context window, ``mo`` max output tokens, prices in
  USD per 1M tokens ``in``, ``out``, ``cr`` (cache read), ``cw`` (cache write), ``bi`` /
  ``bo`` (batch input / output), ``req`` (per request, USD), ``img`` (per image, USD),
  ``tier`` (every context tier, lowest threshold first, each ``[above_input_tokens, input,
  output, cache_read]``; ``null`` without tiers), ``im`` / ``om`` input / output modality bit
  sets over ``modalities``, ``cap`` capability bit set over ``capabilities``, ``conf`` number
  of conflicts.

Derived strings (ASCII only, so the browser's rules give the same bytes):

- a model id of ``null`` is the API id of the model's first offering, lower-cased, with every
  ``_`` turned into ``-`` (community fine-tunes: ``Org/Model_Name`` -> ``org/model-name``);
- a model name of ``null`` is :func:`title_of` its id: the last ``/`` segment split on ``-``,
  each part upper-cased when it is at most 3 characters and holds a digit, else capitalised.

The vocabularies ``statuses``, ``modes``, ``modalities``, ``capabilities``, ``price_bases``,
``flag_names`` and ``provider_kinds`` are the schema's (:mod:`knollm_build.schema`), in its
order, so the browser never holds a copied list.
Format 2 (issue 12): ``tier`` holds every tier (format 1 held the first only) and ``statuses``
replaced the hand-written status codes. Format 3 (issues 13, 15): listed, price basis, flags,
variants, deprecation dates, provider kinds and direct-host counts; derived ids, names and
creators and the delta-coded ``dm`` bring the full catalog under 300 KB gzipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

from knollm_build.hosts import counts_as_host, is_direct, model_hosts, provider_kinds
from knollm_build.schema import (
    Capability,
    Flag,
    Modality,
    Mode,
    PriceBasis,
    ProviderKind,
    Status,
)

PAYLOAD_FORMAT = 3
MODES: tuple[str, ...] = get_args(Mode)
MODALITIES: tuple[str, ...] = get_args(Modality)
CAPABILITIES: tuple[str, ...] = get_args(Capability)
STATUSES: tuple[str, ...] = get_args(Status)
PRICE_BASES: tuple[str, ...] = get_args(PriceBasis)
FLAGS: tuple[str, ...] = get_args(Flag)
PROVIDER_KINDS: tuple[str, ...] = get_args(ProviderKind)
STATUS = {name: i for i, name in enumerate(STATUSES)}
PRICE_COLUMNS = {
    "in": "input",
    "out": "output",
    "cr": "cache_read",
    "cw": "cache_write",
    "bi": "batch_input",
    "bo": "batch_output",
    "req": "per_request",
    "img": "per_image",
}
DERIVED_CREATOR = -2
"""``models.creator`` value meaning: the creator is the model id's first ``/`` segment."""

Slug = Callable[[str], str]


def bits(values: list[str], order: tuple[str, ...]) -> int:
    """A bit set of ``values`` over ``order`` (bit i = ``order[i]``); unknown values are ignored."""
    out = 0
    for value in values:
        if value in order:
            out |= 1 << order.index(value)
    return out


def title_of(model_id: str) -> str:
    """The name the browser derives from a model id (format 3, ``models.name`` of ``null``)."""
    return " ".join(
        part.upper() if len(part) <= 3 and any(c.isdigit() for c in part) else part.capitalize()
        for part in model_id.split("/")[-1].split("-")
    )


def id_of(api_id: str) -> str:
    """The model id the browser derives from an API id (format 3, ``models.id`` of ``null``)."""
    return api_id.lower().replace("_", "-")


def _table(values: list[str | None]) -> tuple[list[str], dict[str, int]]:
    names = sorted({v for v in values if v})
    return names, {name: i for i, name in enumerate(names)}


def _path(slug: Slug | None, identifier: str) -> str | None:
    if slug is None:
        return None
    path = slug(identifier)
    return None if path == identifier else path


def _tiers(pricing: dict[str, Any]) -> list[list[Any]] | None:
    tiers = sorted(pricing.get("tiers") or [], key=lambda t: t["above_input_tokens"])
    if not tiers:
        return None
    return [
        [tier["above_input_tokens"], tier.get("input"), tier.get("output"), tier.get("cache_read")]
        for tier in tiers
    ]


def _model_ids(models: list[dict[str, Any]], offerings: list[dict[str, Any]]) -> list[str | None]:
    """Each model's id, or ``None`` where the browser derives it from its first offering."""
    first: dict[str, str] = {}
    for o in offerings:
        first.setdefault(o["model"], o["provider_model_id"])
    out: list[str | None] = []
    for m in models:
        api = first.get(m["id"], m["id"])
        derivable = api != m["id"] and api.isascii() and id_of(api) == m["id"]
        out.append(None if derivable else m["id"])
    return out


def _creators(models: list[dict[str, Any]]) -> tuple[list[str], list[int]]:
    """The creators table (only those not derived from ids) and each model's creator code."""

    def derived(m: dict[str, Any]) -> bool:
        return "/" in m["id"] and m.get("creator") == m["id"].split("/")[0]

    table, index = _table([m.get("creator") for m in models if not derived(m)])
    codes = [
        DERIVED_CREATOR if derived(m) else index.get(m.get("creator") or "", -1) for m in models
    ]
    return table, codes


def explorer_payload(
    document: dict[str, Any],
    model_slug: Slug | None = None,
    provider_slug: Slug | None = None,
) -> dict[str, Any]:
    """The explorer payload of a ``models.json`` document (see the module docstring).

    ``model_slug`` / ``provider_slug`` map ids to the site's page paths, where they differ.
    """
    providers = document["providers"]
    models = document["models"]
    offerings = document["offerings"]
    provider_index = {p["id"]: i for i, p in enumerate(providers)}
    model_index = {m["id"]: i for i, m in enumerate(models)}
    creators, creator_codes = _creators(models)
    families, family_index = _table([m.get("family") for m in models])
    mode_index = {mode: i for i, mode in enumerate(MODES)}
    basis_index = {basis: i for i, basis in enumerate(PRICE_BASES)}
    variant_sets = sorted({tuple(o["variant"]) for o in offerings if o.get("variant")})
    variant_index = {tags: i for i, tags in enumerate(variant_sets)}
    hosts = model_hosts(offerings, provider_kinds(document))

    columns: dict[str, list[Any]] = {
        name: []
        for name in ("dm", "p", "api", "mode", "st", "dep", "listed", "basis", "flags", "var")
        + ("ctx", "mo", *PRICE_COLUMNS, "tier", "im", "om", "cap", "conf")
    }
    previous = 0
    for o in offerings:
        pricing = o.get("pricing") or {}
        j = model_index[o["model"]]
        columns["dm"].append(j - previous)
        previous = j
        columns["p"].append(provider_index[o["provider"]])
        columns["api"].append(
            "" if o["provider_model_id"] == o["model"] else o["provider_model_id"]
        )
        columns["mode"].append(mode_index.get(o.get("mode", "chat"), mode_index["other"]))
        columns["st"].append(STATUS[o.get("status", "active")])
        columns["dep"].append(o.get("deprecation_date"))
        columns["listed"].append(0 if o.get("listed") is False else 1)
        stated = o.get("price_basis")  # not stated before schema 1.1: -1, ranked like tokens
        columns["basis"].append(-1 if stated is None else basis_index[stated])
        columns["flags"].append(bits(o.get("flags", []), FLAGS))
        columns["var"].append(variant_index.get(tuple(o.get("variant") or ()), -1))
        columns["ctx"].append(o.get("context_window"))
        columns["mo"].append(o.get("max_output_tokens"))
        for column, field in PRICE_COLUMNS.items():
            columns[column].append(pricing.get(field))
        columns["tier"].append(_tiers(pricing))
        columns["im"].append(bits(o.get("input_modalities", []), MODALITIES))
        columns["om"].append(bits(o.get("output_modalities", []), MODALITIES))
        columns["cap"].append(bits(o.get("capabilities", []), CAPABILITIES))
        columns["conf"].append(len(o.get("conflicts", [])))

    ids = _model_ids(models, offerings)
    return {
        "format": PAYLOAD_FORMAT,
        "schema_version": document["schema_version"],
        "generated_at": document["generated_at"],
        "statuses": list(STATUSES),
        "modes": list(MODES),
        "modalities": list(MODALITIES),
        "capabilities": list(CAPABILITIES),
        "price_bases": list(PRICE_BASES),
        "flag_names": list(FLAGS),
        "provider_kinds": list(PROVIDER_KINDS),
        "variant_sets": [list(tags) for tags in variant_sets],
        "creators": creators,
        "families": families,
        "providers": {
            "id": [p["id"] for p in providers],
            "name": [p["name"] for p in providers],
            "path": [_path(provider_slug, p["id"]) for p in providers],
            "kind": [p.get("kind") for p in providers],
            "direct": [int(is_direct(p.get("kind"))) for p in providers],
        },
        "models": {
            "id": ids,
            "name": [
                None if m["id"].isascii() and m["name"] == title_of(m["id"]) else m["name"]
                for m in models
            ],
            "creator": creator_codes,
            "family": [family_index.get(m.get("family") or "", -1) for m in models],
            "released": [m.get("released") for m in models],
            "open": [
                None if m.get("open_weights") is None else int(m["open_weights"]) for m in models
            ],
            "hosts": [m.get("hosts", 0) for m in models],
            "direct": [len(hosts[m["id"]].direct) if m["id"] in hosts else 0 for m in models],
            "routed": [len(hosts[m["id"]].routed) if m["id"] in hosts else 0 for m in models],
            "path": [_path(model_slug, m["id"]) for m in models],
        },
        "offerings": columns,
    }


MORE_FILE = "explorer-more.json"
"""The second part of a split payload: every offering the first part does not hold."""
FIRST_PART_OFFERINGS = 2000
"""The first part holds the most widely hosted models of the default view, whole, up to about
this many offerings: what the first table of the default view (sorted by hosts) shows, with
room for its filters. It stays this size however large the catalog grows."""
SPLIT_MIN_OFFERINGS = 2000
"""Catalogs with fewer offerings are published as one file."""
MIN_DIRECT_HOSTS = 2
"""The explorer's default view (knollm-explorer.js MIN_DIRECT_HOSTS): models with this many
direct hosts, or served by their lab (a listed, not retired offering at a first-party provider)."""


def default_view_models(document: dict[str, Any]) -> set[str]:
    """Ids of the models in the explorer's default view (the rule of :data:`MIN_DIRECT_HOSTS`)."""
    kinds = provider_kinds(document)
    hosts = model_hosts(document["offerings"], kinds)
    out = {model for model, h in hosts.items() if len(h.direct) >= MIN_DIRECT_HOSTS}
    for o in document["offerings"]:
        if kinds.get(o["provider"]) == "first_party" and counts_as_host(o):
            out.add(o["model"])
    return out


def explorer_files(
    document: dict[str, Any],
    model_slug: Slug | None = None,
    provider_slug: Slug | None = None,
    split_min: int = SPLIT_MIN_OFFERINGS,
    first_part: int = FIRST_PART_OFFERINGS,
) -> dict[str, dict[str, Any]]:
    """The published explorer payload: ``explorer.json``, and for a catalog of ``split_min`` or
    more offerings also :data:`MORE_FILE`, so the first table needs only a small first part.

    The first part holds the default view's models with the most direct hosts (then the most
    routers; ties in document order), each with all its offerings, taken until they reach
    ``first_part`` offerings: the explorer's default order (most widely hosted first) then
    shows its first pages from them alone, and the part does not grow with the catalog. The
    rest of the default view follows, then every other model (each group in document order);
    the payload of that order is cut in two. ``explorer.json`` keeps every table and vocabulary
    and names the rest in ``more`` (``url``, ``models``, ``offerings`` counts); :data:`MORE_FILE`
    holds the remaining entries of every ``models`` and ``offerings`` column (``dm`` continuing
    the same delta sequence, model indexes global), so concatenating each column gives the
    one-file payload of that order (knollm-data.js ``Knollm.merge``).
    """
    if len(document["offerings"]) < split_min:
        return {"explorer.json": explorer_payload(document, model_slug, provider_slug)}
    core = default_view_models(document)
    hosts = model_hosts(document["offerings"], provider_kinds(document))
    per_model: dict[str, int] = {}
    for o in document["offerings"]:
        per_model[o["model"]] = per_model.get(o["model"], 0) + 1

    def reach(m: dict[str, Any]) -> tuple[int, int]:
        h = hosts.get(m["id"])
        return (-len(h.direct), -len(h.routed)) if h else (0, 0)

    first: set[str] = set()
    taken = 0
    for m in sorted((m for m in document["models"] if m["id"] in core), key=reach):
        if taken >= first_part:
            break
        first.add(m["id"])
        taken += per_model.get(m["id"], 0)
    group = {
        m["id"]: 0 if m["id"] in first else 1 if m["id"] in core else 2 for m in document["models"]
    }
    models = sorted(document["models"], key=lambda m: group[m["id"]])  # stable: document order
    offerings = sorted(document["offerings"], key=lambda o: group.get(o["model"], 2))
    full = explorer_payload(
        {**document, "models": models, "offerings": offerings}, model_slug, provider_slug
    )
    k = sum(1 for m in models if m["id"] in first)
    n = sum(1 for o in offerings if o["model"] in first)
    head = {
        **full,
        "models": {key: values[:k] for key, values in full["models"].items()},
        "offerings": {key: values[:n] for key, values in full["offerings"].items()},
        "more": {"url": MORE_FILE, "models": len(models) - k, "offerings": len(offerings) - n},
    }
    tail = {
        "format": PAYLOAD_FORMAT,
        "generated_at": full["generated_at"],
        "models": {key: values[k:] for key, values in full["models"].items()},
        "offerings": {key: values[n:] for key, values in full["offerings"].items()},
    }
    return {"explorer.json": head, MORE_FILE: tail}
