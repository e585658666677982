"""What a workload costs at one offering: cache, batch and long-context tier prices applied.

The rules are the site calculator's too (``knollm-data.js``); ``tests/parity/pricing_cases.json``
holds both to one table. A missing price is never counted as zero: the estimate lists it in
``missing`` and its ``total`` is then only a lower bound (``complete`` is False). A tier applies
when a request's input exceeds its threshold (the highest such tier wins); cached tokens cost the
cache-read price, else the input price (noted); ``batch`` uses batch prices only, and a missing
batch price means "not available in batch" (that part unknown), never the standard price.
Prices are USD per 1M tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from knollm.records import Offering, PriceTier

MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """The cost of a workload at one offering, with each part and what could not be priced."""

    offering: Offering
    total: float
    parts: dict[str, float]
    missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    tier: int | None = field(default=None)

    @property
    def complete(self) -> bool:
        """True when every price the workload needs is known."""
        return not self.missing

    def as_dict(self) -> dict[str, object]:
        return {
            "provider": self.offering.provider,
            "model": self.offering.model,
            "provider_model_id": self.offering.provider_model_id,
            "total": round(self.total, 6) if self.complete else None,
            "known_part": round(self.total, 6),
            "parts": {k: round(v, 6) for k, v in self.parts.items()},
            "missing": list(self.missing),
            "notes": list(self.notes),
            "tier_above_input_tokens": self.tier,
        }


def _tier_for(tiers: tuple[PriceTier, ...], request_input: float) -> PriceTier | None:
    """The tier with the highest threshold that ``request_input`` exceeds, whatever their order."""
    chosen = None
    for tier in tiers:
        if request_input > tier.above_input_tokens and (
            chosen is None or tier.above_input_tokens > chosen.above_input_tokens
        ):
            chosen = tier
    return chosen


def estimate_cost(
    offering: Offering,
    input_tokens: float,
    output_tokens: float,
    *,
    cached_share: float = 0.0,
    requests: int | None = None,
    batch: bool = False,
) -> CostEstimate:
    """Estimate the cost of ``input_tokens`` in and ``output_tokens`` out (totals over all requests).

    ``cached_share`` of the input is read from the prompt cache (``cache_read`` price; where the
    offering has none it is charged at the input price, as providers without caching do).
    ``requests`` spreads the totals over that many requests: it decides which long-context tier
    applies and multiplies any per-request fee; without it tiers are not applied (noted).
    ``batch`` uses the batch API prices only and marks them missing where the offering has none
    (not available in batch; the standard prices never stand in).
    """
    if not 0.0 <= cached_share <= 1.0:
        raise ValueError(f"cached_share must be between 0 and 1 (got {cached_share})")
    if input_tokens < 0 or output_tokens < 0:
        raise ValueError("token counts must be >= 0")
    if requests is not None and requests < 1:
        raise ValueError(f"requests must be >= 1 (got {requests})")
    p = offering.pricing
    missing: list[str] = []
    notes: list[str] = []
    in_price, out_price, cache_price = p.input, p.output, p.cache_read
    tier_at: int | None = None

    if p.tiers:
        if requests is None:
            notes.append(
                f"long-context prices above {p.tiers[0].above_input_tokens:,} input tokens per "
                "request not applied (give the number of requests)"
            )
        else:
            tier = _tier_for(p.tiers, input_tokens / requests)
            if tier is not None:
                tier_at = tier.above_input_tokens
                in_price = tier.input if tier.input is not None else in_price
                out_price = tier.output if tier.output is not None else out_price
                cache_price = tier.cache_read if tier.cache_read is not None else cache_price
                notes.append(f"tier prices for requests above {tier_at:,} input tokens")

    if batch:
        if p.batch_input is None and input_tokens:
            missing.append("batch_input")
        if p.batch_output is None and output_tokens:
            missing.append("batch_output")
        in_price, out_price = p.batch_input, p.batch_output

    cached = input_tokens * cached_share
    fresh = input_tokens - cached
    parts: dict[str, float] = {}
    if fresh:
        if in_price is None:
            if not batch:
                missing.append("input")
        else:
            parts["input"] = fresh * in_price / MILLION
    if cached:
        if cache_price is not None:
            parts["cache_read"] = cached * cache_price / MILLION
        elif in_price is not None:
            parts["cache_read"] = cached * in_price / MILLION
            notes.append("no cache price: cached tokens charged at the input price")
        elif not batch:
            missing.append("cache_read")
    if output_tokens:
        if out_price is None:
            if not batch:
                missing.append("output")
        else:
            parts["output"] = output_tokens * out_price / MILLION
    if p.per_request:
        parts["per_request"] = p.per_request * (requests or 1)
        if requests is None:
            notes.append("per-request fee counted once (give the number of requests)")
    if (p.input is None or p.output is None) and (p.per_image or p.per_second):
        notes.append("priced per image or per second, not per token")
    return CostEstimate(
        offering=offering,
        total=sum(parts.values()),
        parts=parts,
        missing=tuple(dict.fromkeys(missing)),
        notes=tuple(notes),
        tier=tier_at,
    )


def usage_cost(
    offering: Offering,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int = 0,
    *,
    batch: bool = False,
) -> CostEstimate:
    """Cost of one finished request from its usage block (``prompt_tokens`` includes cached ones).

    One request, so long-context tiers apply by its real input size.
    """
    share = min(cached_input_tokens / input_tokens, 1.0) if input_tokens else 0.0
    return estimate_cost(
        offering, input_tokens, output_tokens, cached_share=share, requests=1, batch=batch
    )
