"""Assemble providers and canonical models around the merged offerings.

Still part of the merge stage: offerings are final here; this module derives the
provider and model lists from them, taking provider metadata from curated files
first and source hints (models.dev, genai-prices) second, and model facts from
the sources that state them (models.dev first).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from knollm_build.catalog_files import ProviderFile
from knollm_build.normalise import NormalRecord, ProviderResolver
from knollm_build.provider_kind import display_name
from knollm_build.records import ProviderHint

CURATED_FIELDS = (
    "name",
    "website",
    "docs_url",
    "api_base_url",
    "api_style",
    "openai_compatible",
    "models_endpoint",
    "pricing_url",
)


def build_providers(
    offerings: list[dict[str, Any]],
    curated: dict[str, ProviderFile],
    hints: list[ProviderHint],
    resolver: ProviderResolver,
) -> list[dict[str, Any]]:
    """One provider entry per provider that has offerings (plus every curated one)."""
    by_provider: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for offering in offerings:
        by_provider[offering["provider"]].append(offering)
    hint_for: dict[str, ProviderHint] = {}
    for given in hints:
        hint_for.setdefault(resolver.resolve(given.provider_raw), given)
    spellings: dict[str, set[str]] = defaultdict(set)
    for (spelling, canonical), _ in resolver.seen.items():
        if spelling != canonical:
            spellings[canonical].add(spelling)
    out = []
    for provider_id in sorted(set(by_provider) | set(curated)):
        items = by_provider.get(provider_id, [])
        entry: dict[str, Any] = {"id": provider_id}
        hint: ProviderHint | None = hint_for.get(provider_id)
        file = curated.get(provider_id)
        if file is not None:
            for name in CURATED_FIELDS:
                value = getattr(file, name)
                if value is not None:
                    entry[name] = value
            entry["auth_env"] = list(file.auth_env)
            entry["curated"] = True
            aliases = set(file.aliases) | spellings[provider_id]
        else:
            aliases = spellings[provider_id]
            entry["curated"] = False
        if hint is not None:
            entry.setdefault("name", hint.name or provider_id)
            if hint.api_base_url and "${" not in hint.api_base_url:
                entry.setdefault("api_base_url", hint.api_base_url)
            if hint.docs_url:
                entry.setdefault("docs_url", hint.docs_url)
            if hint.auth_env and not entry.get("auth_env"):
                entry["auth_env"] = list(hint.auth_env)
            if hint.openai_compatible is not None and "openai_compatible" not in entry:
                entry["openai_compatible"] = hint.openai_compatible
                entry.setdefault("api_style", "openai-compatible")
        entry.setdefault("name", display_name(provider_id))
        entry["aliases"] = sorted(a for a in aliases if a != provider_id)
        entry["offerings"] = len(items)
        entry["models"] = len({o["model"] for o in items})
        entry["sources"] = sorted({s for o in items for s in o["sources"]})
        out.append(entry)
    return out


_VENDOR_PREFIX = re.compile(r"^[^:]{1,40}:\s+")
_TAG_SUFFIX = re.compile(
    r"\s*\((free|beta|preview|thinking|nitro|floor|extended)\)$", re.IGNORECASE
)


def clean_name(name: str) -> str:
    """A provider's display name without a "Vendor: " prefix or a "(free)"-style tag."""
    return _TAG_SUFFIX.sub("", _VENDOR_PREFIX.sub("", name.strip())) or name


def _title(model_id: str) -> str:
    name = model_id.split("/")[-1]
    return " ".join(
        part.upper() if len(part) <= 3 and any(c.isdigit() for c in part) else part.capitalize()
        for part in name.split("-")
    )


def build_models(
    offerings: list[dict[str, Any]], records: list[NormalRecord]
) -> list[dict[str, Any]]:
    """One canonical model per model id the offerings reference."""
    facts: dict[str, list[NormalRecord]] = defaultdict(list)
    for record in records:
        facts[record.model].append(record)
    by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for offering in offerings:
        by_model[offering["model"]].append(offering)
    out = []
    for model_id in sorted(by_model):
        items = by_model[model_id]
        known = facts.get(model_id, [])
        if len(known) > 1:
            known = sorted(known, key=_facts_order)
        entry: dict[str, Any] = {"id": model_id}
        name = next(
            (
                r.raw.name
                for r in known
                if r.raw.name and r.raw.source == "models-dev" and not r.variant
            ),
            None,
        )
        plain = (r for r in known if r.raw.name and not r.variant and "/" not in r.raw.name)
        chosen = name or next((clean_name(r.raw.name) for r in plain if r.raw.name), None)
        entry["name"] = " ".join((chosen or _title(model_id)).split())  # no stray tabs or newlines
        entry["creator"] = next((r.creator for r in known if r.creator), None)
        entry["family"] = next((r.raw.family for r in known if r.raw.family), None) or _family(
            model_id
        )
        # Sources disagree on dates (a host's listing date is not the release): the date most
        # sources give wins, the earliest among equals.
        released = Counter(r.raw.released for r in known if r.raw.released)
        entry["released"] = min(released, key=lambda d: (-released[d], d)) if released else None
        cutoff = sorted(r.raw.knowledge_cutoff for r in known if r.raw.knowledge_cutoff)
        entry["knowledge_cutoff"] = cutoff[-1] if cutoff else None
        open_flags = [r.raw.open_weights for r in known if r.raw.open_weights is not None]
        # Weights are published or not: one source saying so outweighs another's default False.
        entry["open_weights"] = any(open_flags) if open_flags else ("/" in model_id or None)
        if len(items) == 1:
            only = items[0]
            entry["input_modalities"] = only["input_modalities"]
            entry["output_modalities"] = only["output_modalities"]
            entry["capabilities"] = only["capabilities"]
            entry["context_window"] = only.get("context_window")
            entry["modes"] = [only["mode"]]
            entry["hosts"] = 1
        else:
            entry["input_modalities"] = sorted({m for o in items for m in o["input_modalities"]})
            entry["output_modalities"] = sorted({m for o in items for m in o["output_modalities"]})
            entry["capabilities"] = sorted({c for o in items for c in o["capabilities"]})
            windows = [o["context_window"] for o in items if o.get("context_window")]
            entry["context_window"] = max(windows) if windows else None
            entry["modes"] = sorted({o["mode"] for o in items})
            entry["hosts"] = len({o["provider"] for o in items})
        entry["offerings"] = len(items)
        out.append({k: v for k, v in entry.items() if v is not None})
    return out


def _facts_order(record: NormalRecord) -> tuple[bool, int, str, str]:
    """models.dev (precedence 25) names and dates models best, so its records come first."""
    return (record.precedence != 25, record.precedence, record.raw.source, record.raw.position)


def _family(model_id: str) -> str | None:
    """A family guessed from the first word of the name (``llama`` of ``llama-3.3-70b``), if it is one."""
    head = model_id.split("/")[-1].split("-")[0].rstrip("0123456789.")
    return head if len(head) >= 3 else None
