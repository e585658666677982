"""What a provider is (``kind``), its display name, and the duplicate-provider check.

``kind`` is curated in ``catalog/providers/<id>.toml`` for the providers users meet most.
Elsewhere it is inferred from the provider's id, name and offerings, by the first rule that
applies:

1. ``subscription``: the id or name says it is a plan (``coding-plan``, ``token-plan``,
   ``for-coding``, ``copilot``);
2. ``router``: the id or name says router or gateway;
3. ``first_party``: the provider's id is the start of the creator of most (>= 60 %) of its
   offerings' models (``minimax-cn`` serves MiniMax's models);
4. ``reseller``: it serves closed models of two or more labs (Claude, Gemini, GPT, Grok),
   which nobody but those labs and their clouds can run, so it must be reselling them;
5. ``inference_host`` otherwise.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from knollm_build.records import Problem
from knollm_build.schema import Offering

PLAN = re.compile(r"coding-plan|token-plan|for-coding|copilot|\bplan\b", re.IGNORECASE)
ROUTER = re.compile(r"router|gateway|routing", re.IGNORECASE)
CLOSED_FAMILIES = {
    "claude-": "Anthropic",
    "gemini-": "Google",
    "gpt-": "OpenAI",
    "grok-": "xAI",
    "o1": "OpenAI",
    "o3": "OpenAI",
}
DUPLICATE_SHARE = 0.9
"""Two providers sharing this share of their ids at the same prices are one provider."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def infer_kind(
    provider_id: str, name: str, offerings: list[Offering], creators: Mapping[str, str | None]
) -> str:
    """The kind of an uncurated provider, by the rules in this module's docstring."""
    label = f"{provider_id} {name}"
    if PLAN.search(label):
        return "subscription"
    if ROUTER.search(label):
        return "router"
    counts = Counter(_slug(creators.get(o.model) or "") for o in offerings)
    slug = _slug(provider_id.split("-")[0])
    if offerings and slug:
        own = sum(n for creator, n in counts.items() if creator and creator.startswith(slug))
        if own >= 0.6 * len(offerings):
            return "first_party"
    labs = set()
    for offering in offerings:
        model = offering.model
        if model.startswith("gpt-oss"):
            continue
        for prefix, lab in CLOSED_FAMILIES.items():
            if model.startswith(prefix):
                labs.add(lab)
    if len(labs) >= 2:
        return "reseller"
    return "inference_host"


_SMALL = {"ai": "AI", "api": "API", "llm": "LLM", "gpt": "GPT", "cn": "(China)", "io": "IO"}


def display_name(provider_id: str) -> str:
    """A readable name for a provider no source names: ``qwen-ai-platform`` -> ``Qwen AI Platform``."""
    words = re.split(r"[-_.]+", provider_id)
    return " ".join(_SMALL.get(w, w[:1].upper() + w[1:]) for w in words if w) or provider_id


def _price_key(offering: Offering) -> tuple[Any, ...]:
    return (offering.pricing.input, offering.pricing.output)


def duplicate_providers(
    offerings: list[Offering],
    exempt: set[frozenset[str]] | None = None,
    minimum: int = 10,
) -> list[Problem]:
    """An error per pair of providers sharing >= 90 % of their ids at the same prices.

    The share is taken of the smaller provider's ids; providers with fewer than ``minimum``
    offerings are not compared (a handful of shared ids says little). Pairs in ``exempt``
    (``not_duplicate_of`` in a provider's file) are known to be different companies.
    """
    ids: dict[str, dict[str, tuple[Any, ...]]] = defaultdict(dict)
    for offering in offerings:
        ids[offering.provider][offering.provider_model_id.lower()] = _price_key(offering)
    holders: dict[tuple[str, tuple[Any, ...]], set[str]] = defaultdict(set)
    for provider, items in ids.items():
        if len(items) >= minimum:
            for key, price in items.items():
                holders[(key, price)].add(provider)
    shared: Counter[tuple[str, str]] = Counter()
    for providers in holders.values():
        if 1 < len(providers) <= 20:
            ordered = sorted(providers)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1 :]:
                    shared[(a, b)] += 1
    problems = []
    for (a, b), count in sorted(shared.items()):
        smaller = min(len(ids[a]), len(ids[b]))
        if count >= DUPLICATE_SHARE * smaller and frozenset((a, b)) not in (exempt or set()):
            problems.append(
                Problem(
                    "error",
                    "catalog/providers/",
                    f"{a} / {b}",
                    f"{a} and {b} share {count} of {smaller} ids at the same prices: one "
                    f"provider under two ids; fix: list one id among the other's aliases in "
                    f"catalog/providers/<id>.toml",
                )
            )
    return problems


def provider_kinds(
    names: Mapping[str, str],
    offerings: list[Offering],
    creators: Mapping[str, str | None],
    curated_kinds: Mapping[str, str | None],
) -> dict[str, str]:
    """Every provider's kind (``names`` lists them with their display names): curated, else inferred."""
    by_provider: dict[str, list[Offering]] = defaultdict(list)
    for offering in offerings:
        by_provider[offering.provider].append(offering)
    return {
        pid: curated_kinds.get(pid) or infer_kind(pid, name, by_provider.get(pid, []), creators)
        for pid, name in sorted(names.items())
    }
