"""Plausibility stage, after merge: what each price is per, what a 0 means, and what cannot be true.

Every number in the catalog is copied from a source; this stage decides what it is taken to
mean and flags what no real price list would say:

- **Price basis.** Positive token prices make an offering ``tokens``. A 0 is a price only when it
  is a free variant (``:free``), a subscription plan (provider kind ``subscription``: usage is
  included, there is no per-token price), or a source that uses 0 for "free" says so while no
  other source gives a positive price. Otherwise the 0 is a placeholder (a price table that
  prices the model per image, per second or not at all): it is withheld, flagged
  ``placeholder_price`` and listed in ``report.json``; a positive price another source states for
  the same offering is published instead. Offerings used through per-item APIs (image, video,
  speech, transcription, music) are priced per item, never by tokens of 0.
- **Ranges** per field and mode: a text price above :data:`MAX_TEXT_PRICE` is withheld
  (``price_out_of_range``); a context window outside :data:`CONTEXT_RANGE` is flagged
  ``limit_out_of_range``; a max output above the context, with the two from different sources,
  ``limit_inconsistent``; a cache read dearer than fresh input, ``cache_read_above_input``.
- **Outliers.** A token price more than :data:`OUTLIER_FACTOR` times from its model's median
  across :data:`MIN_HOSTS` or more direct hosts (routers and resellers do not count) is kept and
  flagged ``price_outlier``: shown, never the default cheapest.

Every flag and withheld value becomes a :class:`~knollm_build.records.Problem` for the report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from knollm_build.records import Problem
from knollm_build.schema import PASS_THROUGH_KINDS, Offering, Pricing

MAX_TEXT_PRICE = 1_000.0
"""USD per 1M tokens above which a text input or output price cannot be real."""
CONTEXT_RANGE = (512, 20_000_000)
"""Plausible context windows, in tokens."""
OUTLIER_FACTOR = 10.0
"""How far from a model's cross-host median a price may be before it is an outlier."""
MIN_HOSTS = 3
"""Direct hosts with a token price needed before a model's median means anything."""

TEXT_MODES = frozenset({"chat", "completion", "responses"})
"""Modes billed by tokens in and out."""
INPUT_ONLY_MODES = frozenset({"embedding", "rerank", "moderation", "search", "ocr", "other"})
"""Token-priced modes with no output tokens: only their input price can be a placeholder 0."""
PER_ITEM_BASIS: Mapping[str, str] = {
    "image": "per_image",
    "video": "per_second",
    "audio-speech": "per_character",
    "audio-transcription": "per_second",
    "music": "per_request",
}
"""The billing unit of modes whose APIs price per item, not per token."""
PRICE_BASIS_FIELDS = (
    ("per_image", "per_image"),
    ("per_second", "per_second"),
    ("per_request", "per_request"),
)
"""(pricing field, basis) for offerings with no token price, in order of preference."""


@dataclass(slots=True)
class Checked:
    """The stage's result: offerings with basis and flags, and what it set aside."""

    offerings: list[Offering]
    problems: list[Problem] = field(default_factory=list)
    flags: dict[str, int] = field(default_factory=dict)
    """How many offerings carry each flag."""


def _where(offering: Offering) -> tuple[str, str]:
    return offering.provider, offering.provider_model_id


def _positive_alternative(offering: Offering, name: str) -> tuple[str, float] | None:
    """The first positive value another source gives for ``pricing.<name>``, from its conflict."""
    for conflict in offering.conflicts:
        if conflict.field == f"pricing.{name}":
            for value in conflict.values:
                if isinstance(value.value, float | int) and value.value > 0:
                    return value.source, float(value.value)
    return None


def _is_free_variant(offering: Offering) -> bool:
    return "free" in offering.variant or offering.provider_model_id.lower().endswith(":free")


class _Finding:
    """Collects one offering's changes, flags and problems."""

    def __init__(self, offering: Offering) -> None:
        self.offering = offering
        pricing = offering.pricing
        self.pricing: dict[str, Any] = {k: getattr(pricing, k) for k in pricing.model_fields_set}
        self.provenance = dict(offering.provenance)
        self.flags: list[str] = list(offering.flags)
        self.problems: list[Problem] = []
        self.changed = False

    def flag(
        self, name: str, reason: str, field_name: str | None = None, value: Any = None
    ) -> None:
        if name not in self.flags:
            self.flags.append(name)
        provider, model_id = _where(self.offering)
        self.problems.append(
            Problem(
                "flagged", provider, model_id, f"{name}: {reason}", field=field_name, value=value
            )
        )

    def replace(
        self, name: str, value: float, source: str, flag: str, reason: str, was: Any
    ) -> None:
        """Publish ``value`` from ``source`` as price ``name`` instead, flagged ``flag``."""
        self.pricing[name] = value
        self.provenance[f"pricing.{name}"] = source
        self.changed = True
        self.flag(flag, reason, f"pricing.{name}", was)

    def withhold(self, name: str, reason: str) -> None:
        value = self.pricing.pop(name)
        self.provenance.pop(f"pricing.{name}", None)
        self.changed = True
        provider, model_id = _where(self.offering)
        self.problems.append(
            Problem(
                "withheld_price", provider, model_id, reason, field=f"pricing.{name}", value=value
            )
        )

    def result(self, basis: str) -> Offering:
        update: dict[str, Any] = {"price_basis": basis}
        if self.changed:
            update["pricing"] = Pricing.model_validate(self.pricing)
            update["provenance"] = dict(sorted(self.provenance.items()))
        if self.flags:
            update["flags"] = sorted(set(self.flags))
        return self.offering.model_copy(update=update)


def _zeros(finding: _Finding, kind: str | None, placeholder_sources: frozenset[str]) -> str | None:
    """Decide what each token price of 0 means; returns ``free``/``subscription`` when it is a price."""
    offering = finding.offering
    names: tuple[str, ...] = ("input", "output")
    if offering.mode in INPUT_ONLY_MODES:
        names = ("input",)
        if finding.pricing.get("output") == 0:
            source = finding.provenance.get("pricing.output", "")
            finding.withhold(
                "output", f"0 from {source}: a {offering.mode} offering has no output tokens"
            )
    zeros = [name for name in names if finding.pricing.get(name) == 0]
    if not zeros:
        return None
    if _is_free_variant(offering):
        return "free"
    if kind == "subscription":
        return "subscription"
    meant_free = False
    for name in zeros:
        alternative = _positive_alternative(offering, name)
        source = finding.provenance.get(f"pricing.{name}", "")
        if alternative is not None:
            alt_source, value = alternative
            finding.replace(
                name,
                value,
                alt_source,
                "placeholder_price",
                f"{source} gives 0, {alt_source} gives {value:g}: the positive price is published",
                0.0,
            )
        elif offering.mode in PER_ITEM_BASIS or source in placeholder_sources:
            finding.withhold(
                name,
                f"placeholder 0 from {source}: a {offering.mode} offering is not priced by tokens"
                if offering.mode in PER_ITEM_BASIS
                else f"placeholder 0 from {source}, which writes 0 for prices it does not know",
            )
            finding.flags.append("placeholder_price")
        else:
            meant_free = True
    if meant_free and _has_positive_token_price(finding.pricing):
        # A paid model with one price at 0 (free output, say) is a gap in the source, not a price.
        for name in zeros:
            if finding.pricing.get(name) == 0:
                source = finding.provenance.get(f"pricing.{name}", "")
                finding.withhold(
                    name, f"placeholder 0 from {source}: the other token price is not 0"
                )
                finding.flags.append("placeholder_price")
        return None
    return "free" if meant_free else None


def _has_positive_token_price(pricing: Mapping[str, Any]) -> bool:
    return any((pricing.get(name) or 0) > 0 for name in ("input", "output"))


def _basis(finding: _Finding, zero_basis: str | None) -> str:
    if _has_positive_token_price(finding.pricing) and finding.offering.mode not in PER_ITEM_BASIS:
        return "tokens"
    if zero_basis is not None:
        return zero_basis
    for name, basis in PRICE_BASIS_FIELDS:
        if (finding.pricing.get(name) or 0) > 0:
            return basis
    if finding.offering.mode in PER_ITEM_BASIS:
        return PER_ITEM_BASIS[finding.offering.mode]
    if _has_positive_token_price(finding.pricing):
        return "tokens"
    return "unknown"


Alternates = Mapping[tuple[str, str, str], tuple[str, float]]
"""(provider, API id, ``pricing.<name>``) -> (source, that source's raw number read in the other
unit: :attr:`RawRecord.alternate_prices`), for a price its usual unit made implausible (withheld
when the dump was read)."""
Ranges = Mapping[tuple[str, str], tuple[float, float]]
"""(model, price name) -> (lowest, highest) plausible positive price among its direct hosts."""


def _cross_host_ranges(offerings: list[Offering], kinds: Mapping[str, str | None]) -> Ranges:
    """Each model's range of plausible input and output prices over its direct hosts (at least
    :data:`MIN_HOSTS` distinct providers stating one)."""
    values: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for o in offerings:
        if kinds.get(o.provider) in PASS_THROUGH_KINDS or o.mode not in TEXT_MODES:
            continue
        for name in ("input", "output"):
            value = getattr(o.pricing, name)
            if value is not None and 0 < value <= MAX_TEXT_PRICE:
                values[(o.model, name)].setdefault(o.provider, value)
    return {
        key: (min(by.values()), max(by.values()))
        for key, by in values.items()
        if len(by) >= MIN_HOSTS
    }


def _ranges(finding: _Finding, ranges: Ranges, alternates: Alternates) -> None:
    offering = finding.offering
    if offering.mode in TEXT_MODES:
        for name in ("input", "output"):
            value = finding.pricing.get(name)
            if value is None or value > MAX_TEXT_PRICE:
                found = alternates.get(
                    (offering.provider, offering.provider_model_id, f"pricing.{name}")
                )
                span = ranges.get((offering.model, name))
                if found is not None and span is not None and span[0] <= found[1] <= span[1]:
                    source, other = found
                    finding.replace(
                        name,
                        other,
                        source,
                        "unit_inferred",
                        f"{source} pricing.{name} is not plausible in its dump's usual unit "
                        f"(withheld when read); read in the other unit it is {other:g}, within "
                        f"the {span[0]:g}..{span[1]:g} its direct hosts charge",
                        other,
                    )
                    continue
            if value is not None and value > MAX_TEXT_PRICE:
                finding.flags.append("price_out_of_range")
                finding.withhold(
                    name,
                    f"price_out_of_range: {value:g} USD per 1M tokens is above the "
                    f"{MAX_TEXT_PRICE:g} any text model costs",
                )
    cache, fresh = finding.pricing.get("cache_read"), finding.pricing.get("input")
    if cache is not None and fresh is not None and fresh > 0 and cache > fresh:
        finding.flag(
            "cache_read_above_input",
            f"cache read {cache:g} is dearer than fresh input {fresh:g}",
            "pricing.cache_read",
            cache,
        )
    context = offering.context_window
    low, high = CONTEXT_RANGE
    if offering.mode in TEXT_MODES and context is not None and not low <= context <= high:
        finding.flag(
            "limit_out_of_range",
            f"context window {context:,} is outside {low:,}..{high:,} tokens",
            "context_window",
            context,
        )
    output = offering.max_output_tokens
    if context is not None and output is not None and output > context:
        same = finding.provenance.get("context_window") == finding.provenance.get(
            "max_output_tokens"
        )
        if not same:
            finding.flag(
                "limit_inconsistent",
                f"max output {output:,} is above the context window {context:,} "
                f"({finding.provenance.get('max_output_tokens')} vs "
                f"{finding.provenance.get('context_window')})",
                "max_output_tokens",
                output,
            )


def _outliers(offerings: list[Offering], kinds: Mapping[str, str | None]) -> dict[int, list[str]]:
    """Index -> outlier reasons, over token prices of each model's direct hosts."""
    by_model: dict[str, list[int]] = defaultdict(list)
    for index, offering in enumerate(offerings):
        if offering.price_basis == "tokens":
            by_model[offering.model].append(index)
    found: dict[int, list[str]] = defaultdict(list)
    for indexes in by_model.values():
        direct = [i for i in indexes if kinds.get(offerings[i].provider) not in PASS_THROUGH_KINDS]
        if len({offerings[i].provider for i in direct}) < MIN_HOSTS:
            continue
        for name in ("input", "output"):
            values = [
                getattr(offerings[i].pricing, name)
                for i in direct
                if (getattr(offerings[i].pricing, name) or 0) > 0
            ]
            if len(values) < MIN_HOSTS:
                continue
            mid = median(values)
            for i in indexes:
                value = getattr(offerings[i].pricing, name)
                if value and max(value / mid, mid / value) > OUTLIER_FACTOR:
                    found[i].append(
                        f"{name} {value:g} is over {OUTLIER_FACTOR:g}x from the median {mid:g}"
                    )
    return found


def check(
    offerings: list[Offering],
    kinds: Mapping[str, str | None],
    placeholder_sources: frozenset[str] = frozenset(),
    alternates: Alternates | None = None,
) -> Checked:
    """Price basis, $0 meaning, ranges and outliers for every offering (order kept).

    ``kinds`` maps provider ids to their kind (``subscription``, ``router``…, or None);
    ``placeholder_sources`` are the source ids that write 0 for a price they do not know;
    ``alternates`` the other-unit readings of prices implausible in their usual unit: one is
    taken (flagged ``unit_inferred``) when it lies within the model's cross-host range, else the
    price is withheld.
    """
    out = Checked([])
    interim: list[tuple[Offering, _Finding]] = []
    ranges = _cross_host_ranges(offerings, kinds) if alternates else {}
    for offering in offerings:
        finding = _Finding(offering)
        zero_basis = _zeros(finding, kinds.get(offering.provider), placeholder_sources)
        _ranges(finding, ranges, alternates or {})
        interim.append((finding.result(_basis(finding, zero_basis)), finding))
    based = [offering for offering, _ in interim]
    outliers = _outliers(based, kinds)
    for index, (offering, finding) in enumerate(interim):
        if index in outliers:
            finding.offering = offering
            finding.flag("price_outlier", "; ".join(outliers[index]))
            offering = finding.result(offering.price_basis)
        out.offerings.append(offering)
        out.problems.extend(finding.problems)
        for name in offering.flags:
            out.flags[name] = out.flags.get(name, 0) + 1
    out.flags = dict(sorted(out.flags.items()))
    return out
