"""The explorer payload: a compact, column-oriented view of ``models.json`` for the browser.

The site's explorer, calculator and charts fetch this one file (``explorer.json``). It holds
what they filter, sort, price and link on — no provenance, no conflict details — laid out
as one array per field so that repeated keys are not spelled out ~15,000 times and the
browser can turn each column into a typed array. Strings (providers, creators, families,
modes) are stored once in tables and referenced by index.

Format (``format`` = 3), every ``offerings`` column has one entry per offering:

- ``providers``: ``id``, ``name``, ``path`` (site URL slug, ``null`` when it equals the id),
  ``kind`` (index into ``kinds``, -1 when not stated);
- ``models``: ``id``, ``name``, ``creator`` / ``family`` (index into ``creators`` /
  ``families`` or -1), ``released`` (date or ``null``), ``open`` (1, 0 or ``null``),
  ``hosts``, ``direct`` / ``routed`` (distinct providers with a listed offering of it that are
  direct hosts / routers, resellers or plans: :func:`knollm_build.client_index.host_counts`),
  ``path``;
- ``offerings``: ``p`` provider index, ``m`` model index, ``api`` the provider's API id
  (``""`` when it is the model id), ``mode`` index into ``modes``, ``st`` index into
  ``statuses``, ``ctx`` context window, ``mo`` max output tokens, prices in
  USD per 1M tokens ``in``, ``out``, ``cr`` (cache read), ``cw`` (cache write), ``bi`` /
  ``bo`` (batch input / output), ``req`` (per request, USD), ``img`` (per image, USD),
  ``tier`` (every context tier, lowest threshold first, each ``[above_input_tokens, input,
  output, cache_read]``; ``null`` without tiers), ``im`` / ``om`` input / output modality bit sets over ``modalities``,
  ``cap`` capability bit set over ``capabilities``, ``conf`` number of conflicts, ``basis``
  price basis (index into ``bases``, -1 when the document does not say), ``flag`` bit set over
  ``flags``;
- ``unlisted``: the indexes of offerings whose ``listed`` is false, ascending.

The vocabularies ``statuses``, ``modes``, ``modalities``, ``capabilities``, ``bases`` (price
bases), ``flags`` and ``kinds`` (provider kinds) are the schema's (:mod:`knollm_build.schema`),
in its order, so the browser never holds a copied list.
Format 2 (issue 12): ``tier`` holds every tier (format 1 held the first only) and ``statuses``
replaced the hand-written status codes. Format 3 (issues 13, 14): ``unlisted``, ``basis``,
``flag``, provider ``kind`` and the direct / routed host counts, for the cost-ranking rules
``knollm-data.js`` shares with the client (``tests/parity/ranking_cases.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

from knollm_build.client_index import host_counts
from knollm_build.schema import Capability, Flag, Modality, Mode, PriceBasis, ProviderKind, Status

PAYLOAD_FORMAT = 3
MODES: tuple[str, ...] = get_args(Mode)
MODALITIES: tuple[str, ...] = get_args(Modality)
CAPABILITIES: tuple[str, ...] = get_args(Capability)
STATUSES: tuple[str, ...] = get_args(Status)
STATUS = {name: i for i, name in enumerate(STATUSES)}
BASES: tuple[str, ...] = get_args(PriceBasis)
FLAGS: tuple[str, ...] = get_args(Flag)
KINDS: tuple[str, ...] = get_args(ProviderKind)
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

Slug = Callable[[str], str]


def bits(values: list[str], order: tuple[str, ...]) -> int:
    """A bit set of ``values`` over ``order`` (bit i = ``order[i]``); unknown values are ignored."""
    out = 0
    for value in values:
        if value in order:
            out |= 1 << order.index(value)
    return out


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
    creators, creator_index = _table([m.get("creator") for m in models])
    families, family_index = _table([m.get("family") for m in models])
    mode_index = {mode: i for i, mode in enumerate(MODES)}

    columns: dict[str, list[Any]] = {
        name: []
        for name in ("p", "m", "api", "mode", "st", "ctx", "mo", *PRICE_COLUMNS)
        + ("tier", "im", "om", "cap", "conf", "basis", "flag")
    }
    for o in offerings:
        pricing = o.get("pricing") or {}
        columns["p"].append(provider_index[o["provider"]])
        columns["m"].append(model_index[o["model"]])
        columns["api"].append(
            "" if o["provider_model_id"] == o["model"] else o["provider_model_id"]
        )
        columns["mode"].append(mode_index.get(o.get("mode", "chat"), mode_index["other"]))
        columns["st"].append(STATUS[o.get("status", "active")])
        columns["ctx"].append(o.get("context_window"))
        columns["mo"].append(o.get("max_output_tokens"))
        for column, field in PRICE_COLUMNS.items():
            columns[column].append(pricing.get(field))
        columns["tier"].append(_tiers(pricing))
        columns["im"].append(bits(o.get("input_modalities", []), MODALITIES))
        columns["om"].append(bits(o.get("output_modalities", []), MODALITIES))
        columns["cap"].append(bits(o.get("capabilities", []), CAPABILITIES))
        columns["conf"].append(len(o.get("conflicts", [])))
        stated = o.get("price_basis")
        columns["basis"].append(BASES.index(stated) if stated in BASES else -1)
        columns["flag"].append(bits(o.get("flags", []), FLAGS))
    direct, routed = host_counts(document)

    return {
        "format": PAYLOAD_FORMAT,
        "schema_version": document["schema_version"],
        "generated_at": document["generated_at"],
        "statuses": list(STATUSES),
        "modes": list(MODES),
        "modalities": list(MODALITIES),
        "capabilities": list(CAPABILITIES),
        "bases": list(BASES),
        "flags": list(FLAGS),
        "kinds": list(KINDS),
        "creators": creators,
        "families": families,
        "providers": {
            "id": [p["id"] for p in providers],
            "name": [p["name"] for p in providers],
            "path": [_path(provider_slug, p["id"]) for p in providers],
            "kind": [KINDS.index(p["kind"]) if p.get("kind") in KINDS else -1 for p in providers],
        },
        "models": {
            "id": [m["id"] for m in models],
            "name": [m["name"] for m in models],
            "creator": [creator_index.get(m.get("creator") or "", -1) for m in models],
            "family": [family_index.get(m.get("family") or "", -1) for m in models],
            "released": [m.get("released") for m in models],
            "open": [
                None if m.get("open_weights") is None else int(m["open_weights"]) for m in models
            ],
            "hosts": [m.get("hosts", 0) for m in models],
            "direct": direct,
            "routed": routed,
            "path": [_path(model_slug, m["id"]) for m in models],
        },
        "offerings": columns,
        "unlisted": [i for i, o in enumerate(offerings) if not o.get("listed", True)],
    }
