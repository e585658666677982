"""Typed records passed between pipeline stages.

Adapters turn each source into :class:`RawRecord` objects, one per offering a
source describes, with values already converted to the catalog's units. Every
record read that does not become a RawRecord becomes a :class:`Problem` with the
file, the position inside it and the reason, so nothing is lost silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ProblemKind = Literal[
    "quarantined", "excluded", "withheld_price", "withheld_limit", "error", "stale", "flagged"
]


@dataclass(slots=True)
class Problem:
    """Something the build could not use, with where it was and why."""

    kind: ProblemKind
    file: str
    position: str
    reason: str
    field: str | None = None
    value: Any = None

    def line(self) -> str:
        """One human-readable line: ``file: position: field: reason``."""
        where = f"{self.file}: {self.position}" if self.position else self.file
        what = f"{self.field}: " if self.field else ""
        shown = f" (got {self.value!r})" if self.value is not None else ""
        return f"{where}: {what}{self.reason}{shown}"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file,
            "position": self.position,
            "reason": self.reason,
        }
        if self.field is not None:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = (
                self.value if isinstance(self.value, (int, float, str, bool)) else repr(self.value)
            )
        return out


@dataclass(slots=True)
class SourceInfo:
    """What a source is, for the output's ``sources[]`` list."""

    id: str
    name: str
    kind: Literal["curated", "provider-dump", "open-catalog"]
    version: str
    license: str | None = None
    url: str | None = None
    captured_at: str | None = None
    stale: bool = False
    records: int = 0
    precedence: int = 50
    """Lower wins when sources disagree (overrides 0, provider dumps 10, open catalogs 20+)."""
    zero_means_unknown: bool = False
    """The source writes a price of 0 for prices it does not know (LiteLLM's map), so its 0 is
    never taken as "free"."""
    history_date: str | None = None
    """When the source's prices were observed, for the price ledger only, where the source has no
    capture date of its own (a LiteLLM snapshot in a work directory: the newest capture of that
    directory's fetch log). Never used to weigh sources in merge."""


@dataclass(slots=True)
class PricePoint:
    """A price the source says took effect on a date (genai-prices' ``StartDateConstraint``).

    Carried on the :class:`RawRecord` it belongs to, so it is placed on an offering by the same
    provider and id normalisation as the record; :mod:`knollm_build.history` reads it.
    """

    since: str | None
    """ISO date the price took effect; ``None`` for the price in force before the source's first
    dated change (the source gives no start date for it)."""
    prices: dict[str, float] = field(default_factory=dict)
    """Pricing field -> value, in catalog units (like :attr:`RawRecord.prices`)."""
    tiers: list[dict[str, float]] = field(default_factory=list)
    """Long-context tiers in force from that date (like :attr:`RawRecord.price_tiers`)."""


@dataclass(slots=True)
class ProviderHint:
    """Provider metadata a source carries (models.dev's provider entries, for instance)."""

    provider_raw: str
    source: str
    name: str | None = None
    api_base_url: str | None = None
    docs_url: str | None = None
    auth_env: list[str] = field(default_factory=list)
    openai_compatible: bool | None = None


@dataclass(slots=True)
class RawRecord:
    """One source's statement about one offering, in catalog units.

    ``prices`` maps :class:`~knollm_build.schema.Pricing` field names to USD per
    1M tokens (or per request / image / second for those fields).
    ``capabilities`` holds only what the source states: True, or False when it
    explicitly says no. Model-level facts (``released``, ``open_weights``…) are
    hints for the canonical model.
    """

    source: str
    file: str
    position: str
    provider_raw: str
    provider_model_id: str
    name: str | None = None
    mode: str | None = None
    prices: dict[str, float] = field(default_factory=dict)
    price_tiers: list[dict[str, float]] = field(default_factory=list)
    context_window: int | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    input_modalities: list[str] | None = None
    output_modalities: list[str] | None = None
    capabilities: dict[str, bool] = field(default_factory=dict)
    status: str | None = None
    deprecation_date: str | None = None
    released: str | None = None
    knowledge_cutoff: str | None = None
    open_weights: bool | None = None
    family: str | None = None
    model_hint: str | None = None
    """A better id to canonicalise from than ``provider_model_id`` (a Hugging Face repo id, a vendor slug)."""
    variant_hint: list[str] = field(default_factory=list)
    """Variant tags the adapter knows from the record's structure (an upstream, a region)."""
    override: bool = False
    """A manual override from ``catalog/overrides/``: it amends an offering other records list."""
    ambiguous_prices: dict[str, tuple[Any, float, str]] = field(default_factory=dict)
    """Prices under keys that do not say their unit, read once the whole dump is known:
    pricing field -> (raw value, usual multiplier, key path)."""
    flags: list[str] = field(default_factory=list)
    """Plausibility findings about this record's values (``unit_inferred``)."""
    alternate_prices: dict[str, float] = field(default_factory=dict)
    """For a unit-less price its dump's usual unit makes implausible (a text price above
    ``MAX_TEXT_PRICE``) while the rest of the dump reads fine: pricing field -> the same number
    read in the other unit. Plausibility takes it when it lands in the model's cross-host range."""
    listed: bool = True
    """True when the source is a model list that names this exact id at this provider (the
    provider's own dump, models.dev, LiteLLM); False for a price table (genai-prices), whose
    model ids are labels and may be retired ids kept for history."""
    api_ids: list[str] = field(default_factory=list)
    """For a price-table record: ids the source says the API is called with (genai-prices'
    ``equals`` clauses), tried in order when looking for the id a model list names."""
    price_points: list[PricePoint] = field(default_factory=list)
    """Dated prices the source states for this offering, in the source's order (the price
    ledger's ``effective`` points); empty when the source dates nothing."""
    successor: str | None = None
    """The id the source names as this offering's successor (LiteLLM ``successor_model``)."""
    alias_of: str | None = None
    """The id this one is an alias of (LiteLLM ``alias_of``: a ``-latest`` or undated alias)."""


@dataclass(slots=True)
class SourceResult:
    """What one adapter returns: its records, its problems, and what it is."""

    sources: list[SourceInfo]
    records: list[RawRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    provider_hints: list[ProviderHint] = field(default_factory=list)
    records_read: int = 0
    """Records read, whether they became RawRecords or Problems (the accounting identity's left side)."""
    model_facts: list[Any] = field(default_factory=list)
    """Facts about canonical models rather than offerings (``sources.canonical_models.ModelFact``)."""
