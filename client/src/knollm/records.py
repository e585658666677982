"""Typed, read-only views of the records in ``models.json`` (the public data contract).

Plain slotted dataclasses built straight from the parsed JSON: cheap to create for ~18,000
offerings, typed for editors and mypy. Each record keeps the dict it came from in ``raw`` so
fields the client does not model (provenance, conflicts) stay reachable and ``--json`` output
can echo the contract unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class RawSource(Protocol):
    """Where a record read from the client index finds its full contract dict (``raw``)."""

    def raw(self, record: Any) -> dict[str, Any]: ...


class _Raw:
    """``raw``: the dict the record came from; for records read from the client index, fetched
    from the full ``models.json`` beside it on first use (it holds provenance and conflicts)."""

    __slots__ = ()
    _raw: dict[str, Any] | None
    _origin: RawSource | None

    @property
    def raw(self) -> dict[str, Any]:
        """The record as ``models.json`` has it, every contract field included."""
        found = self._raw
        if found is None:
            if self._origin is None:
                raise LookupError("this record has no contract dict")
            found = self._raw = self._origin.raw(self)  # type: ignore[misc]
        return found


# Token prices are USD per 1M tokens; these are the scalar fields of the contract's Pricing.
PRICE_FIELDS = (
    "input",
    "output",
    "cache_read",
    "cache_write",
    "reasoning",
    "input_audio",
    "output_audio",
    "batch_input",
    "batch_output",
    "per_request",
    "per_image",
    "per_second",
    "cache_write_1h",
    "priority_input",
    "priority_output",
    "priority_cache_read",
    "flex_input",
    "flex_output",
    "flex_cache_read",
    "fast_input",
    "fast_output",
    "fast_cache_read",
    "off_peak_input",
    "off_peak_output",
    "off_peak_cache_read",
    "per_search",
    "regional_uplift",
)


@dataclass(slots=True)
class PriceTier:
    """Prices that replace the base ones once a request's input exceeds ``above_input_tokens``."""

    above_input_tokens: int
    input: float | None = None
    output: float | None = None
    cache_read: float | None = None


@dataclass(slots=True)
class Pricing:
    """What an offering costs; token prices in USD per 1M tokens, ``None`` when unknown."""

    input: float | None = None
    output: float | None = None
    cache_read: float | None = None
    cache_write: float | None = None
    reasoning: float | None = None
    input_audio: float | None = None
    output_audio: float | None = None
    batch_input: float | None = None
    batch_output: float | None = None
    per_request: float | None = None
    per_image: float | None = None
    per_second: float | None = None
    cache_write_1h: float | None = None
    priority_input: float | None = None
    priority_output: float | None = None
    priority_cache_read: float | None = None
    flex_input: float | None = None
    flex_output: float | None = None
    flex_cache_read: float | None = None
    fast_input: float | None = None
    fast_output: float | None = None
    fast_cache_read: float | None = None
    off_peak_input: float | None = None
    off_peak_output: float | None = None
    off_peak_cache_read: float | None = None
    per_search: float | None = None
    regional_uplift: float | None = None
    tiers: tuple[PriceTier, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pricing:
        if not data:
            return _NO_PRICES
        get = data.get
        raw_tiers = get("tiers")
        tiers = (
            tuple(
                PriceTier(
                    t["above_input_tokens"], t.get("input"), t.get("output"), t.get("cache_read")
                )
                for t in raw_tiers
            )
            if raw_tiers
            else ()
        )
        return cls(
            get("input"),
            get("output"),
            get("cache_read"),
            get("cache_write"),
            get("reasoning"),
            get("input_audio"),
            get("output_audio"),
            get("batch_input"),
            get("batch_output"),
            get("per_request"),
            get("per_image"),
            get("per_second"),
            get("cache_write_1h"),
            get("priority_input"),
            get("priority_output"),
            get("priority_cache_read"),
            get("flex_input"),
            get("flex_output"),
            get("flex_cache_read"),
            get("fast_input"),
            get("fast_output"),
            get("fast_cache_read"),
            get("off_peak_input"),
            get("off_peak_output"),
            get("off_peak_cache_read"),
            get("per_search"),
            get("regional_uplift"),
            tiers,
        )

    def known(self) -> dict[str, float]:
        """The scalar prices that are known, by field name."""
        return {name: v for name in PRICE_FIELDS if (v := getattr(self, name)) is not None}


_NO_PRICES = Pricing()

#: Flags (``Offering.flags``) that put a price in doubt: such offerings are left out of cost
#: rankings unless asked for (``Criteria.include_flagged``) and marked when shown.
PRICE_FLAGS = frozenset({"price_outlier", "price_out_of_range", "placeholder_price"})
#: Price bases whose 0 is true: a free tier or variant, or usage included in a plan.
FREE_BASES = frozenset({"free", "subscription"})
_TOKEN_BASES = frozenset({"tokens"}) | FREE_BASES
#: Provider kinds that pass requests on to other hosts or resell them: not direct hosts.
INDIRECT_KINDS = frozenset({"router", "reseller", "subscription"})


@dataclass(slots=True)
class Provider(_Raw):
    """A company or endpoint you pay; carries what a router needs to call it."""

    id: str
    name: str
    api_base_url: str | None
    api_style: str | None
    openai_compatible: bool | None
    auth_env: tuple[str, ...]
    website: str | None
    docs_url: str | None
    pricing_url: str | None
    models: int
    offerings: int
    kind: str | None = None
    """What it is: ``first_party``, ``cloud``, ``inference_host``, ``router``, ``reseller`` or
    ``subscription``; ``None`` where the catalog does not say (counted as a direct host)."""
    _raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    _origin: RawSource | None = field(default=None, repr=False, compare=False)

    @property
    def is_direct(self) -> bool:
        """True unless it is a router, reseller or subscription plan (see ``INDIRECT_KINDS``)."""
        return self.kind not in INDIRECT_KINDS

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Provider:
        return cls(
            id=d["id"],
            name=d.get("name") or d["id"],
            api_base_url=d.get("api_base_url"),
            api_style=d.get("api_style"),
            openai_compatible=d.get("openai_compatible"),
            auth_env=tuple(d.get("auth_env") or ()),
            website=d.get("website"),
            docs_url=d.get("docs_url"),
            pricing_url=d.get("pricing_url"),
            models=d.get("models", 0),
            offerings=d.get("offerings", 0),
            kind=d.get("kind"),
            _raw=d,
        )


@dataclass(slots=True)
class Model(_Raw):
    """A trained, released model, whoever serves it."""

    id: str
    name: str
    creator: str | None
    family: str | None
    released: str | None
    open_weights: bool | None
    context_window: int | None
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    capabilities: tuple[str, ...]
    modes: tuple[str, ...]
    hosts: int
    offerings: int
    direct_hosts: int = 0
    """Providers serving it with a listed offering that are not routers, resellers or
    subscription plans (:func:`knollm.catalog.count_hosts`); ``hosts`` counts every provider."""
    routed_hosts: int = 0
    """Providers serving it with a listed offering that are routers, resellers or subscription
    plans: reached through another host."""
    _raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    _origin: RawSource | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Model:
        return cls(
            id=d["id"],
            name=d.get("name") or d["id"],
            creator=d.get("creator"),
            family=d.get("family"),
            released=d.get("released"),
            open_weights=d.get("open_weights"),
            context_window=d.get("context_window"),
            input_modalities=tuple(d.get("input_modalities") or ()),
            output_modalities=tuple(d.get("output_modalities") or ()),
            capabilities=tuple(d.get("capabilities") or ()),
            modes=tuple(d.get("modes") or ()),
            hosts=d.get("hosts", 0),
            direct_hosts=d.get("direct_hosts", 0),
            routed_hosts=d.get("routed_hosts", 0),
            offerings=d.get("offerings", 0),
            _raw=d,
        )


@dataclass(slots=True)
class Offering(_Raw):
    """One provider serving one model under one exact API id (``provider_model_id``)."""

    provider: str
    model: str
    provider_model_id: str
    name: str | None
    variant: tuple[str, ...]
    mode: str
    pricing: Pricing
    context_window: int | None
    max_input_tokens: int | None
    max_output_tokens: int | None
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    capabilities: tuple[str, ...]
    status: str
    deprecation_date: str | None
    sources: tuple[str, ...]
    listed: bool = True
    """False when only a price table or an old snapshot names this id (no model list does):
    kept for its prices, never a default pick (see :class:`knollm.catalog.Criteria`)."""
    price_basis: str | None = None
    """What the price is per (``tokens``, ``free``, ``subscription``, ``per_image``,
    ``per_second``, ``per_request``, ``per_character``, ``unknown``); ``None`` for a catalog
    older than schema 1.1, which does not say (token prices are then taken as they are)."""
    flags: tuple[str, ...] = ()
    """Plausibility findings (``price_outlier``, ``placeholder_price``, ...; see the contract)."""
    successor: str | None = None
    """The API id, at the same provider, that replaces this one (a source's ``successor_model``);
    the router follows it for a retired offering when ``follow_successors`` is on."""
    _raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    _origin: RawSource | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Offering:
        get = d.get
        pricing = get("pricing")
        return cls(
            d["provider"],
            d["model"],
            d["provider_model_id"],
            get("name"),
            tuple(get("variant") or ()),
            get("mode", "chat"),
            Pricing.from_dict(pricing) if pricing else _NO_PRICES,
            get("context_window"),
            get("max_input_tokens"),
            get("max_output_tokens"),
            tuple(get("input_modalities") or ()),
            tuple(get("output_modalities") or ()),
            tuple(get("capabilities") or ()),
            get("status", "active"),
            get("deprecation_date"),
            tuple(get("sources") or ()),
            get("listed", True),
            get("price_basis"),
            tuple(get("flags") or ()),
            get("successor"),
            d,
        )

    @property
    def key(self) -> str:
        """Unique reference to this offering: ``provider:provider_model_id``."""
        return f"{self.provider}:{self.provider_model_id}"

    @property
    def is_free(self) -> bool:
        """True for a $0 offering: a ``free`` or ``subscription`` price basis, or both token
        prices known and zero (free tiers, promotional variants, plans)."""
        return self.price_basis in FREE_BASES or (
            self.pricing.input == 0 and self.pricing.output == 0
        )

    @property
    def price_flagged(self) -> bool:
        """True when a flag puts its price in doubt (``PRICE_FLAGS``)."""
        return not PRICE_FLAGS.isdisjoint(self.flags)

    @property
    def token_priced(self) -> bool:
        """True when token prices are what it costs: basis ``tokens``, ``free`` or
        ``subscription`` (a true 0), or not stated (an older catalog). Offerings billed per
        image, second, request or character, or on an unknown basis, never enter token-cost
        rankings."""
        return self.price_basis is None or self.price_basis in _TOKEN_BASES
