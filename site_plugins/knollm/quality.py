"""Template context of the data-quality page's plausibility section.

``report.json`` lists every plausibility finding under ``flagged`` (file = provider, position =
the offering's API id, reason = ``"<flag>: why"``; see :mod:`knollm_build.plausibility`). The
page groups them by flag, in the order of the documented vocabulary, each with its count and a
link to the offering's model page, and shows the counts of price bases and of published zeros.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, get_args

from knollm_build.schema import Flag, PriceBasis

OTHER = "other"
"""The group of a finding whose reason names no flag of the vocabulary (none today)."""
# What each flag means, for the page (the schema's Offering.flags docstring, one line each).
FLAG_MEANING = {
    "price_outlier": "More than 10× from the model's median price across 3+ direct hosts: "
    "kept and shown, never the default cheapest",
    "price_out_of_range": "Outside the plausible range for its mode: withheld",
    "limit_inconsistent": "Max output above the context window, the two from different sources",
    "limit_out_of_range": "A context window outside 512 to 20M tokens",
    "cache_read_above_input": "A cache read dearer than fresh input",
    "unit_inferred": "A price whose unit the source leaves open, read in the unit that makes it "
    "plausible",
    "placeholder_price": "A 0 that is not a price: withheld",
}
BASIS_MEANING = {
    "tokens": "Token prices apply",
    "free": "A real free tier or free variant: its 0 is true",
    "subscription": "Included in a plan: no per-token price",
    "per_image": "Billed per image",
    "per_second": "Billed per second",
    "per_request": "Billed per request",
    "per_character": "Billed per character",
    "unknown": "No source says",
}


def split_reason(reason: str) -> tuple[str, str]:
    """``"price_outlier: 12x the median"`` -> ``("price_outlier", "12x the median")``."""
    name, sep, rest = reason.partition(": ")
    if sep and name in get_args(Flag):
        return name, rest
    return OTHER, reason


def flag_groups(
    flagged: list[dict[str, Any]],
    model_of: dict[tuple[str, str], str],
    model_href: Callable[[str], str],
    provider_href: Callable[[str], str],
) -> list[dict[str, Any]]:
    """One group per flag found (vocabulary order), each with its findings in report order."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in flagged:
        name, why = split_reason(finding["reason"])
        provider, api_id = finding["file"], finding["position"]
        model = model_of.get((provider, api_id))
        groups[name].append(
            {
                "provider": provider,
                "provider_href": provider_href(provider) if model is not None else None,
                "api_id": api_id,
                "model_href": model_href(model) if model is not None else None,
                "field": finding.get("field"),
                "value": finding.get("value"),
                "reason": why,
            }
        )
    order = [*get_args(Flag), OTHER]
    return [
        {
            "flag": name,
            "anchor": "flag-" + name.replace("_", "-"),
            "meaning": FLAG_MEANING.get(name, ""),
            "count": len(groups[name]),
            "offerings": len({(f["provider"], f["api_id"]) for f in groups[name]}),
            "findings": groups[name],
        }
        for name in order
        if groups.get(name)
    ]


def basis_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    """``counts.price_basis`` of the report as rows, in the vocabulary's order."""
    order = list(get_args(PriceBasis))
    names = sorted(counts, key=lambda b: (order.index(b) if b in order else len(order), b))
    return [{"basis": b, "count": counts[b], "meaning": BASIS_MEANING.get(b, "")} for b in names]
