"""Pydantic's ``genai-prices`` database: context tiers, cache prices, dated prices, batch variants.

The package's data lives in ``genai_prices.data`` as typed Python objects; we read
those objects as data (no price calculation, no network). Dated prices: the one
in effect on the build's reference date is used. Off-peak (time-of-day) prices
are not published. ``processing: batch`` variants become batch prices.
"""

from __future__ import annotations

from decimal import Decimal
from importlib import metadata
from typing import Any

from knollm_build.records import (
    PricePoint,
    Problem,
    ProviderHint,
    RawRecord,
    SourceInfo,
    SourceResult,
)
from knollm_build.sources.base import LoadContext

SOURCE_ID = "genai-prices"
RELEASED = {"0.2.3": "2026-11"}
"""Release month of each genai-prices version read, the capture date of its data; newer sources
outweigh older ones in merge."""

# genai-prices ModelPrice attributes -> Pricing fields, with the multiplier to our units.
PRICE_ATTRS: dict[str, tuple[str, float]] = {
    "input_mtok": ("input", 1.0),
    "output_mtok": ("output", 1.0),
    "cache_read_mtok": ("cache_read", 1.0),
    "cache_write_mtok": ("cache_write", 1.0),
    "input_audio_mtok": ("input_audio", 1.0),
    "output_audio_mtok": ("output_audio", 1.0),
    "output_reasoning_mtok": ("reasoning", 1.0),
    "requests_kcount": ("per_request", 0.001),
    "cache_write_1h_mtok": ("cache_write_1h", 1.0),
    "web_searches_kcount": ("per_search", 0.001),
}
# price_variants ``when`` -> prefix of the Pricing fields its input/output/cache-read prices fill.
TIER_VARIANTS = {
    (("service_tier", "priority"),): "priority_",
    (("service_tier", "flex"),): "flex_",
    (("service_tier", "fast"),): "fast_",
    (("speed", "fast"),): "fast_",
}
TIER_VARIANT_FIELDS = ("input", "output", "cache_read")
TIER_ATTRS = {"input_mtok": "input", "output_mtok": "output", "cache_read_mtok": "cache_read"}


# genai-prices provider id -> (provider spelling for normalise, suffix appended to model ids).
# Its Hugging Face entries are per upstream; the router's id for those is "<model>:<upstream>".
def provider_and_suffix(provider_id: str) -> tuple[str, str]:
    if provider_id.startswith("huggingface_"):
        return "huggingface", ":" + provider_id.removeprefix("huggingface_")
    return provider_id, ""


def _number(value: Any) -> float | None:
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _in_effect(prices: Any, reference_date: str) -> Any:
    """The ModelPrice in effect on ``reference_date`` (ISO) from a price or a list of dated prices."""
    if not isinstance(prices, list):
        return prices
    chosen = None
    for conditional in prices:
        constraint = conditional.constraint
        if constraint is None:
            chosen = chosen or conditional.prices
            continue
        start = getattr(constraint, "start_date", None)
        if start is not None and start.isoformat() <= reference_date:
            chosen = conditional.prices
    return chosen


def _convert(
    model_price: Any, prices: dict[str, float], tiers: list[dict[str, float]], prefix: str = ""
) -> None:
    for attr, (target, multiplier) in PRICE_ATTRS.items():
        raw = getattr(model_price, attr, None)
        if raw is None:
            continue
        base = getattr(raw, "base", raw)
        number = _number(base)
        if number is None:
            continue
        prices[prefix + target if prefix else target] = round(number * multiplier, 10)
        if prefix or not hasattr(raw, "tiers") or attr not in TIER_ATTRS:
            continue
        for tier in raw.tiers:
            existing = next((t for t in tiers if t["above_input_tokens"] == tier.start), None)
            if existing is None:
                existing = {"above_input_tokens": int(tier.start)}
                tiers.append(existing)
            value = _number(tier.price)
            if value is not None:
                existing[TIER_ATTRS[attr]] = value
    tiers.sort(key=lambda t: t["above_input_tokens"])


def equals_clauses(clause: Any) -> list[str]:
    """The exact ids a genai-prices ``match`` clause accepts (``equals``, inside ``or``), in order."""
    if clause is None:
        return []
    value = getattr(clause, "equals", None)
    if isinstance(value, str):
        return [value]
    out: list[str] = []
    for inner in getattr(clause, "or_", None) or []:
        out.extend(v for v in equals_clauses(inner) if v not in out)
    return out


def dated_points(prices: Any) -> list[PricePoint]:
    """Every dated price of a model (``StartDateConstraint``), in the source's order, for the
    price ledger; the unconstrained price before them is the point with ``since=None``.

    Empty when the model has no dated change. Time-of-day prices are not dated changes.
    """
    if not isinstance(prices, list):
        return []
    dated = [c for c in prices if getattr(c.constraint, "start_date", None) is not None]
    if not dated:
        return []
    points: list[PricePoint] = []
    for conditional in prices:
        constraint = conditional.constraint
        start = getattr(constraint, "start_date", None)
        if constraint is not None and start is None:
            continue  # a time-of-day window, not a dated change
        point = PricePoint(since=start.isoformat() if start is not None else None)
        _convert(conditional.prices, point.prices, point.tiers)
        points.append(point)
    return points


def parse(
    providers: list[Any], reference_date: str
) -> tuple[list[RawRecord], list[Problem], list[ProviderHint], int]:
    records: list[RawRecord] = []
    problems: list[Problem] = []
    hints: list[ProviderHint] = []
    read = 0
    for provider in providers:
        spelling, suffix = provider_and_suffix(provider.id)
        if not suffix:
            hints.append(ProviderHint(provider_raw=spelling, source=SOURCE_ID, name=provider.name))
        for model in provider.models:
            read += 1
            position = f"{provider.id}.models[{model.id}]"
            current = _in_effect(model.prices, reference_date)
            if current is None:
                problems.append(
                    Problem(
                        "excluded",
                        "genai-prices:data.py",
                        position,
                        "no price in effect on the reference date",
                    )
                )
                continue
            prices: dict[str, float] = {}
            tiers: list[dict[str, float]] = []
            _convert(current, prices, tiers)
            for variant in model.price_variants or []:
                if variant.when == {"processing": "batch"}:
                    batch: dict[str, float] = {}
                    _convert(variant.prices, batch, [], prefix="")
                    if "input" in batch:
                        prices["batch_input"] = batch["input"]
                    if "output" in batch:
                        prices["batch_output"] = batch["output"]
                prefix = TIER_VARIANTS.get(tuple(sorted((variant.when or {}).items())))
                if prefix is not None:  # only what the tier states: nothing filled from another
                    stated: dict[str, float] = {}
                    _convert(variant.prices, stated, [])
                    for name in TIER_VARIANT_FIELDS:
                        if name in stated:  # the first variant of a tier wins
                            prices.setdefault(prefix + name, stated[name])
            records.append(
                RawRecord(
                    source=SOURCE_ID,
                    file="genai-prices:data.py",
                    position=position,
                    provider_raw=spelling,
                    provider_model_id=model.id + suffix,
                    name=model.name,
                    prices=prices,
                    price_tiers=tiers,
                    context_window=model.context_window
                    if isinstance(model.context_window, int) and model.context_window > 0
                    else None,
                    status="deprecated" if model.deprecated else None,
                    model_hint=model.id if suffix else None,
                    variant_hint=[f"via:{suffix[1:]}"] if suffix else [],
                    listed=False,
                    api_ids=[value + suffix for value in equals_clauses(model.match)],
                    price_points=dated_points(model.prices),
                )
            )
    return records, problems, hints, read


def load(context: LoadContext) -> SourceResult:
    try:
        version = metadata.version("genai-prices")
        from genai_prices import data as genai_data
    except (metadata.PackageNotFoundError, ImportError) as exc:
        info = SourceInfo(SOURCE_ID, "genai-prices", "open-catalog", "missing", precedence=20)
        return SourceResult(
            [info],
            problems=[
                Problem("error", "genai-prices", "", f"cannot read the genai-prices package: {exc}")
            ],
        )
    info = SourceInfo(
        SOURCE_ID,
        "genai-prices",
        "open-catalog",
        version,
        license="MIT",
        url="https://github.com/pydantic/genai-prices",
        captured_at=RELEASED.get(version),
        precedence=20,
    )
    records, problems, hints, read = parse(genai_data.providers, context.reference_date)
    info.records = read
    return SourceResult([info], records, problems, hints, records_read=read)
