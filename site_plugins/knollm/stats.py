"""Headline figures for hand-written pages, exposed to mkdocs-macros as ``stats``.

Strings in here come from the data and land in Markdown through macros, so each is
already made inert (HTML entities for markup, table and template characters).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from site_plugins.knollm.ranking import in_order, rankable
from site_plugins.knollm.render import inert

SHOWCASE_MODELS = (
    "llama-3.3-70b-instruct",
    "gpt-oss-120b",
    "deepseek-r1",
    "qwen3-235b-a22b-instruct-2507",
    "gemini-2.5-flash",
    "claude-sonnet-4",
)
CHEAPEST_LIMIT = 5


def headline_stats(document: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """Counts, sources, and the cheapest hosts of a few widely served models."""
    offerings = document["offerings"]
    by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for offering in offerings:
        # What a cost ranking takes (the client's rule, site_plugins/knollm/ranking.py: listed,
        # per token, not $0, no price in doubt) with an input price; batch-only ids are a
        # different, asynchronous service and stay out of these tables.
        if (
            offering["model"] in SHOWCASE_MODELS
            and (offering.get("pricing", {}).get("input") or 0) > 0
            and "batch" not in offering.get("variant", [])
            and rankable(offering)
        ):
            by_model[offering["model"]].append(offering)
    cheapest = {}
    for model_id, items in by_model.items():
        cheapest[model_id] = [
            {
                "provider": str(inert(o["provider"])),
                "provider_model_id": str(inert(o["provider_model_id"])),
                "input": o["pricing"]["input"],
                "output": o["pricing"].get("output"),
                "cache_read": o["pricing"].get("cache_read"),
            }
            for o in in_order(items)[:CHEAPEST_LIMIT]
        ]
    counts = report["counts"]
    return {
        "providers": len(document["providers"]),
        "models": len(document["models"]),
        "offerings": len(offerings),
        "models_3plus": counts["models_with_3_plus_hosts"],
        "generated_at": document["generated_at"],
        "conflicts": counts["conflicts"],
        "widest": {
            "id": str(inert((counts["widest_hosted_model"] or {}).get("id", ""))),
            "hosts": (counts["widest_hosted_model"] or {}).get("hosts", 0),
        },
        "sources": [
            {
                k: (str(inert(s[k])) if isinstance(s.get(k), str) else s.get(k))
                for k in ("id", "name", "version", "license", "kind")
            }
            for s in document["sources"]
        ],
        "cheapest": cheapest,
        "caching": sum(1 for o in offerings if o.get("pricing", {}).get("cache_read") is not None),
        "batch": sum(1 for o in offerings if o.get("pricing", {}).get("batch_input") is not None),
        "tiers": sum(1 for o in offerings if o.get("pricing", {}).get("tiers")),
    }
