"""Assemble providers and canonical models around the merged offerings.

Still part of the merge stage: offerings are final here; this module derives the
provider and model lists from them, taking provider metadata from curated files
first and source hints (models.dev, genai-prices) second, and model facts from
the sources that state them (models.dev first). Each entry is built as its
contract record (:class:`~knollm_build.schema.Provider`, :class:`~knollm_build.schema.Model`);
one that fails the contract is left out and reported.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from knollm_build.catalog_files import ProviderFile
from knollm_build.hosts import host_split
from knollm_build.normalise import Normalised, NormalRecord
from knollm_build.provider_kind import display_name
from knollm_build.records import Problem, ProviderHint
from knollm_build.schema import PASS_THROUGH_KINDS, Model, Offering, Provider
from knollm_build.sources.canonical_models import ModelFact

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


def _checked(
    cls: type[BaseModel], entry: dict[str, Any], label: str, problems: list[Problem]
) -> Any:
    """``cls`` built from ``entry``, or None with an ``error`` problem naming the entry and field."""
    try:
        return cls.model_validate(entry)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        problems.append(
            Problem(
                "error", label + "s", entry["id"], f"invalid {label}: {first['msg']}", field=where
            )
        )
        return None


def build_providers(
    offerings: list[Offering],
    curated: dict[str, ProviderFile],
    normalised: Normalised,
    problems: list[Problem],
    kinds: Mapping[str, str] | None = None,
) -> list[Provider]:
    """One provider per provider that has offerings (plus every curated one), sorted by id."""
    by_provider: dict[str, list[Offering]] = defaultdict(list)
    for offering in offerings:
        by_provider[offering.provider].append(offering)
    hint_for = normalised.hints
    spellings: dict[str, set[str]] = defaultdict(set, normalised.aliases())
    out: list[Provider] = []
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
        if kinds and provider_id in kinds:
            entry["kind"] = kinds[provider_id]
        entry["aliases"] = sorted(a for a in aliases if a != provider_id)
        entry["offerings"] = len(items)
        entry["models"] = len({o.model for o in items})
        entry["sources"] = sorted({s for o in items for s in o.sources})
        provider = _checked(Provider, entry, "provider", problems)
        if provider is not None:
            out.append(provider)
    return out


_VENDOR_PREFIX = re.compile(r"^[^:]{1,40}:\s+")
_TAG_SUFFIX = re.compile(
    r"\s*\((free|beta|preview|thinking|nitro|floor|extended|latest)\)$", re.IGNORECASE
)


def clean_name(name: str) -> str:
    """A provider's display name without a "Vendor: " prefix or a "(free)"-style tag."""
    return _TAG_SUFFIX.sub("", _VENDOR_PREFIX.sub("", name.strip())) or name


def model_display_name(
    model_id: str, known: list[NormalRecord], canonical: ModelFact | None = None
) -> str:
    """A model's display name: the first name a person would write, by source precedence.

    Candidates come from models.dev's records (the names it gives each host's model), then the
    canonical record, then the other sources' (variants' names left out), each without a "Vendor: " prefix or a tag such as
    "(free)" or "(latest)" (an alias's marker: the model is the same). A name holding a "/" is
    a path, not a name, and is passed over; so is one spelled like an id ("claude-sonnet-4-5",
    :func:`_id_like`) while a later source has a name ("Claude Sonnet 4.5"; a lab's own casing
    such as "GLM-4.5" is a name). With no name at all, the id is made into a title.
    """
    stated = [
        r.raw.name for r in known if r.raw.name and not r.variant and r.raw.source == "models-dev"
    ]
    stated += [canonical.name] if canonical is not None and canonical.name else []
    stated += [
        r.raw.name for r in known if r.raw.name and not r.variant and r.raw.source != "models-dev"
    ]
    names = [" ".join(clean_name(name).split()) for name in stated]  # no stray tabs or newlines
    names = [name for name in names if name and "/" not in name]
    return next((n for n in names if not _id_like(n)), None) or (
        names[0] if names else _title(model_id)
    )


def _id_like(name: str) -> bool:
    """Spelled like an id, not a name: one lower-case word ("claude-sonnet-4-5", "glm-5.1")."""
    return " " not in name and name == name.lower()


def _title(model_id: str) -> str:
    name = model_id.split("/")[-1]
    return " ".join(
        part.upper() if len(part) <= 3 and any(c.isdigit() for c in part) else part.capitalize()
        for part in name.split("-")
    )


def build_models(
    offerings: list[Offering],
    records: list[NormalRecord],
    problems: list[Problem],
    model_facts: Mapping[str, ModelFact] | None = None,
    kinds: Mapping[str, str | None] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[Model]:
    """One canonical model per model id the offerings reference, sorted by id.

    A model's facts come by precedence, not as the union of every claim: its canonical record
    (``model_facts``), then its lab's own API (a ``first_party`` provider in ``kinds`` whose name
    in ``names`` is the creator's), then the majority of its direct hosts (routers and resellers
    do not vote). Its offerings keep their own capabilities.
    """
    model_facts = model_facts or {}
    kinds = kinds or {}
    first_party = {
        pid: (names or {}).get(pid, pid) for pid, kind in kinds.items() if kind == "first_party"
    }
    passing = frozenset(pid for pid, kind in kinds.items() if kind in PASS_THROUGH_KINDS)
    labs = _LabProviders(first_party)
    facts: dict[str, list[NormalRecord]] = defaultdict(list)
    for record in records:
        facts[record.model].append(record)
    by_model: dict[str, list[Offering]] = defaultdict(list)
    for offering in offerings:
        by_model[offering.model].append(offering)
    out: list[Model] = []
    for model_id in sorted(by_model):
        items = by_model[model_id]
        known = facts.get(model_id, [])
        if len(known) > 1:
            known = sorted(known, key=_facts_order)
        entry: dict[str, Any] = {"id": model_id}
        canonical = model_facts.get(model_id)
        entry["name"] = model_display_name(model_id, known, canonical)
        entry["creator"] = next((r.creator for r in known if r.creator), None)
        entry["family"] = next((r.raw.family for r in known if r.raw.family), None) or _family(
            model_id
        )
        lab = labs.of(entry["creator"])
        entry.update(_dated_facts(model_id, known, canonical, lab, problems))
        if canonical is not None:
            entry["family"] = entry["family"] or canonical.family
            entry.update(_model_card(canonical))
        entry.update(_capability_facts(items, canonical, lab, passing))
        windows = [o.context_window for o in items if o.context_window]
        entry["context_window"] = max(windows) if windows else None
        entry["modes"] = sorted({o.mode for o in items})
        entry["hosts"] = len({o.provider for o in items})
        entry["direct_hosts"], entry["routed_hosts"] = host_split(
            ((o.provider, o.listed, o.status) for o in items), kinds
        )
        entry["offerings"] = len(items)
        model = _checked(
            Model, {k: v for k, v in entry.items() if v is not None}, "model", problems
        )
        if model is not None:
            out.append(model)
    return out


class _LabProviders:
    """The providers that are a creator's own API: first-party providers named like the lab.

    The first-party providers are indexed once by the first word of their name, so each model
    costs one look-up, not a scan of every first-party provider (which grew with the catalog)."""

    def __init__(self, first_party: Mapping[str, str]) -> None:
        self._first_party = first_party
        self._by_word: dict[str, frozenset[str]] | None = None

    def of(self, creator: str | None) -> frozenset[str]:
        if not creator:
            return frozenset()
        if self._by_word is None:
            by_word: dict[str, set[str]] = defaultdict(set)
            for pid, name in self._first_party.items():
                by_word[name.split()[0].casefold()].add(pid)
            self._by_word = {word: frozenset(pids) for word, pids in by_word.items()}
        word = creator.split()[0].casefold()
        named = self._by_word.get(word)
        if named:
            return named
        return frozenset({word} if not self._first_party else set())


def _majority(counts: Counter[str], voters: int) -> list[str]:
    return sorted(value for value, n in counts.items() if n * 2 > voters)


def _dated_facts(
    model_id: str,
    known: list[NormalRecord],
    canonical: ModelFact | None,
    lab: frozenset[str],
    problems: list[Problem],
) -> dict[str, Any]:
    """Release date, knowledge cut-off and open weights: canonical record, lab, then most sources."""
    own = [r for r in known if r.provider in lab]

    def pick(name: str, canonical_value: Any) -> Any:
        if canonical_value is not None:
            return canonical_value
        stated = [getattr(r.raw, name) for r in own if getattr(r.raw, name) is not None]
        if stated:
            return stated[0]
        # A host's listing date is not the release: the value most sources give wins,
        # the earliest among equals.
        counts = Counter(getattr(r.raw, name) for r in known if getattr(r.raw, name) is not None)
        return min(counts, key=lambda v: (-counts[v], v)) if counts else None

    released = pick("released", canonical.released if canonical else None)
    cutoff = pick("knowledge_cutoff", canonical.knowledge_cutoff if canonical else None)
    if cutoff and released and cutoff[:7] > released[:7]:
        problems.append(
            Problem(
                "flagged",
                "models",
                model_id,
                f"knowledge cut-off {cutoff} is after the release {released}: cut-off withheld",
                field="knowledge_cutoff",
                value=cutoff,
            )
        )
        cutoff = None
    open_weights = canonical.open_weights if canonical else None
    if open_weights is None:
        votes = Counter(r.raw.open_weights for r in known if r.raw.open_weights is not None)
        if votes:
            open_weights = votes[True] > votes[False]
        elif "/" in model_id:
            open_weights = True  # a community namespace: a published fine-tune
    return {"released": released, "knowledge_cutoff": cutoff, "open_weights": open_weights}


def _capability_facts(
    items: list[Offering],
    canonical: ModelFact | None,
    lab: frozenset[str],
    indirect: frozenset[str],
) -> dict[str, Any]:
    """Model modalities and capabilities: canonical record, lab's offerings, then direct-host majority.

    Only hosts that state such facts vote: a capability counts when more than half of the hosts
    stating capabilities list it, a modality when more than half of those stating modalities do.
    """
    if canonical is None and len(items) == 1:  # one offering (most models): nothing to weigh
        only = items[0]
        return {
            "input_modalities": list(only.input_modalities) or ["text"],
            "output_modalities": list(only.output_modalities) or ["text"],
            "capabilities": list(only.capabilities),
        }
    own = [o for o in items if o.provider in lab]
    voters = own or [o for o in items if o.provider not in indirect] or items

    def modalities(name: str) -> list[str]:
        stated = [o for o in voters if name not in o.inferred] or voters
        per_provider: dict[str, set[str]] = defaultdict(set)
        for offering in stated:
            per_provider[offering.provider] |= set(getattr(offering, name))
        counts: Counter[str] = Counter(v for found in per_provider.values() for v in found)
        return _majority(counts, len(per_provider))

    # A host votes on capabilities when it states any: its silence on one is then a "no".
    stating = {
        o.provider
        for o in voters
        if o.capabilities or any(path.startswith("capabilities.") for path in o.provenance)
    }
    yes: Counter[str] = Counter(
        c
        for provider in stating
        for c in {c for o in voters if o.provider == provider for c in o.capabilities}
    )
    capabilities = {c for c, n in yes.items() if n * 2 > len(stating)}
    inputs, outputs = modalities("input_modalities"), modalities("output_modalities")
    if canonical is not None:
        inputs = canonical.input_modalities or inputs
        outputs = canonical.output_modalities or outputs
        for capability, stated in canonical.capabilities.items():
            (capabilities.add if stated else capabilities.discard)(capability)
    return {
        "input_modalities": inputs or ["text"],
        "output_modalities": outputs or ["text"],
        "capabilities": sorted(capabilities),
    }


def _model_card(canonical: ModelFact) -> dict[str, Any]:
    """Licence, links, weights and benchmarks from the model's canonical record, where given."""
    card: dict[str, Any] = {}
    if canonical.license:
        card["license"] = canonical.license
    for name in ("links", "weights", "benchmarks"):
        if getattr(canonical, name):
            card[name] = getattr(canonical, name)
    return card


def _facts_order(record: NormalRecord) -> tuple[bool, int, str, str]:
    """models.dev (precedence 25) names and dates models best, so its records come first."""
    return (record.precedence != 25, record.precedence, record.raw.source, record.raw.position)


def _family(model_id: str) -> str | None:
    """A family guessed from the first word of the name (``llama`` of ``llama-3.3-70b``), if it is one."""
    head = model_id.split("/")[-1].split("-")[0].rstrip("0123456789.")
    return head if len(head) >= 3 else None
